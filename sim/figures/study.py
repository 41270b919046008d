"""Figures of sweeps, uncertainty studies and the win-win frontier (statistics live elsewhere).

Every function takes finished tables (a sweep's runs, ``sim.study.sensitivity``,
``sim.study.robust``, ``sim.study.optimize``) and returns a matplotlib ``Figure``;
``study_figures`` writes a study's set into its ``plots/`` folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.core.config import baseline_policy, policy_label
from sim.core.outcomes import BY_KEY, POLICY, PRESSURE, fmt, mean_and_interval, outcome_table
from sim.figures.plotting import (
    plt,
    policy_colour,
    policy_order,
    policy_style,
    save_figure,
)

if TYPE_CHECKING:
    from sim.study.robust import Comparison, PrimBox

BASELINE = baseline_policy()  # every other policy is compared with it
DIFF = f" − {BASELINE}"


def readable(policy: str) -> str:
    """Return a policy's name for readers (``separate_shop`` -> ``separate shop``)."""
    if policy.endswith(DIFF):
        return f"{readable(policy.removesuffix(DIFF))} minus {policy_label(BASELINE)}"
    return policy_label(policy)


def colour(policy: str) -> str:
    """Return a policy's colour in every figure."""
    return policy_colour(policy.removesuffix(DIFF))


def policies_in(names: list[str] | pd.Index) -> list[str]:
    """Return the policies in ``names`` in the usual order."""
    return policy_order(names)


PRESSURE_LABEL = "seller pressure: marketing items read per non-seller per day (any channel)"
OVERVIEW = ("acted", "left", "unfriends", "gmv", "ux", "seller_friends_kept")


def overview_figure(runs: pd.DataFrame) -> Figure:
    """Return one page for a policy team: six outcomes at matched seller pressure.

    ``market.intensity`` means posts drafted under laissez-faire and
    rectification, items per broadcast in the separate shop and items per
    answer under C2B, so the outcomes are drawn against the pressure users
    actually received (marketing items read per non-seller per day, in any
    channel; the run's mean). Each policy is a line through its intensities,
    with the mean and 95% interval across seeds in both directions (none from
    a single seed); a vertical line compares policies at the same pressure.
    Small multiples, open markers and one shared legend keep overlapping
    policies readable. Sweeps written before the pressure was recorded are
    drawn against intensity instead, and the axis says so.
    """
    keep = [POLICY, "intensity", "seed", *([PRESSURE] if PRESSURE in runs else [])]
    table = outcome_table(runs, keep)
    matched = PRESSURE in table and table[PRESSURE].notna().any()
    x_key, x_label = (PRESSURE, PRESSURE_LABEL) if matched else ("intensity", "market.intensity")
    keys = [key for key in OVERVIEW if key in table]
    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5), layout="constrained")
    for ax, key in zip(axes.flat, keys, strict=False):
        for policy in policies_in(table[POLICY].unique()):
            points = np.array(
                [
                    (*mean_and_interval(group[x_key]), *mean_and_interval(group[key]))
                    for _, group in table[table[POLICY] == policy].groupby("intensity")
                ]
            )
            x, x_half, y, y_half = points.T
            look = policy_style(policy)
            ax.plot(
                x,
                y,
                color=look[0],
                marker=look[1],
                markerfacecolor="white",
                linewidth=1.6,
                label=readable(policy),
            )
            known = np.isfinite(x_half) & np.isfinite(y_half)
            top = 100.0 if BY_KEY[key].unit.startswith("%") else np.inf
            ax.errorbar(
                x[known],
                y[known],
                xerr=_clipped(x[known], x_half[known], np.inf),
                yerr=_clipped(y[known], y_half[known], top),
                fmt="none",
                ecolor=look[0],
                elinewidth=1,
                capsize=2,
                alpha=0.8,
            )
        outcome = BY_KEY[key]
        ax.set_title(f"{outcome.label}\n({outcome.unit})", fontsize=10)
        ax.set_xlabel(x_label, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(keys) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=max(1, len(labels)))
    days = int(runs["steps"].iloc[0])
    seeds = runs["seed"].nunique()
    where = "at matched seller pressure" if matched else "against intensity"
    fig.suptitle(
        f"Policies {where} after {days} days: {int(runs['n_users'].iloc[0]):,} users, "
        f"{seeds} seed{'s' if seeds != 1 else ''} per point (mean and 95% interval); "
        "points along a line are the swept intensities"
        + ("\nRead vertically: the same pressure on users, a different policy" if matched else "")
    )
    return fig


def _clipped(mean: np.ndarray, half: np.ndarray, top: float) -> np.ndarray:
    """Return asymmetric error bars of ``mean +- half`` kept within ``[0, top]``.

    Every outcome drawn is a count, a share or a level that cannot be negative
    (shares cannot pass 100%): a t-interval from a few seeds would otherwise
    promise values the model cannot produce.
    """
    low = mean - np.maximum(0.0, mean - half)
    high = np.minimum(top, mean + half) - mean
    return np.vstack([low, high])


def policy_panels(
    indices: pd.DataFrame, outcome: str, index: str, top: int
) -> tuple[Figure, list[tuple[Any, str, pd.DataFrame]]]:
    """Return a figure with a panel per policy, and each panel's ``top`` rows by ``index``.

    Rows are those of ``outcome``, largest last (so the largest bar is drawn on top).
    """
    names = policies_in([p for p in indices[POLICY].unique() if not p.endswith(DIFF)])
    fig, axes = plt.subplots(
        1, len(names), figsize=(4.2 * len(names), 4.2), layout="constrained", squeeze=False
    )
    panels = []
    for ax, policy in zip(axes[0], names, strict=True):
        part = indices[(indices[POLICY] == policy) & (indices["outcome"] == outcome)]
        panels.append((ax, policy, part.dropna(subset=[index]).nlargest(top, index).iloc[::-1]))
    return fig, panels


def morris_figure(indices: pd.DataFrame, outcome: str, top: int = 8) -> Figure:
    """Return mu* (bars, 95% bootstrap interval) of the ``top`` parameters, a panel per policy."""
    fig, panels = policy_panels(indices, outcome, "mu_star", top)
    info = BY_KEY[outcome]
    for ax, policy, part in panels:
        ax.barh(
            part["parameter"],
            part["mu_star"],
            xerr=part["mu_star_ci95"],
            color=colour(policy),
            alpha=0.8,
            capsize=2,
        )
        ax.set_title(readable(policy), fontsize=10)
        ax.set_xlabel(f"Morris mu* ({info.unit})")
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"What moves {info.label}: mean absolute elementary effect over the range")
    return fig


def sobol_figure(indices: pd.DataFrame, outcome: str, top: int = 8) -> Figure:
    """Return Sobol total (bars) and first-order (dots) indices with 95% intervals per policy."""
    fig, panels = policy_panels(indices, outcome, "ST", top)
    info = BY_KEY[outcome]
    for ax, policy, part in panels:
        y = np.arange(len(part))
        ax.barh(y, part["ST"], xerr=part["ST_ci95"], color=colour(policy), alpha=0.6, capsize=2)
        ax.errorbar(part["S1"], y, xerr=part["S1_ci95"], fmt="o", color="black", markersize=3)
        ax.set_yticks(y, part["parameter"], fontsize=8)
        ax.set_xlim(0, 1.05)
        ax.set_title(readable(policy), fontsize=10)
        ax.set_xlabel("share of variance (bar: total, dot: first order)")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Variance of {info.label} explained by each parameter (Sobol)")
    return fig


def heatmap_figure(indices: pd.DataFrame) -> Figure:
    """Return parameter x outcome importance per policy, drivers only.

    Each cell is the index divided by the largest index of that outcome under
    that policy (so 1 is the outcome's strongest driver); a cell whose index's
    95% interval includes zero is left blank, so a tiny index never shows bright.
    """
    measure = "mu_star" if "mu_star" in indices.columns else "ST"
    conf = "mu_star_ci95" if measure == "mu_star" else "ST_ci95"
    indices = indices.assign(
        **{measure: indices[measure].where(indices[measure] - indices[conf].fillna(np.inf) > 0)}
    )
    names = policies_in([p for p in indices[POLICY].unique() if not p.endswith(DIFF)])
    outcomes = [k for k in BY_KEY if k in set(indices["outcome"])]
    parameters = list(dict.fromkeys(indices["parameter"]))
    fig, axes = plt.subplots(
        1,
        len(names),
        figsize=(
            2.0 + 2.2 * len(names) + 0.25 * len(outcomes) * len(names),
            0.3 * len(parameters) + 2.5,
        ),
        layout="constrained",
        squeeze=False,
        sharey=True,
    )
    image = None
    for ax, policy in zip(axes[0], names, strict=True):
        part = indices[indices[POLICY] == policy]
        grid = part.pivot(index="parameter", columns="outcome", values=measure)
        grid = grid.reindex(index=parameters, columns=outcomes)
        grid = grid / grid.max(axis=0).replace(0, np.nan)
        cmap = plt.get_cmap("viridis").with_extremes(bad="#EEEEEE")
        image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks(range(len(outcomes)), outcomes, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(parameters)), parameters, fontsize=8)
        ax.set_title(readable(policy), fontsize=10)
    if image is not None:
        label = f"{measure} / the largest {measure} of the outcome under the policy"
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.6, label=label)
    fig.suptitle(
        "Which uncertain parameter drives which outcome (1 = the outcome's strongest driver "
        "under the policy; grey: 95% interval of the index includes zero)"
    )
    return fig


def paired_figure(differences: pd.DataFrame, horizon: int) -> Figure:
    """Return each policy's per-world difference from laissez-faire, a panel per outcome."""
    outcomes = [k for k in BY_KEY if k in set(differences["outcome"])]
    cols = min(4, len(outcomes))
    rows = int(np.ceil(len(outcomes) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.2 * cols, 3.6 * rows), layout="constrained", squeeze=False
    )
    names = policies_in(differences[POLICY].unique())
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        part = differences[differences["outcome"] == outcome]
        data = [part[part[POLICY] == p]["difference"].dropna().to_numpy() for p in names]
        box = ax.boxplot(data, vert=False, patch_artist=True, widths=0.6, showfliers=False)
        for patch, policy in zip(box["boxes"], names, strict=True):
            patch.set_facecolor(colour(policy))
            patch.set_alpha(0.5)
        for k, values in enumerate(data, start=1):
            if len(values):
                jitter = np.random.default_rng(k).uniform(-0.2, 0.2, len(values))
                ax.plot(
                    values, k + jitter, ".", color=colour(names[k - 1]), markersize=2, alpha=0.5
                )
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(range(1, len(names) + 1), [readable(p) for p in names], fontsize=8)
        info = BY_KEY[outcome]
        ax.set_title(f"{info.label}", fontsize=9)
        ax.set_xlabel(f"minus laissez-faire ({info.unit})", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(outcomes) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Each policy against laissez-faire in the same sampled world, after {horizon} days "
        "(dot: one world; box: middle half)"
    )
    return fig


def ranking_figure(ranking: pd.DataFrame, objective: str) -> Figure:
    """Return each policy's share of worlds on the Pareto set and its regret on each objective."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained", sharey=True)
    names = list(ranking[POLICY])
    colours = [colour(p) for p in names]
    labels = [readable(p) for p in names]
    panels = (
        ("pareto_share", 100.0, "worlds on the Pareto set of (net GMV, UX) (%)"),
        ("mean_gmv_regret", 1.0, "mean net GMV regret (yuan per user)"),
        ("mean_ux_regret", 1.0, "mean UX regret (engagement, 0-1)"),
    )
    for ax, (column, scale, label) in zip(axes, panels, strict=True):
        ax.barh(labels, scale * ranking[column], color=colours)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_xlim(0, 100)
    axes[0].invert_yaxis()
    fig.suptitle(
        f"Robust ranking (objective: {objective}); regret: the world's best minus the policy's"
    )
    return fig


def _spread(values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Jitter values drawn on a few levels (Morris grids) so that worlds do not hide each other.

    Returns the values to draw and whether they were jittered (by up to 3% of
    their range); continuous samples (Sobol) are drawn as they are.
    """
    if len(np.unique(values)) > 10 or len(values) < 2:
        return values, False
    return values + rng.uniform(-0.03, 0.03, len(values)) * np.ptp(values), True


def prim_figure(box: PrimBox, sample: pd.DataFrame, scores: pd.DataFrame) -> Figure:
    """Return the worlds on the box's first two restricted parameters, flips marked, box drawn."""
    fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    params = list(box.limits["parameter"])
    x_name = params[0]
    y_name = params[1] if len(params) > 1 else None
    at = sample.set_index("world").loc[scores.index]
    flip = (scores[box.challenger] > scores[box.leader]).to_numpy()
    rng = np.random.default_rng(0)
    xv, x_jittered = _spread(at[x_name].to_numpy(dtype=float), rng)
    if y_name:
        yv, y_jittered = _spread(at[y_name].to_numpy(dtype=float), rng)
    else:
        yv, y_jittered = rng.uniform(0, 1, len(at)), False
    ax.scatter(
        xv[~flip],
        yv[~flip],
        s=12,
        color="#999999",
        alpha=0.6,
        label=f"{readable(box.leader)} ahead",
    )
    ax.scatter(
        xv[flip],
        yv[flip],
        s=14,
        color=colour(box.challenger),
        alpha=0.6,
        label=f"{readable(box.challenger)} ahead",
    )
    lim = box.limits.set_index("parameter")
    x0, x1 = lim.at[x_name, "low"], lim.at[x_name, "high"]
    if y_name:
        y0, y1 = lim.at[y_name, "low"], lim.at[y_name, "high"]
    else:
        y0, y1 = 0.0, 1.0
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linewidth=2, edgecolor="black"))
    jitter = " (jittered: the sample has few levels)"
    ax.set_xlabel(x_name + (jitter if x_jittered else ""))
    ax.set_ylabel(
        (y_name + (jitter if y_jittered else ""))
        if y_name
        else "(no second restricted parameter: spread for reading)"
    )
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title(
        f"PRIM box: {readable(box.challenger)} ahead in {fmt(100 * box.density, 0)}% of its worlds "
        f"(overall {fmt(100 * box.base_rate, 0)}%)",
        fontsize=10,
    )
    return fig


def study_figures(
    folder: Path,
    indices: pd.DataFrame,
    worlds: pd.DataFrame,
    comparison: Comparison,
    method: str,
    sample: pd.DataFrame | None = None,
    horizon: int = 0,
) -> list[Path]:
    """Write a study's figures into ``folder`` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if not indices.empty:
        for outcome in [k for k in BY_KEY if k in set(indices["outcome"])]:
            figure = morris_figure if method == "morris" else sobol_figure
            written.append(
                save_figure(figure(indices, outcome), folder / f"{method}_{outcome}.png")
            )
        written.append(save_figure(heatmap_figure(indices), folder / "sensitivity_heatmap.png"))
    if not comparison.differences.empty:
        written.append(
            save_figure(
                paired_figure(comparison.differences, horizon), folder / "paired_differences.png"
            )
        )
    if not comparison.ranking.empty:
        name = comparison.objective["objective"]
        written.append(
            save_figure(ranking_figure(comparison.ranking, name), folder / "ranking.png")
        )
    if comparison.prim is not None and sample is not None:
        written.append(
            save_figure(
                prim_figure(comparison.prim, sample, comparison.scores), folder / "prim_box.png"
            )
        )
    return written


def frontier_figure(
    trials: pd.DataFrame, defaults: pd.DataFrame, policy: str, title: str
) -> Figure:
    """Return GMV against user experience: every design, the Pareto front, the default policies."""
    fig, ax = plt.subplots(figsize=(7.5, 5.5), layout="constrained")
    ax.scatter(trials["gmv"], trials["ux"], s=14, color="#BBBBBB", label="designs tried")
    front = trials[trials["pareto"]].sort_values("gmv")
    ax.plot(
        front["gmv"],
        front["ux"],
        "-o",
        color=colour(policy),
        markersize=5,
        label=f"Pareto front ({readable(policy)} designs)",
    )
    for row in defaults.to_dict("records"):
        look = policy_style(row["policy"])
        ax.errorbar(
            row["gmv"],
            row["ux"],
            xerr=row.get("gmv_sd"),
            yerr=row.get("ux_sd"),
            fmt=look[1],
            color=look[0],
            markersize=9,
            markeredgecolor="black",
            capsize=2,
            label=f"{readable(row['policy'])} (default; bars: sd over seeds)",
        )
    ax.set_xlabel("GMV (yuan per user)")
    ax.set_ylabel("user experience (mean engagement, 0-1)")
    ax.set_title(f"Win-win frontier - {title}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def hypervolume_figure(history: pd.DataFrame, policy: str) -> Figure:
    """Return the hypervolume of the designs found against the number of trials.

    ``history`` has columns ``trials`` and ``hypervolume`` (``hypervolume.csv``);
    a curve still rising at its end says the search has not settled.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
    ax.plot(history["trials"], history["hypervolume"], "-", color=colour(policy), linewidth=1.8)
    ax.set_xlabel("trials")
    ax.set_ylabel("hypervolume (net GMV x UX dominated)")
    ax.set_title(f"Search progress - {readable(policy)}: flat at the end = settled", fontsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    return fig
