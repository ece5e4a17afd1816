#!/usr/bin/env bash
# dpsgd_vs_opacus.sh without the release CLI: the library's DP-SGD and plain epochs (dpsgd-bench,
# built by the benchmark package, much less to compile than the whole CLI) against Opacus in ghost
# mode, same data, same settings, same 2 cores, alternating over ROUNDS rounds (default 2); each
# figure is the fastest of its rounds. Ratios are Bulwark ÷ peer time (< 1: Bulwark faster).
#   Benchmarks/privacy/dpsgd-bench.sh           (venv: $BULWARK_VENV, made by Benchmarks/setup-venv.sh)
#   DPSGD_BENCH=path/to/dpsgd-bench uses that binary instead of building it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
venv="${BULWARK_VENV:-$("$root/Benchmarks/setup-venv.sh" opacus | tail -n 1)}"
if [ -z "${DPSGD_BENCH:-}" ]; then
    (cd "$root/Benchmarks" && swift build -c release --product dpsgd-bench >&2)
    DPSGD_BENCH="$root/Benchmarks/.build/release/dpsgd-bench"
fi
rounds="${ROUNDS:-2}"
pin=(); command -v taskset >/dev/null && pin=(taskset -c 0,1)
export BULWARK_THREADS=2
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cut -d' ' -f1-3 /proc/loadavg > "$work/load.start"
for r in $(seq "$rounds"); do
    for arch in mlp cnn; do
        echo "round $r/$rounds $arch: Bulwark plain + DP-SGD, Opacus ghost" >&2
        "${pin[@]}" "$DPSGD_BENCH" --arch "$arch" > "$work/$arch.bulwark.$r.json"
        "${pin[@]}" "$venv/bin/python" "$here/opacus_epoch.py" --arch "$arch" --mode ghost --threads 2 > "$work/$arch.ghost.$r.json"
    done
done
cut -d' ' -f1-3 /proc/loadavg > "$work/load.end"
"$venv/bin/python" - "$work" "$rounds" <<'PY'
import json, sys
work, rounds = sys.argv[1], int(sys.argv[2])
load = lambda w: open(f"{work}/load.{w}").read().strip()
print(f"fastest of {rounds} alternating rounds, one full epoch per run; load average {load('start')} at start, {load('end')} at end")
print(f"{'model':<6}{'Bulwark DP':>12}{'Opacus ghost':>14}{'ratio':>8}{'Bulwark plain':>15}{'DP overhead':>13}")
for arch in ("mlp", "cnn"):
    b = [json.load(open(f"{work}/{arch}.bulwark.{r}.json")) for r in range(1, rounds + 1)]
    g = [json.load(open(f"{work}/{arch}.ghost.{r}.json"))["seconds_per_epoch"] for r in range(1, rounds + 1)]
    dp, plain, ghost = min(x[f"{arch}_dp_s"] for x in b), min(x[f"{arch}_plain_s"] for x in b), min(g)
    print(f"{arch:<6}{dp:>11.2f}s{ghost:>13.2f}s{dp / ghost:>8.2f}{plain:>14.2f}s{dp / plain:>12.2f}×")
print("ratio = Bulwark ÷ Opacus-ghost time; DP overhead = Bulwark DP-SGD epoch ÷ Bulwark plain epoch (batch 256)")
PY
