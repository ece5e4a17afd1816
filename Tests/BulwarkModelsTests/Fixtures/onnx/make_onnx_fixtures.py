#!/usr/bin/env python3
"""Makes the ONNX fixtures of BulwarkModelsTests (run in a venv with torch, onnx, onnxruntime, numpy).

    python3 -m venv /work/venvs/onnx && /work/venvs/onnx/bin/pip install torch onnx onnxruntime numpy
    /work/venvs/onnx/bin/python make_onnx_fixtures.py

For each model NAME it writes NAME.onnx, NAME_x.npy (4 inputs), NAME_labels.npy (int64),
NAME_logits_ort.npy (onnxruntime's outputs on the inputs) and NAME_grad_torch.npy (PyTorch's
gradient of the mean cross-entropy with respect to the inputs). The `external` model keeps its
weights in external_weights.bin beside it.
"""
import os
import numpy as np
import torch
import torch.nn as nn
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
np.random.seed(0)


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        y = self.conv2(torch.relu(self.conv1(x)))
        return torch.relu(self.bn(y + x))  # BatchNorm after the skip add, so the exporter keeps it


class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 6, 3, stride=2, padding=1)
        self.bn0 = nn.BatchNorm2d(6)
        self.block1 = ResBlock(6)
        self.block2 = ResBlock(6)
        self.fc = nn.Linear(6, 10)

    def forward(self, x):
        x = self.bn0(torch.relu(self.stem(x)))
        x = self.block2(self.block1(x))
        x = torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, stride=1, padding=0, dilation=1, groups=2), nn.Sigmoid(),
        nn.Flatten(), nn.Linear(8 * 2 * 2, 10))


def gelu_mix():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.GELU(), nn.AvgPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1), nn.LeakyReLU(0.1), nn.ELU(),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 10), nn.LogSoftmax(dim=1))


def pool_pad():
    """ceil_mode pooling (max and average, count_include_pad=False) and reflect/edge padding."""
    return nn.Sequential(
        nn.ReflectionPad2d((1, 3, 2, 2)), nn.Conv2d(1, 4, 3),  # 8×8 → 12×12 → 10×10
        nn.MaxPool2d(3, stride=2, ceil_mode=True),  # 10×10 → 5×5 (floor: 4×4)
        nn.ReplicationPad2d(1), nn.Tanh(),  # → 7×7
        nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True),  # 7×7 → 4×4: the 5th window would start in the padding
        nn.AvgPool2d(3, stride=2, ceil_mode=True, count_include_pad=False),  # 4×4 → 2×2 (floor: 1×1)
        nn.Flatten(), nn.Linear(4 * 2 * 2, 10))


def export(name, model, external=False):
    model.eval()
    x = torch.randn(4, 1, 8, 8)
    labels = torch.tensor([0, 3, 7, 9])
    path = os.path.join(HERE, name + ".onnx")
    torch.onnx.export(model, x[:1], path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=17, dynamo=False)
    if external:
        m = onnx.load(path)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="external_weights.bin", size_threshold=0)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    logits = sess.run(None, {"input": x.numpy()})[0]
    xg = x.clone().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(xg), labels)
    loss.backward()
    np.save(os.path.join(HERE, name + "_x.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(HERE, name + "_labels.npy"), labels.numpy().astype(np.int64))
    np.save(os.path.join(HERE, name + "_logits_ort.npy"), logits.astype(np.float32))
    np.save(os.path.join(HERE, name + "_grad_torch.npy"), xg.grad.numpy().astype(np.float32))
    ops = sorted({n.op_type for n in onnx.load(path, load_external_data=False).graph.node})
    print(name, "ops:", ", ".join(ops))


def init_bn(m):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):  # non-trivial running statistics
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
    return m


export("mlp", mlp())
export("cnn", cnn())
export("resnet", init_bn(SmallResNet()))
export("gelu_mix", gelu_mix())
export("external", mlp(), external=True)
export("pool_pad", pool_pad())  # last, so the earlier fixtures keep their random draws
