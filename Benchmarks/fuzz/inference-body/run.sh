#!/usr/bin/env bash
# Builds the libFuzzer harness for the inference body reader and runs it.
#   Benchmarks/fuzz/inference-body/run.sh [SECONDS]      default 120
# The reader's files are compiled into one module with the harness: their imports of Bulwark
# modules are dropped and the few sources they use (BulwarkErrors, CanonicalJSON) compiled beside
# them. Needs clang's libFuzzer runtime, which the Swift toolchain ships.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
seconds="${1:-120}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for f in Sources/BulwarkServing/Inference/InferenceJSONReader.swift Sources/BulwarkServing/Inference/InferenceProtocol.swift \
         Sources/BulwarkServing/ServingError.swift Sources/BulwarkAccess/Audit/CanonicalJSON.swift Sources/BulwarkErrors/*.swift; do
    sed -E '/^(@_exported )?(public |package )?import Bulwark/d' "$root/$f" > "$work/$(basename "$f")"
done
swiftc -sanitize=fuzzer,address -parse-as-library -package-name Bulwark -O "$work"/*.swift "$here/FuzzInferenceBody.swift" \
    -o "$work/fuzz-inference-body" 2> >(grep -v "Cannot export local symbol" >&2)
mkdir -p "$work/corpus"
# Seeds: valid bodies of the shapes tritonclient sends.
printf '%s' '{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[0.1,0.2,0.3,0.4]}]}' > "$work/corpus/one"
printf '%s' '{"id":"7","inputs":[{"name":"input","shape":[2,2],"datatype":"FP32","data":[[0,1],[2,3]],"parameters":{"binary_data_size":0}}],"outputs":[{"name":"probabilities"}]}' > "$work/corpus/two"
"$work/fuzz-inference-body" -max_total_time="$seconds" -max_len=2048 -timeout=5 -rss_limit_mb=2048 "$work/corpus" 2>&1 | tail -5
