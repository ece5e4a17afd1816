#!/usr/bin/env bash
# DP-SGD epoch time, Bulwark vs Opacus in its fastest mode, same run, same data, same 2 cores.
# Zoo mlp and cnn on the 60,000 Fashion-MNIST training images, Poisson sampling at q = 256/60000
# (234 steps an epoch on both sides), C = 1, σ = 1, Adam lr 1e-3. Every figure is one FULL epoch
# (nothing extrapolated). Opacus runs with grad_sample_mode="ghost" (ghost clipping, the same trick
# Bulwark uses); with OPACUS_DEFAULT=1 (the default) it also runs once in its default mode
# ("hooks") for reference. Also prints Bulwark's DP overhead: DP-SGD epoch ÷ plain epoch (batch
# 256, same model). The tools alternate within each of ROUNDS rounds (default 3) so machine noise
# hits both, and each figure is the fastest of its rounds. Ratios are Bulwark ÷ peer time: < 1
# means Bulwark is faster.
#   Benchmarks/privacy/dpsgd_vs_opacus.sh     (venv: $BULWARK_VENV, made by Benchmarks/setup-venv.sh)
#   BULWARK=path/to/bulwark uses that binary instead of building the release CLI;
#   DPSGD_BENCH_WORK (default /tmp/bulwark-dpsgd-bench) keeps every run's raw JSON.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
venv="$("$root/Benchmarks/setup-venv.sh" opacus | tail -n 1)"
if [ -z "${BULWARK:-}" ]; then
    (cd "$root" && swift build -c release --product bulwark >&2)
    BULWARK="$root/.build/release/bulwark"
fi
rounds="${ROUNDS:-3}"
pin=(); command -v taskset >/dev/null && pin=(taskset -c 0,1)
export BULWARK_THREADS=2
work="${DPSGD_BENCH_WORK:-/tmp/bulwark-dpsgd-bench}"; rm -rf "$work"; mkdir -p "$work"
dp=(--dp --noise-multiplier 1 --max-grad-norm 1 --delta 1e-5)
cut -d' ' -f1-3 /proc/loadavg > "$work/load.start"
for r in $(seq "$rounds"); do
    for arch in mlp cnn; do
        echo "round $r/$rounds $arch: Bulwark plain, Bulwark DP-SGD, Opacus ghost" >&2
        "${pin[@]}" "$BULWARK" train --model "$arch" --batch-size 256 --epochs 1 --out "$work/p.safetensors" --json --quiet > "$work/$arch.plain.$r.json"
        "${pin[@]}" "$BULWARK" train --model "$arch" "${dp[@]}" --batch-size 256 --epochs 1 --out "$work/d.safetensors" --json --quiet > "$work/$arch.dp.$r.json"
        "${pin[@]}" "$venv/bin/python" "$here/opacus_epoch.py" --arch "$arch" --mode ghost --threads 2 > "$work/$arch.ghost.$r.json"
    done
done
if [ "${OPACUS_DEFAULT:-1}" != 0 ]; then
    for arch in mlp cnn; do
        echo "$arch: Opacus default (hooks), one round" >&2
        "${pin[@]}" "$venv/bin/python" "$here/opacus_epoch.py" --arch "$arch" --mode hooks --threads 2 > "$work/$arch.hooks.1.json"
    done
fi
cut -d' ' -f1-3 /proc/loadavg > "$work/load.end"
"$venv/bin/python" - "$work" "$rounds" <<'PY'
import glob, json, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def seconds(path):
    r = json.load(open(path))
    if "per_epoch" in r:  # `bulwark train --json`
        return sum(e["seconds"] for e in r["per_epoch"]) / len(r["per_epoch"])
    return r["seconds_per_epoch"]  # opacus_epoch.py
def best(arch, kind):
    runs = [seconds(p) for p in sorted(glob.glob(f"{work}/{arch}.{kind}.*.json"))]
    return (min(runs), runs) if runs else (None, [])
g = json.load(open(f"{work}/mlp.ghost.1.json"))
load = lambda w: open(f"{work}/load.{w}").read().strip()
print(f"Opacus {g['opacus']}, torch {g['torch']}; both on cores 0-1 with 2 threads; one full epoch per run "
      f"(234 steps at q = 256/60000); fastest of {rounds} alternating rounds (Opacus default: 1 run); "
      f"load average {load('start')} at start, {load('end')} at end")
print(f"{'model':<6}{'Bulwark DP':>12}{'Opacus ghost':>14}{'ratio':>8}{'Opacus default':>16}{'ratio':>8}"
      f"{'Bulwark plain':>15}{'DP overhead':>13}")
for arch in ("mlp", "cnn"):
    (b, br), (g, gr), (h, _), (p, _) = (best(arch, k) for k in ("dp", "ghost", "hooks", "plain"))
    hooks = f"{h:>15.2f}s{b / h:>8.2f}" if h else f"{'-':>16}{'-':>8}"
    print(f"{arch:<6}{b:>11.2f}s{g:>13.2f}s{b / g:>8.2f}{hooks}{p:>14.2f}s{b / p:>12.2f}×")
print("ratio = Bulwark ÷ peer time (< 1: Bulwark faster); DP overhead = Bulwark DP-SGD epoch ÷ Bulwark plain epoch")
print("every run, s: " + "; ".join(f"{a} {k} " + " ".join(f"{s:.2f}" for s in best(a, k)[1])
                                   for a in ("mlp", "cnn") for k in ("dp", "ghost", "plain", "hooks") if best(a, k)[1]))
PY
