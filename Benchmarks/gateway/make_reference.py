"""Reference and calibration sets for the defended gateway in the benchmark.

    python make_reference.py OUT_DIR [--data-dir DIR]

Writes OUT_DIR/x_cal.npy, y_cal.npy (Fashion-MNIST test images 1000-1499, N×1×28×28 float32 in
[0, 1], int64 labels) for detector calibration, and x_ref.npy, y_ref.npy (images 1500-1999) for the
drift reference; the benchmark's request bodies use images 0-7, so neither set holds them.
"""
import argparse

import numpy as np
from fashion_idx import read_idx


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    images = read_idx(f"{args.data_dir}/t10k-images-idx3-ubyte.gz").astype(np.float32) / np.float32(255)
    labels = read_idx(f"{args.data_dir}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    for name, start in (("cal", 1000), ("ref", 1500)):
        np.save(f"{args.out}/x_{name}.npy", images[start:start + 500].reshape(500, 1, 28, 28))
        np.save(f"{args.out}/y_{name}.npy", labels[start:start + 500])
    print(f"wrote {args.out}/x_cal.npy, y_cal.npy, x_ref.npy, y_ref.npy")


if __name__ == "__main__":
    main()
