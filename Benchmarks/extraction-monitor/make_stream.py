#!/usr/bin/env python3
"""Writes a query stream for `bulwark extract monitor` from Fashion-MNIST:

    queries.npy   N×1×28×28 float32, in the order sent
    clients.npy   N int64, the client of each query
    benign.npy    3000 training images (calibration of the coverage detector)

Clients 1..U are honest users, each sending its own disjoint random test images; client 0 is an
attacker running a Jacobian-augmentation-like synthesis (Papernot et al. 2017, as PRADA's paper
attacks): from S seed test images, each round every point so far spawns itself + step·(random
sign per pixel), clipped to [0, 1]. The clients' queries are interleaved at random (seeded).

    /work/venvs/scan/bin/python make_stream.py OUT_DIR [--users 9] [--per-user 1000] [--seeds 10] [--rounds 7]
"""
import argparse
import gzip
import os
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
p.add_argument("--users", type=int, default=9)
p.add_argument("--per-user", type=int, default=1000)
p.add_argument("--seeds", type=int, default=10)
p.add_argument("--rounds", type=int, default=7)
p.add_argument("--step", type=float, default=0.05)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()


def images(name):
    with gzip.open(os.path.join(a.data, name)) as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (raw.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)


rng = np.random.default_rng(a.seed)
test = images("t10k-images-idx3-ubyte.gz")
train = images("train-images-idx3-ubyte.gz")
order = rng.permutation(len(test))
need = a.users * a.per_user + a.seeds
assert need <= len(test), f"{need} test images needed"
streams = [test[order[u * a.per_user:(u + 1) * a.per_user]] for u in range(a.users)]
points = [test[i] for i in order[a.users * a.per_user:need]]
for _ in range(a.rounds):
    for q in list(points):
        points.append(np.clip(q + a.step * rng.choice([-1.0, 1.0], size=q.shape), 0, 1).astype(np.float32))
attack = np.stack(points)
# Interleave: a random order of client tokens, each client's queries kept in order.
tokens = np.concatenate([np.zeros(len(attack), dtype=np.int64)] + [np.full(a.per_user, u + 1, dtype=np.int64) for u in range(a.users)])
rng.shuffle(tokens)
sources = [attack] + streams
cursor = [0] * (a.users + 1)
queries = np.empty((len(tokens), 1, 28, 28), dtype=np.float32)
for i, c in enumerate(tokens):
    queries[i] = sources[c][cursor[c]]
    cursor[c] += 1
os.makedirs(a.out, exist_ok=True)
np.save(os.path.join(a.out, "queries.npy"), queries)
np.save(os.path.join(a.out, "clients.npy"), tokens)
np.save(os.path.join(a.out, "benign.npy"), train[rng.permutation(len(train))[:3000]])
print(f"{len(tokens)} queries: attacker 0 sends {len(attack)}, users 1..{a.users} send {a.per_user} each")
