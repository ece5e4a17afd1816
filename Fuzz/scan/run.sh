#!/usr/bin/env bash
# Fuzzes bulwark scan's parsers with libFuzzer (+ASan).
#   Fuzz/scan/run.sh [RUNS] [pickle|formats|scanner]...   RUNS defaults to 10000000
# The parser sources are compiled straight into each harness with swiftc (no SwiftPM), seeds
# come from the scan corpus generator (FUZZ_SEEDS, default /tmp/scan-corpus). A crash leaves
# crash-* in $FUZZ_WORK and fails the script. The fuzzer runs niced, one process.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-10000000}"; shift || true
TARGETS=("$@"); [ ${#TARGETS[@]} -eq 0 ] && TARGETS=(pickle formats)
WORK="${FUZZ_WORK:-/tmp/bulwark-fuzz-scan}"; mkdir -p "$WORK"
SEEDS="${FUZZ_SEEDS:-/tmp/scan-corpus}"
SRC=(Sources/BulwarkSupplyChain/Scan/PickleAnalyzer.swift Sources/BulwarkSupplyChain/Scan/JoblibArrayLayout.swift Sources/BulwarkSupplyChain/Scan/MalformedChecks.swift Sources/BulwarkSupplyChain/Scan/ScanResult.swift Sources/BulwarkSupplyChain/Formats/*.swift)
# The scanner harness needs BulwarkArchive (decompressors, zip, sources) as a module of its own.
archive_module() {
  swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -package-name Bulwark -enable-upcoming-feature InternalImportsByDefault \
    -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility \
    -I Sources/CZlib -I Sources/CBZip2 -I Sources/CLZMA -I Sources/CLZ4 -I Sources/CZstd \
    -module-name BulwarkArchive -wmo -c $(find Sources/BulwarkArchive -name '*.swift') \
    -emit-module -emit-module-path "$WORK/BulwarkArchive.swiftmodule" -o "$WORK/BulwarkArchive.o"
}
for t in "${TARGETS[@]}"; do
  case "$t" in pickle) H=Fuzz/scan/FuzzPickle.swift;; formats) H=Fuzz/scan/FuzzFormats.swift;; scanner) H=Fuzz/scan/FuzzScanner.swift;; *) echo "unknown target $t"; exit 4;; esac
  # Every harness reads through BulwarkArchive (the shared NPY, JSON and safetensors header readers).
  archive_module
  if [ "$t" = scanner ]; then
    # the whole analysis path: every Scan/ and Formats/ file over BulwarkArchive (which holds the JSON reader)
    swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -package-name Bulwark -enable-upcoming-feature InternalImportsByDefault \
      -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility -I "$WORK" -I Sources/CZlib -I Sources/CBZip2 -I Sources/CLZMA \
      -I Sources/CLZ4 -I Sources/CZstd -module-name FuzzScan Sources/BulwarkSupplyChain/Scan/*.swift Sources/BulwarkSupplyChain/Formats/*.swift \
      "$H" "$WORK/BulwarkArchive.o" -lz -lbz2 -llzma -llz4 -lzstd -o "$WORK/fuzz_$t"
  else
  swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -package-name Bulwark -I "$WORK" -I Sources/CZlib -I Sources/CBZip2 \
    -I Sources/CLZMA -I Sources/CLZ4 -I Sources/CZstd -module-name FuzzScan "${SRC[@]}" "$H" "$WORK/BulwarkArchive.o" \
    -lz -lbz2 -llzma -llz4 -lzstd -o "$WORK/fuzz_$t"
  fi
  mkdir -p "$WORK/corpus_$t"
  if [ -d "$SEEDS" ]; then find "$SEEDS" -type f -size -64k -exec cp {} "$WORK/corpus_$t/" \; ; fi
  (cd "$WORK" && nice -n 10 ./fuzz_$t -runs="$RUNS" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "corpus_$t" 2>&1 | tee "$WORK/log_$t.txt" | grep -E "stat::number_of_executed_units|ERROR|crash|Done" )
done
