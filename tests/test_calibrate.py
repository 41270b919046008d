"""Calibration command: fits, writes its files, resumes, and refuses bad input."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from sim.cli.calibrate import main
from sim.study.calibrate import Target, load_calibration

TINY = {
    "base": ["scenario=laissez_faire", "market.intensity=2"],
    "seeds": 2,
    "trials": 2,
    "free": {"trust.erosion_per_item": {"low": 0.002, "high": 0.01, "log": True, "why": "test"}},
    "targets": {
        "acted_share": {"low": 0.2, "high": 0.6, "source": "test band"},
        "mutes_per_unfriend": {"low": 2, "high": 12, "source": "test band"},
    },
}
SMALL = ["graph.n_users=300", "graph.mean_degree=20", "steps=40"]


def test_target_terms_are_below_one_inside_the_band():
    target = Target("acted_share", 0.4, 0.7)
    assert target.term(0.55) == 0
    assert target.term(0.4) == pytest.approx(1.0)
    assert target.term(0.85) == pytest.approx(4.0)
    assert target.inside(0.5) and not target.inside(0.71)


def test_default_calibration_declares_sources_for_every_target():
    calibration = load_calibration("default")
    assert {t.metric for t in calibration.targets} == {
        "acted_share",
        "left_share",
        "mutes_per_unfriend",
    }
    assert all(t.source for t in calibration.targets)
    assert all(p.why for p in calibration.free)


def test_calibrate_writes_its_files_and_resumes(tmp_path, capsys):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(yaml.safe_dump(TINY))
    out = tmp_path / "out"
    args = ["--config", str(spec), "--out", str(out), "--jobs", "1", *SMALL]
    assert main(args) == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 2
    assert {"trust.erosion_per_item", "acted_share", "loss"} <= set(trials.columns)
    for name in ("best_seeds.csv", "fit.png", "report.md", "calibrated/tiny.yaml"):
        assert (out / name).is_file(), name
    fitted = yaml.safe_load((out / "calibrated" / "tiny.yaml").read_text())
    assert 0.002 <= fitted["trust"]["erosion_per_item"] <= 0.01
    assert "| acted_share | 0.2-0.6 |" in (out / "report.md").read_text()
    # Resume: asking for 3 trials in all runs one more, keeping the first two.
    assert main([*args, "--trials", "3"]) == 0
    again = pd.read_csv(out / "trials.csv")
    assert len(again) == 3
    assert again["loss"].iloc[:2].tolist() == trials["loss"].tolist()
    assert "trial 3/3" in capsys.readouterr().err
    # Resuming with other seeds would mix two searches in one journal: refused, files kept.
    assert main([*args, "--trials", "4", "--seeds", "3"]) == 2
    assert "holds a search with other settings" in capsys.readouterr().err
    assert len(pd.read_csv(out / "trials.csv")) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "nosuch"], "unknown calibration 'nosuch'"),
        (["--config", "default", "market.intensty=1"], "market.intensty"),
        (["--config", "default", "--seeds", "1"], "--seeds must be >= 2"),
    ],
)
def test_calibrate_refuses_bad_input_with_one_line(tmp_path, capsys, args, message):
    assert main([*args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()
