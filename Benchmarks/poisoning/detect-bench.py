#!/usr/bin/env python3
"""Peer side of Benchmarks/poisoning/detect-bench.sh: builds the BadNets-poisoned Fashion-MNIST
set, trains the zoo `cnn` on it in PyTorch (weights saved as safetensors with the
`nn.Sequential` state_dict names Bulwark reads), and runs ART 1.20's ActivationDefence and
SpectralSignatureDefense on the same set and the same weights.

    detect-bench.py prepare --out DIR [--train N] [--rate R] [--epochs E] [--seed S]
    detect-bench.py art --dir DIR [--expected-rate E]

`prepare` poisons round(R·N) training images of classes 1–9 (a 3×3 white patch at rows and
columns 24–26, relabelled to class 0) and writes x.npy, y.npy, poison_indices.npy,
test_x.npy, test_y.npy, model.safetensors and prepare.json (clean accuracy, attack success).
`art` prints one JSON line per run: ART on its default layer (the last one, i.e. the logits of
an nn.Sequential) and on the penultimate layer (the 128 ReLU activations Bulwark uses), with
precision, recall and wall seconds (activations included, as in Bulwark's figure).
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"
TARGET = 0


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def stamp(x):
    out = x.copy()
    out[:, :, 24:27, 24:27] = 1.0
    return out


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def predict(model, x):
    with torch.no_grad():
        return np.concatenate([model(torch.from_numpy(x[i:i + 512])).argmax(1).numpy() for i in range(0, len(x), 512)])


def prepare(args):
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    x = (idx(f"{DATA}/train-images-idx3-ubyte.gz")[:args.train].astype(np.float32) / 255)[:, None]
    y = idx(f"{DATA}/train-labels-idx1-ubyte.gz")[:args.train].astype(np.int64)
    tx = (idx(f"{DATA}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255)[:, None]
    ty = idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    candidates = np.flatnonzero(y != TARGET)
    poison = np.sort(rng.choice(candidates, size=int(round(args.rate * len(y))), replace=False))
    x[poison] = stamp(x[poison])
    y[poison] = TARGET
    for name, arr in [("x", x), ("y", y), ("poison_indices", poison.astype(np.int64)), ("test_x", tx), ("test_y", ty)]:
        np.save(f"{args.out}/{name}.npy", arr)
    torch.manual_seed(args.seed)
    model = cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.time()
    for _ in range(args.epochs):
        order = torch.from_numpy(rng.permutation(len(y)))
        for i in range(0, len(y), 128):
            b = order[i:i + 128]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(torch.from_numpy(x[b.numpy()])), torch.from_numpy(y[b.numpy()]))
            loss.backward()
            opt.step()
    model.eval()
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, f"{args.out}/model.safetensors")
    others = np.flatnonzero(ty != TARGET)
    facts = {"train": int(len(y)), "poison": int(len(poison)), "rate": args.rate,
             "targetClassPoisonShare": float(len(poison) / np.sum(y == TARGET)),
             "cleanAccuracy": float(np.mean(predict(model, tx) == ty)),
             "attackSuccess": float(np.mean(predict(model, stamp(tx[others])) == TARGET)),
             "trainingSeconds": time.time() - start, "epochs": args.epochs}
    json.dump(facts, open(f"{args.out}/prepare.json", "w"))
    print(json.dumps(facts))


def quality(flagged, poison):
    f, p = set(int(i) for i in flagged), set(int(i) for i in poison)
    tp = len(f & p)
    return (tp / len(f) if f else 0.0), (tp / len(p) if p else 1.0), len(f)


def art(args):
    from art.estimators.classification import PyTorchClassifier
    from art.defences.detector.poison import ActivationDefence, SpectralSignatureDefense
    from safetensors.torch import load_file

    x, y = np.load(f"{args.dir}/x.npy"), np.load(f"{args.dir}/y.npy")
    poison = np.load(f"{args.dir}/poison_indices.npy")
    model = cnn()
    model.load_state_dict(load_file(f"{args.dir}/model.safetensors"))
    model.eval()

    class Penultimate(PyTorchClassifier):
        """ART's classifier whose "last layer" for the detectors is the penultimate one (the
        detectors ask for layer len(layer_names) - 1); nothing else changes."""
        def get_activations(self, x, layer=None, batch_size=128, framework=False):
            if layer == len(self.layer_names) - 1:
                layer = len(self.layer_names) - 2
            return super().get_activations(x, layer=layer, batch_size=batch_size, framework=framework)

    onehot = np.eye(10, dtype=np.float32)[y]
    for layer_name, cls in [("penultimate", Penultimate), ("art-default-last", PyTorchClassifier)]:
        clf = cls(model=model, loss=nn.CrossEntropyLoss(), input_shape=(1, 28, 28), nb_classes=10, clip_values=(0.0, 1.0))
        # ART 1.20.1's own "relative-size" analyzer raises ValueError (`cluster_id in poison_clusters`
        # on a tuple of arrays), so ART runs its default "smaller" analysis (timed) and the
        # relative-size rule (smaller cluster < 0.35 of its class, as ART's analyzer intends) is
        # applied to ART's clusters afterwards; that rule is a few comparisons and is not timed.
        start = time.time()
        defence = ActivationDefence(clf, x, onehot)
        _, clean = defence.detect_poison(nb_clusters=2, nb_dims=10, reduce="PCA", cluster_analysis="smaller")
        seconds = time.time() - start
        p, r, n = quality(np.flatnonzero(np.asarray(clean) == 0), poison)
        print(json.dumps({"tool": "art", "method": "activation-clustering", "analysis": "smaller", "layer": layer_name,
                          "precision": p, "recall": r, "flagged": n, "seconds": seconds}), flush=True)
        by_class = [np.flatnonzero(y == c) for c in range(10)]
        flagged = []
        for indices, clusters in zip(by_class, defence.clusters_by_class):
            sizes = np.bincount(clusters, minlength=2)
            small = int(np.argmin(sizes))
            if sizes[small] / len(clusters) < 0.35:
                flagged += list(indices[np.asarray(clusters) == small])
        p, r, n = quality(flagged, poison)
        print(json.dumps({"tool": "art", "method": "activation-clustering", "analysis": "relative-size", "layer": layer_name,
                          "precision": p, "recall": r, "flagged": n, "seconds": seconds}), flush=True)
        start = time.time()
        defence = SpectralSignatureDefense(clf, x, onehot, batch_size=128, eps_multiplier=1.5, expected_pp_poison=args.expected_rate)
        _, clean = defence.detect_poison()
        seconds = time.time() - start
        p, r, n = quality(np.flatnonzero(np.asarray(clean) == 0), poison)
        print(json.dumps({"tool": "art", "method": "spectral", "layer": layer_name, "expectedRate": args.expected_rate,
                          "precision": p, "recall": r, "flagged": n, "seconds": seconds}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--out", required=True)
    p.add_argument("--train", type=int, default=60000)
    p.add_argument("--rate", type=float, default=0.05)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    a = sub.add_parser("art")
    a.add_argument("--dir", required=True)
    a.add_argument("--expected-rate", type=float, default=0.33)
    args = parser.parse_args()
    prepare(args) if args.command == "prepare" else art(args)


if __name__ == "__main__":
    main()
