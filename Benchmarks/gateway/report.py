"""The table of the gateway benchmark, from the JSON lines infer.lua wrote.

    python report.py RESULTS_DIR HEADER_FILE

RESULTS_DIR holds SERVER.bBATCH.json files (SERVER is "peer" or "bulwark"); HEADER_FILE the lines
that describe the run, printed first. Prints one row per server and batch size (requests/s,
images/s, p50/p90/p99 in ms, requests, errors), then, for each batch size both servers ran,
Bulwark ÷ peer: the throughput ratio, both p99s and whether the issue's target (≥ 2× the
throughput at an equal or lower p99) is met.
"""
import json
import pathlib
import sys

NAMES = {"peer": "FastAPI + onnxruntime (2 workers)", "bulwark": "Bulwark, defences off",
         "bulwark-defended": "Bulwark, every defence on"}


def main():
    results = pathlib.Path(sys.argv[1])
    print(pathlib.Path(sys.argv[2]).read_text().rstrip())
    print()
    rows = {}
    for path in sorted(results.glob("*.b*.json")):
        server, batch = path.stem.split(".b")
        r = json.loads(path.read_text())
        r["rps"] = r["requests"] / r["duration_s"] if r["duration_s"] > 0 else 0.0
        rows[(server, int(batch))] = r
    print(f"{'server':36} {'batch':>5} {'requests/s':>11} {'images/s':>10} {'p50 ms':>8} {'p90 ms':>8} "
          f"{'p99 ms':>8} {'requests':>9} {'errors':>7}")
    for (server, batch), r in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0] != "peer")):
        print(f"{NAMES.get(server, server):36} {batch:>5} {r['rps']:>11.1f} {r['rps'] * batch:>10.1f} "
              f"{r['p50_ms']:>8.2f} {r['p90_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['requests']:>9} {r['errors']:>7}")
    # The issue's targets: the defended gateway ≥ 2× the peer's throughput at an equal or lower p99
    # (the plain gateway is shown too), and the defences cost ≤ 15 % of the plain gateway's throughput.
    for server in ("bulwark-defended", "bulwark"):
        batches = sorted({b for (s, b) in rows if s == server and ("peer", b) in rows})
        if not batches:
            continue
        print()
        print(f"{NAMES[server] + ' ÷ peer':36} {'batch':>5} {'throughput':>11} {'p99 peer ms':>12} {'p99 Bulwark ms':>15}  target ≥ 2× at ≤ p99")
        for b in batches:
            p, g = rows[("peer", b)], rows[(server, b)]
            ratio = g["rps"] / p["rps"] if p["rps"] > 0 else float("inf")
            met = ratio >= 2 and g["p99_ms"] <= p["p99_ms"] and g["errors"] == 0
            print(f"{'':36} {b:>5} {ratio:>10.2f}× {p['p99_ms']:>12.2f} {g['p99_ms']:>15.2f}  {'met' if met else 'NOT met'}")
    batches = sorted({b for (s, b) in rows if s == "bulwark-defended" and ("bulwark", b) in rows})
    if batches:
        print()
        print(f"{'defences on ÷ off':36} {'batch':>5} {'throughput':>11} {'cost':>8}  target cost ≤ 15 %")
        for b in batches:
            off, on = rows[("bulwark", b)], rows[("bulwark-defended", b)]
            ratio = on["rps"] / off["rps"] if off["rps"] > 0 else 0.0
            print(f"{'':36} {b:>5} {ratio:>10.2f}× {100 * (1 - ratio):>7.1f} %  {'met' if ratio >= 0.85 else 'NOT met'}")

if __name__ == "__main__":
    main()
