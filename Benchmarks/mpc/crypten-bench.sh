#!/usr/bin/env bash
# Secure two-party inference, Bulwark against CrypTen 0.4.1 in the same run, on the same zoo model
# file and the same first Fashion-MNIST test images: Bulwark's `mpc infer` (3 processes over
# loopback TLS 1.3: owner, client, dealer) and CrypTen (2 processes over gloo on loopback TCP,
# trusted-first-party triples). Both compute the argmax on shares and reveal only it to the
# client (Bulwark: `--reveal labels`). Prints time per image, rounds per batch, MB sent per
# image (the model owner's party; CrypTen's communicator counts the bytes a party sends) and
# the argmax agreement with plaintext, then the ratio.
#
#   Benchmarks/mpc/crypten-bench.sh MODEL.safetensors [IMAGES] [BATCH] [bulwark binary]
set -euo pipefail
cd "$(dirname "$0")/../.."
model="${1:?usage: crypten-bench.sh MODEL.safetensors [IMAGES] [BATCH] [bulwark binary]}"
images="${2:-1000}"
batch="${3:-100}"
binary="${4:-.build/release/bulwark}"
[ -x "$binary" ] || { echo "crypten-bench: $binary not built (swift build -c release --product bulwark)" >&2; exit 2; }
venv="$(Benchmarks/setup-venv.sh --crypten | tail -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$binary" mpc infer --model "$model" --dataset fashion-mnist --count "$images" --batch "$batch" --reveal labels --json > "$work/bulwark.json"
"$venv/bin/python" Benchmarks/mpc/crypten-bench.py --model "$model" --images "$images" --batch "$batch" > "$work/crypten.json"
python3 - "$work/bulwark.json" "$work/crypten.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
owner = next(p for p in b["parties"] if p["party"] == 0)
b_ms = b["millisecondsPerImage"]; c_ms = c["seconds_per_image"] * 1000
b_mb = owner["online"]["bytesSent"] / b["images"] / 1e6; c_mb = c["bytes_per_image_per_party"] / 1e6
print(f"secure {b['model']}: {b['images']} Fashion-MNIST test images, batch {b['batchSize']}, argmax revealed to the client")
print("| | Bulwark (mpc infer, TLS, dealer) | CrypTen 0.4.1 (gloo, TFP) |")
print("| --- | ---: | ---: |")
print(f"| ms per image | {b_ms:.2f} | {c_ms:.2f} |")
print(f"| rounds per batch | {b['roundsPerBatch']} | {c['rounds_per_batch']:.0f} |")
print(f"| MB sent per image by the owner's party (online) | {b_mb:.3f} | {c_mb:.3f} |")
print(f"| argmax = plaintext | {b['agreementWithPlaintext']} / {b['images']} | {c['agreement']} / {c['images']} |")
print(f"| correct | {b.get('correct')} | {c['correct']} |")
print(f"speed: Bulwark takes {b_ms / c_ms:.3f}x CrypTen's time per image ({c_ms / b_ms:.1f}x faster)")
PY
