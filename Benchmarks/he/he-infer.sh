#!/usr/bin/env bash
# Encrypted inference of a 784-32-10 square-activation MLP (random weights, random images in
# [0, 1]) with Bulwark's CKKS against TenSEAL's tutorial approach (Microsoft SEAL), one thread
# each, on the same parameters: N = 8192, moduli of 52, 38, 38, 38 bits and a 52-bit special prime
# (218 bits, 128-bit secure), scale 2^38. Bulwark packs four images per ciphertext and evaluates
# W1 and W2 by baby-step giant-step diagonal products (Benchmarks/he/he-infer); TenSEAL encrypts
# one image per ckks_vector and calls .mm, .square_, .mm (Benchmarks/he/he-infer-tenseal.py).
# Prints both JSON reports and the per-image CPU-seconds ratio (TenSEAL ÷ Bulwark: above 1,
# Bulwark is faster). The machine is shared, so CPU time is the steadier figure.
#   Benchmarks/he/he-infer.sh [BULWARK_IMAGES (default 100)] [TENSEAL_IMAGES (default 5)]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bulwark_images="${1:-100}"
tenseal_images="${2:-5}"
venv="$("$here/../setup-venv.sh" --he | tail -1)"
export OMP_NUM_THREADS=1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "building the Swift driver (release)…" >&2
swift build -c release --package-path "$here/he-infer" --product he-infer >&2
"$(swift build -c release --package-path "$here/he-infer" --show-bin-path)/he-infer" "$bulwark_images" > "$out/bulwark.json"
"$venv/bin/python" "$here/he-infer-tenseal.py" "$tenseal_images" > "$out/tenseal.json"
echo "== Bulwark"; cat "$out/bulwark.json"
echo "== TenSEAL"; cat "$out/tenseal.json"
"$venv/bin/python" - "$out/bulwark.json" "$out/tenseal.json" <<'EOF'
import json, sys
bulwark, tenseal = (json.load(open(path)) for path in sys.argv[1:3])
b = bulwark["per_image_seconds"]["end_to_end_cpu"]
t = tenseal["per_image_seconds"]["end_to_end_cpu"]
print("per image, encrypt + evaluate + decrypt, CPU seconds: Bulwark %.4f, TenSEAL %.3f, TenSEAL / Bulwark = %.0f×" % (b, t, t / b))
print("argmax agreement with plaintext: Bulwark %.3f (%d images), TenSEAL %.3f (%d images)"
      % (bulwark["argmax_agreement"], bulwark["images"], tenseal["argmax_agreement"], tenseal["images"]))
EOF
