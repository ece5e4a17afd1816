"""PyTorch side of the training benchmark: the same zoo models, batch 128, Adam 1e-3.

Prints one JSON object with the same keys as `bulwark-bench`.
"""
import argparse
import json
import time

import torch
from torch import nn


def make(arch: str) -> nn.Module:
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epoch-size", type=int, default=60000)
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    batch = torch.rand(128, 1, 28, 28)
    labels = torch.arange(128) % 10
    data = torch.rand(a.epoch_size, 1, 28, 28)
    data_labels = torch.arange(a.epoch_size) % 10
    loss_fn = nn.CrossEntropyLoss()
    out = {}
    for arch in ("mlp", "cnn"):
        model = make(arch)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step(x, y):
            opt.zero_grad(set_to_none=True)
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            opt.step()
            return logits

        for _ in range(3):
            step(batch, labels)
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            step(batch, labels)
            times.append(time.perf_counter() - t0)
        times.sort()
        out[f"{arch}_step_ms"] = times[len(times) // 2] * 1000
        t0 = time.perf_counter()
        perm = torch.randperm(a.epoch_size)
        for s in range(0, a.epoch_size, 128):
            idx = perm[s:s + 128]
            logits = step(data[idx], data_labels[idx])
            (logits.argmax(1) == data_labels[idx]).sum().item()
        out[f"{arch}_epoch_s"] = time.perf_counter() - t0
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
