"""Prints the CKKS comparison table from the JSON files ckks-bench.sh collected in one directory."""
import json
import os
import sys

OPERATIONS = [
    ("encode_encrypt", "encode + encrypt (public key)"),
    ("add", "add"),
    ("multiply_relinearize_rescale", "multiply + relinearise + rescale"),
    ("multiply", "  multiply (tensor) only"),
    ("relinearize", "  relinearise only"),
    ("rescale", "  rescale only"),
    ("rotate_1", "rotate by 1"),
    ("decrypt_decode", "decrypt + decode"),
]


def load(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def cell(seconds):
    return "—" if seconds is None else f"{seconds * 1e3:9.3f}"


def ratio(ours, theirs):
    return "—" if ours is None or theirs is None else f"{ours / theirs:5.2f}"


def main():
    directory = sys.argv[1]
    bulwark = load(directory, "bulwark.json")
    seal = load(directory, "seal.json")
    openfhe = load(directory, "openfhe.json")
    columns = [("Bulwark", bulwark["seconds"])]
    if seal:
        columns.append(("SEAL", seal["seal"]["seconds"]))
        columns.append(("TenSEAL", seal["tenseal"]["seconds"]))
    if openfhe:
        columns.append(("OpenFHE", openfhe["seconds"]))
    print(f"CKKS, N = {bulwark['ring_dimension']}, moduli {bulwark['coefficient_modulus_bits']} bits "
          f"(last = special prime), scale 2^40, one thread, median of {bulwark['repeats']} runs")
    print(f"Bulwark primes: {', '.join(bulwark['primes'])}; security: {bulwark['security']}")
    if seal:
        print(f"SEAL: {seal['peer']}, security {seal['security']}")
    if openfhe:
        print(f"OpenFHE: {openfhe['peer']}, ring dimension {openfhe['ring_dimension']}, "
              f"{openfhe['log2_qp']}, security {openfhe['security']}")
    for kind in ("cpu", "wall"):
        print()
        print(f"{kind.upper()} milliseconds (ratio = Bulwark ÷ peer; below 1 Bulwark is faster)")
        header = f"{'operation':36}" + "".join(f"{name:>10}" for name, _ in columns)
        header += "".join(f"{'÷ ' + name:>11}" for name, _ in columns[1:])
        print(header)
        for key, label in OPERATIONS:
            values = [c.get(key, {}).get(kind) if c.get(key) else None for _, c in columns]
            line = f"{label:36}" + "".join(f"{cell(v):>10}" for v in values)
            line += "".join(f"{ratio(values[0], v):>11}" for v in values[1:])
            print(line)
    print()
    errors = [("Bulwark", bulwark)]
    if seal:
        errors.append(("SEAL", seal["seal"]))
    if openfhe:
        errors.append(("OpenFHE", openfhe))
    print("max |error| of x·y / rotate(x, 1): " + "; ".join(
        f"{name} {e.get('max_error_xy', float('nan')):.2e} / {e.get('max_error_rotate', float('nan')):.2e}" for name, e in errors))
    hoisted = bulwark["seconds"].get("rotate_1_to_8_hoisted")
    if hoisted:
        print(f"Bulwark rotations by 1…8 of one ciphertext: separately "
              f"{bulwark['seconds']['rotate_1_to_8_separately']['cpu'] * 1e3:.3f} ms, hoisted (one shared decomposition) "
              f"{hoisted['cpu'] * 1e3:.3f} ms (CPU)")
    print(f"Bulwark extra: one NTT of one 60-bit prime: forward "
          f"{bulwark['seconds']['ntt_forward_one_prime']['cpu'] * 1e6:.1f} µs, inverse "
          f"{bulwark['seconds']['ntt_inverse_one_prime']['cpu'] * 1e6:.1f} µs (CPU); encode alone "
          f"{bulwark['seconds']['encode']['cpu'] * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
