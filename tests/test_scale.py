"""The scale study: differences by size, the trend words, and a sweep over sizes end to end."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.image
import pandas as pd
import pytest

from sim.study.scale import FACTOR, trend

SIZES = (5_000, 50_000, 500_000)


def rows(means, statuses, policy="rectify", outcome="gmv"):
    """A ``scale_effects`` table for one policy and outcome."""
    return pd.DataFrame(
        {
            "n_users": SIZES[: len(means)],
            "scenario": policy,
            "outcome": outcome,
            "mean": means,
            "status": statuses,
        }
    )


@pytest.mark.parametrize(
    ("means", "statuses", "word"),
    [
        ((-2.0, -2.5, -3.0), ("lower",) * 3, "holds"),
        ((-2.0, -1.0, -0.9), ("lower",) * 3, "shrinks"),
        ((1.0, 2.0, 2.1), ("higher",) * 3, "grows"),
        ((1.0, 0.5, -0.2), ("higher", "within noise", "within noise"), "fades"),
        ((-0.1, -1.0, -2.0), ("within noise", "lower", "lower"), "grows"),
        ((0.1, -1.0, -2.0), ("within noise", "lower", "lower"), "emerges"),
        ((1.0, -1.0, 0.5), ("higher", "lower", "within noise"), "flips"),
        ((0.3, -0.2, 0.1), ("within noise",) * 3, "none"),
        ((0.2, 1.0, 0.4), ("within noise", "higher", "within noise"), "holds"),
        ((-0.2, 1.0, -0.4), ("within noise", "higher", "within noise"), "mixed"),
    ],
)
def test_the_trend_word_follows_the_stated_rule(means, statuses, word):
    assert trend("rectify", "gmv", rows(means, statuses)).word == word


def test_holds_is_bounded_by_the_factor_on_both_sides():
    edge = 1 / FACTOR
    assert trend("rectify", "gmv", rows((-2.0, -2.0, -2.0 * edge), ("lower",) * 3)).word == "holds"
    assert trend("rectify", "gmv", rows((-2.0, -2, -1.9 * edge), ("lower",) * 3)).word == "shrinks"
    assert trend("rectify", "gmv", rows((2.0, 2.0, 4.0), ("higher",) * 3)).word == "holds"
    assert trend("rectify", "gmv", rows((2.0, 2.0, 4.1), ("higher",) * 3)).word == "grows"


def run_sweep(tmp_path, folder, *overrides):
    """Run ``python -m sim -m *overrides`` into ``folder``; fail with its stderr."""
    out = subprocess.run(
        [sys.executable, "-m", "sim", "-m", *overrides, f"hydra.sweep.dir={folder}"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr


@pytest.mark.slow
def test_a_sweep_over_sizes_pairs_runs_within_each_size(tmp_path):
    folder = tmp_path / "scale"
    run_sweep(
        tmp_path,
        folder,
        "+sweep=scale",
        "graph.n_users=200,400",
        "graph.mean_degree=20",
        "seed=0,1",
        "scenario=laissez_faire,separate_shop",
        "steps=30",
        "hydra.launcher.n_jobs=1",
    )
    report = (folder / "report.md").read_text()
    effects = pd.read_csv(folder / "scale.csv")
    summary = pd.read_parquet(folder / "summary.parquet")
    # each size's difference pairs that size's runs only (pooling sizes would average them)
    for n in (200, 400):
        at = summary[summary["n_users"] == n].set_index(["scenario", "seed"])
        diff = (at.loc["separate_shop", "gmv_net_cum"] - at.loc["laissez_faire", "gmv_net_cum"]) / n
        row = effects[(effects["n_users"] == n) & (effects["outcome"] == "gmv")]
        assert row["mean"].item() == pytest.approx(diff.mean())
        assert f"{diff.mean():.1f}".replace("-0.0", "0.0") in report.split("## Scale")[1]
    assert "## Scale" in report and "the largest, 400 users" in report
    assert "| 200 | laissez-faire |" in report and "| 400 | separate shop |" in report
    levels = pd.read_csv(folder / "scale_levels.csv")
    lf = levels[(levels["scenario"] == "laissez_faire") & (levels["outcome"] == "gmv")]
    assert sorted(lf["n_users"]) == [200, 400] and (lf["seeds"] == 2).all()
    image = matplotlib.image.imread(folder / "plots" / "scale.png")
    assert image.shape[0] > 300 and image.std() > 0


@pytest.mark.slow
def test_a_sweep_at_one_size_has_no_scale_section(tmp_path):
    folder = tmp_path / "one"
    run_sweep(
        tmp_path,
        folder,
        "+sweep=quick",
        "graph.n_users=200",
        "graph.mean_degree=20",
        "seed=0,1",
        "scenario=laissez_faire,separate_shop",
        "market.intensity=1",
        "steps=20",
        "hydra/launcher=basic",
    )
    assert "## Scale" not in (folder / "report.md").read_text()
    assert not (folder / "scale.csv").exists() and not (folder / "scale_levels.csv").exists()
    assert not (folder / "plots" / "scale.png").exists()


def test_a_size_with_one_seed_is_shown_but_left_out_of_the_word():
    said = trend("rectify", "gmv", rows((-2.0, -2.2, 0.5), ("lower", "lower", "one seed")))
    assert (
        said.word == "holds"
    )  # from the two sizes with an interval; with 0.5 counted it would fade
    assert said.unsure == (2,) and said.agrees == (False,)
    said = trend("rectify", "gmv", rows((-2.0, -2.2, -3.0), ("lower", "lower", "one seed")))
    assert said.agrees == (True,)
