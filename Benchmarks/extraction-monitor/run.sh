#!/usr/bin/env bash
# Replays a 10 280-query Fashion-MNIST stream (9 honest users × 1000 test images + one
# Jacobian-augmentation-like attacker, interleaved) through `bulwark extract monitor`.
#   Benchmarks/extraction-monitor/run.sh [WORKDIR] [BULWARK]
# Needs the Debian package dataset-fashion-mnist and a Python with numpy (/work/venvs/scan or
# Benchmarks/.venv). Exit status 1 from the monitor means a client was flagged (expected: client 0).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-/tmp/bulwark-extraction-monitor}"
bulwark="${2:-$here/../../.build/debug/bulwark}"
python="${PYTHON:-/work/venvs/scan/bin/python}"
mkdir -p "$work"
[ -f "$work/mlp.safetensors" ] || "$bulwark" train --dataset fashion-mnist --model mlp --epochs 1 --seed 0 --out "$work/mlp.safetensors" >&2
"$python" "$here/make_stream.py" "$work/stream" >&2
set +e
"$bulwark" extract monitor --queries "$work/stream/queries.npy" --clients "$work/stream/clients.npy" \
    --victim "$work/mlp.safetensors" --detector all --benign "$work/stream/benign.npy"
status=$?
set -e
[ "$status" -le 1 ] || exit "$status"
