#!/usr/bin/env bash
# Creates Benchmarks/.venv with the Python peers Bulwark is compared against.
# Peers are for benchmarks and fixture generation only, never a runtime dependency.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${BULWARK_VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --upgrade pip >/dev/null
# torch's CPU wheel comes from the machine's wheel cache (PIP_FIND_LINKS) when present.
"$venv/bin/pip" install -q torch numpy safetensors "$@"
echo "$venv"
