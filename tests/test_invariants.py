"""Invariants checked every day of a stressed run (brief, "Verification ideas")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.engine.metrics import Column
from sim.engine.network import ArcStatus
from sim.run.runner import simulate

from .conftest import small_config, small_model

CUMULATIVE = [c for c in Column if c.value.endswith("_cum")]


@pytest.mark.parametrize("scenario", ["laissez_faire", "rectify", "separate_shop", "c2b"])
def test_state_invariants_hold_every_day(scenario):
    model = small_model(f"scenario={scenario}", "market.intensity=3")
    friendships = len(model.arcs) // 2
    for _ in range(model.cfg.steps):
        model.step()
        arcs = model.arcs
        assert arcs.trust.min() >= 0.0 and arcs.trust.max() <= 1.0
        removed = arcs.status == ArcStatus.REMOVED
        twins = arcs.twin_of(np.arange(len(arcs)))
        assert np.array_equal(removed[twins], removed), "unfriending removes both arcs"
        assert arcs.counts.tolist() == np.bincount(arcs.status, minlength=3).tolist()
        cohort_arcs = arcs.status[arcs.of_authors(model.cohort)]
        assert arcs.tracked_counts.tolist() == np.bincount(cohort_arcs, minlength=3).tolist()
        now = int(len(arcs) - arcs.counts[ArcStatus.REMOVED]) // 2
        assert now <= friendships
        friendships = now
        assert model.totals.mutes + model.totals.unfriends <= len(arcs)
        assert not arcs.following[arcs.status == ArcStatus.REMOVED].any()
        assert set(model.business_of) == set(np.flatnonzero(model.people.seller).tolist())


def test_daily_table_is_monotone_where_it_must_be():
    table = simulate(small_config("market.intensity=3")).timeseries
    for column in CUMULATIVE:
        assert (table[column].diff().dropna() >= 0).all(), column
    assert (table[Column.FRIENDSHIPS].diff().dropna() <= 0).all()
    assert (table[Column.ARCS_REMOVED].diff().dropna() >= 0).all()
    arcs = table[[Column.ARCS_VISIBLE, Column.ARCS_MUTED, Column.ARCS_REMOVED]].sum(axis=1)
    assert arcs.nunique() == 1
    assert table[Column.MUTES_CUM].iloc[-1] > 0, "a stressed run must see mutes"
    for share in (Column.MARKETING_SHARE, Column.ACTED_SHARE, Column.LEFT_SHARE, Column.UX):
        assert table[share].between(0, 1).all(), share


def test_table_has_one_row_per_day_and_every_column():
    table = simulate(small_config("steps=17")).timeseries
    assert list(table.columns) == [str(c) for c in Column]
    assert table[Column.DAY].tolist() == list(range(1, 18))
    assert not table.drop(columns=[Column.MEAN_TRUST_SELLER_ARCS]).isna().any().any()
    assert isinstance(table, pd.DataFrame)


def test_user_agents_are_made_on_first_use_and_are_the_rows_they_view():
    from sim.engine.agents import User

    model = small_model()
    users = model.users
    assert len(users) == model.n_users
    sellers = set(model.business_of)
    assert users.made == len(sellers)  # setup made only the sellers' users
    assert set(model.agents_by_type[User].get("node")) == sellers
    node = next(n for n in range(model.n_users) if n not in sellers)
    user = users[node]
    assert users[node] is user and users[node - model.n_users] is user and user.node == node
    assert user.engagement == model.people.engagement[node]
    assert users.made == len(sellers) + 1 and user in model.agents
    assert [u.node for u in users[2:5]] == [2, 3, 4]
    with pytest.raises(IndexError):
        users[model.n_users]
    assert sum(1 for _ in users) == model.n_users


def test_the_sellers_arcs_are_those_whose_trust_the_census_reads():
    """``seller_arcs`` (docking, the dashboard) and the census's trust (the daily mean)."""
    from sim.engine import metrics

    model = small_model("graph.n_users=1500")
    for _ in range(20):
        model.step()
    arcs, seller = model.arcs, model.people.seller
    listed = metrics.seller_arcs(model)
    every = arcs.of_authors(np.flatnonzero(seller))
    expected = np.sort(
        every[(arcs.status[every] != ArcStatus.REMOVED) & ~seller[arcs.reader[every]]]
    )
    assert len(expected) > 100
    np.testing.assert_array_equal(listed, expected)
    np.testing.assert_array_equal(metrics.seller_arc_census(model).trust, arcs.trust[listed])
