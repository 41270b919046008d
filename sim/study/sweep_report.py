"""The sweep report (``report.md``): the answer in words first, then readable tables.

The answer gives, per policy, one sentence against laissez-faire: which paired
differences are distinguishable from zero at the sweep's number of seeds (the
95% interval excludes zero) and which are not, with a rough number of seeds
that would tell them apart (``seeds_needed``). Every word of it is computed
from the runs; ``verdicts`` and ``verdict_sentence`` are also used by the
notebooks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.core.outcomes import (
    BY_KEY,
    INTENSITY,
    POLICY,
    PRESSURE,
    SEED,
    USERS,
    available,
    fmt,
    mean_and_interval,
    outcome_table,
    t_half_width,
)
from sim.figures.study import BASELINE, policies_in, readable
from sim.study.calibrate import setting_check
from sim.study.compare import Setting, Sweep, paired_effects

# Outcomes the answer speaks of, in this order: net GMV with gross beside it, users, friendships.
VERDICT_KEYS = ("gmv", "gmv_gross", "ux", "unfriends", "left")
SEEDS_NEEDED_NOTE = (
    "Seeds needed: the number of seeds at which the 95% half-width, from the observed spread "
    "of the paired differences, would fall below the observed mean difference. A rough guide: "
    "both the spread and the mean are estimates from these seeds."
)


@dataclass(frozen=True)
class Verdict:
    """Whether one paired difference from laissez-faire is distinguishable from zero.

    ``status`` is ``higher`` or ``lower`` (the 95% interval lies above or below
    zero), ``identical`` (every seed's difference is exactly zero),
    ``within noise`` (the interval holds zero), ``one seed`` (no interval) or
    ``no pairs`` (no seed has the outcome defined under both policies).
    ``needed`` is the estimated number of seeds that would tell a difference
    within noise from zero (``seeds_needed``); None where it cannot be estimated.
    """

    outcome: str
    mean: float
    half: float
    seeds: int
    status: str
    needed: int | None = None

    @property
    def distinguishable(self) -> bool:
        """Return True when the 95% interval excludes zero."""
        return self.status in ("higher", "lower")


def seeds_needed(mean: float, half: float, seeds: int) -> int | None:
    """Return the seeds at which the 95% t half-width would fall below ``|mean|``.

    The paired standard deviation is recovered from the observed half-width
    (``sd = half * sqrt(seeds) / t(0.975, seeds - 1)``) and held fixed; the
    answer is the smallest n with ``t(0.975, n - 1) * sd / sqrt(n) < |mean|``.
    None when it cannot be estimated: fewer than two seeds (no spread), a mean
    difference of zero, or a value that is not finite.
    """
    if seeds < 2 or not (math.isfinite(mean) and math.isfinite(half)) or mean == 0:
        return None
    sd = half / float(t_half_width(1.0, seeds))  # the interval's formula, solved for sd
    target = abs(mean)
    # t > z at every n, so the normal-theory n is a lower bound: count up from it
    n = max(2, math.ceil((float(stats.norm.ppf(0.975)) * sd / target) ** 2))
    while float(t_half_width(sd, n)) >= target:
        n += 1
    return n


def verdict(outcome: str, mean: float, half: float, seeds: int) -> Verdict:
    """Return the verdict on one paired difference (mean, 95% half-width, seeds paired)."""
    if seeds < 1 or not math.isfinite(mean):
        return Verdict(outcome, mean, half, seeds, "no pairs")
    if seeds == 1 or not math.isfinite(half):
        return Verdict(outcome, mean, half, seeds, "one seed")
    if mean == 0 and half == 0:
        return Verdict(outcome, mean, half, seeds, "identical")
    if abs(mean) > half:
        return Verdict(outcome, mean, half, seeds, "higher" if mean > 0 else "lower")
    return Verdict(outcome, mean, half, seeds, "within noise", seeds_needed(mean, half, seeds))


def verdicts(
    effects: pd.DataFrame, policy: str, keys: tuple[str, ...] = VERDICT_KEYS
) -> list[Verdict]:
    """Return the verdicts of ``policy`` from a ``sim.study.compare.paired_effects`` table.

    Outcomes in ``keys`` that the table does not hold are left out.
    """
    part = effects[effects[POLICY] == policy].set_index("outcome")
    return [
        verdict(
            key,
            float(part.loc[key, "mean"]),
            float(part.loc[key, "ci95"]),
            int(part.loc[key, "seeds"]),
        )
        for key in keys
        if key in part.index
    ]


def _count(n: int, unit: str = "seed") -> str:
    return f"{n:,} {unit}{'' if n == 1 else 's'}"


def _difference(v: Verdict) -> str:
    """Return the mean paired difference with its 95% half-width and unit."""
    info = BY_KEY[v.outcome]
    digits = info.digits  # more where the outcome's usual digits would round a value to zero
    shown = [abs(x) for x in (v.mean, v.half) if math.isfinite(x) and x != 0]
    while digits < 6 and (
        any(round(x, digits) == 0 for x in shown)
        or (v.distinguishable and round(abs(v.mean), digits) <= round(v.half, digits))
    ):  # and a told-apart mean never reads as no larger than its half-width
        digits += 1
    half = f" ± {fmt(v.half, digits)}" if math.isfinite(v.half) else ""
    return f"{fmt(v.mean, digits, True)}{half} {info.unit}"


def _not_told(v: Verdict, seeds: int, unit: str = "seed") -> str:
    """Describe a difference that is not distinguishable from zero, and what would tell."""
    info = BY_KEY[v.outcome]
    fewer = f", {_count(v.seeds, unit)} defined" if v.seeds != seeds else ""
    if v.status == "no pairs":
        return f"{info.label} (undefined in every pair: cannot be estimated)"
    if v.status == "identical":
        return f"{info.label} (exactly equal on every {unit}{fewer}: no difference to tell)"
    if v.status == "one seed":
        return (
            f"{info.label} ({_difference(v)} from one {unit}, which gives no interval: "
            f"the {unit}s needed cannot be estimated)"
        )
    if v.needed is None:
        return (
            f"{info.label} ({_difference(v)}{fewer}; mean difference 0: "
            f"the {unit}s needed cannot be estimated)"
        )
    return f"{info.label} ({_difference(v)}{fewer}; about {_count(v.needed, unit)} would tell)"


def verdict_sentence(policy: str, said: list[Verdict], unit: str = "seed") -> str:
    """Return one sentence: which differences from laissez-faire are distinguishable, which not.

    Generated from ``said`` alone (``verdicts``); nothing in it is written by hand.
    ``unit`` names what the differences are paired over: seeds in a sweep,
    sampled worlds in an uncertainty study.
    """
    n = max((v.seeds for v in said), default=0)
    told = [v for v in said if v.distinguishable]
    untold = [v for v in said if not v.distinguishable]
    head = (
        f"**{readable(policy)}** against laissez-faire "
        f"{'at' if unit == 'seed' else 'over'} {_count(n, unit)} —"
    )
    if n == 0:
        return f"{head} no {unit} has runs of both policies: nothing to compare."
    if n == 1:
        names = ", ".join(BY_KEY[v.outcome].label for v in said)
        shown = "; ".join(f"{BY_KEY[v.outcome].label} {_difference(v)}" for v in said)
        return (
            f"{head} no difference is distinguishable from zero, since one {unit} gives no "
            f"interval ({names}); how many {unit}s would tell cannot be estimated from one "
            f"{unit} (observed: {shown})."
        )
    parts = []
    if told:
        parts.append(
            "distinguishable from zero: "
            + ", ".join(f"{BY_KEY[v.outcome].label} {v.status} ({_difference(v)})" for v in told)
        )
    else:
        parts.append("no difference is distinguishable from zero")
    if untold:
        parts.append(
            "not distinguishable from zero: " + ", ".join(_not_told(v, n, unit) for v in untold)
        )
    else:
        parts.append("every difference shown is distinguishable")
    return f"{head} " + "; ".join(parts) + "."


def answer(summary: pd.DataFrame, intensity: float, figures: str = "plots") -> list[str]:
    """Return the answer in words at ``intensity``: a verdict per policy, ordered by net GMV.

    ``figures``: the folder of the sweep's figures, relative to the report.
    """
    effects = paired_effects(summary, intensity)
    if effects.empty:
        at = summary[np.isclose(summary[INTENSITY], intensity)]
        if set(at[POLICY]) == {BASELINE}:
            return ["Only laissez-faire ran at this intensity: no policy to compare with it.", ""]
        return ["No laissez-faire runs at this intensity: no paired comparison.", ""]
    days = int(summary["steps"].iloc[0])
    gmv = effects[effects["outcome"] == "gmv"].sort_values("mean", ascending=False)
    order = list(gmv[POLICY]) + [
        p for p in policies_in(list(effects[POLICY])) if p not in set(gmv[POLICY])
    ]
    lines = [
        f"At intensity {intensity:g}, after {days} days, each policy against laissez-faire on "
        "the same seeds and graphs (mean paired difference ± half-width of its 95% interval "
        "over seeds; distinguishable from zero when the interval excludes zero):",
        "",
    ]
    for policy in order:
        lines.append("- " + verdict_sentence(policy, verdicts(effects, policy)))
    undefined = effects[effects["undefined"] > 0]
    for row in undefined.to_dict("records"):
        lines.append(
            f"- {BY_KEY[row['outcome']].label} is undefined in {row['undefined']} run(s) of "
            f"{readable(row[POLICY])} (left out of its mean)."
        )
    lines += [
        "",
        "Ordered by the paired effect on GMV net of disappointment; positive means more than "
        "laissez-faire. " + SEEDS_NEEDED_NOTE,
        "",
    ]
    return lines + pressure_note(summary, intensity, figures)


def pressure_note(summary: pd.DataFrame, intensity: float, figures: str = "plots") -> list[str]:
    """Say how much marketing each policy put on users at ``intensity`` (seller pressure).

    ``market.intensity`` means a different thing under each policy, so the same
    intensity is not the same pressure; the overview compares at matched pressure.
    """
    if PRESSURE not in summary or summary[PRESSURE].isna().all():
        return []
    at = summary[np.isclose(summary[INTENSITY], intensity)]
    means = at.groupby(POLICY)[PRESSURE].mean()
    shown = ", ".join(
        f"{readable(policy)} {fmt(means[policy], 2)}"
        for policy in policies_in(list(means.index))
        if np.isfinite(means[policy])
    )
    return [
        f"Seller pressure at intensity {intensity:g} (marketing items read per non-seller per "
        f"day, any channel, mean over the run): {shown}. The same intensity is not the same "
        f"pressure under every policy; `{figures}/overview.png` compares the policies at matched "
        "pressure.",
        "",
    ]


def sizes_of(summary: pd.DataFrame) -> list[int]:
    """Return the numbers of users the sweep's runs have, smallest first."""
    return sorted(int(n) for n in summary[USERS].unique()) if USERS in summary else []


def answer_size(summary: pd.DataFrame) -> int:
    """Return the size a sweep over sizes answers at: the largest with two seeds or more.

    A size run with one seed gives no interval (the scale section still shows it);
    the largest size is the answer when no size has two seeds.
    """
    sizes = sizes_of(summary)
    seeded = [n for n in sizes if summary.loc[summary[USERS] == n, SEED].nunique() >= 2]
    return seeded[-1] if seeded else sizes[-1]


def answer_lines(
    summary: pd.DataFrame,
    intensity: float | None,
    every_size: str = "the scale section below",
    figures: str = "plots",
) -> list[str]:
    """Return the answer's lines: at ``intensity`` (else 1 if swept, else the median level).

    A sweep over the number of users answers at its largest size with two
    seeds or more (pooling sizes would average unlike worlds); ``every_size``
    says where every size is shown.
    """
    levels = sorted(summary[INTENSITY].unique())
    at = intensity
    if at is None:
        at = 1.0 if 1.0 in levels else levels[len(levels) // 2]
    sizes = sizes_of(summary)
    if len(sizes) <= 1:
        return answer(summary, at, figures)
    chosen = answer_size(summary)
    which = "the largest" if chosen == sizes[-1] else "the largest with two seeds or more"
    return [
        f"This sweep varies the number of users ({', '.join(f'{n:,}' for n in sizes)}); "
        f"the answer here is at {which}, {chosen:,} users, and {every_size} gives every size.",
        "",
        *answer(summary[summary[USERS] == chosen], at, figures),
    ]


def calibration_line(summary: pd.DataFrame) -> str:
    """Say whether the sweep's setting is the calibrated one (``setting_check``), in one line.

    Checked at the size the sweep answers at, on its laissez-faire runs at intensity
    1, the setting the defaults were fitted in (ODD 8).
    """
    steps = int(summary["steps"].iloc[0])
    users = answer_size(summary) if len(sizes_of(summary)) > 1 else int(summary[USERS].iloc[0])
    at = summary[(summary[POLICY] == BASELINE) & np.isclose(summary[INTENSITY], 1.0)]
    at = at[at[USERS] == users]
    if at.empty:
        return (
            "Whether this sweep's setting is calibrated is not told: it has no laissez-faire "
            "run at intensity 1, where the defaults were fitted to the survey bands (ODD 8)."
        )
    return setting_check(at, steps, users, "this sweep's setting")[1]


def means_lines(summary: pd.DataFrame, of: str = "") -> list[str]:
    """Return the table of means per (size,) policy and intensity, under its heading.

    ``of``: what the heading adds after the days (a setting's label).
    """
    days = int(summary["steps"].iloc[0])
    by_size = len(sizes_of(summary)) > 1
    keys = [USERS, POLICY, INTENSITY] if by_size else [POLICY, INTENSITY]
    table = outcome_table(summary, [*keys, SEED])
    shown = list(available(summary))
    lines = [
        f"## Means per {'size, ' if by_size else ''}policy and intensity (after {days} days){of}",
        "",
        "Mean across seeds ± half-width of the 95% interval; n = seeds; "
        "'undefined' where no run defines the value; no interval from one seed.",
        "",
        f"| {'users | ' if by_size else ''}policy | intensity | n | "
        + " | ".join(o.title() for o in shown)
        + " |",
        "|" + "---|" * (len(keys) + 1 + len(shown)),
    ]
    for group_key, group in table.groupby(keys, sort=True):
        *size, policy, level = group_key
        cells = []
        for o in shown:
            mean, half = mean_and_interval(group[o.key])
            missing = int(group[o.key].isna().sum())
            cell = fmt(mean, o.digits)
            if np.isfinite(half):
                cell += f" ± {fmt(half, o.digits)}"
            if missing and np.isfinite(mean):
                cell += f" ({missing} undefined)"
            cells.append(cell)
        head = f"| {int(size[0]):,} " if size else ""
        lines.append(
            f"{head}| {readable(policy)} | {level:g} | {len(group)} | " + " | ".join(cells) + " |"
        )
    return lines


def status_lines(status: dict[str, Any]) -> list[str]:
    """Return the sections listing failed, damaged and missing runs (none if there are none)."""
    lines: list[str] = []
    if status["failed"]:
        lines += ["## Failed runs", ""]
        lines += [f"- `{name}`: {error}" for name, error in status["failed"].items()]
        lines.append("")
    if status.get("damaged"):
        lines += ["## Damaged runs (results unreadable; not aggregated)", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in status["damaged"].items()]
        lines.append("")
    if status["missing"]:
        lines += ["## Missing runs (never finished)", ""]
        lines += [f"- `{name}`" for name in status["missing"]]
        lines.append("")
    return lines


def _head(sweep: Sweep) -> list[str]:
    status = sweep.status
    return [
        f"# Sweep report: `{sweep.folder}`",
        "",
        f"Runs expected {status['expected']}, finished {len(status['complete'])}, "
        f"failed {len(status['failed'])}, missing {len(status['missing'])}.",
        "",
    ]


def report(
    sweep: Sweep,
    figures: list[Path],
    intensity: float | None = None,
    sections: list[str] | None = None,
    setting: str | None = None,
) -> str:
    """Return the sweep report in Markdown; ``sections`` go after the answer.

    A sweep over the number of users answers at its largest size (pooling
    sizes would average unlike worlds); its ``sections`` give every size.
    ``setting``: the report covers only the runs of this setting of a sweep
    that varies other settings too (``settings_report`` gives them all).
    """
    summary = sweep.summary
    lines = _head(sweep)
    if setting is not None:
        lines += [
            f"Only the runs with `{setting}`: the sweep varies other settings too, and runs "
            "under different settings are not pooled ([every setting](../../report.md)).",
            "",
        ]
    if not summary.empty:
        lines += [calibration_line(summary), ""]
        lines += ["## The answer", "", *answer_lines(summary, intensity)]
    lines += sections or []
    lines += status_lines(sweep.status)
    if not summary.empty:
        lines += means_lines(summary)
        lines += ["", "## Figures", ""]
        if len(sizes_of(summary)) > 1:
            lines += [
                f"Every figure but `scale.png` draws {answer_size(summary):,} users, the size "
                "the answer is at.",
                "",
            ]
        lines += [f"- [{path.name}](plots/{path.name})" for path in figures]
    return "\n".join(lines) + "\n"


def settings_report(
    sweep: Sweep, keys: list[str], parts: list[Setting], intensity: float | None
) -> str:
    """Return the report of a sweep that varies ``keys`` besides policy, intensity and seed.

    Runs under different settings are different worlds: no mean, interval or
    verdict pools them. Each setting (``parts``, ``sim.study.compare.by_setting``)
    gets its answer and means here, and its own report, figures and tables in
    ``settings/<folder>/``.
    """
    named = ", ".join(f"`{key}`" for key in keys)
    lines = [
        *_head(sweep),
        f"This sweep varies {named} besides the policy, intensity, seed and size. Runs under "
        "different settings are different worlds, so nothing below pools them: each setting "
        "has its own answer and means here, and its own report, figures and tables in "
        "`settings/`.",
        "",
        "## The answer, setting by setting",
        "",
    ]
    for part in parts:
        summary, folder = part.sweep.summary, f"settings/{part.folder}"
        link = f"{folder}/report.md"
        lines += [f"### `{part.label}`", ""]
        if summary.empty:
            lines += ["No finished run.", ""]
        else:
            lines += [calibration_line(summary), ""]
            every_size = f"the scale section of [its report]({link})"
            lines += answer_lines(summary, intensity, every_size, f"{folder}/plots")
        lines += [f"Report, figures and tables: [{link}]({link})", ""]
    lines += status_lines(sweep.status)
    for part in parts:
        if not part.sweep.summary.empty:
            lines += [*means_lines(part.sweep.summary, f", `{part.label}`"), ""]
    return "\n".join(lines) + "\n"
