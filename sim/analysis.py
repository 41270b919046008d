"""Analysis API for notebooks: runs and sweeps as tidy frames, in-process runs, plots.

::

    from sim import analysis as sa

    result = sa.run(["scenario=rectify", "graph.n_users=1000", "steps=120"])
    daily = sa.load_run("results/runs/rectify/<date_time>")    # a run folder
    daily = sa.load_sweep("results/sweeps/quick")              # run x day, config as columns
    runs = sa.sweep_summary("results/sweeps/quick")            # one row per run
    sa.overview_figure(runs)                                   # the CLI's own figures

Config values are flattened into columns named by their keys
(``market.intensity``, ``policy.daily_cap``), so frames slice with plain pandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from sim.core.config import flatten
from sim.engine.model import SocialCommerceModel
from sim.engine.network import ArcStatus
from sim.figures.plotting import timeseries_figure, trust_network_figure
from sim.figures.study import overview_figure
from sim.figures.sweep import OUTCOMES, outcome_figure, ribbons_figure, tradeoff_figure
from sim.run.runner import RunResult, compose_config, run, simulate, to_sim_config
from sim.run.sweep import CONFIG
from sim.study.compare import collect

__all__ = [
    "OUTCOMES",
    "RunResult",
    "SocialCommerceModel",
    "compose_config",
    "flatten",
    "load_run",
    "load_sweep",
    "outcome_figure",
    "overview_figure",
    "ribbons_figure",
    "run",
    "run_config",
    "seller_table",
    "simulate",
    "sweep_summary",
    "timeseries_figure",
    "to_sim_config",
    "tradeoff_figure",
    "trust_network_figure",
]


def run_config(folder: str | Path) -> dict[str, Any]:
    """Return a run folder's resolved config, flattened.

    Single runs keep it in ``.hydra/config.yaml``, sweep runs in ``config.yaml``.
    """
    folder = Path(folder)
    for candidate in (folder / ".hydra" / "config.yaml", folder / CONFIG):
        if candidate.is_file():
            config = OmegaConf.to_container(OmegaConf.load(candidate), resolve=True)
            assert isinstance(config, dict)
            return flatten(config)
    raise FileNotFoundError(f"{folder} holds no config.yaml: is it a run folder?")


def load_run(folder: str | Path) -> pd.DataFrame:
    """Return a run's daily table with its config values as columns."""
    folder = Path(folder)
    table = pd.read_csv(folder / "timeseries.csv")
    config = run_config(folder)
    return table.assign(
        run=folder.name, **{key: [value] * len(table) for key, value in config.items()}
    )


def sweep_summary(folder: str | Path) -> pd.DataFrame:
    """Return one row per finished run of a sweep, with every config value as a column."""
    folder = Path(folder)
    parquet = folder / "summary.parquet"
    summary = pd.read_parquet(parquet) if parquet.is_file() else collect(folder).summary
    configs = pd.DataFrame([run_config(folder / name) for name in summary["run"]])
    extra = configs.drop(columns=[c for c in configs if c in summary], errors="ignore")
    return pd.concat([summary.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)


def load_sweep(folder: str | Path) -> pd.DataFrame:
    """Return a sweep's daily table (run x day) with every config value as a column."""
    folder = Path(folder)
    parquet = folder / "timeseries.parquet"
    daily = pd.read_parquet(parquet) if parquet.is_file() else collect(folder).timeseries
    summary = sweep_summary(folder)
    config_columns = ["run", *[c for c in summary if "." in c and not c.startswith("override.")]]
    return daily.merge(summary[config_columns], on="run", how="left")


def seller_table(model: SocialCommerceModel) -> pd.DataFrame:
    """One row per user who ever sold: traits, friends kept, muted by, lost (ODD 7.6).

    Columns: ``node``, ``selling`` (still), ``category``, ``quality``,
    ``base_rate``, ``post_rate``, ``friends_start``, ``muted_by``, ``unfriended``,
    ``share_lost`` (unfriended / friends at the start), ``mean_trust`` (of the
    friends who kept them).
    """
    arcs, people = model.arcs, model.people
    rows = []
    for node in np.flatnonzero(people.ever_sold).tolist():
        span = slice(arcs.start[node], arcs.start[node + 1])
        status = arcs.status[span]
        kept = status != ArcStatus.REMOVED
        rows.append(
            {
                "node": node,
                "selling": bool(people.seller[node]),
                "category": int(people.category[node]),
                "quality": float(people.quality[node]),
                "base_rate": float(people.base_rate[node]),
                "post_rate": float(people.post_rate[node]),
                "friends_start": len(status),
                "muted_by": int((status == ArcStatus.MUTED).sum()),
                "unfriended": int((~kept).sum()),
                "share_lost": float((~kept).mean()) if len(status) else 0.0,
                "mean_trust": float(arcs.trust[span][kept].mean(dtype=np.float64))
                if kept.any()
                else np.nan,
            }
        )
    return pd.DataFrame(rows)
