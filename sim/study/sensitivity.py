"""Sensitivity of an uncertainty study: which uncertain parameters drive which outcome.

``python -m sim.sensitivity STUDY_DIR`` (also run at the end of every study)
reads the study's runs and sample and writes into ``STUDY_DIR``:

- ``worlds.parquet``: one row per world and policy, the sampled values and the
  outcomes (seed means);
- ``sensitivity.parquet``: per policy (and per policy's paired difference
  against laissez-faire), outcome and parameter, Morris mu*, its 95% bootstrap
  interval, mu and sigma (SALib ``analyze.morris``), or Sobol S1 and ST with
  95% bootstrap intervals (SALib ``analyze.sobol``);
- the robust comparison (``sim.study.robust``): ``paired.parquet``, ``ranking.parquet``,
  ``prim.parquet``;
- ``plots/`` and ``report.md`` in words (``sim.study.study_report``).

Worlds with a missing or failed run are left out of Morris (whole trajectories)
and make Sobol indices undefined; the report counts and says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.core.config import ConfigError, baseline_policy
from sim.core.outcomes import OUTCOMES, POLICY, available, outcome_table
from sim.core.outputs import write_atomically
from sim.figures import use_file_backend
from sim.figures.study import study_figures
from sim.run.sweep import MULTIRUN
from sim.run.uncertainty import WORLD, read_sample
from sim.study import robust, study_report
from sim.study.compare import collect

BASELINE = baseline_policy()  # the policy every other is compared with (registry)
DIFF = f" − {BASELINE}"


def world_outcomes(runs: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (policy, world): the outcomes' seed means and the sampled values."""
    runs = runs.copy()
    runs[WORLD] = pd.to_numeric(runs["override.study.world"]).astype(int)
    table = outcome_table(runs, [POLICY, WORLD, "seed"])
    keys = [o.key for o in available(runs)]
    means = table.groupby([POLICY, WORLD], sort=True)[keys].mean().reset_index()
    seeds = table.groupby([POLICY, WORLD], sort=True)["seed"].nunique().rename("seeds")
    means = means.merge(seeds.reset_index(), on=[POLICY, WORLD])
    return means.merge(sample, on=WORLD, how="left")


def wide(worlds: pd.DataFrame, outcome: str, n_worlds: int) -> pd.DataFrame:
    """Return ``outcome`` as a world x policy table over every sampled world (NaN if missing)."""
    table = worlds.pivot(index=WORLD, columns=POLICY, values=outcome)
    table = table.reindex(range(n_worlds))
    if BASELINE in table.columns:
        for policy in [p for p in table.columns if p != BASELINE]:
            table[policy + DIFF] = table[policy] - table[BASELINE]
    return table


def morris_indices(
    problem: dict[str, Any], x: np.ndarray, y: np.ndarray, levels: int, seed: int = 0
) -> tuple[pd.DataFrame, int]:
    """Morris mu*, its 95% bootstrap interval, mu and sigma; trajectories with a gap are dropped.

    Returns:
        The indices per parameter, and how many trajectories were dropped.

    """
    from SALib.analyze import morris

    step = problem["num_vars"] + 1
    keep = np.isfinite(y).reshape(-1, step).all(axis=1)
    dropped = int((~keep).sum())
    rows = np.repeat(keep, step)
    names = problem["names"]
    if keep.sum() < 2:
        nan = np.full(len(names), np.nan)
        result: dict[str, Any] = {"mu_star": nan, "mu_star_conf": nan, "mu": nan, "sigma": nan}
    else:
        result = morris.analyze(
            problem, x[rows], y[rows], num_levels=levels, num_resamples=200, seed=seed
        )
    return (
        pd.DataFrame(
            {
                "parameter": names,
                "mu_star": np.asarray(result["mu_star"], dtype=float),
                "mu_star_ci95": np.asarray(result["mu_star_conf"], dtype=float),
                "mu": np.asarray(result["mu"], dtype=float),
                "sigma": np.asarray(result["sigma"], dtype=float),
            }
        ),
        dropped,
    )


def sobol_indices(problem: dict[str, Any], y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Sobol first-order and total indices with 95% bootstrap intervals (NaN if undefined)."""
    from SALib.analyze import sobol

    names = problem["names"]
    nan = np.full(len(names), np.nan)
    if not np.isfinite(y).all() or np.nanstd(y) == 0:
        result: dict[str, Any] = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
    else:
        result = sobol.analyze(problem, y, calc_second_order=False, num_resamples=200, seed=seed)
    return pd.DataFrame(
        {
            "parameter": names,
            "S1": result["S1"],
            "S1_ci95": result["S1_conf"],
            "ST": result["ST"],
            "ST_ci95": result["ST_conf"],
        }
    )


def sensitivity(
    worlds: pd.DataFrame, problem_file: dict[str, Any], sample: pd.DataFrame
) -> pd.DataFrame:
    """Return the sensitivity indices per policy (and paired difference), outcome and parameter."""
    study, problem = problem_file["study"], dict(problem_file["problem"])
    problem.pop("sources", None)
    x = sample[problem["names"]].to_numpy()
    n_worlds = len(sample)
    parts = []
    outcomes = [c for c in worlds.columns if c in {o.key for o in _outcomes(worlds)}]
    for outcome in outcomes:
        table = wide(worlds, outcome, n_worlds)
        for policy in table.columns:
            y = table[policy].to_numpy(dtype=float)
            missing = int((~np.isfinite(y)).sum())
            if study["method"] == "morris":
                part, dropped = morris_indices(problem, x, y, int(study["levels"]))
                part["dropped_trajectories"] = dropped
            else:
                part = sobol_indices(problem, y)
            part.insert(0, "outcome", outcome)
            part.insert(0, POLICY, policy)
            part["worlds_undefined"] = missing
            parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _outcomes(worlds: pd.DataFrame) -> list[Any]:
    return [o for o in OUTCOMES if o.key in worlds.columns]


def write_parquet(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` to ``path`` atomically."""
    write_atomically(path, lambda out: table.to_parquet(out, index=False), binary=True)


def analyze_study(folder: Path, runs: pd.DataFrame, status: dict[str, Any]) -> dict[str, Any]:
    """Write the study's tables, figures and report; return the tables."""
    problem_file, sample = read_sample(folder)
    worlds = world_outcomes(runs, sample)
    indices = sensitivity(worlds, problem_file, sample)
    study = problem_file["study"]
    objective = _objective(folder)
    comparison = robust.compare(worlds, sample, problem_file, objective)
    write_parquet(worlds, folder / "worlds.parquet")
    write_parquet(indices, folder / "sensitivity.parquet")
    for name, table in comparison.tables().items():
        write_parquet(table, folder / f"{name}.parquet")
    horizon = int(runs["steps"].iloc[0])
    figures = study_figures(
        folder / "plots", indices, worlds, comparison, study["method"], sample, horizon
    )
    text = study_report.report(
        folder, status, problem_file, runs, worlds, indices, comparison, figures
    )
    write_atomically(folder / "report.md", lambda out: out.write(text))
    print(
        f"study {folder}: {len(status['complete'])} of {status['expected']} runs finished, "
        f"{len(status['failed'])} failed, {len(status['missing'])} missing; "
        f"report: {folder / 'report.md'}"
    )
    return {"worlds": worlds, "sensitivity": indices, "comparison": comparison}


def _objective(folder: Path) -> dict[str, Any]:
    """Return the study's declared objective (``study.objective``, ``study.ux_weight``)."""
    from omegaconf import OmegaConf

    multirun = OmegaConf.load(folder / MULTIRUN)
    return {
        "objective": str(OmegaConf.select(multirun, "study.objective", default="pareto")),
        "ux_weight": float(OmegaConf.select(multirun, "study.ux_weight", default=1.0)),
    }


def command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Run ``sim sensitivity`` with its parsed arguments (``sim.cli.sensitivity``)."""
    use_file_backend()
    try:
        read_sample(args.study_dir)
        sweep = collect(args.study_dir, with_timeseries=False)
        if sweep.summary.empty:
            raise ConfigError(f"{args.study_dir}: no finished runs to analyse")
        write_parquet(sweep.summary, args.study_dir / "summary.parquet")
        analyze_study(args.study_dir, sweep.summary, sweep.status)
    except (ConfigError, OSError, ValueError) as error:
        parser.exit(2, f"sim sensitivity: error: {error}\n")
