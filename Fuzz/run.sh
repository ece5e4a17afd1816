#!/usr/bin/env bash
# Builds the libFuzzer harnesses of Bulwark's parsers and runs each for N executions.
#
#   Fuzz/run.sh [RUNS] [TARGET...]     RUNS defaults to 1000000; targets: zip npy idx safetensors csv image
#
# Module sources are compiled directly with swiftc (-sanitize=fuzzer,address), so SwiftPM is not
# involved. Seeds come from the test fixtures; corpora and crash files live in $FUZZ_WORK
# (default /tmp/bulwark-fuzz). A crash leaves crash-* files there and makes this script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-1000000}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(zip npy idx safetensors csv image)
WORK="${FUZZ_WORK:-/tmp/bulwark-fuzz}"
BUILD="$WORK/build"
mkdir -p "$BUILD"

FLAGS=(-O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -package-name Bulwark
       -enable-upcoming-feature InternalImportsByDefault -enable-upcoming-feature ExistentialAny
       -enable-upcoming-feature MemberImportVisibility -I "$BUILD" -I Sources/CZlib -I Sources/CBLAS
       -I Sources/CBZip2 -I Sources/CLZMA -I Sources/CLZ4 -I Sources/CZstd -I Sources/CPNG -I Sources/CJPEG)

module() {  # module NAME -- compiles Sources/NAME into $BUILD/NAME.o and its .swiftmodule
    local name="$1"
    local sources
    mapfile -t sources < <(find "Sources/$name" -name '*.swift' | sort)
    if [ "$BUILD/$name.o" -nt "$(ls -t "${sources[@]}" | head -1)" ]; then return; fi
    echo "== compiling module $name (${#sources[@]} files)"
    swiftc "${FLAGS[@]}" -module-name "$name" -wmo -c "${sources[@]}" \
        -emit-module -emit-module-path "$BUILD/$name.swiftmodule" -o "$BUILD/$name.o"
}

harness() {  # harness TARGET FILE MODULES...
    local target="$1" file="$2"
    shift 2
    local objects=()
    for m in "$@"; do module "$m"; objects+=("$BUILD/$m.o"); done
    echo "== linking fuzz_$target"
    swiftc "${FLAGS[@]}" -module-name "Fuzz_$target" "Fuzz/Harnesses/$file" "${objects[@]}" \
        -lz -lbz2 -llzma -llz4 -lzstd -lopenblas -lpng16 -ljpeg -o "$BUILD/fuzz_$target" 2>"$BUILD/link-$target.log" \
        || { cat "$BUILD/link-$target.log"; exit 1; }
}

seeds() {  # seeds TARGET FILES...
    local dir="$WORK/corpus/$1"
    shift
    mkdir -p "$dir"
    for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$dir/" || true; done
}

for target in "${TARGETS[@]}"; do
    case "$target" in
        zip)
            harness zip FuzzZip.swift BulwarkArchive
            seeds zip Tests/BulwarkDataTests/Fixtures/*.npz Tests/BulwarkDataTests/Fixtures/*.gz ;;
        npy)
            harness npy FuzzNPY.swift BulwarkArchive BulwarkTensor BulwarkData
            seeds npy Tests/BulwarkDataTests/Fixtures/*.npy Tests/BulwarkDataTests/Fixtures/*.npz ;;
        idx)
            harness idx FuzzIDX.swift BulwarkArchive BulwarkTensor BulwarkData
            seeds idx Tests/BulwarkDataTests/Fixtures/*.idx Tests/BulwarkDataTests/Fixtures/*.idx.gz ;;
        safetensors)
            harness safetensors FuzzSafeTensors.swift BulwarkTensor BulwarkModels
            seeds safetensors Tests/BulwarkModelsTests/Fixtures/*.safetensors ;;
        csv)
            harness csv FuzzCSV.swift BulwarkArchive BulwarkTensor BulwarkData
            seeds csv Tests/BulwarkDataTests/Fixtures/*.csv
            printf 'a,b,label\n1,2.5,0\n"3","-4e2",1\n' >"$WORK/corpus/csv/seed-ints.csv"
            printf 'x,"y ""q""",label\r\n1,2,cat\r\n3,nan,"dog, big"\r\n' >"$WORK/corpus/csv/seed-names.csv" ;;
        image)
            harness image FuzzImage.swift BulwarkArchive BulwarkTensor BulwarkData
            seeds image Tests/BulwarkDataTests/Fixtures/*.png Tests/BulwarkDataTests/Fixtures/*.jpg ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    echo "== fuzzing $target for $RUNS executions"
    mkdir -p "$WORK/crashes/$target"
    log="$WORK/fuzz-$target.log"
    status=0
    dict=()
    [ -f "Fuzz/Dictionaries/$target.dict" ] && dict=(-dict="$PWD/Fuzz/Dictionaries/$target.dict")
    (cd "$WORK/crashes/$target" && "$BUILD/fuzz_$target" "${dict[@]}" -runs="$RUNS" -max_len=8192 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 "$WORK/corpus/$target") >"$log" 2>&1 || status=$?
    grep -E "^Done|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|ERROR|crash-|Test unit written" "$log" || true
    if [ "$status" -ne 0 ]; then echo "fuzz_$target FAILED (exit $status); full log: $log" >&2; exit "$status"; fi
done
