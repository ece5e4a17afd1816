#!/usr/bin/env bash
# The model of issue 20's gateway benchmark: a small Fashion-MNIST CNN (two 3×3 conv + max-pool
# blocks, a 100-unit hidden layer, 10 logits; 162,710 parameters), trained for one epoch (469 Adam
# steps of 128 images) and exported to ONNX (opset 17, input "input" [-1,1,28,28] FP32 in [0, 1],
# output "logits" [-1,10], dynamic batch) by the existing bring-your-own-model peer,
# Benchmarks/onnx/byo_cnn.py. Then the request bodies the load sends (make_bodies.py).
#   Benchmarks/gateway/make-model.sh [OUT_DIR]     default .build/gateway-bench
# Writes OUT_DIR/model.onnx (test accuracy 0.853 with seed 0), OUT_DIR/body-1.json, body-8.json and
# labels-8.json. Training takes 1.5 CPU-minutes (about 4 minutes on a busy 2-CPU machine). torch comes from
# $TORCH_PYTHON, default /work/venvs/scan/bin/python when it exists, else the benchmark venv
# (Benchmarks/setup-venv.sh); numpy for the bodies from the gateway venv (setup-venv.sh --gateway).
# Fashion-MNIST's IDX files are read from $FASHION_MNIST, default /usr/share/datasets/fashion-mnist.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/.build/gateway-bench}"
data="${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}"
python="${TORCH_PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x /work/venvs/scan/bin/python ]; then python=/work/venvs/scan/bin/python
    else python="$("$root/Benchmarks/setup-venv.sh" | tail -1)/bin/python"; fi
fi
mkdir -p "$out"
train="$(mktemp -d)"
trap 'rm -rf "$train"' EXIT
echo "make-model: training the CNN (1 epoch, seed 0) with $python" >&2
"$python" -u "$root/Benchmarks/onnx/byo_cnn.py" train "$train" --epochs 1 --seed 0 --data-dir "$data" --test 8 >&2
mv "$train/cnn.onnx" "$out/model.onnx"
venv="$("$root/Benchmarks/setup-venv.sh" --gateway | tail -1)"
"$venv/bin/python" "$here/make_bodies.py" "$out" --data-dir "$data" >&2
echo "$out/model.onnx"
