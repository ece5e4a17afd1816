#!/usr/bin/env bash
# Paillier operations per second, Bulwark against python-paillier (phe 1.5 on gmpy2) in the same
# run: encrypt, decrypt, add (ciphertext + ciphertext) and scalar multiply (by a float), each on
# one thread for SECONDS, with the same key size and the same kind of inputs (random doubles in
# [-1000, 1000): 53-bit mantissas in python-paillier's base-16 encoding). Then Bulwark's batch
# rates over all cores (phe has none). Prints a table with the ratio Bulwark / phe.
#
#   Benchmarks/he/paillier-bench.sh [path/to/bulwark]   default: .build/release/bulwark
#   PAILLIER_BENCH_BITS=2048 PAILLIER_BENCH_SECONDS=3
set -euo pipefail
cd "$(dirname "$0")/../.."
binary="${1:-.build/release/bulwark}"
[ -x "$binary" ] || { echo "paillier-bench: $binary not built (swift build -c release --product bulwark)" >&2; exit 2; }
bits="${PAILLIER_BENCH_BITS:-2048}"
seconds="${PAILLIER_BENCH_SECONDS:-3}"
venv="$(Benchmarks/setup-venv.sh --paillier | tail -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$binary" he paillier bench --bits "$bits" --seconds "$seconds" --json > "$work/bulwark.json"
(cd "$work" && "$venv/bin/python" - "$bits" "$seconds") > "$work/phe.json" <<'PY'
import json, random, sys, time
import gmpy2  # noqa: F401  (phe uses it when installed)
import phe
from phe import util
assert util.HAVE_GMP, "phe is not using gmpy2"
bits, seconds = int(sys.argv[1]), float(sys.argv[2])
pub, priv = phe.generate_paillier_keypair(n_length=bits)
rng = random.SystemRandom()
values = [rng.uniform(-1000, 1000) for _ in range(256)]
scalars = [rng.uniform(-1000, 1000) for _ in range(256)]
cts = [pub.encrypt(v) for v in values]

def rate(op):
    op(0)
    i, start = 0, time.perf_counter()
    while True:
        op(i); i += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return i / elapsed

print(json.dumps({
    "encrypt": rate(lambda i: pub.encrypt(values[i & 255])),
    "decrypt": rate(lambda i: priv.decrypt(cts[i & 255])),
    "add": rate(lambda i: cts[i & 255] + cts[(i + 1) & 255]),
    "multiply": rate(lambda i: cts[i & 255] * scalars[i & 255]),
}))
PY
python3 - "$work/bulwark.json" "$work/phe.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
print(f"Paillier-{b['bits']}: operations per second (one thread unless said)")
print(f"| operation | phe + gmpy2 | Bulwark | Bulwark / phe | Bulwark, {b['cores']} cores |")
print("| --- | ---: | ---: | ---: | ---: |")
for op in ["encrypt", "decrypt", "add", "multiply"]:
    s, a = b["single_thread"][op], b["all_cores"][op]
    print(f"| {op} | {p[op]:,.0f} | {s:,.0f} | {s / p[op]:.2f}× | {a:,.0f} |")
PY
