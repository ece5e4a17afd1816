#!/usr/bin/env bash
# Interop with the model-signing and CycloneDX Python packages. Builds the virtualenv, then:
#   scripts/sign-interop.sh make-fixtures        regenerate Fixtures/signing (model-signing bundles)
#   scripts/sign-interop.sh check [BULWARK]      model-signing verifies bundles made by bulwark (default)
#   scripts/sign-interop.sh bom-fixtures         regenerate Fixtures/bom (ONNX, safetensors, schemas)
#   scripts/sign-interop.sh bom-check [BULWARK]  cyclonedx-python-lib validates BOMs made by bulwark
set -euo pipefail
cd "$(dirname "$0")/.."
# The venv is $BULWARK_VENV (default Benchmarks/.venv), made by Benchmarks/setup-venv.sh.
VENV="$(Benchmarks/setup-venv.sh "model-signing==1.1.1" pyopenssl cyclonedx-python-lib jsonschema \
    rfc3339-validator rfc3987 onnx | tail -n 1)"
mode="${1:-check}"
bulwark() {
    if [ -n "${1:-}" ]; then echo "$1"; return; fi
    swift build -c release --product bulwark >&2
    echo "$(swift build -c release --show-bin-path)/bulwark"
}
case "$mode" in
    make-fixtures) exec "$VENV/bin/python" scripts/sign-interop.py make-fixtures ;;
    check) exec "$VENV/bin/python" scripts/sign-interop.py check "$(bulwark "${2:-}")" ;;
    bom-fixtures) exec "$VENV/bin/python" scripts/sign-bom-fixtures.py make-fixtures ;;
    bom-check) exec "$VENV/bin/python" scripts/sign-bom-fixtures.py check "$(bulwark "${2:-}")" ;;
    *) echo "usage: $0 [make-fixtures | check [BULWARK] | bom-fixtures | bom-check [BULWARK]]" >&2; exit 2 ;;
esac
