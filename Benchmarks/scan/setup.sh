#!/usr/bin/env bash
# Makes the peer venv for Benchmarks/scan/compare.py and the corpus, then runs the comparison.
set -euo pipefail
cd "$(dirname "$0")/../.."
V=/work/venvs/scan
[ -x $V/bin/python ] || python3 -m venv $V
$V/bin/pip install -q torch numpy onnx safetensors joblib scikit-learn modelscan picklescan fickling
rm -rf /tmp/scan-corpus && $V/bin/python Tests/BulwarkSupplyChainTests/Fixtures/scan/make_corpus.py /tmp/scan-corpus
[ -f /tmp/scan-big.pt ] || $V/bin/python -c "import torch; torch.save({'w': torch.zeros(256, 1024, 1024)}, '/tmp/scan-big.pt')"
swift build -c release --product bulwark
$V/bin/python Benchmarks/scan/compare.py /tmp/scan-corpus .build/release/bulwark /tmp/scan-big.pt
