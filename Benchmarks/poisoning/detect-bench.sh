#!/usr/bin/env bash
# Poison detection against ART 1.20 on the same poisoned set and the same weights.
#
#   Benchmarks/poisoning/detect-bench.sh [--train N] [--rate R] [--epochs E] [--expected-rate E]
#
# 1. detect-bench.py prepare: Fashion-MNIST, BadNets 3×3 patch on round(R·N) images of classes 1–9
#    relabelled to 0 (default N 60000, R 0.05 = a third of the target class), the zoo `cnn` trained
#    in PyTorch for E epochs (default 3); weights saved as safetensors.
# 2. bulwark data detect (release build: $BULWARK, default .build/release/bulwark; build it with
#    `swift build -c release --product bulwark`) runs activation clustering and spectral signatures.
# 3. detect-bench.py art runs ART's ActivationDefence (PCA to 10 dims, 2-means; relative-size and
#    ART's default "smaller" analysis) and SpectralSignatureDefense (1.5·ε) on the same file,
#    on the penultimate layer (as Bulwark) and on ART's own default layer (the logits).
# Prints precision, recall and seconds of each, and Bulwark ÷ ART on the penultimate layer
# (issue 17's target: precision and recall ≥ ART's at ≥ 2× the speed). Times include computing
# the activations; loading files is excluded on both sides.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
train=60000 rate=0.05 epochs=3 expected=0.33
while [ $# -gt 0 ]; do
    case "$1" in
        --train) train="$2"; shift 2 ;;
        --rate) rate="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --expected-rate) expected="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 64 ;;
    esac
done
venv="${BULWARK_VENV:-}"
if [ -z "$venv" ]; then venv="$("$root/Benchmarks/setup-venv.sh" adversarial-robustness-toolbox==1.20.1 scikit-learn | tail -n 1)"; fi
python="$venv/bin/python"
bulwark="${BULWARK:-$root/.build/release/bulwark}"
[ -x "$bulwark" ] || { echo "no bulwark at $bulwark: swift build -c release --product bulwark" >&2; exit 2; }
work="${WORK:-$(mktemp -d)}"
echo "work directory: $work" >&2

# WORK=DIR with a prepare.json reuses that poisoned set and model (training takes minutes).
if [ -f "$work/prepare.json" ]; then
    echo "reusing $work/prepare.json: $(cat "$work/prepare.json")" >&2
else
    "$python" "$here/detect-bench.py" prepare --out "$work" --train "$train" --rate "$rate" --epochs "$epochs" >&2
fi
: > "$work/results.jsonl"
# spectral runs three times: the default robust score ("spectral"), the paper's centred one
# ("spectral-centred") and ART's uncentred projection ("spectral-uncentred").
for run in activation-clustering spectral spectral-centred spectral-uncentred; do
    method="$run" extra=()
    case "$run" in
        spectral-*) method=spectral extra=(--projection "${run#spectral-}") ;;
    esac
    start=$(date +%s.%N)
    "$bulwark" data detect --model "$work/model.safetensors" --arch cnn --data "$work/x.npy" --labels "$work/y.npy" \
        --method "$method" "${extra[@]}" --expected-rate "$expected" --poison-indices "$work/poison_indices.npy" --json > "$work/bulwark-$run.json"
    end=$(date +%s.%N)
    "$python" - "$work/bulwark-$run.json" "$run" "$start" "$end" >> "$work/results.jsonl" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps({"tool": "bulwark", "method": sys.argv[2], "layer": "penultimate",
                  "precision": d["quality"]["precision"], "recall": d["quality"]["recall"],
                  "flagged": len(d["result"]["flaggedIndices"]), "seconds": d["detectionSeconds"],
                  "processSeconds": float(sys.argv[4]) - float(sys.argv[3])}))
PY
done
"$python" "$here/detect-bench.py" art --dir "$work" --expected-rate "$expected" >> "$work/results.jsonl"

"$python" - "$work/results.jsonl" "$work/prepare.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
prep = json.load(open(sys.argv[2]))
print(f"poisoned set: {prep['train']} images, {prep['poison']} poison ({prep['targetClassPoisonShare']:.0%} of the target class); "
      f"model clean accuracy {prep['cleanAccuracy']:.4f}, attack success {prep['attackSuccess']:.4f}")
print(f"{'tool':8} {'method':22} {'analysis':14} {'layer':17} {'precision':>9} {'recall':>7} {'flagged':>8} {'seconds':>8}")
for r in rows:
    print(f"{r['tool']:8} {r['method']:22} {r.get('analysis', '-'):14} {r['layer']:17} {r['precision']:9.4f} {r['recall']:7.4f} {r['flagged']:8d} {r['seconds']:8.2f}")
def pick(tool, method, **kw):
    for r in rows:
        if r["tool"] == tool and r["method"] == method and r["layer"] == "penultimate" and all(r.get(k) == v for k, v in kw.items()):
            return r
for method, art_method, kw in [("activation-clustering", "activation-clustering", {"analysis": "relative-size"}),
                               ("spectral", "spectral", {}), ("spectral-centred", "spectral", {}),
                               ("spectral-uncentred", "spectral", {})]:
    b, a = pick("bulwark", method), pick("art", art_method, **kw)
    print(f"{method} vs ART: Bulwark − ART precision {b['precision'] - a['precision']:+.4f}, recall {b['recall'] - a['recall']:+.4f} (differences); "
          f"speed ART/Bulwark = {a['seconds'] / b['seconds']:.2f}×")
PY
