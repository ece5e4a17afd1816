#!/usr/bin/env bash
# Issue 21's robustness and DP targets, one run each, with `bulwark fl simulate` on Fashion-MNIST:
#
#   1. 20 % sign-flip clients and 20 % model-replacement clients against FedAvg, coordinate
#      median, trimmed mean and Krum, each beside a clean FedAvg federation (target: the robust
#      rules stay within 5 points of the clean federation while FedAvg collapses);
#   2. DP-FedAvg over 100 clients at ε ≤ 8 (δ = 1e-5), accounted by the RDP accountant for the
#      Poisson client sampling actually used (target: a stated accuracy).
#
#   BULWARK_BIN=.build/release/bulwark Benchmarks/federated/robust-aggregation.sh [--out FILE]
#
# Prints each table and writes them, with the settings and the binary, to
# Benchmarks/federated/robust-aggregation-output.txt (or FILE); the JSON of every run (each
# round, each client's verdict) goes beside it in robust-aggregation-*.json (git-ignored).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/robust-aggregation-output.txt"
[ "${1:-}" = "--out" ] && out="$2"
bin="${BULWARK_BIN:-$root/.build/release/bulwark}"
[ -x "$bin" ] || { echo "error: $bin is missing: swift build -c release --product bulwark" >&2; exit 2; }
clients="${FL_CLIENTS:-20}"; rounds="${FL_ROUNDS:-10}"
common=(--model mlp --clients "$clients" --rounds "$rounds" --local-epochs 1 --local-batch 32 --lr 0.05 --seed 1)
{
    echo "# bulwark fl simulate, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, binary $bin"
    for attack in sign-flip model-replacement; do
        echo
        echo "## 20% $attack clients: $clients clients (all each round), $rounds rounds, mlp, 1 local epoch of SGD (lr 0.05, batch 32)"
        start=$(date +%s)
        "$bin" fl simulate "${common[@]}" --malicious 0.2 --attack "$attack" --aggregator fedavg,median,trimmed-mean,krum \
            --clean-baseline --quiet --out "$here/robust-aggregation-$attack.json"
        echo "($(( $(date +%s) - start )) s)"
    done
    echo
    echo "## DP-FedAvg: 100 clients, Poisson client sampling q = ${FL_DP_RATE:-0.5}, ${FL_DP_ROUNDS:-20} rounds, clip S = ${FL_DP_CLIP:-0.5}, target ε = 8 at δ = 1e-5 (RDP)"
    start=$(date +%s)
    "$bin" fl simulate --model "${FL_DP_MODEL:-mlp}" --clients 100 --rounds "${FL_DP_ROUNDS:-20}" --local-epochs 1 --local-batch 32 --lr "${FL_DP_LR:-0.1}" \
        --server-lr "${FL_DP_SERVER_LR:-1}" --seed 1 --dp --client-rate "${FL_DP_RATE:-0.5}" --target-epsilon 8 --delta 1e-5 \
        --dp-clip "${FL_DP_CLIP:-0.5}" --quiet --out "$here/robust-aggregation-dp.json" 2>&1
    echo "($(( $(date +%s) - start )) s)"
} | tee "$out"
