#!/usr/bin/env python3
"""PyTorch / onnxruntime side of Benchmarks/onnx/train-bench.sh.

  train_peer.py export WORK      the zoo `cnn` layout in PyTorch (seed 0), saved as WORK/cnn.pt and
                                 exported to WORK/cnn.onnx (opset 17, legacy exporter, batch symbolic)
  train_peer.py bench WORK       times one training step of WORK/cnn.pt (batch 128, Adam 1e-3,
                                 2 threads); prints {"torch_step_ms": …}
  train_peer.py check WORK       onnxruntime on WORK/finetuned.onnx (written by Bulwark after
                                 fine-tuning) vs Bulwark's logits; and the file vs WORK/cnn.onnx:
                                 only initializer data may differ. Exits 1 on any failure.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def make():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def export(work):
    torch.manual_seed(0)
    model = make().eval()
    torch.save(model.state_dict(), f"{work}/cnn.pt")
    torch.onnx.export(model, torch.rand(1, 1, 28, 28), f"{work}/cnn.onnx", input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)


def bench(work, repeats=20):
    torch.set_num_threads(2)
    model = make()
    model.load_state_dict(torch.load(f"{work}/cnn.pt"))
    torch.manual_seed(0)
    x, y = torch.rand(128, 1, 28, 28), torch.arange(128) % 10
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"torch_step_ms": sorted(times)[len(times) // 2] * 1000}))


def check(work):
    import onnx
    import onnxruntime as ort
    x = np.fromfile(f"{work}/x.f32", dtype=np.float32).reshape(-1, 1, 28, 28)
    bw = np.fromfile(f"{work}/bulwark_logits.f32", dtype=np.float32).reshape(x.shape[0], -1)
    sess = ort.InferenceSession(f"{work}/finetuned.onnx", providers=["CPUExecutionProvider"])
    ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    diff = float(np.max(np.abs(ref - bw)))
    ok_logits = ref.shape == bw.shape and diff <= 1e-4
    print(f"onnxruntime vs Bulwark logits on the fine-tuned file: max |diff| {diff:.2e} (tolerance 1e-4)  {'PASS' if ok_logits else 'FAIL'}")
    a, b = onnx.load(f"{work}/cnn.onnx"), onnx.load(f"{work}/finetuned.onnx")
    changed = [i.name for i, j in zip(a.graph.initializer, b.graph.initializer) if i.raw_data != j.raw_data]
    for m in (a, b):
        for t in m.graph.initializer:
            t.ClearField("raw_data")
    ok_graph = a.SerializeToString(deterministic=True) == b.SerializeToString(deterministic=True)
    print(f"fine-tuned file vs export: changed initializers {changed}; everything else identical  {'PASS' if ok_graph else 'FAIL'}")
    sys.exit(0 if ok_logits and ok_graph else 1)


if __name__ == "__main__":
    {"export": export, "bench": bench, "check": check}[sys.argv[1]](sys.argv[2])
