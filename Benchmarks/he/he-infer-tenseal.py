"""TenSEAL's tutorial approach to encrypted MLP inference, the peer of Benchmarks/he/he-infer.sh.

One image per ciphertext as in TenSEAL's tutorials (ts.ckks_vector of the 784 pixels), then
enc.mm(W1ᵀ) + b1, .square_(), .mm(W2ᵀ) + b2 with plaintext weights, and decrypt. A 784-32-10
square-activation MLP with random weights of a trained layer's scale (uniform ±1/√fan-in, biases
±0.1) and random images in [0, 1], seeded. Same CKKS parameters as the Swift driver: N = 8192,
coefficient moduli of 52, 38, 38, 38 bits and a 52-bit special prime (218 bits), scale 2^38,
Galois keys of TenSEAL's default set (powers of two), one thread.
Prints one JSON object: per-image wall and CPU seconds (median), sizes and the error against
plaintext inference.
    python he-infer-tenseal.py [IMAGES (default 5)] [SEED (default 1)]
    python he-infer-tenseal.py --model mlp-square.safetensors [--data-dir DIR] [IMAGES]
With --model, the weights are those of a trained Bulwark zoo mlp (784-h-10, --activation square
or poly, read from its safetensors file) and the images the first IMAGES Fashion-MNIST test
images (IDX files under --data-dir), so both sides run the same model on the same inputs.
"""
import gzip
import json
import statistics
import sys
import time

import numpy as np
import tenseal as ts

args = sys.argv[1:]
MODEL = None
DATA_DIR = "/usr/share/datasets/fashion-mnist"
while args and args[0].startswith("--"):
    if args[0] == "--model" and len(args) > 1:
        MODEL, args = args[1], args[2:]
    elif args[0] == "--data-dir" and len(args) > 1:
        DATA_DIR, args = args[1], args[2:]
    else:
        sys.exit("he-infer-tenseal.py: unknown option %s" % args[0])
IMAGES = int(args[0]) if len(args) > 0 else 5
SEED = int(args[1]) if len(args) > 1 else 1
if IMAGES <= 0:
    sys.exit("he-infer-tenseal.py: the image count must be positive")


def read_safetensors(path):
    """The float32 tensors and the metadata of a safetensors file (8-byte header length, JSON header, data)."""
    with open(path, "rb") as f:
        blob = f.read()
    length = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + length])
    data = blob[8 + length:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            sys.exit("he-infer-tenseal.py: %s: tensor %s is %s, not F32" % (path, name, entry["dtype"]))
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype="<f4").astype(np.float64).reshape(entry["shape"])
    return tensors, metadata


def read_idx_images(path, count):
    with gzip.open(path, "rb") as f:
        blob = f.read()
    n, rows, cols = (int.from_bytes(blob[4 + 4 * k:8 + 4 * k], "big") for k in range(3))
    pixels = np.frombuffer(blob[16:16 + min(n, count) * rows * cols], dtype=np.uint8)
    return pixels.reshape(-1, rows * cols).astype(np.float64) / 255.0


activation = "square"
if MODEL:
    tensors, metadata = read_safetensors(MODEL)
    activation = metadata.get("bulwark.activation", "relu")
    if activation not in ("square", "poly") or set(tensors) != {"1.weight", "1.bias", "3.weight", "3.bias"}:
        sys.exit("he-infer-tenseal.py: %s is not a one-hidden-layer square/poly zoo mlp" % MODEL)
    w1, b1, w2, b2 = tensors["1.weight"], tensors["1.bias"], tensors["3.weight"], tensors["3.bias"]
    if activation == "poly":
        # 0.125·z² + 0.5·z + 0.25 = 0.125·(z + 2)² − 0.25, as bulwark he infer folds it.
        b1 = b1 + 2.0
        b2 = b2 - 0.25 * w2.sum(axis=1)
        w2 = 0.125 * w2
    images = read_idx_images(DATA_DIR + "/t10k-images-idx3-ubyte.gz", IMAGES)
    inputs, hidden, outputs = w1.shape[1], w1.shape[0], w2.shape[0]
else:
    rng = np.random.default_rng(SEED)
    inputs, hidden, outputs = 784, 32, 10
    w1 = rng.uniform(-1, 1, (hidden, inputs)) / np.sqrt(inputs)
    b1 = rng.uniform(-0.1, 0.1, hidden)
    w2 = rng.uniform(-1, 1, (outputs, hidden)) / np.sqrt(hidden)
    b2 = rng.uniform(-0.1, 0.1, outputs)
    images = rng.uniform(0, 1, (IMAGES, inputs))


def plaintext(x):
    return w2 @ (w1 @ x + b1) ** 2 + b2


setup_start = time.perf_counter()
context = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=8192,
                     coeff_mod_bit_sizes=[52, 38, 38, 38, 52], n_threads=1)
context.global_scale = 2.0 ** 38
context.generate_galois_keys()
setup_seconds = time.perf_counter() - setup_start

w1t, w2t = w1.T.tolist(), w2.T.tolist()
b1l, b2l = b1.tolist(), b2.tolist()
wall = {"encrypt": [], "evaluate": [], "decrypt": []}
cpu = {"encrypt": [], "evaluate": [], "decrypt": []}
max_error, agree = 0.0, 0
input_bytes = output_bytes = 0
for image in images:
    w0, c0 = time.perf_counter(), time.process_time()
    enc = ts.ckks_vector(context, image.tolist())
    w1_, c1 = time.perf_counter(), time.process_time()
    enc_h = enc.mm(w1t) + b1l
    enc_h.square_()
    enc_y = enc_h.mm(w2t) + b2l
    w2_, c2 = time.perf_counter(), time.process_time()
    logits = np.array(enc_y.decrypt())
    w3, c3 = time.perf_counter(), time.process_time()
    wall["encrypt"].append(w1_ - w0); cpu["encrypt"].append(c1 - c0)
    wall["evaluate"].append(w2_ - w1_); cpu["evaluate"].append(c2 - c1)
    wall["decrypt"].append(w3 - w2_); cpu["decrypt"].append(c3 - c2)
    expected = plaintext(image)
    max_error = max(max_error, float(np.max(np.abs(logits - expected))))
    agree += int(np.argmax(logits) == np.argmax(expected))
    input_bytes = len(enc.serialize())
    output_bytes = len(enc_y.serialize())

report = {
    "peer": "TenSEAL %s (Microsoft SEAL), tutorial approach: one ckks_vector per image, mm, square, mm" % ts.__version__,
    "images": len(images),
    "model": MODEL or "random 784-32-10 weights",
    "activation": activation,
    "images_per_ciphertext": 1,
    "setup_seconds": {"context_and_galois_keys": setup_seconds},
    "per_image_seconds": {
        "encrypt_wall": statistics.median(wall["encrypt"]), "encrypt_cpu": statistics.median(cpu["encrypt"]),
        "evaluate_wall": statistics.median(wall["evaluate"]), "evaluate_cpu": statistics.median(cpu["evaluate"]),
        "decrypt_wall": statistics.median(wall["decrypt"]), "decrypt_cpu": statistics.median(cpu["decrypt"]),
        "end_to_end_cpu": sum(statistics.median(cpu[k]) for k in cpu),
    },
    "bytes": {"input_ciphertext": input_bytes, "output_ciphertext": output_bytes},
    "max_abs_error_vs_plaintext": max_error,
    "argmax_agreement": agree / len(images),
}
print(json.dumps(report, indent=2, sort_keys=True))
