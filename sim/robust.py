"""Robust policy comparison over sampled worlds: paired differences, best shares, regret, PRIM.

Every policy runs on the same sampled world, seed and graph (common random
numbers), so a policy's effect in a world is the **paired difference** from
laissez-faire in that world. Over the worlds this module reports:

- the mean paired difference per policy and outcome with a 95% interval (t over
  worlds; worlds are the Morris or Sobol sample, which covers the declared
  ranges evenly) and the share of worlds in which the policy is better;
- the **declared platform objective** (``study.objective``): ``gmv_if_ux``,
  GMV per user, counted only if user experience is not below laissez-faire's
  in the same world (a policy that hurts users is worth nothing to the
  platform), or ``weighted``, GMV / mean laissez-faire GMV + ``ux_weight`` x
  UX / mean laissez-faire UX; per policy the share of worlds in which it is
  best, and its **regret** (best score in the world minus its score);
- **scenario discovery** with the EMA Workbench's PRIM: the region of the
  parameter space where the runner-up beats the policy that is best most often.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.config import POLICY_CONFIGS
from sim.outcomes import BY_KEY
from sim.uncertainty import WORLD, identifier

POLICY = "scenario"
BASELINE = "laissez_faire"


@dataclass
class PrimBox:
    """A PRIM box: where ``challenger`` beats ``leader``, as ranges of sampled parameters."""

    leader: str
    challenger: str
    base_rate: float  # share of all worlds in which the challenger wins
    density: float  # share of worlds inside the box in which it wins
    coverage: float  # share of the challenger's wins that fall inside the box
    mass: float  # share of all worlds inside the box
    limits: pd.DataFrame  # parameter, low, high (restricted dimensions only)
    worlds: int


@dataclass
class Comparison:
    """The robust comparison of a study."""

    paired: pd.DataFrame  # policy, outcome, mean, ci95, better share, worlds
    ranking: pd.DataFrame  # policy, best share, mean regret, max regret, eligible share
    scores: pd.DataFrame  # world x policy objective score
    objective: dict[str, Any]
    prim: PrimBox | None = None
    prim_note: str = ""
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
            )
        return {
            "paired": self.paired,
            "ranking": self.ranking,
            "scores": self.scores.reset_index(),
            "prim": prim,
            "differences": self.differences,
        }


def interval(values: np.ndarray) -> tuple[float, float]:
    """Mean and half-width of the 95% t-interval; NaN half-width for fewer than two values."""
    clean = values[np.isfinite(values)]
    if len(clean) == 0:
        return float("nan"), float("nan")
    if len(clean) == 1:
        return float(clean[0]), float("nan")  # one value: no interval, never a zero-width one
    half = stats.t.ppf(0.975, len(clean) - 1) * clean.std(ddof=1) / np.sqrt(len(clean))
    return float(clean.mean()), float(half)


def paired_differences(worlds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return per-world differences from laissez-faire and their summary per policy and outcome."""
    outcomes = [k for k in BY_KEY if k in worlds.columns]
    base = worlds[worlds[POLICY] == BASELINE].set_index(WORLD)
    long, rows = [], []
    for policy in sorted(set(worlds[POLICY]) - {BASELINE}):
        mine = worlds[worlds[POLICY] == policy].set_index(WORLD)
        common = mine.index.intersection(base.index)
        for outcome in outcomes:
            diff = (mine.loc[common, outcome] - base.loc[common, outcome]).to_numpy(dtype=float)
            long.append(
                pd.DataFrame(
                    {WORLD: common, POLICY: policy, "outcome": outcome, "difference": diff}
                )
            )
            mean, half = interval(diff)
            sign = 1.0 if BY_KEY[outcome].higher_is_better else -1.0
            defined = diff[np.isfinite(diff)]
            rows.append(
                {
                    POLICY: policy,
                    "outcome": outcome,
                    "mean": mean,
                    "ci95": half,
                    "better_share": float(np.mean(sign * defined > 0)) if len(defined) else np.nan,
                    "worlds": len(defined),
                    "undefined": int(len(diff) - len(defined)),
                }
            )
    return pd.DataFrame(rows), (pd.concat(long, ignore_index=True) if long else pd.DataFrame())


def objective_scores(worlds: pd.DataFrame, objective: dict[str, Any]) -> pd.DataFrame:
    """Return the declared objective's score, world x policy (NaN where a run is missing)."""
    gmv = worlds.pivot(index=WORLD, columns=POLICY, values="gmv")
    ux = worlds.pivot(index=WORLD, columns=POLICY, values="ux")
    if objective["objective"] == "weighted":
        scores = gmv / gmv[BASELINE].mean() + objective["ux_weight"] * ux / ux[BASELINE].mean()
    else:
        eligible = ux.ge(ux[BASELINE] - 1e-12, axis=0)
        scores = gmv.where(eligible, 0.0).where(gmv.notna() & ux.notna())
    return scores.dropna()  # only worlds where every policy finished


def ranking(scores: pd.DataFrame, worlds: pd.DataFrame, objective: dict[str, Any]) -> pd.DataFrame:
    """Share of worlds each policy is best, its regret, and (gmv_if_ux) how often it is eligible."""
    best = scores.max(axis=1)
    winner = scores.idxmax(axis=1)
    regret = scores.rsub(best, axis=0)
    ux = worlds.pivot(index=WORLD, columns=POLICY, values="ux").loc[scores.index]
    rows = []
    for policy in scores.columns:
        rows.append(
            {
                POLICY: policy,
                "best_share": float((winner == policy).mean()),
                "mean_score": float(scores[policy].mean()),
                "mean_regret": float(regret[policy].mean()),
                "max_regret": float(regret[policy].max()),
                "ux_not_below_lf_share": float((ux[policy] >= ux[BASELINE] - 1e-12).mean()),
                "worlds": len(scores),
            }
        )
    table = pd.DataFrame(rows).sort_values(["best_share", "mean_regret"], ascending=[False, True])
    return table.reset_index(drop=True)


def prim_box(
    scores: pd.DataFrame, sample: pd.DataFrame, names: list[str], leader: str, challenger: str
) -> tuple[PrimBox | None, str]:
    """Find with PRIM the region where ``challenger`` scores above ``leader``.

    Chooses the box on PRIM's peeling trajectory with the highest density among
    those that keep at least 30% coverage (a box that explains most of the flips
    and is mostly flips). Returns ``(None, reason)`` when the ranking never or
    always flips.
    """
    y = (scores[challenger] > scores[leader]).to_numpy()
    worlds = len(y)
    if y.sum() < 3 or (~y).sum() < 3:
        share = y.mean() if worlds else float("nan")
        return None, (
            f"{challenger} beats {leader} in {share:.0%} of {worlds} worlds: "
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
        return None, f"PRIM found no box for {challenger} over {leader} with 30% coverage"
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
    table = pd.DataFrame(
        {
            "parameter": [by_id[c] for c in restricted],
            "low": [float(limits.at[0, c]) for c in restricted],
            "high": [float(limits.at[1, c]) for c in restricted],
            "range_low": [float(initial.at[0, c]) for c in restricted],
            "range_high": [float(initial.at[1, c]) for c in restricted],
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


def compare(
    worlds: pd.DataFrame,
    sample: pd.DataFrame,
    problem_file: dict[str, Any],
    objective: dict[str, Any],
) -> Comparison:
    """Return the study's robust comparison."""
    paired, differences = paired_differences(worlds)
    scores = objective_scores(worlds, objective)
    table = ranking(scores, worlds, objective)
    comparison = Comparison(paired, table, scores, objective, differences=differences)
    if len(table) >= 2 and len(scores):
        leader, challenger = table[POLICY].iloc[0], table[POLICY].iloc[1]
        names = acting_on(list(problem_file["problem"]["names"]), [leader, challenger])
        comparison.prim, comparison.prim_note = prim_box(scores, sample, names, leader, challenger)
    return comparison
