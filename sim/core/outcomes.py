"""Outcomes a policy team reads, with readable names, units and size-free scales.

Counts that grow with the graph are put per 1,000 friendships or per user, so
studies on different graph sizes (and worlds within a study) compare. An
outcome enters a table when the columns it needs are in the runs' summary
table, so a metric the model adds later (for example the seller-side
friendship metrics) is picked up by adding one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# A run's mean seller pressure (``summary.json`` and the sweep's run table):
# marketing items read per non-seller per day in any channel (metrics.py).
PRESSURE = "seller_pressure"

# The columns that place a run in a sweep's tables (``summary.parquet``,
# ``timeseries.parquet``): its folder, policy, intensity and seed; the run
# table also holds its number of users (a scale sweep varies it).
RUN = "run"
POLICY = "scenario"
INTENSITY = "intensity"
SEED = "seed"
USERS = "n_users"


@dataclass(frozen=True)
class Outcome:
    """A headline outcome: how to compute it from a run row, its name and unit."""

    key: str
    label: str
    unit: str
    needs: tuple[str, ...]
    compute: Callable[[pd.DataFrame], pd.Series]
    higher_is_better: bool
    digits: int = 1

    def title(self) -> str:
        """Return 'label (unit)'."""
        return f"{self.label} ({self.unit})"


def _share(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda t: 100.0 * pd.to_numeric(t[column], errors="coerce")


def _per_1000_friendships(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda t: 1000.0 * pd.to_numeric(t[column], errors="coerce") / t["friendships_start"]


OUTCOMES: tuple[Outcome, ...] = (
    Outcome(
        "acted",
        "users who muted or unfriended a seller",
        "% of non-sellers",
        ("acted_share",),
        _share("acted_share"),
        False,
    ),
    Outcome(
        "left",
        "users who left Moments",
        "% of non-sellers",
        ("left_share",),
        _share("left_share"),
        False,
    ),
    Outcome(
        "unfriends",
        "unfriends",
        "per 1,000 friendships",
        ("unfriends_cum", "friendships_start"),
        _per_1000_friendships("unfriends_cum"),
        False,
    ),
    Outcome(
        "gmv",
        "GMV net of disappointment",
        "yuan per user",
        ("gmv_net_cum", "n_users"),
        lambda t: pd.to_numeric(t["gmv_net_cum"], errors="coerce") / t["n_users"],
        True,
    ),
    Outcome(
        "gmv_gross",
        "GMV, gross (every order)",
        "yuan per user",
        ("gmv_cum", "n_users"),
        lambda t: pd.to_numeric(t["gmv_cum"], errors="coerce") / t["n_users"],
        True,
    ),
    Outcome(
        "ux",
        "user experience",
        "mean engagement, 0-1",
        ("ux",),
        lambda t: pd.to_numeric(t["ux"], errors="coerce"),
        True,
        3,
    ),
    Outcome(
        "sellers",
        "sellers at the end",
        "per 1,000 users",
        ("sellers", "n_users"),
        lambda t: 1000.0 * pd.to_numeric(t["sellers"], errors="coerce") / t["n_users"],
        True,
    ),
    Outcome(
        "cohort_friends_kept",
        "day-0 sellers' day-0 friends still friends (cohort)",
        "%",
        ("cohort_friends_kept",),
        _share("cohort_friends_kept"),
        True,
    ),
    Outcome(
        "cohort_friends_reached",
        "day-0 sellers' day-0 friends still reached (cohort)",
        "%",
        ("cohort_friends_reached",),
        _share("cohort_friends_reached"),
        True,
    ),
    Outcome(
        "seller_friends_kept",
        "sellers' day-0 friends still friends",
        "%",
        ("seller_friends_kept",),
        _share("seller_friends_kept"),
        True,
    ),
    Outcome(
        "seller_friends_reached",
        "sellers' day-0 friends still reached (not muting)",
        "%",
        ("seller_friends_reached",),
        _share("seller_friends_reached"),
        True,
    ),
)

BY_KEY: dict[str, Outcome] = {o.key: o for o in OUTCOMES}


def available(runs: pd.DataFrame) -> list[Outcome]:
    """Return the outcomes whose input columns are all in ``runs``."""
    return [o for o in OUTCOMES if all(c in runs.columns for c in o.needs)]


def outcome_table(runs: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """Return ``runs[keep]`` with one column per available outcome (NaN where undefined)."""
    table = runs[keep].copy()
    for outcome in available(runs):
        values = outcome.compute(runs).astype(float)
        table[outcome.key] = values.where(np.isfinite(values))
    return table


def fmt(value: float, digits: int = 1, sign: bool = False) -> str:
    """Format a number for a reader: thousands separators, fixed digits, never e-notation."""
    if value is None or not np.isfinite(value):
        return "undefined"
    text = f"{value:+,.{digits}f}" if sign else f"{value:,.{digits}f}"
    zero = f"{0:.{digits}f}"
    return text.replace(f"-{zero}", zero).replace(f"+{zero}", zero)


def t_half_width(sd: Any, n: Any) -> Any:
    """Half-width of the 95% t-interval of a mean of ``n`` values with standard deviation ``sd``.

    The one copy of this formula: every interval the reports, tables and
    figures show comes from here (element-wise for arrays; ``n`` below 2 is
    taken as 2 so an array of counts never fails, but a single value gets no
    interval from :func:`mean_and_interval`). SciPy loads here, on first use:
    a single run never needs it, and it costs a second at start-up.
    """
    from scipy import stats

    return stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)


def mean_and_interval(values: pd.Series | np.ndarray) -> tuple[float, float]:
    """Return the mean and the half-width of its 95% t-interval (NaN for one value).

    Missing and non-finite values are left out.
    """
    array = np.asarray(values, dtype=float)
    clean = pd.Series(array[np.isfinite(array)])
    n = len(clean)
    if n == 0:
        return float("nan"), float("nan")
    if n == 1:  # one run: no interval (never drawn or printed as a zero-width one)
        return float(clean.iloc[0]), float("nan")
    return float(clean.mean()), float(t_half_width(clean.std(ddof=1), n))


def by_policy_and_intensity(summary: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Mean, 95% half-width and seed count of ``outcome`` per policy and intensity."""
    rows = []
    for (policy, intensity), group in summary.groupby([POLICY, INTENSITY], sort=True):
        mean, half = mean_and_interval(group[outcome])
        rows.append(
            {POLICY: policy, INTENSITY: intensity, "mean": mean, "ci95": half, "n": len(group)}
        )
    return pd.DataFrame(rows)
