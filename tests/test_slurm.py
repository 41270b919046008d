"""The SLURM launcher against a real scheduler (run by ``.ci/slurm.sh``).

Skipped unless ``SIM_SLURM=1`` and ``sinfo`` answers: ``.ci/slurm.sh`` brings up
a single-node cluster with accounting, runs this module, and tears it down.
Checks: several runs per array task (``jobs_per_task=2``) give the same
per-run results as joblib; a task cancelled mid-run (``scancel``) ends the
sweep with one line naming the run and exit status 1; re-running the command
runs only that run, and the resumed sweep's per-run results equal joblib's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        os.environ.get("SIM_SLURM") != "1" or shutil.which("sinfo") is None,
        reason="needs a SLURM cluster: run .ci/slurm.sh",
    ),
]

SWEEP = [
    "+sweep=quick",
    "seed=0,1",
    "scenario=laissez_faire,c2b",
    "market.intensity=1",
]
SLURM = ["hydra/launcher=slurm", "hydra.launcher.mem_gb=1", "hydra.launcher.poll_s=1"]
TIMING = ("wall_seconds", "setup_seconds")


def sweep(
    folder: Path, *extra: str, wait: bool = True
) -> subprocess.CompletedProcess | subprocess.Popen:
    command = [sys.executable, "-m", "sim", "-m", *SWEEP, f"hydra.sweep.dir={folder}", *extra]
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def per_run(folder: Path) -> pd.DataFrame:
    table = pd.read_parquet(folder / "summary.parquet")
    drop = [c for c in table.columns if any(t in c for t in TIMING)]
    return table.drop(columns=drop).sort_values("run").reset_index(drop=True)


SLOW = ["steps=365", "graph.n_users=2000"]  # runs long enough to cancel one mid-run


@pytest.fixture(scope="module")
def joblib_runs(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("joblib")
    done = sweep(folder, *SLOW)
    assert done.returncode == 0, done.stderr
    return per_run(folder)


def test_grouped_slurm_sweep_equals_joblib(tmp_path_factory):
    grouped, single = tmp_path_factory.mktemp("grouped"), tmp_path_factory.mktemp("joblib1")
    done = sweep(grouped, *SLURM, "hydra.launcher.jobs_per_task=2")
    assert done.returncode == 0, done.stderr
    assert "submitting 4 runs in 2 array tasks" in done.stderr
    reference = sweep(single)
    assert reference.returncode == 0, reference.stderr
    pd.testing.assert_frame_equal(per_run(grouped), per_run(single))


def running_task(deadline: float) -> str:
    """The id (``<array>_<task>``) of a task SLURM reports as running."""
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["squeue", "-h", "-r", "-t", "R", "-o", "%i"], capture_output=True, text=True
        ).stdout.split()
        if out:
            return out[0]
        time.sleep(0.5)
    raise AssertionError("no SLURM task started running")


def test_cancelled_task_is_named_and_rerun_alone(tmp_path, joblib_runs):
    slow = SLOW
    process = sweep(tmp_path, *SLURM, *slow, wait=False)
    task = running_task(time.monotonic() + 120)
    subprocess.run(["scancel", task], check=True)
    _, stderr = process.communicate(timeout=400)
    assert process.returncode == 1, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("sim: error: 1 of 4 runs did not finish (0 failed): ")
    # the line names the lost run (its folder may not exist: cancelled before it started)
    unfinished = [last.split("): ", 1)[1].split(";")[0].strip()]
    assert not (tmp_path / unfinished[0] / "summary.json").is_file()
    done = [p / "summary.json" for p in tmp_path.iterdir() if (p / "summary.json").is_file()]
    finished = {p: p.stat().st_mtime_ns for p in done}
    assert len(finished) == 3

    again = sweep(tmp_path, *SLURM, *slow)
    assert again.returncode == 0, again.stderr
    assert "3 of 4 runs finished earlier and are kept; 1 to run" in again.stdout
    assert "submitting 1 runs in 1 array tasks" in again.stderr
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    assert (tmp_path / unfinished[0] / "summary.json").is_file()
    pd.testing.assert_frame_equal(per_run(tmp_path), joblib_runs)


def test_a_frontier_search_spreads_its_trials_over_slurm_tasks(tmp_path):
    out = tmp_path / "frontier"
    command = [
        sys.executable,
        "-m",
        "sim.optimize",
        "--config",
        "quick",
        "--trials",
        "4",
        "--seeds",
        "2",
        "--slurm-tasks",
        "2",
        "--out",
        str(out),
        "steps=15",
        "graph.n_users=150",
        "graph.mean_degree=16",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 SLURM array tasks submitted" in done.stderr
    trials = pd.read_csv(out / "trials.csv")
    # every trial was evaluated by an array task (a task that finds the study full
    # stops; two asking at once may overshoot by one)
    assert 4 <= len(trials) <= 5
    assert trials["worker"].str.startswith("slurm task").all()
    assert "over 2 SLURM array tasks sharing the journal" in (out / "report.md").read_text()
    # resume: asking for one more trial runs only that one, through SLURM again
    again = subprocess.run(
        [*command[:6], str(len(trials) + 1), *command[7:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(pd.read_csv(out / "trials.csv")) in (len(trials) + 1, len(trials) + 2)
