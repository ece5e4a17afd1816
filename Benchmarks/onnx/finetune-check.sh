#!/usr/bin/env bash
# Checks a fine-tuned ONNX file with onnxruntime: the test exportAfterTrainingChangesOnlyInitializerValues
# (Tests/BulwarkModelsTests/ONNXTrainingTests.swift) fine-tunes the PyTorch-exported BatchNorm CNN
# fixture one SGD step, writes the exported file, its inputs and Bulwark's logits into a folder;
# onnxruntime then runs the file and its logits must equal Bulwark's within 1e-4, and the file
# may differ from the fixture only in initializer data. Debug build; exits 1 on any FAIL.
# Usage: Benchmarks/onnx/finetune-check.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$("$root/Benchmarks/setup-venv.sh" | tail -1)"   # $BULWARK_VENV
work="${ONNX_BENCH_WORK:-/tmp/bulwark-onnx-bench}/finetune"; rm -rf "$work"; mkdir -p "$work"
(cd "$root" && swift build --build-tests >/dev/null)
(cd "$root" && BULWARK_ONNX_FINETUNE_OUT="$work" swift test --skip-build --filter exportAfterTrainingChangesOnlyInitializerValues >/dev/null)
"$venv/bin/python" - "$work" "$root/Tests/BulwarkModelsTests/Fixtures/onnx-train/cnn_bn_train.onnx" <<'PY'
import sys
import numpy as np
import onnx
import onnxruntime as ort
work, fixture = sys.argv[1], sys.argv[2]
x = np.fromfile(f"{work}/x.f32", dtype=np.float32).reshape(-1, 1, 8, 8)
bw = np.fromfile(f"{work}/bulwark_logits.f32", dtype=np.float32).reshape(x.shape[0], -1)
sess = ort.InferenceSession(f"{work}/finetuned_bn.onnx", providers=["CPUExecutionProvider"])
ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]
diff = float(np.max(np.abs(ref - bw)))
ok_logits = ref.shape == bw.shape and diff <= 1e-4
print(f"onnxruntime vs Bulwark logits, fine-tuned BatchNorm CNN: max |diff| {diff:.2e} (tolerance 1e-4)  {'PASS' if ok_logits else 'FAIL'}")
a, b = onnx.load(fixture), onnx.load(f"{work}/finetuned_bn.onnx")
changed = [i.name for i, j in zip(a.graph.initializer, b.graph.initializer) if i.raw_data != j.raw_data]
for m in (a, b):
    for t in m.graph.initializer:
        t.ClearField("raw_data")
# The test appends an unknown top-level field (99) to the fixture before loading it; the export keeps it.
kept = len(b.SerializeToString()) > len(a.SerializeToString())
b.DiscardUnknownFields()
ok_graph = kept and a.SerializeToString(deterministic=True) == b.SerializeToString(deterministic=True)
print(f"fine-tuned file vs fixture: {len(changed)} initializers changed, the test's unknown field kept: {kept}; "
      f"everything else identical  {'PASS' if ok_graph else 'FAIL'}")
sys.exit(0 if ok_logits and ok_graph else 1)
PY
