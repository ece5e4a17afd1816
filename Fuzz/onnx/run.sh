#!/usr/bin/env bash
# Fuzzes the ONNX loader (parse, validation, load-time dry run, then a forward + backward pass on a
# tiny input of every graph that loads) with libFuzzer (+ASan).
#   Fuzz/onnx/run.sh [RUNS]        RUNS defaults to 3000000
# BulwarkTensor and BulwarkModels are compiled from source with the sanitizers (no SwiftPM);
# SwiftProtobuf is linked from the repository's release build. Seeds: the ONNX test fixtures.
# A crash leaves crash-* in $FUZZ_WORK and fails the script.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-3000000}"
WORK="${FUZZ_WORK:-/tmp/bulwark-fuzz-onnx}"; mkdir -p "$WORK/mods"
swift build -c release --target SwiftProtobuf >/dev/null
REL=.build/release
FLAGS=(-O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -enable-upcoming-feature InternalImportsByDefault
       -Xcc -fmodule-map-file=Sources/CBLAS/module.modulemap)
swiftc "${FLAGS[@]}" -wmo -module-name BulwarkTensor -emit-module -emit-module-path "$WORK/mods/BulwarkTensor.swiftmodule" \
    -c Sources/BulwarkTensor/*.swift -o "$WORK/tensor.o"
mapfile -t MODELS < <(find Sources/BulwarkModels -name '*.swift' | sort)
swiftc "${FLAGS[@]}" -module-name FuzzONNX -I "$WORK/mods" -I "$REL/Modules" "${MODELS[@]}" Fuzz/onnx/FuzzONNX.swift \
    "$WORK/tensor.o" "$REL"/SwiftProtobuf.build/*.o -lopenblas -o "$WORK/fuzz_onnx"
mkdir -p "$WORK/corpus"
cp Tests/BulwarkModelsTests/Fixtures/onnx/{mlp,cnn,resnet,gelu_mix}.onnx "$WORK/corpus/"
(cd "$WORK" && OPENBLAS_NUM_THREADS=1 ./fuzz_onnx -runs="$RUNS" -max_len=16384 -rss_limit_mb=2048 -malloc_limit_mb=512 \
    -print_final_stats=1 corpus 2>&1 | tee "$WORK/log.txt" | grep -E "stat::number_of_executed_units|ERROR|crash|Done")
