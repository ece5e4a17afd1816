"""Microsoft SEAL's CKKS as TenSEAL ships it, timed on the operations of Benchmarks/he/ckks-bench.sh.

Two views of the same SEAL build (TenSEAL 0.3.18 bundles SEAL and its Python bindings, `sealapi`):
- "seal": SEAL's own API through tenseal.sealapi: CKKSEncoder, Encryptor (public key), Evaluator
  (multiply, relinearize, rescale_to_next, rotate_vector), the primitive operations one to one.
- "tenseal": TenSEAL's vector API, ts.context(CKKS, 8192, [60, 40, 40, 60], n_threads=1) with
  global scale 2^40 and Galois keys: ts.ckks_vector (encode + encrypt), `*` (multiply with automatic
  relinearisation and rescale), `+`, decrypt. TenSEAL has no public single-rotation call.
Parameters: N = 8192, coefficient moduli of 60, 40, 40 bits and a 60-bit special prime (200 bits,
SEAL's tc128 check passes), scale 2^40, 4096 slots. Prints one JSON object: median wall and CPU seconds.
"""
import json
import statistics
import sys
import time

import numpy as np
import tenseal as ts
from tenseal import sealapi as seal

REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 25
SCALE = 2.0 ** 40


def median_seconds(fn, repeats=REPEATS):
    """Median wall time and median CPU time of this process (the machine is shared: CPU time is
    the figure that other jobs do not inflate), in seconds."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return {"wall": statistics.median(wall), "cpu": statistics.median(cpu)}


def seal_times(x, y):
    params = seal.EncryptionParameters(seal.SCHEME_TYPE.CKKS)
    params.set_poly_modulus_degree(8192)
    params.set_coeff_modulus(seal.CoeffModulus.Create(8192, [60, 40, 40, 60]))
    context = seal.SEALContext(params, True, seal.SEC_LEVEL_TYPE.TC128)
    keygen = seal.KeyGenerator(context)
    public_key = seal.PublicKey()
    keygen.create_public_key(public_key)
    relin_keys = seal.RelinKeys()
    keygen.create_relin_keys(relin_keys)
    galois_keys = seal.GaloisKeys()
    keygen.create_galois_keys(galois_keys)  # the default set: every power-of-two step, 1 among them
    encoder = seal.CKKSEncoder(context)
    encryptor = seal.Encryptor(context, public_key)
    decryptor = seal.Decryptor(context, keygen.secret_key())
    evaluator = seal.Evaluator(context)

    def encode_encrypt(values):
        plain = seal.Plaintext()
        encoder.encode(values, SCALE, plain)
        cipher = seal.Ciphertext()
        encryptor.encrypt(plain, cipher)
        return cipher

    cx, cy = encode_encrypt(x), encode_encrypt(y)

    def multiply_relinearize_rescale():
        out = seal.Ciphertext()
        evaluator.multiply(cx, cy, out)
        evaluator.relinearize_inplace(out, relin_keys)
        evaluator.rescale_to_next_inplace(out)
        return out

    def multiply_only():
        out = seal.Ciphertext()
        evaluator.multiply(cx, cy, out)
        return out

    tensor = multiply_only()

    def relinearize_only():
        out = seal.Ciphertext()
        evaluator.relinearize(tensor, relin_keys, out)
        return out

    relinearized = relinearize_only()

    def rescale_only():
        out = seal.Ciphertext()
        evaluator.rescale_to_next(relinearized, out)
        return out

    def rotate():
        out = seal.Ciphertext()
        evaluator.rotate_vector(cx, 1, galois_keys, out)
        return out

    def add():
        out = seal.Ciphertext()
        evaluator.add(cx, cy, out)
        return out

    def decrypt_decode(cipher=cx):
        plain = seal.Plaintext()
        decryptor.decrypt(cipher, plain)
        return encoder.decode_double(plain)

    product = np.array(decrypt_decode(multiply_relinearize_rescale()))
    rotated = np.array(decrypt_decode(rotate()))
    errors = {
        "max_error_xy": float(np.max(np.abs(product - np.array(x) * np.array(y)))),
        "max_error_rotate": float(np.max(np.abs(rotated - np.roll(np.array(x), -1)))),
    }
    times = {
        "encode_encrypt": median_seconds(lambda: encode_encrypt(x)),
        "add": median_seconds(add),
        "multiply_relinearize_rescale": median_seconds(multiply_relinearize_rescale),
        "multiply": median_seconds(multiply_only),
        "relinearize": median_seconds(relinearize_only),
        "rescale": median_seconds(rescale_only),
        "rotate_1": median_seconds(rotate),
        "decrypt_decode": median_seconds(decrypt_decode),
    }
    return times, errors


def tenseal_times(x, y):
    context = ts.context(ts.SCHEME_TYPE.CKKS, 8192, coeff_mod_bit_sizes=[60, 40, 40, 60], n_threads=1)
    context.global_scale = SCALE
    context.generate_galois_keys()
    cx, cy = ts.ckks_vector(context, x), ts.ckks_vector(context, y)
    error = float(np.max(np.abs(np.array((cx * cy).decrypt()) - np.array(x) * np.array(y))))
    times = {
        "encode_encrypt": median_seconds(lambda: ts.ckks_vector(context, x)),
        "add": median_seconds(lambda: cx + cy),
        "multiply_relinearize_rescale": median_seconds(lambda: cx * cy),
        "decrypt_decode": median_seconds(lambda: cx.decrypt()),
    }
    return times, {"max_error_xy": error}


def main():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 4096).tolist()
    y = rng.uniform(-1, 1, 4096).tolist()
    seal_seconds, seal_errors = seal_times(x, y)
    tenseal_seconds, tenseal_errors = tenseal_times(x, y)
    print(json.dumps({
        "peer": f"SEAL (TenSEAL {ts.__version__})",
        "ring_dimension": 8192,
        "coefficient_modulus_bits": [60, 40, 40, 60],
        "security": "tc128 (SEAL's HE-standard check)",
        "repeats": REPEATS,
        "seal": {"seconds": seal_seconds, **seal_errors},
        "tenseal": {"seconds": tenseal_seconds, **tenseal_errors},
    }))


if __name__ == "__main__":
    main()
