"""Hydra plugin: the sweeper every ``python -m sim -m`` uses (``hydra.sweeper._target_``).

Hydra's basic sweeper, checking one composed job per batch instead of every
job (``sim.sweep.validate_first_job`` says why). The class is defined here,
against the basic sweeper as Hydra's plugin scan loaded it: the scan
re-executes Hydra's core plugin modules, and a subclass of an earlier copy of
``BasicSweeper`` fails in that class's ``__init__``.
"""

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

from sim.sweep import validate_first_job


class SimSweeper(BasicSweeper):
    """``hydra/sweeper=basic`` that composes one job per batch before launching it."""

    validate_batch_is_legal = validate_first_job


__all__ = ["SimSweeper"]
