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
# With --model M (a trained zoo mlp: bulwark train --model mlp --hidden 32 --activation square),
# both sides run that model's weights on the first Fashion-MNIST test images instead: Bulwark
# through the CLI (`bulwark he infer --dataset fashion-mnist`, client and a separate server
# process; $BULWARK or the package's release build), TenSEAL on the same weights and images.
#   Benchmarks/he/he-infer.sh --model mlp-square.safetensors [BULWARK_IMAGES (default 1000)] [TENSEAL_IMAGES (default 5)]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
model=""
if [ "${1:-}" = "--model" ]; then
    model="${2:?--model needs a .safetensors file}"
    shift 2
fi
bulwark_images="${1:-$([ -n "$model" ] && echo 1000 || echo 100)}"
tenseal_images="${2:-5}"
venv="$("$here/../setup-venv.sh" --he | tail -1)"
export OMP_NUM_THREADS=1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

if [ -n "$model" ]; then
    bulwark="${BULWARK:-$here/../../.build/release/bulwark}"
    if [ ! -x "$bulwark" ]; then
        echo "building bulwark (release)…" >&2
        swift build -c release --package-path "$here/../.." --product bulwark >&2
    fi
    "$bulwark" he infer --model "$model" --dataset fashion-mnist --count "$bulwark_images" --json > "$out/bulwark.json"
    "$venv/bin/python" "$here/he-infer-tenseal.py" --model "$model" "$tenseal_images" > "$out/tenseal.json"
else
    echo "building the Swift driver (release)…" >&2
    swift build -c release --package-path "$here/he-infer" --product he-infer >&2
    "$(swift build -c release --package-path "$here/he-infer" --show-bin-path)/he-infer" "$bulwark_images" > "$out/bulwark.json"
    "$venv/bin/python" "$here/he-infer-tenseal.py" "$tenseal_images" > "$out/tenseal.json"
fi
echo "== Bulwark"; cat "$out/bulwark.json"
echo "== TenSEAL"; cat "$out/tenseal.json"
"$venv/bin/python" - "$out/bulwark.json" "$out/tenseal.json" <<'EOF'
import json, sys
bulwark, tenseal = (json.load(open(path)) for path in sys.argv[1:3])
# The driver reports per_image_seconds, `bulwark he infer --json` seconds_per_image.
b = (bulwark.get("per_image_seconds") or bulwark["seconds_per_image"])["end_to_end_cpu"]
t = tenseal["per_image_seconds"]["end_to_end_cpu"]
print("per image, encrypt + evaluate + decrypt, CPU seconds: Bulwark %.4f, TenSEAL %.3f, TenSEAL / Bulwark = %.0f×" % (b, t, t / b))
print("argmax agreement with plaintext: Bulwark %.3f (%d images), TenSEAL %.3f (%d images)"
      % (bulwark["argmax_agreement"], bulwark["images"], tenseal["argmax_agreement"], tenseal["images"]))
EOF
