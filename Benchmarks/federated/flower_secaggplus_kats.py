"""Known-answer values for Bulwark's Flower SecAgg+ compatibility primitives.

Prints the values that Tests/BulwarkCryptoTests/FlowerCompatibilityKATTests.swift and
Tests/BulwarkFederatedTests/FlowerSecAggPlusTests.swift embed as literals, computed with the
reference implementations in the Flower venv (Benchmarks/setup-venv.sh --flower):
numpy's legacy RandomState (MT19937), Flower's pseudo_rand_gen, PyCryptodome's GF(2^128)
Shamir, cryptography's Fernet and Flower's generate_shared_key.

    "$(Benchmarks/setup-venv.sh --flower)/bin/python" Benchmarks/federated/flower_secaggplus_kats.py

Everything is seeded or fixed, so every run prints the same values.
"""
import base64

import numpy as np
from Crypto.Protocol.SecretSharing import _Element
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from flwr.common.secure_aggregation.crypto.shamir import combine_shares, create_shares
from flwr.common.secure_aggregation.crypto.symmetric_encryption import generate_shared_key
from flwr.common.secure_aggregation.secaggplus_utils import pseudo_rand_gen, share_keys_plaintext_concat


def section(name):
    print(f"\n== {name}")


section("RandomState.randint")
for seed, high, size in ((5489, 2**32 - 1, 6), (12345, 2**32 - 1, 4), (7, 1000, 8), (42, 2**40, 4), (42, 2**62 + 3, 3), (3, 2**32 + 5, 4)):
    gen = np.random.RandomState(seed)
    print(f"seed {seed} randint(0, {high}, {size}) = {gen.randint(0, high, size, dtype=np.int64).tolist()}")
gen = np.random.RandomState(99)
scalar = gen.randint(0, 2**32 - 1)
after = gen.randint(0, 2**32 - 1, (2,), dtype=np.int64).tolist()
print(f"seed 99 scalar randint(0, 2**32-1) = {scalar}, then (2,) = {after}")
gen = np.random.RandomState(1)
print(f"seed 1 raw uint32 x 3 = {[int(v) for v in gen.randint(0, 2**32, 3, dtype=np.uint64)]}")

section("pseudo_rand_gen")
seed = bytes(range(32))
masks = pseudo_rand_gen(seed, 2**32, [(1,), (2, 3), ()])
print("seed bytes(range(32)), mod 2**32, shapes (1,), (2,3), ():", [m.tolist() for m in masks])
key = base64.urlsafe_b64encode(bytes(range(100, 132)))
print("seed", key.decode(), "mod 2**20, shape (5,):", pseudo_rand_gen(key, 2**20, [(5,)])[0].tolist())

section("GF(2^128)")
a = _Element(bytes(range(1, 17)))
b = _Element(bytes(range(17, 33)))
print("a*b =", (a * b).encode().hex())
print("a^-1 =", a.inverse().encode().hex())
print("3*5 =", (_Element(3) * _Element(5)).encode().hex())
print("2^128 wrap: (1<<127)*2 =", (_Element(1 << 127) * _Element(2)).encode().hex())

section("Shamir.split with fixed coefficients (k=3, n=4)")
coeffs = [_Element(bytes([0xA0 + i] * 16)) for i in range(2)]
secret = _Element(b"0123456789abcdef")
for user in range(1, 5):
    idx, share = _Element(user), _Element(0)
    for c in coeffs + [secret]:
        share = idx * share + c
    print(f"share {user}: {share.encode().hex()}")

section("Flower combine_shares of Python-made create_shares (k=2, n=3), secret 32 bytes 0x11..")
shares = create_shares(bytes(range(0x11, 0x11 + 32)), 2, 3)
for s in shares:
    print(s.hex())
assert combine_shares([shares[2], shares[0]]) == bytes(range(0x11, 0x11 + 32))

section("Fernet")
fkey = base64.urlsafe_b64encode(bytes(range(32)))
token = Fernet(fkey)._encrypt_from_parts(b"Bulwark SecAgg+ plaintext", 1700000000, bytes(range(200, 216)))
print("key", fkey.decode())
print("token", token.decode())

section("ECDH P-384 + HKDF-SHA256 (generate_shared_key)")
sk_a = ec.derive_private_key(0x1234567890ABCDEF << 200 | 0x55, ec.SECP384R1())
sk_b = ec.derive_private_key(0xFEDCBA0987654321 << 180 | 0x77, ec.SECP384R1())
pem_a = sk_a.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
pub_b = sk_b.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
print(pem_a.decode())
print(pub_b.decode())
print("shared key", generate_shared_key(sk_a, sk_b.public_key()).decode())

section("share_keys_plaintext_concat")
print(share_keys_plaintext_concat(2**63 + 5, 77, b"\x01\x02\x03", b"\x04\x05").hex())
