#!/usr/bin/env bash
# Makes the scan venv (/work/venvs/scan, shared with Benchmarks/scan/setup.sh; V overrides it)
# and regenerates corpus/ (malicious/, benign/, expected.tsv) that CorpusTests.swift scans:
# make_corpus.py writes the hand-made files, make_benign_corpus.py the real-library ones.
# Payloads are the placeholder "echo bulwark-test"; nothing malicious is ever loaded.
#   setup_corpus.sh            venv + corpus
#   setup_corpus.sh --venv     venv only
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
cd "$(dirname "$0")"
V="${V:-/work/venvs/scan}"
[ -x "$V/bin/python" ] || python3 -m venv "$V"
# torch: the machine's CPU wheel (PIP_FIND_LINKS, /opt/wheels), pinned so nothing pulls a CUDA build
TORCH="$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | head -1 || true)"
if [ -n "$TORCH" ]; then
  "$V/bin/pip" install -q "$TORCH"
  PIN="torch==$("$V/bin/python" -c 'import torch; print(torch.__version__)')"
else
  PIN=torch
fi
"$V/bin/pip" install -q "$PIN" numpy onnx safetensors joblib scikit-learn h5py lz4 gguf pandas keras \
  jsonschema modelscan picklescan fickling
[ "${1:-}" = "--venv" ] && exit 0
rm -rf corpus
KERAS_BACKEND=torch PYTHONHASHSEED=0 "$V/bin/python" make_corpus.py corpus >/dev/null
KERAS_BACKEND=torch PYTHONHASHSEED=0 "$V/bin/python" make_benign_corpus.py corpus 2>&1 | grep -v -i warning || true
echo "corpus: $(find corpus/malicious -type f | wc -l) malicious, $(find corpus/benign -type f | wc -l) benign files, $(du -sh corpus | cut -f1)"
