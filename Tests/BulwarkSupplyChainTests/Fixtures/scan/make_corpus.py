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

def w(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

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
w(M, "zip_bomb.pt", bb.getvalue())
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
except ImportError:
    # without h5py keep a minimal signature-only file so the corpus stays complete
    w(M, "lambda.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 56 + json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {}}]}}).encode())
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
