"""Writes the .npy/.npz fixtures of BulwarkDataTests with NumPy.

Run from this directory with a Python that has numpy (the fixtures were made with numpy 2.x):
    /work/venvs/data/bin/python make_npy_fixtures.py
Values are small and deterministic; the tests recompute them, so nothing is hard-coded twice.
"""
import io
import numpy as np

def values(n):
    # 0, 1.5, -3, 4.5, -6, ... : exactly representable in every dtype's test
    return [(i * 1.5) * (-1 if i % 2 == 0 else 1) for i in range(n)]

a_f32 = np.array(values(6), dtype=np.float32).reshape(2, 3)
np.save("f32_2x3.npy", a_f32)
np.save("f64_3.npy", np.array(values(3), dtype=np.float64))
np.save("f32_big_endian_2x3.npy", a_f32.astype(">f4"))
np.save("i64_4.npy", np.array([0, -1, 2, 9], dtype=np.int64))
np.save("i64_big_endian_4.npy", np.array([0, -1, 2, 9], dtype=">i8"))
np.save("i32_4.npy", np.array([0, -1, 2, 9], dtype=np.int32))
np.save("u8_2x2.npy", np.array([[0, 255], [7, 128]], dtype=np.uint8))
np.save("bool_3.npy", np.array([True, False, True]))
np.save("f32_scalar.npy", np.float32(2.5))
np.save("f32_empty_0x4.npy", np.zeros((0, 4), dtype=np.float32))
np.save("fortran_2x3.npy", np.asfortranarray(a_f32))
np.save("object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
for version in [(2, 0), (3, 0)]:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a_f32, version=version)
    with open(f"f32_2x3_v{version[0]}.npy", "wb") as f:
        f.write(buf.getvalue())

labels = np.array([3, 1, 4, 1, 5], dtype=np.int64)
np.savez("stored.npz", x=a_f32, y=labels)
np.savez_compressed("compressed.npz", x=a_f32, y=labels)

# IDX (MNIST layout): 2 images of 3x4 unsigned bytes and their labels, plain and gzip.
import gzip
import struct
images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10
idx = struct.pack(">BBBB", 0, 0, 0x08, 3) + struct.pack(">III", 2, 3, 4) + images.tobytes()
with open("images_2x3x4.idx", "wb") as f:
    f.write(idx)
with open("images_2x3x4.idx.gz", "wb") as f:
    f.write(gzip.compress(idx, mtime=0))
