#!/usr/bin/env python3
"""A software WebAuthn authenticator that writes GeneratedVectors.swift beside this script.

Peer-made fixtures for the Swift relying party: the CBOR comes from `cbor2`, the keys and the
ECDSA signatures (RFC 6979 deterministic nonces) from `cryptography`, so re-running the script
reproduces the file byte for byte.

    /work/venvs/scan/bin/python Tests/BulwarkAccessTests/WebAuthn/Fixtures/make_vectors.py

Needs `cryptography` and `cbor2` (pip install cryptography cbor2).
"""
import base64
import hashlib
import json
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

RP_ID = "bulwark.test"
ORIGIN = "https://bulwark.test"
UP, UV, BE, BS, AT, ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80


def seeded(label, length=32):
    """Deterministic bytes for `label` (SHA-256 based, so the fixture is reproducible)."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"bulwark webauthn vectors/{label}/{counter}".encode()).digest()
        counter += 1
    return out[:length]


def p256_key(label):
    scalar = int.from_bytes(seeded(label), "big") % (2**256 - 2**224 + 2**192 + 2**96 - 1)
    return ec.derive_private_key(scalar, ec.SECP256R1())


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cose_es256(key):
    numbers = key.public_key().public_numbers()
    return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


def cose_es384(key):
    numbers = key.public_key().public_numbers()
    return cbor2.dumps({1: 2, 3: -35, -1: 2, -2: numbers.x.to_bytes(48, "big"), -3: numbers.y.to_bytes(48, "big")})


def cose_ed25519(key):
    return cbor2.dumps({1: 1, 3: -8, -1: 6, -2: key.public_key().public_bytes_raw()})


def sign(key, message):
    return key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


def client_data(kind, challenge, origin=ORIGIN, cross_origin=False):
    return json.dumps(
        {"type": kind, "challenge": b64url(challenge), "origin": origin, "crossOrigin": cross_origin},
        separators=(",", ":"),
    ).encode()


def auth_data(flags, count, attested=None, extensions=None, rp_id=RP_ID):
    data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + count.to_bytes(4, "big")
    if attested is not None:
        aaguid, credential_id, cose = attested
        data += aaguid + len(credential_id).to_bytes(2, "big") + credential_id + cose
    if extensions is not None:
        data += cbor2.dumps(extensions)
    return data


vectors = {}


def registration(name, fmt="none", flags=UP | UV | AT, cose=None, key=None, stmt=None, label=None):
    label = label or name
    key = key or p256_key(label + "/credential")
    challenge = seeded(label + "/challenge")
    credential_id = seeded(label + "/credential-id", 32)
    aaguid = seeded(label + "/aaguid", 16)
    cdj = client_data("webauthn.create", challenge)
    ad = auth_data(flags, 0, (aaguid, credential_id, cose or cose_es256(key)))
    if stmt is None:
        stmt = {}
        if fmt == "packed":
            stmt = {"alg": -7, "sig": sign(key, ad + hashlib.sha256(cdj).digest())}
    att = cbor2.dumps({"fmt": fmt, "attStmt": stmt, "authData": ad})
    vectors[name] = {
        "challenge": challenge, "credentialId": credential_id, "aaguid": aaguid,
        "clientDataJSON": cdj, "attestationObject": att,
    }
    return key, credential_id


def assertion(name, key, credential_id, count, flags=UP | UV, user_handle=b"", extensions=None):
    challenge = seeded(name + "/challenge")
    cdj = client_data("webauthn.get", challenge)
    if extensions is not None:
        flags |= ED
    ad = auth_data(flags, count, extensions=extensions)
    vectors[name] = {
        "challenge": challenge, "credentialId": credential_id, "clientDataJSON": cdj,
        "authenticatorData": ad, "signature": sign(key, ad + hashlib.sha256(cdj).digest()),
        "userHandle": user_handle,
    }


USER_HANDLE = seeded("user-handle", 16)

key, cred = registration("regNone")
assertion("authNoneCount5", key, cred, 5, user_handle=USER_HANDLE)
assertion("authNoneCount6Extensions", key, cred, 6, user_handle=USER_HANDLE, extensions={"credProps": True})
assertion("authNoneNoUserPresence", key, cred, 7, flags=UV, user_handle=USER_HANDLE)
key, cred = registration("regPackedSelf", fmt="packed", flags=UP | AT | BE | BS)
assertion("authPackedSelfCount0", key, cred, 0, flags=UP | BE)
registration("regPackedSelfWrongKey", fmt="packed",
             stmt={"alg": -7, "sig": sign(p256_key("other"), b"not the signed bytes")})
registration("regNoUserPresence", flags=UV | AT)
registration("regES384Key", cose=cose_es384(ec.derive_private_key(12345, ec.SECP384R1())))
registration("regEd25519Key", cose=cose_ed25519(ed25519.Ed25519PrivateKey.from_private_bytes(seeded("ed25519"))))
registration("regFidoU2F", fmt="fido-u2f", stmt={"sig": b"\x30\x00", "x5c": [b"\x30\x00"]})

here = os.path.dirname(os.path.abspath(__file__))
lines = [
    "// Generated by make_vectors.py (a software authenticator on `cryptography` + `cbor2`); do not edit.",
    "// RP ID \"%s\", origin \"%s\"; user handle %s." % (RP_ID, ORIGIN, USER_HANDLE.hex()),
    "",
    "/// Registration and assertion vectors from the Python software authenticator.",
    "enum GeneratedVectors {",
    "    static let rpId = \"%s\"" % RP_ID,
    "    static let origin = \"%s\"" % ORIGIN,
    "    static let userHandle = \"%s\"" % USER_HANDLE.hex(),
]
for name, fields in vectors.items():
    lines.append("    static let %s: [String: String] = [" % name)
    for field, value in fields.items():
        lines.append("        \"%s\": \"%s\"," % (field, value.hex()))
    lines.append("    ]")
lines.append("}")
with open(os.path.join(here, "GeneratedVectors.swift"), "w") as out:
    out.write("\n".join(lines) + "\n")
print("wrote %d vectors" % len(vectors))
