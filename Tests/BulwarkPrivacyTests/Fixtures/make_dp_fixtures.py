"""Writes rdp_fixtures.json: dp-accounting RdpAccountant epsilons on a grid.

Run with a venv holding dp-accounting:  python make_dp_fixtures.py
"""
import json, os
import dp_accounting

rows = []
for sigma in [0.5, 0.8, 1.1, 2.0, 5.0]:
    for q in [0.001, 0.01, 0.1, 1.0]:
        for steps in [1, 100, 1000]:
            for delta in [1e-5, 1e-3]:
                acc = dp_accounting.rdp.RdpAccountant()
                ev = dp_accounting.SelfComposedDpEvent(
                    dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps)
                acc.compose(ev)
                rows.append({"noiseMultiplier": sigma, "samplingRate": q, "steps": steps,
                             "delta": delta, "epsilon": acc.get_epsilon(delta)})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rdp_fixtures.json")
with open(out, "w") as f:
    json.dump({"dp_accounting": dp_accounting.__version__ if hasattr(dp_accounting, "__version__") else "0.6.0", "rows": rows}, f, indent=1)
print(len(rows), "rows ->", out)
