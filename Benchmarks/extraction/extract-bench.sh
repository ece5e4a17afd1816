#!/usr/bin/env bash
# Model extraction on Fashion-MNIST, Bulwark against ART 1.20 on the same victim, query set and
# substitute architecture. The victim is a cnn Bulwark trains on the first 50 000 training images
# (3 epochs); the attacker's query set is the last QUERIES training images (default 10 000), which the
# victim never saw; the substitute is the same cnn, Adam 1e-3, batch 64, EPOCHS epochs (default 10).
# ART loads the victim's safetensors weights into the identical torch cnn (+ softmax). Prints each
# attack's fidelity (label agreement with the victim on the 10 000 test images), accuracy, and the
# attack's wall time with the Bulwark ÷ ART ratio (Bulwark's is the extract command's own measure:
# querying and training, not process start or file I/O).
#   Benchmarks/extraction/extract-bench.sh     (venv: $BULWARK_VENV, made by Benchmarks/setup-venv.sh)
#   BULWARK=path/to/bulwark uses that binary instead of building the release CLI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
venv="${BULWARK_VENV:-$("$root/Benchmarks/setup-venv.sh" adversarial-robustness-toolbox==1.20.1 | tail -n 1)}"
if [ -z "${BULWARK:-}" ]; then
    (cd "$root" && swift build -c release --product bulwark >&2)
    BULWARK="$root/.build/release/bulwark"
fi
queries="${QUERIES:-10000}"; epochs="${EPOCHS:-10}"
pin=(); command -v taskset >/dev/null && pin=(taskset -c 0,1)
export BULWARK_THREADS=2
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$venv/bin/python" - "$work" "$queries" <<'PY'
import gzip, sys, numpy as np
d, w, q = "/usr/share/datasets/fashion-mnist/", sys.argv[1], int(sys.argv[2])
def read(name, offset):
    with gzip.open(d + name) as f: return np.frombuffer(f.read(), np.uint8, offset=offset)
x = (read("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255).astype(np.float32)
y = read("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
np.save(f"{w}/x.npy", x[:50000]); np.save(f"{w}/y.npy", y[:50000])
np.save(f"{w}/pool.npy", x[60000 - q:])
np.save(f"{w}/xt.npy", (read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255).astype(np.float32))
np.save(f"{w}/yt.npy", read("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
PY
cut -d' ' -f1-3 /proc/loadavg > "$work/load.start"
echo "Bulwark: train the victim cnn (50 000 images, 3 epochs)" >&2
"${pin[@]}" "$BULWARK" train --model cnn --data "$work/x.npy" --labels "$work/y.npy" --test-data "$work/xt.npy" --test-labels "$work/yt.npy" \
    --epochs 3 --seed 0 --out "$work/victim.safetensors" --quiet --json > "$work/victim.json"
for attack in copycat knockoff; do
    echo "Bulwark: extract --attack $attack, $queries queries" >&2
    "${pin[@]}" "$BULWARK" extract --victim "$work/victim.safetensors" --attack "$attack" --query-data "$work/pool.npy" \
        --test-data "$work/xt.npy" --test-labels "$work/yt.npy" --queries "$queries" --arch cnn --epochs "$epochs" --batch-size 64 \
        --seed 0 --out "$work/$attack.safetensors" --quiet --json > "$work/$attack.json"
done
echo "ART 1.20: CopycatCNN, KnockoffNets (random) on the same victim and query set" >&2
"${pin[@]}" "$venv/bin/python" "$here/art_extract.py" --work "$work" --epochs "$epochs" --batch 64 > "$work/art.json"
cut -d' ' -f1-3 /proc/loadavg > "$work/load.end"
"$venv/bin/python" - "$work" <<'PY'
import json, sys
w = sys.argv[1]
art = json.load(open(f"{w}/art.json"))
load = lambda x: open(f"{w}/load.{x}").read().strip()
print(f"Extraction, Fashion-MNIST cnn victim (test accuracy {art['victim_accuracy']:.4f}), {art['queries']} queries; "
      f"load average {load('start')} at start, {load('end')} at end")
print(f"{'':<22}{'fidelity':>10}{'accuracy':>10}{'seconds':>10}")
for attack in ("copycat", "knockoff"):
    b = json.load(open(f"{w}/{attack}.json"))["report"]
    r = art[attack]
    print(f"{attack + ' Bulwark':<22}{b['fidelity']:>10.4f}{b['accuracy']:>10.4f}{b['seconds']:>10.2f}")
    print(f"{attack + ' ART':<22}{r['fidelity']:>10.4f}{r['accuracy']:>10.4f}{r['seconds']:>10.2f}")
    print(f"{attack + ' Δfidelity, ratio':<22}{100 * (b['fidelity'] - r['fidelity']):>+9.2f}p{'':>10}{b['seconds'] / r['seconds']:>10.2f}")
print("Δfidelity in points (Bulwark − ART); ratio = Bulwark ÷ ART time (< 1: Bulwark faster; the target is ≤ 0.5)")
PY
