"""Opacus side of the DP-SGD benchmark: one DP-SGD epoch of the zoo `mlp` / `cnn`.

Same models as Bulwark's zoo, Poisson sampling at rate q over N examples (Opacus's
`poisson_sampling=True`), per-example clipping to C, noise σ·C, Adam. Times round(1/q) steps
(one expected epoch) unless --steps is given, and prints one JSON object.
"""
import argparse
import json
import time
import warnings

import torch
from torch import nn
from opacus import PrivacyEngine

warnings.filterwarnings("ignore")


def make(arch: str) -> nn.Module:
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=["mlp", "cnn"], required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--examples", type=int, default=60000)
    p.add_argument("--sampling-rate", type=float, default=256 / 60000)
    p.add_argument("--noise-multiplier", type=float, default=1.0)
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--steps", type=int, default=0, help="steps to time (0: one expected epoch, round(1/q))")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    # Random data of Fashion-MNIST's shape: the cost of a step does not depend on pixel values.
    x = torch.rand(a.examples, 1, 28, 28)
    y = torch.randint(0, 10, (a.examples,))
    batch = max(1, round(a.sampling_rate * a.examples))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch)
    model = make(a.arch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    engine = PrivacyEngine(accountant="rdp")
    model, opt, loader = engine.make_private(module=model, optimizer=opt, data_loader=loader,
                                             noise_multiplier=a.noise_multiplier, max_grad_norm=a.max_grad_norm,
                                             poisson_sampling=True)
    loss_fn = nn.CrossEntropyLoss()
    steps_per_epoch = max(1, round(1 / a.sampling_rate))
    steps = a.steps or steps_per_epoch
    done = 0
    t0 = time.perf_counter()
    while done < steps:
        for xb, yb in loader:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
    seconds = time.perf_counter() - t0
    print(json.dumps({"arch": a.arch, "steps": steps, "seconds": seconds,
                      "seconds_per_epoch": seconds * steps_per_epoch / steps,
                      "epsilon": engine.get_epsilon(1e-5), "torch": torch.__version__,
                      "opacus": __import__("opacus").__version__, "threads": a.threads}))


if __name__ == "__main__":
    main()
