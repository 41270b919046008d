"""Whether a policy's difference from laissez-faire holds, shrinks, grows or flips with size.

A sweep over ``graph.n_users`` (the named sweep ``scale``) gives, at each
number of users, each policy's paired difference from laissez-faire on the
same seeds and graphs (``sim.study.compare.paired_effects``, one size at a
time: pooling sizes would average unlike worlds). ``trend`` reads those
differences across sizes and names what happens with scale, by a rule stated
in ``TREND_RULE``; ``scale_section`` writes the report's section from them,
every word computed from the runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.core.outcomes import (
    BY_KEY,
    POLICY,
    SEED,
    USERS,
    available,
    fmt,
    mean_and_interval,
    outcome_table,
)
from sim.figures.study import policies_in, readable
from sim.study.compare import paired_effects
from sim.study.sweep_report import VERDICT_KEYS, sizes_of, verdict

SCALE_KEYS = (*VERDICT_KEYS, "acted")
"""Outcomes the scale section reads: the answer's, and users who acted against a seller."""

FACTOR = 2.0
"""A difference holds when the largest size's is within this factor of the smallest's."""

TREND_RULE = (
    "How each difference changes with size, read from the paired differences at each size "
    "(distinguishable: the 95% interval over seeds excludes zero). **none**: distinguishable at "
    "no size. **flips**: distinguishable with opposite signs at two sizes. Otherwise the "
    "distinguishable differences share a sign; when every size's mean has that sign, **holds** "
    f"if the largest size's mean is within a factor of {FACTOR:g} of the smallest's, "
    f"**shrinks** if under 1/{FACTOR:g} of it, **grows** if over {FACTOR:g} times it; when "
    "some size's mean has the other sign (within noise there), **fades** if that is the "
    "largest size, **emerges** if it is the smallest, **mixed** otherwise. The verdict at each "
    "size is shown beside its mean: larger worlds average over more users, so a difference can "
    "become distinguishable with size without growing. Differences are per user, per "
    "friendship or shares, so sizes compare."
)


def scale_effects(summary: pd.DataFrame, intensity: float) -> pd.DataFrame:
    """Return ``paired_effects`` at each size, with the size and laissez-faire's level.

    Columns: those of ``paired_effects`` plus ``n_users`` and ``status``
    (``sim.study.sweep_report.verdict``).
    """
    tables = []
    for n in sizes_of(summary):
        at = summary[summary[USERS] == n]
        effects = paired_effects(at, intensity)
        if effects.empty:
            continue
        effects.insert(0, USERS, n)
        effects["status"] = [
            verdict(r["outcome"], r["mean"], r["ci95"], int(r["seeds"])).status
            for r in effects.to_dict("records")
        ]
        tables.append(effects)
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def scale_levels(summary: pd.DataFrame) -> pd.DataFrame:
    """Return each policy's mean outcome at each size, with its 95% half-width over seeds.

    Columns: ``n_users``, ``scenario``, ``outcome``, ``seeds``, ``mean``, ``ci95``
    (the report's means table, long form: ``scale_levels.csv``).
    """
    table = outcome_table(summary, [USERS, POLICY, SEED])
    rows = []
    for (n, policy), group in table.groupby([USERS, POLICY], sort=True):
        for outcome in available(summary):
            mean, half = mean_and_interval(group[outcome.key])
            rows.append(
                {
                    USERS: int(n),
                    POLICY: policy,
                    "outcome": outcome.key,
                    "seeds": len(group),
                    "mean": mean,
                    "ci95": half,
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Trend:
    """What one policy's difference in one outcome does across sizes (``TREND_RULE``)."""

    policy: str
    outcome: str
    word: str
    means: tuple[float, ...]
    statuses: tuple[str, ...]
    sizes: tuple[int, ...]
    unsure: tuple[int, ...] = ()  # positions of sizes without an interval (one seed)
    agrees: tuple[bool, ...] = ()  # per unsure size: on the distinguishable side


NO_INTERVAL = ("one seed", "no pairs")
"""Verdicts without an interval: such a size is shown, but the trend word is read without it."""


def trend(policy: str, outcome: str, rows: pd.DataFrame) -> Trend:
    """Name the trend of one policy's difference in ``outcome`` (rows: ``scale_effects``).

    Sizes without an interval (one seed) are left out of the word; ``unsure``
    lists them, and ``agrees`` whether their means lie on the side the word's
    distinguishable differences are on.
    """
    part = rows[(rows[POLICY] == policy) & (rows["outcome"] == outcome)].sort_values(USERS)
    all_means = tuple(float(m) for m in part["mean"])
    all_statuses = tuple(str(s) for s in part["status"])
    kept = [k for k, s in enumerate(all_statuses) if s not in NO_INTERVAL]
    means = [all_means[k] for k in kept]
    statuses = [all_statuses[k] for k in kept]
    told = {s for s in statuses if s in ("higher", "lower")}
    sign = 1.0 if told == {"higher"} else -1.0
    along = [m * sign > 0 for m in means]  # each size's mean on the distinguishable side
    if not told:
        word = "none"
    elif len(told) > 1:
        word = "flips"
    elif all(along):
        ratio = means[-1] / means[0]
        word = "holds" if 1 / FACTOR <= ratio <= FACTOR else ("shrinks" if ratio < 1 else "grows")
    elif along[0] and not along[-1]:
        word = "fades"
    elif along[-1] and not along[0]:
        word = "emerges"
    else:
        word = "mixed"
    sizes = tuple(int(n) for n in part[USERS])
    unsure = tuple(k for k in range(len(sizes)) if k not in kept)
    agrees = tuple(bool(told) and len(told) == 1 and all_means[k] * sign > 0 for k in unsure)
    return Trend(policy, outcome, word, all_means, all_statuses, sizes, unsure, agrees)


def trends(rows: pd.DataFrame) -> list[Trend]:
    """Return every policy's trend in every outcome of ``SCALE_KEYS`` the rows hold."""
    if rows.empty:
        return []
    keys = [k for k in SCALE_KEYS if k in set(rows["outcome"])]
    return [trend(p, k, rows) for p in policies_in(list(rows[POLICY].unique())) for k in keys]


def _at(t: Trend) -> str:
    """Return the differences at each size, with their verdicts, in words."""
    digits = BY_KEY[t.outcome].digits
    return ", ".join(
        f"{fmt(m, digits)} at {n:,} ({s})"
        for n, m, s in zip(t.sizes, t.means, t.statuses, strict=True)
    )


def trend_sentence(policy: str, said: list[Trend]) -> str:
    """Return one sentence on what scale does to ``policy``'s differences from laissez-faire."""
    parts = []
    for word in ("flips", "shrinks", "fades", "grows", "emerges", "mixed", "holds", "none"):
        mine = [t for t in said if t.word == word]
        if mine:
            names = "; ".join(f"{BY_KEY[t.outcome].label}: {_at(t)}" for t in mine)
            parts.append(f"**{word}** — {names}")
    return f"- **{readable(policy)}**: " + "; ".join(parts) + "."


def _unsure_note(said: list[Trend]) -> list[str]:
    """Say how the sizes run with one seed (no interval) compare with the others."""
    unsure = sorted({t.sizes[k] for t in said for k in t.unsure})
    if not unsure:
        return []
    directed = [(t, a) for t in said for a in t.agrees if t.word not in ("none", "flips")]
    same = sum(a for _, a in directed)
    shown = ", ".join(f"{n:,}" for n in unsure)
    return [
        f"At {shown} users the sweep has one seed (no interval), so "
        f"{'that size is' if len(unsure) == 1 else 'those sizes are'} shown "
        "but left out of the words above. Of the differences with a direction at the other "
        f"sizes (not none, not flips), {same} of {len(directed)} have their mean at "
        f"{shown} users on the same side.",
        "",
    ]


def scale_section(summary: pd.DataFrame, intensity: float) -> list[str]:
    """Return the report's scale section (empty when the sweep has one size)."""
    if len(sizes_of(summary)) < 2:
        return []
    rows = scale_effects(summary, intensity)
    if rows.empty:
        return ["## Scale", "", "No laissez-faire runs to pair with: no comparison by size.", ""]
    shown = ", ".join(f"{n:,}" for n in sizes_of(summary))
    seeds = rows.groupby(USERS)["seeds"].max()
    counted = ", ".join(f"{int(seeds[n])} at {n:,}" for n in seeds.index)
    said = trends(rows)
    lines = [
        "## Scale",
        "",
        f"The sweep ran {shown} users. Each policy against laissez-faire at each size, on the "
        f"same seeds and graphs (paired seeds: {counted}), at intensity {intensity:g}; a "
        "difference is per user, per friendship or a share, so sizes compare. "
        "`plots/scale.png` draws them.",
        "",
    ]
    for policy in policies_in(list(rows[POLICY].unique())):
        lines.append(trend_sentence(policy, [t for t in said if t.policy == policy]))
    words = pd.Series([t.word for t in said]).value_counts()
    lines += [
        "",
        "Of the "
        + f"{len(said)} policy-outcome differences: "
        + ", ".join(f"{int(words[w])} {w}" for w in words.index)
        + ".",
        "",
    ]
    lines += _unsure_note(said)
    lines += [TREND_RULE, ""]
    return lines
