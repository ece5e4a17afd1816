#!/usr/bin/env python3
"""Checks that a safetensors file written by Bulwark loads in Hugging Face's `safetensors`
package and is byte-identical to what that package writes for the same tensors.

Usage:
    venv="$(Benchmarks/setup-venv.sh | tail -n 1)"     # $BULWARK_VENV, default Benchmarks/.venv
    "$venv/bin/python" Benchmarks/interop/check_safetensors.py model.safetensors [--expect-names a,b]

Prints one line per tensor and a verdict; exits non-zero on any failure.
"""
import argparse
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="a .safetensors file written by Bulwark")
    parser.add_argument("--expect-names", default=None,
                        help="comma-separated tensor names that must be present")
    args = parser.parse_args()

    with open(args.path, "rb") as f:
        original = f.read()
    try:
        tensors = load_file(args.path)
        with safe_open(args.path, framework="numpy") as f:
            metadata = f.metadata()
    except Exception as error:  # the package's own validation failed
        print(f"FAIL: safetensors could not load {args.path}: {error}")
        return 1

    failures = []
    for name in sorted(tensors):
        a = tensors[name]
        finite = bool(np.isfinite(a).all()) if a.size else True
        print(f"{name}: dtype={a.dtype} shape={list(a.shape)} finite={finite}")
        if a.dtype != np.float32:
            failures.append(f"{name} has dtype {a.dtype}, Bulwark writes float32")
    if args.expect_names:
        missing = set(args.expect_names.split(",")) - set(tensors)
        if missing:
            failures.append(f"missing tensors: {sorted(missing)}")

    # Byte identity: re-serialize with the Python package. Metadata order is random in the
    # package for two or more keys, so identity is only checked with at most one key.
    if metadata is None or len(metadata) <= 1:
        again = save(tensors, metadata=metadata)
        if again != original:
            failures.append("bytes differ from what the safetensors package writes for the same tensors")
        else:
            print("bytes: identical to the safetensors package's output")
    else:
        print(f"bytes: not compared ({len(metadata)} metadata keys; the package orders them randomly)")

    if failures:
        for failure in failures:
            print(f"FAIL: {failure}")
        return 1
    print(f"OK: {len(tensors)} tensors, metadata={metadata}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
