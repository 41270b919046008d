"""Hydra plugin: the sweeper every ``python -m sim -m`` uses (``hydra.sweeper._target_``).

Hydra's basic sweeper, checking one composed job per batch instead of every
job (``sim.run.sweep.validate_first_job`` says why), and launching only the runs
that have not finished (``sim.run.sweep.unfinished_batches``): re-running a
finished sweep launches nothing and only aggregates. The class is defined here,
against the basic sweeper as Hydra's plugin scan loaded it: the scan
re-executes Hydra's core plugin modules, and a subclass of an earlier copy of
``BasicSweeper`` fails in that class's ``__init__``.
"""

import os
import sys
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

from sim.engine import parallel
from sim.run.sweep import unfinished_batches, validate_first_job


class SimSweeper(BasicSweeper):
    """``hydra/sweeper=basic`` that launches unfinished runs, composing one job per batch first."""

    validate_batch_is_legal = validate_first_job

    def sweep(self, arguments: list[str]) -> Any:
        """Hydra's sweep; a fault of the machine (a full disk) ends it in one line, exit 2.

        Parallel workers get their share of the cores for threads within a run
        (``sim.engine.parallel.share_cores``).

        Hydra itself creates each run's folder before the run starts; when that
        fails, Hydra would print the fault as a traceback. The runs that
        finished are kept and aggregated (``sim.cli.run``), and resume runs the rest.
        """
        assert self.config is not None
        jobs = self.config.hydra.launcher.get("n_jobs")
        if isinstance(jobs, int) and jobs != 1:  # joblib: -1 is one job per core
            parallel.share_cores(jobs if jobs > 0 else os.cpu_count() or 1)
        try:
            return super().sweep(arguments)
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            print(f"sim: error: {where}{error.strerror or error}", file=sys.stderr)
            raise SystemExit(2) from None

    def split_arguments(  # type: ignore[override]  # Hydra calls it on the instance
        self, overrides: list[Any], max_batch_size: int | None
    ) -> list[list[list[str]]]:
        """Hydra's batches of jobs, without the runs that finished earlier."""
        assert self.config is not None
        return unfinished_batches(
            BasicSweeper.split_arguments(overrides, max_batch_size), self.config
        )


__all__ = ["SimSweeper"]
