#!/usr/bin/env bash
# Vertical logistic regression with `bulwark mpc train-lr`: scikit-learn's breast-cancer set (Debian
# python3-sklearn's data file) split by columns — party 0 holds features 0-14 and the label
# (malignant = 1), party 1 features 15-29 — the first 455 records for training, the last 114 held
# out. Three processes over loopback TLS (two feature parties and the dealer), then the held-out
# accuracy of the joined secure model against the same schedule in plaintext floating point and
# against scikit-learn's LogisticRegression.
#
#   Benchmarks/mpc/vertical-lr.sh [bulwark binary] [extra train-lr options, e.g. --epochs 20]
set -euo pipefail
cd "$(dirname "$0")/../.."
binary="${1:-.build/release/bulwark}"
shift || true
[ -x "$binary" ] || { echo "vertical-lr: $binary not built (swift build -c release --product bulwark)" >&2; exit 2; }
data=/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv
[ -f "$data" ] || { echo "vertical-lr: $data missing (scripts/bootstrap installs python3-sklearn)" >&2; exit 2; }
venv="$(Benchmarks/setup-venv.sh scikit-learn | tail -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$data" "$work" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
names = [f"f{i}" for i in range(30)]
def write(path, header, cells):
    with open(path, "w", newline="") as f:
        w = csv.writer(f); w.writerow(header); w.writerows(cells)
write(f"{sys.argv[2]}/a.csv", names[:15] + ["malignant"], [r[:15] + [str(1 - int(r[30]))] for r in rows[:455]])
write(f"{sys.argv[2]}/b.csv", names[15:], [r[15:30] for r in rows[:455]])
write(f"{sys.argv[2]}/test.csv", names + ["malignant"], [r[:30] + [str(1 - int(r[30]))] for r in rows[455:]])
PY
"$binary" mpc certs --out "$work/pki" --parties 3 > /dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
peers="127.0.0.1:$(port),127.0.0.1:$(port),127.0.0.1:$(port)"
party() { echo --id "$1" --peers "$peers" --cert "$work/pki/party-$1.pem" --key "$work/pki/party-$1-key.pem" --ca "$work/pki/ca.pem"; }
"$binary" mpc train-lr $(party 2) > "$work/dealer.txt" &
"$binary" mpc train-lr $(party 1) --data "$work/b.csv" --out "$work/b-model.json" "$@" > "$work/b.txt" &
"$binary" mpc train-lr $(party 0) --data "$work/a.csv" --label malignant --out "$work/a-model.json" "$@"
wait
cat "$work/b.txt" "$work/dealer.txt"
(cd "$work" && "$venv/bin/python" - <<'PY'
import csv, json
import numpy as np
from sklearn.linear_model import LogisticRegression
a = json.load(open("a-model.json")); b = json.load(open("b-model.json"))
rows = list(csv.reader(open("test.csv")))[1:]
X = np.array([[float(v) for v in r[:30]] for r in rows]); y = np.array([int(r[30]) for r in rows])
std = lambda x, s: (x - np.array(s["mean"])) / np.array(s["std"])
z = std(X[:, :15], a["standardisation"]) @ np.array(a["weights"]) + std(X[:, 15:], b["standardisation"]) @ np.array(b["weights"]) + a["bias"]
print(f"secure model (joined for scoring only), {len(y)} held-out records: accuracy {((z > 0) == y).mean():.4f}")
# The same schedule in plaintext floating point: SplitMix64 Fisher-Yates batch order as Bulwark's.
ta = list(csv.reader(open("a.csv")))[1:]; tb = list(csv.reader(open("b.csv")))[1:]
Xt = np.array([[float(v) for v in p[:15]] + [float(v) for v in q] for p, q in zip(ta, tb)]); yt = np.array([float(p[15]) for p in ta])
mu, sd = Xt.mean(0), Xt.std(0); Xs = (Xt - mu) / sd
cfg = a["configuration"]; mask = (1 << 64) - 1; state = cfg["seed"]
def nxt():
    global state
    state = (state + 0x9E3779B97F4A7C15) & mask; v = state
    v = ((v ^ (v >> 30)) * 0xBF58476D1CE4E5B9) & mask; v = ((v ^ (v >> 27)) * 0x94D049BB133111EB) & mask
    return v ^ (v >> 31)
w = np.zeros(30); bias = 0.0; order = list(range(len(yt)))
for _ in range(cfg["epochs"]):
    for i in range(len(order) - 1, 0, -1):
        j = nxt() % (i + 1); order[i], order[j] = order[j], order[i]
    for s in range(0, len(order), cfg["batchSize"]):
        bt = order[s:s + cfg["batchSize"]]; e = 1 / (1 + np.exp(-(Xs[bt] @ w + bias))) - yt[bt]; step = cfg["learningRate"] / len(bt)
        w -= step * (Xs[bt].T @ e) + cfg["learningRate"] * cfg["l2"] * w; bias -= step * e.sum()
plain = (((X - mu) / sd) @ w + bias > 0) == y
print(f"plaintext, same schedule: accuracy {plain.mean():.4f}; largest weight difference from the secure model "
      f"{np.abs(w - np.array(a['weights'] + b['weights'])).max():.4f}")
model = LogisticRegression(max_iter=1000).fit(Xs, yt)
print(f"scikit-learn LogisticRegression (L-BFGS to convergence, C = 1): accuracy {model.score((X - mu) / sd, y):.4f}")
PY
)
