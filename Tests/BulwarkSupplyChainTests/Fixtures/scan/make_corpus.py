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
# 21: HDF5 container (signature + superblock placeholder) with a Lambda model_config attribute
w(M, "lambda.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 56 + json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {}}]}}).encode())
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
    from sklearn.linear_model import LogisticRegression
    clf = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    joblib.dump(clf, os.path.join(B, "logreg.joblib"))
except ImportError:
    pass
print("corpus written to", out)
