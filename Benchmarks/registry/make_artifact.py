"""Writes the benchmark's model file: a safetensors file (the format's real layout: an 8-byte
little-endian header length, a JSON header, then the tensor bytes) holding a two-layer MLP,
784 -> 1024 -> 10 in float32, about 3.2 MB. The weights are uniform in [-1/sqrt(fan_in),
1/sqrt(fan_in)] from a seeded generator, so every run writes the same bytes.

    python make_artifact.py OUT.safetensors      prints the file's SHA-256 (hex)
"""
import hashlib
import json
import random
import struct
import sys


def tensor_bytes(rng: random.Random, count: int, fan_in: int) -> bytes:
    bound = 1.0 / fan_in ** 0.5
    return struct.pack(f"<{count}f", *(rng.uniform(-bound, bound) for _ in range(count)))


def main() -> None:
    out = sys.argv[1]
    rng = random.Random(19)
    shapes = [("fc1.weight", [1024, 784], 784), ("fc1.bias", [1024], 784),
              ("fc2.weight", [10, 1024], 1024), ("fc2.bias", [10], 1024)]
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, shape, fan_in in shapes:
        count = 1
        for d in shape:
            count *= d
        data = tensor_bytes(rng, count, fan_in)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes with spaces
    body = struct.pack("<Q", len(text)) + text + b"".join(blobs)
    with open(out, "wb") as f:
        f.write(body)
    print(hashlib.sha256(body).hexdigest())


if __name__ == "__main__":
    main()
