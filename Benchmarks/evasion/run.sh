#!/usr/bin/env bash
# Issue 5's comparison: FGSM, PGD (L∞), DeepFool and C&W L2 through IBM ART (PyTorchClassifier) and
# BulwarkEvasion on the same Fashion-MNIST mlp and cnn (torch-trained, ONNX-exported, cached in
# .cache/), the same N test images and parameters, in one run. Prints robust accuracy side by side
# and images/s with the ratio Bulwark / ART. Both tools get 2 threads.
# Usage: Benchmarks/evasion/run.sh [N]   (default 500)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${EVASION_BENCH_VENV:-/work/venvs/evasion}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import art, onnx, torch" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q torch numpy scipy scikit-learn packaging onnx adversarial-robustness-toolbox
fi
(cd "$here/.." && swift build -c release --product evasion-bench >/dev/null)
"$venv/bin/python" "$here/compare.py" "$here/../.build/release/evasion-bench" "${1:-500}"
