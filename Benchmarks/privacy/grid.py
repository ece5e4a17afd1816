"""Times dp-accounting's RdpAccountant on the benchmark grid; prints seconds and writes the grid."""
import json, sys, time
import dp_accounting

grid = [(s, q, t, d) for s in [0.5, 0.8, 1.1, 2.0, 5.0] for q in [0.001, 0.01, 0.1] for t in [100, 1000, 10000] for d in [1e-5]]
json.dump([dict(noiseMultiplier=s, samplingRate=q, steps=t, delta=d) for s, q, t, d in grid], open(sys.argv[1], "w"))
start = time.perf_counter()
for s, q, t, d in grid:
    acc = dp_accounting.rdp.RdpAccountant()
    acc.compose(dp_accounting.SelfComposedDpEvent(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(s)), t))
    acc.get_epsilon(d)
print(f"{time.perf_counter() - start:.6f}")
