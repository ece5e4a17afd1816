"""Writes the safetensors fixtures of BulwarkModelsTests with Hugging Face's `safetensors`.

    python3 -m venv /work/venvs/data && /work/venvs/data/bin/pip install safetensors numpy
    /work/venvs/data/bin/python make_safetensors_fixture.py

Values follow formulas the Swift tests recompute (floats: i * 0.5 - 1, exact in F16/BF16;
integers: i * 3 - 4; bytes: i * 7), so no number is hard-coded twice.
"""
import numpy as np
from safetensors import TensorSpec, serialize
from safetensors.numpy import save_file


def floats(n, dtype):
    return np.array([i * 0.5 - 1 for i in range(n)], dtype=dtype)


# 1. Float32 tensors as Bulwark writes them. The Swift test writes the same tensors and metadata
#    and expects these exact bytes. One metadata key only: the Rust writer stores metadata in a
#    HashMap, whose order is random from run to run when there are several keys.
save_file(
    {
        "weight": floats(6, np.float32).reshape(2, 3),
        "bias": floats(3, np.float32),
        "0.conv.weight": floats(4, np.float32).reshape(1, 1, 2, 2),
        "empty": np.zeros((0, 2), dtype=np.float32),
        "scalar": np.array(2.5, dtype=np.float32),
        "ünïcode \"quoted\"": floats(2, np.float32),
    },
    "safetensors_f32.safetensors",
    metadata={"format": "pt\n\t\"bulwark\" é \u0001"},
)

# 2. Every dtype Bulwark reads (converted to Float). BF16 is not a NumPy dtype, so its bit
#    patterns (upper halves of float32) go through the raw serializer.
bf16_bits = (floats(4, np.float32).view(np.uint32) >> 16).astype(np.uint16)
arrays = {
    "f16": floats(4, np.float16),
    "f64": floats(4, np.float64).reshape(2, 2),
    "i64": np.array([i * 3 - 4 for i in range(4)], dtype=np.int64),
    "i32": np.array([i * 3 - 4 for i in range(4)], dtype=np.int32),
    "u8": np.array([i * 7 for i in range(4)], dtype=np.uint8),
    "f32": floats(4, np.float32),
    "bf16": bf16_bits,
}
specs = {}
for name, a in arrays.items():
    dtype = "bfloat16" if name == "bf16" else a.dtype.name
    specs[name] = TensorSpec(dtype=dtype, shape=list(a.shape), data_ptr=a.ctypes.data, data_len=a.nbytes)
with open("safetensors_mixed.safetensors", "wb") as f:
    f.write(bytes(serialize(specs, metadata=None)))
