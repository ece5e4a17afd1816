"""Seeds a `bulwark serve` control plane with the benchmark's model through its HTTP API: logs the
administrator in (password, then the TOTP code computed here from the secret `bulwark admin init`
printed: RFC 6238, HMAC-SHA-1, 6 digits, 30 s), creates the model, uploads the file as a version,
and checks that the version's metadata and a download (body and `Repr-Digest`) name the file's
SHA-256.

    python seed_bulwark.py BASE_URL USER PASSWORD TOTP_SECRET_BASE32 TEAM MODEL_FILE MODEL_NAME
prints one JSON object: the session token, the metadata and download paths and the digest.
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import urllib.parse

import requests


def totp(secret_base32: str, at: float) -> str:
    key = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def find_digest(metadata: dict):
    for candidate in (metadata, metadata.get("version") or {}):
        if isinstance(candidate, dict) and isinstance(candidate.get("sha256"), str):
            return candidate["sha256"]
    return None


def main() -> None:
    base, user, password, secret, team, path, name = sys.argv[1:8]
    http = requests.Session()

    def call(method: str, route: str, expect=(200, 201), **kwargs) -> requests.Response:
        response = http.request(method, base + route, timeout=120, **kwargs)
        if response.status_code not in expect:
            sys.exit(f"seed_bulwark: {method} {route} answered {response.status_code}: {response.text[:300]}")
        return response

    login = call("POST", "/api/v1/login", expect=(200, 202), json={"username": user, "password": password}).json()
    if "pendingLogin" in login:
        login = call("POST", "/api/v1/login/totp",
                     json={"pendingLogin": login["pendingLogin"], "code": totp(secret, time.time())}).json()
    session = login["session"]
    http.headers["Authorization"] = f"Bearer {session}"

    body = open(path, "rb").read()
    digest = hashlib.sha256(body).hexdigest()
    quoted = urllib.parse.quote(name, safe="")
    call("POST", "/api/v1/models", json={"name": name, "team": team, "riskTier": "low", "dataClassification": "internal"})
    uploaded = call("POST", f"/api/v1/models/{quoted}/versions?filename={urllib.parse.quote(os.path.basename(path))}",
                    data=body, headers={"Content-Type": "application/octet-stream"}).json()
    number = (uploaded.get("version") or {}).get("number") if isinstance(uploaded.get("version"), dict) else None
    number = number or uploaded.get("number") or uploaded.get("version")
    metadata_path = f"/api/v1/models/{quoted}/versions/{number}"
    metadata = call("GET", metadata_path).json()
    if find_digest(metadata) != digest:
        sys.exit(f"seed_bulwark: version {number}'s metadata does not name the uploaded file's SHA-256: {json.dumps(metadata)[:300]}")
    download_path = metadata_path + "/artifact"
    fetched = call("GET", download_path)
    header = "sha-256=:" + base64.b64encode(bytes.fromhex(digest)).decode() + ":"
    if hashlib.sha256(fetched.content).hexdigest() != digest or fetched.headers.get("Repr-Digest") != header:
        sys.exit(f"seed_bulwark: the download's body or Repr-Digest ({fetched.headers.get('Repr-Digest')}) is not the uploaded file's")
    print(json.dumps({"session": session, "metadata": metadata_path, "download": download_path,
                      "sha256": digest, "bytes": len(body), "version": number}))


if __name__ == "__main__":
    main()
