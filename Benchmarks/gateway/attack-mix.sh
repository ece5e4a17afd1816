#!/usr/bin/env bash
# Issue 20's attack mix: one `bulwark serve` with every in-line defence on, 20 benign clients, a
# Knockoff extraction client and a PGD client at once, each client its own service account (so
# its own identity for rate limits and extraction detection). Targets: the extraction client is
# throttled before 10 % of its planned queries; benign clients see at most 1 % errors.
#
#   BULWARK_BIN=.build/release/bulwark Benchmarks/gateway/attack-mix.sh [--planned N] [--benign N]
#       [--benign-queries N] [--benign-rate R] [--rate-limit R:B] [--throttled-rate-limit R:B] [--out FILE]
#
# Steps: the benchmark CNN (make-model.sh, when .build/gateway-bench/model.onnx is missing; torch
# from Benchmarks/setup-venv.sh), calibration and drift references (make_reference.py: test images
# 1000..1999), PGD examples (make_pgd.py: ε = 0.1, 20 steps, test images 9000..9399), a control
# plane seeded with the CLI only (scripts/seed-serving) plus one publisher service account and token
# per client, then `bulwark serve` with the defences below and attack_mix.py (the load generator,
# in the gateway venv). Prints the timeline and the summary, and writes them with the run's
# settings to Benchmarks/gateway/attack-mix-output.txt (--out FILE elsewhere).
#
# BULWARK_BIN defaults to .build/release/bulwark, else .build/debug/bulwark (the figures that
# matter here are query indices and error rates, not throughput; the output names the binary).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
planned=2000; benign=20; benign_queries=150; benign_rate=4; rate_limit="100:100"; throttled="2:2"
out="$here/attack-mix-output.txt"
while [ $# -gt 0 ]; do
    case "$1" in
        --planned) planned="$2"; shift 2 ;;
        --benign) benign="$2"; shift 2 ;;
        --benign-queries) benign_queries="$2"; shift 2 ;;
        --benign-rate) benign_rate="$2"; shift 2 ;;
        --rate-limit) rate_limit="$2"; shift 2 ;;
        --throttled-rate-limit) throttled="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "attack-mix: unknown option $1" >&2; exit 2 ;;
    esac
done
bin="${BULWARK_BIN:-}"
if [ -z "$bin" ]; then
    for b in "$root/.build/release/bulwark" "$root/.build/debug/bulwark"; do [ -x "$b" ] && { bin="$b"; break; }; done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "attack-mix: no bulwark binary (set BULWARK_BIN or: swift build -c release --product bulwark)" >&2; exit 2; }

gateway_venv="$("$root/Benchmarks/setup-venv.sh" --gateway | tail -1)"
py="$gateway_venv/bin/python"
bench_dir="${GATEWAY_BENCH_DIR:-$root/.build/gateway-bench}"
model_path="$bench_dir/model.onnx"
model="fashion-cnn"
[ -f "$model_path" ] || "$here/make-model.sh" "$bench_dir" > /dev/null
[ -f "$bench_dir/x_cal.npy" ] || "$py" "$here/make_reference.py" "$bench_dir" >&2
if [ ! -f "$bench_dir/pgd.npy" ]; then
    torch_python="${TORCH_PYTHON:-$("$root/Benchmarks/setup-venv.sh" | tail -1)/bin/python}"
    "$torch_python" "$here/make_pgd.py" "$model_path" "$bench_dir/pgd.npy" > "$bench_dir/pgd.txt"
fi

work="$(mktemp -d)"
. "$here/server-process.sh"   # stop_server
trap 'stop_server; if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "attack-mix: kept $work" >&2; else rm -rf "$work"; fi' EXIT

"$root/scripts/seed-serving" "$bin" "$work" "$model_path" "$model"
db="$work/bulwark.db"
: > "$work/tokens"
for i in $(seq 1 $(( benign + 2 ))); do
    "$bin" admin service-account add --database "$db" --name "mix-$i" --role publisher --team platform > /dev/null
    "$bin" admin token issue --database "$db" --service-account "mix-$i" --scope '*' --expires-in 2h 2> /dev/null >> "$work/tokens"
done

cat > "$work/defences.json" <<'JSON'
{"defaults": {"detectors": [{"kind": "featureSqueezing", "falsePositiveRate": 0.05, "action": "flag"}],
              "hardening": "round=2",
              "extraction": {"prada": true, "coverage": true}}}
JSON
port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
argv=(serve --insecure-http --host 127.0.0.1 --port "$port")
mapfile -t -O "${#argv[@]}" argv < "$work/serve-args"
argv+=(--rate-limit "$rate_limit" --throttled-rate-limit "$throttled" --defences "$work/defences.json"
       --calibration-data "$bench_dir/x_cal.npy" --calibration-labels "$bench_dir/y_cal.npy")
setsid "$bin" "${argv[@]}" > "$work/serve.log" 2>&1 < /dev/null &
server_pid=$!
base="http://127.0.0.1:$port"
token="$(head -1 "$work/tokens")"
for _ in $(seq 240); do
    curl -sf -o /dev/null -H "Authorization: Bearer $token" "$base/v2/models/$model/ready" && break
    kill -0 "$server_pid" 2>/dev/null || { echo "attack-mix: the server exited: $(tail -3 "$work/serve.log")" >&2; exit 1; }
    sleep 0.5
done
curl -sf -o /dev/null -H "Authorization: Bearer $token" "$base/v2/models/$model/ready" || { echo "attack-mix: the model was not ready in 120 s" >&2; exit 1; }

{
    echo "attack mix, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "server: $(basename "$(dirname "$bin")")/bulwark serve --rate-limit $rate_limit --throttled-rate-limit $throttled --defences defences.json (feature squeezing flag at 5 % FPR, round=2, PRADA + coverage with the default escalation) --calibration-data x_cal.npy (500 test images)"
    echo "model: $(basename "$model_path") (make-model.sh CNN), sha256 $(sha256sum "$model_path" | cut -c1-16)…; PGD examples: $(cat "$bench_dir/pgd.txt")"
    echo
    "$py" "$here/attack_mix.py" "$base" "$model" "$work/tokens" "$bench_dir/pgd.npy" --benign "$benign" \
        --benign-queries "$benign_queries" --benign-rate "$benign_rate" --planned "$planned"
    echo
    echo "server metrics (extraction standings, detections, outcomes):"
    ops="$("$bin" admin token issue --database "$db" --service-account ops --scope '*' --expires-in 1h 2> /dev/null)"
    curl -s -H "Authorization: Bearer $ops" "$base/metrics" | grep -E '^bulwark_(extraction_standing|detections|inference_requests)_total' || true
    echo
    echo "clients whose peak standing is above normal (GET /api/v1/monitoring, top clients by queries; $benign_queries queries = a benign client, 400 = the PGD client):"
    curl -s -H "Authorization: Bearer $ops" "$base/api/v1/monitoring" | "$py" -c '
import json, sys
for m in json.load(sys.stdin).get("models", []):
    shown = m.get("topClients", [])
    for c in shown:
        if c.get("peakLevel", "normal") != "normal":
            cause = c.get("cause") or {}
            print("  {} queries: now {}, peak {}; last cause {} {} {} {} {} at query {}".format(
                c.get("queries"), c.get("level"), c.get("peakLevel"), cause.get("detector", "-"), cause.get("statistic", ""),
                cause.get("value", ""), cause.get("direction", ""), cause.get("threshold", ""), cause.get("clientQueryIndex", "")))
    print("  ({} clients listed for {})".format(len(shown), m.get("name")))
' || true
} | tee "$out"
