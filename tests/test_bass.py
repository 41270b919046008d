"""The Bass limit: recruitment on a complete graph is Bass diffusion (issue 10, item 3)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.config import ConfigError
from sim.run.runner import compose_config, to_sim_config
from sim.verify.bass import (
    BassCase,
    bass_experiment,
    closed_form,
    discrete_bass,
    exact_mean,
    fit_bass,
    simulate_curves,
    standard_bass,
)

P, Q = 0.01, 0.3


def test_recursion_approaches_the_closed_form_as_rates_shrink():
    days = np.arange(1, 2001)
    for scale in (1.0, 0.1, 0.01):
        p, q = 0.01 * scale, 0.3 * scale
        gap = np.abs(discrete_bass(p, q, len(days)) - closed_form(p, q, days)).max()
        assert gap < 0.2 * scale + 1e-4, (scale, gap)


def test_the_exact_expectation_is_the_recursion_without_imitation_and_near_it_with():
    days = np.arange(1, 31)
    # no imitation: the hazard does not depend on k, and E[F_t] = 1 - (1 - p)^t
    assert np.allclose(exact_mean(0.05, 0.0, 30, 50), 1 - 0.95**days)
    # with imitation the recursion is the mean-field approximation: close, not equal
    for n in (100, 1000):
        gap = np.abs(exact_mean(0.01, 0.3, 45, n) - discrete_bass(0.01, 0.3, 45, n)).max()
        assert 0 < gap < 5.0 / n, (n, gap)  # the mean-field error is O(1/n)


def test_fit_recovers_known_parameters_from_an_exact_curve():
    p, q = fit_bass(standard_bass(0.02, 0.25, 40))
    assert p == pytest.approx(0.02, rel=1e-3) and q == pytest.approx(0.25, rel=1e-3)


def test_recruit_form_is_validated():
    with pytest.raises(ConfigError, match=r"sellers\.recruit_form"):
        to_sim_config(compose_config(["sellers.recruit_form=viral"]))
    cfg = to_sim_config(compose_config(["graph=complete", "graph.n_users=50"]))
    assert cfg.graph.kind == "complete"


def test_innovation_alone_enters_at_its_rate():
    case = BassCase(p=0.05, q=0.0, n_users=200, steps=10, seeds=3)
    curves = simulate_curves(case, workers=1)
    expected = discrete_bass(0.05, 0.0, 10)
    assert np.abs(curves.mean(axis=0) - expected).max() < 0.04


@pytest.mark.slow
def test_mean_adoption_follows_the_exact_expectation_and_the_fit_recovers_p_q():
    result = bass_experiment(BassCase(p=P, q=Q, n_users=400, steps=45, seeds=20))
    assert result.max_z <= 3.0, result.max_z
    p_fit, q_fit = result.fitted
    assert p_fit == pytest.approx(P, rel=0.10)
    assert q_fit == pytest.approx(Q, rel=0.10)


@pytest.mark.slow
def test_small_daily_rates_follow_the_closed_form():
    case = BassCase(p=0.003, q=0.06, n_users=300, steps=100, seeds=20)
    result = bass_experiment(case)
    theory = closed_form(case.p, case.q, np.arange(1, case.steps + 1))
    assert (np.abs(result.mean - theory) <= 3 * result.se_floored).all()


@pytest.mark.slow
def test_reference_engine_has_the_same_bass_limit():
    result = bass_experiment(
        BassCase(p=0.02, q=0.3, n_users=80, steps=30, seeds=20, engine="reference")
    )
    assert result.max_z <= 3.0, result.max_z
