#!/usr/bin/env bash
# A networked SecAgg+ round of Bulwark's own coordinator against a plain round of the same
# coordinator, in one run: `bulwark fl serve` on loopback with mutual TLS (certificates from
# `bulwark fl certs`) and CLIENTS `bulwark fl client --coordinator` processes, each training the
# `tabular` model (FEATURES → 64 → 32 → 2: 99,490 parameters at the default 1520 features) for one
# local epoch on its own EXAMPLES synthetic examples. The same federation runs twice, plain FedAvg and
# --secure-aggregation secagg+; the figure is the median round time (round opened → closed, as the
# coordinator records it, training included) over rounds 2…ROUNDS — round 1 waits for clients to
# join.
#
# Usage: Benchmarks/federated/secagg-grpc.sh [path/to/bulwark] [CLIENTS=5] [ROUNDS=6] [NEIGHBOURS=2] [FEATURES=1520] [EXAMPLES=200]
# The binary defaults to .build/release/bulwark (swift build -c release --product bulwark).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$here/../.."
bin="${1:-$root/.build/release/bulwark}"; clients="${2:-5}"; rounds="${3:-6}"; neighbours="${4:-2}"; features="${5:-1520}"; examples="${6:-200}"
[ -x "$bin" ] || { echo "secagg-grpc: $bin is missing (swift build -c release --product bulwark)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
venv="$("$root/Benchmarks/setup-venv.sh" --flower | tail -n 1)"
work="$(mktemp -d /tmp/bulwark-secagg-grpc.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
"$venv/bin/python" - "$clients" "$features" "$examples" <<'PY'
import sys, numpy as np
clients, features, examples = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
def make(n):
    x = rng.random((n, features)).astype(np.float32)
    return x, (x.mean(axis=1) > 0.5).astype(np.int64)
x, y = make(400)
np.save('server-x.npy', x); np.save('server-y.npy', y)
for k in range(clients):
    x, y = make(examples)
    np.savez('shard%d.npz' % (k + 1), x=x, y=y)
PY
"$bin" fl certs --out pki --clients "$clients" >/dev/null

run() {  # run LABEL [serve options...] -> prints the median round seconds
    local label="$1"; shift
    local port=$(( 20000 + RANDOM % 20000 ))
    "$bin" fl serve --tls-dir pki --model tabular --data server-x.npy --labels server-y.npy --rounds "$rounds" --min-clients "$clients" \
        --round-timeout 120 --lr 0.1 --port "$port" --json "$@" >"$label.json" 2>"$label.log" &
    local server=$!; pids+=("$server")
    for _ in $(seq 1 600); do
        grep -q listening "$label.log" 2>/dev/null && break
        kill -0 "$server" 2>/dev/null || { cat "$label.log" >&2; exit 1; }
        sleep 0.1
    done
    local k
    for k in $(seq 1 "$clients"); do
        "$bin" fl client --coordinator "localhost:$port" --tls-dir pki --name "client-$k" --data "shard$k.npz" --model tabular \
            >"$label-client$k.log" 2>&1 &
        pids+=($!)
    done
    wait "$server" || { cat "$label.log" >&2; exit 1; }
    python3 - "$label.json" <<'PY'
import json, statistics, sys
history = json.load(open(sys.argv[1]))
times = [r["seconds"] for r in history[1:]]
acc = history[-1].get("testAccuracy")
phases = [r.get("securePhaseSeconds") for r in history[1:] if r.get("securePhaseSeconds")]
split = ",".join(f"{p}={statistics.median(x[p] for x in phases)*1e3:.1f}" for p in ["advertising", "sharing", "masking", "unmasking"]) if phases else "-"
print(f"{statistics.median(times):.4f} {acc if acc is not None else float('nan'):.4f} {len(history)} {split}")
PY
}

read -r plain plainacc plainrounds _ < <(run plain)
read -r secure secureacc securerounds split < <(run secure --secure-aggregation secagg+ --secagg-neighbours "$neighbours")
params=$(( features * 64 + 64 + 64 * 32 + 32 + 32 * 2 + 2 ))
python3 - "$clients" "$params" "$neighbours" "$plain" "$secure" "$plainacc" "$secureacc" "$plainrounds" "$securerounds" "$examples" "$split" <<'PY'
import sys
clients, params, neighbours = sys.argv[1], int(sys.argv[2]), sys.argv[3]
plain, secure, pacc, sacc = map(float, sys.argv[4:8])
print(f"{clients} clients x {params} parameters over gRPC with mutual TLS (loopback), {sys.argv[10]} examples and one local epoch per client, median of rounds 2..{sys.argv[8]}")
print(f"plain FedAvg round        {plain*1e3:8.0f} ms   test acc after the last round {pacc:.3f}")
print(f"SecAgg+ round (k={neighbours})       {secure*1e3:8.0f} ms   test acc after the last round {sacc:.3f}")
print(f"ratio SecAgg+ / plain     {secure/plain:8.2f}x   (target: within 1.5x)")
print(f"SecAgg+ phases, median ms (from the round's opening; advertising and sharing overlap training): {sys.argv[11]}")
PY
