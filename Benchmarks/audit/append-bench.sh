#!/usr/bin/env bash
# Audit log on SQLite: bulk-fill to N entries (default 1 000 000; many entries per transaction),
# then time 1 000 × (AuditLog.append — one fsynced transaction — plus an inclusion proof).
#
#   Benchmarks/audit/append-bench.sh [N] [debug|release]    # default: 1000000 debug
#
# Prints one line with p50/p99 of append alone and of append + proof. The database lives in a
# temporary directory (set BULWARK_AUDIT_SQL_BENCH_DIR to put it on another disk) and is deleted.
set -euo pipefail
cd "$(dirname "$0")/../.."
entries="${1:-1000000}"
configuration="${2:-debug}"
swift build --build-tests -c "$configuration"
BULWARK_AUDIT_SQL_BENCH="$entries" swift test --skip-build -c "$configuration" \
    --filter sqlAuditAppendAndProveBenchmark 2>&1 | grep -E "sqlite audit:|passed|failed|error"
