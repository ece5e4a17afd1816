"""CrypTen's secure inference of a Bulwark zoo `mlp` or `cnn` on Fashion-MNIST test images: the
peer of `mpc-bench` / `bulwark mpc infer`, on the same weights and images.

Two parties as two processes (crypten.mpc.run_multiprocess: torch.distributed with gloo over
loopback TCP). Party 0 owns the model (encrypt(src=0)), party 1 the images
(cryptensor(src=1)); the logits' argmax is computed securely and revealed to party 1 only, as in
Bulwark. Triples come from CrypTen's default provider (trusted first party: party 0 makes them,
the closest CrypTen has to Bulwark's dealer). Prints JSON: seconds per image (online, after a
warm-up batch), rounds and bytes per batch as CrypTen's communicator counts them, and argmax
agreement with plaintext PyTorch on the same weights.

Run by Benchmarks/mpc/crypten-bench.sh (venv from Benchmarks/setup-venv.sh --crypten):
    python crypten-bench.py --model mlp.safetensors [--images 1000] [--batch 100]

CrypTen 0.4.1 (its last release, 2022) imports `torch.onnx._internal.registration`, which
current PyTorch no longer has; only its ONNX import uses it, so an empty module stands in for it
here and the model is built layer by layer instead of converted from ONNX.
"""
import argparse
import gzip
import json
import sys
import time
import types

stand_in = types.ModuleType("torch.onnx._internal.registration")
stand_in.registry = None
sys.modules[stand_in.__name__] = stand_in

import crypten  # noqa: E402
import crypten.communicator as comm  # noqa: E402
import crypten.nn as cnn  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402


def test_images(count):
    root = "/usr/share/datasets/fashion-mnist"
    with gzip.open(f"{root}/t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
    with gzip.open(f"{root}/t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:count]
    return torch.tensor(images, dtype=torch.float32) / 255, torch.tensor(labels.astype(np.int64))


def models(path):
    """The PyTorch model and the CrypTen model (unencrypted) with the file's weights."""
    w = {k: torch.tensor(v) for k, v in load_file(path).items()}
    if "0.weight" in w:  # zoo cnn
        torch_model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(3136, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        secure = cnn.Sequential(
            cnn.Conv2d(1, 32, 3, padding=1), cnn.ReLU(), cnn.MaxPool2d(2),
            cnn.Conv2d(32, 64, 3, padding=1), cnn.ReLU(), cnn.MaxPool2d(2),
            cnn.Flatten(), cnn.Linear(3136, 128), cnn.ReLU(), cnn.Linear(128, 10))
        layers = {"0": 0, "3": 3, "7": 7, "9": 9}
    else:  # zoo mlp: Flatten, Dense, ReLU, Dense, ReLU, Dense
        torch_model = torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
            torch.nn.ReLU(), torch.nn.Linear(128, 10))
        secure = cnn.Sequential(
            cnn.Flatten(), cnn.Linear(784, 256), cnn.ReLU(), cnn.Linear(256, 128), cnn.ReLU(), cnn.Linear(128, 10))
        layers = {"1": 1, "3": 3, "5": 5}
    with torch.no_grad():
        for name, index in layers.items():
            torch_model[index].weight.copy_(w[f"{name}.weight"])
            torch_model[index].bias.copy_(w[f"{name}.bias"])
            secure._modules[str(index)].set_parameter("weight", w[f"{name}.weight"].clone())
            secure._modules[str(index)].set_parameter("bias", w[f"{name}.bias"].clone())
    return torch_model.eval(), secure


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    @crypten.mpc.run_multiprocess(world_size=2)
    def run():
        crypten.cfg.communicator.verbose = True
        rank = comm.get().get_rank()
        images, labels = test_images(args.images)
        torch_model, secure = models(args.model)
        if rank != 0:  # only the owner's weights enter the computation
            for module in secure.modules():
                for name, value in list(module.named_parameters(recurse=False)):
                    module.set_parameter(name, torch.zeros_like(value))
        secure.encrypt(src=0)
        secure.eval()
        agree = correct = 0
        seconds = 0.0
        rounds = bytes_ = 0
        batches = 0
        for start in range(-args.batch, args.images, args.batch):  # the first batch warms up
            x = images[max(0, start):max(0, start) + args.batch]
            mine = x if rank == 1 else torch.zeros_like(x)
            comm.get().reset_communication_stats()
            began = time.perf_counter()
            logits = secure(crypten.cryptensor(mine, src=1))
            one_hot = logits.argmax(dim=1)
            revealed = one_hot.get_plain_text(dst=1)
            elapsed = time.perf_counter() - began
            if start < 0:
                continue
            stats = comm.get().get_communication_stats()
            seconds += elapsed
            rounds += stats["rounds"]
            bytes_ += stats["bytes"]
            batches += 1
            if rank == 1:
                secure_labels = revealed.argmax(dim=1)
                with torch.no_grad():
                    plain = torch_model(x).argmax(dim=1)
                agree += int((secure_labels == plain).sum())
                correct += int((secure_labels == labels[start:start + len(x)]).sum())
        if rank == 1:
            print(json.dumps({
                "images": args.images, "batch": args.batch,
                "seconds_per_image": seconds / args.images,
                "rounds_per_batch": rounds / batches,
                "bytes_per_image_per_party": bytes_ / args.images,
                "agreement": agree, "correct": correct,
                "crypten": crypten.__version__, "torch": torch.__version__,
            }), flush=True)

    run()


if __name__ == "__main__":
    main()
