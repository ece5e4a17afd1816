#!/usr/bin/env python3
"""Runs an ONNX file written by `bulwark export` in onnxruntime and compares its outputs with the
logits `bulwark predict` wrote for the same inputs.

Usage: check_export.py MODEL.onnx INPUTS.npy BULWARK_LOGITS.npy [tolerance]
Prints one line with the maximum absolute difference and PASS or FAIL; exits 1 on FAIL.
"""
import sys
import numpy as np
import onnxruntime as ort

path, xs, ls = sys.argv[1:4]
tol = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-4
sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
inp = sess.get_inputs()[0]
x = np.load(xs).astype(np.float32)
shape = [d if isinstance(d, int) else -1 for d in inp.shape]
shape[0] = x.shape[0]
x = x.reshape(shape)
ort_logits = sess.run(None, {inp.name: x})[0]
bw = np.load(ls)
ok = ort_logits.shape == bw.shape and bool(np.all(np.isfinite(bw)))
diff = float(np.max(np.abs(ort_logits - bw))) if ok else float("inf")
ok = ok and diff <= tol
agree = float(np.mean(ort_logits.argmax(1) == bw.argmax(1))) if ort_logits.shape == bw.shape else 0.0
print(f"{path.split('/')[-1]:<12} onnxruntime {list(ort_logits.shape)} vs bulwark {list(bw.shape)}: "
      f"max |diff| {diff:.2e} (tolerance {tol:g}), argmax agreement {agree:.3f}  {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
