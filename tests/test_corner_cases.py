"""Corner cases from the brief: no marketing, no sellers."""

from __future__ import annotations

import pytest

from sim.engine.metrics import Column
from sim.run.runner import simulate

from .conftest import small_config


@pytest.mark.parametrize("scenario", ["laissez_faire", "rectify", "separate_shop", "c2b"])
def test_zero_intensity_means_no_marketing_no_responses_no_sales(scenario):
    table = simulate(small_config(f"scenario={scenario}", "market.intensity=0")).timeseries
    assert (table[Column.MARKETING_SHARE] == 0).all()
    assert table[Column.MUTES_CUM].iloc[-1] == 0
    assert table[Column.UNFRIENDS_CUM].iloc[-1] == 0
    assert table[Column.SALES_CUM].iloc[-1] == 0
    assert table[Column.COMPLAINTS_CUM].iloc[-1] == 0
    assert table[Column.LEFT_MOMENTS].iloc[-1] == 0


def test_zero_intensity_leaves_trust_at_its_baseline():
    result = simulate(small_config("market.intensity=0"))
    arcs = result.model.arcs
    assert (arcs.trust == arcs.baseline_of(slice(None))).all()


@pytest.mark.parametrize("scenario", ["laissez_faire", "separate_shop", "c2b"])
def test_no_sellers_means_no_sales_and_no_recruitment(scenario):
    table = simulate(
        small_config(f"scenario={scenario}", "sellers.initial_fraction=0", "market.intensity=3")
    ).timeseries
    assert (table[Column.SELLERS] == 0).all()
    assert table[Column.SALES_CUM].iloc[-1] == 0
    assert table[Column.MUTES_CUM].iloc[-1] == 0


def test_karate_club_runs():
    table = simulate(small_config("graph=karate", "sellers.initial_fraction=0.1")).timeseries
    assert table[Column.FRIENDSHIPS].iloc[0] == 78 - table[Column.UNFRIENDS_CUM].iloc[0]
    assert (table[Column.FRIENDSHIPS] + table[Column.UNFRIENDS_CUM] == 78).all()
