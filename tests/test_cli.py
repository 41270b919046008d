"""The command line end to end, in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import SMALL


def sim(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_cli_runs_a_scenario_into_results(tmp_path):
    out = sim("scenario=rectify", *SMALL, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    runs = list((tmp_path / "results" / "runs" / "rectify").iterdir())
    assert len(runs) == 1
    files = {p.name for p in runs[0].iterdir()}
    assert {"timeseries.csv", "summary.json", "timeseries.png", ".hydra"} <= files
    assert json.loads((runs[0] / "summary.json").read_text())["scenario"] == "rectify"
    assert "results:" in out.stdout and "orders" in out.stdout
    assert "Traceback" not in out.stderr


def test_cli_honours_hydra_run_dir(tmp_path):
    out = sim(*SMALL, "hydra.run.dir=mine", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "mine" / "timeseries.csv").is_file()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["scenario=rectfy"], "unknown scenario 'rectfy'; available: c2b, laissez_faire, rectify"),
        (["market.intensity=abc"], "could not be converted to Float"),
        (["sellers.rate_median=-1"], "sellers.rate_median must be >= 0"),
        (["no_such_key=1"], "no_such_key"),
        (["graph=edgelist", "graph.path=missing.txt"], "no such edge-list file"),
        (["graph=edgelist", "graph.path=bad.txt"], "bad.txt line 2"),
        (["graph=edgelist"], "graph.path"),
    ],
)
def test_bad_input_fails_in_one_line_and_leaves_no_results(tmp_path, args, expected):
    (tmp_path / "bad.txt").write_text("1 2\n3\n")
    out = sim(*args, *SMALL, cwd=tmp_path)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("sim: error:") and expected in lines[0]
    assert not (tmp_path / "results").exists()
