"""Docking: is the fast engine equivalent to the per-agent reference? (``sim dock``).

Both engines implement docs/ODD.md. They are run on the same graphs and seeds
(paired: seed ``s`` builds the same graph in both) and compared with tests made
for equivalence, not for difference:

* **TOST** (two one-sided t-tests, Schuirmann 1987) on the paired differences
  ``fast - reference`` of every headline metric, on the final day and at two
  earlier days, against margins declared up front (``MARGINS``; justified in
  docs/VALIDATION.md). A metric is equivalent when both one-sided tests reject
  at ``ALPHA``.
* **Kolmogorov-Smirnov** (``scipy.stats.ks_2samp``) on per-arc and per-seller
  quantities pooled over seeds (trust on seller arcs, friends lost per
  seller) and on the per-run final values of each headline metric.

The engines are declared equivalent when every TOST and no KS test rejects;
the command prints the table and exits 1 otherwise. ``--fast KEY=VALUE``
applies overrides to the fast engine only, which is how the negative controls
(``FAULTS``, ``--power``) prove that the test can fail.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.core.config import ConfigError, baseline_policy, policy_info, policy_names
from sim.core.outputs import write_atomically
from sim.core.policy_info import Docking
from sim.engine.graphs import graph_for_seed
from sim.engine.metrics import Column, seller_arcs
from sim.engine.model import SocialCommerceModel
from sim.run.pool import processes
from sim.run.runner import composed_config
from sim.run.safety import output_file
from sim.verify.bass import bass_figure_file
from sim.verify.reference.model import ReferenceModel


def _docking(policy: str) -> Docking:
    """Return how ``policy`` declares it is docked (its config's ``info.docking``)."""
    info = policy_info(policy)
    return Docking() if info is None else info.docking


# The policies docked: every registered one the reference engine implements
# (``info.docking.docked``), in the registry's order; laissez-faire is the baseline.
BASELINE = baseline_policy()
SCENARIOS = tuple(p for p in policy_names() if _docking(p).docked)

# The docking regime: small enough for CI, stressed enough that every rule
# fires. Attention is short (median 8 items) so about half of the readers are
# saturated on a typical day (the only place where the engines draw
# differently: per arc vs per item); recruitment is 5x the default and the
# grace period 30 days so entries and exits both happen within 60 days; the
# intensity and seller share make mutes, unfriends, complaints, penalties,
# shop follows and unfollows and C2B answers frequent. The graph is
# Erdos-Renyi: on a heavy-tailed graph which hubs are seeded as sellers
# dominates a run, and the run-to-run spread (4x larger on Holme-Kim for the
# shares) would swamp any engine difference at a CI-sized number of seeds.
REGIME = (
    "graph=erdos_renyi",
    "graph.n_users=1200",
    "graph.mean_degree=20",
    "steps=60",
    "market.intensity=1.5",
    "sellers.initial_fraction=0.05",
    "users.attention_median=8",
    "sellers.recruit_prob=0.005",
    "sellers.grace_days=30",
    "progress=false",
    "plot=false",
)
# Regimes of their own, added to REGIME for both engines, for submodels the
# main regime exercises too little; each is docked against the reference too.
# * clustered: word of mouth acts through common friends, which Erdos-Renyi
#   friends almost never have (Watts-Strogatz keeps most of a ring's triangles).
# * purchases: seller quality decides only purchases' outcomes, and about 45
#   purchases a run are too few to show it; recruitment needs visible sales and
#   recruitable readers, and the main regime sees about one entry a run. Four
#   times the conversion, half the users recruitable and 4x the recruitment
#   give about 170 purchases and 14 entries a run. The mute leak shows here
#   too: leaked items keep eroding muted arcs toward unfriending, and in the
#   main regime (about 22 unfriends a run) only one KS test saw it switched off.
# Regimes a policy needs of its own (rectify's complaints and products) are
# declared in its config's ``info.docking.regimes`` (sim.core.config).
REGIMES: dict[str, tuple[str, ...]] = {
    "main": (),
    "clustered": ("graph=watts_strogatz",),
    "purchases": (
        "purchase.conversion=0.12",
        "sellers.recruitable_fraction=0.5",
        "sellers.recruit_prob=0.02",
    ),
    **{name: both for p in SCENARIOS for name, both in _docking(p).regimes.items()},
}
# What the command docks by default: every scenario in the main regime, and
# each extra regime in the scenario whose rules it exercises (the general ones
# in the baseline, a policy's own in the policy).
CASES: tuple[tuple[str, str], ...] = (
    *((scenario, "main") for scenario in SCENARIOS),
    (BASELINE, "clustered"),
    (BASELINE, "purchases"),
    *((p, regime) for p in SCENARIOS for regime in _docking(p).regimes),
)
SEEDS = 20
# More seeds where the run-to-run spread needs them: in the purchases regime
# the sellers TOST passed at p 0.001 in one run of 20 seeds and failed at p 0.054
# in the next (differences -2.8 and -5.2 against a margin of 8.6).
REGIME_SEEDS: dict[str, int] = {"purchases": 40}
# ... and in cases a policy declares (``info.docking.seeds``: the separate shop's
# follower count needs 40 seeds in the main regime).
CASE_SEEDS: dict[tuple[str, str], int] = {
    (p, regime): n for p in SCENARIOS for regime, n in _docking(p).seeds.items()
}
ALPHA = 0.05  # each TOST at 5% (the usual 90% confidence interval inside the margins)
KS_ALPHA = 0.01  # per-arc and per-seller distributions
CHECK_FRACTIONS = (1 / 3, 2 / 3, 1.0)  # days compared: a third, two thirds, the end
# Seller arcs sampled per run for the per-arc KS test: arcs of one run are not
# independent, so pooling many per run makes the test reject equal engines too
# often. The fast engine against itself on the clustered regime, 15 pairs of
# 20-run sets: 1 rejection at 1% and 3 at 5% with 150 arcs a run, 0 and 1 with 50.
ARC_SAMPLE = 50

# Equivalence margins, declared before any comparison (docs/VALIDATION.md).
# ("abs", m): |mean difference| < m in the metric's own units.
# ("rel", r, floor): |mean difference| < max(r x |reference mean|, floor).
MARGINS: dict[str, tuple] = {
    "marketing_share": ("abs", 0.03),
    "ad_load": ("rel", 0.15, 0.05),
    "mean_trust_seller_arcs": ("abs", 0.02),
    "ux": ("abs", 0.03),
    "left_share": ("abs", 0.03),
    "seller_friends_kept": ("abs", 0.03),
    "seller_friends_reached": ("abs", 0.04),
    "cohort_friends_kept": ("abs", 0.03),
    "cohort_friends_reached": ("abs", 0.04),
    "mutes_cum": ("rel", 0.25, 10.0),
    "unfriends_cum": ("rel", 0.25, 10.0),
    "sales_cum": ("rel", 0.35, 10.0),
    "disappointed_cum": ("rel", 0.35, 10.0),
    "sellers": ("rel", 0.20, 5.0),
    "seller_entries_cum": ("rel", 0.25, 5.0),
    "shop_followers": ("rel", 0.25, 10.0),
    "unfollows_cum": ("rel", 0.25, 10.0),
    "penalties_cum": ("rel", 0.25, 5.0),
    "needs_persuaded_cum": ("rel", 0.25, 10.0),
}
METRICS = tuple(MARGINS)


@dataclass(frozen=True)
class Fault:
    """A negative control: a fast-engine-only override the dock must reject.

    Attributes:
        submodel: the ODD submodel the fault breaks.
        scenario: the scenario that exercises it.
        override: ``KEY=VALUE`` applied to the fast engine only.
        key: the config key (for the size scan).
        default: the key's value in the docking regime (for the size scan).
        regime: the name of the regime in ``REGIMES`` (both engines) that
            exercises the submodel (e.g. word of mouth needs common friends).

    """

    submodel: str
    scenario: str
    key: str
    value: float
    default: float
    regime: str = "main"

    @property
    def override(self) -> str:
        """The Hydra override string."""
        return f"{self.key}={self.value:g}"

    @property
    def common(self) -> tuple[str, ...]:
        """The regime's overrides, for both engines."""
        return REGIMES[self.regime]


# Negative controls, one or more per ODD submodel and per policy lever. Each is
# a change a bug could plausibly make (a rule switched off, a rate off by a
# factor); sizes are large enough for the regime's precision (docs/VALIDATION.md:
# a first set of 10-50% faults left five undetected). ``--sizes`` reports the
# smallest fault each metric detects.
FAULTS: tuple[Fault, ...] = (
    Fault("reading (attention)", BASELINE, "users.attention_median", 12, 8),
    Fault("reading (mute leak)", BASELINE, "trust.mute_leak", 0.0, 0.15, "purchases"),
    Fault("erosion", BASELINE, "trust.erosion_per_item", 0.0038, 0.0032),
    Fault("erosion (clutter)", BASELINE, "trust.clutter_gain", 2, 4),
    Fault("wear-out", BASELINE, "trust.wearout_slope", 0.0, 0.5),
    Fault("repair", BASELINE, "trust.repair_rate", 0.1, 0.3),
    Fault("purchase", BASELINE, "purchase.conversion", 0.06, 0.03),
    Fault("persuasion", BASELINE, "market.persuasion", 0.003, 0.002),
    Fault("outcome", BASELINE, "purchase.quality_mean", 0.4, 0.7, "purchases"),
    Fault("word of mouth", BASELINE, "purchase.word_of_mouth", 0.5, 0.05, "clustered"),
    Fault("ladder (margin)", BASELINE, "trust.ladder_margin", 0.0, 0.05),
    Fault("ladder (unfriend)", BASELINE, "trust.unfriend_ratio", 0.45, 0.54),
    Fault("recruitment", BASELINE, "sellers.recruit_prob", 0.04, 0.02, "purchases"),
    Fault("exit", BASELINE, "sellers.exit_prob", 0.1, 0.05),
    Fault("engagement", BASELINE, "users.engagement_loss", 0.15, 0.21),
    # ... and those that need a policy, declared in its config (``info.docking.faults``)
    *(
        Fault(f.submodel, p, f.key, f.value, f.default, f.regime)
        for p in SCENARIOS
        for f in _docking(p).faults
    ),
)


@dataclass
class RunSet:
    """What one engine produced for one scenario over the seeds.

    Attributes:
        metrics: one row per seed and checked day: ``seed``, ``day``, every metric.
        trust: trust on seller arcs at the end (a sample per run), pooled.
        friends_lost: friends lost per seller active at the end, pooled.

    """

    metrics: pd.DataFrame
    trust: np.ndarray
    friends_lost: np.ndarray


@dataclass
class Verdict:
    """The comparison of two ``RunSet``: a table of tests and the overall decision."""

    scenario: str
    table: pd.DataFrame = field(repr=False)
    regime: str = "main"

    @property
    def label(self) -> str:
        """The scenario, and the regime when it is not the main one."""
        return self.scenario if self.regime == "main" else f"{self.scenario} ({self.regime} regime)"

    @property
    def equivalent(self) -> bool:
        """True when every test in the table passed."""
        return bool(self.table["pass"].all())

    def failures(self) -> pd.DataFrame:
        """Return the rows that did not pass."""
        return self.table[~self.table["pass"]]


def seeds_for(regime: str, scenario: str | None = None) -> int:
    """Return the number of paired seeds a regime (in a scenario) is docked with."""
    return CASE_SEEDS.get((str(scenario), regime), REGIME_SEEDS.get(regime, SEEDS))


def check_days(steps: int) -> list[int]:
    """Return the days compared: a third, two thirds and the last day of the run."""
    return sorted({max(1, round(f * steps)) for f in CHECK_FRACTIONS})


def _config(scenario: str, seed: int, overrides: Sequence[str]):
    # Hydra's composition took two thirds of a fast run's time (0.44 of 0.69 s):
    # a worker composes each (scenario, overrides) once and sets the seed on a copy.
    return composed_config([*REGIME, f"scenario={scenario}", *overrides], seed)


def run_one(job: tuple[str, str, int, tuple[str, ...], int]) -> dict:
    """Run one engine on one scenario and seed; return its checked rows and samples.

    ``job`` is (engine, scenario, seed, overrides, label). The graph is the one
    of seed ``label`` and rows are labelled ``label`` for pairing; the dynamics
    draw from ``seed`` (equal to ``label`` except for a shifted baseline: the
    same graph with other random draws).
    """
    engine, scenario, seed, overrides, label = job
    cfg = _config(scenario, seed, overrides)
    if engine == "fast":
        model = SocialCommerceModel(cfg, graph=graph_for_seed(cfg.graph, label))
        for _ in range(cfg.steps):
            model.step()
        table = model.datacollector.get_model_vars_dataframe()
        table.insert(0, Column.DAY, range(1, len(table) + 1))
        trust = model.arcs.trust[seller_arcs(model)]
        sellers = np.flatnonzero(model.people.seller)
        kept = np.array([len(model.arcs.friends(int(s))) for s in sellers], dtype=float)
        lost = model.friends_at_start[sellers] - kept
    else:
        model = ReferenceModel(cfg)
        table = model.run()
        trust = np.array(
            [
                p.trust[s.node]
                for s in model.people
                if s.selling
                for p in model.non_seller_friends(s)
            ]
        )
        lost = np.array(
            [model.friends_at_start[p.node] - len(p.trust) for p in model.people if p.selling],
            dtype=float,
        )
    # daily ratios are noisy: compare their running means (what a run averages)
    table = table.assign(
        marketing_share=table["marketing_share"].expanding().mean(),
        ad_load=table["ad_load"].expanding().mean(),
    )
    rows = table[table["day"].isin(check_days(cfg.steps))][["day", *METRICS]].copy()
    rows.insert(0, "seed", label)
    sample = np.random.default_rng(seed).permutation(len(trust))[:ARC_SAMPLE]
    return {"rows": rows, "trust": trust[np.sort(sample)], "lost": lost}


def collect(
    scenario: str,
    engine: str,
    seeds: int = SEEDS,
    overrides: Sequence[str] = (),
    pool: Executor | None = None,
    seed_offset: int = 0,
) -> RunSet:
    """Run ``engine`` ("fast" or "reference") on ``scenario`` for seeds ``0..seeds-1``.

    With ``seed_offset`` the runs use seeds ``offset..offset+seeds-1`` (other
    graphs) but are labelled ``0..seeds-1``: an unpaired baseline.
    """
    jobs = [(engine, scenario, seed + seed_offset, tuple(overrides), seed) for seed in range(seeds)]
    results = list(pool.map(run_one, jobs)) if pool is not None else list(map(run_one, jobs))
    return RunSet(
        metrics=pd.concat([r["rows"] for r in results], ignore_index=True),
        trust=np.concatenate([r["trust"] for r in results]),
        friends_lost=np.concatenate([r["lost"] for r in results]),
    )


def margin(metric: str, reference_mean: float) -> float:
    """Return the equivalence margin of ``metric`` given the reference engine's mean."""
    rule = MARGINS[metric]
    if rule[0] == "abs":
        return float(rule[1])
    return max(float(rule[1]) * abs(reference_mean), float(rule[2]))


def tost(differences: np.ndarray, bound: float) -> float:
    """TOST p-value that the mean of paired ``differences`` lies within ``+-bound``.

    Two one-sided one-sample t-tests (``scipy.stats.ttest_1samp``): H0 mean <= -bound
    and H0 mean >= +bound; the TOST p-value is the larger of the two. Without any
    spread (e.g. both engines count 0), the answer is exact: 0 inside, 1 outside.
    """
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return 1.0
    if np.ptp(d) == 0:
        return 0.0 if abs(d[0]) < bound else 1.0
    lower = stats.ttest_1samp(d, -bound, alternative="greater").pvalue
    upper = stats.ttest_1samp(d, bound, alternative="less").pvalue
    return float(max(lower, upper))


def ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov p-value (1 when either sample is empty or both constant)."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not len(a) or not len(b):
        return 1.0
    if np.ptp(np.concatenate([a, b])) == 0:
        return 1.0
    return float(stats.ks_2samp(a, b).pvalue)


def compare(scenario: str, fast: RunSet, reference: RunSet, regime: str = "main") -> Verdict:
    """Test the equivalence of ``fast`` and ``reference`` (same seeds and days)."""
    rows = []
    paired = fast.metrics.merge(reference.metrics, on=["seed", "day"], suffixes=("_f", "_r"))
    days = sorted(paired["day"].unique())
    for metric in METRICS:
        for day in days:
            at = paired[paired["day"] == day]
            f, r = at[f"{metric}_f"].to_numpy(), at[f"{metric}_r"].to_numpy()
            ref_mean = float(np.nanmean(r)) if np.isfinite(r).any() else 0.0
            bound = margin(metric, ref_mean)
            diff = f - r
            p = tost(diff, bound)
            rows.append(
                {
                    "test": "TOST",
                    "quantity": metric,
                    "day": int(day),
                    "fast": float(np.nanmean(f)),
                    "reference": ref_mean,
                    "difference": float(np.nanmean(diff)),
                    "margin": bound,
                    "p": p,
                    "pass": p < ALPHA,
                }
            )
    final = paired[paired["day"] == days[-1]]
    per_run_alpha = KS_ALPHA / len(METRICS)  # Bonferroni over the per-run tests
    for metric in METRICS:
        f, r = final[f"{metric}_f"].to_numpy(), final[f"{metric}_r"].to_numpy()
        p = ks(f, r)
        rows.append(_ks_row(f"{metric} (per run)", int(days[-1]), f, r, p, per_run_alpha))
    for name, f, r in (
        ("trust on seller arcs (per arc)", fast.trust, reference.trust),
        ("friends lost per seller", fast.friends_lost, reference.friends_lost),
    ):
        rows.append(_ks_row(name, int(days[-1]), f, r, ks(f, r), KS_ALPHA))
    return Verdict(scenario, pd.DataFrame(rows), regime)


def _ks_row(name: str, day: int, f: np.ndarray, r: np.ndarray, p: float, alpha: float) -> dict:
    return {
        "test": "KS",
        "quantity": name,
        "day": day,
        "fast": float(np.nanmean(f)) if len(f) else float("nan"),
        "reference": float(np.nanmean(r)) if len(r) else float("nan"),
        "difference": float(np.nanmean(f) - np.nanmean(r)) if len(f) and len(r) else float("nan"),
        "margin": float("nan"),
        "p": p,
        "pass": p >= alpha,
    }


SELF_OFFSET = 1000  # dynamics seeds of the "fast" baseline: the same graphs, other draws


def baseline_set(
    scenario: str,
    baseline: str,
    seeds: int,
    pool: Executor | None,
    common: Sequence[str] = (),
) -> RunSet:
    """Return the comparison runs: the reference engine (paired), or the unmodified fast engine.

    ``baseline="fast"`` docks the fast engine against itself: the same graphs,
    random draws from seeds shifted by ``SELF_OFFSET``. It checks the test's own
    power and size without depending on the reference engine.
    """
    if baseline == "fast":
        return collect(scenario, "fast", seeds, common, pool, seed_offset=SELF_OFFSET)
    return collect(scenario, "reference", seeds, common, pool)


def dock(
    cases: Sequence[tuple[str, str]] = CASES,
    seeds: int | None = None,
    fast_overrides: Sequence[str] = (),
    workers: int | None = None,
    baseline: str = "reference",
    common: Sequence[str] = (),
) -> list[Verdict]:
    """Dock the engines on ``cases`` (scenario, name of a regime in ``REGIMES``).

    ``fast_overrides`` change the fast engine only; ``common`` changes the
    docking regime of both engines (after the case's own regime). ``seeds``
    defaults to each regime's own (``seeds_for``).
    """
    verdicts = []
    with processes(workers) as pool:
        for scenario, regime in cases:
            both = (*REGIMES[regime], *common)
            n = seeds or seeds_for(regime, scenario)
            reference = baseline_set(scenario, baseline, n, pool, both)
            fast = collect(scenario, "fast", n, (*both, *fast_overrides), pool)
            verdicts.append(compare(scenario, fast, reference, regime))
    return verdicts


def format_table(table: pd.DataFrame) -> str:
    """Format the verdict table as aligned text (numbers rounded for reading)."""
    shown = table.copy()
    for column in ("fast", "reference", "difference", "margin"):
        shown[column] = shown[column].map(lambda x: f"{x:.4g}")
    shown["p"] = shown["p"].map(lambda x: f"{x:.3g}")
    shown["pass"] = shown["pass"].map({True: "yes", False: "NO"})
    return shown.to_string(index=False)


def markdown_table(table: pd.DataFrame) -> str:
    """Format the verdict table as Markdown."""
    shown = table.copy()
    for column in ("fast", "reference", "difference", "margin"):
        shown[column] = shown[column].map(lambda x: "" if np.isnan(x) else f"{x:.4g}")
    shown["p"] = shown["p"].map(lambda x: f"{x:.3g}")
    shown["pass"] = shown["pass"].map({True: "yes", False: "**no**"})
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join([header, rule, *body])


# -- power: negative controls ---------------------------------------------------------


def caught_by(verdict: Verdict) -> tuple[str, float]:
    """Return the test that rejects most strongly: (quantity and day, its p-value)."""
    fails = verdict.failures()
    if fails.empty:
        return "", float("nan")
    tost_fails = fails[fails["test"] == "TOST"]
    if not tost_fails.empty:
        row = tost_fails.sort_values("p", ascending=False).iloc[0]
    else:
        row = fails.sort_values("p").iloc[0]
    return f"{row['test']} {row['quantity']} (day {row['day']})", float(row["p"])


def power(
    faults: Sequence[Fault] = FAULTS,
    seeds: int | None = None,
    workers: int | None = None,
    baseline: str = "reference",
) -> pd.DataFrame:
    """Dock every fault (fast engine only) against one baseline run set per scenario."""
    rows = []
    with processes(workers) as pool:
        references = {
            (s, r): baseline_set(s, baseline, seeds or seeds_for(r, s), pool, REGIMES[r])
            for s, r in sorted({(f.scenario, f.regime) for f in faults})
        }
        for fault in faults:
            n = seeds or seeds_for(fault.regime, fault.scenario)
            fast = collect(fault.scenario, "fast", n, (*fault.common, fault.override), pool)
            verdict = compare(
                fault.scenario, fast, references[fault.scenario, fault.regime], fault.regime
            )
            test, p = caught_by(verdict)
            rows.append(
                {
                    "submodel": fault.submodel,
                    "scenario": fault.scenario,
                    "regime": fault.regime,
                    "fault": f"{fault.key}: {fault.default:g} -> {fault.value:g}",
                    "rejected": not verdict.equivalent,
                    "failed tests": int((~verdict.table["pass"]).sum()),
                    "caught by": test,
                    "p": p,
                }
            )
    return pd.DataFrame(rows)


SIZES = (0.1, 0.25, 0.5)  # relative fault sizes scanned by ``--sizes``


def size_scan(
    sizes: Sequence[float] = SIZES,
    seeds: int | None = None,
    workers: int | None = None,
    baseline: str = "reference",
) -> pd.DataFrame:
    """Smallest relative fault (size x default) each metric detects, per faulted key.

    For each fault key of ``FAULTS`` in laissez-faire and each size, the fast
    engine runs with ``default x (1 +- size)``, in the fault's regime and
    direction (the column names the sign); a metric detects the size when any
    of its tests fails there and at every larger size. The table gives, per
    metric and key, the smallest size detected.
    """
    keyed = [f for f in FAULTS if f.scenario == BASELINE and f.default > 0]
    rows = []
    with processes(workers) as pool:
        references = {
            regime: baseline_set(
                BASELINE, baseline, seeds or seeds_for(regime), pool, REGIMES[regime]
            )
            for regime in sorted({f.regime for f in keyed})
        }
        for fault in keyed:
            # in the fault's direction: a quality of 0.7 cannot grow by 50%
            sign = 1.0 if fault.value >= fault.default else -1.0
            label = f"{fault.key} ({'+' if sign > 0 else '-'})"
            for size in sizes:
                value = fault.default * (1 + sign * size)
                if "prob" in fault.key or "leak" in fault.key or "factor" in fault.key:
                    value = min(value, 1.0)
                over = f"{fault.key}={value:.6g}"
                verdict = compare(
                    BASELINE,
                    collect(
                        BASELINE,
                        "fast",
                        seeds or seeds_for(fault.regime),
                        (*fault.common, over),
                        pool,
                    ),
                    references[fault.regime],
                    fault.regime,
                )
                failed = verdict.failures()
                for metric in METRICS:
                    hit = failed["quantity"].str.startswith(metric).any()
                    rows.append({"key": label, "size": size, "metric": metric, "detected": hit})
                for name in ("trust on seller arcs (per arc)", "friends lost per seller"):
                    rows.append(
                        {
                            "key": label,
                            "size": size,
                            "metric": name,
                            "detected": bool((failed["quantity"] == name).any()),
                        }
                    )
    scan = pd.DataFrame(rows).sort_values("size")
    # A size counts as detected only if every larger size is detected too: a
    # lone rejection at a small size can be chance (each TOST has power < 1).
    scan["detected"] = scan.groupby(["metric", "key"])["detected"].transform(
        lambda hit: hit[::-1].cummin()[::-1]
    )
    smallest = scan[scan["detected"]].groupby(["metric", "key"])["size"].min().unstack("key")
    smallest = smallest.reindex(
        index=[*METRICS, "trust on seller arcs (per arc)", "friends lost per seller"],
        columns=list(dict.fromkeys(row["key"] for row in rows)),  # the order of FAULTS
    )
    return smallest.map(lambda x: "-" if pd.isna(x) else f"{x:.0%}")


# -- command line ---------------------------------------------------------------------


def cases_for(scenario: str, regime: str) -> list[tuple[str, str]]:
    """Return the docking cases the command runs for ``--scenario`` and ``--regime``.

    ``all`` and ``all`` give ``CASES``; a named regime runs in every scenario
    asked for (the main regime's cases when both are ``all``).
    """
    scenarios = SCENARIOS if scenario == "all" else (scenario,)
    if regime == "all":
        return [case for case in CASES if case[0] in scenarios]
    return [(s, regime) for s in scenarios]


def command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``sim dock`` with parsed arguments; return the exit status (0, 1 not, 2 bad input)."""
    if args.scenario != "all" and args.scenario not in SCENARIOS:
        parser.error(f"--scenario must be one of {', '.join(SCENARIOS)} or all")
    if args.regime != "all" and args.regime not in REGIMES:
        parser.error(f"--regime must be one of {', '.join(REGIMES)} or all")
    if args.seeds is not None and args.seeds < 3:
        parser.error("--seeds must be >= 3")
    for item in [*args.fast, *args.common]:
        if "=" not in item:
            parser.error(f"--fast expects KEY=VALUE (got {item!r})")
    try:  # output paths first: a bad one must not wait for minutes of docking
        if args.plot:
            output_file(args.plot, "--plot")
        if args.markdown:
            output_file(args.markdown, "--markdown")
    except ConfigError as error:
        print(f"sim dock: error: {error}", file=sys.stderr)
        return 2
    if args.plot:
        path, result = bass_figure_file(Path(args.plot))
        p_fit, q_fit = result.fitted
        case = result.case
        print(
            f"{path}: p true {case.p:g} fitted {p_fit:.4g}, q true {case.q:g} fitted "
            f"{q_fit:.4g}; max |mean - exact| / SE = {result.max_z:.2f} over {case.steps} days"
        )
        return 0
    cases = cases_for(args.scenario, args.regime)
    try:
        for scenario, regime in cases:  # fail fast on a bad override, before any run
            _config(scenario, 0, [*REGIMES[regime], *args.common, *args.fast])
    except ConfigError as error:
        print(f"sim dock: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # Hydra's override errors
        print(f"sim dock: error: bad override: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    out: list[str] = []
    if args.power:
        table = power(seeds=args.seeds, workers=args.workers, baseline=args.baseline)
        print(table.to_string(index=False))
        out.append(_power_markdown(table))
        status = 0 if table["rejected"].all() else 1
    elif args.sizes:
        table = size_scan(seeds=args.seeds, workers=args.workers, baseline=args.baseline)
        print(table.to_string())
        out.append(_frame_markdown(table.reset_index()))
        status = 0
    else:
        status = 0
        for verdict in dock(cases, args.seeds, args.fast, args.workers, args.baseline, args.common):
            word = "EQUIVALENT" if verdict.equivalent else "NOT EQUIVALENT"
            seeds = args.seeds or seeds_for(verdict.regime, verdict.scenario)
            print(f"\n== {verdict.label}: {word} ({seeds} paired seeds)")
            print(format_table(verdict.table))
            out.append(f"### {verdict.label}: {word.lower()}\n\n{markdown_table(verdict.table)}")
            status = status or (0 if verdict.equivalent else 1)
    if args.markdown:
        text = "\n\n".join(out) + "\n"
        write_atomically(Path(args.markdown), lambda handle: handle.write(text))
    return status


def _power_markdown(table: pd.DataFrame) -> str:
    shown = table.copy()
    shown["p"] = shown["p"].map(lambda x: f"{x:.3g}")
    shown["rejected"] = shown["rejected"].map({True: "yes", False: "**no**"})
    return _frame_markdown(shown)


def _frame_markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])
