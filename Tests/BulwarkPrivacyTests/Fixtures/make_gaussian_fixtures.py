"""Writes gaussian_fixtures.json: dp-accounting's Gaussian privacy loss, delta for (sigma, epsilon).

Run with a venv holding dp-accounting:  python make_gaussian_fixtures.py
"""
import json, os
from dp_accounting.pld import privacy_loss_mechanism as m

rows = []
for sigma in [0.5, 1.0, 2.0, 3.0, 5.0]:
    for eps in [0.1, 0.5, 1.0, 2.0]:
        rows.append({"sigma": sigma, "epsilon": eps,
                     "delta": m.GaussianPrivacyLoss(sigma, sensitivity=1.0).get_delta_for_epsilon(eps)})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gaussian_fixtures.json")
with open(out, "w") as f:
    json.dump({"rows": rows}, f, indent=1)
print(len(rows), "rows ->", out)
