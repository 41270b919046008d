"""Docking with proven power (issue 10, items 1-2), through ``sim.dock``'s machinery.

* The fast engine must be equivalent to the per-agent reference (TOST on every
  headline metric at three days, KS on per-run, per-arc and per-seller
  quantities) in every scenario of the stressed docking regime.
* Power: every negative control in ``sim.dock.FAULTS`` (a fast-engine-only
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

from sim import dock


@pytest.fixture(scope="module")
def pool():
    with dock._pool(None) as executor:
        yield executor


@pytest.fixture(scope="module")
def baselines(pool):
    cache: dict[tuple, dock.RunSet] = {}

    def get(scenario: str, baseline: str, regime: tuple[str, ...] = ()) -> dock.RunSet:
        """Baseline runs ("reference", "fast"), or the unmodified fast engine ("unmodified")."""
        if (scenario, baseline, regime) not in cache:
            cache[scenario, baseline, regime] = (
                dock.collect(scenario, "fast", dock.SEEDS, regime, pool)
                if baseline == "unmodified"
                else dock.baseline_set(scenario, baseline, dock.SEEDS, pool, regime)
            )
        return cache[scenario, baseline, regime]

    return get


def test_tost_and_ks_decide_as_designed():
    rng = np.random.default_rng(0)
    assert dock.tost(rng.normal(0.0, 0.01, 30), 0.02) < dock.ALPHA
    assert dock.tost(rng.normal(0.03, 0.01, 30), 0.02) > dock.ALPHA
    assert dock.tost(np.zeros(10), 0.02) == 0.0
    assert dock.ks(rng.normal(0, 1, 500), rng.normal(0.5, 1, 500)) < dock.KS_ALPHA


@pytest.mark.slow
@pytest.mark.parametrize("scenario", dock.SCENARIOS)
def test_fast_engine_is_equivalent_to_the_reference(scenario, pool, baselines):
    verdict = dock.compare(
        scenario, baselines(scenario, "unmodified"), baselines(scenario, "reference")
    )
    assert verdict.equivalent, dock.format_table(verdict.failures())


@pytest.mark.slow
@pytest.mark.parametrize("scenario", dock.SCENARIOS)
def test_unmodified_fast_engine_passes_against_itself(scenario, pool, baselines):
    verdict = dock.compare(scenario, baselines(scenario, "unmodified"), baselines(scenario, "fast"))
    assert verdict.equivalent, dock.format_table(verdict.failures())


FAULT_CASES = [
    pytest.param(f, marks=pytest.mark.xfail(reason=f.known_miss, strict=False))
    if f.known_miss
    else f
    for f in dock.FAULTS
]


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULT_CASES, ids=lambda f: f.override)
def test_every_negative_control_is_rejected(fault, pool, baselines):
    overrides = (*fault.regime, fault.override)
    fast = dock.collect(fault.scenario, "fast", dock.SEEDS, overrides, pool)
    verdict = dock.compare(fault.scenario, fast, baselines(fault.scenario, "fast", fault.regime))
    assert not verdict.equivalent, f"{fault.override} passed docking"


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
    assert dock.main(["--fast", "trust.no_such_key=1", "--markdown", str(out)]) == 2
    assert "sim.dock" in capsys.readouterr().err
    assert not out.exists()
