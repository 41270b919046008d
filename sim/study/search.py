"""Optuna's study for the commands that search: calibration and the frontier.

The one copy of the scaffolding both drive by ask and tell: the study lives
in a journal file in the output folder (so running the command again goes on
where it stopped, and SLURM array tasks can share it), a folder that holds a
search with other fixed settings is refused instead of silently mixing two
searches, and trials a killed command left running are failed, not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna

from sim.core.config import ConfigError


def open_study(
    journal: Path,
    name: str,
    fixed: dict[str, Any],
    sampler: optuna.samplers.BaseSampler,
    directions: Sequence[str] = ("minimize",),
    fail_running: bool = True,
) -> optuna.Study:
    """Open (or create) the study ``name`` in ``journal``; refuse one with other ``fixed`` settings.

    ``fixed`` holds what makes two searches the same search (the policy or
    free parameters, seeds, base overrides); it must be JSON-like. Trials left
    running by a command that was killed are marked failed (``fail_running``;
    not by a process that shares the journal with others running now).

    Raises:
        ConfigError: the journal holds a search with other fixed settings.

    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        load_if_exists=True,
        directions=list(directions),
        sampler=sampler,
    )
    stored = study.user_attrs.get("fixed", fixed)
    if stored != fixed:
        raise ConfigError(
            f"{journal.parent} holds a search with other settings ({stored}); use another --out"
        )
    study.set_user_attr("fixed", fixed)
    for trial in study.trials if fail_running else ():
        if trial.state == optuna.trial.TrialState.RUNNING:
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    return study


def completed(study: optuna.Study) -> int:
    """Return how many of the study's trials finished."""
    return sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
