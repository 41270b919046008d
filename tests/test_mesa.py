"""Mesa's conventions: ``mesa.batch_run`` and SolaraViz build the model from keywords."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mesa
import pytest
from mesa.visualization.solara_viz import _build_model_init_kwargs

from sim.core.config import ConfigError
from sim.engine.metrics import REPORTERS
from sim.engine.model import SocialCommerceModel
from sim.run.mesa_model import KeywordModel
from sim.run.runner import composed_config

SMALL = {"n_users": 300, "steps": 4}


def reporters_after(model: mesa.Model, days: int) -> dict[str, object]:
    for _ in range(days):
        model.step()
    return {name: model.datacollector.model_vars[name][-1] for name in REPORTERS}


def test_batch_run_returns_the_reporters_of_the_model_the_keywords_describe():
    rows = mesa.batch_run(
        KeywordModel,
        parameters={"scenario": ["laissez_faire", "rectify"], "intensity": 2, **SMALL},
        rng=[3, 4],
        max_steps=3,
        display_progress=False,
    )
    assert len(rows) == 4
    for row in rows:
        assert row["Step"] == 3
        assert set(REPORTERS) <= set(row)
        same = SocialCommerceModel(
            composed_config(
                [
                    f"scenario={row['scenario']}",
                    "graph.n_users=300",
                    "market.intensity=2",
                    "steps=4",
                ],
                row["seed"],
            )
        )
        assert reporters_after(same, 3) == {name: row[name] for name in REPORTERS}
    # the policy and the intensity were applied: the runs differ
    assert len({(row["sales_cum"], row["mutes_cum"]) for row in rows}) > 1


def test_the_model_stops_after_its_steps_as_mesa_expects():
    rows = mesa.batch_run(
        KeywordModel,
        parameters={**SMALL, "steps": 2},
        rng=[1],
        max_steps=50,
        display_progress=False,
    )
    assert [row["Step"] for row in rows] == [2]


def test_dotted_settings_by_mapping_list_or_double_underscore():
    expected = 0.123
    for model in (
        KeywordModel(**SMALL, overrides={"trust.mute_leak": expected}),
        KeywordModel(**SMALL, overrides=[f"trust.mute_leak={expected}"]),
        KeywordModel(**SMALL, trust__mute_leak=expected),
    ):
        assert model.cfg.trust.mute_leak == expected
        assert model.cfg.graph.n_users == SMALL["n_users"]
    with pytest.raises(ConfigError, match="intesity"):
        KeywordModel(**SMALL, market__intesity=2)


def test_scenario_as_a_name_or_as_mesas_scenario_object():
    assert KeywordModel(**SMALL, scenario="c2b").cfg.policy.name == "c2b"
    assert KeywordModel(**SMALL, policy="c2b").cfg.policy.name == "c2b"
    with pytest.raises(ConfigError, match="give one"):
        KeywordModel(**SMALL, scenario="c2b", policy="rectify")


def test_solaraviz_reset_keeps_the_chosen_parameters():
    """What SolaraViz's Reset does: its Scenario object joins the controls' values."""
    model = KeywordModel(**SMALL)
    controls = {"policy": "rectify", "n_users": 250, "intensity": 1.5, "seed": 7}
    kwargs = _build_model_init_kwargs(
        model, controls, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    reset = type(model)(**kwargs)
    assert reset.cfg.policy.name == "rectify"
    assert (reset.cfg.graph.n_users, reset.cfg.market.intensity, reset.cfg.seed) == (250, 1.5, 7)


def test_no_seed_draws_a_fresh_one_and_keeps_it():
    first, second = KeywordModel(**SMALL, seed=None), KeywordModel(**SMALL, seed=None)
    assert first.cfg.seed != second.cfg.seed
    again = KeywordModel(**SMALL, seed=first.cfg.seed)
    assert reporters_after(again, 2) == reporters_after(first, 2)


def test_steps_is_the_day():
    model = KeywordModel(**SMALL)
    reporters_after(model, 3)
    assert model.steps == 3
    assert len(model.datacollector.model_vars["sales"]) == 3


@pytest.mark.parametrize("path", ["sim/app.py", "sim/dashboard/app.py"])
def test_solara_run_executes_the_app_file_as_main_and_finds_the_page(path):
    """``solara run FILE`` runs it as ``__main__`` with its server loaded: no command runs."""
    script = (
        "import pathlib, sys, solara.server.app, solara.autorouting as routing\n"
        f"sys.argv = ['solara', 'run', {path!r}]\n"  # what the command would parse
        f"module = routing.source_to_module(pathlib.Path({path!r}), {{'__name__': '__main__'}})\n"
        "assert callable(module.Page)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_recorder_keeps_what_mesas_collector_keeps():
    """``Recorder`` skips Mesa's deep copies, not values: both tables come out the same."""
    model = SocialCommerceModel(composed_config(["graph.n_users=300", "steps=8"]))
    mesas = mesa.DataCollector(model_reporters=REPORTERS)
    for _ in range(8):
        model.step()
        mesas.collect(model)
    ours = model.datacollector.get_model_vars_dataframe()
    assert ours.equals(mesas.get_model_vars_dataframe())
    assert len(ours) == 8 and list(ours.columns) == list(REPORTERS)
