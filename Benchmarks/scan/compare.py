#!/usr/bin/env python3
"""bulwark scan vs modelscan, picklescan, fickling on the same corpus, in one run.

  Benchmarks/scan/compare.py BULWARK_BINARY [CORPUS_DIR] [BIG_CHECKPOINT...]

CORPUS_DIR (default: the committed Tests/BulwarkSupplyChainTests/Fixtures/scan/corpus) has
malicious/, benign/ and expected.tsv (Fixtures/scan/setup_corpus.sh makes them). Peers run from the
venv of this interpreter (Benchmarks/scan/setup.sh makes it). Each tool's answer per file is
"flag" (any finding: for Bulwark a suspicious or malicious verdict), "clean", "unsupported" or
"error" (crash, error exit or a 120 s time-out); fickling's "failed to parse" counts as unsupported,
its other non-zero exits as a flag. Tables:
  detection   malicious files flagged (for Bulwark also: at the expected severity)
  noise       benign files flagged suspicious-or-worse, count and % (target for Bulwark: none
              malicious, <= 5 % suspicious)
  time        wall time over the whole corpus, 2 files at a time for every tool, and for each
              BIG_CHECKPOINT alone; ratio = Bulwark time / peer time (< 1: Bulwark is faster)
"""
import json, os, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
bulwark = os.path.abspath(sys.argv[1])
corpus = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "../../Tests/BulwarkSupplyChainTests/Fixtures/scan/corpus"))
bigs = [os.path.abspath(b) for b in sys.argv[3:]]
bindir = os.path.dirname(sys.executable)
expected = {}
for line in open(os.path.join(corpus, "expected.tsv")).read().splitlines()[1:]:
    path, expect, rule, note = line.split("\t")
    expected[os.path.join(corpus, path)] = (expect, rule, note)
files = sorted(expected)
mal = [f for f in files if "/malicious/" in f]
ben = [f for f in files if "/benign/" in f]

def run(cmd, timeout=120):
    # cwd: fickling writes safety_results.json into the working directory
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return -999, "timeout"
    return p.returncode, p.stdout + p.stderr

def modelscan(f):
    rc, out = run([f"{bindir}/modelscan", "-p", f])
    return {0: "clean", 1: "flag", 3: "unsupported"}.get(rc, "error")
def picklescan(f):
    rc, out = run([f"{bindir}/picklescan", "-p", f])
    if rc == 1: return "flag"
    if rc == 0: return "unsupported" if "Scanned files: 0" in out else "clean"
    return "error"
def fickling(f):
    rc, out = run([f"{bindir}/fickling", "--check-safety", f])
    if rc == 0: return "clean"
    if rc == -999 or "Traceback" in out: return "error"
    if "failed to parse" in out: return "unsupported"   # not a pickle it can read: no verdict
    return "flag"

verdicts, findings = {}, {}
def bulwark_all():
    rc, out = run([bulwark, "scan", corpus + "/malicious", corpus + "/benign", "--format", "json", "--jobs", "2"], timeout=3600)
    data = json.loads(out[out.index("{"):])
    m = {}
    for x in data["files"]:
        p = os.path.normpath(x["path"]); v = x["verdict"]
        verdicts[p] = v; findings[p] = x["findings"]
        m[p] = "flag" if v in ("malicious", "suspicious") else v
    return {f: m.get(os.path.normpath(f), "error") for f in files}

results, times = {}, {}
t = time.perf_counter(); results["bulwark"] = bulwark_all(); times["bulwark"] = time.perf_counter() - t
for name, fn in [("modelscan", modelscan), ("picklescan", picklescan), ("fickling", fickling)]:
    t = time.perf_counter()
    with ThreadPoolExecutor(2) as ex: results[name] = dict(zip(files, ex.map(fn, files)))
    times[name] = time.perf_counter() - t

def short(f): return os.path.relpath(f, corpus)
def pct(n, d): return f"{100 * n / d:5.1f} %" if d else "   - "
tools = ["bulwark", "modelscan", "picklescan", "fickling"]
print(f"corpus: {len(mal)} malicious, {len(ben)} benign files ({corpus})")
print(f"\n{'tool':<11} {'detected':>8} {'missed':>6} {'benign flagged':>15} {'%':>7} {'error':>5} {'unsup':>5} {'time s':>8} {'bulwark÷tool':>12}")
for name in tools:
    r = results[name]
    det = sum(r[f] == "flag" for f in mal); fp = sum(r[f] == "flag" for f in ben)
    err = sum(r[f] == "error" for f in files); uns = sum(r[f] == "unsupported" for f in files)
    print(f"{name:<11} {det:>8} {len(mal) - det:>6} {fp:>15} {pct(fp, len(ben)):>7} {err:>5} {uns:>5} {times[name]:>8.2f} {times['bulwark'] / times[name]:>12.4f}")

# Bulwark against expected.tsv: severity-aware
def sev_ok(f):
    expect, rule, _ = expected[f]; p = os.path.normpath(f)
    fam = lambda x: rule == "-" or x["rule"] == rule or x["rule"].startswith(rule + ".")
    if expect == "malicious": return verdicts.get(p) == "malicious" and any(x["severity"] == "critical" and fam(x) for x in findings.get(p, []))
    return any(x["severity"] in ("high", "critical") and fam(x) for x in findings.get(p, []))
ok = [f for f in mal if sev_ok(f)]
print(f"\nbulwark at the expected severity (expected.tsv): {len(ok)} of {len(mal)} malicious files")
for v in ["malicious", "suspicious", "unsupported", "error"]:
    hit = [f for f in ben if verdicts.get(os.path.normpath(f)) == v]
    print(f"bulwark benign {v:<11}: {len(hit):>3} ({pct(len(hit), len(ben)).strip()}){': ' + ', '.join(short(f) for f in hit) if hit else ''}")
for name in tools:
    missed = [short(f) for f in mal if results[name][f] != "flag"]
    noisy = [short(f) for f in ben if results[name][f] == "flag"]
    print(f"\n{name} misses ({len(missed)}): {', '.join(missed) or '-'}")
    print(f"{name} benign flagged ({len(noisy)}): {', '.join(noisy) or '-'}")

for big in bigs:
    size = os.path.getsize(big) / (1 << 30)
    row = {}
    for name, cmd in [("bulwark", [bulwark, "scan", big]), ("modelscan", [f"{bindir}/modelscan", "-p", big]),
                      ("picklescan", [f"{bindir}/picklescan", "-p", big]), ("fickling", [f"{bindir}/fickling", "--check-safety", big])]:
        t = time.perf_counter(); rc, _ = run(cmd, timeout=1800); row[name] = (time.perf_counter() - t, rc)
    print(f"\n{os.path.basename(big)} ({size:.2f} GiB): " + "  ".join(f"{n} {s:.2f} s (exit {rc})" for n, (s, rc) in row.items()))
    print("  bulwark÷peer time: " + "  ".join(f"{n} {row['bulwark'][0] / row[n][0]:.3f}" for n in tools[1:]))
