#!/usr/bin/python3
"""Makes the image and table fixtures of BulwarkDataTests (run from this directory).

    /usr/bin/python3 make_dataset_fixtures.py

Needs Debian's python3-sklearn (which brings numpy) and cjpeg from libjpeg-turbo-progs.

Images: PNGs are written here by hand (zlib + CRC, filter 0) so their pixels are exactly
pixel(y, x, c) = (40*y + 15*x + 70*c + seed) % 256, the formula the Swift tests recompute.
JPEGs are made by cjpeg (quality 100) from PPM/PGM files holding a smooth gradient
gradient(y, x, c) = 40 + 12*y + 8*x + 30*c, which the tests compare within a tolerance.
Broken files: truncated.png / truncated.jpg (cut in half), crc.png (IDAT CRC wrong),
bomb.png (IHDR claims 100000x100000 with almost no data), notapng.png (text).

Tables: breast_cancer.csv is scikit-learn's breast cancer data (its CSV's first line is a
count header, not names) rewritten with a header of the 30 feature names and an integer
label column `target` (0 malignant, 1 benign, as scikit-learn); breast_cancer_stats.json
holds NumPy's per-feature mean and population std (ddof=0) and the class counts.
digits.npz holds scikit-learn's 8x8 digits as x: uint8 N×1×8×8 (values 0…16 scaled by 255/16
and rounded) and y: int64, compressed.
"""
import gzip
import json
import os
import struct
import subprocess
import zlib

import numpy as np

DATA = "/usr/lib/python3/dist-packages/sklearn/datasets/data"


def pixel(y, x, c, seed):
    return (40 * y + 15 * x + 70 * c + seed) % 256


def gradient(y, x, c):
    return 40 + 12 * y + 8 * x + 30 * c


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width, height, colour_type, rows, extra=b""):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def image_png(name, width, height, channels, seed):
    colour_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            for c in range(channels):
                row.append(255 if c == 3 else pixel(y, x, c, seed))
        rows.append(row)
    data = png(width, height, colour_type, rows)
    open(name, "wb").write(data)
    return data


def image_jpeg(name, width, height, channels):
    header = b"P6" if channels == 3 else b"P5"
    body = bytes(gradient(y, x, c) for y in range(height) for x in range(width) for c in range(channels))
    source = name + (".ppm" if channels == 3 else ".pgm")
    open(source, "wb").write(header + b"\n%d %d\n255\n" % (width, height) + body)
    subprocess.run(["cjpeg", "-quality", "100", "-outfile", name] + (["-grayscale"] if channels == 1 else []) + [source], check=True)
    os.remove(source)
    return open(name, "rb").read()


def main():
    rgb = image_png("rgb_4x3.png", 4, 3, 3, seed=0)
    image_png("rgb_4x3_b.png", 4, 3, 3, seed=5)
    image_png("grey_4x3.png", 4, 3, 1, seed=0)
    image_png("rgba_4x3.png", 4, 3, 4, seed=0)   # opaque alpha: decodes like rgb_4x3.png
    image_png("rgb_8x6.png", 8, 6, 3, seed=0)
    # A palette image: two colours, pixel(0, 0, ·, 0) and pixel(1, 1, ·, 0), in a checkerboard.
    plte = bytes(pixel(0, 0, c, 0) for c in range(3)) + bytes(pixel(1, 1, c, 0) for c in range(3))
    open("palette_2x2.png", "wb").write(png(2, 2, 3, [[0, 1], [1, 0]], extra=chunk(b"PLTE", plte)))
    jpeg = image_jpeg("rgb_8x8.jpg", 8, 8, 3)
    image_jpeg("grey_8x8.jpg", 8, 8, 1)

    open("truncated.png", "wb").write(rgb[: len(rgb) // 2])
    open("truncated.jpg", "wb").write(jpeg[: len(jpeg) // 2])
    idat = rgb.index(b"IDAT")
    crc_at = idat + 4 + struct.unpack(">I", rgb[idat - 4:idat])[0]
    open("crc.png", "wb").write(rgb[:crc_at] + bytes([rgb[crc_at] ^ 0xFF]) + rgb[crc_at + 1:])
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    open("bomb.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    open("notapng.png", "wb").write(b"this is not an image\n")

    from sklearn.datasets import load_breast_cancer
    names = list(load_breast_cancer().feature_names)
    lines = open(os.path.join(DATA, "breast_cancer.csv")).read().splitlines()
    count, features = (int(v) for v in lines[0].split(",")[:2])
    rows = [line.split(",") for line in lines[1:1 + count]]
    assert len(names) == features and all(len(r) == features + 1 for r in rows)
    with open("breast_cancer.csv", "w") as out:
        out.write(",".join(names + ["target"]) + "\n")
        for r in rows:
            out.write(",".join(r[:features] + [str(int(float(r[features])))]) + "\n")
    x = np.array([[float(v) for v in r[:features]] for r in rows], dtype=np.float64)
    y = np.array([int(float(r[features])) for r in rows])
    stats = {"mean": x.mean(axis=0).tolist(), "std": x.std(axis=0).tolist(), "classCounts": np.bincount(y).tolist()}
    json.dump(stats, open("breast_cancer_stats.json", "w"), indent=1)

    digits = np.loadtxt(gzip.open(os.path.join(DATA, "digits.csv.gz")), delimiter=",")
    images = np.rint(digits[:, :64] * 255 / 16).astype(np.uint8).reshape(-1, 1, 8, 8)
    np.savez_compressed("digits.npz", x=images, y=digits[:, 64].astype(np.int64))


if __name__ == "__main__":
    main()
