"""Docking with proven power (issue 10, items 1-2), through ``sim.verify.dock``'s machinery.

* The fast engine must be equivalent to the per-agent reference (TOST on every
  headline metric at three days, KS on per-run, per-arc and per-seller
  quantities) in every scenario of the stressed docking regime.
* Power: every negative control in ``sim.verify.dock.FAULTS`` (a fast-engine-only
  override, one or more per ODD submodel and policy lever) must be rejected,
  and the unmodified engine must pass against itself on other seeds. The
  baseline of the power tests is the unmodified fast engine (``--baseline
  fast``: the same graphs, other random draws), so that the power shown is the
  test's own, independent of the reference engine.

Runs are cached per module: one baseline set per scenario serves every fault.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.cli.dock import main as dock_command
from sim.run.pool import processes
from sim.verify import dock


@pytest.fixture(scope="module")
def pool():
    with processes() as executor:
        yield executor


@pytest.fixture(scope="module")
def baselines(pool):
    cache: dict[tuple, dock.RunSet] = {}

    def get(scenario: str, baseline: str, regime: str = "main") -> dock.RunSet:
        """Baseline runs ("reference", "fast"), or the unmodified fast engine ("unmodified")."""
        common = dock.REGIMES[regime]
        if (scenario, baseline, regime) not in cache:
            cache[scenario, baseline, regime] = (
                dock.collect(scenario, "fast", dock.seeds_for(regime, scenario), common, pool)
                if baseline == "unmodified"
                else dock.baseline_set(
                    scenario, baseline, dock.seeds_for(regime, scenario), pool, common
                )
            )
        return cache[scenario, baseline, regime]

    return get


def test_tost_and_ks_decide_as_designed():
    rng = np.random.default_rng(0)
    assert dock.tost(rng.normal(0.0, 0.01, 30), 0.02) < dock.ALPHA
    assert dock.tost(rng.normal(0.03, 0.01, 30), 0.02) > dock.ALPHA
    assert dock.tost(np.zeros(10), 0.02) == 0.0
    assert dock.ks(rng.normal(0, 1, 500), rng.normal(0.5, 1, 500)) < dock.KS_ALPHA


def case_id(case: tuple[str, str]) -> str:
    return case[0] if case[1] == "main" else f"{case[0]}-{case[1]}"


@pytest.mark.slow
@pytest.mark.parametrize("case", dock.CASES, ids=case_id)
def test_fast_engine_is_equivalent_to_the_reference(case, pool, baselines):
    verdict = dock.compare(
        case[0], baselines(case[0], "unmodified", case[1]), baselines(case[0], "reference", case[1])
    )
    assert verdict.equivalent, dock.format_table(verdict.failures())


@pytest.mark.slow
@pytest.mark.parametrize("case", dock.CASES, ids=case_id)
def test_unmodified_fast_engine_passes_against_itself(case, pool, baselines):
    verdict = dock.compare(
        case[0], baselines(case[0], "unmodified", case[1]), baselines(case[0], "fast", case[1])
    )
    assert verdict.equivalent, dock.format_table(verdict.failures())


@pytest.mark.slow
@pytest.mark.parametrize("fault", dock.FAULTS, ids=lambda f: f.override)
def test_every_negative_control_is_rejected(fault, pool, baselines):
    overrides = (*fault.common, fault.override)
    fast = dock.collect(
        fault.scenario, "fast", dock.seeds_for(fault.regime, fault.scenario), overrides, pool
    )
    verdict = dock.compare(fault.scenario, fast, baselines(fault.scenario, "fast", fault.regime))
    assert not verdict.equivalent, f"{fault.override} passed docking"


def test_every_fault_regime_is_docked_against_the_reference():
    for fault in dock.FAULTS:
        assert (fault.scenario, fault.regime) in dock.CASES, fault.override


def test_faults_cover_every_submodel_and_policy():
    covered = " ".join(f.submodel for f in dock.FAULTS)
    for submodel in (
        "reading",
        "erosion",
        "wear-out",
        "repair",
        "purchase",
        "outcome",
        "word of mouth",
        "ladder",
        "recruitment",
        "exit",
        "engagement",
        "rectify",
        "separate shop",
        "c2b",
    ):
        assert submodel in covered, submodel
    assert len(dock.FAULTS) >= 10


def test_command_rejects_bad_input_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "table.md"
    assert dock_command(["--fast", "trust.no_such_key=1", "--markdown", str(out)]) == 2
    assert "sim dock: error:" in capsys.readouterr().err
    assert not out.exists()


def test_the_command_docks_the_cases_asked_for():
    assert dock.cases_for("all", "all") == list(dock.CASES)
    assert dock.cases_for("rectify", "all") == [
        ("rectify", "main"),
        ("rectify", "complaints"),
        ("rectify", "products"),
    ]
    assert dock.cases_for("c2b", "purchases") == [("c2b", "purchases")]


def test_a_run_config_is_the_one_hydra_composes_for_its_seed():
    from sim.run.runner import compose_config, to_sim_config

    overrides = dock.REGIMES["complaints"]
    first = dock._config("rectify", 7, overrides)
    first.trust.erosion_per_item = 1.0  # a run changing its config changes no other run's
    composed = compose_config([*dock.REGIME, "scenario=rectify", "seed=7", *overrides])
    assert dock._config("rectify", 7, overrides) == to_sim_config(composed)
    assert dock._config("rectify", 8, overrides).seed == 8
