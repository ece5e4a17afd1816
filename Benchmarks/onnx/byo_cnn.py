"""Bring-your-own-model peer for `bulwark defend train --model X.onnx` (issue 16, done-when).

  train OUT_DIR [--epochs 2] [--seed 0] [--data-dir DIR] [--test N]
      Defines a small CNN in PyTorch, trains it with Adam on Fashion-MNIST (gz IDX files),
      exports it to OUT_DIR/cnn.onnx (opset 17, dynamic batch) and writes the first N test
      images and labels as OUT_DIR/x_test.npy (float32 in [0, 1], N×1×28×28), y_test.npy.
  compare MODEL.onnx X.npy LOGITS.npy
      Runs MODEL.onnx in onnxruntime on X.npy and prints the largest |difference| from LOGITS.npy
      (Bulwark's `predict` output); exits 1 above 1e-4.
"""
import argparse
import gzip
import sys
import time

import numpy as np


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def train(args):
    import torch
    from torch import nn

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    d = args.data_dir
    x_train = torch.tensor(read_idx(f"{d}/train-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255
    y_train = torch.tensor(read_idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    x_test = torch.tensor(read_idx(f"{d}/t10k-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255
    y_test = read_idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64)

    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 100), nn.ReLU(), nn.Linear(100, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.time()
    for epoch in range(args.epochs):
        order = torch.randperm(len(y_train))
        for i in range(0, len(order), 128):
            idx = order[i:i + 128]
            loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = (model(x_test).argmax(1).numpy() == y_test).mean()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss.item():.4f}, test accuracy {acc:.4f} ({time.time() - start:.0f} s)")

    model.eval()
    path = f"{args.out_dir}/cnn.onnx"
    torch.onnx.export(model, x_test[:1], path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    np.save(f"{args.out_dir}/x_test.npy", x_test[:args.test].numpy())
    np.save(f"{args.out_dir}/y_test.npy", y_test[:args.test])
    print(f"wrote {path}, x_test.npy and y_test.npy ({args.test} test images)")


def compare(args):
    import onnxruntime as ort

    x = np.load(args.x).astype(np.float32)
    bulwark = np.load(args.logits)
    sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    diff = float(np.max(np.abs(ref - bulwark))) if ref.shape == bulwark.shape else float("inf")
    ok = diff <= 1e-4
    print(f"onnxruntime vs bulwark predict on {x.shape[0]} images: max |diff| {diff:.2e} (tolerance 1e-4)  {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("out_dir")
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    t.add_argument("--test", type=int, default=1000)
    c = sub.add_parser("compare")
    c.add_argument("model")
    c.add_argument("x")
    c.add_argument("logits")
    args = parser.parse_args()
    if args.command == "train":
        train(args)
        return 0
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
