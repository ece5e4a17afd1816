#!/usr/bin/env bash
# Makes the scan venv and the committed corpus (Tests/BulwarkSupplyChainTests/Fixtures/scan/
# setup_corpus.sh), the big checkpoints (generated here only, never committed), a release
# bulwark, then runs the peer comparison (Benchmarks/scan/compare.py).
#   BULWARK=path/to/bulwark  skips the release build
set -euo pipefail
cd "$(dirname "$0")/../.."
V="${V:-/work/venvs/scan}"
F=Tests/BulwarkSupplyChainTests/Fixtures/scan
V="$V" $F/setup_corpus.sh "${CORPUS_SETUP---venv}"   # CORPUS_SETUP= (empty) regenerates corpus/ too
# 1 GiB zip checkpoint and a > 1 GiB legacy (non-zip, pickle + raw storages) checkpoint
[ -f /tmp/scan-big.pt ] || "$V/bin/python" -c "import torch; torch.save({'w': torch.zeros(256, 1024, 1024)}, '/tmp/scan-big.pt')"
[ -f /tmp/scan-big-legacy-272m.pt ] || "$V/bin/python" -c "import torch; torch.save({'w': torch.zeros(272, 1024, 1024), 'b': torch.ones(3)}, '/tmp/scan-big-legacy-272m.pt', _use_new_zipfile_serialization=False)"
if [ -z "${BULWARK:-}" ]; then swift build -c release --product bulwark; BULWARK=.build/release/bulwark; fi
rm -rf /tmp/scan-corpus && "$V/bin/python" $F/make_corpus.py /tmp/scan-corpus >/dev/null
$F/sarif/get_sarif_schema.sh "$BULWARK" /tmp/scan-corpus
"$V/bin/python" Benchmarks/scan/compare.py "$BULWARK" $F/corpus /tmp/scan-big.pt /tmp/scan-big-legacy-272m.pt
