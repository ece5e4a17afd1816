#!/usr/bin/env bash
# Fine-tuning benchmark: one training step (batch 128, Adam 1e-3, forward + backward + update) of
# the zoo `cnn` layout exported from PyTorch to ONNX and imported by Bulwark, vs the same zoo cnn
# built in Bulwark with the same weights (target ≤ 1.3× its time), vs PyTorch on the original
# module (CPU, 2 threads each), in one run. Rounds alternate between Bulwark and PyTorch so that
# machine noise hits both; the median is reported. Afterwards onnxruntime runs the fine-tuned file
# Bulwark wrote back and its logits are compared with Bulwark's (≤ 1e-4), and the file is compared
# with the export (only initializer data may differ).
# Usage: Benchmarks/onnx/train-bench.sh [--rounds R]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
venv="$("$root/Benchmarks/setup-venv.sh" | tail -1)"   # $BULWARK_VENV
work="${ONNX_BENCH_WORK:-/tmp/bulwark-onnx-bench}/train"; mkdir -p "$work"
(cd "$root/Benchmarks" && swift build -c release --product onnx-train-bench >/dev/null)
bench="$root/Benchmarks/.build/release/onnx-train-bench"
"$venv/bin/python" "$here/train_peer.py" export "$work" 2>/dev/null
for r in $(seq "$rounds"); do
    echo "round $r/$rounds" >&2
    "$venv/bin/python" "$here/train_peer.py" bench "$work" > "$work/torch.$r.json"
    "$bench" "$work/cnn.onnx" "$work" --threads 2 > "$work/bulwark.$r.json"
done
"$venv/bin/python" - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
load = lambda who: [json.load(open(f"{work}/{who}.{r}.json")) for r in range(1, rounds + 1)]
t, b = load("torch"), load("bulwark")
torch_ms = statistics.median(x["torch_step_ms"] for x in t)
zoo_ms = statistics.median(x["zoo_step_ms"] for x in b)
onnx_ms = statistics.median(x["onnx_step_ms"] for x in b)
print(f"cnn training step, batch 128 (median of {rounds} rounds × 20 steps)")
print(f"{'':<28}{'ms':>10}")
print(f"{'PyTorch (original module)':<28}{torch_ms:>10.2f}")
print(f"{'Bulwark zoo cnn':<28}{zoo_ms:>10.2f}")
print(f"{'Bulwark ONNX import':<28}{onnx_ms:>10.2f}")
print(f"ratio ONNX import ÷ zoo cnn:  {onnx_ms / zoo_ms:.2f}  (target ≤ 1.3)")
print(f"ratio ONNX import ÷ PyTorch:  {onnx_ms / torch_ms:.2f}")
print(f"ratio zoo cnn ÷ PyTorch:      {zoo_ms / torch_ms:.2f}")
print(f"largest parameter difference between the two Bulwark models after training: {max(x['max_parameter_drift'] for x in b):.2e}")
PY
"$venv/bin/python" "$here/train_peer.py" check "$work"
