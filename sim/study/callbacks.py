"""Hydra callback of every multirun: progress after each run, aggregation at the end.

Kept apart from ``sim.run.sweep`` (job status on disk) and ``sim.study.compare`` (the
aggregation) so that neither imports the other back: ``compare`` reads
``sweep``, and this module uses both.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.run.sweep import (
    LAUNCHED,
    SUMMARY,
    SWEEPS_STARTED,
    mark_sweep_start,
    read_status,
    report_progress,
)
from sim.run.uncertainty import is_study, write_sample


class AggregateOnMultirunEnd(Callback):
    """Hydra callback: report progress after each run, aggregate when the multirun ends."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Remember the sweep folder, so it can be aggregated even if the multirun aborts."""
        folder = Path(config.hydra.sweep.dir)
        SWEEPS_STARTED.append(folder)
        mark_sweep_start(folder)
        if is_study(config):  # an uncertainty study: draw its sample once into the folder
            write_sample(folder, config.study)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Print the sweep's progress: runs done of the total, failures, time left."""
        if HydraConfig.get().mode != RunMode.MULTIRUN:
            return
        folder = Path(config.hydra.sweep.dir)
        if (folder / "multirun.yaml").is_file():
            report_progress(folder)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the sweep's results (unless nothing ran and they are up to date)."""
        finish_sweep(Path(config.hydra.sweep.dir))


AGGREGATION_FAILED: set[Path] = set()  # sweeps whose tables and report could not be written


def finish_sweep(folder: Path) -> None:
    """Aggregate a sweep at its end; a fault of the disk is one line, not a traceback.

    A re-run that launched nothing, into a sweep whose report is newer than
    every run, only says so: its tables and figures are those of the same runs.
    """
    if LAUNCHED.get(folder, 1) == 0 and up_to_date(folder):
        print(
            f"sweep {folder}: nothing new; its tables, figures and report are up to date: "
            f"{folder / 'report.md'}"
        )
        return
    from sim.study.aggregate import aggregate  # matplotlib and pandas: load only when needed

    try:
        aggregate(folder)
    except OSError as error:
        AGGREGATION_FAILED.add(folder)
        reason = error.strerror or type(error).__name__
        where = f"{error.filename}: " if error.filename else ""
        print(f"sim: error: the sweep's tables were not written: {where}{reason}", file=sys.stderr)


def up_to_date(folder: Path) -> bool:
    """Whether every expected run finished and the report is of exactly those runs, and newer.

    The runs the last aggregation read are its ``summary.parquet``'s: a folder filled
    by several sweeps (the smaller sizes first, the largest later) holds finished
    runs the last one did not aggregate, and a report newer than each run can
    still be a report of some of them.
    """
    import pandas as pd  # only when nothing was launched

    from sim.core.outcomes import RUN

    report = folder / "report.md"
    try:
        status = read_status(folder)
        if status["failed"] or status["damaged"] or status["missing"] or not report.is_file():
            return False
        written = report.stat().st_mtime_ns
        if any((folder / run / SUMMARY).stat().st_mtime_ns > written for run in status["complete"]):
            return False
        aggregated = pd.read_parquet(folder / "summary.parquet", columns=[RUN])[RUN]
        return set(aggregated) == set(status["complete"])
    except (OSError, ValueError, KeyError):
        return False
