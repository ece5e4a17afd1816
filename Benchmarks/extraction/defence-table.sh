#!/usr/bin/env bash
# Issue 18's defence table: every extraction attack against every output-hardening defence, with
# the defence's cost to honest users, PRADA's detection delay on each attack's queries, PRADA's
# false alarms on 10 benign users × 1 000 test images, and whether a watermark survives the theft.
#
#   BULWARK=.build/release/bulwark Benchmarks/extraction/defence-table.sh VICTIM.safetensors [WATERMARKED.safetensors WM.key]
#
# VICTIM: a Fashion-MNIST model (e.g. the cnn `bulwark assess` caches). The attacker's pool is
# test images 5 000–9 999, fidelity and honest-user cost are measured on test images 0–999
# (never queried). Substitute: mlp, 10 epochs, QUERIES queries (default 2 000) per run. PRADA's δ
# is calibrated on 10 benign users × 1 000 *training* images (disjoint from the test images of the
# benign streams it is then judged on). With a
# watermarked model and its key (bulwark watermark embed), copycat and knockoff steal it and the
# stolen copies are verified against the key.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
B="${BULWARK:-$root/.build/release/bulwark}"
victim="$1"; wm="${2:-}"; key="${3:-}"
queries="${QUERIES:-2000}"
python="${PYTHON:-$root/Benchmarks/.venv/bin/python}"
work="${WORK:-$(mktemp -d)}"; echo "work directory: $work" >&2
"$python" - "$work" <<'PY'
import gzip, sys, numpy as np
d, w = "/usr/share/datasets/fashion-mnist/", sys.argv[1]
def read(name, offset):
    with gzip.open(d + name) as f: return np.frombuffer(f.read(), np.uint8, offset=offset)
xt = (read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255).astype(np.float32)
yt = read("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
np.save(f"{w}/pool.npy", xt[5000:]); np.save(f"{w}/xt.npy", xt[:1000]); np.save(f"{w}/yt.npy", yt[:1000])
x = (read("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255).astype(np.float32)
np.save(f"{w}/train10k.npy", x[:10000])
rng = np.random.default_rng(0)
rows = rng.permutation(10000)            # 10 users, 1 000 distinct test images each, interleaved at random
clients = np.repeat(np.arange(10), 1000)[rng.permutation(10000)]
order = np.argsort(clients, kind="stable"); per_client = {c: list(rows[order][c * 1000:(c + 1) * 1000]) for c in range(10)}
queries = np.stack([xt[per_client[c].pop()] for c in clients])
np.save(f"{w}/benign.npy", queries); np.save(f"{w}/benign_clients.npy", clients.astype(np.int64))
PY
printf "%-10s %-22s %9s %9s %12s %12s %14s\n" attack defence fidelity accuracy honest-acc honest-ECE prada-alert
for attack in copycat knockoff jbda; do
    for defence in none labels top-k=1 round=1 reverse-sigmoid=1,0.1 noise=0.2; do
        harden=(); [ "$defence" = none ] || harden=(--harden "$defence")
        out="$work/$attack-${defence//[=,]/_}"
        if "$B" extract --victim "$victim" --attack "$attack" --query-data "$work/pool.npy" --test-data "$work/xt.npy" --test-labels "$work/yt.npy" \
            --queries "$queries" --arch mlp --epochs 10 --seed 0 "${harden[@]}" --monitor prada --benign "$work/train10k.npy" --out "$out.safetensors" --quiet --json > "$out.json" 2> "$out.err"; then
            "$python" - "$out.json" "$attack" "$defence" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); r = d["report"]; c = d.get("hardeningCost"); det = (d.get("detection") or [{}])[0]
alert = det.get("queriesUntilAlert")
print(f"{sys.argv[2]:10} {sys.argv[3]:22} {r['fidelity']:9.4f} {r['accuracy']:9.4f} "
      f"{(c['accuracyAfter'] if c else r['victimAccuracy']):12.4f} {(c['calibrationErrorAfter'] if c else float('nan')):12.4f} "
      f"{(str(alert) + '/' + str(r['queriesUsed'])) if alert else 'none/' + str(r['queriesUsed']):>14}")
PY
        else
            printf "%-10s %-22s refused: %s\n" "$attack" "$defence" "$(tail -n 1 "$out.err")"
        fi
    done
done
echo "== equivalent extraction against each defence (needs a one-hidden-layer ReLU victim; skipped unless MLP1=FILE.onnx HIDDEN=N)"
if [ -n "${MLP1:-}" ]; then
    for defence in none labels round=2 reverse-sigmoid=1,0.1 noise=0.2; do
        harden=(); [ "$defence" = none ] || harden=(--harden "$defence")
        out="$work/equivalent-${defence//[=,]/_}"
        if "$B" extract --victim "$MLP1" --attack equivalent --hidden "${HIDDEN:-32}" --query-data "$work/pool.npy" --test-data "$work/xt.npy" \
            --queries 1000000 "${harden[@]}" --out "$out.onnx" --quiet --json > "$out.json" 2> "$out.err"; then
            "$python" -c "import json,sys; r=json.load(open(sys.argv[1]))['report']; e=r['equivalent']; print(f\"equivalent {sys.argv[2]:22} fidelity {r['fidelity']:.4f}, neurons {e['neuronsRecovered']}/{e['hiddenWidth']}, queries {r['queriesUsed']}\")" "$out.json" "$defence"
        else
            echo "equivalent $defence refused: $(tail -n 1 "$out.err")"
        fi
    done
fi
echo "== PRADA on 10 benign users × 1 000 test images (10 000 queries, interleaved)"
set +e
"$B" extract monitor --queries "$work/benign.npy" --clients "$work/benign_clients.npy" --victim "$victim" --detector prada --benign "$work/train10k.npy"
echo "(exit $? — 0: no client flagged)"
set -e
if [ -n "$wm" ]; then
    echo "== does the watermark survive extraction? (owner model, then copies stolen with $queries and 5000 queries)"
    "$B" watermark verify --model "$wm" --key "$key" || true
    for attack in copycat knockoff; do
        for q in "$queries" 5000; do
            "$B" extract --victim "$wm" --attack "$attack" --query-data "$work/pool.npy" --test-data "$work/xt.npy" --test-labels "$work/yt.npy" \
                --queries "$q" --arch mlp --epochs 10 --seed 0 --out "$work/stolen-$attack-$q.safetensors" --quiet --json > "$work/stolen-$attack-$q.json"
            printf "%s %s queries (fidelity %s): " "$attack" "$q" "$("$python" -c "import json,sys; print(round(json.load(open(sys.argv[1]))['report']['fidelity'], 4))" "$work/stolen-$attack-$q.json")"
            "$B" watermark verify --model "$work/stolen-$attack-$q.safetensors" --key "$key" || true
        done
    done
fi
