#!/usr/bin/env python3
"""Interop between Bulwark's model signing and the `model-signing` Python package (v1.x).

  sign-interop.py make-fixtures   regenerate Tests/BulwarkSupplyChainTests/Fixtures/signing:
                                  fixture models, a fixture P-256 key, a CA chain, and bundles
                                  signed by model-signing (the Swift tests verify them).
  sign-interop.py check BULWARK   sign the fixture models with the `bulwark` binary and check
                                  that model-signing verifies every bundle, and rejects tampered
                                  models; prints 'N passed, N failed'.

Run through scripts/sign-interop.sh, which makes the virtualenv.
"""

import base64
import datetime
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests/BulwarkSupplyChainTests/Fixtures/signing"
SHARD_SIZE = 16


def pattern(n, seed):
    """Deterministic bytes (a linear congruential sequence), so the models never change."""
    out = bytearray()
    x = seed
    for _ in range(n):
        x = (1103515245 * x + 12345) & 0x7FFFFFFF
        out.append(x >> 16 & 0xFF)
    return bytes(out)


def write_models(root):
    """A small directory model whose names exercise model-signing's ordering and escaping."""
    model = root / "model"
    (model / "weights").mkdir(parents=True)
    (model / "config.json").write_text('{"architecture": "mlp", "layers": 2}\n')
    (model / "weights" / "layer0.bin").write_bytes(pattern(200, 1))
    (model / "weights" / "layer1.bin").write_bytes(pattern(37, 2))
    # "weights.json" sorts before "weights/…" as a string but after it by path components.
    (model / "weights.json").write_text('{"shards": 2}\n')
    (model / "données.txt").write_text("unicode file name\n")
    (model / "empty.txt").write_bytes(b"")
    (model / ".gitattributes").write_text("# ignored by default (git path)\n")
    (root / "single.bin").write_bytes(pattern(50, 3))


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())


def pub_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate(subject, issuer_name, public_key, signing_key, *, ca, path_length=None, usage="sign"):
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=36500))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    elif usage == "sign":
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    else:  # a certificate that may only do key agreement
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, True, False, False, False, False), critical=True)
    return builder.sign(signing_key, hashes.SHA256())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def make_fixtures():
    from model_signing import hashing, signing

    if FIXTURES.exists():
        shutil.rmtree(FIXTURES)
    FIXTURES.mkdir(parents=True)
    write_models(FIXTURES)
    (FIXTURES / "README.md").write_text("Made by `scripts/sign-interop.sh make-fixtures` (model-signing 1.1.1); do not edit by hand.\n")

    signer = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    (FIXTURES / "key.pem").write_bytes(key_pem(signer))
    (FIXTURES / "key.pub.pem").write_bytes(pub_pem(signer))
    (FIXTURES / "other.pub.pem").write_bytes(pub_pem(other))
    (FIXTURES / "p384.pem").write_bytes(key_pem(p384))
    (FIXTURES / "p384.pub.pem").write_bytes(pub_pem(p384))

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = certificate("Bulwark Test Root CA", "Bulwark Test Root CA", root_key.public_key(), root_key, ca=True)
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter = certificate("Bulwark Test Intermediate", "Bulwark Test Root CA", inter_key.public_key(), root_key, ca=True, path_length=0)
    leaf = certificate("Bulwark Model Signer", "Bulwark Test Intermediate", signer.public_key(), inter_key, ca=False)
    no_sign = certificate("Bulwark Key Agreement Only", "Bulwark Test Intermediate", signer.public_key(), inter_key, ca=False, usage="agree")
    other_root_key = ec.generate_private_key(ec.SECP256R1())
    other_root = certificate("Another Root CA", "Another Root CA", other_root_key.public_key(), other_root_key, ca=True)
    (FIXTURES / "ca.pem").write_bytes(cert_pem(root))
    (FIXTURES / "intermediate.pem").write_bytes(cert_pem(inter))
    (FIXTURES / "leaf.pem").write_bytes(cert_pem(leaf))
    (FIXTURES / "chain.pem").write_bytes(cert_pem(leaf) + cert_pem(inter))
    (FIXTURES / "leaf-no-signing.pem").write_bytes(cert_pem(no_sign))
    (FIXTURES / "other-ca.pem").write_bytes(cert_pem(other_root))

    model = FIXTURES / "model"
    key = FIXTURES / "key.pem"

    def sign(config, hashing_config, target, out):
        config.set_hashing_config(hashing_config).sign(target, FIXTURES / out)

    sign(signing.Config().use_elliptic_key_signer(private_key=key), hashing.Config(), model, "ms-key-files.sig")
    sign(signing.Config().use_elliptic_key_signer(private_key=key),
         hashing.Config().use_shard_serialization(shard_size=SHARD_SIZE), model, "ms-key-shards.sig")
    sign(signing.Config().use_certificate_signer(private_key=key, signing_certificate=FIXTURES / "leaf.pem",
                                                 certificate_chain=[FIXTURES / "intermediate.pem"]),
         hashing.Config(), model, "ms-cert-files.sig")
    sign(signing.Config().use_elliptic_key_signer(private_key=FIXTURES / "p384.pem"), hashing.Config(), model, "ms-p384-files.sig")
    sign(signing.Config().use_elliptic_key_signer(private_key=key), hashing.Config(), FIXTURES / "single.bin", "ms-key-single.sig")
    # The statements model-signing signed, decoded, for reading (and for the manifest tests).
    for sig in sorted(FIXTURES.glob("ms-*.sig")):
        bundle = json.loads(sig.read_text())
        payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
        (FIXTURES / (sig.stem + ".statement.json")).write_bytes(payload)
    print(f"fixtures written to {FIXTURES}")


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def expect(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {name}")
        else:
            self.failed += 1
            print(f"FAIL  {name} {detail[:500]}")


def ms_verify(kind, model, sig, **kw):
    """Verifies with model-signing's API; returns None on success or the error text."""
    from model_signing import hashing, verifying

    try:
        config = verifying.Config()
        if kind == "key":
            config = config.use_elliptic_key_verifier(public_key=kw["public_key"])
        else:
            config = config.use_certificate_verifier(certificate_chain=[kw["ca"]])
        if "shard_size" in kw:
            config = config.set_hashing_config(hashing.Config().use_shard_serialization(shard_size=kw["shard_size"]))
        elif kw.get("explicit_files"):
            config = config.set_hashing_config(hashing.Config())
        config.verify(model, sig)
        return None
    except Exception as error:  # model-signing raises ValueError and cryptography errors
        return f"{type(error).__name__}: {error}"


def check(bulwark):
    checks = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        shutil.copytree(FIXTURES / "model", tmp / "model")
        shutil.copy(FIXTURES / "single.bin", tmp / "single.bin")
        key, pub, ca = FIXTURES / "key.pem", FIXTURES / "key.pub.pem", FIXTURES / "ca.pem"

        def bulwark_sign(target, out, *extra):
            result = subprocess.run([bulwark, "sign", str(target), "--private-key", str(key), "--signature", str(out), *extra],
                                    capture_output=True, text=True)
            checks.expect(f"bulwark sign {' '.join(extra) or '(key, files)'} {target.name}", result.returncode == 0, result.stderr)

        bulwark_sign(tmp / "model", tmp / "key-files.sig")
        bulwark_sign(tmp / "model", tmp / "key-shards.sig", "--hashing", "shards", "--shard-size", str(SHARD_SIZE))
        bulwark_sign(tmp / "model", tmp / "cert-files.sig", "--certificate-chain", str(FIXTURES / "chain.pem"))
        bulwark_sign(tmp / "single.bin", tmp / "key-single.sig")

        def verified(name, error):
            checks.expect(f"model-signing verifies {name}", error is None, error or "")

        verified("Bulwark key/files bundle", ms_verify("key", tmp / "model", tmp / "key-files.sig", public_key=pub))
        verified("Bulwark key/files bundle (explicit config)", ms_verify("key", tmp / "model", tmp / "key-files.sig", public_key=pub, explicit_files=True))
        verified("Bulwark key/shards bundle (config from signature)", ms_verify("key", tmp / "model", tmp / "key-shards.sig", public_key=pub))
        verified("Bulwark key/shards bundle (explicit config)", ms_verify("key", tmp / "model", tmp / "key-shards.sig", public_key=pub, shard_size=SHARD_SIZE))
        verified("Bulwark certificate bundle", ms_verify("certificate", tmp / "model", tmp / "cert-files.sig", ca=ca))
        verified("Bulwark single-file bundle", ms_verify("key", tmp / "single.bin", tmp / "key-single.sig", public_key=pub))
        # The CLI too (it always hashes per file).
        cli = subprocess.run([str(pathlib.Path(sys.executable).parent / "model_signing"), "verify", "key", str(tmp / "model"),
                              "--public_key", str(pub), "--signature", str(tmp / "key-files.sig")], capture_output=True, text=True)
        checks.expect("model_signing CLI verifies Bulwark key/files bundle", cli.returncode == 0, cli.stderr)
        # A signature written inside the model is recorded in ignore_paths and left out.
        bulwark_sign(tmp / "model", tmp / "model" / "inside.sig")
        verified("Bulwark bundle stored inside the model", ms_verify("key", tmp / "model", tmp / "model" / "inside.sig", public_key=pub))
        (tmp / "model" / "inside.sig").unlink()

        # model-signing must reject Bulwark bundles for tampered models, and wrong keys.
        def rejected(name, error):
            checks.expect(f"model-signing rejects {name}", error is not None, "(it verified)")

        rejected("a wrong public key", ms_verify("key", tmp / "model", tmp / "key-files.sig", public_key=FIXTURES / "other.pub.pem"))
        rejected("an untrusted CA", ms_verify("certificate", tmp / "model", tmp / "cert-files.sig", ca=FIXTURES / "other-ca.pem"))
        layer = tmp / "model" / "weights" / "layer0.bin"
        original = layer.read_bytes()
        layer.write_bytes(bytes([original[0] ^ 1]) + original[1:])
        rejected("a flipped byte", ms_verify("key", tmp / "model", tmp / "key-files.sig", public_key=pub))
        rejected("a flipped byte (shards)", ms_verify("key", tmp / "model", tmp / "key-shards.sig", public_key=pub, shard_size=SHARD_SIZE))
        layer.write_bytes(original[:-1])
        rejected("a truncated file", ms_verify("key", tmp / "model", tmp / "key-files.sig", public_key=pub))
        layer.write_bytes(original)
        (tmp / "model" / "extra.bin").write_bytes(b"x")
        rejected("an added file", ms_verify("key", tmp / "model", tmp / "key-files.sig", public_key=pub))
        (tmp / "model" / "extra.bin").unlink()
        verified("Bulwark key/files bundle after restoring the model", ms_verify("key", tmp / "model", tmp / "key-files.sig", public_key=pub))

    print(f"{checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "make-fixtures":
        make_fixtures()
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        return check(sys.argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
