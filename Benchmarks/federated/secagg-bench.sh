#!/usr/bin/env bash
# One SecAgg+ round (Bulwark) vs a plain round of the same inputs, and Flower's own SecAgg+ round vs
# its plain round in its simulation engine, for the same clients and parameters, in one run.
#
# Usage: Benchmarks/federated/secagg-bench.sh [CLIENTS=5] [PARAMETERS=100000] [REPEATS=5] [NEIGHBOURS=2] [THRESHOLD=2]
#
# SecAgg+ parameters match on both sides: each client has NEIGHBOURS neighbours and keeps one share
# itself (Flower's num_shares = NEIGHBOURS + 1), THRESHOLD shares reconstruct a secret. Bulwark's
# round runs every client and the server in one process with every message through JSON
# (secagg-swift/main.swift); Flower's runs its stock ServerApp/ClientApp with SecAggPlusWorkflow and
# secaggplus_mod on Ray (secagg_flower_bench.py), the fit round timed inside the ServerApp. Medians
# of REPEATS rounds after one warm-up round on both sides. Bulwark also times the two rounds in memory
# (messages handed over as values, no encoding), to show the cost of the protocol alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$here/../.."
clients="${1:-5}"; parameters="${2:-100000}"; repeats="${3:-5}"; neighbours="${4:-2}"; threshold="${5:-2}"
venv="$("$root/Benchmarks/setup-venv.sh" --flower | tail -n 1)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

(cd "$root/Benchmarks" && swift build -c release --product secagg-bench >/dev/null)
read -r plain secagg dropout error bytes chacha mplain msecagg < <("$root/Benchmarks/.build/release/secagg-bench" "$clients" "$parameters" "$repeats" "$neighbours" "$threshold")

(cd "$tmp" && "$venv/bin/python" "$here/secagg_flower_bench.py" "$clients" "$parameters" "$repeats" "$tmp/flower.json" \
    "$((neighbours + 1))" "$threshold" >"$tmp/flower.log" 2>&1) || { tail -n 20 "$tmp/flower.log" >&2; exit 1; }

python3 - "$tmp/flower.json" "$clients" "$parameters" "$plain" "$secagg" "$dropout" "$error" "$bytes" "$neighbours" "$threshold" "$chacha" "$mplain" "$msecagg" <<'PY'
import json, statistics, sys
flower = json.load(open(sys.argv[1]))
clients, parameters = int(sys.argv[2]), int(sys.argv[3])
plain, secagg, dropout, error, size = map(float, sys.argv[4:9])
neighbours, threshold, chacha = sys.argv[9], sys.argv[10], float(sys.argv[11])
mplain, msecagg = float(sys.argv[12]), float(sys.argv[13])
fplain, fsec = statistics.median(flower["plain"]), statistics.median(flower["secaggplus"])
print(f"{clients} clients x {parameters} parameters, SecAgg+ with {neighbours} neighbours, threshold {threshold}")
print(f"Bulwark plain round      {plain*1e3:9.1f} ms   (every message through JSON, as in the simulation)")
print(f"Bulwark SecAgg+ round    {secagg*1e3:9.1f} ms   ratio to plain {secagg/plain:6.2f}x   "
      f"max |secure - plain| {error:.2e}, {size/1e3:.0f} kB sent per client (JSON)")
print(f"Bulwark SecAgg+, 1 drop  {dropout*1e3:9.1f} ms   ratio to plain {dropout/plain:6.2f}x")
print(f"Bulwark in memory: plain sum {mplain*1e3:.2f} ms, SecAgg+ round {msecagg*1e3:.1f} ms (messages as values, no encoding), "
      f"ratio {msecagg/mplain:.1f}x")
print(f"Flower plain round       {fplain*1e3:9.1f} ms   (simulation engine, fit round only)")
print(f"Flower SecAgg+ round     {fsec*1e3:9.1f} ms   ratio to plain {fsec/fplain:6.2f}x   "
      f"max |SecAgg+ - plain| of the mean {flower['max_abs_error']:.2e}")
print(f"Bulwark ChaCha20 keystream {chacha:.0f} MB/s")
print(f"Bulwark SecAgg+ / Flower SecAgg+ time {secagg/fsec:.3f}   (< 1: Bulwark faster)")
PY
