"""The report of an uncertainty study, in words first, then tables (statistics come finished)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.core.outcomes import BY_KEY, POLICY, fmt
from sim.figures.study import BASELINE, DIFF, readable
from sim.study.calibrate import setting_check
from sim.study.robust import MIN_BOX_WORLDS, Comparison, PrimBox


def objective_words(objective: dict[str, Any]) -> str:
    """Return the declared objective in one sentence, with what it implies."""
    if objective["objective"] == "weighted":
        return (
            "Objective: a weighted score the user asked for, net GMV relative to laissez-faire's "
            f"mean plus {fmt(objective['ux_weight'], 2)} x user experience relative to "
            "laissez-faire's mean; it trades one for the other at that fixed rate, so the "
            "ranking is only as good as the weight. Pareto shares and regrets on each "
            "objective are shown beside it."
        )
    if objective["objective"] == "gmv_if_ux":
        return (
            "Objective: net GMV per user, counted only in worlds where the policy keeps user "
            "experience at or above laissez-faire's (otherwise 0). It favours laissez-faire, "
            "which always passes its own test, and reduces to GMV alone for any policy that "
            "never lowers UX; Pareto shares and regrets are shown beside it."
        )
    return (
        "Objective: no single score. A policy is on a world's Pareto set when no other policy "
        "does at least as well on both net GMV (yuan per user) and user experience and better "
        "on one; each policy's share of worlds on the set and its regret on each objective "
        "(the world's best minus its own) are reported, so neither objective is traded for "
        "the other by assumption."
    )


def prim_words(box: PrimBox) -> str:
    """Describe a PRIM box in plain terms, with its statistics and a warning if it is thin."""
    conditions = []
    for row in box.limits.itertuples():
        if row.low > row.range_low and row.high < row.range_high:
            conditions.append(f"`{row.parameter}` is between {_num(row.low)} and {_num(row.high)}")
        elif row.low > row.range_low:
            conditions.append(f"`{row.parameter}` is at least {_num(row.low)}")
        else:
            conditions.append(f"`{row.parameter}` is at most {_num(row.high)}")
    quasi = ", ".join(
        f"`{row.parameter}` {_quasi_p(row.qp_low, row.qp_high)}" for row in box.limits.itertuples()
    )
    challenger, leader = readable(box.challenger), readable(box.leader)
    does = (
        f"{challenger} is on the Pareto set while {leader} is not"
        if box.target == "pareto"
        else f"{challenger} scores above {leader}"
    )
    text = (
        f"{does[0].upper()}{does[1:]} in "
        f"{fmt(100 * box.base_rate, 0)}% of all {box.worlds} worlds, but in "
        f"{fmt(100 * box.density, 0)}% ({box.wins_in_box} of {box.in_box}) of the worlds where "
        + " and ".join(conditions)
        + f". That region holds {fmt(100 * box.mass, 0)}% of the worlds (density "
        f"{fmt(box.density, 2)}, coverage {fmt(box.coverage, 2)}: "
        f"{fmt(100 * box.coverage, 0)}% of all the worlds where it happens). Quasi-p-values "
        f"of the restrictions (one-sided binomial tests, Bryant & Lempert 2010): {quasi}."
    )
    if box.thin:
        text += (
            f" **Warning: the box rests on {box.in_box} worlds, fewer than {MIN_BOX_WORLDS}**: "
            "its density could be far from the truth; read it as a place to look, not a finding."
        )
    elif not box.significant:
        text += (
            " **Warning: not every restriction is significant at 5%**: the box may describe "
            "noise in this sample."
        )
    return text


class _Readable(dict):
    """Fill ``{policy}`` placeholders with the policy's readable name."""

    def __missing__(self, key: str) -> str:
        return readable(key)


def _quasi_p(low: float, high: float) -> str:
    sides = [f"{side} {value:.2g}" for side, value in (("low", low), ("high", high)) if value >= 0]
    return "(" + ", ".join(sides) + ")" if sides else "(not restricted)"


def drivers(
    indices: pd.DataFrame, policy: str, outcome: str, digits: int, k: int = 3
) -> tuple[str, int]:
    """Name up to ``k`` drivers of ``outcome`` for ``policy`` whose index interval excludes zero.

    Returns the words and how many parameters had an index indistinguishable
    from zero (left out: a parameter is a driver only when its 95% interval
    excludes zero).
    """
    measure, conf = (
        ("mu_star", "mu_star_ci95") if "mu_star" in indices.columns else ("ST", "ST_ci95")
    )
    part = indices[(indices[POLICY] == policy) & (indices["outcome"] == outcome)].dropna(
        subset=[measure]
    )
    real = part[part[measure] - part[conf].fillna(np.inf) > 0]
    best = real.nlargest(k, measure)
    shown = digits if measure == "mu_star" else 2
    words = ", ".join(
        f"`{r['parameter']}` ({fmt(r[measure], shown)} ± {fmt(r[conf], shown)})"
        for r in best.to_dict("records")
    )
    return words, len(part) - len(real)


def _num(value: float) -> str:
    """Format a parameter value without e-notation."""
    if value == 0:
        return "0"
    digits = max(0, min(6, 3 - int(f"{abs(value):e}".split("e")[1])))
    return f"{value:,.{digits}f}"


def report(
    folder: Path,
    status: dict[str, Any],
    problem_file: dict[str, Any],
    runs: pd.DataFrame,
    worlds: pd.DataFrame,
    indices: pd.DataFrame,
    comparison: Comparison,
    figures: list[Path],
) -> str:
    """Return the study's report in Markdown: the answer in words, then the tables."""
    study, problem = problem_file["study"], problem_file["problem"]
    n_worlds = int(worlds["world"].nunique())
    horizon = int(runs["steps"].iloc[0])
    users = int(runs["n_users"].iloc[0])
    seeds = int(runs["seed"].nunique())
    method = "Morris screening" if study["method"] == "morris" else "Sobol variance decomposition"
    baseline = runs[runs[POLICY] == BASELINE]
    _, calibrated = setting_check(baseline, horizon, users, "this study's setting")
    lines = [
        f"# Policy under uncertainty: `{folder.name}`",
        "",
        objective_words(comparison.objective),
        "",
        calibrated,
        "",
        f"{method} of {problem['num_vars']} uncertain parameters (set `{study['uncertainty']}`), "
        f"{n_worlds} sampled worlds x {worlds[POLICY].nunique()} policies x {seeds} seed(s), "
        f"{users:,} users, {horizon} days. Every policy ran on the same world, seed and graph, "
        "so differences between policies are paired.",
        "",
        f"Runs expected {status['expected']}, finished {len(status['complete'])}, "
        f"failed {len(status['failed'])}, missing {len(status['missing'])}.",
        "",
        "## The answer",
        "",
    ]
    ranking = comparison.ranking
    scored = "best_share" in ranking.columns
    if not ranking.empty:
        lines.append(
            "Share of worlds on the Pareto set of (net GMV, UX): "
            + ", ".join(
                f"{readable(r[POLICY])} {fmt(100 * r['pareto_share'], 0)}%"
                for r in ranking.to_dict("records")
            )
            + f" (of {int(ranking['worlds'].iloc[0])} worlds where every policy finished; "
            "several policies can share a world's set)."
        )
        if scored:
            top = ranking.iloc[0]
            lines.append(
                f"On the declared score, **{readable(top[POLICY])}** is best in "
                f"{fmt(100 * top['best_share'], 0)}% of the worlds."
            )
        lines.append("")
    paired = comparison.paired
    others = [p for p in ranking[POLICY] if p != BASELINE] if not ranking.empty else []
    for policy in others:
        part = paired[paired[POLICY] == policy].set_index("outcome")
        told, untold = [], []
        for key in ("gmv", "gmv_gross", "ux", "unfriends", "left"):
            if key not in part.index:
                continue
            row, info = part.loc[key], BY_KEY[key]
            text = (
                f"{info.label} {fmt(row['mean'], info.digits, sign=True)} ± "
                f"{fmt(row['ci95'], info.digits)} {info.unit} "
                f"(better in {fmt(100 * row['better_share'], 0)}% of worlds)"
            )
            distinct = np.isfinite(row["ci95"]) and abs(row["mean"]) > row["ci95"]
            (told if distinct else untold).append(text)
        sentence = f"- **{readable(policy)}** against laissez-faire: "
        sentence += ("distinguishable from zero: " + "; ".join(told)) if told else "no difference "
        sentence += "; " if told and untold else ""
        sentence += ("within noise: " + "; ".join(untold)) if untold else ""
        lines.append(sentence.rstrip() + ".")
    groups = int(paired["groups"].max()) if "groups" in paired and len(paired) else n_worlds
    lines += [
        "",
        f"Intervals are 95% t-intervals of the mean paired difference over {groups} independent "
        "draws (a Morris trajectory's or a Sobol base sample's worlds differ one parameter at "
        "a time and count once); a difference is distinguishable from zero when its interval "
        "excludes zero.",
        "",
    ]
    lines += ["### What drives each policy's difference from laissez-faire", ""]
    for policy in others:
        said = []
        for key in ("gmv", "ux"):
            words, _ = drivers(indices, f"{policy}{DIFF}", key, BY_KEY[key].digits)
            label = BY_KEY[key].label
            said.append(
                f"{label}: {words}" if words else f"{label}: no parameter's index excludes zero"
            )
        lines.append(f"- **{readable(policy)} minus laissez-faire**: " + "; ".join(said) + ".")
    lines += [
        "",
        "A parameter is named a driver only when the 95% interval of its index "
        f"({'mu*' if study['method'] == 'morris' else 'total Sobol index'}) excludes zero.",
        "",
    ]
    if comparison.prim is not None:
        lines += ["**Where the ranking flips (PRIM).** " + prim_words(comparison.prim), ""]
    elif comparison.prim_note:
        note = comparison.prim_note.format_map(_Readable())
        lines += [f"**Where the ranking flips (PRIM).** {note[0].upper()}{note[1:]}.", ""]
    lines += ["## What drives each outcome", ""]
    measure = "mu*" if study["method"] == "morris" else "total Sobol index"
    for key in [k for k in BY_KEY if k in set(indices.get("outcome", []))]:
        info = BY_KEY[key]
        parts = []
        for policy in [p for p in indices[POLICY].unique() if not p.endswith(DIFF)]:
            words, _ = drivers(indices, policy, key, info.digits)
            parts.append(
                f"{readable(policy)}: {words}"
                if words
                else f"{readable(policy)}: no parameter's index excludes zero"
            )
        lines.append(
            f"- **{info.label}** ({info.unit}; {measure} ± 95%): " + "; ".join(parts) + "."
        )
    undefined = indices.groupby("outcome")["worlds_undefined"].max() if not indices.empty else {}
    notes = [f"{k}: {int(v)} world(s)" for k, v in dict(undefined).items() if v]
    if notes:
        lines += [
            "",
            "Undefined outcomes (a run missing or the value undefined): " + ", ".join(notes) + ".",
        ]
    lines += [
        "",
        "## Robust ranking",
        "",
        "| policy | on the Pareto set | net GMV regret, mean (max) | UX regret, mean (max) "
        "| UX not below laissez-faire | net GMV not below laissez-faire |"
        + (" declared score best | score regret, mean (max) |" if scored else ""),
        "|---|---|---|---|---|---|" + ("---|---|" if scored else ""),
    ]
    for r in ranking.to_dict("records"):
        row = (
            f"| {readable(r[POLICY])} | {fmt(100 * r['pareto_share'], 0)}% | "
            f"{fmt(r['mean_gmv_regret'], 1)} ({fmt(r['max_gmv_regret'], 1)}) | "
            f"{fmt(r['mean_ux_regret'], 3)} ({fmt(r['max_ux_regret'], 3)}) | "
            f"{fmt(100 * r['ux_not_below_lf_share'], 0)}% | "
            f"{fmt(100 * r['gmv_not_below_lf_share'], 0)}% |"
        )
        if scored:
            row += (
                f" {fmt(100 * r['best_share'], 0)}% | {fmt(r['mean_regret'], 2)} "
                f"({fmt(r['max_regret'], 2)}) |"
            )
        lines.append(row)
    lines += [
        "",
        "## Paired differences against laissez-faire",
        "",
        "| policy | outcome | mean difference | 95% interval | better in | worlds | draws "
        "| undefined |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in paired.to_dict("records"):
        info = BY_KEY[r["outcome"]]
        lines.append(
            f"| {readable(r[POLICY])} | {info.title()} | {fmt(r['mean'], info.digits, True)} | "
            f"± {fmt(r['ci95'], info.digits)} | {fmt(100 * r['better_share'], 0)}% | "
            f"{r['worlds']} | {r['groups']} | {r['undefined']} |"
        )
    lines += [
        "",
        "## Declared uncertainty",
        "",
        "| parameter | range | distribution | source |",
        "|---|---|---|---|",
    ]
    for name, (low, high), dist, source in zip(
        problem["names"],
        problem["bounds"],
        problem["dists"],
        problem.get("sources", [""] * len(problem["names"])),
        strict=True,
    ):
        lines.append(f"| `{name}` | {_num(low)} – {_num(high)} | {dist} | {source} |")
    if status["failed"]:
        lines += ["", "## Failed runs", ""]
        lines += [f"- `{name}`: {error}" for name, error in status["failed"].items()]
    if status["missing"]:
        lines += ["", f"## Missing runs (never finished): {len(status['missing'])}", ""]
        lines += [f"- `{name}`" for name in status["missing"][:50]]
    lines += ["", "## Figures", ""]
    lines += [f"- [{p.name}](plots/{p.name})" for p in figures]
    lines += [
        "",
        "Tables: `summary.parquet` (runs), `worlds.parquet` (world x policy outcomes and sampled "
        "values), `sensitivity.parquet`, `paired.parquet`, `differences.parquet`, "
        "`ranking.parquet`, `scores.parquet`, `prim.parquet`.",
    ]
    return "\n".join(lines) + "\n"
