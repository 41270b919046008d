"""Relative values averaged over seeds (Rand & Rust 2011): more intensity, more damage."""

from __future__ import annotations

import numpy as np

from sim.engine.metrics import Column
from sim.run.runner import simulate

from .conftest import small_config

SEEDS = range(6)


def finals(*overrides: str) -> dict[str, float]:
    rows = [
        simulate(
            small_config("graph.n_users=1000", "steps=150", f"seed={seed}", *overrides)
        ).timeseries
        for seed in SEEDS
    ]
    return {
        "share": np.mean([t[Column.MARKETING_SHARE].mean() for t in rows]),
        "share_month_one": np.mean([t[Column.MARKETING_SHARE].iloc[:30].mean() for t in rows]),
        "trust": np.nanmean([t[Column.MEAN_TRUST_SELLER_ARCS].mean() for t in rows]),
        "unfriends": np.mean([t[Column.UNFRIENDS_CUM].iloc[-1] for t in rows]),
        "mutes": np.mean([t[Column.MUTES_CUM].iloc[-1] for t in rows]),
    }


def test_more_intensity_raises_density_and_unfriending_and_lowers_trust():
    low, high = finals("market.intensity=0.5"), finals("market.intensity=3")
    assert high["share"] > low["share"]
    assert high["trust"] < low["trust"]
    assert high["unfriends"] > low["unfriends"]
    assert high["mutes"] > low["mutes"]


def test_rectify_lowers_marketing_density_against_laissez_faire():
    """The cap's direct effect, in the first month (later, laissez-faire's sellers
    collapse under their own marketing and its density falls on its own)."""
    laissez = finals("market.intensity=3")
    rectify = finals("market.intensity=3", "scenario=rectify")
    assert rectify["share_month_one"] < laissez["share_month_one"]
