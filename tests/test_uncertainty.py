"""Uncertainty studies, sensitivity, robust ranking, PRIM and the frontier, on tiny designs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.core.config import ConfigError
from sim.run.uncertainty import apply_values, draw_sample, load_uncertainty, world_count

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
    # what users' experience and the shop's GMV rest on (ODD 7.8, 7.11)
    experience_and_shop = {
        "users.ad_load_sensitivity",
        "users.disappointment_loss",
        "users.load_weight_leak",
        "users.load_weight_shop",
        "users.load_weight_answer",
        "policy.visit_prob",
        "policy.shop_attention",
        "policy.follow_prob",
        "policy.follow_min_trust",
        "policy.recommend_follow_prob",
        "policy.items_per_broadcast_max",
    }
    assert calibrated | unpinned | experience_and_shop <= keys
    assert all(p.source and p.low < p.high for p in uset.parameters)
    # the screening study: about 2,000 runs (13 trajectories of D + 1 worlds, 4 policies)
    assert world_count("default", "morris", 13, 64) * 4 == 13 * (len(keys) + 1) * 4


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
    assert len(first) == 4 * (6 + 2)  # N (D + 2): no second-order terms
    pd.testing.assert_frame_equal(first, again)
    for p in load_uncertainty("quick").parameters:
        assert first[p.key].between(p.low, p.high).all()


def test_policy_keys_apply_only_to_their_policy():
    from sim.run.runner import compose_config

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
    assert ranking["pareto_share"].sum() >= 1.0  # every world has a Pareto set
    report = (folder / "report.md").read_text()
    assert "## The answer" in report and "e+" not in report and "e-0" not in report
    first = report.splitlines()[:6]
    assert any(line.startswith("Objective: no single score") for line in first)
    # 300 users for 30 days is not the calibrated setting: the report says so at its top
    assert any("**Warning: this study's setting is not calibrated**" in line for line in first)
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
        [sys.executable, "-m", "sim.sensitivity", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "not a study folder" in out.stderr


def optimize(folder, trials: int) -> subprocess.CompletedProcess:
    """Run the quick frontier in ``folder`` until it has ``trials`` trials."""
    command = [
        sys.executable,
        "-m",
        "sim.optimize",
        "--config",
        "quick",
        "--trials",
        str(trials),
    ]
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
    assert (folder / "hypervolume.png").read_bytes()[:4] == b"\x89PNG"
    assert "[hypervolume.png](hypervolume.png)" in (folder / "report.md").read_text()
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
    from sim.study.robust import acting_on

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

    from sim.study.robust import compare

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


def test_paired_differences_call_a_win_only_beyond_noise():
    from sim.study.optimize import paired_difference

    assert paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])["verdict"] == "identical"
    assert paired_difference([1.1, 2.1, 3.1], [1.0, 2.0, 3.0])["verdict"] == "better"
    assert paired_difference([0.9, 1.9, 2.9], [1.0, 2.0, 3.0])["verdict"] == "worse"
    noisy = paired_difference([1.5, 1.6, 3.2], [1.0, 2.0, 3.0])  # +0.5, -0.4, +0.2
    assert noisy["verdict"] == "within noise" and noisy["low"] < 0 < noisy["high"]


def test_hypervolume_of_two_objectives():
    from sim.study.optimize import hypervolume

    points = pd.DataFrame({"gmv": [3.0, 2.0, 1.0, 1.5], "ux": [1.0, 2.0, 3.0, 1.0]})
    # rectangles above (0, 0): 3x1 + 2x(2-1) + 1x(3-2); (1.5, 1) is dominated
    assert hypervolume(points, (0.0, 0.0)) == pytest.approx(6.0)


def test_a_design_that_ties_laissez_faire_is_never_a_win_win(tmp_path, monkeypatch):
    from sim.study.optimize import Frontier, Lever, optimize

    monkeypatch.chdir(tmp_path)
    # rectify with every lever off runs laissez-faire draw for draw; the cap's
    # expansion chance then changes nothing: every design ties laissez-faire
    frontier = Frontier(
        "ties",
        "rectify",
        (
            "graph.n_users=150",
            "graph.mean_degree=16",
            "steps=20",
            "policy.daily_cap=null",
            "policy.enforcement=false",
            "policy.detection=false",
        ),
        3,
        3,
        (Lever("policy.expand_prob", 0.0, 1.0),),
    )
    out = tmp_path / "ties"
    result = optimize(frontier, out, jobs=1)
    designs = result["versus"][result["versus"]["trial"].notna()]
    assert (designs["gmv_verdict"] == "identical").all() and not designs["win_win"].any()
    assert "win_win" not in set(result["designs"]["design"])
    report = (out / "report.md").read_text()
    assert "No searched design beats laissez-faire on both objectives beyond noise" in report
    assert "give exactly laissez-faire's runs" in report and "win-win design exists" not in report
    # 150 users for 20 days: the report says at its top that this is not the calibrated setting
    assert "**Warning: this search's setting is not calibrated**" in "\n".join(
        report.splitlines()[:6]
    )
    scenario_files = (tmp_path / "results" / "scenarios" / "scenario").glob("*.yaml")
    assert all("win_win" not in f.read_text() for f in scenario_files)


def test_the_pareto_objective_does_not_favour_either_side():
    from sim.study.robust import ranking

    # laissez-faire sells more, the shop keeps users happier, in every world
    worlds = pd.concat(
        [
            pd.DataFrame({"world": range(10), "scenario": "laissez_faire", "gmv": 10.0, "ux": 0.6}),
            pd.DataFrame({"world": range(10), "scenario": "separate_shop", "gmv": 8.0, "ux": 0.7}),
            pd.DataFrame({"world": range(10), "scenario": "rectify", "gmv": 7.0, "ux": 0.6}),
        ]
    )
    objective = {"objective": "pareto", "ux_weight": 1.0}
    from sim.study.robust import objective_scores

    table = ranking(objective_scores(worlds, objective), worlds, objective).set_index("scenario")
    assert table.loc["laissez_faire", "pareto_share"] == 1.0
    assert table.loc["separate_shop", "pareto_share"] == 1.0
    assert table.loc["rectify", "pareto_share"] == 0.0  # dominated by laissez-faire
    assert table.loc["separate_shop", "mean_gmv_regret"] == pytest.approx(2.0)
    assert table.loc["laissez_faire", "mean_ux_regret"] == pytest.approx(0.1)
    # the old objective counts GMV only where UX is not below laissez-faire's: the shop's
    # lower GMV loses every world although it is the better one for users
    gated = {"objective": "gmv_if_ux", "ux_weight": 1.0}
    old = ranking(objective_scores(worlds, gated), worlds, gated).set_index("scenario")
    assert old.loc["laissez_faire", "best_share"] == 1.0


def test_intervals_count_a_morris_trajectory_once():
    from sim.core.outcomes import mean_and_interval
    from sim.study.robust import grouped_interval, independent_groups

    rng = np.random.default_rng(3)
    trajectory_means = rng.normal(1.0, 1.0, 4)
    values = np.repeat(trajectory_means, 6) + rng.normal(0, 0.01, 24)  # 6 worlds a trajectory
    groups = independent_groups(np.arange(24), 6)
    mean, grouped, n = grouped_interval(values, groups)
    _, naive = mean_and_interval(values)
    assert n == 4 and mean == pytest.approx(values.mean())
    assert grouped > 2 * naive  # 24 worlds are 4 draws, not 24


def test_only_parameters_whose_interval_excludes_zero_are_drivers():
    from sim.study.study_report import drivers

    indices = pd.DataFrame(
        {
            "scenario": "separate_shop − laissez_faire",
            "outcome": "gmv",
            "parameter": ["policy.visit_prob", "trust.repair_rate", "market.persuasion"],
            "mu_star": [5.0, 0.001, 0.0],
            "mu_star_ci95": [1.0, 0.01, 0.0],
        }
    )
    words, quiet = drivers(indices, "separate_shop − laissez_faire", "gmv", 1)
    assert "policy.visit_prob" in words
    assert "repair_rate" not in words and "persuasion" not in words and quiet == 2


def test_a_thin_prim_box_is_flagged():
    from sim.study.robust import PrimBox
    from sim.study.study_report import prim_words

    limits = pd.DataFrame(
        {
            "parameter": ["policy.visit_prob"],
            "low": [0.5],
            "high": [1.0],
            "range_low": [0.05],
            "range_high": [1.0],
            "qp_low": [0.2],
            "qp_high": [-1.0],
        }
    )
    box = PrimBox("c2b", "separate_shop", 0.2, 0.75, 0.5, 0.14, limits, 28, 4, 3, "pareto")
    text = prim_words(box)
    assert "3 of 4" in text and "Warning: the box rests on 4 worlds" in text
    assert "`policy.visit_prob` (low 0.2)" in text
    box = PrimBox("c2b", "separate_shop", 0.2, 0.75, 0.5, 0.4, limits, 100, 40, 30, "pareto")
    assert "not every restriction is significant" in prim_words(box)


def test_sobol_studies_draw_no_second_order_terms():
    from omegaconf import OmegaConf

    from sim.run.uncertainty import draw_sample, load_uncertainty, world_count

    d = len(load_uncertainty("quick").parameters)
    study = OmegaConf.create(
        {"uncertainty": "quick", "method": "sobol", "base_samples": 8, "sample_seed": 0}
    )
    _, table = draw_sample(study)
    assert len(table) == 8 * (d + 2) == world_count("quick", "sobol", 2, 8)


def test_the_heatmap_leaves_indices_indistinguishable_from_zero_blank():
    from sim.figures.study import heatmap_figure

    indices = pd.DataFrame(
        {
            "scenario": "laissez_faire",
            "outcome": ["gmv", "gmv", "ux", "ux"],
            "parameter": ["a", "b", "a", "b"],
            "mu_star": [2.0, 0.001, 0.01, 0.02],
            "mu_star_ci95": [0.5, 0.01, 0.005, 0.005],
        }
    )
    figure = heatmap_figure(indices)
    cells = figure.axes[0].images[0].get_array()
    assert cells[1, 0] is np.ma.masked or np.isnan(cells[1, 0])  # b on GMV: 0.001 +- 0.01
    assert cells[0, 0] == pytest.approx(1.0) and cells[1, 1] == pytest.approx(1.0)
