"""Per-user state in numpy arrays, one row per node (ODD section 2).

Users' attributes are drawn once at initialization from the calibrated
distributions (ODD 5); seller attributes are set when a user opens a
micro-business and cleared when it closes.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from sim.core.config import SimConfig
from sim.engine import kernels
from sim.engine.submodels import beta_with_mean, lognormal_with_median

NO_CATEGORY = -1


class Population:
    """Attributes and state of every user, including the seller role.

    Attributes:
        engagement, engagement_base: chance to open Moments today, and its resting level.
        attention: items read per opening of Moments.
        tolerance: marketing density a user accepts before feeling clutter.
        mute_threshold: trust below which the user mutes a friend (unfriends below a fraction).
        in_moments: False once the user has left Moments.
        recruitable: whether the user could ever become a seller.
        acted: whether the user has muted or unfriended a seller so far.
        need_expiry: last day a need per category stays open (open while >= today; -1: never).
        seller, category, quality, base_rate, post_rate: the seller role.
        since: the day the current seller role began.
        ever_sold: whether the user has ever had the seller role (``quality`` keeps
            the last business's quality after it closes).
        banned: whether the platform banned the user's business.
        sales_log, rolling_sales: the sellers of each sale per day over the sales
            window (one array a day, oldest first), and each seller's count of
            the sales in it made since their business opened (0 for non-sellers).

    """

    def __init__(self, n_users: int, cfg: SimConfig, rng: np.random.Generator) -> None:
        users = cfg.users
        conc = users.beta_concentration
        self.n_users = n_users
        self.engagement_base = beta_with_mean(users.engagement_mean, conc, n_users, rng)
        self.engagement = self.engagement_base.copy()
        self.attention = lognormal_with_median(
            users.attention_median, users.attention_sigma, n_users, rng
        )
        self.tolerance = beta_with_mean(users.tolerance_mean, conc, n_users, rng)
        self.mute_threshold = beta_with_mean(users.mute_threshold_mean, conc, n_users, rng)
        self.in_moments = np.ones(n_users, dtype=bool)
        self.recruitable = rng.random(n_users) < cfg.sellers.recruitable_fraction
        self.acted = np.zeros(n_users, dtype=bool)
        self.need_expiry = np.full((n_users, cfg.market.categories), -1, dtype=np.int32)
        self.seller = np.zeros(n_users, dtype=bool)
        self.ever_sold = np.zeros(n_users, dtype=bool)
        self.banned = np.zeros(n_users, dtype=bool)
        self.since = np.zeros(n_users, dtype=np.int32)
        self.category = np.full(n_users, NO_CATEGORY, dtype=np.int32)
        self.quality = np.zeros(n_users)
        self.base_rate = np.zeros(n_users)
        self.post_rate = np.zeros(n_users)
        # Who sold, day by day, not a (window x users) table: a day has thousands
        # of sales, and the table took 120 bytes a user (120 MB at a million).
        self.sales_window = cfg.sellers.sales_window
        self.sales_log: deque[tuple[int, np.ndarray]] = deque()
        self.rolling_sales = np.zeros(n_users, dtype=np.int64)

    def kernel_view(self) -> kernels.People:
        """Return the arrays the compiled kernels read (the same arrays, not copies).

        Built at each call: some attributes are replaced by new arrays during a run.
        """
        return kernels.People(
            self.seller,
            self.category,
            self.need_expiry,
            self.recruitable,
            self.in_moments,
            self.rolling_sales,
            self.attention,
        )

    def open_business(
        self, node: int, category: int, quality: float, base_rate: float, day: int
    ) -> None:
        """Give ``node`` the seller role from ``day``."""
        self.seller[node] = True
        self.since[node] = day
        self.ever_sold[node] = True
        self.category[node] = category
        self.quality[node] = quality
        self.base_rate[node] = base_rate
        self.post_rate[node] = base_rate

    def close_business(self, node: int) -> None:
        """Take the seller role away; an ex-seller is never recruited again.

        Their rolling sales go to 0. Their sales stay in the log, and are not
        counted down as they leave the window (``start_sales_day`` counts down
        only sales of a business still open, made since it opened): rewriting
        the whole log at each exit cost 4 ms a day at a million users.
        """
        self.seller[node] = False
        self.recruitable[node] = False
        self.category[node] = NO_CATEGORY
        self.post_rate[node] = 0.0
        self.rolling_sales[node] = 0

    def start_sales_day(self, day: int) -> None:
        """Drop the sales that fall out of the rolling window today."""
        while self.sales_log and self.sales_log[0][0] <= day - self.sales_window:
            logged, sellers = self.sales_log.popleft()
            current = self.seller[sellers] & (self.since[sellers] <= logged)
            np.subtract.at(self.rolling_sales, sellers[current], 1)

    def record_sales(self, day: int, sellers: np.ndarray) -> None:
        """Count one sale for each entry of ``sellers`` today."""
        sellers = np.asarray(sellers, dtype=np.int32)
        if self.sales_log and self.sales_log[-1][0] == day:
            self.sales_log[-1] = (day, np.concatenate([self.sales_log[-1][1], sellers]))
        else:
            self.sales_log.append((day, sellers))
        np.add.at(self.rolling_sales, sellers, 1)
