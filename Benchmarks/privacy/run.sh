#!/usr/bin/env bash
# Peer comparison: dp-accounting (RdpAccountant, PLDAccountant) vs Bulwark's accountants on the same grids, one run.
# Reports wall and CPU time of all queries of each grid, the ratio Bulwark ÷ dp-accounting time (< 1: Bulwark
# faster), and the largest relative ε difference.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$here/../.."
venv="$("$root/Benchmarks/setup-venv.sh" dp-accounting | tail -n 1)"   # $BULWARK_VENV
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
swiftc -O -module-name privbench "$root"/Sources/BulwarkPrivacy/*.swift "$root"/Sources/BulwarkPrivacy/Accountants/*.swift "$here/main.swift" -o "$tmp/privbench"
for mode in rdp pld; do
    read -r pwall pcpu < <("$venv/bin/python" "$here/grid.py" "$mode" "$tmp/$mode.json" 2>/dev/null)
    read -r owall ocpu worst < <("$tmp/privbench" "$mode" "$tmp/$mode.json")
    n=$(python3 -c "import json; print(len(json.load(open('$tmp/$mode.json'))))")
    python3 -c "
n, pw, pc, ow, oc, w = $n, $pwall, $pcpu, $owall, $ocpu, '$worst'
print(f'${mode^^} grid ({n} points): dp-accounting {pw:.3f}s wall / {pc:.3f}s CPU ({pc/n:.3f}s CPU per query), '
      f'Bulwark {ow:.3f}s wall / {oc:.3f}s CPU ({oc/n:.4f}s per query), Bulwark ÷ dp-accounting time {ow/pw:.3f} wall, {oc/pc:.3f} CPU, max relative ε difference {w}')"
done
