"""Aggregate a sweep into tables, comparison plots and a report.

``python -m sim.compare <sweep_dir>`` (also ``sim compare <sweep_dir>``, and
automatically at the end of every multirun) reads what each job wrote and
writes, into the sweep folder:

- ``summary.parquet``: one row per finished run, its swept values and summary metrics;
- ``timeseries.parquet``: one row per run and day;
- ``plots/``: each headline outcome against intensity per policy (mean and 95%
  interval across seeds), time-series ribbons per policy at one intensity, the
  platform's trade-off (user experience against GMV), and ``overview.png``
  (outcomes at matched seller pressure, ``sim.figures.overview_figure``);
- ``report.md``: the runs found, failed and missing, and a table of means.

Runs that failed or never finished are listed, not fatal.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter
from omegaconf import OmegaConf
from scipy import stats

from sim.figures import overview_figure
from sim.metrics import Column
from sim.outcomes import PRESSURE, mean_and_interval
from sim.outputs import write_atomically
from sim.plotting import (
    POLICY_STYLE,
    SHARE_LIMITS,
    plt,
    policy_label,
    save_figure,
    use_file_backend,
)
from sim.sweep import MULTIRUN, SUMMARY, TIMESERIES, job_dirs, read_status
from sim.uncertainty import is_study

RUN = "run"
POLICY = "scenario"
INTENSITY = "intensity"
SEED = "seed"

# Headline outcomes: summary column -> axis label with units.
OUTCOMES: dict[str, str] = {
    "mean_marketing_share": "marketing share of items read (mean over the run)",
    Column.MEAN_TRUST_SELLER_ARCS.value: "trust in sellers at the end (0-1)",
    Column.UNFRIENDS_CUM.value: "unfriends (count)",
    Column.ACTED_SHARE.value: "non-sellers who muted/unfriended (share)",
    Column.LEFT_SHARE.value: "non-sellers who left Moments (share)",
    Column.GMV_NET_CUM.value: "GMV net of disappointment (yuan per user)",
    Column.GMV_CUM.value: "GMV, gross (yuan per user)",
    Column.UX.value: "user experience (mean engagement)",
    Column.SELLERS.value: "sellers at the end (count)",
}
COUNTS = {Column.UNFRIENDS_CUM.value, Column.SELLERS.value}
# Comparisons show GMV per user (graphs of any size compare); a run's own files in yuan.
PER_USER = {Column.GMV_NET_CUM.value, Column.GMV_CUM.value}
SHARES = {
    "mean_marketing_share",
    Column.MEAN_TRUST_SELLER_ARCS.value,
    Column.ACTED_SHARE.value,
    Column.LEFT_SHARE.value,
    Column.UX.value,
}
RIBBONS: dict[str, str] = {
    Column.MARKETING_SHARE.value: "marketing share (7-day mean)",
    Column.MEAN_TRUST_SELLER_ARCS.value: "trust in sellers (0-1)",
    Column.UNFRIENDS_CUM.value: "unfriends so far (count)",
    Column.LEFT_SHARE.value: "left Moments (share of non-sellers)",
    Column.SALES.value: "orders per day (7-day mean)",
    Column.UX.value: "user experience (engagement)",
}
SMOOTHED = {Column.MARKETING_SHARE.value, Column.SALES.value}
# market.intensity means a different thing under each policy (README, Scenarios).
INTENSITY_LABEL = (
    "marketing intensity, x base rate: posts drafted (laissez-faire, rectification),\n"
    "items per broadcast (separate shop), items per answer (C2B)"
)


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
            "n_users": summary["graph"]["n_users"],
            "friendships_start": summary["graph"].get("friendships_start"),
            "steps": summary["steps"],
            "mean_marketing_share": summary["mean_marketing_share"],
            PRESSURE: summary.get(PRESSURE, float("nan")),
            "mutes_per_unfriend": summary["mutes_per_unfriend"] or float("nan"),
        }
    )
    row.update(summary["final"])
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


def by_policy_and_intensity(summary: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Mean, 95% half-width and seed count of ``outcome`` per policy and intensity."""
    rows = []
    for (policy, intensity), group in summary.groupby([POLICY, INTENSITY], sort=True):
        mean, half = mean_and_interval(group[outcome])
        rows.append(
            {POLICY: policy, INTENSITY: intensity, "mean": mean, "ci95": half, "n": len(group)}
        )
    return pd.DataFrame(rows)


def policies(summary: pd.DataFrame) -> list[str]:
    """Policies in the sweep, in the order of ``POLICY_STYLE``."""
    present = set(summary[POLICY])
    known = [p for p in POLICY_STYLE if p in present]
    return known + sorted(present - set(known))


def style(policy: str) -> dict[str, Any]:
    """Colour, marker and label of a policy's lines."""
    colour, marker = POLICY_STYLE.get(policy, ("#000000", "o"))
    return {"color": colour, "marker": marker, "label": policy_label(policy)}


def plot_outcome(ax: Axes, summary: pd.DataFrame, outcome: str) -> None:
    """Draw ``outcome`` against intensity, one line per policy with a 95% band.

    Policies are dodged slightly along x so that equal values stay visible;
    bands are clipped at 0 (every outcome is non-negative).
    """
    names = policies(summary)
    span = float(np.ptp(summary[INTENSITY])) or 1.0
    if outcome in PER_USER:
        summary = summary.assign(**{outcome: summary[outcome] / summary["n_users"]})
    for k, policy in enumerate(names):
        table = by_policy_and_intensity(summary[summary[POLICY] == policy], outcome)
        x = table[INTENSITY] + (k - (len(names) - 1) / 2) * 0.012 * span
        look = style(policy)
        ax.plot(x, table["mean"], linewidth=1.8, markersize=5, **look)
        # light fill with a dashed outline: overlapping bands stay readable
        ax.fill_between(
            x,
            np.maximum(0.0, table["mean"] - table["ci95"]),
            table["mean"] + table["ci95"],
            facecolor=look["color"],
            edgecolor=look["color"],
            alpha=0.12,
            linewidth=0.8,
            linestyle="--",
        )
    ax.set_xlabel(INTENSITY_LABEL, fontsize=8)
    ax.set_ylabel(OUTCOMES[outcome])
    if outcome in COUNTS:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    if outcome in SHARES:
        ax.set_ylim(*SHARE_LIMITS)
    ax.grid(alpha=0.3)


def plot_tradeoff(ax: Axes, summary: pd.DataFrame) -> None:
    """Draw user experience against net GMV per policy, a point per intensity, 95% bars."""
    per_user = summary[Column.GMV_NET_CUM.value] / summary["n_users"]
    summary = summary.assign(gmv_net_per_user=per_user)
    for policy in policies(summary):
        part = summary[summary[POLICY] == policy]
        gmv = by_policy_and_intensity(part, "gmv_net_per_user")
        ux = by_policy_and_intensity(part, Column.UX.value)
        look = style(policy)
        ax.errorbar(
            gmv["mean"],
            ux["mean"],
            xerr=gmv["ci95"],
            yerr=ux["ci95"],
            linewidth=1.5,
            markersize=5,
            capsize=2,
            **look,
        )
        for x, y, intensity in zip(gmv["mean"], ux["mean"], gmv[INTENSITY], strict=True):
            ax.annotate(
                f"{intensity:g}",
                (x, y),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=7,
                color=look["color"],
            )
    ax.set_xlabel("GMV net of disappointment (yuan per user)")
    ax.set_ylabel("user experience (mean engagement)")
    ax.set_title(
        f"Platform trade-off after {int(summary['steps'].iloc[0])} days (labels: intensity)"
    )
    ax.grid(alpha=0.3)


def plot_ribbons(axes: np.ndarray, timeseries: pd.DataFrame, intensity: float) -> None:
    """Draw daily metrics per policy at ``intensity``: mean and 95% band across seeds."""
    at = timeseries[np.isclose(timeseries[INTENSITY], intensity)]
    for ax, (column, label) in zip(axes.flat, RIBBONS.items(), strict=False):
        for policy in policies(at):
            part = at[at[POLICY] == policy]
            wide = part.pivot_table(index=Column.DAY.value, columns=SEED, values=column)
            if column in SMOOTHED:
                wide = wide.rolling(7, min_periods=1).mean()
            n = wide.notna().sum(axis=1).clip(lower=1)
            mean = wide.mean(axis=1)
            half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * wide.std(axis=1, ddof=1) / np.sqrt(n)
            look = style(policy)
            ax.plot(mean.index, mean, color=look["color"], label=look["label"], linewidth=1.6)
            ax.fill_between(
                mean.index,
                np.maximum(0.0, mean - half.fillna(0)),
                mean + half.fillna(0),
                color=look["color"],
                alpha=0.18,
            )
        ax.set_xlabel("day")
        ax.set_ylabel(label)
        if column in SHARES or column == Column.MARKETING_SHARE.value:
            ax.set_ylim(*SHARE_LIMITS)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)


def ribbon_intensity(summary: pd.DataFrame, requested: float | None) -> float:
    """Return the intensity for ribbons: as requested, else 1 if swept, else the median."""
    levels = sorted(float(level) for level in summary[INTENSITY].unique())
    if requested is not None:
        if not np.isclose(levels, requested).any():
            shown = ", ".join(f"{level:g}" for level in levels)
            raise ValueError(f"intensity {requested:g} is not in the sweep (has {shown})")
        return requested
    return 1.0 if np.isclose(levels, 1.0).any() else float(levels[len(levels) // 2])


def subtitle(summary: pd.DataFrame) -> str:
    """Return the horizon and how many seeds stand behind each point."""
    days = int(summary["steps"].iloc[0])
    return f"after {days} days; {summary[SEED].nunique()} seeds per point, mean and 95% interval"


def outcome_figure(summary: pd.DataFrame, outcome: str) -> Figure:
    """Return a figure of ``outcome`` against intensity, a line per policy."""
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    plot_outcome(ax, summary, outcome)
    ax.set_title(f"{OUTCOMES[outcome]}\n{subtitle(summary)}", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def tradeoff_figure(summary: pd.DataFrame) -> Figure:
    """Return the platform's trade-off figure: user experience against GMV."""
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    plot_tradeoff(ax, summary)
    ax.legend(fontsize=8)
    return fig


def ribbons_figure(timeseries: pd.DataFrame, intensity: float) -> Figure:
    """Return daily metrics per policy at ``intensity``, mean and 95% band across seeds."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), layout="constrained", sharex=True)
    plot_ribbons(axes, timeseries, intensity)
    seeds = timeseries[SEED].nunique()
    fig.suptitle(f"Daily metrics per policy at intensity {intensity:g} ({seeds} seeds, 95% band)")
    return fig


def write_plots(sweep: Sweep, intensity: float) -> list[Path]:
    """Write every comparison figure into ``<sweep>/plots`` and return their paths."""
    folder = sweep.folder / "plots"
    folder.mkdir(exist_ok=True)
    summary = sweep.summary
    written = [
        save_figure(outcome_figure(summary, outcome), folder / f"{outcome}_vs_intensity.png")
        for outcome in OUTCOMES
    ]
    written.append(save_figure(tradeoff_figure(summary), folder / "tradeoff_ux_vs_gmv.png"))
    ribbons = ribbons_figure(sweep.timeseries, intensity)
    written.append(save_figure(ribbons, folder / f"ribbons_intensity_{intensity:g}.png"))
    written.append(save_figure(overview_figure(summary), folder / "overview.png"))
    return written


def paired_effects(summary: pd.DataFrame, intensity: float) -> pd.DataFrame:
    """Paired differences from laissez-faire at ``intensity``, seed by seed (same graph per seed).

    One row per policy and outcome (``sim.outcomes``): mean difference, 95%
    t-interval half-width (NaN from fewer than two seeds), seeds paired, and
    how many of the policy's runs had the outcome undefined.
    """
    from sim.outcomes import available, outcome_table

    at = summary[np.isclose(summary[INTENSITY], intensity)]
    if at.empty or "laissez_faire" not in set(at[POLICY]):
        return pd.DataFrame()
    table = outcome_table(at, [POLICY, SEED])
    keys = [o.key for o in available(at)]
    base = table[table[POLICY] == "laissez_faire"].groupby(SEED)[keys].mean()
    rows = []
    for policy in [p for p in policies(at) if p != "laissez_faire"]:
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


def aggregate(folder: Path, intensity: float | None = None) -> Sweep:
    """Write a sweep's tables, plots and report; return what was read."""
    job_dirs(folder)  # a damaged multirun.yaml ends here, in one line naming it (ValueError)
    study = is_study(OmegaConf.load(folder / MULTIRUN))
    sweep = collect(folder, with_timeseries=not study)
    figures: list[Path] = []
    if study:
        # an uncertainty study: one table of runs, then sensitivity and robust ranking
        from sim.sensitivity import analyze_study

        if not sweep.summary.empty:
            write_atomically(
                folder / "summary.parquet",
                lambda out: sweep.summary.to_parquet(out, index=False),
                binary=True,
            )
            analyze_study(folder, sweep.summary, sweep.status)
        return sweep
    if not sweep.summary.empty:
        for name, table in (("summary", sweep.summary), ("timeseries", sweep.timeseries)):
            write_atomically(
                folder / f"{name}.parquet",
                lambda out, t=table: t.to_parquet(out, index=False),
                binary=True,
            )
        figures = write_plots(sweep, ribbon_intensity(sweep.summary, intensity))
    else:  # no run to aggregate: tables of an earlier aggregation would be stale
        for name in ("summary", "timeseries"):
            (folder / f"{name}.parquet").unlink(missing_ok=True)
    from sim.sweep_report import report

    text = report(sweep, figures, intensity)
    write_atomically(folder / "report.md", lambda out: out.write(text))
    status = sweep.status
    print(
        f"sweep {folder}: {len(status['complete'])} of {status['expected']} runs finished, "
        f"{len(status['failed'])} failed, {len(status['damaged'])} damaged, "
        f"{len(status['missing'])} missing; report: {folder / 'report.md'}"
    )
    for reason in status["damaged"].values():
        print(f"sim: error: damaged run, not aggregated: {reason}", file=sys.stderr)
    return sweep


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m sim.compare SWEEP_DIR [--intensity X]``."""
    parser = argparse.ArgumentParser(
        prog="sim compare", description="Aggregate a sweep into tables, plots and a report."
    )
    parser.add_argument("sweep_dir", type=Path, help="the sweep folder (holds multirun.yaml)")
    parser.add_argument(
        "--intensity", type=float, default=None, help="intensity for the time-series ribbons"
    )
    args = parser.parse_args(argv)
    use_file_backend()
    if not (args.sweep_dir / MULTIRUN).is_file():
        parser.exit(
            2, f"sim compare: error: {args.sweep_dir} is not a sweep folder (no {MULTIRUN})\n"
        )
    try:
        sweep = aggregate(args.sweep_dir, args.intensity)
    except ValueError as error:
        parser.exit(2, f"sim compare: error: {error}\n")
    if sweep.status["damaged"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
