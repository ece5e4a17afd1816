"""Writes pld_fixtures.json: dp-accounting PLDAccountant epsilons on the issue-8 grid.

Grid: noise multiplier {0.5, 0.8, 1.1, 2, 4} x sampling rate {0.001, 0.01, 0.1}
x steps {100, 1000, 10000}, delta = 1e-5, PLDAccountant defaults (add-or-remove
neighbours, value_discretization_interval = 1e-4).
Run with a venv holding dp-accounting:  python make_pld_fixtures.py
"""
import json, os
import dp_accounting
from dp_accounting.pld import pld_privacy_accountant

NOISE = [0.5, 0.8, 1.1, 2.0, 4.0]
RATES = [0.001, 0.01, 0.1]
STEPS = [100, 1000, 10000]
DELTA = 1e-5


def pld_epsilon(sigma, q, steps, delta):
    acc = pld_privacy_accountant.PLDAccountant()
    acc.compose(dp_accounting.SelfComposedDpEvent(
        dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps))
    return acc.get_epsilon(delta)


if __name__ == "__main__":
    rows = [{"noiseMultiplier": s, "samplingRate": q, "steps": t, "delta": DELTA,
             "epsilon": pld_epsilon(s, q, t, DELTA)}
            for s in NOISE for q in RATES for t in STEPS]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pld_fixtures.json")
    with open(out, "w") as f:
        json.dump({"dp_accounting": "0.6.0", "accountant": "PLDAccountant(value_discretization_interval=1e-4)",
                   "rows": rows}, f, indent=1)
    print(len(rows), "rows ->", out)
