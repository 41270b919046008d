"""The platform's levers do what their rules say (ODD 7.9-7.12)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.metrics import Column
from sim.runner import simulate

from .conftest import small_config, small_model


def record_feeds(model):
    """Wrap the policy's route so each day's feed is kept."""
    feeds = []
    route = model.platform.policy.route

    def recording(organic, marketing):
        feed = route(organic, marketing)
        feeds.append((model.day, marketing.copy(), feed))
        return feed

    model.platform.policy.route = recording
    return feeds


def test_rectify_cap_is_never_exceeded_and_the_excess_is_folded():
    model = small_model("scenario=rectify", "market.intensity=4", "policy.daily_cap=2")
    feeds = record_feeds(model)
    for _ in range(model.cfg.steps):
        model.step()
    assert max(feed.shown.max() for _, _, feed in feeds) <= 2
    assert sum(feed.folded.sum() for _, _, feed in feeds) > 0
    for _, drafted, feed in feeds:
        assert (feed.shown + feed.folded <= drafted).all()


def test_throttled_and_banned_sellers_reach_nobody():
    model = small_model(
        "scenario=rectify",
        "market.intensity=4",
        "policy.complaints_to_throttle=1",
        "policy.throttle_days=5",
        "trust.complaint_per_mute=1",
        "policy.detection=false",
        "steps=90",
    )
    policy = model.platform.policy
    feeds = record_feeds(model)
    throttled_days = 0
    for _ in range(model.cfg.steps):
        throttled = np.flatnonzero(policy.throttled_until >= model.day + 1)
        model.step()
        _, _, feed = feeds[-1]
        assert (feed.shown[throttled] == 0).all() and (feed.folded[throttled] == 0).all()
        exposed = np.concatenate([idx for idx, _ in model._exposed] or [np.zeros(0, int)])
        assert not np.isin(model.arcs.author[exposed], throttled).any()
        throttled_days += len(throttled)
    assert throttled_days > 0
    assert model.totals.bans > 0
    banned = np.flatnonzero(policy.strikes > 1)
    assert not model.people.seller[banned].any()


def test_detection_false_positives_lose_their_reach():
    model = small_model(
        "scenario=rectify",
        "market.intensity=6",
        "policy.detect_above=3",
        "policy.detect_recall=1",
        "policy.detect_precision=0.5",
        "policy.enforcement=false",
    )
    policy = model.platform.policy
    feeds = record_feeds(model)
    silenced_days = 0
    for _ in range(model.cfg.steps):
        silenced = np.flatnonzero(policy.silenced_until >= model.day + 1)
        model.step()
        assert (feeds[-1][2].organic[silenced] == 0).all()
        silenced_days += len(silenced)
    assert model.totals.false_positives > 0 and silenced_days > 0


def test_rectify_with_every_lever_off_is_laissez_faire_draw_for_draw():
    off = ["policy.daily_cap=null", "policy.enforcement=false", "policy.detection=false"]
    rectify = simulate(small_config("scenario=rectify", "market.intensity=2", *off)).timeseries
    laissez = simulate(small_config("market.intensity=2")).timeseries
    assert rectify.equals(laissez)


def test_separate_shop_keeps_marketing_out_of_moments_and_only_followers_read_shops():
    model = small_model("scenario=separate_shop", "market.intensity=3", "steps=120")
    feeds = record_feeds(model)
    expose = model.expose
    shop_reads = []

    def followers_only(idx, items, clutter_level):
        assert model.arcs.following[idx].all(), "a non-follower read a shop item"
        shop_reads.append(len(idx))
        expose(idx, items, clutter_level)

    model.expose = followers_only
    for _ in range(model.cfg.steps):
        model.step()
    assert all(feed.shown.sum() == 0 and feed.folded.sum() == 0 for _, _, feed in feeds)
    assert sum(shop_reads) > 0
    table = model.datacollector.get_model_vars_dataframe()
    assert (table[Column.MARKETING_SHARE] == 0).all()
    assert model.totals.unfriends == 0 and model.totals.mutes == 0
    assert model.totals.sales > 0
    assert table[Column.SHOP_FOLLOWERS].max() > 0
    assert model.totals.unfollows > 0


def test_c2b_sells_through_answers_without_push_marketing():
    result = simulate(small_config("scenario=c2b", "steps=90"))
    table = result.timeseries
    assert (table[Column.MARKETING_SHARE] == 0).all()
    assert table[Column.SALES_CUM].iloc[-1] > 0
    assert table[Column.UNFRIENDS_CUM].iloc[-1] == 0


@pytest.mark.parametrize("scenario", ["separate_shop", "c2b"])
def test_intensity_matters_under_every_policy(scenario):
    low = simulate(small_config(f"scenario={scenario}", "market.intensity=0.3", "steps=90"))
    high = simulate(small_config(f"scenario={scenario}", "market.intensity=3", "steps=90"))
    assert high.timeseries[Column.SALES_CUM].iloc[-1] > low.timeseries[Column.SALES_CUM].iloc[-1]
