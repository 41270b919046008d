"""Robust policy comparison over sampled worlds: paired differences, Pareto shares, regret, PRIM.

Every policy runs on the same sampled world, seed and graph (common random
numbers), so a policy's effect in a world is the **paired difference** from
laissez-faire in that world. Over the worlds this module reports:

- the mean paired difference per policy and outcome with a 95% interval and
  the share of worlds in which the policy is better. Worlds of one Morris
  trajectory (or one Sobol base sample) differ one parameter at a time and are
  not independent: the interval is a t-interval over the means of those
  groups (``independent_groups``), not over worlds;
- **objectives that do not favour a side** (``study.objective``): by default
  ``pareto``, per policy the share of worlds in which it is on the Pareto set
  of (GMV net of disappointment, user experience) and its regret on each
  objective (the world's best minus its own); ``weighted`` adds a score the
  user asks for, net GMV / mean laissez-faire net GMV + ``ux_weight`` x UX /
  mean laissez-faire UX, with best shares and regret; ``gmv_if_ux`` (net GMV
  counted only where UX is not below laissez-faire's) is kept for comparison
  and said to favour laissez-faire, which always passes its own test;
- **scenario discovery** with the EMA Workbench's PRIM, with its statistics:
  where the runner-up does better than the leader (on the Pareto set while the
  leader is not, or a higher score), with coverage, density, the worlds in the
  box and the quasi-p-values of each restriction (Bryant & Lempert 2010).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.core.config import POLICY_CONFIGS, baseline_policy
from sim.core.outcomes import BY_KEY, POLICY, mean_and_interval
from sim.run.uncertainty import WORLD, identifier

BASELINE = baseline_policy()  # the policy every other is compared with (registry)


MIN_BOX_WORLDS = 10
"""Worlds a PRIM box must hold before its density is read as a finding: with fewer,
the 95% interval of a density near one half is wider than +-30 points."""


@dataclass
class PrimBox:
    """A PRIM box: where ``challenger`` beats ``leader``, as ranges of sampled parameters."""

    leader: str
    challenger: str
    base_rate: float  # share of all worlds in which the challenger wins
    density: float  # share of worlds inside the box in which it wins
    coverage: float  # share of the challenger's wins that fall inside the box
    mass: float  # share of all worlds inside the box
    limits: pd.DataFrame  # parameter, low, high, quasi-p-values (restricted dimensions only)
    worlds: int
    in_box: int = 0  # worlds inside the box
    wins_in_box: int = 0  # worlds inside the box where the challenger wins
    target: str = "score"  # what doing better means: "pareto" (on the set) or a higher "score"

    @property
    def thin(self) -> bool:
        """Whether the box holds too few worlds to be read as a finding."""
        return self.in_box < MIN_BOX_WORLDS

    @property
    def significant(self) -> bool:
        """Whether every restriction's quasi-p-value is below 0.05 (on the side it restricts)."""
        values = self.limits[["qp_low", "qp_high"]].to_numpy(dtype=float)
        return bool(len(values)) and bool(np.nanmax(np.where(values < 0, np.nan, values)) < 0.05)


@dataclass
class Comparison:
    """The robust comparison of a study."""

    paired: pd.DataFrame  # policy, outcome, mean, ci95, better share, worlds, groups
    ranking: pd.DataFrame  # policy, Pareto share, regret per objective, (score, best share)
    scores: pd.DataFrame  # world x policy: on the Pareto set (1/0), or the declared score
    objective: dict[str, Any]
    prim: PrimBox | None = None
    prim_note: str = ""  # why there is no box; policy names in braces: ``{laissez_faire}``
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)  # world, policy, outcome, diff

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables to write, by file stem."""
        prim = pd.DataFrame()
        if self.prim is not None:
            prim = self.prim.limits.assign(
                leader=self.prim.leader,
                challenger=self.prim.challenger,
                density=self.prim.density,
                coverage=self.prim.coverage,
                mass=self.prim.mass,
                base_rate=self.prim.base_rate,
                in_box=self.prim.in_box,
                wins_in_box=self.prim.wins_in_box,
            )
        return {
            "paired": self.paired,
            "ranking": self.ranking,
            "scores": self.scores.reset_index(),
            "prim": prim,
            "differences": self.differences,
        }


def independent_groups(worlds: np.ndarray, block: int) -> np.ndarray:
    """Label each world by the independent draw it belongs to (``block`` worlds a draw).

    A Morris trajectory is ``D + 1`` consecutive worlds, each one step from the
    last; a Sobol base sample is ``D + 2`` consecutive worlds (A, the D mixes,
    B) sharing columns. Worlds of one group are not independent, so intervals
    are taken over the groups' means.
    """
    return np.asarray(worlds) // max(1, block)


def grouped_interval(values: np.ndarray, groups: np.ndarray) -> tuple[float, float, int]:
    """Return the mean of all values, the 95% t half-width over group means, the groups."""
    frame = pd.DataFrame({"value": values, "group": groups}).dropna()
    if frame.empty:
        return float("nan"), float("nan"), 0
    means = frame.groupby("group")["value"].mean().to_numpy(dtype=float)
    _, half = mean_and_interval(means)
    return float(frame["value"].mean()), half, len(means)


def paired_differences(worlds: pd.DataFrame, block: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return per-world differences from laissez-faire and their summary per policy and outcome.

    ``block``: worlds per independent draw (``independent_groups``); 1 treats
    every world as independent.
    """
    outcomes = [k for k in BY_KEY if k in worlds.columns]
    base = worlds[worlds[POLICY] == BASELINE].set_index(WORLD)
    long, rows = [], []
    for policy in sorted(set(worlds[POLICY]) - {BASELINE}):
        mine = worlds[worlds[POLICY] == policy].set_index(WORLD)
        common = mine.index.intersection(base.index)
        groups = independent_groups(common.to_numpy(), block)
        for outcome in outcomes:
            diff = (mine.loc[common, outcome] - base.loc[common, outcome]).to_numpy(dtype=float)
            long.append(
                pd.DataFrame(
                    {WORLD: common, POLICY: policy, "outcome": outcome, "difference": diff}
                )
            )
            finite = np.isfinite(diff)
            mean, half, n_groups = grouped_interval(diff[finite], groups[finite])
            sign = 1.0 if BY_KEY[outcome].higher_is_better else -1.0
            defined = diff[finite]
            rows.append(
                {
                    POLICY: policy,
                    "outcome": outcome,
                    "mean": mean,
                    "ci95": half,
                    "better_share": float(np.mean(sign * defined > 0)) if len(defined) else np.nan,
                    "worlds": len(defined),
                    "groups": n_groups,
                    "undefined": int(len(diff) - len(defined)),
                }
            )
    return pd.DataFrame(rows), (pd.concat(long, ignore_index=True) if long else pd.DataFrame())


OBJECTIVES = ("pareto", "weighted", "gmv_if_ux")


def on_pareto_set(gmv: pd.DataFrame, ux: pd.DataFrame) -> pd.DataFrame:
    """World x policy: 1 where no other policy is at least as good on both and better on one."""
    out = pd.DataFrame(1.0, index=gmv.index, columns=gmv.columns)
    for mine in gmv.columns:
        for other in gmv.columns:
            if other == mine:
                continue
            dominated = (
                (gmv[other] >= gmv[mine])
                & (ux[other] >= ux[mine])
                & ((gmv[other] > gmv[mine]) | (ux[other] > ux[mine]))
            )
            out.loc[dominated, mine] = 0.0
    return out


def objective_scores(worlds: pd.DataFrame, objective: dict[str, Any]) -> pd.DataFrame:
    """Return the objective's score, world x policy (only worlds where every policy finished).

    ``pareto``: 1 on the world's Pareto set of (net GMV, UX), else 0; ``weighted``
    and ``gmv_if_ux``: the score (module docstring).
    """
    gmv = worlds.pivot(index=WORLD, columns=POLICY, values="gmv")
    ux = worlds.pivot(index=WORLD, columns=POLICY, values="ux")
    complete = gmv.notna().all(axis=1) & ux.notna().all(axis=1)
    gmv, ux = gmv[complete], ux[complete]
    if objective["objective"] == "weighted":
        return gmv / gmv[BASELINE].mean() + objective["ux_weight"] * ux / ux[BASELINE].mean()
    if objective["objective"] == "gmv_if_ux":
        return gmv.where(ux.ge(ux[BASELINE] - 1e-12, axis=0), 0.0)
    return on_pareto_set(gmv, ux)


def ranking(scores: pd.DataFrame, worlds: pd.DataFrame, objective: dict[str, Any]) -> pd.DataFrame:
    """Per policy: Pareto share, regret on each objective, and the declared score's best share.

    Regret on an objective is the world's best value minus the policy's (0 when
    it is best), in the objective's own units.
    """
    gmv = worlds.pivot(index=WORLD, columns=POLICY, values="gmv").loc[scores.index]
    ux = worlds.pivot(index=WORLD, columns=POLICY, values="ux").loc[scores.index]
    pareto = on_pareto_set(gmv, ux)
    regret_gmv, regret_ux = gmv.rsub(gmv.max(axis=1), axis=0), ux.rsub(ux.max(axis=1), axis=0)
    scored = objective["objective"] != "pareto"
    if scored:
        best, winner = scores.max(axis=1), scores.idxmax(axis=1)
        regret = scores.rsub(best, axis=0)
    rows = []
    for policy in scores.columns:
        row = {
            POLICY: policy,
            "pareto_share": float(pareto[policy].mean()),
            "mean_gmv_regret": float(regret_gmv[policy].mean()),
            "max_gmv_regret": float(regret_gmv[policy].max()),
            "mean_ux_regret": float(regret_ux[policy].mean()),
            "max_ux_regret": float(regret_ux[policy].max()),
            "ux_not_below_lf_share": float((ux[policy] >= ux[BASELINE] - 1e-12).mean()),
            "gmv_not_below_lf_share": float((gmv[policy] >= gmv[BASELINE] - 1e-12).mean()),
            "worlds": len(scores),
        }
        if scored:
            row.update(
                {
                    "best_share": float((winner == policy).mean()),
                    "mean_score": float(scores[policy].mean()),
                    "mean_regret": float(regret[policy].mean()),
                    "max_regret": float(regret[policy].max()),
                }
            )
        rows.append(row)
    order = ["best_share", "pareto_share"] if scored else ["pareto_share", "mean_gmv_regret"]
    ascending = [False, False] if scored else [False, True]
    return pd.DataFrame(rows).sort_values(order, ascending=ascending).reset_index(drop=True)


def prim_box(
    scores: pd.DataFrame, sample: pd.DataFrame, names: list[str], leader: str, challenger: str
) -> tuple[PrimBox | None, str]:
    """Find with PRIM the region where ``challenger`` scores above ``leader``.

    Chooses the box on PRIM's peeling trajectory with the highest density among
    those that keep at least 30% coverage (a box that explains most of the flips
    and is mostly flips). Returns ``(None, reason)`` when the ranking never or
    always flips.
    """
    y = (scores[challenger] > scores[leader]).to_numpy()  # pareto: on the set, leader not
    worlds = len(y)
    if y.sum() < 3 or (~y).sum() < 3:
        share = y.mean() if worlds else float("nan")
        return None, (
            f"{{{challenger}}} does better than {{{leader}}} in {share:.0%} of {worlds} worlds: "
            "too few flips (or too few non-flips) for scenario discovery"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("EMA").setLevel(logging.ERROR)
        from ema_workbench.analysis import prim

        x = sample.set_index(WORLD).loc[scores.index, names]
        x.columns = [identifier(n) for n in names]
        algorithm = prim.Prim(x.reset_index(drop=True), y)
        box = algorithm.find_box()
    trajectory = box.peeling_trajectory
    ok = trajectory[(trajectory["coverage"] >= 0.3) & (trajectory["res_dim"] > 0)]
    if ok.empty:
        return None, f"PRIM found no box for {{{challenger}}} over {{{leader}}} with 30% coverage"
    i = int(ok["density"].idxmax())
    box.select(i)
    limits = box.box_lims[i]
    initial = box.box_lims[0]
    restricted = [
        c
        for c in limits.columns
        if not np.isclose(limits.at[0, c], initial.at[0, c])
        or not np.isclose(limits.at[1, c], initial.at[1, c])
    ]
    by_id = {identifier(n): n for n in names}
    quasi_p = box.p_values[i] if i < len(box.p_values) else {}
    table = pd.DataFrame(
        {
            "parameter": [by_id[c] for c in restricted],
            "low": [float(limits.at[0, c]) for c in restricted],
            "high": [float(limits.at[1, c]) for c in restricted],
            "range_low": [float(initial.at[0, c]) for c in restricted],
            "range_high": [float(initial.at[1, c]) for c in restricted],
            # one-sided binomial test of each restriction (-1: that side not restricted)
            "qp_low": [float(quasi_p.get(c, [np.nan, np.nan])[0]) for c in restricted],
            "qp_high": [float(quasi_p.get(c, [np.nan, np.nan])[1]) for c in restricted],
        }
    )
    row = trajectory.loc[i]
    return (
        PrimBox(
            leader=leader,
            challenger=challenger,
            base_rate=float(y.mean()),
            density=float(row["density"]),
            coverage=float(row["coverage"]),
            mass=float(row["mass"]),
            limits=table,
            worlds=worlds,
            in_box=int(row["n"]),
            wins_in_box=int(row["k"]),
        ),
        "",
    )


def acting_on(names: list[str], policies: list[str]) -> list[str]:
    """Return the parameters that can act on any of ``policies``.

    A ``policy.*`` key is set only under the policy that has it (a study applies
    it to that policy alone), so another policy's lever cannot change which of
    these two policies wins. Left in, PRIM's peeling restricts such levers as
    noise and the box reads as if they mattered.
    """
    own = {
        key
        for policy in policies
        for key in getattr(POLICY_CONFIGS.get(policy), "__dataclass_fields__", {})
    }
    return [n for n in names if not n.startswith("policy.") or n.removeprefix("policy.") in own]


def block_size(problem_file: dict[str, Any]) -> int:
    """Worlds per independent draw of the study's sample (Morris D + 1, Sobol D + 2)."""
    study, names = problem_file.get("study", {}), problem_file["problem"]["names"]
    if study.get("method") == "morris":
        return len(names) + 1
    if study.get("method") == "sobol":
        return len(names) + 2
    return 1


def compare(
    worlds: pd.DataFrame,
    sample: pd.DataFrame,
    problem_file: dict[str, Any],
    objective: dict[str, Any],
) -> Comparison:
    """Return the study's robust comparison."""
    paired, differences = paired_differences(worlds, block_size(problem_file))
    scores = objective_scores(worlds, objective)
    table = ranking(scores, worlds, objective)
    comparison = Comparison(paired, table, scores, objective, differences=differences)
    if len(table) >= 2 and len(scores):
        leader, challenger = table[POLICY].iloc[0], table[POLICY].iloc[1]
        names = acting_on(list(problem_file["problem"]["names"]), [leader, challenger])
        comparison.prim, comparison.prim_note = prim_box(scores, sample, names, leader, challenger)
        if comparison.prim is not None:
            comparison.prim.target = "pareto" if objective["objective"] == "pareto" else "score"
    return comparison
