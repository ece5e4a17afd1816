#!/usr/bin/env bash
# Creates (or completes) the one virtualenv every benchmark and interop script uses, with the Python
# peers Bulwark is compared against. Peers are for benchmarks and fixtures only, never a runtime
# dependency.
#   Benchmarks/setup-venv.sh [extra pip packages…]    prints the venv's path on its last line
#   Benchmarks/setup-venv.sh --mlflow                 the MLflow server venv (see below)
#   Benchmarks/setup-venv.sh --gateway                the inference-gateway peer venv (see below)
#   Benchmarks/setup-venv.sh --flower                 the Flower federation venv (see below)
#   Benchmarks/setup-venv.sh --paillier               the python-paillier venv (see below)
#   Benchmarks/setup-venv.sh --crypten                the CrypTen (secure MPC) peer venv (see below)
#   Benchmarks/setup-venv.sh --he                     the CKKS peer venv: TenSEAL/SEAL (see below)
#   Benchmarks/setup-venv.sh --he-openfhe             the CKKS peer venv: OpenFHE, on CPython 3.10 (see below)
# The venv is $BULWARK_VENV, default Benchmarks/.venv (git-ignored). torch is installed first: the
# CPU wheel from the local wheel directory (PIP_FIND_LINKS, default /opt/wheels) when there is one,
# else torch from PyPI (said on stderr: on Linux x86_64 that is the CUDA build). Its version is then
# pinned in $BULWARK_VENV/constraints.txt and every later install here goes through that file, so
# no peer (opacus, ART, modelscan, …) can replace it with another build. numpy, safetensors, onnx
# and onnxruntime (the ONNX peers: export and fine-tune checks) are always installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# --mlflow: MLflow (tracking server, model registry, basic-auth app) for Benchmarks/registry, in a
# venv of its own, $BULWARK_MLFLOW_VENV, default Benchmarks/.venv-mlflow (git-ignored): mlflow
# pins pandas, pyarrow, scikit-learn, SQLAlchemy, Flask and protobuf ranges of its own, which must
# not move the torch/onnx peers above, and the server is measured in an environment that holds
# nothing else. The version is pinned so that a rerun measures the same server.
if [ "${1:-}" = "--mlflow" ]; then
    venv="${BULWARK_MLFLOW_VENV:-$here/.venv-mlflow}"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install -q --upgrade pip >&2
    fi
    "$venv/bin/python" -c "import mlflow, flask_wtf" 2>/dev/null || "$venv/bin/pip" install -q "mlflow[auth]==3.17.2" >&2
    echo "$venv"
    exit 0
fi
# --gateway: the peer of issue 20's inference gateway (Benchmarks/gateway) and the Open Inference
# Protocol client check (scripts/check-oip), in a venv of its own, $BULWARK_GATEWAY_VENV, default
# Benchmarks/.venv-gateway (git-ignored): FastAPI served by uvicorn with its "standard" extras
# (uvloop, httptools: what `pip install fastapi[standard]` gives a user), onnxruntime and numpy,
# and NVIDIA's stock KServe v2 client tritonclient[http]. No torch: the benchmark model is exported
# elsewhere (Benchmarks/gateway/make-model.sh). Versions are pinned so that a rerun measures the
# same peer and speaks to the server with the same client.
if [ "${1:-}" = "--gateway" ]; then
    venv="${BULWARK_GATEWAY_VENV:-$here/.venv-gateway}"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install -q --upgrade pip >&2
    fi
    "$venv/bin/python" -c "import fastapi, uvicorn, uvloop, httptools, onnxruntime, numpy, tritonclient.http" 2>/dev/null ||
        "$venv/bin/pip" install -q "fastapi==0.165.0" "uvicorn[standard]==0.55.0" "onnxruntime==1.32.0" \
            "numpy==2.4.6" "tritonclient[http]==2.73.0" >&2
    echo "$venv"
    exit 0
fi
# --flower: Flower (SuperLink, SuperNode, ServerApp/ClientApp and its simulation engine on Ray)
# for issue 21's interop tests (a Bulwark SuperNode in a round of a stock ServerApp) and the SecAgg+
# benchmark against Flower's own SecAgg+ workflow, in a venv of its own, $BULWARK_FLOWER_VENV,
# default Benchmarks/.venv-flower (git-ignored): flwr pins its own protobuf, grpcio and
# cryptography ranges. numpy is what Flower's NDArray records are. Versions are pinned so that a
# rerun speaks the same protocol.
if [ "${1:-}" = "--flower" ]; then
    venv="${BULWARK_FLOWER_VENV:-$here/.venv-flower}"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install -q --upgrade pip >&2
    fi
    "$venv/bin/python" -c "import flwr, ray, numpy" 2>/dev/null ||
        "$venv/bin/pip" install -q "flwr[simulation]==1.42.0" "numpy==2.4.6" >&2
    echo "$venv"
    exit 0
fi
# --he: the SEAL peer of issue 22's CKKS benchmark (Benchmarks/he/ckks-bench.sh): TenSEAL (Microsoft
# SEAL and its Python bindings in one wheel), with numpy, in a venv of its own, $BULWARK_HE_VENV,
# default Benchmarks/.venv-he (git-ignored). Versions are pinned so that a rerun measures the same peer.
if [ "${1:-}" = "--he" ]; then
    venv="${BULWARK_HE_VENV:-$here/.venv-he}"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install -q --upgrade pip >&2
    fi
    "$venv/bin/python" -c "import tenseal, numpy" 2>/dev/null ||
        "$venv/bin/pip" install -q "tenseal==0.3.18" "numpy==2.4.6" >&2
    echo "$venv"
    exit 0
fi
# --he-openfhe: OpenFHE's Python bindings for the same benchmark, in a venv of its own,
# $BULWARK_HE_OPENFHE_VENV, default Benchmarks/.venv-he-openfhe (git-ignored). The wheel is tagged
# py3-none-any but its extension is built for CPython 3.10 only (TenSEAL 0.3.18 needs ≥ 3.11, hence
# two venvs), so this venv is made with $BULWARK_HE_PYTHON, else python3.10 on PATH, else pyenv's
# 3.10; exits 1 when there is none. numpy 2.2 is the last release for 3.10.
if [ "${1:-}" = "--he-openfhe" ]; then
    venv="${BULWARK_HE_OPENFHE_VENV:-$here/.venv-he-openfhe}"
    if [ ! -x "$venv/bin/python" ]; then
        python="${BULWARK_HE_PYTHON:-}"
        if [ -z "$python" ]; then
            for candidate in python3.10 "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.10*/bin/python3.10; do
                if "$candidate" -c "import sys, venv; assert sys.version_info[:2] == (3, 10)" 2>/dev/null; then
                    python="$candidate"
                    break
                fi
            done
        fi
        if [ -z "$python" ]; then
            echo "setup-venv.sh --he-openfhe: no CPython 3.10 found (set BULWARK_HE_PYTHON)" >&2
            exit 1
        fi
        "$python" -m venv "$venv" >&2
        "$venv/bin/pip" install -q --upgrade pip >&2
    fi
    "$venv/bin/python" -c "import openfhe, numpy" 2>/dev/null ||
        "$venv/bin/pip" install -q "openfhe==1.6.1.0.22.4" "numpy==2.2.6" >&2
    echo "$venv"
    exit 0
fi
# --crypten: CrypTen 0.4.1 (its last release) for issue 23's secure-inference comparison
# (Benchmarks/mpc/crypten-bench.sh), in a venv of its own, $BULWARK_CRYPTEN_VENV, default
# Benchmarks/.venv-crypten (git-ignored). CrypTen is installed without its declared dependencies:
# they name the retired `sklearn` package, which PyPI now refuses, and tensorboard/torchvision,
# which inference does not import; the ones it does import (scikit-learn for `sklearn`) are
# installed by name. torch is the CPU wheel from the local wheel directory as above (else
# PyPI's). Versions are pinned.
if [ "${1:-}" = "--crypten" ]; then
    venv="${BULWARK_CRYPTEN_VENV:-$here/.venv-crypten}"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install -q --upgrade pip >&2
    fi
    if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
        wheel="$(ls "${PIP_FIND_LINKS:-/opt/wheels}"/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -n 1 || true)"
        "$venv/bin/pip" install -q "${wheel:-torch}" >&2
    fi
    "$venv/bin/python" -c "import omegaconf, onnx, pandas, yaml, scipy, safetensors, sklearn" 2>/dev/null ||
        "$venv/bin/pip" install -q "omegaconf==2.4.0" "onnx==1.23.2" "pandas==3.1.1" "pyyaml==6.0.4" \
            "scipy==1.17.1" "future==1.0.0" "safetensors==0.8.0" "scikit-learn==1.9.1" >&2
    "$venv/bin/pip" show crypten >/dev/null 2>&1 || "$venv/bin/pip" install -q --no-deps "crypten==0.4.1" >&2
    echo "$venv"
    exit 0
fi
# --paillier: python-paillier (phe, with its pheutil command line) on gmpy2 (GMP) for issue 22's
# Paillier interop check (scripts/check-paillier) and benchmark (Benchmarks/he/paillier-bench.sh),
# in a venv of its own, $BULWARK_PAILLIER_VENV, default Benchmarks/.venv-paillier (git-ignored).
# click (phe's "cli" extra) is what pheutil needs. Versions are pinned so that a rerun measures the same peer.
if [ "${1:-}" = "--paillier" ]; then
    venv="${BULWARK_PAILLIER_VENV:-$here/.venv-paillier}"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install -q --upgrade pip >&2
    fi
    "$venv/bin/python" -c "import phe, gmpy2, click" 2>/dev/null ||
        "$venv/bin/pip" install -q "phe[cli]==1.5.0" "gmpy2==2.3.2" "click==8.5.1" >&2
    echo "$venv"
    exit 0
fi
venv="${BULWARK_VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --upgrade pip >&2
fi
pip=("$venv/bin/pip" install -q)
constraints="$venv/constraints.txt"
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
    wheels="${PIP_FIND_LINKS:-/opt/wheels}"
    wheel="$(ls "$wheels"/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -n "$wheel" ]; then
        echo "setup-venv: torch from the local CPU wheel $wheel" >&2
        "${pip[@]}" "$wheel" >&2
    else
        echo "setup-venv: no local CPU torch wheel in $wheels; installing torch from PyPI (the CUDA build on Linux x86_64)" >&2
        "${pip[@]}" torch >&2
    fi
fi
echo "torch==$("$venv/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null)" > "$constraints"
PIP_CONSTRAINT="$constraints" "${pip[@]}" numpy safetensors onnx onnxruntime "$@" >&2
echo "$venv"
