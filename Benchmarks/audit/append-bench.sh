#!/usr/bin/env bash
# Audit log on SQLite at N entries (default 1 000 000): latency of AuditLog.append + a verified
# inclusion proof, in both durability modes (synchronous = FULL, the default, and NORMAL), with
# one writer and with 16 concurrent writers (group commit). First measures this disk's fsync
# latency, the floor of a FULL commit.
#
#   Benchmarks/audit/append-bench.sh [N] [debug|release]    # default: 1000000 release
#
# release builds and runs the `audit-bench` executable of the Benchmarks package (only it and the
# modules it needs); debug runs its twin in the debug test binary.
# The database lives in a temporary directory (BULWARK_AUDIT_BENCH_DIR=DIR keeps it there, to
# reuse the fill or to put it on another disk). Extra arguments after the first two go to
# audit-bench (--modes full,normal --appends 1000 --writers 16).
set -euo pipefail
cd "$(dirname "$0")/../.."
entries="${1:-1000000}"
configuration="${2:-release}"
shift $(( $# > 2 ? 2 : $# ))
directory="${BULWARK_AUDIT_BENCH_DIR:-${TMPDIR:-/tmp}}"
cc -O2 -o "${TMPDIR:-/tmp}/bulwark-fsync-latency" Benchmarks/audit/fsync-latency.c
"${TMPDIR:-/tmp}/bulwark-fsync-latency" "$directory" 1000
if [ "$configuration" = debug ]; then
    # the debug twin in the test binary (Tests/BulwarkAccessTests/Audit/AuditAppendBenchmarkTests.swift)
    swift build --build-tests
    BULWARK_AUDIT_BENCH="$entries" swift test --skip-build --filter auditAppendAndProveBenchmark 2>&1 | grep -E "audit-bench|passed|failed|error"
    exit
fi
swift build -c "$configuration" --package-path Benchmarks --product audit-bench
extra=()
[ -n "${BULWARK_AUDIT_BENCH_DIR:-}" ] && extra=(--dir "$BULWARK_AUDIT_BENCH_DIR")
"Benchmarks/.build/$configuration/audit-bench" "$entries" "${extra[@]}" "$@"
