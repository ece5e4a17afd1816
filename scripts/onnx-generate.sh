#!/usr/bin/env bash
# Regenerates Sources/BulwarkModels/ONNX/Generated/onnx.pb.swift from ONNX's official schema.
#   ONNX_PROTO: onnx.proto (proto2) as shipped by the `onnx` Python package (onnx 1.23.2 was used)
#   PROTOC_GEN_SWIFT: protoc-gen-swift built from apple/swift-protobuf 1.39.0
#     (git clone .../swift-protobuf && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift)
# Generated types are internal so they never leak into Bulwark's public API.
set -euo pipefail
ONNX_PROTO=${ONNX_PROTO:-$(python3 -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))')}
PROTOC_GEN_SWIFT=${PROTOC_GEN_SWIFT:-/work/protoc-gen-swift/src/.build/release/protoc-gen-swift}
OUT=$(cd "$(dirname "$0")/.." && pwd)/Sources/BulwarkModels/ONNX/Generated
tmp=$(mktemp -d)
cp "$ONNX_PROTO" "$tmp/onnx.proto"
protoc --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" -I "$tmp" \
  --swift_opt=Visibility=Internal --swift_out="$tmp" "$tmp/onnx.proto"
mkdir -p "$OUT"
cp "$tmp/onnx.pb.swift" "$OUT/onnx.pb.swift"
rm -rf "$tmp"
echo "wrote $OUT/onnx.pb.swift"
