#!/usr/bin/env bash
# Sign and verify a 1 GB model with model-signing and with Bulwark in one run; prints the ratio Bulwark ÷ model-signing time.
#   Benchmarks/sign/run.sh [bench.py options, e.g. --size-mb 1000 --repeat 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="$(Benchmarks/setup-venv.sh "model-signing==1.1.1" pyopenssl | tail -n 1)"   # $BULWARK_VENV
swift build -c release --product bulwark >&2
exec "$VENV/bin/python" Benchmarks/sign/bench.py "$(swift build -c release --show-bin-path)/bulwark" "$@"
