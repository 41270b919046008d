"""Sweeps: job status on disk, the list of jobs a sweep expects, and its callback.

A sweep is a Hydra multirun. Each job writes into
``<sweep_dir>/<override_dirname>`` (for example
``market.intensity=1,scenario=rectify,seed=3``), so the same job always lands
in the same folder. A job is **complete** when its ``summary.json`` exists
(results are written atomically, the summary last); a job that failed leaves
``failed.json`` with the error. Re-running a sweep into the same folder skips
complete jobs, so only missing, failed or interrupted runs run again.

Job return values do not reach the parent under the joblib or submitit
launchers, and ``on_multirun_end`` does not fire when the multirun aborts, so
everything is read back from these files (``sim.compare``).
"""

from __future__ import annotations

import json
from itertools import chain
from pathlib import Path
from typing import Any

from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from sim.outputs import write_json
from sim.uncertainty import is_study, write_sample

SUMMARY = "summary.json"
FAILED = "failed.json"
CONFIG = "config.yaml"
MULTIRUN = "multirun.yaml"


def is_complete(job_dir: Path) -> bool:
    """Whether the job in ``job_dir`` finished and wrote its results."""
    return (job_dir / SUMMARY).is_file()


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


def expected_jobs(multirun: DictConfig) -> list[list[str]]:
    """Every job's overrides, from a sweep's ``multirun.yaml`` (Hydra's own expansion)."""
    hydra = multirun.hydra
    params = [f"{key}={value}" for key, value in (hydra.sweeper.get("params") or {}).items()]
    arguments = list(chain(params, hydra.overrides.task))
    parsed = OverridesParser.create().parse_overrides(arguments)
    return [list(job) for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def job_dirs(sweep_dir: Path) -> dict[str, list[str]]:
    """Map each expected job's folder name to its overrides."""
    multirun = OmegaConf.load(sweep_dir / MULTIRUN)
    assert isinstance(multirun, DictConfig)
    settings = multirun.hydra.job.config.override_dirname
    return {override_dirname(job, settings): job for job in expected_jobs(multirun)}


def read_status(sweep_dir: Path) -> dict[str, Any]:
    """Which expected jobs are complete, failed, or missing (never finished)."""
    jobs = job_dirs(sweep_dir)
    complete = sorted(name for name in jobs if is_complete(sweep_dir / name))
    failed = {
        name: json.loads((sweep_dir / name / FAILED).read_text())["error"]
        for name in jobs
        if not is_complete(sweep_dir / name) and (sweep_dir / name / FAILED).is_file()
    }
    missing = sorted(set(jobs) - set(complete) - set(failed))
    return {"expected": len(jobs), "complete": complete, "failed": failed, "missing": missing}


class AggregateOnMultirunEnd(Callback):
    """Hydra callback: aggregate a sweep when its multirun ends."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Remember the sweep folder (aggregated even on abort); draw a study's sample."""
        folder = Path(config.hydra.sweep.dir)
        SWEEPS_STARTED.append(folder)
        if is_study(config):
            write_sample(folder, config.study)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the sweep's results."""
        from sim.compare import aggregate

        aggregate(Path(config.hydra.sweep.dir))


SWEEPS_STARTED: list[Path] = []
