"""The sweep report's verdicts: which differences from laissez-faire the seeds can tell apart."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.study.compare import Sweep
from sim.study.sweep_report import report, seeds_needed, verdict, verdict_sentence, verdicts


def effects(*rows):
    """A hand-made ``paired_effects`` table: (policy, outcome, mean, ci95, seeds) per row."""
    return pd.DataFrame(
        [
            {"scenario": p, "outcome": o, "level": 0.0, "mean": m, "ci95": h, "seeds": n}
            for p, o, m, h, n in rows
        ]
    )


def half_width(sd, n):
    return stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)


def test_an_interval_that_excludes_zero_is_distinguishable():
    table = effects(("rectify", "gmv", -5.0, 1.0, 5), ("rectify", "unfriends", 2.0, 0.5, 5))
    said = verdicts(table, "rectify")
    assert [(v.outcome, v.status, v.distinguishable) for v in said] == [
        ("gmv", "lower", True),
        ("unfriends", "higher", True),
    ]
    assert all(v.needed is None for v in said)
    sentence = verdict_sentence("rectify", said)
    assert sentence.startswith("**rectification** against laissez-faire at 5 seeds")
    assert (
        "distinguishable from zero: GMV net of disappointment lower (-5.0 ± 1.0 yuan per user), "
        "unfriends higher (+2.0 ± 0.5 per 1,000 friendships)" in sentence
    )
    assert "not distinguishable" not in sentence


def test_a_difference_within_noise_gets_the_seeds_that_would_tell():
    mean, half, n = 1.0, 3.0, 4
    sd = half * math.sqrt(n) / stats.t.ppf(0.975, n - 1)
    # the smallest seed count whose half-width from this spread falls below |mean|, counted up
    expected = next(k for k in range(2, 10_000) if half_width(sd, k) < abs(mean))
    assert expected > n
    assert seeds_needed(mean, half, n) == expected
    assert seeds_needed(-mean, half, n) == expected  # the sign does not matter
    said = verdict("gmv", mean, half, n)
    assert (said.status, said.distinguishable, said.needed) == ("within noise", False, expected)
    sentence = verdict_sentence("separate_shop", [said, verdict("ux", 0.05, 0.01, n)])
    assert "distinguishable from zero: user experience higher (+0.050 ± 0.010" in sentence
    assert (
        "not distinguishable from zero: GMV net of disappointment "
        f"(+1.0 ± 3.0 yuan per user; about {expected} seeds would tell)" in sentence
    )


def test_seeds_needed_falls_as_the_difference_grows_and_rises_with_the_spread():
    assert seeds_needed(0.5, 3.0, 4) > seeds_needed(1.0, 3.0, 4) > seeds_needed(2.0, 3.0, 4)
    assert seeds_needed(1.0, 6.0, 4) > seeds_needed(1.0, 3.0, 4)


def test_one_seed_gives_no_interval_and_no_estimate():
    said = verdict("gmv", 4.0, float("nan"), 1)
    assert (said.status, said.distinguishable, said.needed) == ("one seed", False, None)
    assert seeds_needed(4.0, float("nan"), 1) is None
    sentence = verdict_sentence("c2b", [said, verdict("ux", -0.01, float("nan"), 1)])
    assert sentence.startswith("**C2B** against laissez-faire at 1 seed —")
    assert "no difference is distinguishable from zero, since one seed gives no interval" in (
        sentence
    )
    assert "cannot be estimated" in sentence


def test_a_zero_mean_cannot_give_an_estimate_and_identical_runs_say_so():
    zero = verdict("left", 0.0, 2.0, 3)
    assert (zero.status, zero.needed) == ("within noise", None)
    same = verdict("ux", 0.0, 0.0, 3)
    assert same.status == "identical" and not same.distinguishable
    sentence = verdict_sentence("rectify", [zero, same])
    assert "no difference is distinguishable from zero" in sentence
    assert "users who left Moments (0.0 ± 2.0 % of non-sellers; mean difference 0: " in sentence
    assert "the seeds needed cannot be estimated" in sentence
    assert "user experience (exactly equal on every seed: no difference to tell)" in sentence


def runs(seeds):
    """A hand-made sweep table: rectify sells less on every seed; its UX differs within noise."""
    rows = []
    for seed in range(seeds):
        for policy, gmv, ux in (
            ("laissez_faire", 10_000.0 + 100 * seed, 0.60 + 0.01 * seed),
            ("rectify", 7_000.0 + 120 * seed, 0.60 + 0.02 * (-1) ** seed),
        ):
            rows.append(
                {
                    "scenario": policy,
                    "intensity": 1.0,
                    "seed": seed,
                    "steps": 90,
                    "n_users": 1_000,
                    "friendships_start": 20_000,
                    "gmv_net_cum": gmv,
                    "gmv_cum": gmv + 500.0,
                    "ux": ux,
                    "unfriends_cum": 40 + seed,
                    "left_share": 0.1,
                }
            )
    return pd.DataFrame(rows)


def sweep_of(table):
    status = {
        "expected": len(table),
        "complete": [f"run{k}" for k in range(len(table))],
        "failed": {},
        "missing": [],
        "damaged": {},
    }
    return Sweep(folder=Path("sweep"), summary=table, timeseries=pd.DataFrame(), status=status)


def test_the_report_says_per_policy_what_its_seeds_can_tell():
    text = report(sweep_of(runs(4)), [])
    line = next(x for x in text.splitlines() if x.startswith("- **rectification**"))
    assert line.startswith("- **rectification** against laissez-faire at 4 seeds — ")
    assert (
        "distinguishable from zero: GMV net of disappointment lower (-2.97 ± 0.04 yuan per user)"
        in line
    )
    assert "GMV, gross (every order) lower" in line
    assert "not distinguishable from zero: user experience (" in line
    assert "seeds would tell)" in line
    # equal unfriends and leaving on every seed: said, not hidden
    assert "users who left Moments (exactly equal on every seed" in line
    assert "Seeds needed: the number of seeds at which the 95% half-width" in text


def test_the_report_of_a_one_seed_sweep_says_nothing_can_be_told():
    text = report(sweep_of(runs(1)), [])
    line = next(x for x in text.splitlines() if x.startswith("- **rectification**"))
    assert "at 1 seed — no difference is distinguishable from zero" in line
    assert "cannot be estimated from one seed" in line
    assert "-3.0 yuan per user" in line  # the observed difference is still shown


def test_the_settings_of_a_sweep_are_the_keys_besides_its_axes_whose_values_differ():
    from sim.study.compare import by_setting, setting_labels, settings

    jobs = {
        "a": ["scenario=rectify", "seed=0", "market.intensity=1", "graph=holme_kim", "x=1"],
        "b": ["scenario=rectify", "seed=1", "market.intensity=2", "graph=holme_kim", "x=1"],
        "c": ["scenario=rectify", "seed=0", "market.intensity=1", "graph=holme_kim"],
    }
    assert settings(jobs) == ["x"]  # graph is the same everywhere; axes never count
    table = runs(2).head(3).assign(run=["a", "b", "c"])
    table["override.x"] = ["1", "1", None]
    table["override.graph"] = "holme_kim"
    assert list(setting_labels(table)) == ["x=1", "x=1", "x=(default)"]
    status = {
        "expected": 3,
        "complete": ["a", "b", "c"],
        "failed": {},
        "missing": [],
        "damaged": {},
    }
    parts = by_setting(Sweep(Path("s"), table, pd.DataFrame(), status), jobs, ["x"])
    assert [(p.label, p.folder, list(p.sweep.summary["run"])) for p in parts] == [
        ("x=1", "x=1", ["a", "b"]),
        ("x=(default)", "x=_default_", ["c"]),
    ]
    assert [p.sweep.status["expected"] for p in parts] == [2, 1]


def test_settings_whose_labels_map_to_one_folder_get_folders_of_their_own():
    from sim.study.compare import by_setting

    jobs = {"a": ["seed=0", "graph.path=d/e"], "b": ["seed=0", "graph.path=d_e"]}
    table = runs(1).head(2).assign(run=["a", "b"])
    status = {"expected": 2, "complete": ["a", "b"], "failed": {}, "missing": [], "damaged": {}}
    parts = by_setting(Sweep(Path("s"), table, pd.DataFrame(), status), jobs, ["graph.path"])
    assert [p.folder for p in parts] == ["graph.path=d_e", "graph.path=d_e-2"]


def test_a_sweeps_settings_come_in_its_jobs_order_with_labels_from_its_jobs(tmp_path):
    """The dashboard and notebook name and order settings as the report does."""
    from omegaconf import OmegaConf

    from sim.run.sweep import job_dirs
    from sim.study.compare import by_setting, sweep_settings

    multirun = {
        "hydra": {
            "job": {
                "config": {"override_dirname": {"kv_sep": "=", "item_sep": ",", "exclude_keys": []}}
            },
            "overrides": {"task": ["seed=0,1", "x=9,10"]},
            "sweeper": {"params": None},
        }
    }
    OmegaConf.save(OmegaConf.create(multirun), tmp_path / "multirun.yaml")
    table = runs(2).assign(run=["r0", "r1", "r2", "r3"])
    table["override.x"] = ["9", "9", "10", "10"]
    order, labels = sweep_settings(tmp_path, table)
    assert len(job_dirs(tmp_path)) == 4  # read from the jobs, not guessed from the runs
    status = {"expected": 4, "complete": [], "failed": {}, "missing": [], "damaged": {}}
    parts = by_setting(Sweep(tmp_path, table, pd.DataFrame(), status), job_dirs(tmp_path), ["x"])
    assert order == [p.label for p in parts] == ["x=9", "x=10"]  # the jobs', not text order
    assert list(labels) == ["x=9", "x=9", "x=10", "x=10"]


def test_a_sweep_of_one_policy_says_there_is_nothing_to_compare_not_that_a_policy_is_missing():
    table = runs(3)
    only_baseline = table[table["scenario"] == "laissez_faire"]
    assert "Only laissez-faire ran at this intensity" in report(sweep_of(only_baseline), [])
    only_rectify = table[table["scenario"] == "rectify"]
    assert "No laissez-faire runs at this intensity" in report(sweep_of(only_rectify), [])


@pytest.mark.parametrize("seeds", [2, 3, 10])
def test_seeds_needed_is_where_the_interval_would_first_exclude_the_mean(seeds):
    rng = np.random.default_rng(seeds)
    diff = rng.normal(0.3, 1.0, seeds)
    mean = float(diff.mean())
    half = half_width(float(diff.std(ddof=1)), seeds)
    n = seeds_needed(mean, half, seeds)
    sd = float(diff.std(ddof=1))
    assert half_width(sd, n) < abs(mean) <= half_width(sd, n - 1) or n == 2


def test_an_uncertainty_study_says_worlds_not_seeds():
    said = [verdict("gmv", -2.0, 0.5, 14), verdict("ux", 0.001, 0.004, 14)]
    sentence = verdict_sentence("rectify", said, unit="world")
    assert sentence.startswith("**rectification** against laissez-faire over 14 worlds —")
    assert f"about {said[1].needed} worlds would tell" in sentence
    assert "seed" not in sentence


def test_sub_reports_of_settings_a_sweep_no_longer_has_go_and_the_users_files_stay(tmp_path):
    """A re-aggregation after the sweep's jobs dropped a setting leaves no stale sub-report."""
    from sim.study.aggregate import remove_stale_settings

    def sub_report(label: str) -> Path:
        folder = tmp_path / "settings" / label
        (folder / "plots").mkdir(parents=True)
        for name in ("report.md", "scale.csv", "scale_levels.csv", "plots/overview.png"):
            (folder / name).write_text("written by an aggregation")
        return folder

    kept, dropped, annotated = sub_report("w=1"), sub_report("w=0"), sub_report("w=3")
    (annotated / "notes.txt").write_text("the user's")
    remove_stale_settings(tmp_path, {"w=1"})
    assert sorted(p.name for p in kept.rglob("*")) == sorted(
        ["report.md", "scale.csv", "scale_levels.csv", "plots", "overview.png"]
    )
    assert not dropped.exists()
    assert [p.name for p in annotated.iterdir()] == ["notes.txt"]
    remove_stale_settings(tmp_path, set())  # the sweep no longer varies a setting
    assert not kept.exists() and (annotated / "notes.txt").is_file()
