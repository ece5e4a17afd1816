"""Writes corpus/expected.tsv: one row per corpus file, the expectation CorpusTests.swift checks.

Columns: path (relative to the corpus folder), expect, rule, note.
  malicious    verdict must be malicious; when rule is not "-", a critical finding's rule starts with it
  high         a finding of severity high or critical (the "malformed" class); rule as above, on those findings
  clean        benign: never malicious, unsupported or error; suspicious counts against the 5 % budget
  unsupported  benign that the scanner cannot fully analyse; note says why; never malicious or error
Files without an explicit row get the default of their folder (malicious/ -> malicious, benign/ -> clean).
Rows already in the file for paths another generator made are kept.
"""
import os

def write_expected(out, explicit):
    path = os.path.join(out, "expected.tsv")
    rows = {}
    if os.path.exists(path):
        for line in open(path).read().splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) == 4: rows[parts[0]] = tuple(parts[1:])
    for root, _, files in os.walk(out):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), out)
            top = rel.split(os.sep)[0]
            if top not in ("malicious", "benign"): continue
            if rel in explicit: rows[rel] = explicit[rel]
            elif rel not in rows: rows[rel] = ("malicious", "-", "") if top == "malicious" else ("clean", "-", "")
    rows = {k: v for k, v in rows.items() if os.path.exists(os.path.join(out, k))}
    with open(path, "w") as f:
        f.write("path\texpect\trule\tnote\n")
        for k in sorted(rows): f.write("\t".join((k,) + tuple(rows[k])) + "\n")
