"""Writes the PyTorch-made known answers of ZooFixtureTests (batch normalisation and the zoo resnet).

    /work/venvs/scan/bin/python make_zoo_fixtures.py      # torch, numpy, safetensors

Everything is computed in float64 and stored as float32, so the answers carry PyTorch's formulas
without its float32 rounding. Each file is a safetensors dict:

batchnorm2d.safetensors — nn.BatchNorm2d(3) (eps 1e-5, momentum 0.1) with random weight, bias
  and running statistics, on x (4×3×5×5) and an upstream gradient dy:
  x, dy, weight, bias, running_mean, running_var   the inputs
  eval_y                                           eval-mode output (running statistics)
  train_y, train_dx, train_dweight, train_dbias    train-mode output and gradients of sum(y·dy)
  train_running_mean, train_running_var            the running statistics after that pass

resnet.safetensors — the zoo resnet for 3×9×9 inputs and 5 classes (layer for layer
  ZooArchitecture.resnet), random weights and running statistics, on x (6×3×9×9), labels:
  "<state_dict name>"           the weights (num_batches_tracked included, as PyTorch saves it)
  input.x, input.labels         the batch (labels as float)
  eval.logits, eval.grad_input  eval mode: logits; gradient of mean cross-entropy wrt x
  train.logits, train.grad_input, train.grad.<name>   train mode: logits, gradients wrt x and
                                every parameter
  train.after.<name>            running statistics after the train-mode pass
"""
import numpy as np
import torch
from torch import nn
from safetensors.torch import save_file

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def f32(tensors):
    return {k: v.detach().to(torch.float32).contiguous() if v.is_floating_point() else v.detach().contiguous()
            for k, v in tensors.items()}


def randomise_bn(bn):
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)


# 1. BatchNorm2d alone.
bn = nn.BatchNorm2d(3)
randomise_bn(bn)
x = (torch.randn(4, 3, 5, 5) * 2 + 0.7).requires_grad_(True)
dy = torch.randn(4, 3, 5, 5)
out = {"x": x, "dy": dy, "weight": bn.weight, "bias": bn.bias,
       "running_mean": bn.running_mean.clone(), "running_var": bn.running_var.clone()}
bn.eval()
out["eval_y"] = bn(x)
bn.train()
y = bn(x)
(y * dy).sum().backward()
out.update(train_y=y, train_dx=x.grad, train_dweight=bn.weight.grad, train_dbias=bn.bias.grad,
           train_running_mean=bn.running_mean, train_running_var=bn.running_var)
save_file(f32(out), "batchnorm2d.safetensors")


# 2. The zoo resnet.
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return torch.relu(h + self.shortcut(x))


def resnet(channels, classes):
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        BasicBlock(16, 16, 1), BasicBlock(16, 32, 2), BasicBlock(32, 64, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))


model = resnet(3, 5)
for m in model.modules():
    if isinstance(m, nn.BatchNorm2d):
        randomise_bn(m)
out = {k: v.clone() for k, v in model.state_dict().items()}
x = torch.rand(6, 3, 9, 9)
labels = torch.tensor([0, 1, 2, 3, 4, 2])
out["input.x"] = x
out["input.labels"] = labels.to(torch.float64)
loss_fn = nn.CrossEntropyLoss()

model.eval()
xe = x.clone().requires_grad_(True)
logits = model(xe)
loss_fn(logits, labels).backward()
out["eval.logits"] = logits
out["eval.grad_input"] = xe.grad
model.zero_grad()

model.train()
xt = x.clone().requires_grad_(True)
logits = model(xt)
loss_fn(logits, labels).backward()
out["train.logits"] = logits
out["train.grad_input"] = xt.grad
for name, p in model.named_parameters():
    out["train.grad." + name] = p.grad
for name, b in model.named_buffers():
    if not name.endswith("num_batches_tracked"):
        out["train.after." + name] = b
save_file(f32(out), "resnet.safetensors")
print("resnet parameters:", sum(p.numel() for p in model.parameters()))
