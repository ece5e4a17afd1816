"""Issue 20's attack mix against a running `bulwark serve`: benign clients, a Knockoff extraction
client and a PGD client, each with its own token (its own client identity), all at once.

    python attack_mix.py BASE MODEL TOKENS_FILE PGD.npy [--benign 20] [--benign-queries 150]
                         [--benign-rate 4] [--planned 2000] [--pgd-queries 400] [--data-dir DIR]

TOKENS_FILE: one bearer token per line: benign clients first, then the extraction client, then
the PGD client (--benign + 2 lines). Every client sends one image per request (KServe v2 JSON)
on its own connection, one request at a time:
  benign     natural Fashion-MNIST test images (rows 3000.., --benign-queries distinct ones per
             client), paced at --benign-rate requests/s with jitter;
  knockoff   plans --planned queries: natural images of another distribution (Fashion-MNIST
             *training* images transposed and inverted; no second image set ships here), as fast
             as the gateway answers; it stops once blocked or after its plan;
  pgd        PGD examples (make_pgd.py) at the benign pace.
A 429 is retried after its Retry-After (capped at 1 s) and counts as an error of that request.
Prints a per-second timeline (requests by class and outcome) and a summary: the extraction
client's query index (answered queries before it) at its first throttled 429 and its first 403,
the PGD client's flagged and rejected answers, and the benign error rate.
"""
import argparse
import http.client
import json
import random
import threading
import time
import urllib.parse
from collections import defaultdict

import numpy as np
from fashion_idx import read_idx


def body(image):
    return json.dumps({"inputs": [{"name": "input", "shape": [1, 1, 28, 28], "datatype": "FP32",
                                   "data": [round(float(v), 4) for v in image.reshape(-1)]}]}).encode()


class Client(threading.Thread):
    def __init__(self, cls, name, base, model, token, images, rate, log, start_at):
        super().__init__(daemon=True)
        self.cls, self.name, self.images, self.rate = cls, name, images, rate
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.path = f"/v2/models/{model}/infer"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.log, self.start_at = log, start_at
        self.answered = 0
        self.first_throttled = None   # answered queries before the first throttled 429
        self.first_blocked = None
        self.flagged = 0

    def post(self, conn, data):
        conn.request("POST", self.path, body=data, headers=self.headers)
        r = conn.getresponse()
        return r.status, r.read(), r.getheader("Retry-After")

    def run(self):
        rng = random.Random(hash(self.name) & 0xFFFF)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        for i, image in enumerate(self.images):
            data = body(image)
            sent = time.monotonic()
            try:
                status, text, retry = self.post(conn, data)
            except (OSError, http.client.HTTPException):
                conn.close(); conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                status, text, retry = 0, b"", None
            outcome = "ok" if status == 200 else str(status)
            if status == 200:
                self.answered += 1
                try:
                    if json.loads(text).get("parameters", {}).get("bulwark_flagged"):
                        self.flagged += 1; outcome = "flagged"
                except ValueError:
                    outcome = "bad-json"
            elif status == 429 and b"throttled" in text and self.first_throttled is None:
                self.first_throttled = self.answered
            elif status == 403 and self.first_blocked is None:
                self.first_blocked = self.answered
            self.log.append((sent - self.start_at, self.cls, self.name, i, outcome))
            if status == 403 and self.cls == "knockoff":
                return   # blocked: an attacker gives up here (or changes identity)
            if status == 429:
                time.sleep(min(1.0, float(retry or 1)))
            elif self.rate:
                time.sleep(max(0.0, rng.uniform(0.5, 1.5) / self.rate - (time.monotonic() - sent)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base"); p.add_argument("model"); p.add_argument("tokens"); p.add_argument("pgd")
    p.add_argument("--benign", type=int, default=20); p.add_argument("--benign-queries", type=int, default=150)
    p.add_argument("--benign-rate", type=float, default=4.0); p.add_argument("--planned", type=int, default=2000)
    p.add_argument("--pgd-queries", type=int, default=400)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    tokens = [t.strip() for t in open(a.tokens) if t.strip()]
    if len(tokens) < a.benign + 2:
        raise SystemExit(f"attack_mix: {a.tokens} holds {len(tokens)} tokens, need {a.benign + 2}")
    test = read_idx(f"{a.data_dir}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255
    train = read_idx(f"{a.data_dir}/train-images-idx3-ubyte.gz")[:a.planned].astype(np.float32) / 255
    knockoff = 1 - train.transpose(0, 2, 1)
    pgd = np.load(a.pgd)[:a.pgd_queries]
    if 3000 + a.benign * a.benign_queries > 9000:
        raise SystemExit("attack_mix: benign clients would run into the PGD client's images (rows 9000..)")
    log, start = [], time.monotonic()
    clients = [Client("benign", f"benign-{u}", a.base, a.model, tokens[u],
                      test[3000 + u * a.benign_queries:3000 + (u + 1) * a.benign_queries], a.benign_rate, log, start)
               for u in range(a.benign)]
    clients.append(Client("knockoff", "knockoff", a.base, a.model, tokens[a.benign], knockoff, 0, log, start))
    clients.append(Client("pgd", "pgd", a.base, a.model, tokens[a.benign + 1], pgd, a.benign_rate, log, start))
    for c in clients: c.start()
    for c in clients: c.join()
    elapsed = time.monotonic() - start

    seconds = defaultdict(lambda: defaultdict(int))
    outcomes = sorted({o for *_, o in log})
    for t, cls, _, _, o in log:
        seconds[int(t)][(cls, o)] += 1
    cols = [(cls, o) for cls in ("benign", "knockoff", "pgd") for o in outcomes if any((cls, o) in s for s in seconds.values())]
    print("timeline: requests per second by client class and outcome (ok = 200, flagged = 200 flagged by a detector, 429/403 = refused)")
    print("second  " + "  ".join(f"{c}:{o}".rjust(14) for c, o in cols))
    for s in sorted(seconds):
        print(f"{s:6d}  " + "  ".join(str(seconds[s].get(k, 0)).rjust(14) for k in cols))
    ko = next(c for c in clients if c.cls == "knockoff")
    pg = next(c for c in clients if c.cls == "pgd")
    benign = [e for e in log if e[1] == "benign"]
    benign_errors = sum(1 for e in benign if e[4] not in ("ok", "flagged"))
    benign_flagged = sum(1 for e in benign if e[4] == "flagged")
    ko_sent = sum(1 for e in log if e[1] == "knockoff")
    pg_log = [e for e in log if e[1] == "pgd"]
    print()
    print(f"run: {elapsed:.1f} s, {len(log)} requests; {a.benign} benign clients x {a.benign_queries} images at ~{a.benign_rate}/s, "
          f"knockoff client planning {a.planned}, PGD client {len(pgd)} examples")
    print(f"knockoff: {ko.answered} answered of {ko_sent} sent; first throttled 429 after {ko.first_throttled} answered queries "
          f"({'%.1f %%' % (100 * ko.first_throttled / a.planned) if ko.first_throttled is not None else 'never'} of the plan; target < 10 %); "
          f"blocked (403) after {ko.first_blocked} answered queries")
    print(f"pgd: {len(pg_log)} sent, {pg.answered} answered, {pg.flagged} flagged by a detector, "
          f"{sum(1 for e in pg_log if e[4] == '403')} refused (403), {sum(1 for e in pg_log if e[4] == '429')} rate-limited")
    print(f"benign: {len(benign)} requests, {benign_errors} errors ({100 * benign_errors / max(1, len(benign)):.2f} %; target <= 1 %), "
          f"{benign_flagged} answers flagged ({100 * benign_flagged / max(1, len(benign)):.1f} %)")


if __name__ == "__main__":
    main()
