#!/usr/bin/env bash
# DP-SGD epoch time, Bulwark vs Opacus, same models, same run: zoo mlp and cnn, Poisson sampling
# at q = 256/60000 over 60,000 Fashion-MNIST-shaped examples, C = 1, σ = 1, Adam, 2 threads.
# Opacus runs in a virtualenv outside the repo (torch CPU wheel from /opt/wheels):
#   BULWARK_VENV=/work/venvs/dpsgd PIP_FIND_LINKS=/opt/wheels Benchmarks/setup-venv.sh opacus
# (if pip picks a newer CUDA torch for opacus, reinstall the CPU wheel with --no-deps).
# CNN_STEPS limits the timed steps of the cnn (both sides) and extrapolates to an epoch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$here/../.."
venv="${OPACUS_VENV:-/work/venvs/dpsgd}"
bulwark="${BULWARK:-$root/.build/release/bulwark}"
cnn_steps="${CNN_STEPS:-0}"
tmp="$(mktemp -d)"
for arch in mlp cnn; do
    steps=0; [ "$arch" = cnn ] && steps="$cnn_steps"
    limit=(); epochs=1
    ours=$("$bulwark" train --model "$arch" --dp --noise-multiplier 1 --max-grad-norm 1 --delta 1e-5 \
        --batch-size 256 --epochs "$epochs" --out "$tmp/$arch.safetensors" --json --quiet)
    ours_s=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['seconds_per_epoch'])" "$ours")
    peer=$("$venv/bin/python" "$here/opacus_epoch.py" --arch "$arch" --steps "$steps")
    peer_s=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['seconds_per_epoch'])" "$peer")
    echo "$arch: Bulwark DP-SGD epoch ${ours_s}s, Opacus $(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['opacus'], 'torch', d['torch'])" "$peer") epoch ${peer_s}s (steps timed: $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['steps'])" "$peer")), speed-up $(python3 -c "print(f'{$peer_s/$ours_s:.1f}x')")"
done
rm -rf "$tmp"
