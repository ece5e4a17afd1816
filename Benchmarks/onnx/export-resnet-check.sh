#!/usr/bin/env bash
# Checks Bulwark's ONNX export of the zoo resnet (BatchNormalization, residual blocks, global
# average pooling) and tabular models with onnxruntime: the test sizedFromDataRoundTrip
# (Tests/BulwarkModelsTests/ONNXExportTests.swift) exports a resnet for 3×12×10 images and tabular
# models for [30] and 2×4×4 inputs, with random batch-norm statistics, and writes each file, its
# inputs, the zoo model's logits and the re-imported ONNXModel's logits into a folder. onnxruntime
# then runs each file; its logits must equal both Bulwark's within 1e-4. Debug build; exits 1 on
# any FAIL.
# Usage: Benchmarks/onnx/export-resnet-check.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$("$root/Benchmarks/setup-venv.sh" | tail -1)"   # $BULWARK_VENV
work="${ONNX_BENCH_WORK:-/tmp/bulwark-onnx-bench}/export-resnet"; rm -rf "$work"; mkdir -p "$work"
(cd "$root" && swift build --build-tests >/dev/null)
(cd "$root" && BULWARK_ONNX_EXPORT_OUT="$work" swift test --skip-build --filter sizedFromDataRoundTrip >/dev/null)
"$venv/bin/python" - "$work" <<'PY'
import glob, os, sys
import numpy as np
import onnx
import onnxruntime as ort
work = sys.argv[1]
files = sorted(glob.glob(f"{work}/*.onnx"))
status = 0 if len(files) == 3 else 1
if status:
    print(f"expected 3 exported files in {work}, found {len(files)}  FAIL")
for path in files:
    stem = path[:-len(".onnx")]
    onnx.checker.check_model(onnx.load(path), full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.fromfile(f"{stem}_x.f32", dtype=np.float32).reshape([-1] + list(inp.shape[1:]))
    ref = sess.run(None, {inp.name: x})[0]
    for kind in ("bulwark", "reimported"):
        bw = np.fromfile(f"{stem}_{kind}.f32", dtype=np.float32).reshape(x.shape[0], -1)
        diff = float(np.max(np.abs(ref - bw))) if ref.shape == bw.shape else float("inf")
        ok = diff <= 1e-4
        status |= 0 if ok else 1
        label = "zoo model" if kind == "bulwark" else "re-imported ONNXModel"
        print(f"{os.path.basename(path):<22} onnxruntime {list(ref.shape)} vs {label:<21}: max |diff| {diff:.2e} "
              f"(tolerance 1e-4)  {'PASS' if ok else 'FAIL'}")
sys.exit(status)
PY
