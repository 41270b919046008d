"""Docking: the fast engine and the per-agent reference agree statistically.

Both implement docs/ODD.md; they share the graph (same seed) but draw their
random numbers differently, so they are compared across seeds: for every
headline metric and scenario, the difference of the means must pass a Welch
t-test at the 99% level (two-sided), or be within 3% of the reference mean.
The power is checked once by hand: a fast engine with 1.5x trust erosion fails it.
On failure the whole comparison table is printed.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.reference.model import HEADLINE, ReferenceModel
from sim.runner import compose_config, simulate, to_sim_config

SEEDS = range(12)
DOCKING = [
    "graph.n_users=2000",
    "graph.mean_degree=20",
    "steps=90",
    "market.intensity=2",
    "sellers.initial_fraction=0.05",
]
LEVEL = 0.99
RELATIVE = 0.03


def outcome(table: pd.DataFrame) -> dict[str, float]:
    """A run's headline: year-mean marketing share and trust, final counts."""
    row = {k: float(table[k].iloc[-1]) for k in HEADLINE}
    row["marketing_share"] = float(table["marketing_share"].mean())
    row["mean_trust_seller_arcs"] = float(np.nanmean(table["mean_trust_seller_arcs"]))
    return row


def one_run(job: tuple[str, str, int]) -> tuple[str, dict[str, float]]:
    engine, scenario, seed = job
    cfg = to_sim_config(compose_config([*DOCKING, f"scenario={scenario}", f"seed={seed}"]))
    table = (
        simulate(cfg, progress=False).timeseries if engine == "fast" else ReferenceModel(cfg).run()
    )
    return engine, outcome(table)


def compare(fast: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for metric in HEADLINE:
        f, r = fast[metric], reference[metric]
        if f.std() == 0 and r.std() == 0:
            p = 1.0 if f.mean() == r.mean() else 0.0
        else:
            p = stats.ttest_ind(f, r, equal_var=False).pvalue
        relative = abs(f.mean() - r.mean()) / max(abs(r.mean()), 1e-12)
        agree = p > 1 - LEVEL or relative <= RELATIVE
        rows.append(
            {
                "metric": metric,
                "fast": f.mean(),
                "reference": r.mean(),
                "p": p,
                "relative": relative,
                "agree": agree,
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("scenario", ["laissez_faire", "rectify", "separate_shop", "c2b"])
def test_fast_engine_docks_with_the_reference(scenario):
    jobs = [(engine, scenario, seed) for seed in SEEDS for engine in ("reference", "fast")]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=spawn) as pool:
        results = list(pool.map(one_run, jobs))
    fast = pd.DataFrame([row for engine, row in results if engine == "fast"])
    reference = pd.DataFrame([row for engine, row in results if engine == "reference"])
    table = compare(fast, reference)
    print(f"\ndocking, {scenario}, {len(SEEDS)} seeds:\n{table.round(4).to_string()}")
    assert table["agree"].all(), f"engines disagree ({scenario}):\n{table.round(4).to_string()}"
