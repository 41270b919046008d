"""Sweeps end to end: launchers, aggregation, plots, failure and resume."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import matplotlib.image
import pandas as pd
import pytest

# Sweeps end to end through the launchers (subprocesses): the slow tier.
pytestmark = pytest.mark.slow

TINY = [
    "+sweep=quick",
    "scenario=laissez_faire,separate_shop",
    "market.intensity=0,1",
    "seed=0,1",
    "steps=30",
    "graph.n_users=200",
    "graph.mean_degree=20",
]


def sweep(folder, *args, launcher="basic", cwd=None):
    command = [
        sys.executable,
        "-m",
        "sim",
        "-m",
        *args,
        f"hydra.sweep.dir={folder}",
        f"hydra/launcher={launcher}",
    ]
    return subprocess.run(
        command, cwd=cwd or folder.parent, capture_output=True, text=True, timeout=600
    )


def tables(folder):
    summary = pd.read_parquet(folder / "summary.parquet")
    timeseries = pd.read_parquet(folder / "timeseries.parquet")
    return summary, timeseries


@pytest.fixture(scope="module")
def basic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweeps") / "basic"
    out = sweep(folder, *TINY)
    assert out.returncode == 0, out.stderr
    return folder


def test_aggregated_tables_have_a_row_per_run_and_day(basic):
    summary, timeseries = tables(basic)
    assert len(summary) == 8
    assert len(timeseries) == 8 * 30
    assert set(summary["scenario"]) == {"laissez_faire", "separate_shop"}
    assert sorted(summary["intensity"].unique()) == [0.0, 1.0]
    assert {"override.scenario", "override.market.intensity", "override.seed"} <= set(summary)
    assert (summary.loc[summary["intensity"] == 0, "sales_cum"] == 0).all()


def test_plots_are_real_images_and_the_report_lists_the_runs(basic):
    names = {p.name for p in (basic / "plots").iterdir()}
    assert {"overview.png", "tradeoff_ux_vs_gmv.png", "ribbons_intensity_1.png"} <= names
    assert "unfriends_cum_vs_intensity.png" in names
    for name in names:
        image = matplotlib.image.imread(basic / "plots" / name)
        assert image.shape[0] > 300 and image.shape[1] > 300 and image.std() > 0
    report = (basic / "report.md").read_text()
    assert "Runs expected 8, finished 8, failed 0, missing 0." in report
    assert "| separate shop | 1 | 2 |" in report
    assert "Seller pressure at intensity 1 (marketing items read per non-seller" in report
    # the answer's verdict: what two seeds can and cannot tell apart from laissez-faire
    assert "- **separate shop** against laissez-faire at 2 seeds — " in report
    assert "distinguishable from zero" in report and "Seeds needed: " in report


def test_the_overview_compares_policies_at_matched_seller_pressure(basic):
    from sim.figures.study import PRESSURE_LABEL, overview_figure
    from sim.figures.sweep import tradeoff_figure

    summary, _ = tables(basic)
    assert (summary.loc[summary["intensity"] == 0, "seller_pressure"] == 0).all()
    assert (summary.loc[summary["intensity"] == 1, "seller_pressure"] > 0).all()
    figure = overview_figure(summary)
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert len(panels) == 6 and {ax.get_xlabel() for ax in panels} == {PRESSURE_LABEL}
    line = panels[0].get_lines()[0]  # laissez-faire: a point per intensity at its own pressure
    pressure = summary[summary["scenario"] == "laissez_faire"].groupby("intensity")
    assert list(line.get_xdata()) == pytest.approx(list(pressure["seller_pressure"].mean()))
    assert "after 30 days" in figure.get_suptitle()
    assert "after 30 days" in tradeoff_figure(summary).axes[0].get_title()  # the true horizon
    old = summary.drop(columns="seller_pressure")  # a sweep from before the pressure existed
    assert overview_figure(old).axes[0].get_xlabel() == "market.intensity"


def test_joblib_gives_the_same_tables(basic, tmp_path):
    out = sweep(tmp_path / "joblib", *TINY, "hydra.launcher.n_jobs=2", launcher="joblib")
    assert out.returncode == 0, out.stderr
    for mine, theirs in zip(tables(tmp_path / "joblib"), tables(basic), strict=True):
        pd.testing.assert_frame_equal(mine, theirs)


def test_submitit_local_gives_the_same_tables(basic, tmp_path):
    narrow = [*TINY[:-4], "seed=0", *TINY[-3:]]
    narrow[1] = "scenario=laissez_faire"
    out = sweep(tmp_path / "submitit", *narrow, launcher="submitit_local")
    assert out.returncode == 0, out.stderr
    summary, _ = tables(tmp_path / "submitit")
    expected, _ = tables(basic)
    expected = expected[(expected["scenario"] == "laissez_faire") & (expected["seed"] == 0)]
    assert len(summary) == 2
    pd.testing.assert_frame_equal(
        summary.drop(columns=[c for c in summary if c.startswith("override.")]),
        expected.drop(columns=[c for c in expected if c.startswith("override.")]).reset_index(
            drop=True
        ),
    )


def test_resume_runs_only_the_missing_run(basic, tmp_path):
    folder = tmp_path / "resume"
    shutil.copytree(basic, folder)
    runs = sorted(p for p in folder.iterdir() if p.is_dir() and "=" in p.name)
    removed, kept = runs[3], runs[0]
    shutil.rmtree(removed)
    stamp = (kept / "summary.json").stat().st_mtime_ns
    out = sweep(folder, *TINY)
    assert out.returncode == 0, out.stderr
    assert (removed / "summary.json").is_file()
    assert (kept / "summary.json").stat().st_mtime_ns == stamp, "a finished run was rewritten"
    assert "7 of 8 runs finished earlier and are kept; 1 to run" in out.stdout
    for mine, theirs in zip(tables(folder), tables(basic), strict=True):
        pd.testing.assert_frame_equal(mine, theirs)


def test_a_failed_run_is_listed_then_resumed(tmp_path):
    # Every swept value is checked before the sweep starts, one key at a time; a
    # combination that only fails together (600 users cannot have 599 friends each)
    # fails in its run, as a fault of the machine would.
    args = [
        "graph.n_users=2000,600",
        "graph.mean_degree=40,599",
        "steps=10",
        "progress=false",
        "plot=false",
    ]
    folder = tmp_path / "failing"
    out = sweep(folder, *args)
    assert out.returncode == 1
    assert "1 of 4 runs did not finish (1 failed): " in out.stderr
    failed = folder / "graph.mean_degree=599,graph.n_users=600,steps=10"
    assert "mean degree" in json.loads((failed / "failed.json").read_text())["error"]
    assert failed.name in (folder / "report.md").read_text()
    assert len(pd.read_parquet(folder / "summary.parquet")) == 3
    again = sweep(folder, *args)
    assert again.returncode == 1
    assert "3 of 4 runs finished earlier and are kept; 1 to run" in again.stdout
    assert "1 of 4 runs did not finish (1 failed): " in again.stderr


def test_a_bad_sweep_value_fails_before_anything_runs(tmp_path):
    out = sweep(tmp_path / "never", "+sweep=quick", "market.intensity=0,1,-1")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "sim: error: market.intensity must be >= 0 (got -1.0)"
    ]
    assert not (tmp_path / "never").exists()


def test_compare_is_a_standalone_command(basic, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(basic, folder)
    for produced in ("summary.parquet", "timeseries.parquet", "report.md"):
        (folder / produced).unlink()
    shutil.rmtree(folder / "plots")
    out = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(folder), "--intensity", "0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert (folder / "plots" / "ribbons_intensity_0.png").is_file()
    for mine, theirs in zip(tables(folder), tables(basic), strict=True):
        pd.testing.assert_frame_equal(mine, theirs)
    wrong = subprocess.run(
        [sys.executable, "-m", "sim.compare", str(tmp_path)], capture_output=True, text=True
    )
    assert wrong.returncode == 2 and "not a sweep folder" in wrong.stderr


def test_sweeps_check_one_composed_job_per_batch(basic):
    """The launching process composes one job per batch (the preflight checked every value)."""
    from omegaconf import OmegaConf

    from sim.run.sweep import validate_first_job

    multirun = OmegaConf.load(basic / "multirun.yaml")
    assert multirun.hydra.sweeper._target_ == "hydra_plugins.sim_sweeper.SimSweeper"

    composed = []

    class Loader:
        def load_sweep_config(self, master_config, sweep_overrides):
            composed.append(sweep_overrides)

    class Sweeper:
        hydra_context = None
        config_loader = Loader()
        config = multirun

    batch = [["seed=0"], ["seed=1"], ["seed=2"]]
    validate_first_job(Sweeper(), batch)
    assert composed == [["seed=0"]]


def test_a_sweep_over_other_settings_reports_each_setting_apart(tmp_path):
    """Runs under different settings are never pooled into one mean, interval or verdict.

    A sweep over two settings besides policy and seed: the report says what else
    it varies, and each setting's answer, means (n = its own seeds), figures and
    links cover only its own runs. Pooled figures an earlier aggregation left at
    the top, and the sub-report of a setting the jobs no longer have, are
    removed when it is aggregated again.
    """
    folder = tmp_path / "erosion"
    args = [*TINY[:1], "scenario=laissez_faire,separate_shop", "market.intensity=1", "seed=0,1"]
    settings = ["trust.erosion_per_item=0.001,0.05", "users.load_weight_leak=1,2"]
    out = sweep(folder, *args, *TINY[4:], *settings)
    assert out.returncode == 0, out.stderr
    summary, _ = tables(folder)
    assert len(summary) == 16
    shares = summary[["penalised_share_low", "penalised_share_middle", "penalised_share_high"]]
    assert (shares.fillna(0) == 0).all().all()  # no enforcement under these policies
    (folder / "plots").mkdir()
    (folder / "plots" / "overview.png").write_bytes(b"pooled")
    (folder / "scale.csv").write_text("pooled\n")
    stale = folder / "settings" / "trust.erosion_per_item=0.3,_users.load_weight_leak=1"
    stale.mkdir()  # a setting an earlier job list had
    (stale / "report.md").write_text("a setting this sweep no longer has\n")
    again = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(folder)], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert not (folder / "plots").exists() and not (folder / "scale.csv").exists()
    assert not stale.exists()
    report = (folder / "report.md").read_text()
    keys = "`trust.erosion_per_item`, `users.load_weight_leak`"
    assert f"This sweep varies {keys} besides" in report
    assert report.count("**Warning: this sweep's setting is not calibrated**") == 4
    links = re.findall(r"\]\((settings/[^)]+)\)", report)
    assert links and all((folder / link).is_file() for link in links), links
    for erosion in ("0.001", "0.05"):
        for leak in ("1", "2"):
            label = f"trust.erosion_per_item={erosion}, users.load_weight_leak={leak}"
            own = summary[
                (summary["override.trust.erosion_per_item"] == erosion)
                & (summary["override.users.load_weight_leak"] == leak)
            ]
            shop = own[own["scenario"] == "separate_shop"]
            assert len(shop) == 2
            part = (folder / "settings" / label.replace(" ", "_") / "report.md").read_text()
            assert "Runs expected 4, finished 4, failed 0, missing 0." in part
            # n is the setting's two seeds, and the mean is theirs alone
            net = f"{shop['gmv_net_cum'].mean() / 200:.1f}"
            row = next(x for x in part.splitlines() if x.startswith("| separate shop | 1 |"))
            assert row.startswith("| separate shop | 1 | 2 |") and f"| {net} ±" in row, row
            assert row in report and f"### `{label}`" in report
            plots = folder / "settings" / label.replace(" ", "_") / "plots"
            assert (plots / "overview.png").is_file()
            assert f"`settings/{label.replace(' ', '_')}/plots/overview.png`" in report
