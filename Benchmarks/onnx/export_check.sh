#!/usr/bin/env bash
# Checks that `bulwark export` writes ONNX that onnxruntime runs with the same outputs as
# `bulwark predict`: trains an mlp and a cnn briefly on Fashion-MNIST (fixed seed, first 2000
# images, 1 epoch), exports each, runs 64 seeded random inputs through both, and compares the
# logits (max absolute difference ≤ 1e-4). Prints PASS/FAIL per model; exits 1 on any FAIL.
# Usage: Benchmarks/onnx/export_check.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$("$root/Benchmarks/setup-venv.sh" onnx onnxruntime | tail -n 1)"   # $BULWARK_VENV
work="${ONNX_BENCH_WORK:-/tmp/bulwark-onnx-bench}/export"; mkdir -p "$work"
(cd "$root" && swift build -c release --product bulwark >/dev/null)
bw="$root/.build/release/bulwark"
"$venv/bin/python" -c "import numpy as np; np.save('$work/x.npy', np.random.default_rng(7).uniform(0, 1, (64, 1, 28, 28)).astype(np.float32))"
status=0
for arch in mlp cnn; do
    "$bw" train --model "$arch" --epochs 1 --limit 2000 --seed 1 --quiet --out "$work/$arch.safetensors" >/dev/null
    "$bw" export --model "$work/$arch.safetensors" --arch "$arch" --out "$work/$arch.onnx" >/dev/null
    "$bw" predict --model "$work/$arch.safetensors" --input "$work/x.npy" --output "$work/${arch}_bulwark.npy" 2>/dev/null
    "$bw" predict --model "$work/$arch.onnx" --input "$work/x.npy" --output "$work/${arch}_bulwark_onnx.npy" 2>/dev/null
    "$venv/bin/python" "$here/check_export.py" "$work/$arch.onnx" "$work/x.npy" "$work/${arch}_bulwark.npy" || status=1
    # the exported file re-imported by Bulwark's own ONNX loader must agree too
    "$venv/bin/python" "$here/check_export.py" "$work/$arch.onnx" "$work/x.npy" "$work/${arch}_bulwark_onnx.npy" >/dev/null \
        && echo "$arch.onnx re-imported by bulwark predict: PASS" || { echo "$arch.onnx re-imported by bulwark predict: FAIL"; status=1; }
done
exit $status
