"""Sweeps: job status on disk, the list of jobs a sweep expects, and its callback.

A sweep is a Hydra multirun. Each job writes into
``<sweep_dir>/<override_dirname>`` (for example
``market.intensity=1,scenario=rectify,seed=3``), so the same job always lands
in the same folder. A job is **complete** when its ``summary.json`` is
readable and every file it lists (``config.yaml``, ``timeseries.csv``, the
figure) has the size and SHA-256 recorded there (results are written
atomically, the summary last); a job that failed leaves ``failed.json`` with
the error. Re-running a sweep into the same folder skips
complete jobs, so only missing, failed or interrupted runs run again.

Job return values do not reach the parent under the joblib or submitit
launchers, and ``on_multirun_end`` does not fire when the multirun aborts, so
everything is read back from these files (``sim.study.compare``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import yaml
from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf
from omegaconf._utils import get_yaml_loader

from sim.core.config import flatten
from sim.core.outputs import file_mismatch, write_json

SUMMARY = "summary.json"
FAILED = "failed.json"
CONFIG = "config.yaml"
TIMESERIES = "timeseries.csv"
IGNORED_KEYS = ("progress", "plot")  # do not change results; may differ on resume
MULTIRUN = "multirun.yaml"


def is_complete(job_dir: Path) -> bool:
    """Whether the job in ``job_dir`` finished: a readable ``summary.json`` and its daily table."""
    return damage(job_dir) is None and (job_dir / SUMMARY).is_file()


def damage(job_dir: Path) -> str | None:
    """Why a job folder's ``summary.json`` cannot be read back (None: it can, or none)."""
    summary = job_dir / SUMMARY
    if not summary.is_file():
        return None
    try:
        data = json.loads(summary.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"{summary}: unreadable summary ({error})"
    if not isinstance(data, dict) or not {"scenario", "final", "seed"} <= set(data):
        return f"{summary}: not a run summary"
    files = data.get("files")
    if not isinstance(files, dict) or TIMESERIES not in files:
        # written before summaries listed their files: the daily table must at least be there
        return None if (job_dir / TIMESERIES).is_file() else f"{job_dir / TIMESERIES}: missing"
    return file_mismatch(job_dir, files)


def mark_failed(job_dir: Path, overrides: list[str], error: BaseException) -> None:
    """Leave ``failed.json`` in ``job_dir`` naming the job and its error."""
    write_json(
        {"overrides": overrides, "error": f"{type(error).__name__}: {error}"}, job_dir / FAILED
    )


def clear_failure(job_dir: Path) -> None:
    """Remove the failure marker of an earlier attempt."""
    (job_dir / FAILED).unlink(missing_ok=True)


def override_dirname(overrides: list[str], settings: DictConfig) -> str:
    """Return Hydra's ``hydra.job.override_dirname`` for a job's overrides.

    Uses Hydra's own function (Hydra is pinned to 1.3), so names match exactly.
    """
    return get_overrides_dirname(
        overrides=OverridesParser.create().parse_overrides(overrides),
        exclude_keys=list(settings.exclude_keys),
        item_sep=settings.item_sep,
        kv_sep=settings.kv_sep,
    )


def validate_first_job(sweeper: Any, batch: Sequence[Sequence[str]]) -> None:
    """``hydra/sweeper``'s check of a batch, reduced to composing its first job.

    Hydra's basic sweeper composes every job's config in the launching process
    before launching the batch, to catch a bad override early; the launcher
    then composes each job again where it runs. ``python -m sim -m`` already
    checks every swept value once before Hydra starts (``sim.cli.run``'s
    preflight), so checking each job again only repeats it, serially: about
    0.2 s a job, six minutes of one core for a 2,000-run study with the other
    core idle. One job per batch still catches a damaged environment (an
    unloadable config, a missing plugin) before anything is launched. Used by
    ``hydra_plugins.sim_sweeper.SimSweeper``.
    """
    BasicSweeper.validate_batch_is_legal(sweeper, batch[:1])


def sweep_jobs(settings: DictConfig, overrides: Sequence[str]) -> list[list[str]]:
    """Every job's overrides: the sweep file's ``hydra.sweeper.params``, then the command line's.

    Hydra's own expansion (``BasicSweeper.split_arguments``); ``settings`` is
    the ``hydra`` node of a composed config or of a ``multirun.yaml``.
    """
    params = [f"{key}={value}" for key, value in (settings.sweeper.get("params") or {}).items()]
    arguments = [o for o in chain(params, overrides) if not o.lstrip("+~").startswith("hydra")]
    parsed = OverridesParser.create().parse_overrides(arguments)
    return [list(job) for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def unfinished_batches(batches: list[list[list[str]]], config: DictConfig) -> list[list[list[str]]]:
    """Drop the runs that finished earlier from Hydra's batches, and batches left empty.

    Re-running a finished sweep then launches nothing (no worker pool, no
    per-run lines) and goes straight to aggregation; one line says what was kept.
    """
    sweep_dir = Path(str(config.hydra.sweep.dir))
    naming = config.hydra.job.config.override_dirname
    left = [
        [job for job in batch if not is_complete(sweep_dir / override_dirname(job, naming))]
        for batch in batches
    ]
    total, todo = sum(map(len, batches)), sum(map(len, left))
    LAUNCHED[sweep_dir] = todo
    if todo < total:
        print(f"sweep: {total - todo} of {total} runs finished earlier and are kept; {todo} to run")
    return [batch for batch in left if batch]


def expected_jobs(multirun: DictConfig) -> list[list[str]]:
    """Every job's overrides, from a sweep's ``multirun.yaml`` (Hydra's own expansion)."""
    return sweep_jobs(multirun.hydra, list(multirun.hydra.overrides.task))


def job_dirs(sweep_dir: Path) -> dict[str, list[str]]:
    """Map each expected job's folder name to its overrides.

    Raises:
        ValueError: ``multirun.yaml`` is missing or not a sweep's (one line naming it).

    """
    path = sweep_dir / MULTIRUN
    try:
        multirun = OmegaConf.load(path)
        assert isinstance(multirun, DictConfig)
        settings = multirun.hydra.job.config.override_dirname
        return {override_dirname(job, settings): job for job in expected_jobs(multirun)}
    except Exception as error:  # any damage: YAML syntax, wrong shape, bad overrides
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path}: not a readable multirun.yaml ({first})") from None


def read_status(sweep_dir: Path) -> dict[str, Any]:
    """Which expected jobs are complete, failed, damaged (unreadable results) or missing."""
    jobs = job_dirs(sweep_dir)
    complete = sorted(name for name in jobs if is_complete(sweep_dir / name))
    damaged = {name: reason for name in jobs if (reason := damage(sweep_dir / name)) is not None}
    failed = {}
    for name in jobs:
        marker = sweep_dir / name / FAILED
        if name in complete or name in damaged or not marker.is_file():
            continue
        try:
            failed[name] = json.loads(marker.read_text())["error"]
        except (OSError, ValueError, KeyError, TypeError):
            failed[name] = f"{marker}: unreadable failure record"
    missing = sorted(set(jobs) - set(complete) - set(failed) - set(damaged))
    return {
        "expected": len(jobs),
        "complete": complete,
        "failed": failed,
        "damaged": damaged,
        "missing": missing,
    }


def config_difference(stored: dict[str, Any], current: dict[str, Any]) -> str | None:
    """Name the first key whose value differs between two run configs (None: the same)."""
    old, new = flatten(stored), flatten(current)
    for key in sorted(set(old) | set(new)):
        if key.split(".")[0] in IGNORED_KEYS:
            continue
        if old.get(key, "<absent>") != new.get(key, "<absent>"):
            return f"{key} was {old.get(key, '<absent>')!r}, now {new.get(key, '<absent>')!r}"
    return None


def resume_conflict(sweep_dir: Path, overrides: list[str], settings: DictConfig) -> str | None:
    """Compare each finished run in ``sweep_dir`` with the config it would be run with now.

    Composes once per choice of config groups (scenario, graph, ...) and sets
    the job's plain values on a copy, so a sweep of hundreds of runs is checked
    in a few seconds. Returns the first difference, naming the run folder.
    """
    from sim.run.runner import compose_config, groups  # the runner imports the model: load late
    from sim.run.uncertainty import apply_world  # a study job runs with its world's sampled values

    parser = OverridesParser.create()
    jobs = sweep_jobs(settings, overrides)
    names = settings.job.config.override_dirname
    user_groups = set(groups())
    base: dict[tuple[str, ...], Any] = {}
    for job in jobs:
        folder = sweep_dir / override_dirname(job, names)
        if not is_complete(folder) or not (folder / CONFIG).is_file():
            continue
        chosen = tuple(
            text
            for text, item in zip(job, parser.parse_overrides(job), strict=True)
            if item.key_or_group in user_groups
        )
        if chosen not in base:
            base[chosen] = compose_config(list(chosen))
        current = base[chosen].copy()
        for item in parser.parse_overrides(job):
            if item.key_or_group not in user_groups:
                OmegaConf.update(current, item.key_or_group, item.value(), force_add=True)
        current = apply_world(current, sweep_dir)
        # plain YAML with OmegaConf's own loader: OmegaConf.load builds config nodes
        # (45 ms a run, 13 s for a 280-run grid) that a comparison does not need
        stored = yaml.load((folder / CONFIG).read_text(), Loader=get_yaml_loader())
        difference = config_difference(stored, OmegaConf.to_container(current, resolve=True))
        if difference:
            return f"{folder.name}: {difference}"
    return None


def exit_with_parent(poll_seconds: float = 1.0) -> None:
    """In a sweep worker: exit when the process that started it dies (no orphans).

    Joblib's workers outlive a parent killed with ``kill -9``; a daemon thread
    watches the parent's id and ends the worker once it changes (the worker
    was re-parented). Started once per process; harmless in the main process.
    """
    global _WATCHING
    if _WATCHING:
        return
    _WATCHING = True
    parent = os.getppid()
    if str(os.getpid()) == os.environ.get(MAIN_ENV, ""):
        return

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


_EXPECTED: dict[Path, list[str]] = {}  # per process: a sweep's expected job folders


def progress_counts(sweep_dir: Path) -> tuple[int, int, int, list[float]]:
    """Return ``(done, failed, expected, finish_times)`` for a running sweep, from the files.

    Called after every job, so it must not grow with the square of the sweep:
    the expected folders are read from ``multirun.yaml`` once per process,
    and each folder costs one or two ``stat`` calls (no summary is parsed; the
    full check, ``read_status``, runs at the end). ``finish_times`` are the
    modification times of the finished runs' summaries.
    """
    names = _EXPECTED.get(sweep_dir)
    if names is None:
        names = _EXPECTED[sweep_dir] = list(job_dirs(sweep_dir))
    done = failed = 0
    finished: list[float] = []
    for name in names:
        try:
            finished.append(os.stat(sweep_dir / name / SUMMARY).st_mtime)
            done += 1
        except OSError:
            failed += os.path.isfile(sweep_dir / name / FAILED)
    return done, failed, len(names), finished


ETA_AFTER = 3
"""Finished runs of this sweep before a time left is shown (the first carry start-up)."""


def time_left(finish_times: list[float], started: float, remaining: int) -> float | None:
    """Seconds left, from the pace between this sweep's finished runs (None: too few yet).

    The pace is measured from the first run this sweep finished to the last,
    so worker start-up and the first compile (paid before the first run
    finishes) do not count as run time: counted from the sweep's start, the
    first estimates were 7-8 times too high. Parallel workers finish runs
    closer together, so the pace includes them.
    """
    recent = sorted(t for t in finish_times if t >= started)
    if len(recent) < ETA_AFTER or remaining <= 0 or recent[-1] <= recent[0]:
        return None
    pace = (recent[-1] - recent[0]) / (len(recent) - 1)
    return pace * remaining


def report_progress(sweep_dir: Path) -> None:
    """Print one line: runs done of the total, failures so far, and the time left."""
    try:
        done, failed, total, finished = progress_counts(sweep_dir)
    except ValueError:
        return
    started = _sweep_start()
    line = f"sweep: {done + failed}/{total} runs done, {failed} failed"
    left = None if started is None else time_left(finished, started, total - done - failed)
    if left is not None:
        line += f", about {_duration(left)} left"
    print(line, flush=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _sweep_start() -> float | None:
    try:
        return float(os.environ.get(START_ENV, ""))
    except ValueError:
        return None


def mark_sweep_start(sweep_dir: Path) -> None:
    """Record for the workers (in the environment) when this sweep (or its resume) started.

    Runs that finished before it do not count toward the pace of the time left.
    """
    os.environ[START_ENV] = str(time.time())


START_ENV = "SIM_SWEEP_START"
MAIN_ENV = "SIM_MAIN_PID"  # set by the CLI: the process that launches the sweep
_WATCHING = False
SWEEPS_STARTED: list[Path] = []
LAUNCHED: dict[Path, int] = {}  # per sweep folder: runs this process launched (the sweeper)
