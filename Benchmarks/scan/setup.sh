#!/usr/bin/env bash
# Makes the peer venv for Benchmarks/scan/compare.py and the corpus, then runs the comparison.
set -euo pipefail
cd "$(dirname "$0")/../.."
V=/work/venvs/scan
[ -x $V/bin/python ] || python3 -m venv $V
# torch: the machine's CPU wheel (PIP_FIND_LINKS, /opt/wheels), pinned so the peers' requirements
# never pull a CUDA build from the index
TORCH="$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | head -1)"
if [ -n "$TORCH" ]; then $V/bin/pip install -q "$TORCH"; PIN="torch==$($V/bin/python -c 'import torch; print(torch.__version__)')"; else PIN=torch; fi
$V/bin/pip install -q "$PIN" numpy onnx safetensors joblib scikit-learn h5py jsonschema modelscan picklescan fickling
rm -rf /tmp/scan-corpus && $V/bin/python Tests/BulwarkSupplyChainTests/Fixtures/scan/make_corpus.py /tmp/scan-corpus
[ -f /tmp/scan-big.pt ] || $V/bin/python -c "import torch; torch.save({'w': torch.zeros(256, 1024, 1024)}, '/tmp/scan-big.pt')"
swift build -c release --product bulwark
Tests/BulwarkSupplyChainTests/Fixtures/scan/sarif/get_sarif_schema.sh .build/release/bulwark /tmp/scan-corpus
$V/bin/python Benchmarks/scan/compare.py /tmp/scan-corpus .build/release/bulwark /tmp/scan-big.pt
