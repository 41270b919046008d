"""Figures of a run: its daily metrics and its trust network (shared by the CLI and notebooks)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.core.config import policy_info, policy_names
from sim.core.outputs import write_atomically
from sim.engine.metrics import Column
from sim.engine.network import ArcStatus

if TYPE_CHECKING:
    from sim.engine.model import SocialCommerceModel

# Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

# Each policy keeps its colour, marker and name for readers in every figure,
# report, console line and the dashboard: each declares them in its config's
# ``info`` (sim.core.config, the policy registry), read here.
UNKNOWN_STYLE = ("#000000", "o")  # a name no registered policy has (an old sweep's)


def policy_style(policy: str) -> tuple[str, str]:
    """Return a policy's colour and marker (black circles for a policy not registered)."""
    info = policy_info(policy)
    return UNKNOWN_STYLE if info is None else (info.colour, info.marker)


def policy_colour(policy: str) -> str:
    """Return a policy's colour (black for a policy not registered)."""
    return policy_style(policy)[0]


def policy_order(names: Sequence[str] | pd.Index | set[str]) -> list[str]:
    """Return the policies in ``names``: registered ones in registry order, then the rest sorted."""
    present = set(names)
    known = [p for p in policy_names() if p in present]
    return known + sorted(present - set(known))


# Share axes are drawn on [0, 1]: a share that moves in its fourth decimal must
# not look like a crash (a separate shop's UX once spanned 0.6992-0.6997).
SHARE_LIMITS = (0.0, 1.0)

# (title, series on the left axis, left label, series on a right axis, right label, counts?)
# A series that is zero all run (a policy without bans, shops or folding) is not drawn;
# a quantity on another scale (thousands of shop follows beside tens of sellers) gets
# the right axis. Trust follows the README's column definition.
Panel = tuple[str, tuple[tuple[Column, str], ...], str, tuple[tuple[Column, str], ...], str, bool]
PANELS: tuple[Panel, ...] = (
    (
        "Feed and experience",
        (
            (Column.MARKETING_SHARE, "marketing share of items read in Moments"),
            (Column.UX, "user experience (engagement)"),
        ),
        "share, 0-1",
        (),
        "",
        False,
    ),
    (
        "Trust in sellers",
        ((Column.MEAN_TRUST_SELLER_ARCS, "non-sellers' mean trust in sellers still friends"),),
        "mean trust of non-seller -> seller arcs, 0-1",
        (),
        "",
        False,
    ),
    (
        "Responses (cumulative)",
        (
            (Column.MUTES_CUM, "mutes"),
            (Column.UNFRIENDS_CUM, "unfriends"),
            (Column.COMPLAINTS_CUM, "complaints"),
            (Column.UNFOLLOWS_CUM, "shop unfollows"),
        ),
        "count",
        ((Column.PENALTIES_CUM, "throttles"), (Column.BANS_CUM, "bans")),
        "enforcement (count)",
        True,
    ),
    (
        "Users",
        ((Column.ACTED_SHARE, "muted/unfriended a seller"), (Column.LEFT_SHARE, "left Moments")),
        "share of non-sellers, 0-1",
        (),
        "",
        False,
    ),
    (
        "Sellers",
        ((Column.SELLERS, "active sellers"),),
        "sellers (count)",
        ((Column.SHOP_FOLLOWERS, "shop follows"),),
        "shop follows (count)",
        True,
    ),
    (
        "Commerce",
        ((Column.SALES, "sales per day (7-day mean)"),),
        "orders per day",
        ((Column.FOLDED, "items folded per day (7-day mean)"),),
        "folded items per day",
        False,
    ),
)
SMOOTHED_DAILY = {Column.SALES, Column.FOLDED}


def _draw(ax: Any, table: pd.DataFrame, series: Sequence[tuple[Column, str]], colours) -> list:
    """Plot the series of ``table`` that are not zero all run; return the lines drawn."""
    lines = []
    for colour, (column, label) in zip(colours, series, strict=False):
        values = table[column]
        if not np.any(values.fillna(0).to_numpy() != 0):
            continue
        if column in SMOOTHED_DAILY:
            values = values.rolling(7, min_periods=1).mean()
        lines += ax.plot(table[Column.DAY], values, color=colour, label=label, linewidth=1.6)
    return lines


def timeseries_figure(table: pd.DataFrame, title: str = "") -> Figure:
    """Return a 2 x 3 panel figure of a run's daily metrics against day (policy-aware)."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True, layout="constrained")
    for ax, (name, left, ylabel, right, rlabel, counts) in zip(axes.flat, PANELS, strict=True):
        lines = _draw(ax, table, left, PALETTE)
        if right:
            twin_colours = PALETTE[len(left) :]
            if any(np.any(table[column].fillna(0).to_numpy() != 0) for column, _ in right):
                twin = ax.twinx()
                lines += _draw(twin, table, right, twin_colours)
                twin.set_ylabel(rlabel)
                twin.set_ylim(bottom=0)
                twin.yaxis.set_major_locator(MaxNLocator(integer=True))
        if not lines:
            ax.text(0.5, 0.5, "none this run", ha="center", va="center", transform=ax.transAxes)
            ax.set_ylim(0, 1)
            ax.set_yticks([0])
        elif counts:
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        elif "0-1" in ylabel:
            ax.set_ylim(*SHARE_LIMITS)
        ax.set_title(name)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if lines:
            ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="best")
    for ax in axes[-1]:
        ax.set_xlabel("day")
    if title:
        fig.suptitle(title)
    return fig


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically, close it, and return ``path``."""
    try:
        write_atomically(path, lambda out: fig.savefig(out, format="png", dpi=110), binary=True)
    finally:
        plt.close(fig)
    return path


def plot_timeseries(table: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Write ``timeseries_figure`` as a PNG at ``path``."""
    return save_figure(timeseries_figure(table, title), path)


def trust_network_figure(model: SocialCommerceModel, seed: int = 0) -> Figure:
    """Return a picture of the friendship graph: who muted and unfriended which seller.

    Edges between a seller and a friend are coloured by the friend's trust in
    the seller; dashed where the friend muted the seller, red and dotted where
    the friendship ended. Other friendships are thin grey. Squares are sellers
    (hollow once they quit), grey circles users who left Moments.
    """
    import networkx as nx

    arcs, people = model.arcs, model.people
    graph = nx.Graph()
    graph.add_nodes_from(range(model.n_users))
    author = arcs.authors()
    forward = author < arcs.reader
    graph.add_edges_from(zip(author[forward].tolist(), arcs.reader[forward].tolist(), strict=True))
    layout = nx.spring_layout(graph, seed=seed)
    fig, ax = plt.subplots(figsize=(10, 8), layout="constrained")
    seller_arcs = np.flatnonzero(people.ever_sold[author] & ~people.ever_sold[arcs.reader])
    plain = [(u, v) for u, v in graph.edges() if not (people.ever_sold[u] or people.ever_sold[v])]
    nx.draw_networkx_edges(graph, layout, edgelist=plain, ax=ax, edge_color="#cccccc", width=0.4)
    status = arcs.status[seller_arcs]
    pairs = list(zip(arcs.reader[seller_arcs].tolist(), author[seller_arcs].tolist(), strict=True))
    cmap = plt.get_cmap("viridis")
    for state, style in ((ArcStatus.VISIBLE, "solid"), (ArcStatus.MUTED, "dashed")):
        chosen = np.flatnonzero(status == state)
        nx.draw_networkx_edges(
            graph,
            layout,
            edgelist=[pairs[k] for k in chosen],
            edge_color=arcs.trust[seller_arcs[chosen]],
            edge_cmap=cmap,
            edge_vmin=0.0,
            edge_vmax=1.0,
            style=style,
            width=1.4,
            ax=ax,
        )
    removed = np.flatnonzero(status == ArcStatus.REMOVED)
    nx.draw_networkx_edges(
        graph,
        layout,
        edgelist=[pairs[k] for k in removed],
        edge_color=PALETTE[3],
        style="dotted",
        width=1.6,
        ax=ax,
    )
    users = np.flatnonzero(~people.ever_sold)
    nx.draw_networkx_nodes(
        graph,
        layout,
        nodelist=users.tolist(),
        ax=ax,
        node_size=25,
        node_color=np.where(people.in_moments[users], PALETTE[5], "#999999").tolist(),
    )
    for selling, face in ((True, PALETTE[1]), (False, "white")):
        nodes = np.flatnonzero(people.ever_sold & (people.seller == selling)).tolist()
        nx.draw_networkx_nodes(
            graph,
            layout,
            nodelist=nodes,
            node_shape="s",
            node_size=90,
            node_color=face,
            edgecolors=PALETTE[1],
            linewidths=1.5,
            ax=ax,
        )
    bar = fig.colorbar(
        plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1)), ax=ax, shrink=0.6
    )
    bar.set_label("friend's trust in the seller")
    handles = [
        plt.Line2D([], [], color=cmap(0.6), label="seller - friend (trust colour)"),
        plt.Line2D([], [], color=cmap(0.3), linestyle="dashed", label="muted the seller"),
        plt.Line2D([], [], color=PALETTE[3], linestyle="dotted", label="unfriended the seller"),
        plt.Line2D(
            [], [], marker="s", color="w", markerfacecolor=PALETTE[1], markersize=9, label="seller"
        ),
        plt.Line2D(
            [],
            [],
            marker="s",
            color="w",
            markeredgecolor=PALETTE[1],
            markersize=9,
            label="seller who quit",
        ),
        plt.Line2D(
            [],
            [],
            marker="o",
            color="w",
            markerfacecolor="#999999",
            markersize=7,
            label="left Moments",
        ),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8)
    ax.set_title(f"Day {model.steps}: friendships around sellers")
    ax.set_axis_off()
    return fig


def calibration_figure(
    targets: Sequence[Any],
    best: pd.DataFrame,
    families: pd.DataFrame | None = None,
    label: str = "fitted graph",
) -> Figure:
    """Fit against target bands: one panel per target, the band shaded, seeds as dots.

    ``targets`` have ``metric``, ``low``, ``high`` and ``source``; ``best`` has a
    row per seed of the fitted run; ``families`` (optional) a row per graph
    family and seed with the same columns.
    """
    fig = Figure(figsize=(4.2 * len(targets), 4.4), layout="constrained")
    axes = fig.subplots(1, len(targets), squeeze=False)[0]

    def named(prefix: str, table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
        if "setting" not in table or table["setting"].nunique() <= 1:
            return [(prefix, table)]
        return [
            (f"{prefix}, {setting}", part) for setting, part in table.groupby("setting", sort=False)
        ]

    groups = named(label, best)
    if families is not None:
        for name, table in families.groupby("graph", sort=False):
            groups += named(name, table)
    for ax, target in zip(axes, targets, strict=True):
        ax.axhspan(target.low, target.high, color="#009E73", alpha=0.15, label="target band")
        for x, (_, table) in enumerate(groups):
            values = table[target.metric].astype(float)
            ax.scatter(np.full(len(values), x), values, s=14, color="#555555", zorder=3)
            ax.scatter([x], [values.mean()], marker="_", s=400, color="black", zorder=4)
        ax.set_xticks(range(len(groups)), [name for name, _ in groups], rotation=30, ha="right")
        ax.set_title(target.metric.replace("_", " "))
        ax.set_xlim(-0.6, len(groups) - 0.4)
    axes[0].legend(loc="best", fontsize="small")
    fig.suptitle("Calibration: fitted runs (dots: seeds, bar: mean) against the survey bands")
    return fig


def bass_figure(result: Any, closed: np.ndarray, fitted: np.ndarray) -> Figure:
    """Draw the Bass limit: mean adoption over seeds (band: 3 standard errors) against theory.

    ``result`` is a ``sim.verify.bass.BassResult``; the panel shows the discrete
    recursion, the continuous closed form ``closed`` and the least-squares Bass
    fit ``fitted`` (both per day, computed by ``sim.verify.bass``).
    """
    case = result.case
    days = np.arange(1, case.steps + 1)
    figure, (curve, gap) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    curve.fill_between(
        days,
        result.mean - 3 * result.se,
        result.mean + 3 * result.se,
        color=PALETTE[0],
        alpha=0.25,
        label="model, mean +- 3 SE",
    )
    curve.plot(days, result.mean, color=PALETTE[0], lw=2, label=f"model ({case.seeds} seeds)")
    curve.plot(days, result.recursion, color=PALETTE[3], ls="--", label="discrete Bass recursion")
    curve.plot(days, closed, color=PALETTE[7], ls=":", label="closed form")
    p_fit, q_fit = result.fitted
    curve.plot(
        days,
        fitted,
        color=PALETTE[1],
        ls="-.",
        label=f"Bass fit p={p_fit:.4f}, q={q_fit:.3f}",
    )
    curve.set(
        xlabel="day",
        ylabel="cumulative adoption (share of users selling or sold)",
        title=f"Complete graph, {case.n_users} users, p={case.p:g}, q={case.q:g}",
    )
    curve.legend(fontsize=8)
    gap.axhline(0, color="grey", lw=0.8)
    band = 3 * result.se_floored  # the exact standard error of the mean
    gap.fill_between(days, -band, band, color=PALETTE[0], alpha=0.25)
    gap.plot(days, result.mean - result.exact, color=PALETTE[0], label="model - exact expectation")
    gap.plot(
        days, result.recursion - result.exact, color=PALETTE[3], ls="--", label="recursion - exact"
    )
    gap.set(
        xlabel="day", ylabel="difference in adoption share", title="model minus exact expectation"
    )
    gap.legend(fontsize=8)
    return figure
