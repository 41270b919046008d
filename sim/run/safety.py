"""Run-folder safety: a run removes only what it created, and never mixes with another run.

Before Hydra starts, the CLI resolves the run folder once (``plan_run``) and
pins it, so the folder checked is the folder used. The plan records which
folders and files existed before the run; ``RunPlan.discard`` (after a failure
or Ctrl-C) removes only the files a run writes that were not there before, and
only the folders the run itself created. A folder that already holds a run's
results is refused, not reused: runs are never mixed and nothing of an earlier
run is overwritten (README, "Failure and resume").

Environment faults (a path that is a file, an unwritable folder, a read-only
file system, too little memory for the graph) are turned into one line here.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sim.core.config import ConfigError, GraphConfig

# What a single run writes into its folder (Hydra's ``.hydra`` and log included).
RUN_OUTPUTS = (".hydra", "timeseries.csv", "timeseries.png", "summary.json")
CLAIM = ".hydra"  # the folder whose creation claims a run folder (``RunPlan.claim``)

# Memory estimate of a run (docs/PERFORMANCE.md, stop 29: 500M arcs and 10M users
# -> 11,565 MiB peak RSS, 50M arcs and 1M users -> 1,396 MiB): a fixed
# interpreter + libraries part, then bytes per directed arc (the arc table's
# 17, and the day's index arrays) and per user (146 of state, and temporaries).
# It errs high: 13.3 GB for the ten-million-user year (12.1 measured), 1.55 GB
# for the million-user one (1.46).
BASE_BYTES = 250e6
BYTES_PER_ARC = 22.0
BYTES_PER_USER = 200.0

# Disk a run writes (measured 2026-12-06: a 365-day run's timeseries.csv 95.6 kB,
# timeseries.png 213 kB, summary and configs 8 kB): a fixed part, bytes per day
# (the daily table, and its share of a sweep's timeseries.parquet), the figure.
RUN_FILE_BYTES = 16e3
RUN_BYTES_PER_DAY = 600.0
FIGURE_BYTES = 250e3
SWEEP_FILE_BYTES = 3e6  # a sweep's plots, report and tables beyond its runs


@dataclass
class RunPlan:
    """A run folder and what existed in it before the run."""

    folder: Path
    existed_before: set[str] = field(default_factory=set)
    created: list[Path] = field(default_factory=list)

    def claim(self) -> None:
        """Claim the folder for this run, atomically, before Hydra writes into it.

        The check in ``plan_run`` and the first write are apart in time: two
        runs started together into one folder both passed the check and then
        wrote into it, each exiting 0 with the other's files mixed in. Creating
        ``.hydra`` is the claim: ``mkdir`` succeeds for exactly one process, on
        any file system, and ``.hydra`` is where Hydra writes first anyway.

        Raises:
            ConfigError: another run claimed the folder since it was checked.

        """
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            (self.folder / CLAIM).mkdir()
        except FileExistsError:
            raise ConfigError(
                f"hydra.run.dir: another run started writing into {self.folder} just now; "
                "choose a new folder (runs are never mixed or overwritten)"
            ) from None

    def discard(self) -> None:
        """Remove what this run wrote (never a file or folder that was there before)."""
        if self.folder.is_dir():
            for entry in self.folder.iterdir():
                if entry.name in self.existed_before or not _is_run_output(entry.name):
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        for folder in self.created:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                break


def _is_run_output(name: str) -> bool:
    return name in RUN_OUTPUTS or name.endswith(".log") or name.endswith(".tmp")


def writable_folder(path: Path, key: str) -> list[Path]:
    """Check ``path`` can be created and written; return the folders that would be created.

    Raises:
        ConfigError: one line naming the path and the reason.

    """
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        if probe.is_symlink():
            raise ConfigError(f"{key}: {probe} is a broken link")
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"{key}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        reason = "is on a read-only file system" if _read_only(probe) else "is not writable"
        raise ConfigError(f"{key}: {probe} {reason}")
    return missing


def run_bytes(steps: int, plot: bool) -> float:
    """Estimated bytes one run writes (its files, and its share of a sweep's tables)."""
    return RUN_FILE_BYTES + RUN_BYTES_PER_DAY * steps + (FIGURE_BYTES if plot else 0.0)


def check_disk(path: Path, need: float, key: str) -> None:
    """Refuse to start when the file system of ``path`` has less free space than ``need``.

    Raises:
        ConfigError: one line with what is free and what the command writes.

    """
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return  # not measurable here: the writes themselves will say
    if free < need:
        raise ConfigError(
            f"{key}: {path} has {_megabytes(free)} free; this writes about {_megabytes(need)} "
            "(free some space or choose another folder)"
        )


def _megabytes(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def output_folder(path: str | Path, flag: str) -> Path:
    """Check a command's output folder before any work starts; return it.

    Raises:
        ConfigError: one line: the path (or a folder on it) is a file, not writable.

    """
    folder = Path(path)
    writable_folder(folder, flag)
    return folder


def output_file(path: str | Path, flag: str) -> Path:
    """Check a command's output file before any work starts; return it.

    Raises:
        ConfigError: one line: the path is a folder, or its folder cannot be written.

    """
    file = Path(path)
    if file.is_dir():
        raise ConfigError(f"{flag}: {file} is a folder; give a file name")
    writable_folder(file.parent, flag)
    return file


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def plan_run(path: str) -> RunPlan:
    """Check a single run's folder before anything is written, and record what is there.

    Raises:
        ConfigError: empty path, a file, unwritable, or already holding a run's results.

    """
    if not path.strip():
        raise ConfigError("hydra.run.dir must not be empty (use . for the current folder)")
    folder = Path(path)
    created = writable_folder(folder, "hydra.run.dir")
    existing = {entry.name for entry in folder.iterdir()} if folder.is_dir() else set()
    taken = sorted(existing.intersection(RUN_OUTPUTS))
    if taken:
        raise ConfigError(
            f"hydra.run.dir: {folder} already holds a run's results ({', '.join(taken)}); "
            "choose a new folder (runs are never mixed or overwritten)"
        )
    return RunPlan(folder=folder, existed_before=existing, created=created)


def available_memory() -> int:
    """Bytes of memory available to a new process (``psutil``'s estimate)."""
    import psutil

    return int(psutil.virtual_memory().available)


def estimate_memory(graph: GraphConfig) -> float:
    """Estimated peak bytes of a run on ``graph`` (generated families; files by size)."""
    if graph.kind == "edgelist":
        try:
            size = Path(str(graph.path)).stat().st_size
        except OSError:
            return BASE_BYTES
        arcs = 2 * size / 8  # an edge line is at least ~8 bytes; two arcs per edge
        return BASE_BYTES + BYTES_PER_ARC * arcs
    if graph.kind == "karate":
        return BASE_BYTES
    return (
        BASE_BYTES
        + BYTES_PER_ARC * graph.n_users * graph.mean_degree
        + (BYTES_PER_USER * graph.n_users)
    )


def check_memory(graph: GraphConfig, available: int | None = None) -> None:
    """Refuse a run whose estimated memory exceeds what is available.

    Raises:
        ConfigError: one line with the estimate and what is available.

    """
    need = estimate_memory(graph)
    have = available_memory() if available is None else available
    if need > have:
        raise ConfigError(
            f"graph.n_users={graph.n_users:,} x graph.mean_degree={graph.mean_degree:g} needs "
            f"about {need / 1e9:,.1f} GB of memory; {have / 1e9:,.1f} GB is available"
        )
