"""Uncertainty studies, sensitivity, robust ranking, PRIM and the frontier, on tiny designs."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from sim.config import ConfigError
from sim.uncertainty import apply_values, draw_sample, load_uncertainty, world_count

# 4 parameters (quick set minus two), Morris 2 trajectories: 2 x 7 worlds... the quick
# set has 6 parameters, so 2 trajectories = 14 worlds x 2 policies = 28 runs of 150 users.
TINY = [
    "+study=quick",
    "study.trajectories=2",
    "scenario=laissez_faire,separate_shop",
    "steps=20",
    "graph.n_users=150",
    "graph.mean_degree=16",
]


def study(folder, *args):
    command = [sys.executable, "-m", "sim", "-m", *args, f"hydra.sweep.dir={folder}"]
    command.append("hydra/launcher=basic")
    return subprocess.run(command, cwd=folder.parent, capture_output=True, text=True, timeout=600)


def test_default_set_covers_the_unpinned_parameters_with_sources():
    uset = load_uncertainty("default")
    keys = {p.key for p in uset.parameters}
    assert len(keys) >= 20
    calibrated = {
        "trust.erosion_per_item",
        "users.mute_threshold_mean",
        "trust.unfriend_ratio",
        "trust.mute_leak",
        "users.engagement_loss",
    }
    unpinned = {
        "market.persuasion",
        "policy.conversion_friction",
        "policy.answer_conversion",
        "policy.post_share",
    }
    assert calibrated | unpinned <= keys
    assert all(p.source and p.low < p.high for p in uset.parameters)
    assert world_count("default", "morris", 20, 64) * 4 == 2000


def test_sample_is_salib_and_deterministic():
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(
        {
            "uncertainty": "quick",
            "method": "sobol",
            "trajectories": 2,
            "levels": 4,
            "base_samples": 4,
            "sample_seed": 0,
        }
    )
    _, first = draw_sample(cfg)
    _, again = draw_sample(cfg)
    assert len(first) == 4 * (2 * 6 + 2)
    pd.testing.assert_frame_equal(first, again)
    for p in load_uncertainty("quick").parameters:
        assert first[p.key].between(p.low, p.high).all()


def test_policy_keys_apply_only_to_their_policy():
    from sim.runner import compose_config

    values = {"policy.conversion_friction": 0.55, "trust.mute_leak": 0.2}
    shop = apply_values(compose_config(["scenario=separate_shop"]), values)
    lf = apply_values(compose_config(["scenario=laissez_faire"]), values)
    assert shop.policy.conversion_friction == 0.55 and shop.trust.mute_leak == 0.2
    assert "conversion_friction" not in lf.policy and lf.trust.mute_leak == 0.2


def test_bad_uncertainty_set_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "parameters:\n  trust.mute_leak: {low: 0.3, high: 0.1}\n  a.b: {low: 0, high: 1}\n"
    )
    with pytest.raises(ConfigError, match="low < high"):
        load_uncertainty(str(bad))
    out = study(tmp_path / "s", *TINY, f"study.uncertainty={bad}")
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_study_end_to_end_resume_and_sensitivity(tmp_path):
    folder = tmp_path / "study"
    out = study(folder, *TINY)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = pd.read_parquet(folder / "summary.parquet")
    assert len(runs) == 28
    # common random numbers: a world's two policies share sampled values and graph
    sample = pd.read_csv(folder / "sample.csv")
    assert len(sample) == 14
    worlds = pd.read_parquet(folder / "worlds.parquet")
    assert set(worlds["scenario"]) == {"laissez_faire", "separate_shop"}
    indices = pd.read_parquet(folder / "sensitivity.parquet")
    assert {"mu_star", "mu_star_ci95", "sigma"} <= set(indices.columns)
    assert {"gmv", "ux", "acted", "left", "unfriends", "sellers"} <= set(indices["outcome"])
    # policy-only parameters never move laissez-faire; the shared ones do
    mu = indices.set_index(["scenario", "outcome", "parameter"])["mu_star"]
    assert mu[("laissez_faire", "gmv", "policy.conversion_friction")] == 0
    assert mu[("laissez_faire", "acted", "policy.answer_conversion")] == 0
    assert mu[("laissez_faire", "acted")].max() > 0
    ranking = pd.read_parquet(folder / "ranking.parquet")
    assert ranking["best_share"].sum() == pytest.approx(1.0)
    report = (folder / "report.md").read_text()
    assert "## The answer" in report and "e+" not in report and "e-0" not in report
    assert (folder / "plots" / "sensitivity_heatmap.png").is_file()
    # resume: a lost run is the only one that runs again; a different sample is refused
    lost = next(p for p in folder.iterdir() if "scenario=separate_shop" in p.name)
    (lost / "summary.json").unlink()
    kept = {p: p.stat().st_mtime_ns for p in folder.glob("*/summary.json")}
    out = study(folder, *TINY)
    assert out.returncode == 0, out.stderr[-3000:]
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())
    assert (lost / "summary.json").is_file()
    out = study(folder, *TINY, "study.sample_seed=1")
    assert out.returncode != 0 and "different study" in out.stderr
    # the analysis command on its own, and on a folder that is no study
    out = subprocess.run(
        [sys.executable, "-m", "sim.sensitivity", str(folder)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "sim.sensitivity", str(tmp_path)], capture_output=True, text=True
    )
    assert out.returncode == 2 and "not a study folder" in out.stderr


def optimize(folder, trials: int) -> subprocess.CompletedProcess:
    """Run the quick frontier in ``folder`` until it has ``trials`` trials."""
    command = [sys.executable, "-m", "sim.optimize", "--config", "quick", "--trials", str(trials)]
    return subprocess.run(
        [*command, "--seeds", "1", "steps=15", "graph.n_users=150", "graph.mean_degree=16"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_frontier_writes_designs_runnable_by_name(tmp_path):
    out = optimize(tmp_path, trials=4)
    assert out.returncode == 0, out.stderr[-3000:]
    folder = tmp_path / "results" / "frontier" / "quick"
    trials = pd.read_csv(folder / "trials.csv")
    assert len(trials) == 4 and trials["pareto"].any()
    assert (folder / "frontier.png").is_file() and "## The answer" in (
        folder / "report.md"
    ).read_text()
    designs = sorted(
        (tmp_path / "results" / "scenarios" / "scenario").glob("frontier_quick_*.yaml")
    )
    assert designs
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            f"scenario={designs[0].stem}",
            "steps=5",
            "graph.n_users=100",
            "graph.mean_degree=10",
            "plot=false",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    # resume: asking for 5 trials runs one more
    out = optimize(tmp_path, trials=5)
    assert out.returncode == 0 and len(pd.read_csv(folder / "trials.csv")) == 5
    bad = subprocess.run(
        [sys.executable, "-m", "sim.optimize", "--config", "nope"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unknown frontier" in bad.stderr


def test_prim_looks_only_at_parameters_that_can_act_on_the_two_policies():
    """Another policy's lever cannot flip this pair; PRIM must not be offered it."""
    from sim.robust import acting_on

    names = [
        "trust.erosion_per_item",
        "policy.conversion_friction",  # the separate shop's
        "policy.answer_prob",  # C2B's
        "policy.daily_cap",  # rectification's
    ]
    assert acting_on(names, ["laissez_faire", "separate_shop"]) == [
        "trust.erosion_per_item",
        "policy.conversion_friction",
    ]
    assert acting_on(names, ["rectify", "c2b"]) == [
        "trust.erosion_per_item",
        "policy.answer_prob",
        "policy.daily_cap",
    ]


def test_a_prim_box_never_restricts_another_policys_lever():
    """C2B's lever decides (by construction) which of laissez-faire and the shop wins;
    it cannot in the model, so the robust comparison must not offer it to PRIM."""
    import numpy as np

    from sim.robust import compare

    rng = np.random.default_rng(0)
    sample = pd.DataFrame(
        {
            "world": range(200),
            "policy.answer_prob": rng.uniform(0, 1, 200),
            "trust.erosion_per_item": rng.uniform(0.001, 0.005, 200),
        }
    )
    shop_ahead = sample["policy.answer_prob"] > 0.3
    worlds = pd.concat(
        [
            pd.DataFrame({"world": sample["world"], "scenario": "laissez_faire", "gmv": 10.0}),
            pd.DataFrame(
                {
                    "world": sample["world"],
                    "scenario": "separate_shop",
                    "gmv": np.where(shop_ahead, 12.0, 8.0),
                }
            ),
        ]
    ).assign(ux=0.7)
    problem = {"problem": {"names": ["policy.answer_prob", "trust.erosion_per_item"]}}
    comparison = compare(worlds, sample, problem, {"objective": "gmv_if_ux"})
    assert comparison.ranking["scenario"].iloc[0] == "separate_shop"
    restricted = set() if comparison.prim is None else set(comparison.prim.limits["parameter"])
    assert "policy.answer_prob" not in restricted
