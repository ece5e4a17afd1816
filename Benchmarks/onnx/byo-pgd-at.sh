#!/usr/bin/env bash
# Issue 16, done-when: a CNN defined and trained in PyTorch (byo_cnn.py, Fashion-MNIST), exported
# to ONNX, evaluated by Bulwark (PGD-20, L∞ ε = 0.1), PGD-AT fine-tuned by `bulwark defend train
# --model cnn.onnx`, evaluated again, exported with `bulwark export`, and run by onnxruntime,
# whose logits must equal `bulwark predict`'s within 1e-4. Prints each step's time.
# Usage: Benchmarks/onnx/byo-pgd-at.sh [WORK_DIR]
#   BULWARK      the binary (default .build/release/bulwark: `swift build -c release --product bulwark`)
#   PYTHON       a python with torch (default Benchmarks/.venv, made by Benchmarks/setup-venv.sh)
#   ORT_PYTHON   a python with onnxruntime and numpy (default: PYTHON)
#   TORCH_EPOCHS (2), AT_EPOCHS (1), AT_LIMIT (training images for PGD-AT, default all 60 000),
#   AT_STEPS (7), EVAL_IMAGES (1000 test images for evaluate and the comparison),
#   REUSE_TORCH=1 keeps an existing WORK_DIR/cnn.onnx
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${1:-/tmp/bulwark-byo-pgd-at}"
mkdir -p "$work"
bulwark="${BULWARK:-$root/.build/release/bulwark}"
python="${PYTHON:-$root/Benchmarks/.venv/bin/python}"
ort_python="${ORT_PYTHON:-$python}"
limit=()
if [ -n "${AT_LIMIT:-}" ]; then limit=(--limit "$AT_LIMIT"); fi
cd "$work"
rm -rf before after cnn-pgd-at.onnx cnn-exported.onnx logits.npy

step() { local name="$1"; shift; local t0; t0=$(date +%s.%N); "$@"; printf '[%s: %.1f s]\n' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)" >&2; }
robust() { "$ort_python" -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"clean accuracy {r['clean_accuracy']:.4f}, accuracy under PGD-20 L∞ ε=0.1 {r['results'][0]['robust_accuracy']:.4f}\")" "$1"; }

if [ "${REUSE_TORCH:-0}" = 1 ] && [ -f cnn.onnx ]; then
    echo "reusing $work/cnn.onnx (REUSE_TORCH=1)"
else
    step "PyTorch: define, train, export" "$python" "$here/byo_cnn.py" train "$work" --epochs "${TORCH_EPOCHS:-2}" --test "${EVAL_IMAGES:-1000}"
fi
step "bulwark evaluate (before)" "$bulwark" evaluate --model cnn.onnx --data x_test.npy --labels y_test.npy --attack pgd --eps 0.1 \
    --steps 20 --no-checklist --out before --json --quiet > before.json
echo "before: $(robust before.json)"
step "bulwark defend train --defense pgd-at" "$bulwark" defend train --defense pgd-at --model cnn.onnx --dataset fashion-mnist \
    --epochs "${AT_EPOCHS:-1}" "${limit[@]}" --eps 0.1 --steps "${AT_STEPS:-7}" --eval-limit 0 --out cnn-pgd-at.onnx
step "bulwark evaluate (after)" "$bulwark" evaluate --model cnn-pgd-at.onnx --data x_test.npy --labels y_test.npy --attack pgd --eps 0.1 \
    --steps 20 --no-checklist --out after --json --quiet > after.json
echo "after:  $(robust after.json)"
step "bulwark export" "$bulwark" export --model cnn-pgd-at.onnx --out cnn-exported.onnx
step "bulwark predict" "$bulwark" predict --model cnn-exported.onnx --data x_test.npy --out logits.npy
"$ort_python" "$here/byo_cnn.py" compare cnn-exported.onnx x_test.npy logits.npy
