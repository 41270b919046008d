"""A sweep's figures: each outcome against intensity, the trade-off, daily ribbons.

Drawn from the sweep's run table (``summary.parquet``) and daily table
(``timeseries.parquet``); ``sim.study.aggregate`` writes them into ``plots/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from sim.core.config import policy_label
from sim.core.outcomes import (
    BY_KEY,
    INTENSITY,
    POLICY,
    SEED,
    USERS,
    by_policy_and_intensity,
    t_half_width,
)
from sim.engine.metrics import Column
from sim.figures.plotting import (
    SHARE_LIMITS,
    plt,
    policy_order,
    policy_style,
    save_figure,
)
from sim.figures.study import overview_figure

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


def policies(summary: pd.DataFrame) -> list[str]:
    """Policies in the sweep, in the registry's order (``policy_order``)."""
    return policy_order(set(summary[POLICY]))


def style(policy: str) -> dict[str, Any]:
    """Colour, marker and label of a policy's lines."""
    colour, marker = policy_style(policy)
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
            half = t_half_width(wide.std(axis=1, ddof=1), n)
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


def write_plots(
    folder: Path, summary: pd.DataFrame, timeseries: pd.DataFrame, intensity: float
) -> list[Path]:
    """Write every comparison figure into ``folder`` and return their paths."""
    folder.mkdir(exist_ok=True)
    written = [
        save_figure(outcome_figure(summary, outcome), folder / f"{outcome}_vs_intensity.png")
        for outcome in OUTCOMES
    ]
    written.append(save_figure(tradeoff_figure(summary), folder / "tradeoff_ux_vs_gmv.png"))
    ribbons = ribbons_figure(timeseries, intensity)
    written.append(save_figure(ribbons, folder / f"ribbons_intensity_{intensity:g}.png"))
    written.append(save_figure(overview_figure(summary), folder / "overview.png"))
    return written


def scale_figure(effects: pd.DataFrame, keys: tuple[str, ...]) -> Figure:
    """Return each policy's paired difference from laissez-faire against the number of users.

    ``effects`` is ``sim.study.scale.scale_effects``: per size, policy and outcome,
    the mean paired difference and the half-width of its 95% interval over seeds.
    A panel per outcome of ``keys``; users on a log axis; zero drawn.
    """
    shown = [k for k in keys if k in set(effects["outcome"])]
    cols = min(3, len(shown))
    rows = int(np.ceil(len(shown) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(5 * cols, 3.8 * rows), layout="constrained", squeeze=False
    )
    for ax, key in zip(axes.flat, shown, strict=False):
        part = effects[effects["outcome"] == key]
        for policy in policy_order(set(part[POLICY])):
            mine = part[part[POLICY] == policy].sort_values(USERS)
            half = mine["ci95"].fillna(0.0)
            ax.errorbar(mine[USERS], mine["mean"], yerr=half, capsize=3, **style(policy))
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ticks = sorted(int(n) for n in part[USERS].unique())
        ax.set_xticks(ticks, [f"{n:,}" for n in ticks], fontsize=7)
        ax.minorticks_off()
        info = BY_KEY[key]
        ax.set_title(info.label, fontsize=9)
        ax.set_xlabel("users", fontsize=8)
        ax.set_ylabel(f"minus laissez-faire ({info.unit})", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    seeds = effects.groupby(USERS)["seeds"].max()
    counted = ", ".join(f"{int(seeds[n])} at {int(n):,}" for n in seeds.index)
    fig.suptitle(
        "Each policy against laissez-faire by number of users: mean paired difference and "
        f"95% interval over seeds (seeds: {counted})",
        fontsize=10,
    )
    return fig
