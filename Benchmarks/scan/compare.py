#!/usr/bin/env python3
"""bulwark scan vs modelscan, picklescan, fickling on the same corpus, in one run.

  Benchmarks/scan/compare.py CORPUS_DIR BULWARK_BINARY [BIG_CHECKPOINT]

CORPUS_DIR has malicious/ and benign/ (made by Tests/BulwarkSupplyChainTests/Fixtures/scan/
make_corpus.py). Peers run from the venv of this interpreter (Benchmarks/scan/setup.sh makes it).
A detection is any non-clean verdict on a malicious file; a false positive is a non-clean verdict
on a benign file; an error is a tool crash / error exit. Time is wall time of the whole corpus.
"""
import json, os, subprocess, sys, tempfile, time
corpus, bulwark = sys.argv[1], sys.argv[2]
big = sys.argv[3] if len(sys.argv) > 3 else None
bindir = os.path.dirname(sys.executable)
files = sorted(os.path.join(r, f) for r, _, fs in os.walk(corpus) for f in fs
               if "/malicious/" in os.path.join(r, f) or "/benign/" in os.path.join(r, f))  # malformed/ is bulwark-only

def run(cmd):
    # cwd: fickling writes safety_results.json into the working directory
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tempfile.gettempdir())
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
    if "Traceback" in out or "Error" in out.split("\n")[-2:][0] if out.strip() else False: return "error"
    return "flag"
def bulwark_all():
    rc, out = run([bulwark, "scan", corpus, "--format", "json", "--jobs", "2"])
    data = json.loads(out[out.index("{"):])
    m = {}
    for x in data["files"]:
        v = x["verdict"]
        m[x["path"]] = "flag" if v in ("malicious", "suspicious") else v
        verdicts[x["path"]] = v
    return m

verdicts = {}

results, times = {}, {}
t = time.perf_counter(); b = bulwark_all(); times["bulwark"] = time.perf_counter() - t
results["bulwark"] = b
for name, fn in [("modelscan", modelscan), ("picklescan", picklescan), ("fickling", fickling)]:
    t = time.perf_counter(); results[name] = {f: fn(f) for f in files}; times[name] = time.perf_counter() - t

print(f"corpus: {sum('/malicious/' in f for f in files)} malicious, {sum('/benign/' in f for f in files)} benign")
print(f"{'tool':<11} {'detect':>6} {'miss':>5} {'FP':>4} {'error':>5} {'unsup':>5} {'time s':>8} {'× bulwark':>9}")
for name in ["bulwark", "modelscan", "picklescan", "fickling"]:
    r = results[name]
    mal = [f for f in files if "/malicious/" in f]; ben = [f for f in files if "/benign/" in f]
    det = sum(r.get(f) == "flag" for f in mal); fp = sum(r.get(f) == "flag" for f in ben)
    err = sum(r.get(f) == "error" for f in files); uns = sum(r.get(f) == "unsupported" for f in files)
    print(f"{name:<11} {det:>6} {len(mal) - det:>5} {fp:>4} {err:>5} {uns:>5} {times[name]:>8.2f} {times[name] / times['bulwark']:>9.1f}")
def short(f): return os.path.relpath(f, os.path.join(corpus, "malicious" if "/malicious/" in f else "benign"))
for name in ["modelscan", "picklescan", "fickling"]:
    missed = [short(f) for f in files if "/malicious/" in f and results[name].get(f) != "flag"]
    print(f"{name} misses: {', '.join(missed) or '-'}")
missed = [short(f) for f in files if "/malicious/" in f and results["bulwark"].get(f) != "flag"]
print(f"bulwark misses: {', '.join(missed) or '-'}")
ben = [f for f in files if "/benign/" in f]
for v in ["malicious", "suspicious", "unsupported"]:
    hit = [short(f) for f in ben if verdicts.get(f) == v]
    print(f"bulwark benign files {v}: {len(hit)}{' (' + ', '.join(hit) + ')' if hit else ''}")
if big:
    for name, cmd in [("bulwark", [bulwark, "scan", big]), ("modelscan", [f"{bindir}/modelscan", "-p", big]),
                      ("picklescan", [f"{bindir}/picklescan", "-p", big]), ("fickling", [f"{bindir}/fickling", "--check-safety", big])]:
        t = time.perf_counter(); rc, _ = run(cmd); print(f"1 GB checkpoint: {name:<11} {time.perf_counter() - t:8.2f} s (exit {rc})")
