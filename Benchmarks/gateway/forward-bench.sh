#!/usr/bin/env bash
# The model's share of a served request: one forward pass of the gateway benchmark's ONNX model
# on one thread, Bulwark (infer-bench, as the gateway's inference workers run it) against
# onnxruntime with 1 intra-op thread (as each of the peer's workers runs it), alternating, at
# batches of 1, 8 and 16. Prints both and the ratio (Bulwark time ÷ onnxruntime time).
#
#   Benchmarks/gateway/forward-bench.sh [MODEL.onnx]      default: .build/gateway-bench/model.onnx
#
# Builds infer-bench (release) in the Benchmarks package and makes the gateway venv when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
model="${1:-$root/.build/gateway-bench/model.onnx}"
[ -f "$model" ] || "$here/make-model.sh" "$(dirname "$model")" > /dev/null
venv="$("$root/Benchmarks/setup-venv.sh" --gateway | tail -1)"
(cd "$root/Benchmarks" && swift build -c release --product infer-bench >&2)
bench="$root/Benchmarks/.build/release/infer-bench"
echo "forward pass, one thread, CPU time per pass, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs; model $model"
for batch in 1 8 16; do
    b="$(BULWARK_THREADS=1 "$bench" "$model" --batches "$batch" | tail -1)"
    o="$("$venv/bin/python" "$here/ort_forward.py" "$model" --batches "$batch" | tail -1)"
    echo "$b"
    echo "$o"
    awk -v b="$b" -v o="$o" -v n="$batch" 'BEGIN { split(b, x, " "); split(o, y, " "); printf "batch %d: Bulwark ÷ onnxruntime %.2f\n", n, x[4] / y[4] }'
done
