"""Fashion-MNIST's IDX files (gzip), read with numpy: shared by the gateway benchmark's scripts."""
import gzip

import numpy as np


def read_idx(path):
    """The array in the gzip-compressed IDX file at `path` (uint8, its declared shape)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data[4 + 4 * dims:], dtype=np.uint8).reshape(shape)
