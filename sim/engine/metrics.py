"""Daily outputs: column names, counters and the DataCollector's reporters (ODD 7.13).

Every scenario writes every column (0 where a lever does not apply), so runs
compare directly. Survey-style shares are over non-sellers (brief, lesson 13).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.engine import kernels, parallel
from sim.engine.network import ArcStatus

if TYPE_CHECKING:
    from sim.engine.model import SocialCommerceModel


class Column(StrEnum):
    """Columns of ``timeseries.csv``, in order."""

    DAY = "day"
    MARKETING_SHARE = "marketing_share"
    MARKETING_READ_PER_USER = "marketing_read_per_user"
    AD_LOAD = "ad_load"
    MEAN_TRUST_SELLER_ARCS = "mean_trust_seller_arcs"
    ARCS_VISIBLE = "arcs_visible"
    ARCS_MUTED = "arcs_muted"
    ARCS_REMOVED = "arcs_removed"
    MUTES_CUM = "mutes_cum"
    UNFRIENDS_CUM = "unfriends_cum"
    ACTED_SHARE = "acted_share"
    FRIENDSHIPS = "friendships"
    SELLERS = "sellers"
    SELLER_ENTRIES_CUM = "seller_entries_cum"
    SELLER_EXITS_CUM = "seller_exits_cum"
    SALES = "sales"
    SALES_CUM = "sales_cum"
    GMV_CUM = "gmv_cum"
    GMV_NET_CUM = "gmv_net_cum"
    DISAPPOINTED_CUM = "disappointed_cum"
    SELLER_INCOME = "seller_income"
    UX = "ux"
    ACTIVE_USERS = "active_users"
    LEFT_MOMENTS = "left_moments"
    LEFT_SHARE = "left_share"
    COMPLAINTS_CUM = "complaints_cum"
    FOLDED = "folded"
    PENALTIES_CUM = "penalties_cum"
    BANS_CUM = "bans_cum"
    FALSE_POSITIVES_CUM = "false_positives_cum"
    SHOP_FOLLOWERS = "shop_followers"
    UNFOLLOWS_CUM = "unfollows_cum"
    NEEDS_PERSUADED_CUM = "needs_persuaded_cum"
    SELLER_FRIENDS_KEPT = "seller_friends_kept"
    SELLER_FRIENDS_REACHED = "seller_friends_reached"
    COHORT_FRIENDS_KEPT = "cohort_friends_kept"
    COHORT_FRIENDS_REACHED = "cohort_friends_reached"


@dataclass
class DailyTally:
    """Counts of today's events, reset every morning."""

    marketing_read: int = 0
    organic_read: int = 0
    marketing_any: int = 0  # marketing items non-sellers read in any channel
    sales: int = 0
    folded: int = 0


@dataclass
class Totals:
    """Cumulative counts since day 1."""

    mutes: int = 0
    unfriends: int = 0
    complaints: int = 0
    sales: int = 0
    disappointed: int = 0  # orders that disappointed their buyer
    gmv: float = 0.0
    seller_entries: int = 0
    seller_exits: int = 0
    penalties: int = 0
    bans: int = 0
    false_positives: int = 0
    unfollows: int = 0
    persuaded: int = 0


def marketing_share(model: SocialCommerceModel) -> float:
    """Marketing share of the items non-sellers read in Moments today."""
    read = model.today.marketing_read + model.today.organic_read
    return model.today.marketing_read / read if read else 0.0


@dataclass(frozen=True)
class SellerArcs:
    """The current sellers' arcs, counted once per observation.

    Attributes:
        sellers: the users selling now.
        trust: the trust along each of their arcs to non-sellers that still exist
            (friends not removed; ``seller_arcs`` lists those arcs), when counted
            (float32). Like the rest, kept until the day, the sellers or the arc
            statuses change: reporters read it at the day's end, after the day's
            changes to trust.
        not_removed: how many of all their arcs still exist.
        visible: how many of all their arcs are still visible (not muted).

    """

    sellers: np.ndarray
    trust: np.ndarray
    not_removed: int
    visible: int


def seller_arc_census(model: SocialCommerceModel) -> SellerArcs:
    """Return the sellers' arcs (``SellerArcs``), found in one compiled pass.

    Three reporters need them; at 100,000 users the pass walks hundreds of
    thousands of arcs, so the result is kept until the day, the sellers or the
    arc statuses change.
    """

    def census() -> SellerArcs:
        arcs, seller = model.arcs, model.people.seller
        sellers = np.flatnonzero(seller)
        view = arcs.kernel_view()
        parts = parallel.run(
            lambda part: kernels.seller_arc_census(view, seller, part),
            parallel.author_parts(arcs.start, sellers),
        )
        trust, not_removed, visible = zip(*parts, strict=True)
        return SellerArcs(sellers, np.concatenate(trust), sum(not_removed), sum(visible))

    return once_per_state(model, "_seller_arcs_cache", census)


def once_per_state[T](model: SocialCommerceModel, name: str, compute: Callable[[], T]) -> T:
    """Return ``compute()``, kept on the model until the day, the sellers or arc statuses change.

    Several reporters read the same pass over arcs in one observation.
    """
    key = (model.steps, len(model.business_of), *model.arcs.counts.tolist())
    cached = model.__dict__.get(name)
    if cached is None or cached[0] != key:
        cached = (key, compute())
        model.__dict__[name] = cached
    return cached[1]


def seller_arcs(model: SocialCommerceModel) -> np.ndarray:
    """Arcs from current sellers to non-seller friends that still exist, in arc order.

    The arcs whose trust ``SellerArcs.trust`` holds; listed on request (docking,
    the dashboard's trust histogram), not in the daily census.
    """
    seller = model.people.seller
    return kernels.arcs_to_buyers(model.arcs.kernel_view(), seller, np.flatnonzero(seller))


def marketing_read_per_user(model: SocialCommerceModel) -> float:
    """Seller pressure: marketing items read per non-seller today, in any channel.

    Moments (the mute leak included), shop broadcasts and the C2B answer items
    beyond the one a poster asked for (what was asked for is not pressure), so
    policies whose ``market.intensity`` means different things compare at the
    pressure their users actually received.
    """
    readers = int(np.count_nonzero(~model.people.seller))
    return model.today.marketing_any / readers if readers else 0.0


def ad_load(model: SocialCommerceModel) -> float:
    """Experienced ad load: marketing items read per non-seller today, weighted by channel.

    What engagement answers to (ODD 7.8): Moments and the leak, shop broadcasts
    and unsolicited C2B answer items, each channel's item weighed by its
    ``users.load_weight_*`` against a Moments item.
    """
    readers, load = kernels.non_seller_total(model.people.seller, model.load)
    return load / readers if readers else 0.0


def gmv_net(model: SocialCommerceModel) -> float:
    """GMV net of disappointment: ``market.refund_share`` of disappointing orders lost."""
    market = model.cfg.market
    lost = model.totals.disappointed * market.order_value * market.refund_share
    return model.totals.gmv - lost


def mean_trust_seller_arcs(model: SocialCommerceModel) -> float:
    """Mean trust of non-sellers in the sellers they are still friends with."""
    trust = seller_arc_census(model).trust  # the arcs' trust, read in the census's walk
    return float(trust.mean(dtype=np.float64)) if len(trust) else float("nan")


def acted_share(model: SocialCommerceModel) -> float:
    """Share of non-sellers who have muted or unfriended a seller so far."""
    readers, acted = kernels.non_seller_count(model.people.seller, model.people.acted)
    return acted / readers if readers else 0.0


def left_moments(model: SocialCommerceModel) -> int:
    """Non-sellers who have left Moments."""
    readers, staying = kernels.non_seller_count(model.people.seller, model.people.in_moments)
    return readers - staying


def left_share(model: SocialCommerceModel) -> float:
    """Share of non-sellers who have left Moments."""
    readers, staying = kernels.non_seller_count(model.people.seller, model.people.in_moments)
    return (readers - staying) / readers if readers else 0.0


def ux(model: SocialCommerceModel) -> float:
    """User experience: mean engagement of non-sellers (leavers included), every policy alike.

    Engagement answers to the marketing read in every channel, Moments clutter
    and disappointing purchases (ODD 7.8).
    """
    readers, engagement = kernels.non_seller_total(model.people.seller, model.people.engagement)
    return engagement / readers if readers else 0.0


def seller_income(model: SocialCommerceModel) -> float:
    """Mean GMV per current seller over the rolling sales window."""
    sellers, sales = kernels.seller_total(model.people.seller, model.people.rolling_sales)
    return sales / sellers * model.cfg.market.order_value if sellers else 0.0


def _seller_friend_share(model: SocialCommerceModel, keep: ArcStatus | None) -> float:
    """Share of current sellers' day-0 friends whose arc from the seller is still ``keep``.

    ``keep=None`` counts arcs not removed (still friends); ``ArcStatus.VISIBLE``
    those still seeing the seller (not muted). Pooled over sellers; NaN when
    nobody sells.
    """
    census = seller_arc_census(model)
    start = int(model.friends_at_start[census.sellers].sum())
    if not start:
        return float("nan")
    return (census.not_removed if keep is None else census.visible) / start


def seller_friends_kept(model: SocialCommerceModel) -> float:
    """Return the share of sellers' day-0 friends they still have (the essay's thesis)."""
    return _seller_friend_share(model, None)


def seller_friends_reached(model: SocialCommerceModel) -> float:
    """Return the share of sellers' day-0 friends who still see them (not muted)."""
    return _seller_friend_share(model, ArcStatus.VISIBLE)


def _cohort_friend_share(model: SocialCommerceModel, visible: bool) -> float:
    """Share of the day-0 sellers' day-0 friends still friends (``visible``: and not muting).

    Over every day-0 seller, whether still selling or not: sellers who burned
    their circle and quit stay in the count, so nothing survives by selection.
    """
    cohort = model.cohort
    start = int(model.friends_at_start[cohort].sum())
    if not start:
        return float("nan")
    counts = model.arcs.tracked_counts  # the cohort's arcs per status (ArcTable.track)
    if counts is None:
        raise RuntimeError("the day-0 sellers' arcs are not tracked (ArcTable.track)")
    not_removed = int(counts[ArcStatus.VISIBLE] + counts[ArcStatus.MUTED])
    return (int(counts[ArcStatus.VISIBLE]) if visible else not_removed) / start


def cohort_friends_kept(model: SocialCommerceModel) -> float:
    """Return the share of day-0 sellers' day-0 friends still friends (all of the cohort)."""
    return _cohort_friend_share(model, visible=False)


def cohort_friends_reached(model: SocialCommerceModel) -> float:
    """Return the share of day-0 sellers' day-0 friends still seeing them (all of the cohort)."""
    return _cohort_friend_share(model, visible=True)


def enforcement_by_quality(model: SocialCommerceModel) -> dict[str, object]:
    """Penalties and bans of every seller of the run, by tertile of product quality.

    Tertiles are cut at the 1/3 and 2/3 quantiles of the quality of everyone
    who ever sold in the run; a seller counts as penalised once throttled or
    banned. Whether enforcement hits bad products or heavy posters is then
    visible (ODD 7.10). ``false_positives`` are ordinary users wrongly silenced.
    """
    people = model.people
    sold = np.flatnonzero(people.ever_sold)
    strikes = getattr(model.platform.policy, "strikes", np.zeros(model.n_users, dtype=np.int64))
    quality = people.quality[sold]
    edges = np.quantile(quality, [1 / 3, 2 / 3]) if len(sold) else np.array([np.nan, np.nan])
    tertile = np.searchsorted(edges, quality, side="right") if len(sold) else quality
    rows = []
    for k, name in enumerate(("low", "middle", "high")):
        members = sold[tertile == k]
        penalised = int(np.count_nonzero(strikes[members] > 0))
        banned = int(np.count_nonzero(people.banned[members]))
        count = len(members)
        rows.append(
            {
                "tertile": name,
                "sellers": count,
                "mean_quality": float(people.quality[members].mean()) if count else None,
                "penalised": penalised,
                "penalised_share": penalised / count if count else None,
                "banned": banned,
                "banned_share": banned / count if count else None,
            }
        )
    return {
        "quality_cuts": [float(x) for x in edges],
        "tertiles": rows,
        "false_positives": model.totals.false_positives,
    }


class Recorder(mesa.DataCollector):
    """Mesa's ``DataCollector`` for reporters that return plain numbers.

    Mesa deep-copies every reporter's value every day, in case a reporter hands
    back an object it later changes; ``REPORTERS`` return ints and floats, and
    the copies cost 36 calls a day (about 2% of a 2,000-user year). The first
    observation goes through Mesa's own ``collect``, which checks the reporters.
    """

    def collect(self, model: mesa.Model) -> None:
        """Record every reporter's value for today."""
        if not self._validated or self.agent_reporters or self.agenttype_reporters:
            super().collect(model)
            return
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        for var, reporter in self.model_reporters.items():
            self.model_vars[var].append(reporter(model))


REPORTERS: dict[str, Callable[[SocialCommerceModel], float | int]] = {
    Column.MARKETING_SHARE: marketing_share,
    Column.MARKETING_READ_PER_USER: marketing_read_per_user,
    Column.AD_LOAD: ad_load,
    Column.MEAN_TRUST_SELLER_ARCS: mean_trust_seller_arcs,
    Column.ARCS_VISIBLE: lambda m: int(m.arcs.counts[ArcStatus.VISIBLE]),
    Column.ARCS_MUTED: lambda m: int(m.arcs.counts[ArcStatus.MUTED]),
    Column.ARCS_REMOVED: lambda m: int(m.arcs.counts[ArcStatus.REMOVED]),
    Column.MUTES_CUM: lambda m: m.totals.mutes,
    Column.UNFRIENDS_CUM: lambda m: m.totals.unfriends,
    Column.ACTED_SHARE: acted_share,
    Column.FRIENDSHIPS: lambda m: int(len(m.arcs) - m.arcs.counts[ArcStatus.REMOVED]) // 2,
    Column.SELLERS: lambda m: len(m.business_of),
    Column.SELLER_ENTRIES_CUM: lambda m: m.totals.seller_entries,
    Column.SELLER_EXITS_CUM: lambda m: m.totals.seller_exits,
    Column.SALES: lambda m: m.today.sales,
    Column.SALES_CUM: lambda m: m.totals.sales,
    Column.GMV_CUM: lambda m: m.totals.gmv,
    Column.GMV_NET_CUM: gmv_net,
    Column.DISAPPOINTED_CUM: lambda m: m.totals.disappointed,
    Column.SELLER_INCOME: seller_income,
    Column.UX: ux,
    Column.ACTIVE_USERS: lambda m: int(m.people.in_moments.sum()),
    Column.LEFT_MOMENTS: left_moments,
    Column.LEFT_SHARE: left_share,
    Column.COMPLAINTS_CUM: lambda m: m.totals.complaints,
    Column.FOLDED: lambda m: m.today.folded,
    Column.PENALTIES_CUM: lambda m: m.totals.penalties,
    Column.BANS_CUM: lambda m: m.totals.bans,
    Column.FALSE_POSITIVES_CUM: lambda m: m.totals.false_positives,
    Column.SHOP_FOLLOWERS: lambda m: m.arcs.following.count(),
    Column.UNFOLLOWS_CUM: lambda m: m.totals.unfollows,
    Column.NEEDS_PERSUADED_CUM: lambda m: m.totals.persuaded,
    Column.SELLER_FRIENDS_KEPT: seller_friends_kept,
    Column.SELLER_FRIENDS_REACHED: seller_friends_reached,
    Column.COHORT_FRIENDS_KEPT: cohort_friends_kept,
    Column.COHORT_FRIENDS_REACHED: cohort_friends_reached,
}
