"""Hydra callback of every multirun: progress after each run, aggregation at the end.

Kept apart from ``sim.sweep`` (job status on disk) and ``sim.compare`` (the
aggregation) so that neither imports the other back: ``compare`` reads
``sweep``, and this module uses both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.sweep import SWEEPS_STARTED, mark_sweep_start, report_progress
from sim.uncertainty import is_study, write_sample


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
        """Aggregate the sweep's results."""
        from sim.compare import aggregate  # matplotlib and pandas: load only when needed

        aggregate(Path(config.hydra.sweep.dir))
