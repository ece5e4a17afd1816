"""The request bodies of the gateway benchmark: Open Inference Protocol (KServe v2) infer requests
with JSON tensors, one for a batch of 1 and one for a batch of 8 Fashion-MNIST test images.

    python make_bodies.py OUT_DIR [--data-dir DIR] [--input-name input]

Writes OUT_DIR/body-1.json and OUT_DIR/body-8.json:
    {"inputs": [{"name": "input", "shape": [N, 1, 28, 28], "datatype": "FP32", "data": [N·784 numbers]}]}
holding the first N images of the test set (t10k) scaled to [0, 1] as float32, each number written
as tritonclient writes a JSON FP32 tensor (the float32 value widened to a double, shortest
round-trip form), and OUT_DIR/labels-8.json with their labels.
"""
import argparse
import gzip
import json

import numpy as np


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--input-name", default="input")
    args = parser.parse_args()
    images = read_idx(f"{args.data_dir}/t10k-images-idx3-ubyte.gz")[:8].astype(np.float32) / np.float32(255)
    labels = read_idx(f"{args.data_dir}/t10k-labels-idx1-ubyte.gz")[:8]
    for n in (1, 8):
        x = images[:n].reshape(n, 1, 28, 28)
        body = {"inputs": [{"name": args.input_name, "shape": list(x.shape), "datatype": "FP32",
                            "data": [v.item() for v in x.ravel()]}]}
        path = f"{args.out_dir}/body-{n}.json"
        with open(path, "w") as f:
            json.dump(body, f, separators=(",", ":"))
        print(f"wrote {path} ({n} images)")
    with open(f"{args.out_dir}/labels-8.json", "w") as f:
        json.dump(labels.tolist(), f)


if __name__ == "__main__":
    main()
