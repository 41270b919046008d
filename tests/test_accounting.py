"""Analytic limits and accounting identities (issue 10, item 4).

Each check compares the model with a number computed independently of it:
a closed-form expectation, or an identity between counters kept in different
places (arc statuses, counters, the daily table).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.metrics import Column, gmv_net
from sim.engine.model import SocialCommerceModel
from sim.engine.network import ArcStatus
from sim.run.runner import simulate

from .conftest import small_config


def star_model(seed: int, leaves: int, rate: float, erosion: float) -> SocialCommerceModel:
    """A star: user 0 sells to ``leaves`` friends; only erosion acts on trust."""
    cfg = small_config(
        f"seed={seed}",
        "steps=30",
        "sellers.initial_fraction=0",
        "sellers.recruitable_fraction=0",
        f"sellers.rate_median={rate}",
        "sellers.rate_sigma=0",
        "sellers.escalate_factor=1",
        "sellers.exit_prob=0",
        "sellers.recruit_prob=0",
        f"trust.erosion_per_item={erosion}",
        "trust.repair_rate=0",
        "trust.clutter_gain=0",
        "trust.wearout_slope=0",
        "trust.mute_leak=0",
        "trust.ladder_margin=1",
        "users.attention_median=10000",
        "users.engagement_loss=0",
        "purchase.conversion=0",
        "market.persuasion=0",
    )
    edges = np.stack([np.zeros(leaves, dtype=np.int64), np.arange(1, leaves + 1)], axis=1)
    model = SocialCommerceModel(cfg, graph=(leaves + 1, edges))
    model.open_business(0, upline=-1)
    return model


def test_star_mean_trust_follows_repeated_multiplicative_erosion():
    """E[T_t] = mean_i T0_i (1 - e_i (1 - exp(-lambda (1 - exp(-d)))))^t.

    The seller posts K ~ Poisson(lambda) items a day; leaf i opens Moments with
    its engagement e_i (constant: no clutter), reads all K (attention is
    unlimited) and its trust is multiplied by exp(-d K). Averaging over K and
    the opening gives the daily factor above; days are independent.
    """
    rate, erosion, days, seeds = 2.0, 0.02, 30, 12
    simulated = np.zeros((seeds, days))
    expected = np.zeros((seeds, days))
    for seed in range(seeds):
        model = star_model(seed, leaves=300, rate=rate, erosion=erosion)
        arcs = model.arcs
        leaf_arcs = arcs.of_authors(np.array([0]))
        t0 = arcs.trust[leaf_arcs].copy()
        engaged = model.people.engagement_base[arcs.reader[leaf_arcs]]
        daily = 1.0 - engaged * (1.0 - np.exp(-rate * (1.0 - np.exp(-erosion))))
        for day in range(days):
            model.step()
            simulated[seed, day] = arcs.trust[leaf_arcs].mean()
            expected[seed, day] = np.mean(t0 * daily ** (day + 1))
        assert (arcs.status[leaf_arcs] == ArcStatus.VISIBLE).all()
    gap = (simulated - expected).mean(axis=0)
    se = (simulated - expected).std(axis=0, ddof=1) / np.sqrt(seeds)
    assert (np.abs(gap) <= 3 * se + 1e-12).all(), np.abs(gap / se).max()
    # the erosion is real: trust fell by a sizeable, predicted amount
    assert expected[:, -1].mean() < 0.8 * expected[:, 0].mean()


def test_star_check_can_fail():
    """The same closed form misses a run with 10% more erosion (the check has power)."""
    rate, erosion, days = 2.0, 0.02, 30
    model = star_model(0, leaves=300, rate=rate, erosion=erosion * 1.1)
    arcs = model.arcs
    leaf_arcs = arcs.of_authors(np.array([0]))
    t0 = arcs.trust[leaf_arcs].copy()
    engaged = model.people.engagement_base[arcs.reader[leaf_arcs]]
    daily = 1.0 - engaged * (1.0 - np.exp(-rate * (1.0 - np.exp(-erosion))))
    model.cfg.steps = days
    for _ in range(days):
        model.step()
    assert arcs.trust[leaf_arcs].mean() < np.mean(t0 * daily**days) - 0.01


@pytest.mark.parametrize("scenario", ["laissez_faire", "rectify", "separate_shop", "c2b"])
def test_accounting_identities_hold_every_day(scenario):
    model = SocialCommerceModel(
        small_config(
            f"scenario={scenario}",
            "market.intensity=3",
            "sellers.recruit_prob=0.02",
            "sellers.grace_days=10",
            "sellers.innovation_prob=0.002",
            # bad products bought often: unfriending happens in every channel,
            # the shop and C2B included, whatever the seed
            "purchase.quality_mean=0.2",
            "purchase.conversion=0.1",
            "market.refund_share=0.5",
        )
    )
    arcs = model.arcs
    initial = len(model.business_of)
    total_arcs = len(arcs)
    previous = {"visible": total_arcs, "live": total_arcs, "mutes": 0, "unfriends": 0}
    for _ in range(model.cfg.steps):
        model.step()
        totals = model.totals
        assert len(model.business_of) == initial + totals.seller_entries - totals.seller_exits
        removed = int((arcs.status == ArcStatus.REMOVED).sum())
        assert removed == 2 * totals.unfriends
        assert totals.gmv == pytest.approx(totals.sales * model.cfg.market.order_value)
        lost = totals.disappointed * model.cfg.market.order_value * model.cfg.market.refund_share
        assert gmv_net(model) == pytest.approx(totals.gmv - lost)
        assert 0 <= totals.disappointed <= totals.sales
        # today's mutes need visible arcs; today's unfriends need live friendships
        assert totals.mutes - previous["mutes"] <= previous["visible"]
        assert 2 * (totals.unfriends - previous["unfriends"]) <= previous["live"]
        counts = np.bincount(arcs.status, minlength=3)
        assert counts.sum() == total_arcs
        previous = {
            "visible": int(counts[ArcStatus.VISIBLE]),
            "live": total_arcs - removed,
            "mutes": totals.mutes,
            "unfriends": totals.unfriends,
        }
    assert model.totals.unfriends > 0 and model.totals.seller_exits > 0
    assert 0 < model.totals.disappointed < model.totals.sales
    assert model.totals.seller_entries > 0


def test_daily_table_accounting():
    cfg = small_config(
        "market.intensity=3",
        "sellers.recruit_prob=0.02",
        "sellers.grace_days=10",
        "sellers.innovation_prob=0.002",
    )
    result = simulate(cfg)
    table = result.timeseries
    initial = table[Column.SELLERS].iloc[0] - (
        table[Column.SELLER_ENTRIES_CUM].iloc[0] - table[Column.SELLER_EXITS_CUM].iloc[0]
    )
    assert initial == round(cfg.sellers.initial_fraction * cfg.graph.n_users)
    assert (
        table[Column.SELLERS]
        == initial + table[Column.SELLER_ENTRIES_CUM] - table[Column.SELLER_EXITS_CUM]
    ).all()
    assert (table[Column.ARCS_REMOVED] == 2 * table[Column.UNFRIENDS_CUM]).all()
    assert np.allclose(table[Column.GMV_CUM], table[Column.SALES_CUM] * cfg.market.order_value)
    assert (table[Column.SALES].cumsum() == table[Column.SALES_CUM]).all()


def test_two_friends_unfriending_each_other_end_one_friendship():
    model = SocialCommerceModel(small_config())
    arcs = model.arcs
    arc = int(np.flatnonzero(arcs.status == ArcStatus.VISIBLE)[0])
    twin = int(arcs.twin_of(np.array([arc]))[0])
    model.apply_ladder(np.zeros(0, dtype=np.int64), np.array([arc, twin]))
    assert model.totals.unfriends == 1
    assert (arcs.status == ArcStatus.REMOVED).sum() == 2


def test_seller_pressure_counts_marketing_read_by_non_sellers_in_every_channel():
    """Without the leak, Moments pressure is exactly the marketing non-sellers read there;
    a separate shop moves the pressure out of Moments, where ``marketing_share`` cannot see it."""
    model = SocialCommerceModel(small_config("steps=40", "trust.mute_leak=0"))
    for _ in range(40):
        model.step()
        assert model.today.marketing_any == model.today.marketing_read
    table = model.datacollector.get_model_vars_dataframe()
    assert table[Column.MARKETING_READ_PER_USER].sum() > 0
    shop = simulate(small_config("scenario=separate_shop", "steps=60", "market.intensity=2"))
    daily = shop.timeseries
    assert daily[Column.MARKETING_SHARE].max() == 0  # nothing commercial in Moments
    assert shop.summary["seller_pressure"] > 0  # but followers read broadcasts
    assert shop.summary["seller_pressure"] == pytest.approx(
        daily[Column.MARKETING_READ_PER_USER].mean()
    )


def test_rolling_sales_count_the_window_and_close_with_the_business():
    """Each user's rolling sales are their sales over the last ``sales_window`` days."""
    from sim.engine.population import Population

    cfg = small_config("sellers.sales_window=5")
    people = Population(6, cfg, np.random.default_rng(0))
    people.seller[:] = True  # six businesses; one closes, and a closed one never sells again
    rng = np.random.default_rng(1)
    sold = np.zeros((40, 6), dtype=int)  # sales per day and user, counted here
    for day in range(1, 40):
        people.start_sales_day(day)
        if day == 20:
            people.close_business(2)
            sold[:, 2] = 0  # the business's past sales go with it
        for _ in range(2):  # two channels record sales on one day
            sellers = rng.choice(np.flatnonzero(people.seller), rng.integers(0, 5))
            people.record_sales(day, sellers)
            np.add.at(sold[day], sellers, 1)
        expected = sold[max(0, day - 4) : day + 1].sum(axis=0)
        assert people.rolling_sales.tolist() == expected.tolist(), day
    assert len(people.sales_log) <= 5  # only the window is kept


def test_a_days_load_adds_each_channels_items_by_weight_as_bincount_does():
    """Channel after channel, the load is numpy's: each channel's weighted sums, then added.

    Weights of a tenth and three tenths round; adding a later channel's items
    one by one into the load would round differently from summing them apart.
    """
    model = SocialCommerceModel(small_config("market.persuasion=0"))
    arcs, rng = model.arcs, np.random.default_rng(5)
    arcs.mute(np.flatnonzero(rng.random(len(arcs.reader)) < 0.3))
    idx = np.flatnonzero(arcs.status != ArcStatus.REMOVED)  # readers met many times
    moments, shop = rng.integers(1, 4, len(idx)), rng.integers(1, 4, len(idx))
    model.step()  # a day's start zeroes the load: then two channels read
    model.load[:] = 0.0
    model._load_zero = True
    before = model.today.marketing_any
    model.take_in_marketing(idx, moments, np.zeros(len(idx)), 1.0, muted_weight=0.3)
    model.take_in_marketing(idx, shop, np.zeros(len(idx)), 0.1)
    reader, muted = arcs.reader[idx], arcs.status[idx] == ArcStatus.MUTED
    load = np.zeros(model.n_users)
    load += np.bincount(reader, weights=moments * np.where(muted, 0.3, 1.0), minlength=len(load))
    load += np.bincount(reader, weights=shop * 0.1, minlength=len(load))
    np.testing.assert_array_equal(model.load, load)
    seller = model.people.seller[reader]
    assert model.today.marketing_any - before == moments[~seller].sum() + shop[~seller].sum()
