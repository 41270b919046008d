"""Live figures of the dashboard: policies side by side, a seller's circle, trust on seller arcs.

A full matplotlib draw of a twelve-panel figure takes about half a second,
most of it axes, ticks and text that do not change from one day to the next.
So each live figure draws its static parts once, keeps that background, and
each day redraws only its data artists on top (matplotlib's blitting, on the
Agg canvas): a day costs tens of milliseconds. Axis limits grow in steps,
when the data leave them, and only then is that one panel drawn again into
the background. The PNG has 256 colours: half the bytes, twice as fast.

Figures are ``matplotlib.figure.Figure`` objects, never pyplot (whose global
state is not safe in a server with several sessions and a play thread).
Policies keep the colours of every other figure (``sim.figures.plotting.policy_style``,
from the policy registry).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox
from PIL import Image

from sim.core.config import policy_label
from sim.dashboard.sidebyside import METRIC_BY_KEY, METRICS, REFERENCE, SideBySideModel, column
from sim.engine.metrics import seller_arcs
from sim.engine.model import SocialCommerceModel
from sim.engine.network import ArcStatus
from sim.figures.plotting import policy_colour

DPI = 72
MAX_FRIENDS_DRAWN = 300
TRUST_CMAP = colormaps["viridis"]
STATUSES = ("visible", "follows the shop", "muted", "removed")
STATUS_MARKERS = {"visible": "o", "follows the shop": "D", "muted": "o", "removed": "X"}
SELLER_COLOUR = "#E69F00"


def colour(policy: str) -> str:
    """Return the fixed colour of ``policy`` (``sim.figures.plotting``, as in every figure)."""
    return policy_colour(policy)


def label(policy: str) -> str:
    """Return ``policy`` as shown to people (``sim.figures.plotting``, as in every report)."""
    return policy_label(policy)


class Blitter:
    """Draws a figure's static parts once and its ``artists`` on top each time.

    When an axes' static parts change (its limits grew), only that axes is
    drawn again into the kept background: its old and new extent (ticks,
    labels and title included) is cleared to the figure's colour and the axes
    drawn there, a twelfth of a full draw for a twelve-panel figure.

    Args:
        fig: the figure (given an Agg canvas here).
        artists: the artists that change; they are left out of the background.

    """

    def __init__(self, fig: Figure, artists: Sequence[Artist]) -> None:
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.artists = list(artists)
        for artist in self.artists:
            artist.set_animated(True)
        self.background = None
        self.stale: list[Axes] = []
        self.extents: dict[Axes, Bbox] = {}
        self.full_draws = 0
        self.axes_draws = 0
        self.lock = threading.Lock()

    def invalidate(self) -> None:
        """Draw the whole background again next time."""
        self.background = None

    def grow(self, ax: Axes, values: np.ndarray) -> None:
        """Widen ``ax``'s y-limits when ``values`` leave them (``grown_limits``); redraw it then."""
        limits = grown_limits(ax, values)
        if limits is None:
            return
        if self.background is not None and ax not in self.extents:
            self.extents[ax] = self._extent(ax)  # where it is drawn now, to clear it
        ax.set_ylim(*limits)
        ax._sim_limits_set = True  # type: ignore[attr-defined]
        if ax not in self.stale:
            self.stale.append(ax)

    def _extent(self, ax: Axes) -> Bbox:
        return ax.get_tightbbox(self.canvas.get_renderer()).padded(2)

    def _redraw(self, ax: Axes) -> None:
        renderer = self.canvas.get_renderer()
        extent = self._extent(ax)
        region = Bbox.union([self.extents[ax], extent])
        height, width = self.canvas.get_width_height()[::-1]
        x0, x1 = (int(np.clip(v, 0, width)) for v in (np.floor(region.x0), np.ceil(region.x1)))
        y0, y1 = (int(np.clip(v, 0, height)) for v in (np.floor(region.y0), np.ceil(region.y1)))
        pixels = np.asarray(self.canvas.buffer_rgba())
        face = np.round(np.array(to_rgba(self.fig.get_facecolor())) * 255).astype(np.uint8)
        pixels[height - y1 : height - y0, x0:x1] = face  # Agg counts rows from the bottom
        ax.draw(renderer)  # animated artists are left out, as in a full draw
        self.extents[ax] = extent
        self.axes_draws += 1

    def png(self) -> bytes:
        """Return the current picture as PNG bytes."""
        with self.lock:
            if self.background is None:
                self.canvas.draw()
                self.full_draws += 1
                self.extents = {}  # measured when an axes is first about to change
            else:
                self.canvas.restore_region(self.background)
                for ax in self.stale:
                    self._redraw(ax)
            if self.background is None or self.stale:
                self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.stale.clear()
            for artist in self.artists:
                self.fig.draw_artist(artist)
            width, height = self.canvas.get_width_height()
            image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba())
            # 256 colours (a white figure, a few line colours and their anti-aliasing): the
            # PNG is half the bytes and twice as fast to write as a full-colour one
            indexed = image.convert("RGB").quantize(256, Image.Quantize.FASTOCTREE)
            out = io.BytesIO()
            indexed.save(out, format="PNG", compress_level=1)
            return out.getvalue()


def grown_limits(ax: Axes, values: np.ndarray) -> tuple[float, float] | None:
    """Return ``ax``'s y-limits widened to hold ``values`` with room to grow, or None.

    None when the current limits hold the data. A limit that the data pass
    moves beyond them by the data's span (at least a fifth of their size), so
    a steadily growing series triggers a redraw only now and then.
    Non-negative data keep a floor at zero.
    """
    finite = values[np.isfinite(values)]
    if not len(finite):
        return None
    lo, hi = float(finite.min()), float(finite.max())
    fresh = not getattr(ax, "_sim_limits_set", False)
    y0, y1 = ax.get_ylim()
    if not fresh and y0 <= lo and hi <= y1:
        return None
    room = max(hi - lo, 0.2 * max(abs(hi), abs(lo)), 1e-3)
    new0 = lo - room if fresh or lo < y0 else y0
    new1 = hi + room if fresh or hi > y1 else y1
    if lo >= 0 > new0:
        new0 = 0.0
    return new0, new1


class PoliciesFigure:
    """The headline metrics against day, one line per policy, and the gap to laissez-faire.

    Args:
        policies: policies drawn (laissez-faire first).
        days: the last day (fixes the x-axis, so it never moves).
        difference: metric key of the last panel, drawn as policy minus laissez-faire.

    """

    def __init__(self, policies: Sequence[str], days: int, difference: str = "unfriends") -> None:
        self.policies = tuple(policies)
        self.difference = difference
        fig = Figure(figsize=(15, 8.6), dpi=DPI)
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.06, top=0.9, wspace=0.32, hspace=0.42)
        self.axes = fig.subplots(3, 4, sharex=True).ravel()
        self.lines: dict[tuple[str, str], Line2D] = {}
        gap = METRIC_BY_KEY[difference]
        titles = [*(m.label for m in METRICS), f"{gap.label}: policy − laissez-faire"]
        units = [*(m.unit for m in METRICS), gap.unit]
        keys = [*(m.key for m in METRICS), "gap"]
        for ax, title, unit, key in zip(self.axes, titles, units, keys, strict=True):
            ax.set_title(title, fontsize=11)
            ax.set_ylabel(unit, fontsize=9)
            ax.tick_params(labelsize=9)
            ax.grid(alpha=0.3)
            ax.set_xlim(0, max(days, 1))
            for policy in self.policies:
                if key == "gap" and policy == REFERENCE:
                    ax.axhline(0.0, color=colour(policy), lw=1.2)
                    continue
                (self.lines[key, policy],) = ax.plot([], [], color=colour(policy), lw=1.8)
        for ax in self.axes[-4:]:
            ax.set_xlabel("day", fontsize=9)
        handles = [Line2D([], [], color=colour(p), lw=3, label=label(p)) for p in self.policies]
        fig.legend(handles=handles, loc="upper center", ncols=len(handles), fontsize=12)
        self.blitter = Blitter(fig, list(self.lines.values()))

    def render(self, history: pd.DataFrame) -> bytes:
        """Return the figure for ``history`` (the side-by-side DataCollector frame) as PNG."""
        days = history.index.to_numpy()
        for ax, key in zip(self.axes, [*(m.key for m in METRICS), "gap"], strict=True):
            values = []
            for policy in self.policies:
                line = self.lines.get((key, policy))
                if line is None:
                    continue
                if key == "gap":
                    y = (
                        history[column(policy, self.difference)]
                        - history[column(REFERENCE, self.difference)]
                    ).to_numpy()
                else:
                    y = history[column(policy, key)].to_numpy()
                line.set_data(days, y)
                values.append(y)
            if values:
                self.blitter.grow(ax, np.concatenate(values))
        return self.blitter.png()


@dataclass(frozen=True)
class Neighbourhood:
    """A seller's circle of friends and its fixed layout.

    Attributes:
        seller: the seller's node.
        friends: the friends drawn (all day-0 friends, or a fixed sample), sorted.
        total: the seller's day-0 friends.
        position: ``(len(friends) + 1, 2)`` coordinates, the seller last.
        ties: ``(k, 2)`` indices into ``friends`` of friendships among them.

    """

    seller: int
    friends: np.ndarray
    total: int
    position: np.ndarray
    ties: np.ndarray


def neighbourhood(model: SideBySideModel, seller: int) -> Neighbourhood:
    """Lay out ``seller``'s day-0 friends once (spring layout, seed 0).

    The layout depends only on the graph, which every policy shares, so one
    layout serves every panel and every day. Above ``MAX_FRIENDS_DRAWN``
    friends a fixed random sample is drawn.
    """
    arcs = model.reference.arcs
    friends = np.sort(arcs.reader[arcs.start[seller] : arcs.start[seller + 1]])
    total = len(friends)
    if total > MAX_FRIENDS_DRAWN:
        friends = np.sort(np.random.default_rng(0).choice(friends, MAX_FRIENDS_DRAWN, False))
    index = np.full(model.reference.n_users, -1)
    index[friends] = np.arange(len(friends))
    edges = model.graph[1]
    among = (index[edges[:, 0]] >= 0) & (index[edges[:, 1]] >= 0)
    ties = index[edges[among]]
    graph = nx.Graph()
    hub = len(friends)
    graph.add_nodes_from(range(hub + 1))
    graph.add_edges_from(map(tuple, ties.tolist()))
    graph.add_edges_from((hub, k) for k in range(hub))
    layout = nx.spring_layout(graph, seed=0, iterations=40)
    position = np.array([layout[k] for k in range(hub + 1)])
    return Neighbourhood(seller, friends, total, position, ties)


def friend_states(model: SocialCommerceModel, circle: Neighbourhood) -> pd.DataFrame:
    """One row per drawn friend: trust in the seller and status (``STATUSES``)."""
    arcs = model.arcs
    lo = arcs.start[circle.seller]
    idx = lo + np.searchsorted(arcs.reader[lo : arcs.start[circle.seller + 1]], circle.friends)
    status = arcs.status[idx]
    following = arcs.following[idx] & (status != ArcStatus.REMOVED)
    named = np.select(
        [status == ArcStatus.REMOVED, following, status == ArcStatus.MUTED],
        [STATUSES[3], STATUSES[1], STATUSES[2]],
        STATUSES[0],
    )
    return pd.DataFrame({"friend": circle.friends, "trust": arcs.trust[idx], "status": named})


def circle_counts(model: SideBySideModel, circle: Neighbourhood) -> pd.DataFrame:
    """Drawn friends per status (``STATUSES``), one row per policy."""
    rows = []
    for policy in model.policies:
        counts = friend_states(model.models[policy], circle)["status"].value_counts()
        rows.append({"policy": policy, **{s: int(counts.get(s, 0)) for s in STATUSES}})
    return pd.DataFrame(rows)


def trust_counts(model: SocialCommerceModel, edges: np.ndarray) -> np.ndarray:
    """Friendships per trust bin on seller arcs (all sellers' friends still kept)."""
    return np.histogram(model.arcs.trust[seller_arcs(model)], bins=edges)[0]


class CircleFigure:
    """A seller's circle under each policy, and the trust histogram on seller arcs.

    Friends are coloured by their trust in the seller and marked by status:
    filled circle visible, hollow circle muted, diamond follows the shop,
    cross removed. The seller is the square (hollow once they quit).

    Args:
        policies: policies drawn (laissez-faire first).
        circle: the seller's circle and its fixed layout.

    """

    BINS = np.linspace(0.0, 1.0, 21)

    def __init__(self, policies: Sequence[str], circle: Neighbourhood) -> None:
        self.policies = tuple(policies)
        self.circle = circle
        n = len(self.policies)
        fig = Figure(figsize=(3.7 * n + 4.6, 4.6), dpi=DPI)
        fig.subplots_adjust(left=0.01, right=0.97, bottom=0.12, top=0.8, wspace=0.12)
        grid = fig.add_gridspec(1, n + 1, width_ratios=[1.0] * n + [1.35])
        xy = circle.position
        segments = np.stack([xy[circle.ties[:, 0]], xy[circle.ties[:, 1]]], axis=1)
        self.scatters: dict[tuple[str, str], object] = {}
        self.sellers: dict[str, object] = {}
        self.notes: dict[str, object] = {}
        animated: list[Artist] = []
        for k, policy in enumerate(self.policies):
            ax = fig.add_subplot(grid[0, k])
            ax.add_collection(LineCollection(segments, colors="#d8d8d8", linewidths=0.35))
            for status in STATUSES:
                hollow = status == "muted"
                scatter = ax.scatter(
                    np.empty(0),
                    np.empty(0),
                    s=28 if status != "removed" else 36,
                    marker=STATUS_MARKERS[status],
                    facecolors="none" if hollow else None,
                    c=None if hollow else np.empty(0),
                    cmap=None if hollow else TRUST_CMAP,
                    norm=None if hollow else Normalize(0.0, 1.0),
                    linewidths=1.3 if hollow else 0.3,
                    zorder=2,
                )
                self.scatters[policy, status] = scatter
                animated.append(scatter)
            (self.sellers[policy],) = ax.plot(
                [xy[-1, 0]], [xy[-1, 1]], marker="s", ms=14, mew=2.5, color=SELLER_COLOUR, zorder=3
            )
            self.notes[policy] = ax.text(
                0.5, -0.02, "", transform=ax.transAxes, ha="center", va="top", fontsize=9
            )
            animated += [self.sellers[policy], self.notes[policy]]
            ax.set_title(label(policy), fontsize=12, color=colour(policy))
            ax.set_xlim(-1.1, 1.1)
            ax.set_ylim(-1.1, 1.1)
            ax.set_aspect("equal")
            ax.set_axis_off()
        self.hist_ax = fig.add_subplot(grid[0, n])
        self.stairs = {
            policy: self.hist_ax.stairs(
                np.zeros(len(self.BINS) - 1),
                self.BINS,
                color=colour(policy),
                lw=2,
                label=label(policy),
            )
            for policy in self.policies
        }
        animated += list(self.stairs.values())
        self.hist_ax.set_xlim(0, 1)
        self.hist_ax.set_title("Trust on seller arcs (all sellers)", fontsize=11)
        self.hist_ax.set_xlabel("friend's trust in the seller", fontsize=9)
        self.hist_ax.set_ylabel("friendships kept", fontsize=9)
        self.hist_ax.tick_params(labelsize=9)
        self.hist_ax.legend(fontsize=9, loc="upper left")
        sample = (
            f" (a fixed sample of {len(circle.friends)} drawn)"
            if len(circle.friends) < circle.total
            else ""
        )
        fig.suptitle(
            f"Seller {circle.seller}: {circle.total} friends on day 0{sample}. "
            "Colour: friend's trust in the seller (yellow high, purple low); "
            "● visible  ○ muted  ◆ follows the shop  ✖ removed;  ■ seller (□ once quit)",
            fontsize=11,
        )
        self.blitter = Blitter(fig, animated)

    def render(self, model: SideBySideModel) -> bytes:
        """Return the figure for ``model``'s current day as PNG."""
        xy = self.circle.position[:-1]
        counts = []
        for policy in self.policies:
            inner = model.models[policy]
            state = friend_states(inner, self.circle)
            trust = state["trust"].to_numpy()
            for status in STATUSES:
                mask = (state["status"] == status).to_numpy()
                scatter = self.scatters[policy, status]
                scatter.set_offsets(xy[mask])
                if status == "muted":
                    scatter.set_edgecolors(TRUST_CMAP(np.clip(trust[mask], 0.0, 1.0)))
                else:
                    scatter.set_array(trust[mask])
            tally = state["status"].value_counts()
            self.notes[policy].set_text(
                f"visible {tally.get(STATUSES[0], 0)} · shop {tally.get(STATUSES[1], 0)}\n"
                f"muted {tally.get(STATUSES[2], 0)} · removed {tally.get(STATUSES[3], 0)}"
            )
            selling = bool(inner.people.seller[self.circle.seller])
            self.sellers[policy].set_markerfacecolor(SELLER_COLOUR if selling else "white")
            values = trust_counts(inner, self.BINS)
            self.stairs[policy].set_data(values)
            counts.append(values)
        self.blitter.grow(self.hist_ax, np.concatenate(counts))
        return self.blitter.png()
