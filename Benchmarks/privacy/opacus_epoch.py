"""Opacus side of the DP-SGD benchmark: one full DP-SGD epoch of the zoo `mlp` / `cnn`.

Same models as Bulwark's zoo, trained on the same 60,000 Fashion-MNIST training images (read from
the IDX files `bulwark train` reads, pixels / 255). Poisson sampling at rate q (Opacus's
DPDataLoader at exactly q, so an epoch is int(1/q) = 234 steps, as in Bulwark), per-example
clipping to C, noise σ·C, Adam at lr 1e-3. Every step of the epoch is timed; nothing is
extrapolated. Prints one JSON object.

--mode ghost is Opacus's fastest mode (`grad_sample_mode="ghost"`: ghost clipping, which gets the
per-example gradient norms without materialising per-example gradients, then a second backward
pass on the reweighted loss: the same trick Bulwark uses). --mode hooks is Opacus's default
(per-example gradients materialised through module hooks).
"""
import argparse
import gzip
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn
import opacus
from opacus import PrivacyEngine
from opacus.data_loader import DPDataLoader

warnings.filterwarnings("ignore")


def make(arch: str) -> nn.Module:
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def idx(path: Path) -> np.ndarray:
    data = gzip.open(path).read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=["mlp", "cnn"], required=True)
    p.add_argument("--mode", choices=["ghost", "hooks"], default="ghost")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--batch-size", type=int, default=256, help="expected batch; q = batch / examples")
    p.add_argument("--noise-multiplier", type=float, default=1.0)
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    root = Path(a.data_dir)
    x = torch.from_numpy(idx(root / "train-images-idx3-ubyte.gz").astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(idx(root / "train-labels-idx1-ubyte.gz").astype(np.int64))
    q = a.batch_size / len(x)
    loader = DPDataLoader(torch.utils.data.TensorDataset(x, y), sample_rate=q)
    model = make(a.arch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    engine = PrivacyEngine(accountant="rdp")
    common = dict(module=model, optimizer=opt, data_loader=loader, noise_multiplier=a.noise_multiplier,
                  max_grad_norm=a.max_grad_norm, poisson_sampling=False)  # the loader already samples at q
    if a.mode == "ghost":
        model, opt, loss_fn, loader = engine.make_private(**common, criterion=nn.CrossEntropyLoss(),
                                                          grad_sample_mode="ghost")
    else:
        model, opt, loader = engine.make_private(**common, grad_sample_mode="hooks")
        loss_fn = nn.CrossEntropyLoss()
    steps = 0
    t0 = time.perf_counter()
    for xb, yb in loader:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        steps += 1
    seconds = time.perf_counter() - t0
    print(json.dumps({"arch": a.arch, "mode": a.mode, "steps": steps, "seconds_per_epoch": seconds,
                      "final_loss": float(loss.item()), "torch": torch.__version__, "opacus": opacus.__version__,
                      "threads": a.threads}))


if __name__ == "__main__":
    main()
