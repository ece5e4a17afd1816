#!/usr/bin/env bash
# Issue 20's serving benchmark: Open Inference Protocol (KServe v2 REST, JSON tensors) inference
# on one ONNX model, the FastAPI + onnxruntime app a user would write (peer_app.py, uvicorn with 2
# worker processes) against Bulwark's gateway (`bulwark serve`), the same model, the same request
# bodies, the same load, in one run. Target: Bulwark ≥ 2× the throughput at an equal or lower p99.
#
#   Benchmarks/gateway/gateway-bench.sh [--rounds N] [--duration S] [--warmup S] [--connections C]
#                                       [--threads T] [--batches "1 8"] [--pin] [--peer-only] [--out FILE]
#   BULWARK_BIN=.build/release/bulwark Benchmarks/gateway/gateway-bench.sh     the peer and Bulwark
#
# Every server is started first and stays up; then, round after round, each batch size is sent
# to each server in turn: a 3 s unmeasured warm-up, then wrk -t2 -c32 -d10s --latency. Defaults:
# 3 rounds, batches of 1 and 8 Fashion-MNIST images. The table gives each server's median over
# the rounds (and every round's requests/s): on a shared VM whose speed drifts by a fifth or more
# within minutes, measuring each server once, one after the other, let the drift decide the
# ratio (the same binaries measured 1.5× to 2.4× the peer at batch 1 from one run to the next);
# interleaved rounds expose every server to the same drift. The table goes to stdout and to
# Benchmarks/gateway/gateway-bench-output.txt (--out FILE elsewhere).
#
# Builds nothing but the model: when .build/gateway-bench/model.onnx (or $GATEWAY_BENCH_DIR) is
# missing it runs make-model.sh (one epoch of training, a minute or two). It makes the gateway venv
# (Benchmarks/setup-venv.sh --gateway) when missing and installs wrk (Debian) when missing and root.
# Bulwark is measured only when $BULWARK_BIN names a binary (build it yourself, release:
# swift build -c release --product bulwark); how it is started is the function start_bulwark below.
#
# Every server is first checked with scripts/check-oip (NVIDIA's stock tritonclient.http client:
# health, model readiness, metadata, 8 single and one batched inference with correct answers); a
# server that fails it is not measured. Every request carries "Authorization: Bearer $token" (the
# peer ignores it). wrk counts an answer other than 200 with "outputs" in its body as an error.
#
# CPU: by default servers and wrk share the machine's CPUs (the peer's two workers need two);
# --pin puts the server on the last CPU and wrk on CPU 0. Each runs in its own session (scheduler
# autogroup) at nice $BENCH_NICE (default -20 as root), so other work on the machine takes less of
# the benchmark's time; the load average before each server's runs is recorded.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds=3; duration=10; warmup=3; connections=32; threads=2; batches="1 8"; pin=0; peer_only=0
out="$here/gateway-bench-output.txt"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --batches) batches="$2"; shift 2 ;;
        --pin) pin=1; shift ;;
        --peer-only) peer_only=1; shift ;;
        --out) out="$2"; shift 2 ;;
        *) echo "gateway-bench: unknown option $1" >&2; exit 2 ;;
    esac
done

if ! command -v wrk >/dev/null; then
    echo "gateway-bench: installing wrk (Debian package)" >&2
    apt-get install -y -qq wrk >&2
fi
venv="$("$root/Benchmarks/setup-venv.sh" --gateway | tail -1)"
py="$venv/bin/python"
bench_dir="${GATEWAY_BENCH_DIR:-$root/.build/gateway-bench}"
model_path="$bench_dir/model.onnx"
model="fashion-cnn"
if [ ! -f "$model_path" ] || [ ! -f "$bench_dir/body-8.json" ]; then
    "$here/make-model.sh" "$bench_dir" > /dev/null
fi
if [ -n "${BULWARK_BIN:-}" ] && [ "$peer_only" = 0 ]; then
    [ -x "$BULWARK_BIN" ] || { echo "gateway-bench: BULWARK_BIN=$BULWARK_BIN is not an executable" >&2; exit 2; }
fi

work="$(mktemp -d)"
. "$here/server-process.sh"   # stop_server
# BENCH_KEEP=1 keeps the working directory (logs, raw wrk output) and names it at the end.
# Every started server's pid (its process group), stopped at the end.
started=()
stop_all() { for pid in "${started[@]}"; do server_pid="$pid"; stop_server; done; started=(); }
trap 'stop_all; if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "gateway-bench: kept $work" >&2; else rm -rf "$work"; fi' EXIT
mkdir -p "$work/results"

if [ "$pin" = 1 ] && [ "$(nproc)" -ge 2 ]; then
    server_cpu="$(( $(nproc) - 1 ))"
    on_server=(taskset -c "$server_cpu"); on_client=(taskset -c 0)
    pinning="server pinned to CPU $server_cpu, wrk to CPU 0 (taskset)"
else
    on_server=(); on_client=(); pinning="server and wrk share all $(nproc) CPUs (not pinned)"
fi
bench_nice="${BENCH_NICE:-$([ "$(id -u)" = 0 ] && echo -20 || echo 0)}"
boost=(sh -c '[ -w /proc/self/autogroup ] && echo "$0" > /proc/self/autogroup 2>/dev/null; exec "$@"' "$bench_nice")
on_server=(setsid "${boost[@]}" "${on_server[@]}" nice -n "$bench_nice")
on_client=(setsid -w "${boost[@]}" "${on_client[@]}" nice -n "$bench_nice")
pinning="$pinning, each in its own session (scheduler autogroup) at nice $bench_nice"
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() {   # BASE SECONDS LOG: the server's and the model's readiness
    for _ in $(seq "$(( $2 * 2 ))"); do
        curl -sf -o /dev/null "$1/v2/health/ready" && curl -sf -o /dev/null -H "Authorization: Bearer $bench_token" \
            "$1/v2/models/$model/ready" && return 0
        kill -0 "$server_pid" 2>/dev/null || { echo "gateway-bench: the server exited" >&2; tail -20 "$3" >&2; return 1; }
        sleep 0.5
    done
    echo "gateway-bench: $1 was not ready within $2 s" >&2; tail -20 "$3" >&2; return 1
}
header="$work/header.txt"
note() { echo "$*" | tee -a "$header" >&2; }

# check NAME BASE TOKEN: scripts/check-oip; a server that passes joins the rounds.
servers=()
declare -A base_of token_of
check() {
    local name="$1" base="$2" token="$3"
    if ! "$root/scripts/check-oip" "$base" "$model" "$token" > "$work/$name.check-oip.txt" 2>&1; then
        note "$name: scripts/check-oip FAILED, not measured: $(tail -1 "$work/$name.check-oip.txt")"
        return 0
    fi
    note "$name: scripts/check-oip passed"
    servers+=("$name"); base_of[$name]="$base"; token_of[$name]="$token"
}

# run_once NAME BATCH ROUND: a warm-up and a measured wrk run.
run_once() {
    local name="$1" batch="$2" round="$3" base="${base_of[$1]}" token="${token_of[$1]}"
    BENCH_BODY="$bench_dir/body-$batch.json" BENCH_TOKEN="$token" \
        "${on_client[@]}" wrk -t"$threads" -c"$connections" -d"${warmup}s" --timeout 10s \
        -s "$here/infer.lua" "$base/v2/models/$model/infer" > /dev/null
    echo "gateway-bench: round $round, $name, batch $batch" >&2
    BENCH_BODY="$bench_dir/body-$batch.json" BENCH_TOKEN="$token" BENCH_RESULT="$work/results/$name.b$batch.r$round.json" \
        "${on_client[@]}" wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s --latency \
        -s "$here/infer.lua" "$base/v2/models/$model/infer" > "$work/results/$name.b$batch.r$round.wrk.txt"
}

note "gateway benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
note "model: $(basename "$model_path") (make-model.sh: Fashion-MNIST CNN, 162,710 parameters), $(stat -c %s "$model_path") bytes, sha256 $(sha256sum "$model_path" | cut -c1-16)…; served as '$model'"
note "bodies: KServe v2 JSON, FP32 [N,1,28,28]: batch 1 $(stat -c %s "$bench_dir/body-1.json") bytes, batch 8 $(stat -c %s "$bench_dir/body-8.json") bytes"
note "load: $rounds rounds; in each, per batch size, every server in turn: ${warmup}s unmeasured warm-up, then wrk -t$threads -c$connections -d${duration}s --latency, POST /v2/models/$model/infer with Authorization: Bearer; all servers up throughout (idle ones wait); $pinning"

# --- the peer: FastAPI + onnxruntime under uvicorn, 2 worker processes ----------------------------
bench_token="${BULWARK_TOKEN:-peer-ignores-this-token}"
port="$(free_port)"
echo "gateway-bench: starting the FastAPI peer" >&2
PEER_MODEL="$model_path" PEER_MODEL_NAME="$model" "${on_server[@]}" "$venv/bin/uvicorn" peer_app:app \
    --app-dir "$here" --workers 2 --host 127.0.0.1 --port "$port" --loop uvloop --http httptools \
    --no-access-log --log-level warning > "$work/peer.log" 2>&1 < /dev/null &
server_pid=$!
started+=("$server_pid")
wait_ready "http://127.0.0.1:$port" 120 "$work/peer.log"
workers="$(pgrep -g "$server_pid" -f 'spawn_main' | wc -l)"
versions="$("$py" -c 'import fastapi, uvicorn, onnxruntime, numpy; print(f"FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__} (uvloop, httptools), onnxruntime {onnxruntime.__version__}, numpy {numpy.__version__}")')"
note "peer: peer_app.py, $versions; uvicorn --workers 2 ($workers worker processes running), no access log, one InferenceSession per worker, 1 intra-op thread each"
check peer "http://127.0.0.1:$port" "$bench_token"

# ==================================================================================================
# start_bulwark MODEL_PATH PORT LOG WORKDIR          >>> THE LEAD EDITS THIS FUNCTION <<<
# Starts the Bulwark gateway in the background, serving MODEL_PATH as model "$model" (version 1)
# over KServe v2 REST on http://127.0.0.1:PORT, every defence on, its output in LOG; WORKDIR is a
# scratch directory for its database, keys and registry. It must set:
#   server_pid    the pid of the started process: start it through "${on_server[@]}" (setsid) so
#                 that stop_server can end its whole process group
#   bench_token   the bearer token the load and check-oip send ("" for none)
#   bulwark_desc  one line for the report: the binary, the flags, which defences are on
# Until the lead fills in the real flags, $BULWARK_SERVE_ARGS may give the argument list after the
# binary, with {model}, {name} and {port} replaced (word-split, no quoting), and $BULWARK_TOKEN the
# token; otherwise the placeholder line below is tried.
# ==================================================================================================
start_bulwark() {
    local model_path="$1" port="$2" log="$3" workdir="$4"
    shift 4
    # The model goes through the real control plane first: accounts, a registered publisher key, a
    # signed push through the registry's gates (scripts/seed-serving); the gateway then serves the
    # staged version 1, and the load uses the publisher service account's API token.
    if [ ! -f "$workdir/serve-args" ]; then
        "$root/scripts/seed-serving" "$BULWARK_BIN" "$workdir" "$model_path" "$model" >&2
    fi
    # --no-access-log: the peer runs uvicorn with --no-access-log; neither writes a line per request.
    local argv=(serve --insecure-http --host 127.0.0.1 --port "$port" --no-access-log)
    mapfile -t -O "${#argv[@]}" argv < "$workdir/serve-args"
    argv+=("$@")
    bench_token="$(cat "$workdir/token")"
    "${on_server[@]}" "$BULWARK_BIN" "${argv[@]}" > "$log" 2>&1 < /dev/null &
    server_pid=$!
    bulwark_desc="$BULWARK_BIN ${argv[*]}"
}

# The Bulwark configurations measured: a name, then the extra `bulwark serve` flags. "bulwark" has
# every defence off (identity, policy and validation stay on: they are not optional); the
# defended one turns on everything the gateway has: per-client and per-model token buckets and a
# quota (limits set above the load so they cost their check but refuse nothing), feature
# squeezing (flag), labels-free hardening (rounding), PRADA and coverage per client (escalation
# capped at "alerted", since the whole load comes from one client repeating one image, which an
# extraction detector rightly calls abnormal), and drift monitoring with MMD embeddings.
make_defended_inputs() {
    local dir="$1"
    [ -f "$dir/x_cal.npy" ] || "$py" "$here/make_reference.py" "$dir" >&2
    [ -f "$dir/drift.json" ] || "$BULWARK_BIN" drift reference --model "$model_path" --data "$dir/x_ref.npy" --labels "$dir/y_ref.npy" \
        --name "$model" --out "$dir/drift.json" >&2
    cat > "$dir/defences.json" <<'JSON'
{"defaults": {"detectors": [{"kind": "featureSqueezing", "falsePositiveRate": 0.05, "action": "flag"}],
              "hardening": "round=3",
              "extraction": {"prada": true, "coverage": true,
                             "escalation": {"alertAfter": 1, "throttleAfter": 1000000000, "blockAfter": 1000000000}}}}
JSON
}
bulwark_configs=(
    "bulwark|"
    "bulwark-defended|--rate-limit 1000000:1000000 --model-rate-limit 1000000:1000000 --quota 1000000000/day --defences DEF --calibration-data DEFDIR/x_cal.npy --calibration-labels DEFDIR/y_cal.npy --drift-reference fashion-cnn=DEFDIR/drift.json"
)

# --- Bulwark ----------------------------------------------------------------------------------------
if [ -n "${BULWARK_BIN:-}" ] && [ "$peer_only" = 0 ]; then
    make_defended_inputs "$bench_dir"
    for config in "${bulwark_configs[@]}"; do
        label="${config%%|*}"
        line="${config#*|}"
        line="${line//DEFDIR/$bench_dir}"; line="${line//DEF/$bench_dir/defences.json}"
        read -r -a extra <<< "$line"
        port="$(free_port)"
        echo "gateway-bench: starting bulwark serve ($label)" >&2
        # Each configuration its own control plane (database, keys, token): the two processes
        # share no SQLite file.
        mkdir -p "$work/$label"
        start_bulwark "$model_path" "$port" "$work/$label.log" "$work/$label" "${extra[@]}"
        started+=("$server_pid")
        if wait_ready "http://127.0.0.1:$port" 120 "$work/$label.log"; then
            note "$label: $bulwark_desc"
            check "$label" "http://127.0.0.1:$port" "$bench_token"
        else
            note "$label: did not become ready, not measured: $(tail -1 "$work/$label.log")"
        fi
    done
else
    note "bulwark: not measured (BULWARK_BIN unset or --peer-only)"
fi

note "load average before the rounds: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    for batch in $batches; do
        for name in "${servers[@]}"; do run_once "$name" "$batch" "$round"; done
    done
done
stop_all

"$py" "$here/report.py" "$work/results" "$header" | tee "$out"
