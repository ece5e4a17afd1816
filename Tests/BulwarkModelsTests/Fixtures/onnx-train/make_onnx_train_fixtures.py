"""Training fixtures for imported ONNX models (run by scripts/onnx-train-fixtures.sh).

Two small PyTorch CNNs with the zoo `cnn`'s layout on 1x8x8 inputs (conv 3x3 pad 1, ReLU,
maxpool 2, conv, ReLU, maxpool 2, flatten, linear, ReLU, linear), one of them with a
BatchNorm2d after each convolution, are exported to ONNX (opset 17). For a fixed batch of 8,
PyTorch's answers are saved as .npy / .npz:
  <name>_x.npy, <name>_labels.npy            the batch
  <name>_grads.npz                           d(mean cross-entropy)/d(parameter), train mode,
                                             keyed by ONNX initializer name
  <name>_sgd.npz                             the parameters after one SGD step (lr 0.1), same keys
  <name>_train_logits.npy                    train-mode logits (batch statistics in BatchNorm)
  <name>_running.npz                         BatchNorm running mean/var after that pass (bn model)
"""
import os

import numpy as np
import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)


def cnn(bn):
    layers = [nn.Conv2d(1, 4, 3, padding=1)] + ([nn.BatchNorm2d(4, momentum=0.2)] if bn else []) + [nn.ReLU(), nn.MaxPool2d(2)]
    layers += [nn.Conv2d(4, 8, 3, padding=1)] + ([nn.BatchNorm2d(8)] if bn else []) + [nn.ReLU(), nn.MaxPool2d(2)]
    layers += [nn.Flatten(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10)]
    m = nn.Sequential(*layers)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):  # non-trivial statistics and affine parameters
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
    return m


def export(name, model):
    path = os.path.join(HERE, name + ".onnx")
    model.eval()
    x0 = torch.rand(1, 1, 8, 8)
    # No constant folding: the exporter would otherwise fold each BatchNorm into its Conv.
    torch.onnx.export(model, x0, path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=17, dynamo=False, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)
    graph = onnx.load(path).graph
    ops = [n.op_type for n in graph.node]
    assert ("BatchNormalization" in ops) == any(isinstance(m, nn.BatchNorm2d) for m in model.modules()), ops
    names = {i.name for i in graph.initializer}
    params = dict(model.named_parameters())
    assert set(params) <= names, (sorted(params), sorted(names))

    x = torch.rand(8, 1, 8, 8)
    labels = torch.randint(0, 10, (8,))
    model.train()
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    np.save(os.path.join(HERE, name + "_x.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(HERE, name + "_labels.npy"), labels.numpy().astype(np.int64))
    np.save(os.path.join(HERE, name + "_train_logits.npy"), logits.detach().numpy().astype(np.float32))
    np.savez(os.path.join(HERE, name + "_grads.npz"), **{k: p.grad.numpy().astype(np.float32) for k, p in params.items()})
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.step()
    np.savez(os.path.join(HERE, name + "_sgd.npz"), **{k: p.detach().numpy().astype(np.float32) for k, p in params.items()})
    running = {k: b.numpy().astype(np.float32) for k, b in model.named_buffers() if "running" in k}
    if running:
        np.savez(os.path.join(HERE, name + "_running.npz"), **running)
    print(name, "ops:", ", ".join(sorted(set(ops))), "params:", ", ".join(params))


export("cnn_train", cnn(bn=False))
export("cnn_bn_train", cnn(bn=True))
