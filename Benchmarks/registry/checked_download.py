"""Load generator for checked downloads: C keep-alive connections (P processes × C/P threads) each
GET the artifact in a loop for D seconds, read the whole body, hash it with SHA-256 and compare it
with the registered digest. A download counts as an error when the status is not 200, the body's
digest differs, or (with --repr-digest) the response's `Repr-Digest: sha-256=:…:` header (RFC 9530)
is missing or names another digest. Latency is from sending the request to having checked the
body, so the client's hashing is inside it, for every server alike.

    python checked_download.py URL PATH SHA256_HEX --authorization 'Bearer …' \
        [--connections 16] [--processes 2] [--duration 20] [--repr-digest]
prints one JSON line: requests, errors, duration_s, p50_ms, p99_ms, bytes.
"""
import argparse
import base64
import hashlib
import http.client
import json
import multiprocessing
import threading
import time
import urllib.parse


def worker(host: str, port: int, path: str, headers: dict, expected: str, want_repr: bool,
           deadline: float, latencies: list, counts: list) -> None:
    expected_header = "sha-256=:" + base64.b64encode(bytes.fromhex(expected)).decode() + ":"
    connection = None
    while time.monotonic() < deadline:
        start = time.monotonic()
        ok, size = False, 0
        try:
            if connection is None:
                connection = http.client.HTTPConnection(host, port, timeout=30)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            digest = hashlib.sha256()
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
            ok = response.status == 200 and digest.hexdigest() == expected
            if want_repr:
                ok = ok and (response.getheader("Repr-Digest") or "").strip() == expected_header
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            if connection is not None:
                connection.close()
            connection = None
        latencies.append(time.monotonic() - start)
        counts[0] += 1
        counts[1] += 0 if ok else 1
        counts[2] += size


def process(args: argparse.Namespace, threads: int, start_at: float, queue) -> None:
    url = urllib.parse.urlsplit(args.url)
    headers = {"Authorization": args.authorization, "Accept-Encoding": "identity"}
    deadline = start_at + args.duration
    while time.monotonic() < start_at:
        time.sleep(0.001)
    latencies, counts = [], [0, 0, 0]
    pool = [threading.Thread(target=worker, args=(url.hostname, url.port, args.path, headers, args.sha256,
                                                   args.repr_digest, deadline, latencies, counts))
            for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((latencies, counts))


def percentile(values: list, p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("sha256")
    parser.add_argument("--authorization", required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--repr-digest", action="store_true")
    args = parser.parse_args()
    queue = multiprocessing.Queue()
    start_at = time.monotonic() + 0.5
    shares = [args.connections // args.processes + (i < args.connections % args.processes)
              for i in range(args.processes)]
    procs = [multiprocessing.Process(target=process, args=(args, n, start_at, queue)) for n in shares if n]
    for p in procs:
        p.start()
    latencies, requests, errors, size = [], 0, 0, 0
    for _ in procs:
        part, (r, e, b) = queue.get()
        latencies += part
        requests, errors, size = requests + r, errors + e, size + b
    for p in procs:
        p.join()
    elapsed = max(args.duration, time.monotonic() - start_at)
    print(json.dumps({"requests": requests, "errors": errors, "duration_s": round(elapsed, 3),
                      "p50_ms": round(percentile(latencies, 50) * 1e3, 3),
                      "p99_ms": round(percentile(latencies, 99) * 1e3, 3), "bytes": size}))


if __name__ == "__main__":
    main()
