"""Per-arc state of the friendship graph, in numpy arrays.

A friendship {i, j} is two directed arcs: ``i <- j`` ("i sees j") and
``j <- i``. Arcs are stored sorted by author so that the arcs an author's
posts travel along are one contiguous slice (``start[j]:start[j + 1]``); each
arc knows its reverse (``twin``). Trust, status and exposure memory are
arrays over arcs: the graph changes (mutes, unfriends) by writing status,
never by rebuilding an index, so nothing goes stale.

Bytes per arc (``ARC_BYTES``; the table in ``docs/PERFORMANCE.md``, "The arc
table"): reader int32 (4), trust and exposure float32 (4 each), the baseline
in 16 bits (2: ``round(T0 x 65535)``, within 7.7e-6 of the drawn value), the
exposure's day uint16 (2), status int8 (1) and whether the reader follows the
author's shop, one bit: 17.125 bytes, against 42 when the reals were float64
and author and twin were stored (int64 twins). An arc's author is where its
index falls in the CSR offsets, its twin a binary search in the reader's
sorted slice: both are computed when asked (``author_of``, ``twin_of``). A
graph needs fewer than 2^31 arcs (about 43 million users at mean degree 50).
"""

from __future__ import annotations

import numpy as np

from sim.core.config import MAX_STEPS, ConfigError
from sim.engine import kernels, parallel
from sim.engine.arc_status import ArcStatus

__all__ = ["ARC_BYTES", "MAX_ARCS", "MAX_STEPS", "ArcStatus", "ArcTable", "PackedBits"]

MAX_ARCS = 2**31 - 1
"""The most arcs a graph may have. Set when the table stored int32 twins; it stores
no arc index now, but no run past 2^31 arcs has been tried, so the limit stays checked."""

ARC_BYTES = {
    "reader": 4,
    "trust": 4,
    "baseline": 2,
    "exposure": 4,
    "exposure_day": 2,
    "status": 1,
    "following": 0.125,
}
"""Bytes each per-arc array takes per arc (the layout ``docs/PERFORMANCE.md`` documents)."""


class PackedBits:
    """One bit per arc, indexed like a boolean array by integer index arrays.

    ``bits[idx]`` gives a bool array, ``bits[idx] = value`` sets them (repeated
    indices allowed), ``bits.count()`` says how many are set (kept as bits
    change: a daily reporter, it would otherwise read every word). Written by hand
    (compiled in ``sim.engine.kernels``): numpy's ``packbits`` packs a whole
    boolean array, and the engine reads and writes a few arcs at a time.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.words = np.zeros((n + 7) // 8, dtype=np.uint8)
        self._set = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: np.ndarray | int) -> np.ndarray | bool:
        if np.ndim(idx) == 0:
            return bool((self.words[int(idx) >> 3] >> (int(idx) & 7)) & 1)
        return kernels.get_bits(self.words, np.asarray(idx, dtype=np.int64))

    def __setitem__(self, idx: np.ndarray | int, value: bool) -> None:
        idx = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        changed = kernels.set_bits(self.words, idx, bool(value))
        self._set += changed if value else -changed

    def count(self) -> int:
        """Return how many bits are set."""
        return self._set


class ArcTable:
    """Directed arcs of an undirected friendship graph, grouped by author.

    Attributes:
        reader: who sees the arc's posts (int32, per arc).
        start: CSR offsets; arcs of author ``j`` are ``start[j]:start[j+1]``
            (``author_of`` reads them; no author is stored per arc).
        trust: trust ``T(reader <- author)`` in [0, 1].
        baseline: the arc's relationship baseline ``T0``, the level repair aims at,
            as a 16-bit code (``baseline_of`` gives the float32 level; drawn by
            the model, ``set_baselines``).
        status: an ``ArcStatus`` per arc.
        counts: arcs per status, kept up to date by ``mute`` and ``remove``.
        tracked_counts: the same for the arcs of the authors given to ``track``
            (the day-0 sellers, whose friends two daily reporters count), or None.
        exposure: marketing items seen along the arc, decayed over the wear window.
        exposure_day: the day ``exposure`` was last brought up to date.
        following: whether the reader follows the author's shop (separate-shop
            policy), a ``PackedBits``.

    """

    def __init__(self, n_users: int, edges: np.ndarray) -> None:
        # The layout (arcs sorted by author, then reader) is built by counting
        # (sim.engine.kernels.arc_layout), not by sorting 2E composite keys: at a
        # million users (50 million arcs) that sort alone took 8 s.
        edges = np.asarray(edges).reshape(-1, 2)
        if not kernels.canonical(edges):  # generators and the graph cache give canonical edges
            low, high = np.minimum(edges[:, 0], edges[:, 1]), np.maximum(edges[:, 0], edges[:, 1])
            order = np.lexsort((high, low))
            edges = np.stack([low[order], high[order]], axis=1)
        n_arcs = 2 * len(edges)
        if n_arcs > MAX_ARCS:
            raise ConfigError(
                f"the graph has {n_arcs:,} arcs; the arc table holds at most {MAX_ARCS:,}"
                " (about 43 million users at mean degree 50)"
            )
        self.n_users = n_users
        self.start = np.empty(n_users + 1, dtype=np.int64)
        self.reader = np.empty(n_arcs, dtype=np.int32)
        self.trust = np.zeros(n_arcs, dtype=np.float32)
        self.baseline = np.zeros(n_arcs, dtype=np.uint16)
        self.status = np.full(n_arcs, ArcStatus.VISIBLE, dtype=np.int8)
        self.counts = np.array([n_arcs, 0, 0], dtype=np.int64)
        self.tracked_counts: np.ndarray | None = None
        self._tracked = np.zeros(0, dtype=bool)
        # Written now (np.full, not np.zeros): a page first written by the day's
        # scattered updates costs a page fault in the middle of the run; at a
        # million users that was 1.4 s over the first 8 days, against 0.4 s here.
        self.exposure = np.full(n_arcs, 0.0, dtype=np.float32)
        self.exposure_day = np.full(n_arcs, 0, dtype=np.uint16)
        self.following = PackedBits(n_arcs)
        kernels.arc_layout(edges, self.kernel_view())

    def __len__(self) -> int:
        return len(self.reader)

    def kernel_view(self) -> kernels.Arcs:
        """Return the arrays as the compiled kernels take them (the same arrays, not copies).

        Built at each call: the model replaces ``baseline`` and ``trust`` once after
        construction, so a view kept from before would hold the old arrays.
        """
        return kernels.Arcs(
            self.start,
            self.reader,
            self.status,
            self.trust,
            self.baseline,
            self.exposure,
            self.exposure_day,
        )

    def set_baselines(self, arcs: slice | np.ndarray, levels: np.ndarray | float) -> None:
        """Store baselines ``levels`` (in [0, 1]) for ``arcs``; their trust starts at them."""
        levels = np.clip(levels, 0.0, 1.0)  # a code past 65535 would wrap around
        self.baseline[arcs] = np.rint(levels * kernels.BASELINE_STEPS)
        self.trust[arcs] = self.baseline_of(arcs)

    def baseline_of(self, idx: slice | np.ndarray) -> np.ndarray:
        """Return the baseline T0 of arcs ``idx`` (float32, as the kernels read it)."""
        return np.divide(self.baseline[idx], np.float32(kernels.BASELINE_STEPS), dtype=np.float32)

    def author_of(self, idx: np.ndarray) -> np.ndarray:
        """Return the author of every arc in ``idx`` (int32; a walk along the CSR offsets)."""
        return kernels.authors_of(self.start, np.asarray(idx, dtype=np.int64))

    def authors(self) -> np.ndarray:
        """Return the author of every arc, in arc order (a new int32 array: 4 bytes an arc)."""
        return np.repeat(np.arange(self.n_users, dtype=np.int32), np.diff(self.start))

    def twin_of(self, idx: np.ndarray) -> np.ndarray:
        """Return the reverse arc of every arc in ``idx`` (``j <- i`` for ``i <- j``).

        Found among the reader's sorted arcs (``find``): every arc has its reverse.
        """
        idx = np.asarray(idx, dtype=np.int64)
        return self.find(self.author_of(idx), self.reader[idx])

    def of_authors(self, authors: np.ndarray) -> np.ndarray:
        """Return the indices of every arc whose author is in ``authors``."""
        return kernels.arcs_of(self.kernel_view(), np.asarray(authors, dtype=np.int64))

    def visible_sum(self, per_author: np.ndarray) -> np.ndarray:
        """Return, per reader, the sum of ``per_author`` over the authors they see.

        One compiled pass over the arcs of authors with a nonzero value (on a
        day about a seventh of the users post), split across threads
        (``sim.engine.parallel.summed``); sums are float32, exact for counts
        (below 2**24 a reader, in any grouping).
        """
        view, per_author = self.kernel_view(), np.asarray(per_author)
        return parallel.summed(
            lambda authors, out: kernels.visible_sum(view, per_author, authors, out),
            parallel.author_parts(self.start, kernels.nonzero(per_author)),
            lambda: np.zeros(self.n_users, dtype=np.float32),
        )

    def moments_arcs(
        self, opened: np.ndarray, authors: np.ndarray, leak: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``authors``' arcs that show today and those that leak.

        ``kernels.moments_arcs``, split across threads (``sim.engine.parallel``);
        each list in arc order.
        """
        view = self.kernel_view()
        return parallel.joined_tuple(
            lambda part: kernels.moments_arcs(view, opened, part, leak),
            parallel.author_parts(self.start, authors),
        )

    def between(self, reader: int, author: int) -> int:
        """Return the index of arc ``reader <- author``, or -1 if they never were friends."""
        lo, hi = self.start[author], self.start[author + 1]
        k = lo + int(np.searchsorted(self.reader[lo:hi], reader))
        return k if k < hi and self.reader[k] == reader else -1

    def find(self, readers: np.ndarray, authors: np.ndarray) -> np.ndarray:
        """Return the arc ``readers[k] <- authors[k]`` for every k, or -1 where there is none.

        A binary search within each author's slice (its readers are sorted), split
        across threads (each search stands alone).
        """
        view = self.kernel_view()
        readers = np.asarray(readers, dtype=np.int64)
        authors = np.asarray(authors, dtype=np.int64)
        return parallel.joined(
            lambda part: kernels.find_arcs(view, readers[part], authors[part]),
            parallel.item_parts(len(readers)),
        )

    def friends(self, user: int) -> np.ndarray:
        """Return the users ``user`` is still friends with."""
        arcs = slice(self.start[user], self.start[user + 1])
        return self.reader[arcs][self.status[arcs] != ArcStatus.REMOVED]

    def mute(self, arcs: np.ndarray) -> None:
        """Mute: the readers of ``arcs`` stop seeing their authors' posts."""
        self._set_status(arcs, ArcStatus.MUTED)

    def remove(self, arcs: np.ndarray) -> None:
        """Unfriend: remove the friendships of ``arcs`` in both directions."""
        both = np.concatenate([arcs, self.twin_of(arcs)])
        self._set_status(both, ArcStatus.REMOVED)
        self.following[both] = False

    def track(self, authors: np.ndarray) -> None:
        """Keep ``tracked_counts`` for the arcs of ``authors``, from now on.

        Counted once here, then kept up to date with every status change (a few
        thousand arcs a day), instead of a walk over millions of arcs a day.
        """
        self._tracked = np.zeros(self.n_users, dtype=bool)
        self._tracked[authors] = True
        idx = self.of_authors(np.asarray(authors, dtype=np.int64))
        self.tracked_counts = np.bincount(self.status[idx], minlength=len(ArcStatus))

    def _set_status(self, arcs: np.ndarray, status: ArcStatus) -> None:
        arcs = np.unique(arcs)
        changed = arcs[self.status[arcs] != status]
        self.counts -= np.bincount(self.status[changed], minlength=len(ArcStatus))
        self.counts[status] += len(changed)
        if self.tracked_counts is not None:
            mine = changed[self._tracked[self.author_of(changed)]]
            self.tracked_counts -= np.bincount(self.status[mine], minlength=len(ArcStatus))
            self.tracked_counts[status] += len(mine)
        self.status[changed] = status
