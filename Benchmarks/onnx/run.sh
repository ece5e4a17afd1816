#!/usr/bin/env bash
# Issue 4's benchmark: ONNX inference throughput, Bulwark vs onnxruntime CPU, batch 1 and 256, on
# the test fixtures (mlp, cnn, resnet), in one run. Both get the same 2 cores (taskset -c 0,1):
# onnxruntime with intra_op_num_threads=2, inter_op=1; Bulwark with its batch-parallel kernels
# (Dispatch, one worker per active core = 2 here) and OpenBLAS single-threaded inside each worker.
# Prints images/s and the ratio Bulwark ÷ onnxruntime time (1.0 = as fast, < 1 = Bulwark faster; target ≤ 1.5).
# Usage: Benchmarks/onnx/run.sh [seconds-per-measure] [export]
#   with "export" it also runs the export check (export_check.sh) afterwards.
# The bench binary is the Benchmarks package's onnx-bench product (onnx/bench/main.swift; the
# package builds the repository's modules in release once, then incrementally).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-2}"
venv="$("$root/Benchmarks/setup-venv.sh" onnx onnxruntime | tail -n 1)"   # $BULWARK_VENV
(cd "$root/Benchmarks" && swift build -c release --product onnx-bench >&2)
bench="$root/Benchmarks/.build/release/onnx-bench"
pin=(); command -v taskset >/dev/null && pin=(taskset -c 0,1)
fixtures="$root/Tests/BulwarkModelsTests/Fixtures/onnx"
echo "cores: $(nproc); onnxruntime $("$venv/bin/python" -c 'import onnxruntime; print(onnxruntime.__version__)'); $seconds s per measure"
echo "images/s; ratio = Bulwark ÷ onnxruntime time (< 1: Bulwark faster)"
printf '%-8s%-8s%16s%16s%10s\n' model batch onnxruntime Bulwark ratio
for m in mlp cnn resnet; do
    o="$("${pin[@]}" "$venv/bin/python" "$here/ort_bench.py" "$fixtures/$m.onnx" "$seconds")"
    bw="$(OPENBLAS_NUM_THREADS=1 "${pin[@]}" "$bench" "$fixtures/$m.onnx" "$seconds")"
    "$venv/bin/python" - "$m" "$o" "$bw" <<'PY'
import json, sys
m, o, b = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for batch in (1, 256):
    k = f"batch{batch}_images_per_s"
    print(f"{m:<8}{batch:<8}{o[k]:>16.0f}{b[k]:>16.0f}{o[k] / b[k]:>10.2f}")
PY
done
if [ "${2:-}" = export ]; then "$here/export_check.sh"; fi
