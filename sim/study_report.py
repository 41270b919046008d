"""The report of an uncertainty study, in words first, then tables (statistics come finished)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.figures import DIFF, readable
from sim.outcomes import BY_KEY, fmt
from sim.robust import Comparison, PrimBox
from sim.sensitivity import top_parameters

POLICY = "scenario"


def objective_words(objective: dict[str, Any]) -> str:
    """Return the declared objective in words."""
    if objective["objective"] == "weighted":
        return (
            "a weighted score, GMV relative to laissez-faire's mean plus "
            f"{fmt(objective['ux_weight'], 2)} x user experience relative to laissez-faire's mean"
        )
    return (
        "GMV per user, counted only in worlds where the policy keeps user experience at or "
        "above laissez-faire's in the same world (otherwise it scores 0)"
    )


def prim_words(box: PrimBox) -> str:
    """Describe a PRIM box in plain terms."""
    conditions = []
    for row in box.limits.itertuples():
        if row.low > row.range_low and row.high < row.range_high:
            conditions.append(f"`{row.parameter}` is between {_num(row.low)} and {_num(row.high)}")
        elif row.low > row.range_low:
            conditions.append(f"`{row.parameter}` is at least {_num(row.low)}")
        else:
            conditions.append(f"`{row.parameter}` is at most {_num(row.high)}")
    return (
        f"{readable(box.challenger).capitalize()} beats {readable(box.leader)} in "
        f"{fmt(100 * box.base_rate, 0)}% of all {box.worlds} worlds, but in "
        f"{fmt(100 * box.density, 0)}% of the worlds where " + " and ".join(conditions) + ". "
        f"That region holds {fmt(100 * box.mass, 0)}% of the worlds and "
        f"{fmt(100 * box.coverage, 0)}% of all the worlds where {readable(box.challenger)} wins."
    )


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
    lines = [
        f"# Policy under uncertainty: `{folder.name}`",
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
    if not ranking.empty:
        top = ranking.iloc[0]
        lines.append(
            f"On the declared objective ({objective_words(comparison.objective)}), "
            f"**{readable(top[POLICY])}** is best in {fmt(100 * top['best_share'], 0)}% of the "
            f"{int(top['worlds'])} worlds where every policy finished; the order by share of "
            "worlds won is "
            + ", ".join(
                f"{readable(r[POLICY])} ({fmt(100 * r['best_share'], 0)}%)"
                for r in ranking.to_dict("records")
            )
            + "."
        )
        lines.append("")
    paired = comparison.paired
    for policy in [p for p in ranking[POLICY] if p != "laissez_faire"] if not ranking.empty else []:
        part = paired[paired[POLICY] == policy].set_index("outcome")
        effects = []
        for key in ("gmv", "ux", "unfriends", "left"):
            if key in part.index:
                row, info = part.loc[key], BY_KEY[key]
                effects.append(
                    f"{info.label} {fmt(row['mean'], info.digits, sign=True)} ± "
                    f"{fmt(row['ci95'], info.digits)} {info.unit} "
                    f"(better in {fmt(100 * row['better_share'], 0)}% of worlds)"
                )
        lines.append(f"- **{readable(policy)}** against laissez-faire: " + "; ".join(effects) + ".")
    lines += [
        "",
        "Intervals are 95% t-intervals of the mean paired difference over the worlds.",
        "",
    ]
    if comparison.prim is not None:
        lines += ["**Where the ranking flips (PRIM).** " + prim_words(comparison.prim), ""]
    elif comparison.prim_note:
        lines += [f"**Where the ranking flips (PRIM).** {comparison.prim_note}.", ""]
    lines += ["## What drives each outcome", ""]
    measure = "mu*" if study["method"] == "morris" else "total Sobol index"
    for key in [k for k in BY_KEY if k in set(indices.get("outcome", []))]:
        info = BY_KEY[key]
        parts = []
        for policy in [p for p in indices[POLICY].unique() if not p.endswith(DIFF)]:
            best = top_parameters(indices, policy, key)
            if best.empty:
                parts.append(
                    f"{readable(policy)}: undefined (no complete trajectory or no variation)"
                )
                continue
            col = "mu_star" if "mu_star" in best.columns else "ST"
            names = ", ".join(
                f"`{r['parameter']}` ({fmt(r[col], info.digits if col == 'mu_star' else 2)})"
                for r in best.to_dict("records")
            )
            parts.append(f"{readable(policy)}: {names}")
        lines.append(f"- **{info.label}** ({info.unit}; {measure}): " + "; ".join(parts) + ".")
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
        "| policy | worlds best | mean score | mean regret | max regret "
        "| UX not below laissez-faire |",
        "|---|---|---|---|---|---|",
    ]
    for r in ranking.to_dict("records"):
        lines.append(
            f"| {readable(r[POLICY])} | {fmt(100 * r['best_share'], 0)}% | "
            f"{fmt(r['mean_score'], 2)} | "
            f"{fmt(r['mean_regret'], 2)} | {fmt(r['max_regret'], 2)} | "
            f"{fmt(100 * r['ux_not_below_lf_share'], 0)}% |"
        )
    lines += [
        "",
        "## Paired differences against laissez-faire",
        "",
        "| policy | outcome | mean difference | 95% interval | better in | worlds | undefined |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in paired.to_dict("records"):
        info = BY_KEY[r["outcome"]]
        lines.append(
            f"| {readable(r[POLICY])} | {info.title()} | {fmt(r['mean'], info.digits, True)} | "
            f"± {fmt(r['ci95'], info.digits)} | {fmt(100 * r['better_share'], 0)}% | "
            f"{r['worlds']} | {r['undefined']} |"
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
