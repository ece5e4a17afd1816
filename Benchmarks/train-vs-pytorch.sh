#!/usr/bin/env bash
# Issue 2's benchmark: forward+backward+update time of a batch of 128 and one training epoch
# (60,000 images) for the zoo models, Bulwark vs PyTorch (CPU, 2 threads each), in one run.
# Rounds alternate between the two so that machine noise hits both; the median is reported.
# Usage: Benchmarks/train-vs-pytorch.sh [--epoch-size N] [--rounds R]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
epoch=60000; rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --epoch-size) epoch="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
venv="$("$here/setup-venv.sh" | tail -1)"
(cd "$here" && swift build -c release --product bulwark-bench >/dev/null)
out="$(mktemp -d)"
for r in $(seq "$rounds"); do
    echo "round $r/$rounds" >&2
    "$venv/bin/python" "$here/torch_train_bench.py" --threads 2 --epoch-size "$epoch" > "$out/torch.$r.json"
    "$here/.build/release/bulwark-bench" --threads 2 --epoch-size "$epoch" > "$out/bulwark.$r.json"
done
"$venv/bin/python" - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
load = lambda who: [json.load(open(f"{out}/{who}.{r}.json")) for r in range(1, rounds + 1)]
t, b = load("torch"), load("bulwark")
print(f"{'measure':<14}{'PyTorch':>12}{'Bulwark':>12}{'Bulwark ÷ PyTorch time':>26}")
for key in ["mlp_step_ms", "cnn_step_ms", "mlp_epoch_s", "cnn_epoch_s"]:
    tv = statistics.median(x[key] for x in t); bv = statistics.median(x[key] for x in b)
    print(f"{key:<14}{tv:>12.3f}{bv:>12.3f}{bv / tv:>26.2f}")
PY
