#!/usr/bin/env bash
# CKKS at N = 8192 (primes of 60, 40, 40 bits, a 60-bit special prime, scale 2^40: TenSEAL's
# tutorial set, 128-bit secure) against Microsoft SEAL (as TenSEAL 0.3.18 ships it) and OpenFHE
# (PyPI openfhe; first modulus 55 bits, the largest its own 128-bit check accepts at N = 8192),
# one thread each, on the same operations: encode+encrypt (public key), add,
# multiply+relinearise+rescale, rotate by one slot, decrypt+decode. Median of REPEATS runs (default
# 25) per operation; prints a table of wall and CPU milliseconds and Bulwark ÷ peer ratios (below
# 1: Bulwark is faster). The machine is shared, so CPU time is the steadier figure.
#   Benchmarks/he/ckks-bench.sh [REPEATS]
# Peers: SEAL/TenSEAL from the venv of `Benchmarks/setup-venv.sh --he` (TenSEAL 0.3.18 needs
# CPython ≥ 3.11) and OpenFHE from `--he-openfhe` (its wheel's extension is built for CPython 3.10
# only); when no Python 3.10 is found the OpenFHE column is left out, said on stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repeats="${1:-25}"
venv="$("$here/../setup-venv.sh" --he | tail -1)"
export OMP_NUM_THREADS=1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "building the Swift driver (release)…" >&2
swift build -c release --package-path "$here/ckks-bench" --product ckks-bench >&2
"$(swift build -c release --package-path "$here/ckks-bench" --show-bin-path)/ckks-bench" "$repeats" > "$out/bulwark.json"
"$venv/bin/python" "$here/ckks-bench-seal.py" "$repeats" > "$out/seal.json"
if openfhe_venv="$("$here/../setup-venv.sh" --he-openfhe | tail -1)"; then
    "$openfhe_venv/bin/python" "$here/ckks-bench-openfhe.py" "$repeats" > "$out/openfhe.json"
else
    echo "OpenFHE: no CPython 3.10 for its wheel; its column is left out" >&2
fi
"$venv/bin/python" "$here/ckks-bench-table.py" "$out"
