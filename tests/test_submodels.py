"""Each submodel function on hand-made inputs (ODD section 7)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import kernels
from sim.engine import submodels as sm


def test_beta_and_lognormal_have_the_requested_centre(rng):
    assert sm.beta_with_mean(0.3, 10, 20000, rng).mean() == pytest.approx(0.3, abs=0.01)
    assert np.median(sm.lognormal_with_median(30, 0.5, 20000, rng)) == pytest.approx(30, rel=0.03)


def test_needs_arise_only_where_none_is_open_and_lapse_after_lifetime(rng):
    expiry = np.array([[-1, 10], [3, -1]])
    arisen = sm.arise_needs(expiry, day=5, need_prob=1.0, lifetime=14, rng=rng)
    assert arisen.tolist() == [[True, False], [True, True]]
    assert expiry.tolist() == [[18, 10], [18, 18]]
    none = np.array([[-1]])
    assert not sm.arise_needs(none, day=1, need_prob=0.0, lifetime=14, rng=rng).any()
    assert none.tolist() == [[-1]]


def test_needs_arise_at_the_daily_rate_on_every_pair_without_one(rng):
    expiry = np.full((20000, 5), -1, dtype=np.int32)
    expiry[:, 0] = 100  # open: never arises again today
    arisen = sm.arise_needs(expiry, day=5, need_prob=0.03, lifetime=14, rng=rng)
    assert not arisen[:, 0].any()
    for column in range(1, 5):  # each category: Binomial(20000, 0.03), sd about 24
        assert abs(arisen[:, column].sum() - 600) < 100
    assert (expiry[arisen] == 18).all()


def test_bernoulli_successes_match_independent_trials(rng):
    counts = np.zeros(40)
    totals = []
    for _ in range(5000):
        hits = sm.bernoulli_successes(40, 0.2, rng)
        assert (np.diff(hits) > 0).all() and (hits < 40).all()
        counts[hits] += 1
        totals.append(len(hits))
    assert np.abs(counts / 5000 - 0.2).max() < 0.03  # every position, not only the first ones
    assert np.var(totals) == pytest.approx(40 * 0.2 * 0.8, rel=0.1)  # binomial spread
    assert len(sm.bernoulli_successes(10, 1.0, rng)) == 10
    assert len(sm.bernoulli_successes(10, 0.0, rng)) == 0


def test_poisson_per_user_is_poisson_for_the_chosen_users_only(rng):
    users = np.arange(0, 20000, 2)
    counts = np.array([sm.poisson_per_user(0.2, users, 20000, rng) for _ in range(20)])
    assert counts[:, 1::2].sum() == 0
    chosen = counts[:, ::2]
    assert chosen.mean() == pytest.approx(0.2, rel=0.03)
    assert chosen.var() == pytest.approx(0.2, rel=0.05)  # Poisson: variance = mean
    assert (chosen == 2).mean() == pytest.approx(np.exp(-0.2) * 0.2**2 / 2, rel=0.1)


def test_sellers_quit_only_after_grace_and_below_the_cost_threshold(rng):
    n = 20000
    sales = np.where(np.arange(n) % 2 == 0, 0, 5)
    age = np.where(np.arange(n) % 4 < 2, 10, 60)
    quit_ = sm.quits(sales, age, grace=45, exit_sales=2, exit_prob=0.1, rng=rng)
    assert not quit_[(age < 45) | (sales >= 2)].any()
    assert quit_[(age >= 45) & (sales < 2)].mean() == pytest.approx(0.1, abs=0.015)


def test_read_fraction_caps_at_one_and_handles_empty_feeds():
    share = sm.read_fraction(np.array([0.0, 10.0, 60.0]), np.array([30.0, 30.0, 30.0]))
    assert share.tolist() == [1.0, 1.0, 0.5]


def test_items_read_reads_all_when_attention_suffices_and_thins_otherwise(rng):
    available = np.array([3, 1, 0, 5])
    assert sm.items_read(available, np.ones(4), rng).tolist() == [3, 1, 0, 5]
    assert sm.items_read(available, np.zeros(4), rng).tolist() == [0, 0, 0, 0]
    many = sm.items_read(np.full(20000, 4), np.full(20000, 0.25), rng)
    assert many.mean() == pytest.approx(1.0, abs=0.03)
    singles = sm.items_read(np.ones(20000, dtype=int), np.full(20000, 0.25), rng)
    assert singles.mean() == pytest.approx(0.25, abs=0.02)


def test_density_and_clutter():
    density = sm.marketing_density(np.array([0, 1, 3]), np.array([0, 3, 1]))
    assert density.tolist() == [0.0, 0.25, 0.75]
    assert sm.clutter(density, np.array([0.3, 0.3, 0.3])).tolist() == pytest.approx([0, 0, 0.45])


def test_exposure_memory_decays_with_the_window():
    decayed = sm.decayed_exposure(np.array([10.0]), np.array([3]), day=10, window=7.0)
    assert decayed[0] == pytest.approx(10 * np.exp(-1))


def test_wear_starts_at_the_onset_and_grows_linearly():
    wear = sm.wear_factor(np.array([0.0, 6.0, 12.0]), onset=6.0, slope=0.5)
    assert wear.tolist() == [1.0, 1.0, 1.5]


def test_erosion_is_exponential_in_items_and_scaled_by_clutter_and_wear():
    trust = np.full(4, 0.8)
    eroded = sm.erode_trust(
        trust,
        items=np.array([0, 1, 1, 1]),
        per_item=0.1,
        clutter_level=np.array([0.0, 0.0, 0.5, 0.0]),
        clutter_gain=4.0,
        wear=np.array([1.0, 1.0, 1.0, 2.0]),
    )
    assert eroded == pytest.approx(0.8 * np.exp(-np.array([0, 0.1, 0.3, 0.2])))
    sellers = sm.erode_trust(np.array([0.8]), np.array([1]), 0.1, np.zeros(1), 4.0, np.ones(1), 0.3)
    assert sellers[0] == pytest.approx(0.8 * np.exp(-0.03))


def test_repair_moves_up_toward_baseline_only():
    repaired = sm.repair_trust(
        trust=np.array([0.2, 0.9, 0.2]),
        baseline=np.array([0.6, 0.6, 0.6]),
        organic_items=np.array([2, 2, 0]),
        repair_rate=0.3,
    )
    assert repaired[0] == pytest.approx(0.2 + (1 - np.exp(-0.6)) * 0.4)
    assert repaired[1] == 0.9
    assert repaired[2] == 0.2


def test_purchase_probability_rises_with_trust_and_items():
    p = sm.purchase_probability(np.array([0.0, 0.5, 1.0, 1.0]), np.array([1, 1, 1, 3]), 0.1)
    assert p == pytest.approx([0.0, 0.025, 0.1, 1 - 0.9**3])


def test_purchase_outcomes():
    assert sm.satisfied_trust(np.array([0.5]), 0.2)[0] == pytest.approx(0.6)
    assert sm.unsatisfied_trust(np.array([0.5]), 0.5)[0] == pytest.approx(0.25)


def test_one_per_key_keeps_exactly_one_of_each(rng):
    keys = np.array([3, 1, 3, 3, 2, 1])
    kept = sm.one_per_key(keys, rng)
    assert sorted(keys[kept].tolist()) == [1, 2, 3]
    assert len(sm.one_per_key(np.zeros(0, dtype=int), rng)) == 0


def test_ladder_fires_only_on_fallen_arcs_below_baseline_margin():
    trust = np.array([0.25, 0.10, 0.25, 0.25, 0.10])
    baseline = np.array([0.6, 0.6, 0.6, 0.28, 0.6])
    fell = np.array([True, True, False, True, True])
    threshold = np.full(5, 0.32)
    visible = np.array([True, True, True, True, False])
    unfollow, mute, unfriend = sm.ladder(trust, baseline, fell, threshold, 0.05, 0.5, visible)
    assert mute.tolist() == [True, False, False, False, False]
    assert unfriend.tolist() == [False, True, False, False, True]
    assert not unfollow.any()


def test_a_followed_shop_takes_the_first_rung_but_unfriending_still_fires():
    trust = np.array([0.25, 0.25, 0.10])
    baseline = np.full(3, 0.6)
    fell = np.ones(3, dtype=bool)
    threshold = np.full(3, 0.32)
    first_rung = np.array([True, False, True])
    unfollow, mute, unfriend = sm.ladder(
        trust, baseline, fell, threshold, 0.05, 0.5, np.ones(3, dtype=bool), first_rung
    )
    assert unfollow.tolist() == [True, False, False]
    assert mute.tolist() == [False, True, False]
    assert unfriend.tolist() == [False, False, True]


def test_persuasion_creates_needs_at_one_minus_one_minus_p_to_the_items(rng):
    items = np.full(200_000, 3)
    share = sm.persuaded(items, 0.05, rng).mean()
    assert share == pytest.approx(1 - 0.95**3, abs=0.004)
    assert not sm.persuaded(items, 0.0, rng).any()


def test_c2b_answer_items_keep_growing_with_intensity(rng):
    means = [sm.answer_items(200_000, 0.5, level, rng).mean() for level in (1.0, 2.0, 3.0)]
    assert means == pytest.approx([0.5, 1.0, 1.5], rel=0.02)
    assert not sm.answer_items(1000, 0.5, 0.0, rng).any()


def test_recruitment_needs_trust_and_visible_sales():
    p = sm.recruit_probability(
        trust=np.array([0.4, 0.8, 0.8, 0.8]),
        sales=np.array([10, 0, 3, 12]),
        base_prob=0.01,
        min_trust=0.5,
        sales_norm=6,
    )
    assert p == pytest.approx([0.0, 0.0, 0.004, 0.008])


def test_post_rate_escalates_below_target_and_steps_back_above():
    rate = sm.review_post_rate(
        rate=np.array([1.0, 19.0, 2.2, 1.0]),
        base_rate=np.array([1.0, 1.0, 1.0, 1.0]),
        sales=np.array([0, 0, 5, 5]),
        below=3,
        factor=1.1,
        cap=20,
    )
    assert rate == pytest.approx([1.1, 20.0, 2.0, 1.0])


def test_engagement_recovers_and_clutter_wears_it_down():
    e = sm.update_engagement(
        engagement=np.array([0.5, 0.5, 0.05]),
        base=np.array([0.7, 0.7, 0.7]),
        clutter_level=np.array([0.0, 0.5, 1.0]),
        recovery=0.02,
        loss=0.11,
    )
    assert e == pytest.approx([0.504, 0.449, 0.0])


def test_ad_load_lowers_the_level_engagement_settles_at():
    e = sm.update_engagement(
        engagement=np.full(3, 0.7),
        base=np.full(3, 0.7),
        clutter_level=np.zeros(3),
        recovery=0.02,
        loss=0.17,
        load=np.array([0.0, 5.0, 60.0]),
        sensitivity=0.02,
    )
    # 5 items a day: settles at 0.7 (1 - 0.1) = 0.63, a fiftieth of the gap a day
    assert e == pytest.approx([0.7, 0.7 + 0.02 * (0.63 - 0.7), 0.7 - 0.02 * 0.7])
    settled = np.full(1, 0.7)
    for _ in range(2000):  # in the long run engagement settles at e0 (1 - s L)
        settled = sm.update_engagement(settled, np.full(1, 0.7), np.zeros(1), 0.02, 0.17, 5.0, 0.02)
    assert settled == pytest.approx([0.63])


def test_a_disappointing_purchase_takes_a_share_of_engagement_for_good():
    engagement, base = sm.disappoint(
        np.array([0.6, 0.6, 0.6]), np.array([0.7, 0.7, 0.7]), np.array([0, 1, 2]), 0.05
    )
    assert engagement == pytest.approx([0.6, 0.57, 0.6 * 0.95**2])
    assert base == pytest.approx([0.7, 0.665, 0.7 * 0.95**2])  # the resting level too
    recovered = engagement
    for _ in range(2000):  # recovery brings it back only to the lowered resting level
        recovered = sm.update_engagement(recovered, base, np.zeros(3), 0.02, 0.17)
    assert recovered == pytest.approx(base)


def _day_of_users(rng, n=5000):
    """Random per-user state and experience of one day, every case represented."""
    return {
        "engagement": rng.random(n),
        "base": rng.random(n),
        "in_moments": rng.random(n) < 0.9,
        "seller": rng.random(n) < 0.1,
        "clutter": np.where(rng.random(n) < 0.5, 0.0, rng.random(n)),
        "load": np.where(rng.random(n) < 0.5, 0.0, 10 * rng.random(n)),
        "disappointments": np.where(rng.random(n) < 0.8, 0, rng.integers(1, 4, n)),
    }


def test_the_compiled_experience_pass_applies_the_rules_as_the_array_code_did(rng):
    """``kernels.experience`` (one pass over users) gives, bit for bit, what the
    array-at-a-time rules give: disappointment first, then engagement, then leaving."""
    day = _day_of_users(rng)
    params = kernels.ExperienceParams(
        recovery=0.02, loss=0.17, sensitivity=0.02, disappointment_loss=0.05, leave_below=0.3
    )
    # the array code the kernel replaced (SocialCommerceModel.update_engagement), the
    # rules run by numpy (py_func: their source, not numba's compiled copy)
    disappoint, update = sm.disappoint.py_func, sm.update_engagement.py_func
    engagement, base = day["engagement"].copy(), day["base"].copy()
    in_moments, seller, hurt = day["in_moments"].copy(), day["seller"], day["disappointments"]
    hit = in_moments & (hurt > 0)
    engagement[hit], base[hit] = disappoint(engagement[hit], base[hit], hurt[hit], 0.05)
    moved = update(engagement, base, day["clutter"], 0.02, 0.17, day["load"], 0.02)
    engagement = np.where(in_moments, moved, engagement)
    bad_day = (day["clutter"] > 0) | (day["load"] > 0) | (hurt > 0)
    in_moments[in_moments & ~seller & bad_day & (engagement < 0.3)] = False

    got_engagement, got_base = day["engagement"].copy(), day["base"].copy()
    got_in_moments = day["in_moments"].copy()
    kernels.experience(
        got_engagement,
        got_base,
        got_in_moments,
        seller,
        kernels.Experience(day["clutter"], day["load"], hurt),
        params,
    )
    assert np.array_equal(got_engagement, engagement)
    assert np.array_equal(got_base, base)
    assert np.array_equal(got_in_moments, in_moments)
    assert (got_in_moments != day["in_moments"]).any()  # some left: the test can see leaving


def test_the_compiled_reading_summary_is_density_clutter_and_non_sellers_totals(rng):
    n = 5000
    marketing = np.where(rng.random(n) < 0.3, 0.0, rng.integers(0, 9, n).astype(float))
    organic = np.where(rng.random(n) < 0.3, 0, rng.integers(0, 30, n))
    seller, tolerance = rng.random(n) < 0.1, rng.random(n) * 0.3
    level, marketing_read, organic_read = kernels.reading_summary(
        marketing, organic, seller, tolerance
    )
    density = sm.marketing_density.py_func(marketing, organic)  # by numpy, as the model did
    assert np.array_equal(level, sm.clutter.py_func(density, tolerance))
    assert marketing_read == int(marketing[~seller].sum())
    assert organic_read == int(organic[~seller].sum())


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 127, 128, 129, 1000, 8193, 100_001])
def test_means_over_non_sellers_are_numpys_to_the_bit(rng, n):
    """The daily means over non-sellers (ux, ad load) add as numpy does, so the
    series are the ones ``values[mask].mean()`` gave, not merely close."""
    for _ in range(20):  # an order of additions unlike numpy's differs in about a third of draws
        values, seller = rng.random(n) * rng.random(), rng.random(n) < 0.1
        count, total = kernels.non_seller_total(seller, values)
        assert count == int((~seller).sum())
        assert total == np.add.reduce(values[~seller])  # exactly, not approximately
    flags = rng.random(n) < 0.5
    assert kernels.non_seller_count(seller, flags) == (count, int(flags[~seller].sum()))
    sales = rng.integers(0, 50, n)
    sellers, total = kernels.seller_total(seller, sales)
    assert (sellers, total) == (int(seller.sum()), int(sales[seller].sum()))
    if sellers:  # the sellers' mean income, as the mask's mean gave it
        assert total / sellers == sales[seller].mean()


@pytest.mark.parametrize("p", [0.0, 1e-4, 0.02, 0.1, 0.5, 0.7])
@pytest.mark.parametrize("largest", [3, 40, 2_000])
def test_the_leak_binomials_are_the_generators_own_draws(p, largest):
    """``kernels.binomials`` is ``rng.binomial`` draw for draw, the stream left where it was.

    Counts with zeros (no draw), small piles (the inversion method, worked out
    once per count) and, for large counts or p above a half, rng.binomial itself.
    """
    from numba import njit

    @njit
    def one_by_one(counts, p, rng):
        out = np.zeros(len(counts), dtype=np.int64)
        for k in range(len(counts)):
            out[k] = rng.binomial(counts[k], p)
        return out

    for seed in range(10):
        counts = np.random.default_rng(seed).integers(0, largest, 400)
        fast, reference = np.random.default_rng(seed + 99), np.random.default_rng(seed + 99)
        np.testing.assert_array_equal(
            kernels.binomials(counts, p, fast), one_by_one(counts, p, reference)
        )
        assert fast.random() == reference.random()


@pytest.mark.parametrize("persuasion", [0.002, 0.3])
def test_the_compiled_persuasion_is_the_rules_draw_for_draw(persuasion):
    """``kernels.persuasion_hits`` is ``persuaded`` over the offers without a need.

    The same uniforms in the same order, the same comparisons, the stream left
    where ``persuaded`` leaves it.
    """
    from sim.engine.submodels import persuaded

    for seed in range(10):
        make = np.random.default_rng(seed)
        kinds = make.integers(0, 3, 5_000).astype(np.int8)
        items = make.integers(1, 12, 5_000)
        fast, reference = np.random.default_rng(seed + 7), np.random.default_rng(seed + 7)
        powers = (1.0 - persuasion) ** np.arange(items.max() + 1)
        can = np.flatnonzero(kinds == kernels.OFFER_WITHOUT_NEED)
        np.testing.assert_array_equal(
            kernels.persuasion_hits(kinds, items, powers, fast),
            can[persuaded(items[can], persuasion, reference)],
        )
        assert fast.random() == reference.random()
