"""PGD adversarial examples against the gateway benchmark's CNN, for the attack mix's PGD client.

    python make_pgd.py MODEL.onnx OUT.npy [--data-dir DIR] [--start 9000] [--count 400]
                       [--epsilon 0.1] [--steps 20] [--seed 0]

Rebuilds the CNN of Benchmarks/onnx/byo_cnn.py in torch from the ONNX file's weights (matched by
shape: two 3x3 convolutions, two dense layers), checks that it answers as onnxruntime does, and
runs untargeted L-infinity PGD (Madry et al. 2018: a random start in the ε-ball, `steps` signed
gradient steps of 2.5·ε/steps, projection, clipping to [0, 1]) on Fashion-MNIST test images
start..start+count. Writes OUT.npy (N×1×28×28 float32) and prints the clean and adversarial accuracy.
"""
import argparse

import numpy as np
import onnx
import onnxruntime
import torch
from onnx import numpy_helper
from torch import nn
from fashion_idx import read_idx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model"); p.add_argument("out")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--start", type=int, default=9000); p.add_argument("--count", type=int, default=400)
    p.add_argument("--epsilon", type=float, default=0.1); p.add_argument("--steps", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 100), nn.ReLU(), nn.Linear(100, 10),
    )
    weights = {tuple(t.dims): numpy_helper.to_array(t) for t in onnx.load(a.model).graph.initializer}
    with torch.no_grad():
        for param in model.parameters():
            shape = tuple(param.shape)
            w = weights.get(shape)
            if w is None and len(shape) == 2:
                w = weights[shape[::-1]].T   # a MatMul stores the transpose
            param.copy_(torch.tensor(np.ascontiguousarray(w)))
    model.eval()
    x = torch.tensor(read_idx(f"{a.data_dir}/t10k-images-idx3-ubyte.gz")[a.start:a.start + a.count], dtype=torch.float32).unsqueeze(1) / 255
    y = torch.tensor(read_idx(f"{a.data_dir}/t10k-labels-idx1-ubyte.gz")[a.start:a.start + a.count].astype(np.int64))
    session = onnxruntime.InferenceSession(a.model, providers=["CPUExecutionProvider"])
    reference = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        gap = float(np.abs(model(x).numpy() - reference).max())
    if gap > 1e-3:
        raise SystemExit(f"make_pgd: the rebuilt CNN differs from onnxruntime by {gap}")
    eps, step = a.epsilon, 2.5 * a.epsilon / a.steps
    adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(a.steps):
        adv.requires_grad_(True)
        loss = nn.functional.cross_entropy(model(adv), y)
        grad, = torch.autograd.grad(loss, adv)
        with torch.no_grad():
            adv = torch.min(torch.max(adv + step * grad.sign(), x - eps), x + eps).clamp(0, 1)
    with torch.no_grad():
        clean = (model(x).argmax(1) == y).float().mean().item()
        robust = (model(adv).argmax(1) == y).float().mean().item()
    np.save(a.out, adv.detach().numpy().astype(np.float32))
    print(f"make_pgd: {a.count} images, eps {eps}, {a.steps} steps: clean accuracy {clean:.3f}, under PGD {robust:.3f}")


if __name__ == "__main__":
    main()
