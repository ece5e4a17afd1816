#!/usr/bin/env bash
# Peer comparison: dp-accounting RdpAccountant vs Bulwark's RDPAccountant on the same grid, one run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$here/../.."
venv="${PRIVACY_VENV:-/work/venvs/privacy}"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q dp-accounting; }
tmp="$(mktemp -d)"
swiftc -O -module-name privbench "$root"/Sources/BulwarkPrivacy/*.swift "$root"/Sources/BulwarkPrivacy/Accountants/*.swift "$here/main.swift" -o "$tmp/privbench"
peer=$("$venv/bin/python" "$here/grid.py" "$tmp/grid.json" 2>/dev/null)
ours=$("$tmp/privbench" "$tmp/grid.json")
echo "RDP grid (45 points): dp-accounting ${peer}s, Bulwark ${ours}s, speed-up $(python3 -c "print(f'{$peer/$ours:.1f}x')")"
