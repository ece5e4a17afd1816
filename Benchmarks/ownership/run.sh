#!/usr/bin/env bash
# Ownership evidence on Fashion-MNIST (issue 18): a 100-input trigger-set watermark in an mlp,
# verified on the watermarked model, after removal attacks (pruning 30 % / 60 %, 1 epoch of
# fine-tuning, Gaussian noise on the key inputs) and on INDEPENDENT independently trained mlps
# (none should verify). Needs the release binary: swift build -c release --product bulwark
# Usage: Benchmarks/ownership/run.sh [WORKDIR] [INDEPENDENT]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="$ROOT/.build/release/bulwark"
WORK="${1:-/tmp/bulwark-ownership}"
INDEPENDENT="${2:-10}"
mkdir -p "$WORK" && cd "$WORK"
rm -f wm.safetensors wm.key ind-*.safetensors

echo "== embed (mlp, trigger-set, 100 inputs, 3 epochs, seed 1)"
"$B" watermark embed --model mlp --kind trigger-set --key-size 100 --epochs 3 --seed 1 \
    --out wm.safetensors --key-out wm.key --json | tee embed.json

echo "== verify the watermarked model"
"$B" watermark verify --model wm.safetensors --key wm.key --json | tee verify.json || true

echo "== robustness: prune 30 % / 60 % (global), fine-tune 1 epoch, noise σ 0.1 / 0.2 on the key"
"$B" watermark robustness --model wm.safetensors --key wm.key --prune 0.3,0.6 --fine-tune-epochs 1 --noise 0.1,0.2 --seed 5 | tee robustness.txt

echo "== $INDEPENDENT independently trained mlps (seeds 11…)"
false_claims=0
for i in $(seq 1 "$INDEPENDENT"); do
    seed=$((10 + i))
    "$B" train --model mlp --epochs 3 --seed "$seed" --out "ind-$seed.safetensors" --quiet > /dev/null
    set +e
    line=$("$B" watermark verify --model "ind-$seed.safetensors" --key wm.key)
    status=$?
    set -e
    echo "seed $seed: $line (exit $status)"
    if [ "$status" -eq 0 ]; then false_claims=$((false_claims + 1)); fi
done
echo "independent models falsely verified: $false_claims of $INDEPENDENT"
