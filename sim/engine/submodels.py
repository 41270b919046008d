"""The model's rules as small vectorized functions (ODD section 7).

Each function states one rule of ``docs/ODD.md`` over numpy arrays, takes
its parameters explicitly and draws random numbers only from the generator
it is given. The arithmetic rules of erosion, repair, conversion, marketing
density, clutter, engagement and disappointment are compiled (``@njit``):
numpy code calls them on arrays, the fused loops of ``sim.engine.kernels`` on
one arc or one user at a time, so each rule is written once. The model
composes them in the daily order; the tests check each on hand-made inputs.
Parameter sources are in the ODD and in ``sim/core/config.py``.

After editing a compiled rule, delete ``sim/engine/__pycache__/*.nbi`` and
``*.nbc``: numba's disk cache checks only the file of the function it
compiled, so a kernel would keep the rule it was compiled with.
"""

from __future__ import annotations

import numpy as np
from numba import njit

Array = np.ndarray


def beta_with_mean(mean: float, concentration: float, size: int, rng: np.random.Generator) -> Array:
    """Draw Beta variates with the given mean and ``a + b = concentration``."""
    return rng.beta(mean * concentration, (1.0 - mean) * concentration, size)


def lognormal_with_median(
    median: float, sigma: float, size: int, rng: np.random.Generator
) -> Array:
    """Draw lognormal variates with the given median and log-scale ``sigma``."""
    return median * np.exp(sigma * rng.standard_normal(size))


def arise_needs(
    expiry: Array, day: int, need_prob: float, lifetime: int, rng: np.random.Generator
) -> Array:
    """ODD 7.1 Needs: each user-category pair without an open need gets one w.p. ``need_prob``.

    ``expiry[i, c]`` is the last day the need of user ``i`` in category ``c``
    is open; a need past its expiry has lapsed (``-1``: never had one). Returns
    the boolean mask of needs that arose today (``expiry`` is updated in place).
    """
    # Draw the Bernoulli trials over every pair and keep those without an open
    # need: the same distribution as trials over the pairs without one, but
    # without a pass that lists those pairs (most of them, every day).
    hits = bernoulli_successes(expiry.size, need_prob, rng)
    hits = hits[np.take(expiry, hits) < day]
    np.put(expiry, hits, day + lifetime - 1)
    arisen = np.zeros(expiry.shape, dtype=bool)
    np.put(arisen, hits, True)
    return arisen


def bernoulli_successes(n: int, p: float, rng: np.random.Generator) -> Array:
    """Positions of the successes among ``n`` independent Bernoulli(``p``) trials, in order.

    The gaps between successes are geometric, so drawing them costs about
    ``n p`` random numbers instead of ``n`` (needs arise at 1% a day: a
    hundredth of the draws). Same distribution as ``rng.random(n) < p``.
    """
    if n == 0 or p <= 0:
        return np.zeros(0, dtype=np.int64)
    if p >= 1:
        return np.arange(n)
    positions = np.zeros(0, dtype=np.int64)
    last = -1
    while True:
        expected = (n - 1 - last) * p
        gaps = rng.geometric(p, int(expected + 5 * np.sqrt(expected) + 10))
        more = last + np.cumsum(gaps)
        positions = np.concatenate([positions, more[more < n]])
        if more[-1] >= n:
            return positions
        last = int(more[-1])


def poisson_per_user(rate: float, users: Array, n: int, rng: np.random.Generator) -> Array:
    """Independent Poisson(``rate``) counts for ``users`` (0 for the other of ``n`` users).

    Drawn by Poisson splitting: a Poisson(``rate x len(users)``) total spread
    uniformly over ``users`` gives each an independent Poisson(``rate``) count,
    at the cost of one draw per item instead of one per user.
    """
    total = rng.poisson(rate * len(users))
    return np.bincount(users[rng.integers(0, len(users), total)], minlength=n)


def read_fraction(available: Array, attention: Array) -> Array:
    """ODD 7.3 Reading: the share of available items a reader gets through.

    A reader reads everything when it fits in their attention budget, else the
    same share of every friend's items: ``min(1, attention / available)``.
    """
    # Neither np.divide(where=) (a masked ufunc: 1 ms at 100,000 users, ten times
    # a plain division) nor np.errstate (slow to enter): divide by 1 where
    # nothing is available and overwrite those shares with 1.
    available = np.asarray(available)
    empty = available <= 0
    share = np.minimum(1.0, np.divide(attention, np.where(empty, 1.0, available)))
    return np.where(empty, 1.0, share)


def items_read(available: Array, share: Array, rng: np.random.Generator) -> Array:
    """ODD 7.3 Reading: each available item is read with probability ``share``.

    Binomial thinning, drawn only where the reader's attention is saturated
    (``share < 1``); elsewhere every item is read. Single items (the common
    case) take one uniform draw instead of a binomial one.
    """
    available, share = np.broadcast_arrays(np.asarray(available, dtype=np.int64), share)
    return thin(np.ascontiguousarray(available), np.ascontiguousarray(share, dtype=float), rng)


@njit(cache=True)
def thin(available: Array, share: Array, rng: np.random.Generator) -> Array:
    """Compiled ``items_read`` over item counts and float shares (kernels call it).

    Draws as the vectorized numpy version did: one uniform per single item
    first, then one binomial per pile of several, each in order.
    """
    n = len(available)
    out = np.empty(n, dtype=np.int64)
    thinned = np.empty(n, dtype=np.int64)  # where a share below 1 meets items: usually few
    m = 0
    for i in range(n):
        count = np.int64(available[i])
        out[i] = count if share[i] >= 1.0 else 0
        if share[i] < 1.0 and count >= 1:
            thinned[m] = i
            m += 1
    for i in thinned[:m]:
        if available[i] == 1:
            out[i] = 1 if rng.random() < share[i] else 0
    for i in thinned[:m]:
        if available[i] > 1:
            out[i] = rng.binomial(np.int64(available[i]), share[i])
    return out


@njit(cache=True)
def marketing_density(marketing_read: Array | float, organic_read: Array | float) -> Array | float:
    """ODD 7.3 Marketing density: marketing share of what a user read today (0 if nothing)."""
    total = marketing_read + organic_read
    # Item counts: a total is 0 or at least 1, so nothing read divides 0 by 1. A plain
    # division, not the slow masked np.divide(where=); no np.where either, which
    # compiled code (``kernels.reading_summary``, per user) would give an array per call.
    return marketing_read / np.maximum(total, 1)


@njit(cache=True)
def clutter(density: Array | float, tolerance: Array | float) -> Array | float:
    """ODD 7.4 Clutter: marketing density above the user's tolerance, ``max(0, d - tol)``."""
    return np.maximum(0.0, density - tolerance)


@njit(cache=True)
def decayed_exposure(exposure: Array, last_day: Array, day: int, window: float) -> Array:
    """ODD 7.4 Exposure memory: past exposures decay as ``exp(-days / window)``."""
    return exposure * np.exp(-(day - last_day) / window)


@njit(cache=True)
def wear_factor(exposure: Array, onset: float, slope: float) -> Array:
    """ODD 7.4 Wear-out: ``1 + slope * max(0, E - onset) / onset`` for ``E`` recent exposures.

    Ad-repetition studies put wear-out at 3-10 exposures (Pechmann & Stewart
    1988; Campbell & Keller 2003); the default onset is 6.
    """
    return 1.0 + slope * np.maximum(0.0, exposure - onset) / onset


@njit(cache=True)
def erode_trust(
    trust: Array,
    items: Array,
    per_item: float,
    clutter_level: Array,
    clutter_gain: float,
    wear: Array,
    reader_factor: Array | float = 1.0,
) -> Array:
    """ODD 7.4 Erosion: ``T exp(-d m)`` with ``d = per_item (1 + gain clutter) wear factor``."""
    rate = per_item * (1.0 + clutter_gain * clutter_level) * wear * reader_factor
    return trust * np.exp(-rate * items)


@njit(cache=True)
def repair_trust(trust: Array, baseline: Array, organic_items: Array, repair_rate: float) -> Array:
    """ODD 7.4 Repair: organic items read move trust up toward its baseline, never down.

    ``T += (1 - exp(-rate o)) max(0, T0 - T)``: relationship maintenance
    restores what marketing wore away but does not undo gains from good
    purchases (brief, prototype lesson 5).
    """
    return trust + (1.0 - np.exp(-repair_rate * organic_items)) * np.maximum(0.0, baseline - trust)


@njit(cache=True)
def purchase_probability(trust: Array, items: Array, conversion: float) -> Array:
    """ODD 7.5 Conversion: ``1 - (1 - c T^2)^m`` for ``m`` items read at trust ``T``."""
    # items * 1.0: a float exponent, so compiled code calls pow() as numpy does
    # (an integer one would multiply repeatedly and round differently)
    return 1.0 - (1.0 - conversion * trust**2) ** (items * 1.0)


def persuaded(items: Array, persuasion: float, rng: np.random.Generator) -> Array:
    """ODD 7.5 Persuasion: ``m`` marketing items read create a need w.p. ``1 - (1 - p)^m``.

    Advertising has informative and persuasive effects (Bagwell 2007); the
    persuasive one is modelled as the simplest term, a small chance per item
    read that the reader comes to want the product. No source pins ``p``
    (``market.persuasion``, unpinned; range in ODD 7.5).
    """
    # (1 - p)^m from a table of powers: one gather instead of a power per arc
    powers = (1.0 - persuasion) ** np.arange(int(items.max(initial=0)) + 1)
    return rng.random(len(items)) < 1.0 - powers[items]


def satisfied_trust(trust: Array, gain: float) -> Array:
    """ODD 7.5 A satisfying purchase (or good word of mouth): ``T += gain (1 - T)``."""
    return trust + gain * (1.0 - trust)


def unsatisfied_trust(trust: Array, factor: float) -> Array:
    """ODD 7.5 A disappointing purchase: ``T *= factor``."""
    return trust * factor


def answer_items(
    eligible: int, answer_prob: float, intensity: float, rng: np.random.Generator
) -> Array:
    """ODD 7.12 C2B answers: items each eligible seller sends in reply to a need post.

    A seller friend of the need's category is minded to answer with probability
    ``answer_prob`` and then sends ``Poisson(intensity)`` items (a reply and
    follow-ups); one who would send none does not answer. Intensity is the push
    in each answer and keeps its meaning at any level.
    """
    minded = rng.random(eligible) < answer_prob
    return np.where(minded, rng.poisson(intensity, eligible), 0)


def one_per_key(keys: Array, rng: np.random.Generator) -> Array:
    """Return positions of one randomly chosen element per distinct key."""
    order = rng.permutation(len(keys))
    _, first = np.unique(keys[order], return_index=True)
    return np.sort(order[first])


def ladder(
    trust: Array,
    baseline: Array,
    fell: Array,
    mute_threshold: Array,
    margin: float,
    unfriend_ratio: float,
    visible: Array,
    first_rung: Array | bool = False,
) -> tuple[Array, Array, Array]:
    """ODD 7.6 Response ladder: returns masks ``(unfollow, mute, unfriend)``.

    Only arcs whose trust fell today and sits below ``baseline - margin``
    respond (brief, prototype lesson 3). Below ``unfriend_ratio x threshold``
    the reader unfriends; below the threshold an arc that has a channel's own
    first rung (``first_rung``: a followed shop annoying its follower) takes
    that rung, and otherwise a visible arc is muted. ``kernels.respond`` calls a
    compiled copy on arrays, with ``margin`` as float32 (numba, unlike numpy,
    would subtract a Python float from float32 baselines in float64).
    """
    responds = fell & (trust < baseline - margin)
    unfriend = responds & (trust < unfriend_ratio * mute_threshold)
    below = responds & ~unfriend & (trust < mute_threshold)
    unfollow = below & first_rung
    mute = below & ~unfollow & visible
    return unfollow, mute, unfriend


@njit(cache=True)
def recruit_probability(
    trust: Array, sales: Array, base_prob: float, min_trust: float, sales_norm: float
) -> Array:
    """ODD 7.7 Recruitment per read arc: ``p T min(1, sales / norm)`` when ``T > min_trust``.

    A reader is drawn into a seller's downline only by a seller they trust and
    who is visibly selling (rolling sales), so marketing density can rise
    endogenously (brief, "Recruitment").
    """
    return np.where(trust > min_trust, base_prob * trust * np.minimum(1.0, sales / sales_norm), 0.0)


def bass_hazard(innovation: float, imitation: float, seller_share: Array | float) -> Array:
    """ODD 7.7 Bass-form entry hazard per day: ``1 - (1 - p)(1 - q F)``.

    ``p`` is the innovation probability (entry without a recruiting seller),
    ``q`` the imitation probability and ``F`` the share of the user's friends
    who sell. With ``q = 0`` it is the innovation chance alone.
    """
    return 1.0 - (1.0 - innovation) * (1.0 - imitation * np.asarray(seller_share, dtype=float))


def review_post_rate(
    rate: Array, base_rate: Array, sales: Array, below: float, factor: float, cap: float
) -> Array:
    """ODD 7.7 Escalation: sellers below the sales target post ``factor`` x more, up to ``cap``.

    Sellers at or above the target step back toward their base rate, so
    Poisson noise alone cannot ratchet every seller up (prototype lesson 4).
    """
    up = np.minimum(cap, rate * factor)
    down = np.maximum(base_rate, rate / factor)
    return np.where(sales < below, up, down)


def quits(
    sales: Array,
    age: Array,
    grace: int,
    exit_sales: int,
    exit_prob: float,
    rng: np.random.Generator,
) -> Array:
    """ODD 7.7 Exit: after ``grace`` days a seller below ``exit_sales`` quits w.p. ``exit_prob``.

    Returns the mask of sellers who quit today. Draws are made for every
    seller, so one seller's fate does not shift another's random numbers.
    """
    return (age >= grace) & (sales < exit_sales) & (rng.random(len(sales)) < exit_prob)


@njit(cache=True)
def update_engagement(
    engagement: Array,
    base: Array,
    clutter_level: Array,
    recovery: float,
    loss: float,
    load: Array | float = 0.0,
    sensitivity: float = 0.0,
) -> Array:
    """ODD 7.8 Experience: ``e += recovery (e0 (1 - s L) - e) - loss c``, kept in [0, 1].

    ``L`` marketing items read today in any channel (weighted by channel): each
    lowers the level engagement settles at by a share ``s`` of its resting level
    ``e0`` (long-run listening fell about linearly in ads per hour and responded
    to the total ad load, not how it was split: Goli, Huang, Reiley & Riabov
    2025); ``c`` Moments clutter (density above tolerance) wears it down at once.
    """
    settles = base * np.maximum(0.0, 1.0 - sensitivity * load)
    change = recovery * (settles - engagement) - loss * clutter_level
    return np.minimum(1.0, np.maximum(0.0, engagement + change))  # np.clip, compiled


@njit(cache=True)
def disappoint(
    engagement: Array, base: Array, disappointments: Array, loss: float
) -> tuple[Array, Array]:
    """ODD 7.8 Disappointment: each disappointing purchase takes ``loss`` of engagement for good.

    Both today's engagement and its resting level are multiplied by
    ``(1 - loss)^D`` for ``D`` disappointing purchases today: a bad experience
    with one seller makes buyers less likely to come back to the platform, and
    it lasts (Nosko & Tadelis 2015); a bad product is not forgotten in weeks,
    as a day of heavy marketing is.
    """
    kept = (1.0 - loss) ** (disappointments * 1.0)  # a float exponent, as numpy's power
    return engagement * kept, base * kept
