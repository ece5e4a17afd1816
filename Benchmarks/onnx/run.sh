#!/usr/bin/env bash
# Issue 4's benchmark: ONNX inference throughput, Bulwark vs onnxruntime CPU (2 threads), batch 1
# and 256, on the test fixtures (mlp, cnn, resnet), in one run. Prints ratios Bulwark/onnxruntime
# of images per second (1.0 = as fast; target ≥ 0.67, i.e. within 1.5×).
# Usage: Benchmarks/onnx/run.sh [seconds-per-measure]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-2}"
venv="${ONNX_BENCH_VENV:-/work/venvs/onnx}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" && "$venv/bin/pip" install -q numpy onnx onnxruntime
fi
(cd "$here" && swift build -c release --product onnx-bench >/dev/null)
fixtures="$here/../../Tests/BulwarkModelsTests/Fixtures/onnx"
printf '%-8s%-8s%16s%16s%10s\n' model batch onnxruntime Bulwark ratio
for m in mlp cnn resnet; do
    o="$("$venv/bin/python" "$here/ort_bench.py" "$fixtures/$m.onnx" "$seconds")"
    b="$(OPENBLAS_NUM_THREADS=1 "$here/.build/release/onnx-bench" "$fixtures/$m.onnx" "$seconds")"
    "$venv/bin/python" - "$m" "$o" "$b" <<'PY'
import json, sys
m, o, b = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for batch in (1, 256):
    k = f"batch{batch}_images_per_s"
    print(f"{m:<8}{batch:<8}{o[k]:>16.0f}{b[k]:>16.0f}{b[k] / o[k]:>10.2f}")
PY
done
