#!/usr/bin/env bash
# Interop with the model-signing Python package: builds its virtualenv, then either regenerates
# the signing fixtures (make-fixtures) or checks that model-signing verifies bundles made by
# the bulwark binary (check, the default).
#   scripts/sign-interop.sh [make-fixtures | check [BULWARK_BINARY]]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${SIGN_VENV:-/work/venvs/sign}"
if [ ! -x "$VENV/bin/model_signing" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "model-signing==1.1.1" pyopenssl
fi
mode="${1:-check}"
if [ "$mode" = make-fixtures ]; then
    exec "$VENV/bin/python" scripts/sign-interop.py make-fixtures
fi
bin="${2:-}"
if [ -z "$bin" ]; then
    swift build -c release --product bulwark >&2
    bin="$(swift build -c release --show-bin-path)/bulwark"
fi
exec "$VENV/bin/python" scripts/sign-interop.py check "$bin"
