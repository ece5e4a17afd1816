"""Scores `bulwark extract --attack equivalent` against the victim's true first layer: for each true
neuron [w_j, b_j], the extracted row of largest |cos| scaled by the least-squares factor; prints the
relative errors (max, median) and how many true neurons are within 1 %.
    python score_first_layer.py extracted.onnx first_layer.npz"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

model = onnx.load(sys.argv[1])
inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
# the first Gemm/MatMul's weight and bias: the only tensors with a 784-long axis and their bias
mats = [v for v in inits.values() if v.ndim == 2]
first = next(m for m in mats if 784 in m.shape)
W = first if first.shape[1] == 784 else first.T
b = next(v for v in inits.values() if v.ndim == 1 and v.shape[0] == W.shape[0])
truth = np.load(sys.argv[2])
T = np.hstack([truth["W"], truth["b"][:, None]]).astype(np.float64)
R = np.hstack([W, b[:, None]]).astype(np.float64)
errors = []
for t in T:
    alpha = R @ t / (R * R).sum(1)
    errors.append(min(np.linalg.norm(a * r - t) / np.linalg.norm(t) for a, r in zip(alpha, R)))
errors = np.array(errors)
print(f"first layer: {len(R)} rows extracted for {len(T)} true neurons; relative error max {errors.max():.2e}, "
      f"median {np.median(errors):.2e}; {int((errors <= 0.01).sum())} of {len(T)} within 1 %")
