"""Every option of every config group composes; bad values are rejected by name."""

from __future__ import annotations

import re

import pytest
from hydra.errors import HydraException

from sim.core.config import ConfigError
from sim.run.runner import compose_config, options, to_sim_config


@pytest.mark.parametrize("scenario", options("scenario", user_files=False))
def test_every_scenario_composes(scenario):
    cfg = to_sim_config(compose_config([f"scenario={scenario}"]))
    assert cfg.policy.name == scenario


@pytest.mark.parametrize(
    "graph", [g for g in options("graph", user_files=False) if g != "edgelist"]
)
def test_every_graph_composes(graph):
    assert to_sim_config(compose_config([f"graph={graph}"])).graph.kind == graph


def test_scenario_group_lists_the_four_policies():
    assert options("scenario", user_files=False) == [
        "c2b",
        "laissez_faire",
        "rectify",
        "separate_shop",
    ]


def test_defaults_follow_the_calibration():
    cfg = to_sim_config(compose_config([]))
    assert (cfg.steps, cfg.graph.kind, cfg.graph.n_users) == (365, "holme_kim", 5000)
    assert cfg.market.intensity == 1.0
    assert cfg.sellers.initial_fraction == 0.02
    assert cfg.policy.name == "laissez_faire"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("market.intensity=-1", "market.intensity must be >= 0"),
        ("sellers.rate_median=-0.5", "sellers.rate_median must be >= 0"),
        ("users.tolerance_mean=1.5", "users.tolerance_mean must be in (0, 1)"),
        ("steps=0", "steps must be between 1 and 65,535"),
        ("steps=65536", "steps must be between 1 and 65,535 (got 65536)"),
        ("sellers.initial_fraction=0.5", "sellers.initial_fraction must be <= sellers.recruitable"),
    ],
)
def test_out_of_range_values_name_the_key(override, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        to_sim_config(compose_config([override]))


def test_rectify_parameters_are_validated():
    with pytest.raises(ConfigError, match=r"policy\.detect_precision"):
        to_sim_config(compose_config(["scenario=rectify", "policy.detect_precision=0"]))


@pytest.mark.parametrize("override", ["market.intensity=abc", "no_such_key=1", "scenario=nope"])
def test_wrong_types_unknown_keys_and_options_fail_to_compose(override):
    with pytest.raises(HydraException):
        compose_config([override])
