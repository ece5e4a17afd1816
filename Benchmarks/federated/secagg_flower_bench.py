"""Flower's own SecAgg+ round vs its plain FedAvg round, timed in Flower's simulation engine.

Usage: secagg_flower_bench.py CLIENTS PARAMETERS REPEATS OUT.json [NUM_SHARES THRESHOLD]

Runs a stock ServerApp (DefaultWorkflow, FedAvg) over CLIENTS simulated SuperNodes whose
ClientApp returns a fixed float32 vector of PARAMETERS values, once with Flower's plain fit
workflow and once with SecAggPlusWorkflow (num_shares, reconstruction_threshold) plus the
secaggplus_mod client mod. Each configuration runs REPEATS + 1 rounds in one simulation, the first
a warm-up (Ray starts the ClientApp actors during it) that is not reported; the time of
each fit round (the workflow call, from configure_fit to the aggregated parameters) is measured
inside the ServerApp, so Ray's start-up is not counted. Evaluation is skipped and initial
parameters are given, so the round is the only work. Writes {"plain": [s...], "secaggplus": [s...],
"max_abs_error": e} to OUT.json, where max_abs_error compares the SecAgg+ aggregate with the plain one.
"""

import json
import logging
import os
import sys
import time

import numpy as np

CLIENTS, PARAMETERS, REPEATS, OUT = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
NUM_SHARES = int(sys.argv[5]) if len(sys.argv) > 5 else 3
THRESHOLD = int(sys.argv[6]) if len(sys.argv) > 6 else 2

from flwr.client import ClientApp, NumPyClient  # noqa: E402
from flwr.client.mod import secaggplus_mod  # noqa: E402
from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays  # noqa: E402
from flwr.server import LegacyContext, ServerApp, ServerConfig  # noqa: E402
from flwr.server.strategy import FedAvg  # noqa: E402
from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow  # noqa: E402
from flwr.server.workflow.default_workflows import default_fit_workflow  # noqa: E402
from flwr.simulation import run_simulation  # noqa: E402


def client_vector(partition: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + partition)
    return rng.uniform(-1, 1, PARAMETERS).astype(np.float32)


class FixedClient(NumPyClient):
    def __init__(self, partition: int):
        self.vector = client_vector(partition)

    def get_parameters(self, config):
        return [self.vector]

    def fit(self, parameters, config):
        return [self.vector], 1, {}

    def evaluate(self, parameters, config):
        return 0.0, 1, {}


def client_fn(context):
    return FixedClient(int(context.node_config["partition-id"])).to_client()


class Captured(FedAvg):
    """FedAvg that keeps the last aggregate, to check SecAgg+'s result against the plain one."""

    last = None

    def aggregate_fit(self, server_round, results, failures):
        parameters, metrics = super().aggregate_fit(server_round, results, failures)
        if parameters is not None:
            Captured.last = parameters_to_ndarrays(parameters)[0]
        return parameters, metrics


def run(mode: str) -> tuple[list[float], np.ndarray]:
    times: list[float] = []
    inner = SecAggPlusWorkflow(num_shares=NUM_SHARES, reconstruction_threshold=THRESHOLD) if mode == "secaggplus" else default_fit_workflow

    def timed_fit(grid, context):
        start = time.perf_counter()
        inner(grid, context)
        times.append(time.perf_counter() - start)

    server = ServerApp()

    @server.main()
    def main(grid, context):
        strategy = Captured(fraction_fit=1.0, min_fit_clients=CLIENTS, min_available_clients=CLIENTS, fraction_evaluate=0.0,
                            initial_parameters=ndarrays_to_parameters([np.zeros(PARAMETERS, dtype=np.float32)]))
        legacy = LegacyContext(context=context, config=ServerConfig(num_rounds=REPEATS + 1), strategy=strategy)
        DefaultWorkflow(fit_workflow=timed_fit, evaluate_workflow=lambda grid, context: None)(grid, legacy)

    mods = [secaggplus_mod] if mode == "secaggplus" else []
    client = ClientApp(client_fn=client_fn, mods=mods)
    run_simulation(server_app=server, client_app=client, num_supernodes=CLIENTS,
                   backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0}}, verbose_logging=False)
    return times[1:], Captured.last


logging.getLogger("flwr").setLevel(logging.WARNING)
plain_times, plain_sum = run("plain")
secagg_times, secagg_sum = run("secaggplus")
mean = np.mean([client_vector(i) for i in range(CLIENTS)], axis=0)
result = {
    "plain": plain_times,
    "secaggplus": secagg_times,
    "max_abs_error": float(np.max(np.abs(secagg_sum - plain_sum))) if secagg_sum is not None and plain_sum is not None else None,
    "plain_vs_mean": float(np.max(np.abs(plain_sum - mean))) if plain_sum is not None else None,
    "num_shares": NUM_SHARES,
    "threshold": THRESHOLD,
}
with open(OUT, "w") as f:
    json.dump(result, f)
