#!/usr/bin/env python3
"""Sign and verify a 1 GB model directory with model-signing and with Bulwark, in one run.

  bench.py BULWARK_BINARY [--size-mb 1000] [--repeat 3] [--dir /tmp/bulwark-sign-bench]

The model is a Hugging-Face-like directory: four safetensors-sized shards of random bytes plus
small JSON files. Both tools sign with the same P-256 key and per-file hashing (their default),
and verify the bundle. Each measurement is the best of --repeat runs with a warm page cache,
timed around the command-line tool (what a user runs); model-signing is also timed in-process
(its Python API, without interpreter start-up). Prints times, GB/s and the ratios Bulwark ÷ peer time.
"""

import argparse
import hashlib
import os
import pathlib
import subprocess
import sys
import tempfile
import time


def make_model(root, size_mb):
    marker = root / ".complete"
    if marker.exists() and marker.read_text() == str(size_mb):
        return
    root.mkdir(parents=True, exist_ok=True)
    parts = 4
    per_part = size_mb * 1_000_000 // parts
    for i in range(parts):
        with open(root / f"model-{i + 1:05d}-of-{parts:05d}.safetensors", "wb") as f:
            left = per_part
            while left:
                n = min(left, 16 << 20)
                f.write(os.urandom(n))
                left -= n
    (root / "config.json").write_text('{"architectures": ["BenchModel"], "hidden_size": 4096}\n')
    (root / "tokenizer.json").write_text('{"version": "1.0"}\n' * 1000)
    marker.write_text(str(size_mb))


def warm(root):
    for path in sorted(root.iterdir()):
        with open(path, "rb") as f:
            while f.read(16 << 20):
                pass


def model_bytes(root):
    return sum(p.stat().st_size for p in root.iterdir() if p.name != ".complete")


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}\n{result.stdout}{result.stderr}")


def sha256_single_core_rate():
    block = os.urandom(64 << 20)
    start = time.perf_counter()
    for _ in range(4):
        hashlib.sha256(block).digest()
    return 4 * len(block) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bulwark")
    parser.add_argument("--size-mb", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default="/tmp/bulwark-sign-bench")
    args = parser.parse_args()

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import model_signing
    from model_signing import hashing, signing, verifying

    base = pathlib.Path(args.dir)
    model = base / "model"
    make_model(model, args.size_mb)
    (model / ".complete").unlink(missing_ok=True)  # not part of the model while measuring
    try:
        size = model_bytes(model)
        work = pathlib.Path(tempfile.mkdtemp(prefix="bulwark-sign-bench-"))
        key = ec.generate_private_key(ec.SECP256R1())
        (work / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
        (work / "key.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        ms_cli = str(pathlib.Path(sys.executable).parent / "model_signing")
        warm(model)

        results = {}
        results["model-signing CLI sign"] = best_of(args.repeat, lambda: run([ms_cli, "sign", "key", model, "--private_key", work / "key.pem", "--signature", work / "ms.sig"]))
        results["model-signing CLI verify"] = best_of(args.repeat, lambda: run([ms_cli, "verify", "key", model, "--public_key", work / "key.pub", "--signature", work / "ms.sig"]))
        results["model-signing API sign"] = best_of(args.repeat, lambda: signing.Config().use_elliptic_key_signer(private_key=work / "key.pem").set_hashing_config(hashing.Config()).sign(model, work / "ms-api.sig"))
        results["model-signing API verify"] = best_of(args.repeat, lambda: verifying.Config().use_elliptic_key_verifier(public_key=work / "key.pub").set_hashing_config(hashing.Config()).verify(model, work / "ms-api.sig"))
        results["bulwark sign"] = best_of(args.repeat, lambda: run([args.bulwark, "sign", model, "--private-key", work / "key.pem", "--signature", work / "b.sig"]))
        results["bulwark verify"] = best_of(args.repeat, lambda: run([args.bulwark, "verify", model, "--public-key", work / "key.pub", "--signature", work / "b.sig"]))
        # Cross-checks: each tool verifies the other's bundle (the numbers mean nothing otherwise).
        run([args.bulwark, "verify", model, "--public-key", work / "key.pub", "--signature", work / "ms.sig"])
        run([ms_cli, "verify", "key", model, "--public_key", work / "key.pub", "--signature", work / "b.sig"])

        rate = sha256_single_core_rate()
        cores = os.cpu_count() or 1
        files = [p for p in model.iterdir()]
        largest = max(p.stat().st_size for p in files)
        limit = max(size / (rate * min(cores, len(files))), largest / rate)
        print(f"model: {len(files)} files, {size / 1e9:.3f} GB; {cores} cores; model-signing {model_signing.__version__}; best of {args.repeat}, warm cache")
        print(f"SHA-256 limit: {rate / 1e9:.2f} GB/s per core -> {limit:.3f} s for this model on {cores} cores")
        for name, seconds in results.items():
            print(f"  {name:28s} {seconds:7.3f} s  {size / seconds / 1e9:5.2f} GB/s")
        for op in ["sign", "verify"]:
            b = results[f"bulwark {op}"]
            print(f"ratio {op} (Bulwark ÷ peer time): bulwark / model-signing CLI = {b / results[f'model-signing CLI {op}']:.2f}; "
                  f"bulwark / model-signing API = {b / results[f'model-signing API {op}']:.2f}; "
                  f"bulwark at {limit / b * 100:.0f}% of the SHA-256 limit")
        print("cross-check: each tool verified the other's bundle")
    finally:
        (model / ".complete").write_text(str(args.size_mb))


if __name__ == "__main__":
    main()
