"""ART 1.20 side of badnets-bench.sh: BadNets with PoisoningAttackBackdoor on the rows Bulwark chose,
the same 4×4 white bottom-right patch, the same cnn (conv 1→32 3×3 pad 1, ReLU, maxpool 2, conv 32→64,
ReLU, maxpool 2, dense 3136→128, ReLU, dense 128→10), Adam 1e-3, batch 128, 3 epochs; clean model too.
Prints one JSON object: accuracies, attack success, times, and how far ART's poison is from Bulwark's."""
import argparse, json, time

import numpy as np
import torch
from art.attacks.poisoning import PoisoningAttackBackdoor
from art.estimators.classification import PyTorchClassifier

p = argparse.ArgumentParser()
p.add_argument("--work", required=True)
p.add_argument("--patch", type=int, default=4)
p.add_argument("--target", type=int, default=0)
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)
w = a.work
x, y = np.load(f"{w}/x.npy"), np.load(f"{w}/y.npy")
xt, yt = np.load(f"{w}/xt.npy"), np.load(f"{w}/yt.npy")
idx = np.load(f"{w}/bulwark/poison_indices.npy")


def stamp(images):
    """The trigger: a white patch in the bottom-right corner (ART calls this on N×1×28×28)."""
    out = np.copy(images)
    out[..., -a.patch:, -a.patch:] = 1.0
    return out


attack = PoisoningAttackBackdoor(stamp)
target = np.zeros((len(idx), 10), dtype=np.float32)
target[:, a.target] = 1
t0 = time.perf_counter()
xp_rows, _ = attack.poison(x[idx], y=target)
xp, yp = np.copy(x), np.copy(y)
xp[idx], yp[idx] = xp_rows, a.target
poison_s = time.perf_counter() - t0
bulwark_x = np.load(f"{w}/bulwark/x.npy")
bulwark_y = np.load(f"{w}/bulwark/y.npy")


def cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(3136, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def fit(inputs, labels, seed):
    torch.manual_seed(seed)
    model = cnn()
    clf = PyTorchClassifier(model=model, loss=torch.nn.CrossEntropyLoss(), optimizer=torch.optim.Adam(model.parameters(), lr=1e-3),
                            input_shape=(1, 28, 28), nb_classes=10, clip_values=(0.0, 1.0))
    t = time.perf_counter()
    clf.fit(inputs, labels, batch_size=128, nb_epochs=a.epochs, verbose=False)
    return clf, time.perf_counter() - t


nontarget = yt != a.target
triggered, _ = attack.poison(xt[nontarget], y=np.tile(target[:1], (int(nontarget.sum()), 1)))
result = {"poison_s": poison_s, "poisoned_rows": int(len(idx)),
          "max_abs_diff_vs_bulwark_x": float(np.abs(xp - bulwark_x).max()),
          "labels_equal_bulwark": bool((yp == bulwark_y).all())}
for name, (inputs, labels) in {"clean": (x, y), "poisoned": (xp, yp)}.items():
    clf, seconds = fit(inputs, labels, 0)
    result[f"{name}_train_s"] = seconds
    result[f"{name}_accuracy"] = float((clf.predict(xt).argmax(1) == yt).mean())
    result[f"{name}_asr"] = float((clf.predict(triggered).argmax(1) == a.target).mean())
print(json.dumps(result))
