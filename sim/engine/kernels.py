"""Compiled inner loops of the fast engine (numba).

Why by hand: in numpy, one pass of a rule over the day's arcs is a chain of
gathers, masks and temporaries (``reader[idx]``, ``status[idx] == VISIBLE``,
``opened[...]``, ``idx[mask]`` ...). At 100,000 users a day is about 200 such
calls of a tenth of a millisecond each, and that overhead, not arithmetic, was
the year's cost. Each loop here fuses one such chain into a single pass.

Every loop that draws random numbers takes a ``numpy.random.Generator`` (the
model's own, or in a world of several blocks of users a block's:
``sim.engine.streams``) and draws in the order the numpy code it replaced did
(numba reproduces numpy's streams draw for draw), so a world of one block gives
the numpy version's outputs byte for byte: the golden time series are the check.

Kernels marked ``nogil`` may run on several threads at once (``sim.engine.parallel``),
each over one part of the arcs or authors. They draw nothing at random, or
draw for one block of users from that block's own generator, which no other
part uses meanwhile (``sim.engine.streams``).

Compiled code is cached on disk (``cache=True``): a process loads it in
milliseconds; the first run on a machine compiles it once (about 20 s here).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from sim.engine.arc_status import ArcStatus
from sim.engine.submodels import (
    clutter,
    decayed_exposure,
    disappoint,
    erode_trust,
    ladder,
    marketing_density,
    recruit_probability,
    repair_trust,
    thin,
    update_engagement,
    wear_factor,
)

VISIBLE, MUTED, REMOVED = ArcStatus.VISIBLE.value, ArcStatus.MUTED.value, ArcStatus.REMOVED.value

BASELINE_STEPS = 65535
"""A baseline T0 is stored as ``round(T0 x 65535)`` in 16 bits (``sim.engine.network``)."""


@njit(cache=True)
def baseline_level(code: int) -> np.float32:
    """Return the baseline a stored code stands for: ``code / 65535`` in float32.

    numpy's float32 division gives the same number (``ArcTable.baseline_of``),
    so trust set to its baseline compares equal to it in every pass.
    """
    return np.float32(code) / np.float32(BASELINE_STEPS)


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask the CPU to start loading the cache line of ``array[index]`` (LLVM's prefetch).

    Why by hand: numba has no prefetch, and a walk over many short arc lists
    waits on memory at the start of each; the loads of one list come too late
    in the instruction stream for the CPU to overlap them with the list before.
    A hint changes no result.
    """
    signature = types.void(array, index)

    def codegen(context, builder, sig, args):
        kind = sig.args[0]
        view = context.make_array(kind)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(
            context, builder, kind, view, [args[1]], wraparound=False, boundscheck=False
        )
        byte_pointer = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        hint = builder.module.declare_intrinsic(  # the name's pointer suffix from llvmlite
            "llvm.prefetch",
            [byte_pointer],
            ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]),
        )
        # read (0), no reuse expected (0), data (1)
        builder.call(hint, [builder.bitcast(pointer, byte_pointer), int32(0), int32(0), int32(1)])
        return context.get_dummy_value()

    return signature, codegen


PREFETCH_AHEAD = 8
"""Walks over authors' arc lists ask for the list this many authors ahead (2-32 alike)."""


@njit(cache=True, inline="always")
def prefetch_ahead(arcs: Arcs, authors: np.ndarray, position: int) -> None:
    """Ask for the arc list ``PREFETCH_AHEAD`` authors after ``position``, if any.

    Every cache line of its readers and statuses. Used by ``visible_sum``, whose
    lists are short and scattered (about a seventh of all users post on a
    day); the same hint in walks over sellers' lists, long and few, measured
    no gain, so they go without.
    """
    if position + PREFETCH_AHEAD < len(authors):
        ahead = authors[position + PREFETCH_AHEAD]
        first, last = arcs.start[ahead], arcs.start[ahead + 1]
        for arc in range(first, last, 16):  # 16 readers (int32) a 64-byte line
            _prefetch(arcs.reader, arc)
        for arc in range(first, last, 64):
            _prefetch(arcs.status, arc)


# Named groups of what the kernels take (numba types a NamedTuple field by field
# in nopython mode): a kernel reads ``arcs.trust``, not the fourth of fifteen
# positional arrays, so two arrays of one dtype cannot be swapped at a call site.


class Arcs(NamedTuple):
    """The arc table's arrays (``sim.engine.network.ArcTable.kernel_view``); see there."""

    start: np.ndarray
    reader: np.ndarray
    status: np.ndarray
    trust: np.ndarray
    baseline: np.ndarray
    exposure: np.ndarray
    exposure_day: np.ndarray


class People(NamedTuple):
    """The per-user arrays the kernels read (``sim.engine.population.Population``)."""

    seller: np.ndarray
    category: np.ndarray
    need_expiry: np.ndarray
    recruitable: np.ndarray
    in_moments: np.ndarray
    rolling_sales: np.ndarray
    attention: np.ndarray


class MomentsToday(NamedTuple):
    """Today's Moments before reading (ODD 7.3).

    Attributes:
        opened: per user, whether they opened Moments today.
        organic_available: per user, ordinary items available from friends they see.
        shown: per author, marketing items shown in the feed today.
        folded: per author, marketing items folded away today.

    """

    opened: np.ndarray
    organic_available: np.ndarray
    shown: np.ndarray
    folded: np.ndarray


class ReadParams(NamedTuple):
    """Reading: chance to expand a folded item, the muted arcs' leak (``trust.mute_leak``)."""

    expand_prob: float
    mute_leak: float


class ErosionParams(NamedTuple):
    """Erosion (ODD 7.4): today and the ``trust`` section's wear and erosion settings."""

    day: int
    window: float
    per_item: float
    clutter_gain: float
    onset: float
    slope: float
    seller_factor: float


class RepairToday(NamedTuple):
    """Repair (ODD 7.4): who posted ordinary items, how many, and who read Moments.

    Attributes:
        authors: users who ever sold and posted ordinary items today.
        organic: per user, ordinary items posted today.
        opened: per user, whether they opened Moments today.
        share: per user, the chance to read an available item.

    """

    authors: np.ndarray
    organic: np.ndarray
    opened: np.ndarray
    share: np.ndarray


class Experience(NamedTuple):
    """What a user lived through today in every channel (ODD 7.8), per user.

    Attributes:
        clutter: Moments clutter (marketing density above tolerance).
        load: marketing items read, weighted by channel.
        disappointments: disappointing purchases.

    """

    clutter: np.ndarray
    load: np.ndarray
    disappointments: np.ndarray


class ExperienceParams(NamedTuple):
    """Experience (ODD 7.8): the ``users`` section's engagement settings."""

    recovery: float
    loss: float
    sensitivity: float
    disappointment_loss: float
    leave_below: float


class RecruitParams(NamedTuple):
    """Recruitment (ODD 7.7): the ``sellers`` section's recruit settings."""

    base_prob: float
    min_trust: float
    sales_norm: float


class HolmeKim(NamedTuple):
    """Holme-Kim growth: users, ties per new user, triad chance, set width, redraws."""

    n: int
    m: int
    triad_prob: float
    width: int
    tries: int


@njit(cache=True, nogil=True)
def visible_sum(arcs: Arcs, per_author: np.ndarray, authors: np.ndarray, out: np.ndarray) -> None:
    """Add, per reader, ``per_author`` of the ``authors`` they see into ``out`` (float32).

    The caller passes the authors with a value (``ArcTable.visible_sum``, which
    splits them across threads and adds the threads' sums: exact for counts).
    """
    start, reader, status = arcs.start, arcs.reader, arcs.status
    for position in range(len(authors)):
        prefetch_ahead(arcs, authors, position)
        author = authors[position]
        value = np.float32(per_author[author])
        if value == 0:
            continue
        for arc in range(start[author], start[author + 1]):
            if status[arc] == VISIBLE:
                out[reader[arc]] += value


@njit(cache=True, nogil=True)
def nonzero(values: np.ndarray) -> np.ndarray:
    """Return the positions of the nonzero ``values``, ascending (``np.flatnonzero``).

    Written by hand because numpy's counts first and then branches per value:
    on a million users' daily counts, mostly zero, 2-3 ms; this one pass
    writes every position and advances past the nonzero ones, about 0.5 ms.
    For boolean masks numpy's is as fast: use it there.
    """
    out = np.empty(len(values), dtype=np.int64)
    found = 0
    for position in range(len(values)):
        out[found] = position
        found += values[position] != 0
    return out[:found].copy()


@njit(cache=True, nogil=True)
def nonzero_either(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Return the positions where ``first`` or ``second`` is nonzero, ascending.

    ``np.flatnonzero((first != 0) | (second != 0))`` in one pass, without the
    masks (or a sum) as arrays of their own: the day's marketers, from what each
    showed and had folded, took 2 ms this way at a million users, 0.5 ms here.
    """
    out = np.empty(len(first), dtype=np.int64)
    found = 0
    for position in range(len(first)):
        out[found] = position
        found += (first[position] != 0) | (second[position] != 0)
    return out[:found].copy()


@njit(cache=True, nogil=True)
def arc_count(start: np.ndarray, authors: np.ndarray) -> int:
    """Return how many arcs the ``authors`` have in all."""
    total = 0
    for author in authors:
        total += start[author + 1] - start[author]
    return total


@njit(cache=True)
def author_cuts(start: np.ndarray, authors: np.ndarray, parts: int) -> np.ndarray:
    """Return where to cut ``authors`` into ``parts`` runs with about equal arc counts.

    ``parts - 1`` ascending positions for ``numpy.split`` (``sim.engine.parallel``).
    """
    total = arc_count(start, authors)
    cuts = np.full(parts - 1, len(authors), dtype=np.int64)
    cut = seen = 0
    for j in range(len(authors)):
        while cut < parts - 1 and seen >= total * (cut + 1) // parts:
            cuts[cut] = j
            cut += 1
        seen += start[authors[j] + 1] - start[authors[j]]
    return cuts


@njit(cache=True, nogil=True)
def author_at(start: np.ndarray, arc: int, guess: int) -> int:
    """Return the author of ``arc``: the last ``a`` with ``start[a] <= arc``.

    The table stores no author per arc (4 bytes an arc); the CSR offsets say
    it. Arc lists come author by author, so the search starts at ``guess``
    (the last answer) and gallops forward, touching offsets near it, and only
    an arc before ``guess`` costs a binary search over all of them.
    """
    last = len(start) - 1  # start[last] is the number of arcs: above every arc
    if 0 <= guess < last and start[guess] <= arc:
        if arc < start[guess + 1]:
            return guess
        lo, step = guess + 1, 1  # start[lo] <= arc
        hi = lo + step
        while hi < last and start[hi] <= arc:
            lo, step = hi, 2 * step
            hi = lo + step
        hi = min(hi, last)
    else:
        lo, hi = 0, last
    while hi - lo > 1:  # start[lo] <= arc < start[hi]
        mid = (lo + hi) // 2
        if start[mid] <= arc:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def authors_of(start: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Return the author of every arc in ``idx`` (int32)."""
    out = np.empty(len(idx), dtype=np.int32)
    author, first, last = -1, 0, 0  # the arcs of author are first:last
    for k in range(len(idx)):
        if not first <= idx[k] < last:
            author = author_at(start, idx[k], author)
            first, last = start[author], start[author + 1]
        out[k] = author
    return out


@njit(cache=True)
def live_friend_counts(arcs: Arcs, seller: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, per user, how many friends they still have and how many of them sell."""
    start, reader, status = arcs.start, arcs.reader, arcs.status
    friends = np.zeros(len(start) - 1)
    selling = np.zeros(len(start) - 1)
    for author in range(len(start) - 1):
        for arc in range(start[author], start[author + 1]):
            if status[arc] != REMOVED:
                friends[reader[arc]] += 1.0
                if seller[author]:
                    selling[reader[arc]] += 1.0
    return friends, selling


@njit(cache=True)
def arcs_of(arcs: Arcs, authors: np.ndarray) -> np.ndarray:
    """Return every arc whose author is in ``authors``, author by author."""
    start = arcs.start
    total = arc_count(start, authors)
    out = np.empty(total, dtype=np.int64)
    k = 0
    for author in authors:
        for arc in range(start[author], start[author + 1]):
            out[k] = arc
            k += 1
    return out


@njit(cache=True)
def get_bits(words: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Return bit ``idx[k]`` of the packed ``words`` (uint8, 8 bits each) as bools."""
    out = np.empty(len(idx), dtype=np.bool_)
    for k in range(len(idx)):
        out[k] = (words[idx[k] >> 3] >> (idx[k] & 7)) & 1
    return out


@njit(cache=True)
def set_bits(words: np.ndarray, idx: np.ndarray, value: bool) -> int:
    """Set bit ``idx[k]`` of the packed ``words`` to ``value`` for every k.

    Returns how many bits changed (a bit repeated in ``idx`` changes once).
    """
    changed = 0
    for k in range(len(idx)):
        mask = np.uint8(1 << (idx[k] & 7))
        old = words[idx[k] >> 3]
        new = old | mask if value else old & ~mask
        changed += old != new
        words[idx[k] >> 3] = new
    return changed


@njit(cache=True)
def canonical(edges: np.ndarray) -> bool:
    """Return whether every edge is ``(low, high)`` with ``low < high``, in sorted order."""
    for e in range(len(edges)):
        if edges[e, 0] >= edges[e, 1]:
            return False
        if e and (edges[e, 0], edges[e, 1]) <= (edges[e - 1, 0], edges[e - 1, 1]):
            return False
    return True


@njit(cache=True)
def arc_layout(edges: np.ndarray, arcs: Arcs) -> None:
    """Lay canonical edges (``canonical``) out as arcs grouped by author.

    Fills ``arcs.start`` (CSR offsets, n_users + 1) and ``reader`` (2 arcs per
    edge). An author's arcs come in reader order: first the readers below it
    (edges whose high end it is, met in order of their low end), then those
    above (its own edges, in order of their high end). One pass, by counting:
    no sort. The arrays come from numpy, which asks the kernel for huge pages
    on large arrays (numba's allocator does not): the run gathers from them at
    random every day.
    """
    start, reader = arcs.start, arcs.reader
    n_users = len(start) - 1
    degree = np.zeros(n_users, dtype=np.int64)
    below = np.zeros(n_users, dtype=np.int64)
    for e in range(len(edges)):
        degree[edges[e, 0]] += 1
        degree[edges[e, 1]] += 1
        below[edges[e, 1]] += 1
    start[0] = 0
    for node in range(n_users):
        start[node + 1] = start[node] + degree[node]
    next_below = start[:-1].copy()
    next_above = start[:-1] + below
    for e in range(len(edges)):
        u, v = edges[e, 0], edges[e, 1]
        reader[next_above[u]], reader[next_below[v]] = v, u  # arcs v <- u and u <- v
        next_above[u] += 1
        next_below[v] += 1


@njit(cache=True, nogil=True)
def find_arcs(arcs: Arcs, readers: np.ndarray, authors: np.ndarray) -> np.ndarray:
    """Return arc ``readers[k] <- authors[k]`` for each k (-1 if none): binary searches."""
    start, reader = arcs.start, arcs.reader
    out = np.full(len(readers), -1, dtype=np.int64)
    for k in range(len(readers)):
        lo, hi = start[authors[k]], start[authors[k] + 1]
        end = hi
        while lo < hi:
            mid = (lo + hi) // 2
            if reader[mid] < readers[k]:
                lo = mid + 1
            else:
                hi = mid
        if lo < end and reader[lo] == readers[k]:
            out[k] = lo
    return out


@njit(cache=True, nogil=True)
def moments_arcs(
    arcs: Arcs, opened: np.ndarray, authors: np.ndarray, leak: bool
) -> tuple[np.ndarray, np.ndarray]:
    """ODD 7.3: return the posting ``authors``' arcs that show and those that leak.

    Shown: to readers who see the author and opened Moments today. Leaking (if
    ``leak``): muted. Each in arc order.
    """
    start, reader, status = arcs.start, arcs.reader, arcs.status
    total = arc_count(start, authors)
    shown = np.empty(total, dtype=np.int64)
    leaking = np.empty(total, dtype=np.int64)
    n_shown = n_leaking = 0
    for author in authors:
        # no branches: the count moves by the test (why: ``offer_kinds``)
        for arc in range(start[author], start[author + 1]):
            state = status[arc]
            shown[n_shown] = arc
            n_shown += (state == VISIBLE) & opened[reader[arc]]
            leaking[n_leaking] = arc
            n_leaking += leak & (state == MUTED)
    return shown[:n_shown], leaking[:n_leaking]


class ByBlock(NamedTuple):
    """Arcs grouped by their reader's block, each group in arc order (``by_block``).

    Attributes:
        order: per grouped position, the arc's position in the list grouped.
        bounds: where each block's group starts, and the end.
        reader: per grouped position, the arc's reader.
        author: per grouped position, the arc's author.

    """

    order: np.ndarray
    bounds: np.ndarray
    reader: np.ndarray
    author: np.ndarray


class ReadOut(NamedTuple):
    """What reading writes; each block its own users and its own group's positions.

    Attributes:
        marketing: per shown arc (grouped), marketing items on it.
        marketing_read: per shown arc (grouped), marketing items read.
        leaks: per leaking arc (grouped), items leaked.
        available: per user, items available (ordinary, then marketing added).
        share: per user, the share of items read.
        organic_read: per user, ordinary items read.
        marketing_per_user: per user, marketing items read in Moments.

    """

    marketing: np.ndarray
    marketing_read: np.ndarray
    leaks: np.ndarray
    available: np.ndarray
    share: np.ndarray
    organic_read: np.ndarray
    marketing_per_user: np.ndarray


@njit(cache=True, nogil=True)
def block_counts(
    arcs: Arcs, idx: np.ndarray, shift: int, blocks: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the readers and authors of the arcs ``idx`` and how many fall in each reader block.

    A block is ``2**shift`` consecutive users. The first pass of grouping arcs by
    block (``place_by_block`` the second), one part of the list at a time.
    """
    reader = np.empty(len(idx), dtype=np.int32)
    counts = np.zeros(blocks, dtype=np.int64)
    for k in range(len(idx)):
        reader[k] = arcs.reader[idx[k]]
        counts[reader[k] >> shift] += 1
    return reader, authors_of(arcs.start, idx), counts


@njit(cache=True, nogil=True)
def place_by_block(
    reader: np.ndarray, author: np.ndarray, first: int, fill: np.ndarray, shift: int, out: ByBlock
) -> None:
    """Write arcs ``first`` on (their ``reader`` and ``author``) into their blocks' groups.

    ``fill``: per block, where this part's arcs of the block go (advanced here).
    """
    for k in range(len(reader)):
        b = reader[k] >> shift
        j = fill[b]
        out.order[j], out.reader[j], out.author[j] = first + k, reader[k], author[k]
        fill[b] = j + 1


@njit(cache=True, nogil=True)
def read_block(
    arcs: Arcs,
    attention: np.ndarray,
    today: MomentsToday,
    shown: ByBlock,
    leaking: tuple[np.ndarray, np.ndarray],
    block: int,
    users: tuple[int, int],
    params: ReadParams,
    expand: bool,
    rng: np.random.Generator,
    out: ReadOut,
) -> None:
    """ODD 7.3 Reading for one block of users, ``users[0]`` to ``users[1] - 1``.

    ``shown``: the arcs that show marketing, grouped by their reader's block
    (``place_by_block``); ``leaking``: the arcs that leak it, in arc order, and
    where each block's authors' arcs among them start (a leak does not depend
    on what its reader read, so leaks go by author: no grouping needed). The
    block draws from its own ``rng`` in the order a single block of every user
    draws in: expansions of folded items (if ``expand``), marketing thinning
    (single items, then piles, as ``submodels.thin``), ordinary thinning,
    leaks. Blocks write disjoint users and positions of ``out``.
    """
    lo, hi = users
    first, last = shown.bounds[block], shown.bounds[block + 1]
    marketing, available, share = out.marketing, out.available, out.share
    for j in range(first, last):
        marketing[j] = today.shown[shown.author[j]]
    if expand:
        for j in range(first, last):
            if rng.random() < params.expand_prob:
                marketing[j] += today.folded[shown.author[j]]
    for i in range(lo, hi):
        available[i] = today.organic_available[i]
    for j in range(first, last):
        available[shown.reader[j]] += marketing[j]
    for i in range(lo, hi):  # sim.engine.submodels.read_fraction
        share[i] = 1.0 if available[i] <= 0 else min(1.0, attention[i] / available[i])
    read = out.marketing_read
    # marketing thinning as ``submodels.thin`` draws, over the block's arcs in order
    thinned = np.empty(last - first, dtype=np.int64)
    m = 0
    for j in range(first, last):
        count, fraction = marketing[j], share[shown.reader[j]]
        read[j] = count if fraction >= 1.0 else 0
        if fraction < 1.0 and count >= 1:
            thinned[m] = j
            m += 1
    for j in thinned[:m]:
        if marketing[j] == 1:
            read[j] = 1 if rng.random() < share[shown.reader[j]] else 0
    for j in thinned[:m]:
        if marketing[j] > 1:
            read[j] = rng.binomial(np.int64(marketing[j]), share[shown.reader[j]])
    out.organic_read[lo:hi] = thin(today.organic_available[lo:hi], share[lo:hi], rng)
    per_user = out.marketing_per_user
    for j in range(first, last):
        per_user[shown.reader[j]] += read[j]
    arcs_leaking, leak_bounds = leaking
    first, last = leak_bounds[block], leak_bounds[block + 1]
    author = authors_of(arcs.start, arcs_leaking[first:last])
    posted = np.empty(last - first, dtype=np.int64)
    for j in range(last - first):
        posted[j] = today.shown[author[j]] + today.folded[author[j]]
    out.leaks[first:last] = binomials(posted, params.mute_leak, rng)


@njit(cache=True, nogil=True)
def read_along(
    ads: np.ndarray,
    order: np.ndarray,
    leaking: np.ndarray,
    marketing_read: np.ndarray,
    leaks: np.ndarray,
    scratch: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the arcs marketing was read along and the items on each: shown arcs, then leaks.

    ``marketing_read`` is grouped by reader block (``order``: each position's
    place in ``ads``); ``scratch``, as long as ``ads``, takes it back in arc order.
    Each list in arc order (``ads`` and ``leaking``), only arcs with at least one item.
    """
    read = scratch
    for j in range(len(ads)):
        read[order[j]] = marketing_read[j]
    exposed = np.empty(len(ads) + len(leaking), dtype=np.int64)
    items = np.empty(len(ads) + len(leaking), dtype=np.int64)
    hits = 0
    for k in range(len(ads)):
        exposed[hits], items[hits] = ads[k], read[k]
        hits += read[k] > 0
    for k in range(len(leaking)):
        exposed[hits], items[hits] = leaking[k], leaks[k]
        hits += leaks[k] > 0
    return exposed[:hits], items[:hits]


@njit(cache=True, nogil=True)
def opened_today(
    in_moments: np.ndarray, engagement: np.ndarray, rng: np.random.Generator, opened: np.ndarray
) -> None:
    """ODD 7.3: who opens Moments today: a user in Moments, with chance their engagement.

    Fills ``opened`` for one block of users (``sim.engine.streams``). One uniform
    a user, in order, whether or not they use Moments: the numbers
    ``rng.random(n)`` would draw, without its array of them.
    """
    for i in range(len(engagement)):
        opened[i] = in_moments[i] & (rng.random() < engagement[i])


@njit(cache=True)
def binomials(counts: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Return ``rng.binomial(counts[k], p)`` for each k in order: the same draws, faster.

    Why by hand: the mute leak draws one binomial per muted arc of a posting
    seller (170,000 a day at a million users) with one ``p`` and a few distinct
    counts, and numba's binomial spends most of each draw on a logarithm, an
    exponential and a square root that depend on the count and ``p`` only. They
    are worked out once per count here; the draws repeat numba's (and numpy's)
    inversion method uniform for uniform (``binomial_inversion``), and any case
    that method does not cover goes to ``rng.binomial`` itself.
    """
    out = np.zeros(len(counts), dtype=np.int64)
    if not len(counts) or p == 0.0:
        return out
    q = 1.0 - p
    qn = np.full(counts.max() + 1, np.nan)  # worked out when a count first comes
    bound = np.empty(len(qn))
    for k in range(len(counts)):
        n = counts[k]
        if n == 0:
            continue  # no draw, as rng.binomial
        if p <= 0.5 and p * n <= 30.0:
            if np.isnan(qn[n]):
                # as numba's random_binomial_inversion computes them, one at a time: in
                # a loop of their own LLVM may vectorise exp (SVML, where installed),
                # which need not round as the scalar exp does
                qn[n] = np.exp(n * np.log(q))
                mean = n * p
                bound[n] = min(n, mean + 10.0 * np.sqrt(mean * q + 1))
            out[k] = binomial_inversion(rng, n, p, q, qn[n], bound[n])
        else:
            out[k] = rng.binomial(n, p)
    return out


@njit(cache=True, inline="always")
def binomial_inversion(
    rng: np.random.Generator, n: int, p: float, q: float, qn: float, bound: float
) -> int:
    """Draw as numba's ``random_binomial_inversion`` (numpy's method, ``n p <= 30``, ``p <= 0.5``).

    ``qn`` is ``(1 - p)^n`` and ``bound`` the search limit, both as numba works them out.
    """
    drawn = 0
    px = qn
    u = rng.random()
    while u > px:
        drawn += 1
        if drawn > bound:
            drawn = 0
            px = qn
            u = rng.random()
        else:
            u -= px
            px = ((n - drawn + 1) * p * px) / (drawn * q)
    return drawn


@njit(cache=True, nogil=True)
def marketing_load(
    arcs: Arcs,
    seller: np.ndarray,
    idx: np.ndarray,
    items: np.ndarray,
    weight: float,
    muted_weight: float,
    load: np.ndarray,
) -> int:
    """ODD 7.8 load: add ``items[k]`` x the channel's weight to the load of arc ``idx[k]``'s reader.

    ``muted_weight`` along a muted arc (the leak), ``weight`` along any other;
    added in arc order, as ``np.bincount`` adds. Returns the items read by
    users who do not sell.
    """
    reader, status = arcs.reader, arcs.status
    to_non_sellers = 0
    for k in range(len(idx)):
        user = reader[idx[k]]
        load[user] += items[k] * (muted_weight if status[idx[k]] == MUTED else weight)
        to_non_sellers += items[k] * (not seller[user])
    return to_non_sellers


@njit(cache=True, nogil=True)
def at_readers(arcs: Arcs, idx: np.ndarray, per_user: np.ndarray) -> np.ndarray:
    """Return ``per_user`` at the reader of each arc of ``idx``."""
    reader = arcs.reader
    out = np.empty(len(idx), dtype=per_user.dtype)
    for k in range(len(idx)):
        out[k] = per_user[reader[idx[k]]]
    return out


@njit(cache=True, nogil=True)
def erode(
    arcs: Arcs,
    seller: np.ndarray,
    idx: np.ndarray,
    items: np.ndarray,
    clutter_level: np.ndarray,
    params: ErosionParams,
) -> np.ndarray:
    """ODD 7.4 Erosion along arcs ``idx``: ``SocialCommerceModel.expose``, fused.

    ``items`` and ``clutter_level`` are per arc of ``idx``, ``seller`` per user.
    Updates ``exposure``, ``exposure_day`` and ``trust`` in place with the rules
    of ``sim.engine.submodels`` and returns each arc's trust before. Everything is read
    before anything is written, as numpy's gathers and scatters did. The arcs of
    ``idx`` are distinct (a channel reads along an arc once a day), so parts of
    ``idx`` may run on threads at once (``SocialCommerceModel.expose``).
    """
    trust, exposure, exposure_day, reader = (
        arcs.trust,
        arcs.exposure,
        arcs.exposure_day,
        arcs.reader,
    )
    day, window, per_item = params.day, params.window, params.per_item
    clutter_gain, onset, slope = params.clutter_gain, params.onset, params.slope
    seller_factor = params.seller_factor
    n = len(idx)
    before = np.empty(n)
    past = np.empty(n, dtype=np.float32)
    last_day = np.empty(n, dtype=np.int64)
    for k in range(n):
        before[k] = trust[idx[k]]
        past[k] = exposure[idx[k]]
        last_day[k] = exposure_day[idx[k]]
    for k in range(n):
        arc = idx[k]
        seen = decayed_exposure(past[k], last_day[k], day, window) + items[k]
        factor = seller_factor if seller[reader[arc]] else 1.0
        wear = wear_factor(seen, onset, slope)
        trust[arc] = erode_trust(
            before[k], items[k], per_item, clutter_level[k], clutter_gain, wear, factor
        )
        exposure[arc] = seen
        exposure_day[arc] = day
    return before


# The response ladder compiled for ``respond``; ``submodels.ladder`` stays numpy's, so
# a Python caller's float margin keeps numpy's float32 arithmetic with float32 trust.
_ladder = njit(cache=True, nogil=True)(ladder)


@njit(cache=True, nogil=True)
def respond(
    arcs: Arcs,
    following: np.ndarray,
    idx: np.ndarray,
    before: np.ndarray,
    disappointed: np.ndarray,
    mute_threshold: np.ndarray,
    margin: float,
    unfriend_ratio: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ODD 7.6 The response ladder along arcs ``idx``: ``SocialCommerceModel.respond``.

    ``before`` is each arc's trust before today's first lowering, ``disappointed``
    whether a purchase along it disappointed today, ``following`` the packed
    shop-follow bits (``PackedBits.words``), ``mute_threshold`` per user.
    Returns ``sim.engine.submodels.ladder``'s masks (unfollow, mute, unfriend)
    and whether each reader follows the author's shop.
    """
    n = len(idx)
    trust = np.empty(n, dtype=np.float32)
    baseline = np.empty(n, dtype=np.float32)
    fell = np.empty(n, dtype=np.bool_)
    threshold = np.empty(n)
    visible = np.empty(n, dtype=np.bool_)
    follows = np.empty(n, dtype=np.bool_)
    first_rung = np.empty(n, dtype=np.bool_)
    for k in range(n):
        arc = idx[k]
        trust[k] = arcs.trust[arc]
        baseline[k] = baseline_level(arcs.baseline[arc])
        fell[k] = trust[k] < before[k]
        threshold[k] = mute_threshold[arcs.reader[arc]]
        visible[k] = arcs.status[arc] == VISIBLE
        follows[k] = (following[arc >> 3] >> (arc & 7)) & 1
        first_rung[k] = follows[k] and not disappointed[k]
    unfollow, mute, unfriend = _ladder(
        trust, baseline, fell, threshold, np.float32(margin), unfriend_ratio, visible, first_rung
    )
    return unfollow, mute, unfriend, follows


@njit(cache=True, nogil=True)
def repair_due(
    arcs: Arcs, today: RepairToday, authors: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ODD 7.4: the ``authors``' arcs repair can reach today, in arc order.

    Arcs to readers who opened Moments and see the author, with trust below
    baseline. Returns them, the author's ordinary posts on each and the
    reader's share of items read (``repair`` draws and applies).
    """
    start, reader, status, trust, baseline = (
        arcs.start,
        arcs.reader,
        arcs.status,
        arcs.trust,
        arcs.baseline,
    )
    organic, opened, share = today.organic, today.opened, today.share
    total = arc_count(start, authors)
    due = np.empty(total, dtype=np.int64)
    available = np.empty(total, dtype=np.int64)
    due_share = np.empty(total)
    n = 0
    for author in authors:
        for arc in range(start[author], start[author + 1]):
            if (
                opened[reader[arc]]
                and status[arc] == VISIBLE
                and trust[arc] < baseline_level(baseline[arc])
            ):
                due[n], available[n], due_share[n] = arc, organic[author], share[reader[arc]]
                n += 1
    return due[:n], available[:n], due_share[:n]


@njit(cache=True)
def repair(
    arcs: Arcs,
    due: np.ndarray,
    available: np.ndarray,
    share: np.ndarray,
    repair_rate: float,
    rng: np.random.Generator,
) -> None:
    """ODD 7.4 Repair along the ``due`` arcs (``repair_due``): ``SocialCommerceModel.repair``.

    Each reads a thinned share of the author's posts (drawn in arc order) and
    moves trust up by ``sim.engine.submodels.repair_trust``.
    """
    trust, baseline = arcs.trust, arcs.baseline
    items = thin(available, share, rng)
    for k in range(len(due)):
        arc = due[k]
        trust[arc] = repair_trust(trust[arc], baseline_level(baseline[arc]), items[k], repair_rate)


@njit(cache=True, nogil=True)
def reading_summary(
    marketing_per_user: np.ndarray,
    organic_per_user: np.ndarray,
    seller: np.ndarray,
    tolerance: np.ndarray,
) -> tuple[np.ndarray, int, int]:
    """ODD 7.3-7.4 after reading: each user's clutter, and what non-sellers read in all.

    Clutter is ``sim.engine.submodels.clutter`` of the user's marketing density;
    the totals are the marketing and ordinary items read by users who do not
    sell (item counts, so their sums are exact in any order).
    """
    out = np.empty(len(seller))
    marketing = 0.0
    organic = 0
    for i in range(len(seller)):
        density = marketing_density(marketing_per_user[i], organic_per_user[i])
        out[i] = clutter(density, tolerance[i])
        if not seller[i]:
            marketing += marketing_per_user[i]
            organic += organic_per_user[i]
    return out, int(marketing), organic


@njit(cache=True, nogil=True)
def experience(
    engagement: np.ndarray,
    engagement_base: np.ndarray,
    in_moments: np.ndarray,
    seller: np.ndarray,
    today: Experience,
    params: ExperienceParams,
) -> None:
    """ODD 7.8 Experience for every user in Moments: ``SocialCommerceModel.update_engagement``.

    Disappointments first (``sim.engine.submodels.disappoint``), then
    ``update_engagement``; a non-seller whose engagement ends a bad day below
    ``leave_below`` leaves Moments. Updates the arrays in place.
    """
    for i in range(len(engagement)):
        if not in_moments[i]:
            continue
        level, rest = engagement[i], engagement_base[i]
        hurt = today.disappointments[i]
        if hurt > 0:
            level, rest = disappoint(level, rest, hurt, params.disappointment_loss)
            engagement_base[i] = rest
        level = update_engagement(
            level,
            rest,
            today.clutter[i],
            params.recovery,
            params.loss,
            today.load[i],
            params.sensitivity,
        )
        engagement[i] = level
        bad_day = today.clutter[i] > 0 or today.load[i] > 0 or hurt > 0
        if bad_day and not seller[i] and level < params.leave_below:
            in_moments[i] = False


NO_OFFER, OFFER_WITHOUT_NEED, OFFER_TO_NEED = 0, 1, 2
"""What a marketing item along an arc is to its reader (``offer_kinds``)."""


@njit(cache=True, nogil=True)
def offer_kinds(arcs: Arcs, people: People, idx: np.ndarray, day: int) -> np.ndarray:
    """ODD 7.5: what each arc of ``idx`` offers its reader today (uint8 codes).

    ``NO_OFFER`` unless the author sells and the reader is not a seller of the
    same category; then ``OFFER_TO_NEED`` if the reader has an open need in the
    author's category (a purchase may follow), else ``OFFER_WITHOUT_NEED``
    (persuasion may open one).
    """
    start, reader = arcs.start, arcs.reader
    seller, category, need_expiry = people.seller, people.category, people.need_expiry
    out = np.empty(len(idx), dtype=np.uint8)
    author = authors_of(start, idx)
    # Without branches (& on bools, every position written): which way a test goes
    # depends on a load that often misses the cache, and a mispredicted branch
    # would make the CPU wait for each such load in turn.
    for k in range(len(idx)):
        seller_node, buyer = author[k], reader[idx[k]]
        wanted = category[seller_node]
        competitor = seller[buyer] & (category[buyer] == wanted)
        open_need = need_expiry[buyer, max(wanted, 0)] >= day
        out[k] = (seller[seller_node] & ~competitor) * (np.uint8(1) + open_need)
    return out


@njit(cache=True)
def persuasion_hits(
    kinds: np.ndarray, items: np.ndarray, powers: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """ODD 7.5: the positions whose marketing persuaded a reader (``submodels.persuaded``).

    Over the positions that offer without a need (``OFFER_WITHOUT_NEED``), in
    order, one uniform each: a hit when it is below ``1 - powers[items[k]]``
    (``powers[m] = (1 - persuasion)^m``). The draws and comparisons of
    ``persuaded`` over those positions, without its arrays (30 MB at a million
    users, at the day's memory peak).
    """
    hits = np.empty(len(kinds), dtype=np.int64)
    count = 0
    for k in range(len(kinds)):
        # a uniform only where the kind matches: ``and`` does not draw otherwise
        if kinds[k] == OFFER_WITHOUT_NEED and rng.random() < 1.0 - powers[items[k]]:
            hits[count] = k
            count += 1
    return hits[:count].copy()


@njit(cache=True, nogil=True)
def needs_opened(
    arcs: Arcs, people: People, idx: np.ndarray, kinds: np.ndarray, persuaded: np.ndarray, day: int
) -> None:
    """Turn ``OFFER_WITHOUT_NEED`` into ``OFFER_TO_NEED`` where a need is open now.

    ``kinds`` are ``offer_kinds`` of ``idx`` before persuasion; ``persuaded``
    marks the readers in whom it opened a need: only their arcs can change,
    and only if the opened need is in the arc's author's category.
    """
    start, reader = arcs.start, arcs.reader
    category, need_expiry = people.category, people.need_expiry
    author = -1
    for k in range(len(idx)):
        if kinds[k] == OFFER_WITHOUT_NEED and persuaded[reader[idx[k]]]:
            author = author_at(start, idx[k], author)
            if need_expiry[reader[idx[k]], category[author]] >= day:
                kinds[k] = OFFER_TO_NEED


@njit(cache=True, nogil=True)
def recruits(
    arcs: Arcs,
    people: People,
    idx: np.ndarray,
    draws: np.ndarray,
    params: RecruitParams,
) -> np.ndarray:
    """ODD 7.7: the arcs of ``idx`` whose reader is drawn into the author's downline.

    ``draws`` holds one uniform per arc of ``idx``, drawn in order whether or not
    the arc can recruit (as the numpy version drew);
    ``sim.engine.submodels.recruit_probability`` gives the chance along visible
    arcs from a seller to a recruitable non-seller in Moments.
    """
    start, reader, status, trust = arcs.start, arcs.reader, arcs.status, arcs.trust
    seller, recruitable, in_moments = people.seller, people.recruitable, people.in_moments
    rolling_sales = people.rolling_sales
    base_prob, min_trust, sales_norm = params.base_prob, params.min_trust, params.sales_norm
    n = len(idx)
    arc_trust = np.empty(n)
    sales = np.empty(n)
    author = authors_of(start, idx)
    for k in range(n):
        arc_trust[k], sales[k] = trust[idx[k]], rolling_sales[author[k]]
    probability = recruit_probability(arc_trust, sales, base_prob, min_trust, sales_norm)
    joins = np.empty(n, dtype=np.int64)
    count = 0
    for k in range(n):  # no branches: the count moves by the test (why: ``offer_kinds``)
        arc = idx[k]
        who = reader[arc]
        joins[count] = arc
        count += (
            seller[author[k]]
            & ~seller[who]
            & recruitable[who]
            & in_moments[who]
            & (status[arc] == VISIBLE)
            & (draws[k] < probability[k])
        )
    return joins[:count]


PAIRWISE_BLOCK = 128
"""numpy's pairwise summation adds blocks of at most this many values in eight running sums."""


@njit(cache=True)
def _block_sum(values: np.ndarray, first: int, count: int) -> float:
    """Return numpy's sum of a block (``PAIRWISE_BLOCK``): in order below 8, else in eight sums."""
    if count < 8:
        total = 0.0
        for i in range(first, first + count):
            total += values[i]
        return total
    r0, r1, r2, r3 = values[first], values[first + 1], values[first + 2], values[first + 3]
    r4, r5, r6, r7 = values[first + 4], values[first + 5], values[first + 6], values[first + 7]
    i = 8
    while i < count - count % 8:
        at = first + i
        r0, r1, r2, r3 = (
            r0 + values[at],
            r1 + values[at + 1],
            r2 + values[at + 2],
            r3 + values[at + 3],
        )
        r4, r5, r6, r7 = (
            r4 + values[at + 4],
            r5 + values[at + 5],
            r6 + values[at + 6],
            r7 + values[at + 7],
        )
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < count:
        total += values[first + i]
        i += 1
    return total


@njit(cache=True)
def pairwise_sum(values: np.ndarray, first: int, count: int) -> float:
    """Return the sum of ``values[first:first + count]`` as numpy adds float64 arrays.

    Why by hand: numba's ``sum`` adds in order, numpy pairwise (blocks of up
    to ``PAIRWISE_BLOCK``, ``_block_sum``, halved above that at a multiple of 8); this repeats
    numpy's order, so a mean taken here is the number ``numpy.mean`` gives, bit
    for bit. The halving runs on a stack of its own: numba's cache crashes on
    recursive functions.
    """
    if count <= PAIRWISE_BLOCK:
        return _block_sum(values, first, count)
    # the pending halves: two slots a level, 31 levels (2e11 values), far beyond any array here
    firsts = np.empty(64, dtype=np.int64)
    counts = np.empty(64, dtype=np.int64)
    split = np.zeros(64, dtype=np.bool_)
    sums = np.empty(64)  # sums of finished halves, left before right
    top, done = 0, 0
    firsts[0], counts[0] = first, count
    while top >= 0:
        start, size = firsts[top], counts[top]
        if size <= PAIRWISE_BLOCK:
            sums[done] = _block_sum(values, start, size)
            done += 1
            top -= 1
        elif split[top]:  # both halves summed: left + right, as numpy adds them
            sums[done - 2] = sums[done - 2] + sums[done - 1]
            done -= 1
            top -= 1
        else:
            split[top] = True
            half = size // 2
            half -= half % 8
            firsts[top + 1], counts[top + 1], split[top + 1] = start + half, size - half, False
            firsts[top + 2], counts[top + 2], split[top + 2] = start, half, False
            top += 2
    return sums[0]


@njit(cache=True)
def non_seller_count(seller: np.ndarray, flag: np.ndarray) -> tuple[int, int]:
    """Return how many users do not sell, and how many of them have ``flag`` set."""
    count = flagged = 0
    for i in range(len(seller)):
        if not seller[i]:
            count += 1
            flagged += flag[i]
    return count, flagged


@njit(cache=True)
def seller_total(seller: np.ndarray, values: np.ndarray) -> tuple[int, int]:
    """Return how many users sell, and the sum of the whole-number ``values`` over them.

    For the sellers' mean income: a whole-number sum is exact, so its mean is
    numpy's ``values[seller].mean()`` to the bit (below 2**53), without the mask's
    gather of a million users (1.5 ms a day).
    """
    count = total = 0
    for i in range(len(seller)):
        if seller[i]:
            count += 1
            total += values[i]
    return count, total


@njit(cache=True)
def non_seller_total(seller: np.ndarray, values: np.ndarray) -> tuple[int, float]:
    """Return how many users do not sell, and the sum of ``values`` over them.

    One compiled pass for a survey share or mean over non-sellers
    (``sim.engine.metrics``), instead of a mask, a gather and a mean, each a
    pass over every user; summed as numpy sums (``pairwise_sum``).
    """
    kept = np.empty(len(seller))
    count = 0
    for i in range(len(seller)):
        if not seller[i]:
            kept[count] = values[i]
            count += 1
    return count, pairwise_sum(kept, 0, count)


@njit(cache=True, nogil=True)
def seller_arc_census(
    arcs: Arcs, seller: np.ndarray, sellers: np.ndarray
) -> tuple[np.ndarray, int, int]:
    """Return the trust along the ``sellers``' arcs to non-sellers that still exist.

    ``seller`` says per user whether they sell; ``sellers`` are the authors to
    census. Also how many of all their arcs still exist and how many are still
    visible. The arcs themselves are listed by ``arcs_to_buyers``: the daily
    reporters need only their trust, and not writing their indices (8 bytes
    an arc, millions of arcs at a million users) is a quarter of this pass.
    """
    start, reader, status, trust = arcs.start, arcs.reader, arcs.status, arcs.trust
    live_trust = np.empty(arc_count(start, sellers), dtype=np.float32)
    k = not_removed = visible = 0
    for author in sellers:
        for arc in range(start[author], start[author + 1]):
            state = status[arc]
            if state == REMOVED:
                continue
            not_removed += 1
            if state == VISIBLE:
                visible += 1
            if not seller[reader[arc]]:
                live_trust[k] = trust[arc]
                k += 1
    return live_trust[:k], not_removed, visible


@njit(cache=True, nogil=True)
def arcs_to_buyers(arcs: Arcs, seller: np.ndarray, sellers: np.ndarray) -> np.ndarray:
    """Return the ``sellers``' arcs to non-sellers that still exist, in arc order.

    The arcs whose trust ``seller_arc_census`` reads, in the same order.
    """
    start, reader, status = arcs.start, arcs.reader, arcs.status
    live_to_buyers = np.empty(arc_count(start, sellers), dtype=np.int64)
    k = 0
    for author in sellers:
        for arc in range(start[author], start[author + 1]):
            if status[arc] != REMOVED and not seller[reader[arc]]:
                live_to_buyers[k] = arc
                k += 1
    return live_to_buyers[:k]


@njit(cache=True)
def _holds(values: np.ndarray, count: int, x: int) -> bool:
    for i in range(count):  # noqa: SIM110 (a generator is slower in numba)
        if values[i] == x:
            return True
    return False


@njit(cache=True)
def holme_kim_edges(params: HolmeKim, rng: np.random.Generator) -> np.ndarray:
    """Holme-Kim growth, node by node (the algorithm is ``sim.engine.graphs.holme_kim``).

    ``picks[s*m : s*m + m]`` are node ``s``'s picks, its ties first, then
    candidates lost because they were already tied. With the seed nodes, they
    are networkx's ``repeated_nodes``: position ``p`` of that list is decoded,
    not stored. A node's later friends (the sources that tied to it, in order)
    live in a pool, moved to the pool's end with twice the room when full.
    ``node[u]`` holds u's tie count, later-friend count, pool offset and room
    side by side (one cache line: at a million users every visit to a node is
    a cache miss, and they were four). Edges come out sorted by (older, newer)
    because later friends are appended in order.
    """
    n, m, triad_prob = params.n, params.m, params.triad_prob
    width, tries = params.width, params.tries
    picks = np.empty(n * m, dtype=np.int32)
    node = np.zeros((n, 4), dtype=np.int64)  # TIES, LATER, START, ROOM
    pool = np.empty(3 * n * m + 64, dtype=np.int32)  # pages never written cost nothing
    pool_end = 0
    candidates = np.empty(m, dtype=np.int64)
    mine = np.empty(m, dtype=np.int64)
    lost = np.empty(m, dtype=np.int64)
    n_ends = m
    for source in range(m, n):
        # m distinct candidates in proportion to degree: uniform positions of repeated_nodes
        for k in range(m):
            while True:
                position = rng.integers(0, n_ends)
                if position < m:
                    drawn = position
                else:
                    row, offset = divmod(position - m, 2 * m)
                    drawn = picks[(m + row) * m + offset] if offset < m else m + row
                if not _holds(candidates, k, drawn):
                    break
            candidates[k] = drawn
        # in the order a Python set of them pops (slot = value mod width, then value)
        for k in range(1, m):
            drawn = candidates[k]
            key = (drawn & (width - 1)) * n + drawn
            j = k - 1
            while j >= 0 and (candidates[j] & (width - 1)) * n + candidates[j] > key:
                candidates[j + 1] = candidates[j]
                j -= 1
            candidates[j + 1] = drawn
        target = candidates[0]
        used = 1
        mine[0] = target
        n_mine, n_lost = 1, 0
        while n_mine + n_lost < m:
            if rng.random() < triad_prob:
                friend = _fresh_friend(target, node, picks, pool, mine, n_mine, m, tries, rng)
                if friend >= 0:
                    mine[n_mine] = friend
                    n_mine += 1
                    continue
            target = candidates[used]
            used += 1
            if _holds(mine, n_mine, target):
                lost[n_lost] = target
                n_lost += 1
            else:
                mine[n_mine] = target
                n_mine += 1
        for k in range(n_mine):
            picks[source * m + k] = mine[k]
        for k in range(n_lost):
            picks[source * m + n_mine + k] = lost[k]
        node[source, TIES] = n_mine
        n_ends += 2 * m
        for k in range(n_mine):
            friend = mine[k]
            count, start, room = node[friend, LATER], node[friend, START], node[friend, ROOM]
            if count == room:
                room = max(2 * room, 8)
                if pool_end + room > len(pool):
                    grown = np.empty(2 * len(pool) + room, dtype=np.int32)
                    grown[:pool_end] = pool[:pool_end]
                    pool = grown
                pool[pool_end : pool_end + count] = pool[start : start + count]
                start = pool_end
                pool_end += room
                node[friend, START], node[friend, ROOM] = start, room
            pool[start + count] = source
            node[friend, LATER] = count + 1
    edges = np.empty((node[:, LATER].sum(), 2), dtype=np.int32)
    k = 0
    for older in range(n):
        start = node[older, START]
        for j in range(node[older, LATER]):
            edges[k, 0] = older
            edges[k, 1] = pool[start + j]
            k += 1
    return edges


TIES, LATER, START, ROOM = 0, 1, 2, 3


@njit(cache=True)
def _fresh_friend(
    target: int,
    node: np.ndarray,
    picks: np.ndarray,
    pool: np.ndarray,
    mine: np.ndarray,
    n_mine: int,
    m: int,
    tries: int,
    rng: np.random.Generator,
) -> int:
    """Return a uniform friend of ``target`` not in ``mine``, or -1 if none.

    ``tries`` redraws, then an exact draw among the fresh ones.
    """
    own, start = node[target, TIES], node[target, START]
    degree = own + node[target, LATER]
    if degree == 0:
        return -1
    for _ in range(tries):
        r = int(rng.random() * degree)
        friend = picks[target * m + r] if r < own else pool[start + r - own]
        if not _holds(mine, n_mine, friend):
            return friend
    fresh = 0
    for r in range(degree):
        friend = picks[target * m + r] if r < own else pool[start + r - own]
        if not _holds(mine, n_mine, friend):
            fresh += 1
    if fresh == 0:
        return -1
    chosen = int(rng.random() * fresh)
    for r in range(degree):
        friend = picks[target * m + r] if r < own else pool[start + r - own]
        if not _holds(mine, n_mine, friend):
            if chosen == 0:
                return friend
            chosen -= 1
    return -1
