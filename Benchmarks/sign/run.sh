#!/usr/bin/env bash
# Sign and verify a 1 GB model with model-signing and with Bulwark in one run; prints the ratio.
#   Benchmarks/sign/run.sh [bench.py options, e.g. --size-mb 1000 --repeat 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${SIGN_VENV:-/work/venvs/sign}"
if [ ! -x "$VENV/bin/model_signing" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "model-signing==1.1.1" pyopenssl
fi
swift build -c release --product bulwark >&2
exec "$VENV/bin/python" Benchmarks/sign/bench.py "$(swift build -c release --show-bin-path)/bulwark" "$@"
