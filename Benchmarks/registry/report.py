"""Prints the registry benchmark's table from the result files registry-bench.sh wrote
(RESULTS/<server>.<operation>.json, one JSON object each: requests, errors, duration_s, p50_ms,
p99_ms), then the ratios Bulwark ÷ MLflow for each operation against each MLflow configuration.

    python report.py RESULTS_DIR HEADER_FILE
"""
import json
import os
import sys

OPERATIONS = [("metadata", "metadata read (wrk)"), ("checked", "checked download (client SHA-256)"),
              ("download", "download, unchecked (wrk)")]
SERVERS = [("mlflow-default", "MLflow, default basic-auth"), ("mlflow-cached", "MLflow, auth cache 600 s"),
           ("bulwark", "Bulwark")]


def load(results: str, server: str, operation: str):
    path = os.path.join(results, f"{server}.{operation}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        row = json.load(f)
    row["rps"] = row["requests"] / row["duration_s"] if row["duration_s"] else 0.0
    return row


def main() -> None:
    results, header = sys.argv[1], sys.argv[2]
    with open(header) as f:
        print(f.read().rstrip())
    print()
    print(f"{'operation':<36}{'server':<28}{'requests/s':>11}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}{'errors':>8}")
    ratios = []
    for operation, label in OPERATIONS:
        rows = {server: load(results, server, operation) for server, _ in SERVERS}
        for server, name in SERVERS:
            row = rows[server]
            if row is None:
                print(f"{label:<36}{name:<28}{'not run':>11}")
                continue
            print(f"{label:<36}{name:<28}{row['rps']:>11.1f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}"
                  f"{row['requests']:>10}{row['errors']:>8}")
        bulwark = rows["bulwark"]
        for server, name in SERVERS[:2]:
            mlflow = rows[server]
            if bulwark and mlflow and mlflow["rps"] > 0 and mlflow["p99_ms"] > 0:
                ratios.append((label, name, bulwark["rps"] / mlflow["rps"], bulwark["p99_ms"] / mlflow["p99_ms"]))
    print()
    print(f"{'Bulwark ÷ MLflow':<36}{'against':<28}{'throughput':>11}{'p99':>10}")
    for label, name, throughput, p99 in ratios:
        print(f"{label:<36}{name:<28}{throughput:>10.1f}×{p99:>9.2f}×")
    if not ratios:
        print("(ratios need both Bulwark and MLflow rows)")


if __name__ == "__main__":
    main()
