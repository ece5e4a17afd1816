"""A victim for `bulwark extract --attack equivalent`: a one-hidden-layer ReLU MLP
(Flatten, Linear 784→HIDDEN, ReLU, Linear HIDDEN→10) trained by torch on the first 50 000
Fashion-MNIST training images for 2 epochs, exported to ONNX (opset 13, batch axis dynamic),
plus its first layer as first_layer.npz (weights W, bias b) to score the extraction against.
    python make_mlp1_victim.py OUT_DIR [HIDDEN]"""
import gzip, sys

import numpy as np
import torch

out, hidden = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 32
d = "/usr/share/datasets/fashion-mnist/"


def read(name, offset):
    with gzip.open(d + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


x = torch.tensor((read("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:50000] / 255).astype(np.float32))
y = torch.tensor(read("train-labels-idx1-ubyte.gz", 8)[:50000].astype(np.int64))
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(2):
    for i in torch.randperm(len(x)).split(128):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x[i]), y[i]).backward()
        opt.step()
model.eval()
torch.onnx.export(model, torch.zeros(1, 1, 28, 28), f"{out}/mlp1.onnx", input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13, dynamo=False)
np.savez(f"{out}/first_layer.npz", W=model[1].weight.detach().numpy(), b=model[1].bias.detach().numpy())
