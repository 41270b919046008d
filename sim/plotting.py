"""Figures of a run's daily metrics (one module for every plot the CLI writes)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.metrics import Column
from sim.outputs import write_atomically

# Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

# Each policy keeps its colour and marker in every comparison figure.
POLICY_STYLE: dict[str, tuple[str, str]] = {
    "laissez_faire": ("#D55E00", "o"),
    "rectify": ("#0072B2", "s"),
    "separate_shop": ("#009E73", "^"),
    "c2b": ("#CC79A7", "D"),
}

PANELS: tuple[tuple[str, tuple[tuple[Column, str], ...], str], ...] = (
    (
        "Moments feed",
        (
            (Column.MARKETING_SHARE, "marketing share of items read"),
            (Column.UX, "user experience (engagement)"),
        ),
        "share",
    ),
    (
        "Trust in sellers",
        ((Column.MEAN_TRUST_SELLER_ARCS, "mean trust, seller -> non-seller arcs"),),
        "trust [0-1]",
    ),
    (
        "Responses (cumulative)",
        (
            (Column.MUTES_CUM, "mutes"),
            (Column.UNFRIENDS_CUM, "unfriends"),
            (Column.COMPLAINTS_CUM, "complaints"),
        ),
        "count",
    ),
    (
        "Users",
        ((Column.ACTED_SHARE, "muted/unfriended a seller"), (Column.LEFT_SHARE, "left Moments")),
        "share of non-sellers",
    ),
    (
        "Sellers",
        ((Column.SELLERS, "active sellers"), (Column.SHOP_FOLLOWERS, "shop follows")),
        "count",
    ),
    ("Commerce", ((Column.SALES, "sales per day (7-day mean)"),), "orders per day"),
)


def timeseries_figure(table: pd.DataFrame, title: str = "") -> Figure:
    """Return a 2 x 3 panel figure of a run's daily metrics against day."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True, layout="constrained")
    for ax, (name, series, ylabel) in zip(axes.flat, PANELS, strict=True):
        for colour, (column, label) in zip(PALETTE, series, strict=False):
            values = table[column]
            if column is Column.SALES:
                values = values.rolling(7, min_periods=1).mean()
            ax.plot(table[Column.DAY], values, color=colour, label=label, linewidth=1.6)
        ax.set_title(name)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
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
