#!/usr/bin/env bash
# Issue 5's comparison: FGSM, PGD (L∞), DeepFool and C&W L2 through IBM ART (PyTorchClassifier) and
# BulwarkEvasion on the same Fashion-MNIST mlp and cnn (torch-trained, ONNX-exported, cached in
# .cache/), the same N test images and parameters, in one run. Prints robust accuracy side by side
# and images/s with the ratio Bulwark ÷ ART time (< 1: Bulwark faster). Both tools are pinned to the same CPUs (taskset) and
# use as many threads as there are CPUs in that set (EVASION_BENCH_CPUS, default all).
# Usage: Benchmarks/evasion/run.sh [N]   (default 500)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# The venv is $BULWARK_VENV (Benchmarks/setup-venv.sh: torch's CPU wheel pinned, then the peers).
venv="$("$here/../setup-venv.sh" scipy scikit-learn packaging onnx adversarial-robustness-toolbox==1.20.1 | tail -n 1)"
(cd "$here/.." && swift build -c release --product evasion-bench >/dev/null)
cpus="${EVASION_BENCH_CPUS:-0-$(($(nproc --all) - 1))}"
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c "$cpus"); fi
"${pin[@]}" "$venv/bin/python" "$here/compare.py" "$here/../.build/release/evasion-bench" "${1:-500}"
