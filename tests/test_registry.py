"""The policy registry: a policy registered from outside the package shows up everywhere.

``tests/extra_policy.py`` holds a policy's config and rules; registering it
(``sim.engine.policies.register_policy``) and giving it a scenario YAML (in
``results/scenarios/scenario/`` of the folder a command runs in) must be
enough for it to run, be drawn in its own colour, be offered by the dashboard
with its lever, and be reported in a sweep, with no file of the package
naming it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.colors as mcolors
import pandas as pd
import pytest

from sim.core.config import POLICY_CONFIGS, ConfigError, baseline_policy, policy_label, policy_names
from sim.dashboard import app as page
from sim.dashboard.sidebyside import SideBySideModel, levers, policies
from sim.engine.policies import POLICIES, register_policy, unregister_policy
from sim.figures.plotting import policy_colour
from sim.figures.sweep import outcome_figure
from sim.run.runner import USER_CONFIGS, compose_config, run, summary_table
from sim.study.compare import Sweep
from sim.study.sweep_report import report
from tests.extra_policy import COLOUR, NAME, SCENARIO_YAML, MarketingQuota

TINY = ("graph.n_users=200", "graph.mean_degree=10", "steps=5", "progress=false", "plot=false")


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Register the extra policy, with its YAML where Hydra finds user scenarios; then forget it."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / USER_CONFIGS / "scenario"
    folder.mkdir(parents=True)
    (folder / f"{NAME}.yaml").write_text(SCENARIO_YAML)
    register_policy(MarketingQuota)
    yield
    unregister_policy(NAME)


def test_the_builtin_registry_lists_the_four_policies_baseline_first():
    assert policy_names() == ("laissez_faire", "rectify", "separate_shop", "c2b")
    assert baseline_policy() == "laissez_faire"
    assert set(POLICIES) == set(POLICY_CONFIGS)


@pytest.mark.usefixtures("registered")
def test_a_registered_policy_runs_and_prints_its_console_rows():
    assert NAME in policy_names() and POLICIES[NAME] is MarketingQuota
    result = run([f"scenario={NAME}", *TINY])
    assert result.summary["scenario"] == NAME
    assert isinstance(result.model.platform.policy, MarketingQuota)
    assert result.timeseries["day"].tolist() == [1, 2, 3, 4, 5]
    table = summary_table({**result.summary, "quota_cut_total": 7})
    assert table.startswith("quota on marketing (seed 0")
    assert "items kept out" in table


@pytest.mark.usefixtures("registered")
def test_a_registered_policy_keys_are_checked_by_its_config():
    with pytest.raises(ConfigError, match=r"policy.shown_share must be in \[0, 1\]"):
        run([f"scenario={NAME}", "policy.shown_share=2", *TINY])


@pytest.mark.usefixtures("registered")
def test_a_registered_policy_is_drawn_in_its_own_colour():
    assert policy_colour(NAME) == COLOUR and policy_label(NAME) == "quota on marketing"
    figure = outcome_figure(sweep_table(), "ux")
    drawn = {mcolors.to_hex(line.get_color()).upper() for ax in figure.axes for line in ax.lines}
    assert COLOUR.upper() in drawn
    assert mcolors.to_hex("#000000").upper() not in drawn  # no policy left unstyled


@pytest.mark.usefixtures("registered")
def test_the_dashboard_offers_a_registered_policy_and_its_lever():
    controls = page.model_params()
    assert controls[NAME] == {"type": "Checkbox", "value": True, "label": "quota on marketing"}
    slider = controls["shown_share"]
    assert (slider["type"], slider["min"], slider["max"], slider["value"]) == (
        "SliderFloat",
        0.0,
        1.0,
        0.5,
    )
    assert NAME in policies() and any(spec.key == "shown_share" for spec in levers())
    model = SideBySideModel(
        n_users=200,
        mean_degree=10,
        days=2,
        rectify=False,
        separate_shop=False,
        c2b=False,
        shown_share=0.25,
    )
    assert model.policies == ("laissez_faire", NAME)
    assert model.models[NAME].cfg.policy.shown_share == 0.25
    model.step()


@pytest.mark.usefixtures("registered")
def test_a_sweep_report_tells_a_registered_policy_against_laissez_faire():
    text = report(sweep_of(sweep_table()), [])
    assert any(
        line.startswith("- **quota on marketing** against laissez-faire")
        for line in text.splitlines()
    )


def test_an_unregistered_policy_is_gone_everywhere():
    assert NAME not in policy_names() and NAME not in POLICIES
    assert NAME not in page.model_params()
    with pytest.raises(Exception, match=NAME):
        compose_config([f"scenario={NAME}"])


def sweep_table(seeds: int = 3) -> pd.DataFrame:
    """A hand-made sweep table: laissez-faire and the extra policy on the same seeds."""
    rows = []
    for seed in range(seeds):
        for policy, gmv, ux in (
            ("laissez_faire", 10_000.0 + 100 * seed, 0.60 + 0.01 * seed),
            (NAME, 8_000.0 + 90 * seed, 0.65 + 0.01 * seed),
        ):
            for intensity in (1.0, 2.0):
                rows.append(
                    {
                        "scenario": policy,
                        "intensity": intensity,
                        "seed": seed,
                        "steps": 90,
                        "n_users": 1_000,
                        "friendships_start": 20_000,
                        "gmv_net_cum": gmv / intensity,
                        "gmv_cum": gmv + 500.0,
                        "ux": ux,
                        "unfriends_cum": 40 + seed,
                        "left_share": 0.1,
                    }
                )
    return pd.DataFrame(rows)


def sweep_of(table: pd.DataFrame) -> Sweep:
    """The table as a finished sweep."""
    status = {
        "expected": len(table),
        "complete": [f"run{k}" for k in range(len(table))],
        "failed": {},
        "missing": [],
        "damaged": {},
    }
    return Sweep(folder=Path("sweep"), summary=table, timeseries=pd.DataFrame(), status=status)
