"""Nothing lost, nothing silent (issue 11): run folders, resume, damaged runs, faults, help."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import matplotlib.pyplot as plt
import pandas as pd
import psutil
import pytest
from omegaconf import OmegaConf

from sim.core.config import ConfigError
from sim.figures.plotting import timeseries_figure
from sim.run.runner import compose_config, simulate, summary_table, to_sim_config
from sim.run.safety import RunPlan, check_memory, plan_run
from sim.run.signals import stop_of
from sim.run.sweep import config_difference

from .conftest import SMALL

TINY_SWEEP = [
    "scenario=laissez_faire,rectify",
    "seed=0",
    "steps=20",
    "graph.n_users=200",
    "graph.mean_degree=20",
    "progress=false",
    "plot=false",
]


def sim(*args, cwd, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line_error(out, expected, status=2):
    lines = out.stderr.strip().splitlines()
    assert out.returncode == status, out.stderr
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("sim: error:") and expected in lines[0], lines[0]


# 1. A failed or interrupted run removes only what it created.
def catches_sigterm(pid):
    """Whether the process has its own SIGTERM handler (``sim.run.signals.install`` ran)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            caught = next(line for line in status if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) >> (signal.SIGTERM - 1) & 1)


def start_and_signal(tmp_path, signum, moment, folders=("d", "new/deep")):
    """Start one run per folder and send ``signum`` to each at ``moment``.

    ``start``: as soon as the command has taken over signals, in its first
    instruction's wake (the imports that follow take seconds); ``running``:
    once Hydra has written ``.hydra`` and the days are running.
    """
    args = ["graph.n_users=2000", "graph.mean_degree=40", "steps=60000", "progress=false"]
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "sim", *args, f"hydra.run.dir={name}"],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in folders
    }
    deadline = time.time() + 60
    for name, proc in procs.items():
        if moment == "start":
            while time.time() < deadline and not catches_sigterm(proc.pid):
                time.sleep(0.001)
        else:
            while time.time() < deadline and not (tmp_path / name / ".hydra").is_dir():
                time.sleep(0.05)
            time.sleep(1.0)
        proc.send_signal(signum)
    return {name: (proc.wait(timeout=120), proc.stderr.read()) for name, proc in procs.items()}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("moment", ["start", "running"])
def test_a_signal_at_any_moment_ends_the_run_one_way(tmp_path, signum, moment):
    mine = tmp_path / "d"
    mine.mkdir()
    (mine / "lab.log").write_text("notes\n")
    ended = start_and_signal(tmp_path, signum, moment)
    for status, err in ended.values():
        assert status == 128 + signum, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("sim: interrupted"), err
        assert signal.Signals(signum).name in lines[0]
    assert sorted(p.name for p in mine.iterdir()) == ["lab.log"]
    assert (mine / "lab.log").read_text() == "notes\n"
    assert not (tmp_path / "new").exists()  # folders the run created are gone


def test_discard_removes_only_new_run_outputs(tmp_path):
    (tmp_path / "notes.log").write_text("mine")
    (tmp_path / "data.csv").write_text("mine")
    plan = plan_run(str(tmp_path))
    (tmp_path / ".hydra").mkdir()
    (tmp_path / "timeseries.csv").write_text("run")
    (tmp_path / "sim.log").write_text("run")
    plan.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "notes.log"]
    RunPlan(folder=tmp_path, existed_before=set()).discard()  # never a non-output file
    assert tmp_path.is_dir() and (tmp_path / "data.csv").exists()


# 2. A folder holding another run's results is refused; two runs started together never mix.
def test_runs_started_together_into_one_folder_never_mix(tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "sim", *SMALL, f"seed={seed}", "plot=false", "hydra.run.dir=d"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(4)
    ]
    outs = [(proc, *proc.communicate(timeout=300)) for proc in procs]
    winners = [seed for seed, (proc, _, _) in enumerate(outs) if proc.returncode == 0]
    assert len(winners) == 1, [(p.returncode, err) for p, _, err in outs]
    for proc, _, err in outs:
        if proc.returncode != 0:
            assert proc.returncode == 2 and len(err.strip().splitlines()) == 1, err
            assert "hydra.run.dir" in err and "choose a new folder" in err
    folder = tmp_path / "d"
    summary = json.loads((folder / "summary.json").read_text())
    config = OmegaConf.load(folder / ".hydra" / "config.yaml")
    assert summary["seed"] == config.seed == winners[0]
    rerun = simulate(compose_config([*SMALL, f"seed={winners[0]}"]), progress=False)
    assert (folder / "timeseries.csv").read_text() == rerun.timeseries.to_csv(
        index=False, lineterminator="\n"
    )


def test_of_two_claims_on_one_folder_only_the_first_wins(tmp_path):
    first, second = plan_run(str(tmp_path / "d")), plan_run(str(tmp_path / "d"))
    first.claim()
    with pytest.raises(ConfigError, match="another run started writing into"):
        second.claim()
    assert (tmp_path / "d" / ".hydra").is_dir()


# 2b. A folder holding another run's results is refused.
def test_a_folder_with_a_run_is_refused_and_left_alone(tmp_path):
    first = sim(*SMALL, "hydra.run.dir=d", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "d").iterdir()}
    again = sim(*SMALL, "seed=1", "hydra.run.dir=d", cwd=tmp_path)
    one_line_error(again, "already holds a run's results")
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "d").iterdir()} == before


# 3. Sweep folders do not collide; resume compares configs.
def test_default_sweep_folders_are_unique_to_the_microsecond():
    settings = compose_config([], with_hydra=True).hydra
    raw = OmegaConf.to_container(settings.sweep, resolve=False)["dir"]
    assert raw.endswith("%S-%f}")  # seconds alone let two sweeps share a folder


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reliability") / "sweep"
    out = sim("-m", *TINY_SWEEP, f"hydra.sweep.dir={folder}", cwd=folder.parent)
    assert out.returncode == 0, out.stderr
    return folder, out


@pytest.mark.slow  # a sweep end to end (-m 'not slow' skips it)
def test_resume_with_another_config_is_refused(tiny_sweep, tmp_path):
    folder, _ = tiny_sweep
    copy = tmp_path / "sweep"
    subprocess.run(["cp", "-r", str(folder), str(copy)], check=True)
    run = sorted(p for p in copy.iterdir() if (p / "config.yaml").is_file())[-1]
    text = (run / "config.yaml").read_text()
    made_otherwise(run, text.replace("steps: 20", "steps: 25"))
    out = sim("-m", *TINY_SWEEP, f"hydra.sweep.dir={copy}", cwd=tmp_path)
    one_line_error(out, f"{run.name}: steps was 25, now 20")
    made_otherwise(run, text)
    same = sim("-m", *TINY_SWEEP, f"hydra.sweep.dir={copy}", cwd=tmp_path)
    assert same.returncode == 0 and "2 of 2 runs finished earlier and are kept" in same.stdout


@pytest.mark.slow  # a sweep end to end (-m 'not slow' skips it)
def test_a_finished_sweep_run_again_only_says_so(tiny_sweep, tmp_path):
    folder, _ = tiny_sweep
    copy = tmp_path / "sweep"
    subprocess.run(["cp", "-rp", str(folder), str(copy)], check=True)  # -p: times kept
    report = (copy / "report.md").stat().st_mtime_ns
    out = sim("-m", *TINY_SWEEP, f"hydra.sweep.dir={copy}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = (out.stdout + out.stderr).strip().splitlines()
    assert len(lines) == 2, lines  # what was kept; that nothing is new
    assert "2 of 2 runs finished earlier and are kept; 0 to run" in lines[0]
    assert "nothing new; its tables, figures and report are up to date" in lines[1]
    assert (copy / "report.md").stat().st_mtime_ns == report


@pytest.mark.slow  # three sweeps end to end (-m 'not slow' skips it)
def test_a_sweep_over_runs_that_other_sweeps_made_aggregates_them_all(tmp_path):
    """Each policy run by a sweep of its own, then both at once: the last launches
    nothing, and its report is of both runs, not of the last sweep's one."""
    folder = tmp_path / "sweep"
    for scenario in ("laissez_faire", "rectify"):
        out = sim(
            "-m", f"scenario={scenario}", *TINY_SWEEP[1:], f"hydra.sweep.dir={folder}", cwd=tmp_path
        )
        assert out.returncode == 0, out.stderr
    assert "Runs expected 1, finished 1" in (folder / "report.md").read_text()
    out = sim("-m", *TINY_SWEEP, f"hydra.sweep.dir={folder}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "2 of 2 runs finished earlier and are kept; 0 to run" in out.stdout
    assert "nothing new" not in out.stdout
    assert "Runs expected 2, finished 2" in (folder / "report.md").read_text()


def test_time_left_follows_the_pace_once_three_runs_finished():
    from sim.run.sweep import time_left

    start = 1_000.0
    finished = [start + 12.0, start + 13.0, start + 14.0]  # 12 s of start-up, then 1 s a run
    assert time_left(finished[:2], start, remaining=20) is None  # too few to tell
    left = time_left(finished, start, remaining=20)
    assert 10.0 <= left <= 40.0  # the truth, 20 s, within a factor of two
    assert time_left([start - 50.0, *finished], start, remaining=20) == left  # earlier runs


def made_otherwise(run, config_text):
    """Give a finished run another config.yaml, as if it had been run with that config."""
    from sim.core.outputs import file_record

    (run / "config.yaml").write_text(config_text)
    summary = json.loads((run / "summary.json").read_text())
    summary["files"]["config.yaml"] = file_record(run / "config.yaml")
    (run / "summary.json").write_text(json.dumps(summary))


def test_config_difference_names_the_first_key():
    assert config_difference({"a": {"b": 1}, "plot": True}, {"a": {"b": 1}, "plot": False}) is None
    assert config_difference({"a": {"b": 1}}, {"a": {"b": 2}}) == "a.b was 1, now 2"


# 4. Damaged runs are listed, the rest aggregated, the exit status non-zero.
@pytest.mark.slow  # a sweep end to end (-m 'not slow' skips it)
def test_damaged_runs_are_reported_and_the_rest_aggregated(tiny_sweep, tmp_path):
    folder, _ = tiny_sweep
    copy = tmp_path / "sweep"
    subprocess.run(["cp", "-r", str(folder), str(copy)], check=True)
    runs = sorted(p for p in copy.iterdir() if (p / "summary.json").is_file())
    (runs[0] / "timeseries.csv").unlink()
    out = sim("compare", str(copy), cwd=tmp_path)
    one_line_error(out, f"{runs[0] / 'timeseries.csv'}", status=1)
    assert len(pd.read_parquet(copy / "summary.parquet")) == len(runs) - 1
    assert runs[0].name in (copy / "report.md").read_text()
    (runs[1] / "summary.json").write_text("{ not json")
    out = sim("compare", str(copy), cwd=tmp_path)
    assert out.returncode == 1 and str(runs[1] / "summary.json") in out.stderr
    assert not (copy / "summary.parquet").exists()  # no stale table of an earlier aggregation
    (copy / "multirun.yaml").write_text("hydra: [unclosed\n")
    out = sim("compare", str(copy), cwd=tmp_path)
    assert out.returncode == 2 and "multirun.yaml" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow  # a sweep end to end (-m 'not slow' skips it)
def test_resume_recomputes_a_run_whose_files_are_not_whole(tiny_sweep, tmp_path):
    folder, _ = tiny_sweep
    copy = tmp_path / "sweep"
    subprocess.run(["cp", "-r", str(folder), str(copy)], check=True)
    run = sorted(p for p in copy.iterdir() if (p / "summary.json").is_file())[0]
    whole = (run / "timeseries.csv").read_bytes()
    (run / "timeseries.csv").write_bytes(whole[: len(whole) // 2])  # the summary stays intact
    out = sim("-m", *TINY_SWEEP, f"hydra.sweep.dir={copy}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"recomputing a damaged run: {run / 'timeseries.csv'}" in out.stderr
    assert "1 of 2 runs finished earlier and are kept; 1 to run" in out.stdout
    assert (run / "timeseries.csv").read_bytes() == whole
    assert len(pd.read_parquet(copy / "summary.parquet")) == 2


def test_a_run_is_finished_only_when_every_file_it_lists_is_whole(tmp_path):
    from sim.run.runner import write_results
    from sim.run.sweep import damage, is_complete

    result = simulate(compose_config(list(SMALL)), progress=False)
    write_results(result, tmp_path, plot=True)
    assert is_complete(tmp_path) and damage(tmp_path) is None
    listed = json.loads((tmp_path / "summary.json").read_text())["files"]
    assert set(listed) == {"timeseries.csv", "timeseries.png"}
    for name in listed:
        original = (tmp_path / name).read_bytes()
        (tmp_path / name).write_bytes(original[:-10])
        assert not is_complete(tmp_path) and name in damage(tmp_path)
        (tmp_path / name).unlink()
        assert damage(tmp_path).endswith(f"{name}: missing")
        (tmp_path / name).write_bytes(original)
        assert is_complete(tmp_path)


# 5. Values that used to slip through validation.
@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["market.intensity=inf"], "market.intensity must be a finite number"),
        (["market.intensity=nan"], "market.intensity must be a finite number"),
        (["market.order_value=inf"], "market.order_value must be a finite number"),
        (["users.organic_rate=inf"], "users.organic_rate must be a finite number"),
        (["scenario=rectify", "policy.enforcement=2"], "policy.enforcement must be true or false"),
        (["+market.intesity=3"], "did you mean market.intensity?"),
        (["graph.n_users=600", "graph.mean_degree=599"], "mean degree of 300"),
        (["graph.n_users=600", "graph.mean_degree=0.5"], "mean degree of 2"),
        (["scenario=rectify_schema"], "unknown scenario 'rectify_schema'"),
    ],
)
def test_validation_holds_for_every_value(overrides, expected):
    with pytest.raises(ConfigError, match=expected.replace("?", r"\?")):
        to_sim_config(compose_config(overrides))


def test_empty_run_dir_is_refused():
    with pytest.raises(ConfigError, match="must not be empty"):
        plan_run("")


# 6. Size before memory; 7. the environment's errors are one line.
def test_a_graph_too_big_is_refused_before_it_is_built(tmp_path):
    cfg = to_sim_config(compose_config(["graph.n_users=1000000000"]))
    with pytest.raises(ConfigError, match=r"GB of memory; 1\.0 GB is available"):
        check_memory(cfg.graph, available=10**9)
    out = sim("graph.n_users=1000000000", cwd=tmp_path, timeout=60)
    one_line_error(out, "GB of memory")
    assert not any(tmp_path.iterdir())


def test_an_output_folder_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "taken").write_text("a file")
    out = sim(*SMALL, "hydra.run.dir=taken/run", cwd=tmp_path)
    one_line_error(out, "taken is a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_is_one_line(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    out = sim(*SMALL, "hydra.run.dir=locked/run", cwd=tmp_path)
    one_line_error(out, "is not writable")


# 8. Killed sweeps leave no orphans.
@pytest.mark.slow  # a sweep end to end (-m 'not slow' skips it)
def test_workers_exit_when_the_sweep_is_killed(tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "-m",
            "seed=0,1,2,3",
            "graph.n_users=2000",
            "graph.mean_degree=40",
            "steps=60000",
            "progress=false",
            "plot=false",
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent = psutil.Process(proc.pid)
    sweep_dir = tmp_path / "sweep"
    deadline = time.time() + 120
    while time.time() < deadline and (
        not sweep_dir.is_dir() or sum(p.is_dir() for p in sweep_dir.iterdir()) < 2
    ):
        time.sleep(0.5)
    time.sleep(2.0)  # both workers are inside their runs
    children = parent.children(recursive=True)
    assert len(children) >= 2, "no joblib workers started"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    _, alive = psutil.wait_procs(children, timeout=20)
    for process in alive:
        process.kill()
    assert not alive, [" ".join(p.cmdline())[-80:] for p in alive]


# 9-11. A command line that explains itself.
def test_help_explains_the_tool_without_schema_entries(tmp_path):
    out = sim("--help", cwd=tmp_path)
    assert out.returncode == 0
    assert "+sweep=quick" in out.stdout and "sim compare" in out.stdout
    assert "bench" in out.stdout and "separate_shop" in out.stdout
    assert "schema" not in out.stdout and "powered by Hydra" not in out.stdout
    done = complete_in_bash(tmp_path, "sim scenario=")
    assert "scenario=rectify" in done.stdout and "schema" not in done.stdout


def complete_in_bash(cwd, line, point=None):
    """Ask ``sim`` for bash's completions of ``line`` (as bash would, through COMP_LINE)."""
    env = {**os.environ, "COMP_LINE": line}
    if point is not None:
        env["COMP_POINT"] = str(point)
    return subprocess.run(
        [sys.executable, "-m", "sim", "-sc", "query=bash"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [("sim run scenario=", "scenario=rectify"), ("sim co", "compare"), ("sim dock --s", "")],
)
def test_tab_completion_knows_the_commands(tmp_path, line, expected):
    done = complete_in_bash(tmp_path, line, point=len(line))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-500:]
    assert expected in done.stdout.split() if expected else not done.stdout.strip()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["scenario", "rectify"], "write scenario=VALUE"),
        (["-m", "sweep=quick"], "add it with +sweep=NAME"),
        (["market.intesity=3"], "did you mean market.intensity?"),
        (["policy.daily_cap=5"], "belongs to scenario=rectify"),
        (["--config-name=bogus"], "unknown config 'bogus'; sim has one, 'config'"),
        (["--config-path=/tmp"], "sim's configs ship with it"),
        (["+new.key=1"], "unknown key new.key; see python -m sim --cfg job ('+' adds a key"),
        (["++market.newkey=1"], "'+' adds a key nothing reads"),
        (["scenario=réctify"], "needs quotes around a value with spaces, accents or symbols"),
    ],
)
def test_errors_teach(tmp_path, args, expected):
    one_line_error(sim(*args, cwd=tmp_path, timeout=120), expected)
    assert not any(tmp_path.iterdir())


def test_paths_with_spaces_and_accents_just_work(tmp_path):
    (tmp_path / "réseau d'amis.txt").write_text("a b\nb c\nc a\nc d\n")
    out = sim(
        "graph=edgelist",
        f"graph.path={tmp_path / "réseau d'amis.txt"}",
        "steps=3",
        "progress=false",
        "plot=false",
        "hydra.run.dir=résultats/mon essai",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "résultats" / "mon essai" / "summary.json").is_file()


def special_files(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "one_line.txt").write_text(" ".join(map(str, range(1_000_000))) + "\n")
    (tmp_path / "wide.txt").write_text("1 2\n" + " ".join(map(str, range(40))) + "\n")
    return {
        "folder": (tmp_path, "is a folder, not an edge-list file"),
        "fifo": (tmp_path / "fifo", "is a FIFO, not a regular edge-list file"),
        "loop": (tmp_path / "loop1", "Too many levels of symbolic links"),
        "device": ("/proc/self/mem", "/proc/self/mem cannot be read (Input/output error)"),
        "one line": (tmp_path / "one_line.txt", "line 1 is longer than 65,536 characters"),
        "columns": (tmp_path / "wide.txt", "line 2: expected two node labels (and at most 14"),
    }


@pytest.mark.parametrize("case", ["folder", "fifo", "loop", "device", "one line", "columns"])
def test_a_graph_file_that_makes_no_graph_is_refused(tmp_path, case):
    from sim.cli.run import check_inputs

    path, expected = special_files(tmp_path)[case]
    config = to_sim_config(compose_config(["graph=edgelist", f"graph.path={path}"]))
    with pytest.raises(ConfigError, match=re.escape(expected)):
        check_inputs(config)  # the command line's check, before any work


def test_a_special_file_as_graph_is_one_line_and_nothing_written(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    path, expected = special_files(inputs)["fifo"]
    out = sim("graph=edgelist", f"graph.path={path}", "hydra.run.dir=run", cwd=tmp_path)
    one_line_error(out, expected)
    assert not (tmp_path / "run").exists()


def test_every_number_in_a_summary_is_finite_or_null(tmp_path):
    out = sim(*SMALL, "market.order_value=1e308", "plot=false", "hydra.run.dir=r", cwd=tmp_path)
    assert out.returncode == 0, out.stderr

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    summary = json.loads((tmp_path / "r" / "summary.json").read_text(), parse_constant=refuse)
    assert summary["final"]["gmv_cum"] is None and summary["platform"]["gmv"] is None


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["sim.bench", "--quick", "--out", "taken"], "--out: taken is a file, not a folder"),
        (["sim.dock", "--markdown", "."], "--markdown: . is a folder; give a file name"),
        (["sim.dock", "--plot", "taken/bass.png"], "--plot: taken is a file, not a folder"),
        (["sim.optimize", "--out", "taken"], "--out: taken is a file, not a folder"),
    ],
)
def test_a_bad_output_path_is_refused_before_any_work(tmp_path, command, expected):
    (tmp_path / "taken").write_text("a file")
    out = subprocess.run(
        [sys.executable, "-m", *command], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2 and expected in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


@pytest.fixture
def small_disk(tmp_path):
    """A 50 MB file system of its own with ``inodes`` files at most (root only: mount)."""
    mounted = []

    def mount(size="50m", inodes=1000):
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},nr_inodes={inodes}", "tmpfs", point],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small file system here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", point], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_a_sweep_with_no_room_is_refused_before_it_starts(tmp_path, small_disk):
    disk = small_disk(size="300k")
    out = sim("-m", *TINY_SWEEP, f"hydra.sweep.dir={disk / 'sweep'}", cwd=tmp_path)
    one_line_error(out, "MB free; this writes about")
    assert not any(disk.iterdir())


@pytest.mark.slow  # a sweep end to end (-m 'not slow' skips it)
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_a_disk_that_fills_during_a_sweep_ends_in_lines_not_tracebacks(tmp_path, small_disk):
    disk = small_disk(inodes=8)  # room in bytes, but files run out after the first run
    args = [*TINY_SWEEP[:1], "seed=0,1", *TINY_SWEEP[2:]]
    out = sim("-m", *args, f"hydra.sweep.dir={disk / 'sweep'}", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr and all(line.startswith("sim: ") for line in lines)
    assert any("No space left on device" in line for line in lines)
    # the tables could not be written: no line points the user to a report that is not there
    assert not any("report.md" in line for line in lines)


def test_compare_prints_plain_numbers(tiny_sweep, tmp_path):
    folder, _ = tiny_sweep
    out = sim("compare", str(folder), "--intensity", "5", cwd=tmp_path)
    assert out.returncode == 2 and "(has 1)" in out.stderr and "np.float64" not in out.stderr


def test_a_sweep_shows_progress(tiny_sweep):
    _, out = tiny_sweep
    assert "sweep: 1/2 runs done, 0 failed" in out.stdout
    assert "sweep: 2/2 runs done, 0 failed" in out.stdout


# 12. Policy-aware summary and figure; a run without sellers does not crash.
def test_summary_and_figure_are_policy_aware():
    shop = simulate(compose_config([*SMALL, "scenario=separate_shop"]), progress=False)
    plain = simulate(compose_config(list(SMALL)), progress=False)
    assert "shop follows" in summary_table(shop.summary)
    assert "shop follows" not in summary_table(plain.summary)
    assert "bans" in summary_table({**plain.summary, "scenario": "rectify"})
    table = summary_table(plain.summary)
    # readable names with units, the seller pressure, and the command that compares
    assert table.splitlines()[0].startswith("laissez-faire (seed 0")
    assert "seller pressure" in table and "marketing items read per non-seller per day" in table
    assert "GMV, net of disappointment" in table and "yuan" in table
    assert "_cum" not in table and "+sweep=quick" in table.splitlines()[-1]
    shop_figure, plain_figure = (
        timeseries_figure(shop.timeseries),
        timeseries_figure(plain.timeseries),
    )
    assert len(shop_figure.axes) == 7 and len(plain_figure.axes) == 6  # follows get their own axis
    labels = [label for ax in plain_figure.axes for label in ax.get_legend_handles_labels()[1]]
    assert "bans" not in labels and "shop follows" not in labels
    plt.close("all")


def test_a_run_without_sellers_ends_cleanly(tmp_path):
    out = sim("graph=karate", "sellers.initial_fraction=0.1", "hydra.run.dir=k", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "n/a" in out.stdout
    summary = json.loads((tmp_path / "k" / "summary.json").read_text())
    # 13. Provenance.
    assert isinstance(summary["git_dirty"], bool | None)
    assert set(summary["versions"]) == {"python", "numpy", "mesa", "networkx", "hydra-core"}


def test_an_error_caused_by_ctrl_c_counts_as_an_interrupt():
    # numba wraps a KeyboardInterrupt that lands while it loads compiled code
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise SystemError("returned a result with an exception set") from interrupt
    except SystemError as error:
        assert stop_of(error) is not None
    assert stop_of(SystemError("a real fault")) is None


def test_run_figures_do_not_draw_noise_as_events():
    """Shares on [0, 1]; throttles and bans on their own axis, not beside thousands of mutes."""
    result = simulate(
        compose_config([*SMALL, "scenario=rectify", "market.intensity=3"]), progress=False
    )
    assert result.summary["final"]["penalties_cum"] > 0
    figure = timeseries_figure(result.timeseries)
    by_title = {ax.get_title(): ax for ax in figure.axes if ax.get_title()}
    assert by_title["Feed and experience"].get_ylim() == (0.0, 1.0)
    assert by_title["Users"].get_ylim() == (0.0, 1.0)
    responses = by_title["Responses (cumulative)"]
    left = {line.get_label() for line in responses.get_lines()}
    assert "mutes" in left and "throttles" not in left and "bans" not in left
    twins = [
        ax
        for ax in figure.axes
        if ax is not responses and ax.get_position().bounds == responses.get_position().bounds
    ]
    assert any("throttles" in {line.get_label() for line in ax.get_lines()} for ax in twins)
    plt.close("all")
