"""Issue 5's comparison: the same Fashion-MNIST models (mlp, cnn: Bulwark's zoo architectures),
the same N test images and the same attack parameters through IBM ART (PyTorchClassifier) and
through BulwarkEvasion (the evasion-bench executable, on the ONNX export of the very same torch
weights), in one run. Prints robust accuracy side by side, images/s, and the ratio Bulwark ÷ ART time.

Usage: python compare.py BULWARK_BENCH_BINARY [N]   (run.sh builds the binary and the venv)
"""
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

# Bulwark's workers = the processors this process may run on; torch gets the same number.
THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
torch.set_num_threads(THREADS)
torch.set_num_interop_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")
DATA = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
SEED = 0

# Attack parameters, shared verbatim by both tools.
PARAMS = {
    "fgsm": dict(norm="linf", eps=0.05, steps=1),
    "pgd": dict(norm="linf", eps=0.05, steps=20, stepSize=0.005),
    "deepfool": dict(norm="l2", eps=1.0, steps=50, overshoot=0.02),  # eps: L2 bound applied when scoring
    # Bulwark runs ART's optimiser (gradient descent + halving/doubling line search, ART's
    # constant search): CarliniWagnerL2(optimizer: .lineSearch).
    "cw": dict(norm="l2", eps=1.0, steps=50, binarySearchSteps=5, learningRate=0.01, initialConstant=0.1, confidence=0.0,
               optimizer="line-search", maxHalving=5, maxDoubling=5),
}
BATCH = 128
# EVASION_BENCH_ATTACKS=fgsm,pgd runs a subset (e.g. C&W on fewer images in a separate call).
SELECTED = [a for a in os.environ.get("EVASION_BENCH_ATTACKS", ",".join(PARAMS)).split(",") if a]
for a in SELECTED:
    if a not in PARAMS:
        sys.exit(f"compare.py: unknown attack {a!r} in EVASION_BENCH_ATTACKS (known: {', '.join(PARAMS)})")
PARAMS = {k: v for k, v in PARAMS.items() if k in SELECTED}


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def zoo(name):
    """Bulwark's ModelZoo architectures (Sources/BulwarkModels/Zoo/ModelZoo.swift)."""
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def train_or_load(name, xtr, ytr):
    os.makedirs(CACHE, exist_ok=True)
    weights, onnx_path = os.path.join(CACHE, f"{name}.pt"), os.path.join(CACHE, f"{name}.onnx")
    torch.manual_seed(SEED)
    model = zoo(name)
    if os.path.exists(weights) and os.path.exists(onnx_path):
        model.load_state_dict(torch.load(weights))
    else:
        # mlp: 2 epochs on all 60k; cnn: 1 epoch on 30k (2 CPU threads; enough for ~85–90 %).
        epochs, count = (2, 60000) if name == "mlp" else (1, 30000)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(SEED)
        x = torch.from_numpy(xtr[:count]); y = torch.from_numpy(ytr[:count])
        model.train()
        for _ in range(epochs):
            perm = torch.randperm(count, generator=g)
            for i in range(0, count, 64):
                b = perm[i:i + 64]
                opt.zero_grad()
                nn.functional.cross_entropy(model(x[b]), y[b]).backward()
                opt.step()
        model.eval()
        torch.save(model.state_dict(), weights)
        torch.onnx.export(model, x[:1], onnx_path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    model.eval()
    return model, onnx_path


def art_attack(name, classifier, p):
    from art.attacks.evasion import CarliniL2Method, DeepFool, FastGradientMethod, ProjectedGradientDescent
    if name == "fgsm":
        return FastGradientMethod(classifier, norm=np.inf, eps=p["eps"], batch_size=BATCH)
    if name == "pgd":
        return ProjectedGradientDescent(classifier, norm=np.inf, eps=p["eps"], eps_step=p["stepSize"], max_iter=p["steps"],
                                        num_random_init=1, batch_size=BATCH, verbose=False)
    if name == "deepfool":
        return DeepFool(classifier, max_iter=p["steps"], epsilon=p["overshoot"], nb_grads=10, batch_size=BATCH, verbose=False)
    return CarliniL2Method(classifier, confidence=p["confidence"], learning_rate=p["learningRate"],
                           binary_search_steps=p["binarySearchSteps"], max_iter=p["steps"],
                           initial_const=p["initialConstant"], max_halving=p["maxHalving"], max_doubling=p["maxDoubling"],
                           batch_size=BATCH, verbose=False)


def robust(y, clean, adv, l2, linf, name):
    """Robust accuracy: clean-correct and not broken (for the minimal-norm attacks DeepFool and
    C&W, a break counts only within the L2 bound eps)."""
    correct = clean == y
    broken = adv != y
    if name in ("deepfool", "cw"):
        broken &= l2 <= PARAMS[name]["eps"] * (1 + 1e-6)
    return float(np.mean(correct & ~broken))


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    xtr = (idx(f"{DATA}/train-images-idx3-ubyte.gz").astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    ytr = idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = (idx(f"{DATA}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255).reshape(-1, 1, 28, 28)[:n].copy()
    yte = idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").astype(np.int64)[:n].copy()
    os.makedirs(CACHE, exist_ok=True)
    xfile, yfile = os.path.join(CACHE, f"x{n}.f32"), os.path.join(CACHE, f"y{n}.i32")
    xte.astype("<f4").tofile(xfile)
    yte.astype("<i4").tofile(yfile)
    from art.estimators.classification import PyTorchClassifier

    rows = []
    # EVASION_BENCH_MODELS=mlp runs one model only.
    for mname in [m for m in os.environ.get("EVASION_BENCH_MODELS", "mlp,cnn").split(",") if m in ("mlp", "cnn")]:
        model, onnx_path = train_or_load(mname, xtr, ytr)
        classifier = PyTorchClassifier(model=model, loss=nn.CrossEntropyLoss(), input_shape=(1, 28, 28), nb_classes=10,
                                       clip_values=(0.0, 1.0), device_type="cpu")
        clean_pred = classifier.predict(xte, batch_size=BATCH).argmax(1)
        art = {}
        for name, p in PARAMS.items():
            attack = art_attack(name, classifier, p)
            np.random.seed(SEED); torch.manual_seed(SEED)
            t = time.perf_counter()
            adv = attack.generate(x=xte, y=yte if name in ("fgsm", "pgd") else None)
            seconds = time.perf_counter() - t
            # Bulwark's `run` also returns the adversarial predictions; time ART's predict too so
            # both sides can be compared doing the same work (generate alone is reported as well).
            adv_pred = classifier.predict(adv, batch_size=BATCH).argmax(1)
            scored = time.perf_counter() - t
            delta = (adv - xte).reshape(n, -1)
            art[name] = dict(seconds=seconds, scored=scored, adv=adv_pred,
                             l2=np.linalg.norm(delta, axis=1), linf=np.abs(delta).max(1))
            print(f"art {mname} {name}: {seconds:.2f} s (+ predict: {scored:.2f} s), load {os.getloadavg()[0]:.1f}",
                  file=sys.stderr, flush=True)
        request = dict(model=onnx_path, x=xfile, y=yfile, n=n, batch=BATCH, seed=SEED,
                       attacks=[dict(name=k, **v) for k, v in PARAMS.items()])
        req_path = os.path.join(CACHE, f"request-{mname}.json")
        with open(req_path, "w") as f:
            json.dump(request, f)
        out = subprocess.run([binary, req_path], check=True, capture_output=True, text=True,
                             env=dict(os.environ, OPENBLAS_NUM_THREADS="1", BULWARK_THREADS=str(THREADS)))
        sys.stderr.write(out.stderr)
        print(f"bulwark {mname} done, load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        bw = {r["name"]: r for r in json.loads(out.stdout)}
        clean_bw = np.array(next(iter(bw.values()))["clean"])
        rows.append((mname, "clean", float(np.mean(clean_pred == yte)), float(np.mean(clean_bw == yte)), None, None, None, None))
        for name in PARAMS:
            a, b = art[name], bw[name]
            ra = robust(yte, clean_pred, a["adv"], a["l2"], a["linf"], name)
            rb = robust(yte, np.array(b["clean"]), np.array(b["adv"] if "adv" in b else b["adversarial"]),
                        np.array(b["l2"]), np.array(b["linf"]), name)
            rows.append((mname, name, ra, rb, n / a["seconds"], n / a["scored"], n / b["generateSeconds"], n / b["seconds"]))
            print(f"row {mname} {name}: ART {100 * ra:.1f}% Bulwark {100 * rb:.1f}%", file=sys.stderr, flush=True)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"N = {n} Fashion-MNIST test images, batch {BATCH}; torch threads = {THREADS} (interop 1); "
          f"Bulwark workers = {THREADS}; both pinned to CPUs {affinity}; model load excluded on both sides")
    print("parameters: " + json.dumps(PARAMS))
    print("images/s — generate: adversarial examples only (ART generate, Bulwark generate); "
          "+pred: the examples and their predictions (ART generate + predict, Bulwark run); "
          "ratio = Bulwark ÷ ART time (< 1: Bulwark faster)")
    print(f"{'model':<6}{'attack':<10}{'ART acc':>9}{'Bulwark':>9}{'Δ pp':>7}"
          f"{'ART gen':>10}{'Bulwark gen':>13}{'ratio':>7}{'ART +pred':>11}{'Bulwark run':>13}{'ratio':>7}")
    for m, name, ra, rb, ia, ip, ig, ib in rows:
        speed = f"{ia:>10.1f}{ig:>13.1f}{ia / ig:>7.2f}{ip:>11.1f}{ib:>13.1f}{ip / ib:>7.2f}" if ia else ""
        print(f"{m:<6}{name:<10}{100 * ra:>8.1f}%{100 * rb:>8.1f}%{100 * (rb - ra):>+7.1f}{speed}")


if __name__ == "__main__":
    main()
