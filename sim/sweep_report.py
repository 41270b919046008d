"""The sweep report (``report.md``): the answer in words first, then readable tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.compare import INTENSITY, POLICY, SEED, Sweep, paired_effects
from sim.figures import policies_in, readable
from sim.outcomes import BY_KEY, PRESSURE, available, fmt, mean_and_interval, outcome_table


def answer(summary: pd.DataFrame, intensity: float) -> list[str]:
    """Return the answer in words at ``intensity``: ranking by GMV with paired effects."""
    effects = paired_effects(summary, intensity)
    if effects.empty:
        return ["No laissez-faire runs at this intensity: no paired comparison.", ""]
    days = int(summary["steps"].iloc[0])
    gmv = effects[effects["outcome"] == "gmv"].sort_values("mean", ascending=False)
    lines = [
        f"At intensity {intensity:g}, after {days} days, each policy against laissez-faire on "
        "the same seeds and graphs (mean paired difference ± 95% interval over seeds):",
        "",
    ]
    for policy in gmv[POLICY]:
        part = effects[effects[POLICY] == policy].set_index("outcome")
        said = []
        for key in ("gmv", "ux", "unfriends", "left"):
            if key not in part.index:
                continue
            row, info = part.loc[key], BY_KEY[key]
            interval = (
                f" ± {fmt(row['ci95'], info.digits)}"
                if np.isfinite(row["ci95"])
                else " (one seed: no interval)"
            )
            said.append(f"{info.label} {fmt(row['mean'], info.digits, True)}{interval} {info.unit}")
        lines.append(f"- **{readable(policy)}**: " + "; ".join(said) + ".")
    undefined = effects[effects["undefined"] > 0]
    for row in undefined.to_dict("records"):
        lines.append(
            f"- {BY_KEY[row['outcome']].label} is undefined in {row['undefined']} run(s) of "
            f"{readable(row[POLICY])} (left out of its mean)."
        )
    lines += [
        "",
        "Ordered by the paired effect on GMV; positive means more than laissez-faire.",
        "",
    ]
    return lines + pressure_note(summary, intensity)


def pressure_note(summary: pd.DataFrame, intensity: float) -> list[str]:
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
        "pressure under every policy; `plots/overview.png` compares the policies at matched "
        "pressure.",
        "",
    ]


def report(sweep: Sweep, figures: list[Path], intensity: float | None = None) -> str:
    """Return the sweep report in Markdown."""
    status, summary = sweep.status, sweep.summary
    lines = [
        f"# Sweep report: `{sweep.folder}`",
        "",
        f"Runs expected {status['expected']}, finished {len(status['complete'])}, "
        f"failed {len(status['failed'])}, missing {len(status['missing'])}.",
        "",
    ]
    if not summary.empty:
        levels = sorted(summary[INTENSITY].unique())
        at = (
            intensity
            if intensity is not None
            else (1.0 if 1.0 in levels else levels[len(levels) // 2])
        )
        lines += ["## The answer", "", *answer(summary, at)]
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
    if not summary.empty:
        days = int(summary["steps"].iloc[0])
        table = outcome_table(summary, [POLICY, INTENSITY, SEED])
        shown = [o for o in available(summary)]
        lines += [
            f"## Means per policy and intensity (after {days} days)",
            "",
            "Mean across seeds ± half-width of the 95% interval; n = seeds; "
            "'undefined' where no run defines the value; no interval from one seed.",
            "",
            "| policy | intensity | n | " + " | ".join(o.title() for o in shown) + " |",
            "|" + "---|" * (3 + len(shown)),
        ]
        for (policy, level), group in table.groupby([POLICY, INTENSITY], sort=True):
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
            lines.append(
                f"| {readable(policy)} | {level:g} | {len(group)} | " + " | ".join(cells) + " |"
            )
        lines += ["", "## Figures", ""]
        lines += [f"- [{path.name}](plots/{path.name})" for path in figures]
    return "\n".join(lines) + "\n"
