#!/usr/bin/env bash
# Fingerprints of a model that was never watermarked (issue 18): the first independent mlp of
# run.sh (seed 11) is the owner; IPGuard and conferrable keys are made from it (references and
# surrogates trained on the full Fashion-MNIST training split, like the owner), checked after
# removal attacks, and against the other independent mlps (seeds 12…), which must not verify.
# Run run.sh first (it trains the mlps). Usage: Benchmarks/ownership/fingerprint.sh [WORKDIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="$ROOT/.build/release/bulwark"
WORK="${1:-/tmp/bulwark-ownership}"
cd "$WORK"
for method in ipguard conferrable; do
    rm -f "fp-$method.key"
    echo "== fingerprint make --method $method (owner ind-11)"
    "$B" fingerprint make --model ind-11.safetensors --method "$method" --count 100 --seed 2 --out "fp-$method.key"
    "$B" watermark robustness --model ind-11.safetensors --key "fp-$method.key" --prune 0.3,0.6 --fine-tune-epochs 1 --noise 0.1 --seed 5
    false_claims=0
    for model in ind-*.safetensors; do
        [ "$model" = ind-11.safetensors ] && continue
        set +e
        line=$("$B" fingerprint verify --model "$model" --key "fp-$method.key")
        status=$?
        set -e
        echo "$model: $line"
        if [ "$status" -eq 0 ]; then false_claims=$((false_claims + 1)); fi
    done
    echo "$method: independent models falsely verified: $false_claims"
done
