"""Writes Fashion-MNIST subsets as .npy for `bulwark privacy audit`: the first N training images
(members of a model trained with `--limit N`, and of any model trained on the full set) and the
first N test images (non-members). Usage: dpsgd_audit_data.py OUTDIR [N]."""
import gzip
import sys
from pathlib import Path

import numpy as np

root = Path("/usr/share/datasets/fashion-mnist")


def idx(name: str) -> np.ndarray:
    data = gzip.open(root / name).read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
for split, prefix, name in [("train", "train", "members"), ("t10k", "test", "nonmembers")]:
    x = idx(f"{split}-images-idx3-ubyte.gz")[:n].astype(np.float32) / 255
    y = idx(f"{split}-labels-idx1-ubyte.gz")[:n].astype(np.int64)
    np.save(out / f"{name}_x.npy", x.reshape(n, 1, 28, 28))
    np.save(out / f"{name}_y.npy", y)
print(out)
