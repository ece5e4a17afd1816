"""The table of the gateway benchmark, from the JSON lines infer.lua wrote.

    python report.py RESULTS_DIR HEADER_FILE

RESULTS_DIR holds SERVER.bBATCH.rROUND.json files (SERVER is "peer", "bulwark" or
"bulwark-defended"; a file without .rROUND counts as round 1); HEADER_FILE the lines that describe
the run, printed first. Prints one row per server and batch size with the median over the rounds
of requests/s, images/s and the p50/p90/p99 latencies (the requests and errors summed over the
rounds), then every round's requests/s, then, for each batch size, Bulwark ÷ peer on the medians:
the throughput ratio, both p99s and whether the issue's target (≥ 2× the throughput at an equal
or lower p99, no errors) is met, with the lowest and highest ratio of the single rounds; and the
defences' cost (target ≤ 15 %) the same way.
"""
import json
import pathlib
import statistics
import sys

NAMES = {"peer": "FastAPI + onnxruntime (2 workers)", "bulwark": "Bulwark, defences off",
         "bulwark-defended": "Bulwark, every defence on"}


def load(results):
    """{(server, batch): {round: result}} with requests/s added to each result."""
    runs = {}
    for path in sorted(results.glob("*.b*.json")):
        server, rest = path.stem.split(".b", 1)
        batch, _, rnd = rest.partition(".r")
        r = json.loads(path.read_text())
        r["rps"] = r["requests"] / r["duration_s"] if r["duration_s"] > 0 else 0.0
        runs.setdefault((server, int(batch)), {})[int(rnd or 1)] = r
    return runs


def summary(rounds):
    """Medians of one server and batch over its rounds; requests and errors summed."""
    rs = list(rounds.values())
    med = lambda key: statistics.median(r[key] for r in rs)
    return {"rps": med("rps"), "p50_ms": med("p50_ms"), "p90_ms": med("p90_ms"), "p99_ms": med("p99_ms"),
            "requests": sum(r["requests"] for r in rs), "errors": sum(r["errors"] for r in rs), "rounds": rounds}


def round_ratios(a, b):
    """Per-round a ÷ b requests/s, over the rounds both ran."""
    return [a["rounds"][k]["rps"] / b["rounds"][k]["rps"] for k in sorted(set(a["rounds"]) & set(b["rounds"]))
            if b["rounds"][k]["rps"] > 0]


def main():
    results = pathlib.Path(sys.argv[1])
    print(pathlib.Path(sys.argv[2]).read_text().rstrip())
    print()
    rows = {key: summary(rounds) for key, rounds in load(results).items()}
    order = sorted(rows, key=lambda k: (k[1], k[0] != "peer", k[0] != "bulwark-defended"))
    print(f"{'server (median of the rounds)':36} {'batch':>5} {'requests/s':>11} {'images/s':>10} {'p50 ms':>8} {'p90 ms':>8} "
          f"{'p99 ms':>8} {'requests':>9} {'errors':>7}")
    for server, batch in order:
        r = rows[(server, batch)]
        print(f"{NAMES.get(server, server):36} {batch:>5} {r['rps']:>11.1f} {r['rps'] * batch:>10.1f} "
              f"{r['p50_ms']:>8.2f} {r['p90_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['requests']:>9} {r['errors']:>7}")
    print()
    print(f"{'requests/s in each round':36} {'batch':>5}  rounds 1, 2, …")
    for server, batch in order:
        rounds = rows[(server, batch)]["rounds"]
        print(f"{NAMES.get(server, server):36} {batch:>5}  " + "  ".join(f"{rounds[k]['rps']:.1f}" for k in sorted(rounds)))
    # The issue's targets: the defended gateway ≥ 2× the peer's throughput at an equal or lower p99
    # (the plain gateway is shown too), and the defences cost ≤ 15 % of the plain gateway's throughput.
    for server in ("bulwark-defended", "bulwark"):
        batches = sorted({b for (s, b) in rows if s == server and ("peer", b) in rows})
        if not batches:
            continue
        print()
        print(f"{NAMES[server] + ' ÷ peer':36} {'batch':>5} {'throughput':>11} {'p99 peer ms':>12} {'p99 Bulwark ms':>15}  "
              f"{'rounds':>13}  target ≥ 2× at ≤ p99")
        for b in batches:
            p, g = rows[("peer", b)], rows[(server, b)]
            ratio = g["rps"] / p["rps"] if p["rps"] > 0 else float("inf")
            each = round_ratios(g, p)
            spread = f"{min(each):.2f}–{max(each):.2f}×" if each else "-"
            met = ratio >= 2 and g["p99_ms"] <= p["p99_ms"] and g["errors"] == 0
            print(f"{'':36} {b:>5} {ratio:>10.2f}× {p['p99_ms']:>12.2f} {g['p99_ms']:>15.2f}  {spread:>13}  {'met' if met else 'NOT met'}")
    batches = sorted({b for (s, b) in rows if s == "bulwark-defended" and ("bulwark", b) in rows})
    if batches:
        print()
        print(f"{'defences on ÷ off':36} {'batch':>5} {'throughput':>11} {'cost':>8}  {'rounds (cost)':>15}  target cost ≤ 15 %")
        for b in batches:
            off, on = rows[("bulwark", b)], rows[("bulwark-defended", b)]
            ratio = on["rps"] / off["rps"] if off["rps"] > 0 else 0.0
            each = [100 * (1 - x) for x in round_ratios(on, off)]
            spread = f"{min(each):.1f}–{max(each):.1f} %" if each else "-"
            print(f"{'':36} {b:>5} {ratio:>10.2f}× {100 * (1 - ratio):>7.1f} %  {spread:>15}  {'met' if ratio >= 0.85 else 'NOT met'}")


if __name__ == "__main__":
    main()
