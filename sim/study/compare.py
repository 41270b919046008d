"""Read a sweep back: its finished runs as tables, and paired differences from laissez-faire.

``collect`` reads what each job wrote (``summary.json``, ``timeseries.csv``)
into a run table and a daily table; a run whose files are not what a run
writes is listed as damaged, not aggregated. ``paired_effects`` pairs each
policy's runs with laissez-faire's on the same seed. ``sim.study.aggregate``
writes the tables, figures and report.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser

from sim.core.outcomes import (
    INTENSITY,
    POLICY,
    PRESSURE,
    RUN,
    SEED,
    USERS,
    available,
    mean_and_interval,
    outcome_table,
)
from sim.engine.metrics import Column
from sim.figures.study import BASELINE
from sim.figures.sweep import policies
from sim.run.sweep import SUMMARY, TIMESERIES, job_dirs, read_status


@dataclass
class Sweep:
    """A sweep's results read back from its folder."""

    folder: Path
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    status: dict[str, Any] = field(default_factory=dict)


def swept_values(overrides: list[str]) -> dict[str, str]:
    """Return the job's overrides as ``{key: value}`` (``+``/``~`` prefixes dropped)."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    return {o.key_or_group: o.get_value_element_as_str() for o in parsed}


AXES = ("scenario", "market.intensity", "seed", "graph.n_users")
"""Swept keys every sweep report takes apart itself: policy, intensity, seed (the pairs)
and size (``sim.study.scale``). Any other key a sweep varies is a setting (``settings``)."""


def settings(jobs: dict[str, list[str]]) -> list[str]:
    """Return the keys besides ``AXES`` whose value differs among the sweep's jobs, sorted.

    A key some jobs set and others leave at its default differs too.
    """
    swept = [swept_values(overrides) for overrides in jobs.values()]
    keys = sorted({key for values in swept for key in values} - set(AXES))
    return [key for key in keys if len({values.get(key) for values in swept}) > 1]


def label_of(values: dict[str, str], keys: list[str]) -> str:
    """Name a setting: ``key=value, ...`` over ``keys`` (``(default)`` for a key not set)."""
    return ", ".join(f"{key}={values.get(key, '(default)')}" for key in keys)


def setting_labels(summary: pd.DataFrame, keys: list[str] | None = None) -> pd.Series:
    """Return each run's setting as ``label_of`` names it ("" when the sweep varies none).

    Read from the run table's ``override.*`` columns: ``keys`` (the sweep's
    ``settings``), else the keys besides ``AXES`` whose values differ among the runs.
    """
    if keys is None:
        keys = sorted(
            c.removeprefix("override.")
            for c in summary.columns
            if c.startswith("override.")
            and c.removeprefix("override.") not in AXES
            and summary[c].nunique(dropna=False) > 1
        )
    columns = [f"override.{key}" for key in keys]
    present = summary.reindex(columns=columns)
    labels = [
        label_of({k: v for k, v in zip(keys, row, strict=True) if not pd.isna(v)}, keys)
        for row in present.itertuples(index=False, name=None)
    ]
    return pd.Series(labels if keys else "", index=summary.index, dtype=object)


def sweep_settings(folder: Path, summary: pd.DataFrame) -> tuple[list[str], pd.Series]:
    """Return a sweep's settings in its report's order, and each run's (``setting_labels``).

    The settings and their order come from the sweep's jobs (``multirun.yaml``), as
    the report's do; from the runs alone where the folder has no readable job list.
    No settings: an empty list, and "" for every run.
    """
    try:
        jobs = job_dirs(folder)
    except ValueError:
        labels = setting_labels(summary)
        return sorted(set(labels) - {""}), labels
    keys = settings(jobs)
    order = list(dict.fromkeys(label_of(swept_values(o), keys) for o in jobs.values()))
    return (order if keys else []), setting_labels(summary, keys)


def setting_folder(label: str) -> str:
    """Return a path-safe folder name for a setting's label (``by_setting`` keeps them apart)."""
    return re.sub(r"[^\w.=,+-]", "_", label)


@dataclass
class Setting:
    """One setting of a sweep that varies settings: its label, folder and runs."""

    label: str
    folder: str
    sweep: Sweep


def by_setting(sweep: Sweep, jobs: dict[str, list[str]], keys: list[str]) -> list[Setting]:
    """Split ``sweep`` by the values of ``keys``: one labelled sweep per setting, in job order.

    Each keeps its own jobs' runs, daily rows and status (expected, finished,
    failed, damaged, missing). Folder names are ``setting_folder``'s, with a
    number added where two labels would share one.
    """
    groups: dict[str, set[str]] = {}
    for name, overrides in jobs.items():
        groups.setdefault(label_of(swept_values(overrides), keys), set()).add(name)
    status = sweep.status
    parts: list[Setting] = []
    taken: set[str] = set()
    for label, names in groups.items():
        folder = setting_folder(label)
        for k in itertools.count(2):
            if folder.lower() not in taken:  # case-insensitive file systems too
                break
            folder = f"{setting_folder(label)}-{k}"
        taken.add(folder.lower())
        summary = sweep.summary[sweep.summary[RUN].isin(names)].reset_index(drop=True)
        timeseries = sweep.timeseries
        if not timeseries.empty:
            timeseries = timeseries[timeseries[RUN].isin(names)].reset_index(drop=True)
        own = {
            "expected": len(names),
            "complete": [n for n in status["complete"] if n in names],
            "failed": {n: e for n, e in status["failed"].items() if n in names},
            "damaged": {n: e for n, e in status.get("damaged", {}).items() if n in names},
            "missing": [n for n in status["missing"] if n in names],
        }
        parts.append(Setting(label, folder, Sweep(sweep.folder, summary, timeseries, own)))
    return parts


def collect(folder: Path, with_timeseries: bool = True) -> Sweep:
    """Read every finished run of the sweep in ``folder``; unreadable runs are listed as damaged."""
    status = read_status(folder)
    jobs = job_dirs(folder)
    rows, series = [], []
    for name in list(status["complete"]):
        try:
            row, table = read_run(folder / name, jobs[name], with_timeseries)
        except (OSError, ValueError, KeyError, TypeError) as error:
            status["complete"].remove(name)
            status["damaged"][name] = f"{folder / name}: {error}"
            continue
        rows.append(row)
        if table is None:
            continue
        series.append(table)
    order = [POLICY, INTENSITY, SEED, RUN]
    summary_table = pd.DataFrame(rows)
    timeseries = pd.concat(series, ignore_index=True) if series else pd.DataFrame()
    if rows:
        if series:
            metrics = [c.value for c in Column if c is not Column.DAY]
            summary_table = summary_table.astype(timeseries[metrics].dtypes.to_dict())
        summary_table = summary_table.sort_values(order, ignore_index=True)
        if series:
            timeseries = timeseries.sort_values([*order, Column.DAY.value], ignore_index=True)
    return Sweep(folder=folder, summary=summary_table, timeseries=timeseries, status=status)


def read_run(
    job_dir: Path, overrides: list[str], with_timeseries: bool = True
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Read one finished run: its summary row and its daily table (None if not asked).

    Raises:
        ValueError: a file is not what a run writes (its path in the message).

    """
    summary = json.loads((job_dir / SUMMARY).read_text())
    row: dict[str, Any] = {RUN: job_dir.name}
    row.update({f"override.{k}": v for k, v in swept_values(overrides).items()})
    row.update(
        {
            POLICY: summary["scenario"],
            INTENSITY: float(summary["intensity"]),
            SEED: int(summary["seed"]),
            USERS: summary["graph"]["n_users"],
            "friendships_start": summary["graph"].get("friendships_start"),
            "steps": summary["steps"],
            "mean_marketing_share": summary["mean_marketing_share"],
            PRESSURE: summary.get(PRESSURE, float("nan")),
            "mutes_per_unfriend": summary["mutes_per_unfriend"] or float("nan"),
        }
    )
    row.update(summary["final"])
    # whom enforcement reached, by tertile of product quality (ODD 7.10; 0 without enforcement)
    for tertile in summary.get("enforcement_by_quality", {}).get("tertiles", []):
        share = tertile["penalised_share"]
        row[f"penalised_share_{tertile['tertile']}"] = float("nan") if share is None else share
    if not with_timeseries:
        return row, None
    path = job_dir / TIMESERIES
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: unreadable ({str(error).strip().splitlines()[0]})") from None
    absent = [c.value for c in Column if c.value not in table.columns]
    if absent or len(table) != int(summary["steps"]):
        detail = (
            f"no column {absent[0]}" if absent else f"{len(table)} days, not {summary['steps']}"
        )
        raise ValueError(f"{path}: not this run's daily table ({detail})")
    table.insert(0, RUN, job_dir.name)
    table.insert(1, POLICY, summary["scenario"])
    table.insert(2, INTENSITY, float(summary["intensity"]))
    table.insert(3, SEED, int(summary["seed"]))
    return row, table


def ribbon_intensity(summary: pd.DataFrame, requested: float | None) -> float:
    """Return the intensity for ribbons: as requested, else 1 if swept, else the median."""
    levels = sorted(float(level) for level in summary[INTENSITY].unique())
    if requested is not None:
        if not np.isclose(levels, requested).any():
            shown = ", ".join(f"{level:g}" for level in levels)
            raise ValueError(f"intensity {requested:g} is not in the sweep (has {shown})")
        return requested
    return 1.0 if np.isclose(levels, 1.0).any() else float(levels[len(levels) // 2])


def paired_effects(summary: pd.DataFrame, intensity: float) -> pd.DataFrame:
    """Paired differences from laissez-faire at ``intensity``, seed by seed (same graph per seed).

    One row per policy and outcome (``sim.core.outcomes``): mean difference, 95%
    t-interval half-width (NaN from fewer than two seeds), seeds paired, and
    how many of the policy's runs had the outcome undefined.
    """
    at = summary[np.isclose(summary[INTENSITY], intensity)]
    if at.empty or BASELINE not in set(at[POLICY]):
        return pd.DataFrame()
    table = outcome_table(at, [POLICY, SEED])
    keys = [o.key for o in available(at)]
    base = table[table[POLICY] == BASELINE].groupby(SEED)[keys].mean()
    rows = []
    for policy in [p for p in policies(at) if p != BASELINE]:
        mine = table[table[POLICY] == policy].groupby(SEED)[keys].mean()
        common = mine.index.intersection(base.index)
        for key in keys:
            diff = (mine.loc[common, key] - base.loc[common, key]).dropna()
            mean, half = mean_and_interval(diff)
            rows.append(
                {
                    POLICY: policy,
                    "outcome": key,
                    "level": float(mine[key].mean()),
                    "mean": mean,
                    "ci95": half,
                    "seeds": len(diff),
                    "undefined": int(mine[key].isna().sum()),
                }
            )
    return pd.DataFrame(rows)
