#!/usr/bin/env bash
# Regenerates the ONNX fine-tuning fixtures in Tests/BulwarkModelsTests/Fixtures/onnx-train:
# small PyTorch CNNs (zoo `cnn` layout, one with BatchNorm) exported to ONNX, with PyTorch's
# parameter gradients, one SGD step, train-mode logits and BatchNorm running statistics.
#   PYTHON: a Python with torch (CPU) and onnx (default: /work/venvs/scan/bin/python)
set -euo pipefail
PYTHON=${PYTHON:-/work/venvs/scan/bin/python}
here=$(cd "$(dirname "$0")/.." && pwd)
"$PYTHON" "$here/Tests/BulwarkModelsTests/Fixtures/onnx-train/make_onnx_train_fixtures.py"
