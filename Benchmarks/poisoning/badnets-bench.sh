#!/usr/bin/env bash
# BadNets on Fashion-MNIST, Bulwark against ART 1.20 on the same data, trigger (4×4 white patch,
# bottom-right), poisoned rows (Bulwark's poison_indices.npy, 10 % of the non-target examples,
# target class 0) and architecture (cnn, Adam 1e-3, batch 128, 3 epochs). Prints clean accuracy
# and attack success rate (triggered non-target test images classified as the target) of a clean and
# a poisoned model on each side, ART's poison against Bulwark's, and Bulwark ÷ ART times.
#   Benchmarks/poisoning/badnets-bench.sh     (venv: $BULWARK_VENV, made by Benchmarks/setup-venv.sh)
#   BULWARK=path/to/bulwark uses that binary instead of building the release CLI.
#   RATE (default 0.1), PATCH (default 4), EPOCHS (default 3) change the run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
venv="${BULWARK_VENV:-$("$root/Benchmarks/setup-venv.sh" adversarial-robustness-toolbox==1.20.1 | tail -n 1)}"
if [ -z "${BULWARK:-}" ]; then
    (cd "$root" && swift build -c release --product bulwark >&2)
    BULWARK="$root/.build/release/bulwark"
fi
rate="${RATE:-0.1}"; patch="${PATCH:-4}"; epochs="${EPOCHS:-3}"; target=0
pin=(); command -v taskset >/dev/null && pin=(taskset -c 0,1)
export BULWARK_THREADS=2
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$venv/bin/python" - "$work" <<'PY'
import gzip, sys, numpy as np
d, w = "/usr/share/datasets/fashion-mnist/", sys.argv[1]
def read(name, offset):
    with gzip.open(d + name) as f: return np.frombuffer(f.read(), np.uint8, offset=offset)
np.save(f"{w}/x.npy", (read("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255).astype(np.float32))
np.save(f"{w}/y.npy", read("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
np.save(f"{w}/xt.npy", (read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255).astype(np.float32))
np.save(f"{w}/yt.npy", read("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
PY
cut -d' ' -f1-3 /proc/loadavg > "$work/load.start"
now() { date +%s.%N; }
echo "Bulwark: poison, train clean and poisoned cnn" >&2
t0=$(now)
"${pin[@]}" "$BULWARK" poison --attack badnets --data "$work/x.npy" --labels "$work/y.npy" --target-class $target --rate "$rate" \
    --patch-size "$patch" --patch-position bottom-right --pattern white --seed 1 --out "$work/bulwark" --json > "$work/poison.json"
t1=$(now)
"${pin[@]}" "$BULWARK" poison --attack badnets --data "$work/xt.npy" --labels "$work/yt.npy" --target-class $target --rate 1 \
    --patch-size "$patch" --patch-position bottom-right --pattern white --seed 1 --out "$work/triggered" --json > /dev/null
for m in clean poisoned; do
    if [ $m = clean ]; then data=("$work/x.npy" "$work/y.npy"); else data=("$work/bulwark/x.npy" "$work/bulwark/y.npy"); fi
    s=$(now)
    "${pin[@]}" "$BULWARK" train --model cnn --data "${data[0]}" --labels "${data[1]}" --test-data "$work/xt.npy" --test-labels "$work/yt.npy" \
        --epochs "$epochs" --seed 0 --out "$work/$m.safetensors" --quiet --json > "$work/train-$m.json"
    awk "BEGIN { print $(now) - $s }" > "$work/$m.seconds"
    "$BULWARK" predict --model "$work/$m.safetensors" --data "$work/xt.npy" --out "$work/$m-clean-logits.npy" > /dev/null
    "$BULWARK" predict --model "$work/$m.safetensors" --data "$work/triggered/x.npy" --out "$work/$m-triggered-logits.npy" > /dev/null
done
awk "BEGIN { print $t1 - $t0 }" > "$work/poison.seconds"
echo "ART 1.20: PoisoningAttackBackdoor on the same rows, torch cnn clean and poisoned" >&2
"${pin[@]}" "$venv/bin/python" "$here/art_badnets.py" --work "$work" --patch "$patch" --target $target --epochs "$epochs" > "$work/art.json"
cut -d' ' -f1-3 /proc/loadavg > "$work/load.end"
"$venv/bin/python" - "$work" "$target" <<'PY'
import json, sys, numpy as np
w, target = sys.argv[1], int(sys.argv[2])
art = json.load(open(f"{w}/art.json"))
yt = np.load(f"{w}/yt.npy"); idx = np.load(f"{w}/triggered/poison_indices.npy")
sec = lambda n: float(open(f"{w}/{n}.seconds").read())
b = {}
for m in ("clean", "poisoned"):
    b[f"{m}_accuracy"] = float((np.load(f"{w}/{m}-clean-logits.npy").argmax(1) == yt).mean())
    b[f"{m}_asr"] = float((np.load(f"{w}/{m}-triggered-logits.npy")[idx].argmax(1) == target).mean())
    b[f"{m}_train_s"] = sec(m)
b["poison_s"] = sec("poison")
load = lambda x: open(f"{w}/load.{x}").read().strip()
print(f"BadNets, Fashion-MNIST cnn, {art['poisoned_rows']} poisoned rows; load average {load('start')} at start, {load('end')} at end")
print(f"ART poison vs Bulwark poison: max |Δx| {art['max_abs_diff_vs_bulwark_x']:.3g}, labels equal: {art['labels_equal_bulwark']}")
print(f"{'':<28}{'Bulwark':>10}{'ART':>10}{'ratio':>8}")
for k, label in (("clean_accuracy", "clean model: accuracy"), ("clean_asr", "clean model: attack success"),
                 ("poisoned_accuracy", "poisoned model: accuracy"), ("poisoned_asr", "poisoned model: attack success")):
    print(f"{label:<28}{b[k]:>10.4f}{art[k]:>10.4f}")
for k, label in (("poison_s", "poison time (s)"), ("clean_train_s", "train clean (s)"), ("poisoned_train_s", "train poisoned (s)")):
    print(f"{label:<28}{b[k]:>10.2f}{art[k]:>10.2f}{b[k] / art[k]:>8.2f}")
print("ratio = Bulwark ÷ ART time (< 1: Bulwark faster); Bulwark poison time includes process start and .npy I/O, ART's is the poison() call")
PY
