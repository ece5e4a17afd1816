"""Times dp-accounting on the benchmark grids; writes the grid and dp-accounting's epsilons.

usage: grid.py rdp|pld GRID.json
  rdp: RdpAccountant on sigma {0.5,0.8,1.1,2,5} x q {0.001,0.01,0.1} x T {100,1000,10000}, delta 1e-5
  pld: PLDAccountant (defaults, discretisation 1e-4) on the issue-8 grid, the one in
       Tests/BulwarkPrivacyTests/Fixtures/make_pld_fixtures.py (sigma up to 4)
Prints "wall_seconds cpu_seconds" for all queries of the grid.
"""
import json, os, sys, time
import dp_accounting

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Tests/BulwarkPrivacyTests/Fixtures"))
import make_pld_fixtures as pld_fixtures  # noqa: E402

mode, out = sys.argv[1], sys.argv[2]
if mode == "rdp":
    grid = [(s, q, t, 1e-5) for s in [0.5, 0.8, 1.1, 2.0, 5.0] for q in [0.001, 0.01, 0.1] for t in [100, 1000, 10000]]
else:
    grid = [(s, q, t, pld_fixtures.DELTA) for s in pld_fixtures.NOISE for q in pld_fixtures.RATES for t in pld_fixtures.STEPS]


def rdp_epsilon(s, q, t, d):
    acc = dp_accounting.rdp.RdpAccountant()
    acc.compose(dp_accounting.SelfComposedDpEvent(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(s)), t))
    return acc.get_epsilon(d)


query = rdp_epsilon if mode == "rdp" else pld_fixtures.pld_epsilon
wall, cpu = time.perf_counter(), time.process_time()
eps = [query(*p) for p in grid]
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
json.dump([dict(noiseMultiplier=s, samplingRate=q, steps=t, delta=d, epsilon=e) for (s, q, t, d), e in zip(grid, eps)], open(out, "w"))
print(f"{wall:.6f} {cpu:.6f}")
