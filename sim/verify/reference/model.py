"""Reference model: the rules of docs/ODD.md written agent by agent, without arrays.

This is the readable twin of ``sim.engine.model.SocialCommerceModel``. Users step one
by one through the day of ODD section 3; each keeps its trust in each friend
in a dict; every draw is a scalar draw. It implements the four policies. It is
used only to dock the fast engine (``tests/test_docking.py``) and as the
baseline of ``python -m sim.bench``, and must change whenever the rules change.

Where the fast engine draws a total (ordinary items a reader reads, as one
binomial), this model draws item by item per friend: the same distribution,
which is what docking checks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import mesa
import numpy as np
import pandas as pd

from sim.core.config import SimConfig
from sim.engine.graphs import graph_for_seed
from sim.verify.reference.agents import Person

VISIBLE_ONLY = ("laissez_faire", "rectify")
HEADLINE = (
    "marketing_share",
    "ad_load",
    "mean_trust_seller_arcs",
    "mutes_cum",
    "unfriends_cum",
    "sales_cum",
    "disappointed_cum",
    "sellers",
    "seller_entries_cum",
    "left_share",
    "ux",
    "shop_followers",
    "unfollows_cum",
    "penalties_cum",
    "needs_persuaded_cum",
    "seller_friends_kept",
    "seller_friends_reached",
    "cohort_friends_kept",
    "cohort_friends_reached",
)


class ReferenceModel(mesa.Model):
    """Per-agent implementation of the social-commerce model (for docking)."""

    def __init__(self, cfg: SimConfig) -> None:
        super().__init__(rng=cfg.seed)
        self.cfg = cfg
        self.policy = cfg.policy
        self.day = 0
        n_users, edges = graph_for_seed(cfg.graph, cfg.seed)
        self.people = [Person(self, node) for node in range(n_users)]
        users = cfg.users
        for u, v in edges.tolist():
            for reader, author in ((u, v), (v, u)):
                level = float(self.rng.beta(users.baseline_trust_a, users.baseline_trust_b))
                self.people[reader].trust[author] = level
                self.people[reader].baseline[author] = level
        self.friends_at_start = [len(p.trust) for p in self.people]
        self.mutes = self.unfriends = self.sales = self.penalties = self.unfollows = 0
        self.disappointed_orders = 0
        self.entries = 0  # sellers recruited or entered after day 0
        self.persuaded = 0
        self.cap = (
            None
            if getattr(self.policy, "daily_cap", None) is None
            else float(self.policy.daily_cap)
        )
        self.lowered: dict[tuple[int, int], float] = {}
        self.disappointed: set[tuple[int, int]] = set()
        self.throttled_until: dict[int, int] = {}
        self.silenced_until: dict[int, int] = {}
        self.strikes: dict[int, int] = {}
        self.complaint_log: dict[int, list[tuple[int, int]]] = {}
        self.complaints_today: dict[int, float] = {}  # product complaints weighted (rectify)
        self.seed_sellers()
        self.cohort = [p for p in self.people if p.selling]  # day-0 sellers
        self.rows: list[dict[str, float]] = []

    # -- initialization ---------------------------------------------------------------

    def seed_sellers(self) -> None:
        """Clustered seeding: heads drawn by degree, their recruitable friends as downline."""
        cfg = self.cfg.sellers
        target = round(cfg.initial_fraction * len(self.people))
        weight = np.array([len(p.trust) if p.recruitable else 0.0 for p in self.people])
        count = 0
        while count < target and weight.sum() > 0:
            head = self.people[int(self.rng.choice(len(self.people), p=weight / weight.sum()))]
            weight[head.node] = 0.0
            head.start_selling(int(self.rng.integers(self.cfg.market.categories)), -1)
            count += 1
            friends = [
                f
                for f in sorted(head.trust)
                if self.people[f].recruitable and not self.people[f].selling
            ]
            for friend in self.rng.permutation(friends)[: cfg.cluster_size - 1] if friends else []:
                if count >= target:
                    break
                weight[friend] = 0.0
                self.people[int(friend)].start_selling(head.category, head.node)
                count += 1

    # -- the day ----------------------------------------------------------------------

    def step(self) -> None:
        """One day in the order of ODD section 3, user by user."""
        self.day += 1
        self.lowered, self.disappointed = {}, set()
        for person in self.people:
            person.load, person.disappointments = 0.0, 0
        arisen = self.arise_needs()
        posted = self.post(arisen)
        shown, folded = self.route()
        reads = self.read_moments(shown, folded)
        exposures = self.trade_in_moments(reads)
        exposures += self.run_channel(posted)
        self.respond()
        self.recruit(exposures)
        self.review_sellers()
        self.update_engagement(reads)
        self.today_density = self.density(reads)
        self.enforce()
        self.rows.append(self.observe(reads))

    def arise_needs(self) -> list[tuple[Person, int]]:
        """ODD 7.1: needs lapse, then arise with ``need_prob`` where none is open."""
        market, arisen = self.cfg.market, []
        for person in self.people:
            person.sales.append(0)
            for category in range(market.categories):
                if person.needs.get(category, -1) < self.day:
                    person.needs.pop(category, None)
                    if self.rng.random() < market.need_prob:
                        person.needs[category] = self.day + market.need_lifetime - 1
                        arisen.append((person, category))
        return arisen

    def post(self, arisen: list[tuple[Person, int]]) -> list[tuple[Person, int]]:
        """ODD 7.2: ordinary posts (and C2B need posts), marketing drafts; returns need posts."""
        for person in self.people:
            person.organic_posts = (
                int(self.rng.poisson(self.cfg.users.organic_rate)) if person.in_moments else 0
            )
            person.marketing_drafted = (
                int(self.rng.poisson(person.post_rate * self.cfg.market.intensity))
                if person.selling
                else 0
            )
        posted = []
        if self.policy.name == "c2b":
            for person, category in arisen:
                if person.in_moments and self.rng.random() < self.policy.post_share:
                    person.organic_posts += 1
                    posted.append((person, category))
        return posted

    def route(self) -> tuple[dict[int, int], dict[int, int]]:
        """ODD 7.9-7.12: the marketing each author gets into Moments, shown and folded."""
        shown, folded = {}, {}
        for person in self.people:
            drafted = person.marketing_drafted
            if self.policy.name not in VISIBLE_ONLY:
                drafted = 0
            if self.policy.name == "rectify":
                if self.throttled_until.get(person.node, 0) >= self.day:
                    drafted = 0
                if self.silenced_until.get(person.node, 0) >= self.day:
                    person.organic_posts = 0
                cap = None if self.cap is None else int(self.cap)
                if cap is not None and drafted > cap:
                    folded[person.node] = drafted - cap
                    drafted = cap
            shown[person.node] = drafted
        return shown, folded

    def read_moments(self, shown: dict[int, int], folded: dict[int, int]) -> dict[int, dict]:
        """ODD 7.3: each user who opens Moments reads item by item within attention."""
        leak = self.cfg.trust.mute_leak
        expand = getattr(self.policy, "expand_prob", 0.0)
        reads: dict[int, dict] = {}
        for person in self.people:
            leaked = {}
            if leak > 0:
                for friend in sorted(person.muted):
                    hidden = shown[friend] + folded.get(friend, 0)
                    leaked[friend] = sum(self.rng.random() < leak for _ in range(hidden))
            if not person.in_moments or self.rng.random() >= person.engagement:
                if any(leaked.values()):
                    reads[person.node] = {
                        "buyer": not person.selling,
                        "organic": {},
                        "marketing": leaked,
                        "clutter": 0.0,
                        "organic_total": 0,
                        "marketing_total": 0,
                        "opened": False,
                    }
                continue
            visible = [friend for friend in person.trust if friend not in person.muted]
            organic = {friend: self.people[friend].organic_posts for friend in visible}
            marketing = {friend: shown[friend] for friend in visible}
            for friend in visible:
                if folded.get(friend, 0) and self.rng.random() < expand:
                    marketing[friend] += folded[friend]
            available = sum(organic.values()) + sum(marketing.values())
            share = min(1.0, person.attention / available) if available else 1.0
            if share >= 1.0:  # everything fits in attention: every item is read
                organic_read, marketing_read = organic, marketing
            else:
                organic_read = {f: self.thin(k, share) for f, k in organic.items()}
                marketing_read = {f: self.thin(k, share) for f, k in marketing.items()}
            total_organic, total_marketing = (
                sum(organic_read.values()),
                sum(marketing_read.values()),
            )
            read = total_organic + total_marketing
            density = total_marketing / read if read else 0.0
            for friend, items in leaked.items():
                marketing_read[friend] = items
            reads[person.node] = {
                "buyer": not person.selling,
                "organic": organic_read,
                "marketing": marketing_read,
                "clutter": max(0.0, density - person.tolerance),
                "organic_total": total_organic,
                "marketing_total": total_marketing,
                "opened": True,
            }
        return reads

    def thin(self, items: int, share: float) -> int:
        """Read each of ``items`` with probability ``share``."""
        if items == 0 or share >= 1.0:
            return items
        return sum(self.rng.random() < share for _ in range(items))

    def lower(self, person: Person, friend: int) -> None:
        """Note ``person``'s trust in ``friend`` before today's first lowering event."""
        self.lowered.setdefault((person.node, friend), person.trust[friend])

    def take_in_marketing(
        self, person: Person, friend: int, items: int, clutter: float, weight: float
    ) -> None:
        """Marketing read in any channel: experience, erosion, then persuasion (ODD 7.4-7.8)."""
        person.load += items * weight
        self.expose(person, friend, items, clutter)
        seller, persuasion = self.people[friend], self.cfg.market.persuasion
        if persuasion <= 0:
            return
        chance = 1.0 - (1.0 - persuasion) ** items
        if self.rng.random() < chance and seller.selling:
            category = seller.category
            if person.needs.get(category, -1) >= self.day:
                return
            if person.selling and person.category == category:
                return
            person.needs[category] = self.day + self.cfg.market.need_lifetime - 1
            self.persuaded += 1

    def expose(self, person: Person, friend: int, items: int, clutter: float) -> None:
        """ODD 7.4 erosion of ``person``'s trust in ``friend`` by ``items`` marketing items."""
        self.lower(person, friend)
        cfg = self.cfg.trust
        memory, last = person.exposure.get(friend, (0.0, self.day))
        exposure = memory * math.exp(-(self.day - last) / cfg.wear_window) + items
        person.exposure[friend] = (exposure, self.day)
        wear = 1.0 + cfg.wearout_slope * max(0.0, exposure - cfg.wearout_onset) / cfg.wearout_onset
        factor = cfg.seller_reader_factor if person.selling else 1.0
        rate = cfg.erosion_per_item * (1.0 + cfg.clutter_gain * clutter) * wear * factor
        person.trust[friend] *= math.exp(-rate * items)

    def trade_in_moments(self, reads: dict[int, dict]) -> list[tuple[Person, int]]:
        """ODD 7.4-7.5: erosion, persuasion, repair, then purchases, reader by reader."""
        exposures, offers = [], []
        conversion = self.cfg.purchase.conversion
        for node, read in reads.items():
            person = self.people[node]
            for friend, items in read["marketing"].items():
                if items > 0:
                    leaked = friend in person.muted
                    weight = self.cfg.users.load_weight_leak if leaked else 1.0
                    self.take_in_marketing(person, friend, items, read["clutter"], weight)
                    exposures.append((person, friend))
            for friend, items in read["organic"].items():
                if items > 0 and person.trust[friend] < person.baseline[friend]:
                    gap = person.baseline[friend] - person.trust[friend]
                    person.trust[friend] += (
                        1 - math.exp(-self.cfg.trust.repair_rate * items)
                    ) * gap
            for friend, items in read["marketing"].items():
                if items > 0:
                    t = person.trust[friend]
                    offers.append((person, friend, 1.0 - (1.0 - conversion * t * t) ** items))
        self.buy(offers)
        return exposures

    def respond(self) -> None:
        """ODD 7.6: one ladder over every arc whose trust was lowered today, in any channel."""
        cfg = self.cfg.trust
        decisions = []
        for (node, friend), level in self.lowered.items():
            person = self.people[node]
            if friend not in person.trust:
                continue
            t = person.trust[friend]
            if not (t < level and t < person.baseline[friend] - cfg.ladder_margin):
                continue
            if t < cfg.unfriend_ratio * person.mute_threshold:
                decisions.append((person, friend, "unfriend"))
            elif t < person.mute_threshold:
                following = friend in person.following
                if following and (node, friend) not in self.disappointed:
                    person.following.discard(friend)
                    self.unfollows += 1
                elif friend not in person.muted:
                    if following:
                        person.following.discard(friend)
                        self.unfollows += 1
                    decisions.append((person, friend, "mute"))
        self.apply_ladder(decisions)

    def buy(self, offers: list[tuple[Person, int, float]]) -> None:
        """ODD 7.5: offers convert buyers with an open need; one purchase per need; outcomes."""
        converted: dict[tuple[int, int], list[int]] = {}
        for person, friend, probability in offers:
            seller = self.people[friend]
            if not seller.selling or person.needs.get(seller.category, -1) < self.day:
                continue
            if person.selling and person.category == seller.category:
                continue
            if self.rng.random() < probability:
                converted.setdefault((person.node, seller.category), []).append(friend)
        purchases = [
            (node, int(sellers[self.rng.integers(len(sellers))]))
            for (node, _), sellers in converted.items()
        ]
        satisfied = []
        for node, friend in purchases:
            buyer, seller = self.people[node], self.people[friend]
            if self.rng.random() < seller.quality:
                buyer.trust[friend] += self.cfg.purchase.satisfied_gain * (1 - buyer.trust[friend])
                satisfied.append((buyer, seller))
            else:
                self.lower(buyer, friend)
                self.disappointed.add((node, friend))
                buyer.trust[friend] *= self.cfg.purchase.unsatisfied_factor
                buyer.disappointments += 1
                self.disappointed_orders += 1
                if self.rng.random() < self.cfg.purchase.complaint_per_disappointment:
                    weight = getattr(self.policy, "product_complaint_weight", 1.0)
                    self.complaints_today[friend] = self.complaints_today.get(friend, 0) + weight
            buyer.needs.pop(seller.category, None)
            seller.sales[-1] += 1
            self.sales += 1
        for buyer, seller in satisfied:
            for common in sorted(set(buyer.trust) & set(seller.trust)):
                friend = self.people[common]
                level = friend.trust[seller.node]
                friend.trust[seller.node] = level + self.cfg.purchase.word_of_mouth * (1 - level)
                if (
                    self.policy.name == "separate_shop"
                    and seller.node not in friend.following
                    and self.rng.random() < self.policy.recommend_follow_prob
                ):
                    friend.following.add(seller.node)

    def apply_ladder(self, decisions: list[tuple[Person, int, str]]) -> None:
        """ODD 7.6: mute or unfriend, and complain with some probability."""
        cfg = self.cfg.trust
        for person, friend, action in decisions:
            if friend not in person.trust:
                continue
            person.acted = True
            if action == "mute":
                person.muted.add(friend)
                self.mutes += 1
                chance = cfg.complaint_per_mute
            else:
                self.unfriend(person, self.people[friend])
                self.unfriends += 1
                chance = cfg.complaint_per_unfriend
            if self.rng.random() < chance:
                self.complaints_today[friend] = self.complaints_today.get(friend, 0) + 1

    @staticmethod
    def unfriend(a: Person, b: Person) -> None:
        """Remove the friendship in both directions."""
        for x, y in ((a, b), (b, a)):
            x.trust.pop(y.node, None)
            x.baseline.pop(y.node, None)
            x.muted.discard(y.node)
            x.exposure.pop(y.node, None)
            x.following.discard(y.node)

    def run_channel(self, posted: list[tuple[Person, int]]) -> list[tuple[Person, int]]:
        """ODD 7.11-7.12: the shop space or C2B answers."""
        if self.policy.name == "separate_shop":
            return self.run_shop()
        if self.policy.name == "c2b":
            return self.answer_needs(posted)
        return []

    def run_shop(self) -> list[tuple[Person, int]]:
        """ODD 7.11: follow on need, read broadcasts, buy, unfollow."""
        policy, exposures = self.policy, []
        for person in self.people:
            if not person.in_moments:  # a user who left no longer opens the shop space
                continue
            for friend in person.trust:
                seller = self.people[friend]
                if not seller.selling or friend in person.following:
                    continue
                if person.needs.get(seller.category, -1) < self.day:
                    continue
                if person.trust[friend] <= policy.follow_min_trust:
                    continue
                if person.selling and person.category == seller.category:
                    continue
                if self.rng.random() < policy.follow_prob:
                    person.following.add(friend)
        cap = policy.broadcasts_per_day * policy.items_per_broadcast_max
        offers = []
        for person in self.people:
            visits = self.rng.random() < policy.visit_prob * person.engagement
            if not (person.in_moments and visits):
                continue
            items = {f: min(self.people[f].marketing_drafted, cap) for f in person.following}
            items = {f: k for f, k in items.items() if k > 0}
            available = sum(items.values())
            if not available:
                continue
            share = min(1.0, policy.shop_attention / available)
            for friend, k in items.items():
                read = self.thin(k, share)
                if read:
                    weight = self.cfg.users.load_weight_shop
                    self.take_in_marketing(person, friend, read, 0.0, weight)
                    exposures.append((person, friend))
                    t = person.trust[friend]
                    c = self.cfg.purchase.conversion * (1.0 - policy.conversion_friction)
                    offers.append((person, friend, 1.0 - (1.0 - c * t * t) ** read))
        self.buy(offers)
        return exposures

    def answer_needs(self, posted: list[tuple[Person, int]]) -> list[tuple[Person, int]]:
        """ODD 7.12: seller friends answer need posts; extra items erode; answers may convert."""
        policy, intensity = self.policy, self.cfg.market.intensity
        exposures, offers = [], []
        for person, category in posted:
            answers = []
            for friend in person.trust:
                seller = self.people[friend]
                if not (seller.selling and seller.category == category):
                    continue
                if self.rng.random() < policy.answer_prob:
                    items = int(self.rng.poisson(intensity))
                    if items:
                        answers.append((friend, items))
            if not answers:
                continue
            first = int(self.rng.integers(len(answers)))
            for k, (friend, items) in enumerate(answers):
                unsolicited = items - (k == first)
                if unsolicited:
                    weight = self.cfg.users.load_weight_answer
                    self.take_in_marketing(person, friend, unsolicited, 0.0, weight)
                exposures.append((person, friend))
                t = person.trust[friend]
                offers.append((person, friend, 1.0 - (1.0 - policy.answer_conversion * t) ** items))
        self.buy(offers)
        return exposures

    def enter_by_bass(self) -> None:
        """ODD 7.7 Bass-form entry: ``1 - (1 - p)(1 - q F)`` per recruitable non-seller."""
        cfg = self.cfg.sellers
        q = cfg.recruit_prob if cfg.recruit_form == "bass" else 0.0
        if cfg.innovation_prob <= 0 and q <= 0:
            return
        entering = []
        for person in self.people:
            if person.selling or not person.recruitable:
                continue
            selling = [f for f in sorted(person.trust) if self.people[f].selling]
            share = len(selling) / len(person.trust) if person.trust else 0.0
            if self.rng.random() < 1.0 - (1.0 - cfg.innovation_prob) * (1.0 - q * share):
                entering.append((person, selling))
        self.entries += len(entering)
        for person, selling in entering:
            if selling:
                upline = self.people[int(selling[self.rng.integers(len(selling))])]
                person.start_selling(upline.category, upline.node)
            else:
                person.start_selling(int(self.rng.integers(self.cfg.market.categories)), -1)

    def recruit(self, exposures: list[tuple[Person, int]]) -> None:
        """ODD 7.7: trusted, visibly selling sellers recruit readers into their downline.

        Bass-form entry comes first; in the ``bass`` form it replaces this rule.
        """
        cfg = self.cfg.sellers
        self.enter_by_bass()
        if cfg.recruit_form == "bass":
            return
        joins: dict[int, list[int]] = {}
        for person, friend in exposures:
            seller = self.people[friend]
            if (
                not seller.selling
                or person.selling
                or not person.recruitable
                or not person.in_moments
            ):
                continue
            if friend not in person.trust or friend in person.muted:
                continue
            t = person.trust[friend]
            p = cfg.recruit_prob * t * min(1.0, seller.rolling_sales / cfg.recruit_sales_norm)
            if t > cfg.recruit_min_trust and self.rng.random() < p:
                joins.setdefault(person.node, []).append(friend)
        self.entries += len(joins)
        for node, uplines in joins.items():
            upline = self.people[int(uplines[self.rng.integers(len(uplines))])]
            self.people[node].start_selling(upline.category, upline.node)

    def review_sellers(self) -> None:
        """ODD 7.7: sellers, in random order, review their post rate and may quit."""
        for index in self.rng.permutation(len(self.people)):
            person = self.people[int(index)]
            if person.selling:
                person.review_marketing()
                if person.consider_quitting():
                    person.stop_selling()

    def update_engagement(self, reads: dict[int, dict]) -> None:
        """ODD 7.8: ad load, clutter and disappointments move engagement; some leave."""
        users = self.cfg.users
        for person in self.people:
            if not person.in_moments:
                continue
            clutter = reads.get(person.node, {}).get("clutter", 0.0)
            kept = (1.0 - users.disappointment_loss) ** person.disappointments
            person.engagement *= kept  # a bad product takes its share for good
            person.engagement_base *= kept
            settles = person.engagement_base * max(
                0.0, 1.0 - users.ad_load_sensitivity * person.load
            )
            e = person.engagement + users.engagement_recovery * (settles - person.engagement)
            person.engagement = min(1.0, max(0.0, e - users.engagement_loss * clutter))
            bad_day = clutter > 0 or person.load > 0 or person.disappointments > 0
            if not person.selling and bad_day and person.engagement < users.leave_below:
                person.in_moments = False

    def enforce(self) -> None:
        """ODD 7.10: complaint-driven throttles and bans, and detection (rectify)."""
        complaints, self.complaints_today = self.complaints_today, {}
        if self.policy.name != "rectify":
            return
        policy = self.policy
        self.enforce_complaints_and_detect(complaints)
        if policy.target_density is not None:
            gap = (self.today_density - policy.target_density) / policy.target_density
            step = math.exp(-policy.cap_gain * gap)
            self.cap = min(policy.cap_max, max(0.0, (self.cap + 1.0) * step - 1.0))

    def enforce_complaints_and_detect(self, complaints: dict[int, int]) -> None:
        """ODD 7.10: complaint-driven penalties, then detection of heavy posters."""
        policy = self.policy
        if policy.enforcement:
            for node, count in complaints.items():
                self.complaint_log.setdefault(node, []).append((self.day, count))
            for node in sorted(self.complaint_log):
                recent = [
                    (d, c)
                    for d, c in self.complaint_log[node]
                    if d > self.day - policy.complaint_window
                ]
                self.complaint_log[node] = recent
                if (
                    self.people[node].selling
                    and sum(c for _, c in recent) >= policy.complaints_to_throttle
                ):
                    self.penalize(self.people[node])
        if policy.detection:
            heavy = [
                p
                for p in self.people
                if p.selling
                and p.marketing_drafted > policy.detect_above
                and self.throttled_until.get(p.node, 0) < self.day
            ]
            flagged = [p for p in heavy if self.rng.random() < policy.detect_recall]
            for person in flagged:
                self.penalize(person)
            ordinary = [
                p
                for p in self.people
                if not p.selling and self.silenced_until.get(p.node, 0) < self.day
            ]
            expected = len(flagged) * (1 - policy.detect_precision) / policy.detect_precision
            for index in self.rng.permutation(len(ordinary))[: int(self.rng.poisson(expected))]:
                self.silenced_until[ordinary[int(index)].node] = self.day + policy.throttle_days

    def penalize(self, person: Person) -> None:
        """Throttle a seller for ``throttle_days``; a repeat offence bans them."""
        self.strikes[person.node] = self.strikes.get(person.node, 0) + 1
        self.complaint_log[person.node] = []
        self.penalties += 1
        if self.policy.ban_on_repeat and self.strikes[person.node] > 1:
            person.stop_selling()
        else:
            self.throttled_until[person.node] = self.day + self.policy.throttle_days

    # -- observation ------------------------------------------------------------------

    @staticmethod
    def density(reads: dict[int, dict]) -> float:
        """Marketing share of what non-sellers read in Moments today."""
        marketing = sum(r["marketing_total"] for r in reads.values() if r["buyer"])
        organic = sum(r["organic_total"] for r in reads.values() if r["buyer"])
        return marketing / (marketing + organic) if marketing + organic else 0.0

    def observe(self, reads: dict[int, dict]) -> dict[str, float]:
        """Count the headline daily metrics agent by agent."""
        buyers = [p for p in self.people if not p.selling]
        sellers = [p for p in self.people if p.selling]
        start = sum(self.friends_at_start[s.node] for s in sellers)
        kept = sum(len(s.trust) for s in sellers)
        reached = sum(1 for s in sellers for f in s.trust if s.node not in self.people[f].muted)
        seller_trust = [
            p.trust[s.node] for s in self.people if s.selling for p in self.non_seller_friends(s)
        ]
        return {
            "day": self.day,
            "marketing_share": self.today_density,
            "mean_trust_seller_arcs": float(np.mean(seller_trust))
            if seller_trust
            else float("nan"),
            "mutes_cum": self.mutes,
            "unfriends_cum": self.unfriends,
            "sales_cum": self.sales,
            "disappointed_cum": self.disappointed_orders,
            "sellers": sum(p.selling for p in self.people),
            "seller_entries_cum": self.entries,
            "left_share": sum(not p.in_moments for p in buyers) / len(buyers) if buyers else 0.0,
            "ux": float(np.mean([p.engagement for p in buyers])) if buyers else 0.0,
            "shop_followers": sum(len(p.following) for p in self.people),
            "unfollows_cum": self.unfollows,
            "penalties_cum": self.penalties,
            "needs_persuaded_cum": self.persuaded,
            "seller_friends_kept": kept / start if start else float("nan"),
            "seller_friends_reached": reached / start if start else float("nan"),
            **self.cohort_shares(),
            "ad_load": float(np.mean([p.load for p in buyers])) if buyers else 0.0,
        }

    def cohort_shares(self) -> dict[str, float]:
        """Day-0 sellers' day-0 friends still friends, and still not muting them."""
        start = sum(self.friends_at_start[s.node] for s in self.cohort)
        kept = sum(len(s.trust) for s in self.cohort)
        reached = sum(1 for s in self.cohort for f in s.trust if s.node not in self.people[f].muted)
        return {
            "cohort_friends_kept": kept / start if start else float("nan"),
            "cohort_friends_reached": reached / start if start else float("nan"),
        }

    def non_seller_friends(self, seller: Person) -> Iterator[Person]:
        """Non-sellers still friends with ``seller``."""
        for friend in seller.trust:
            person = self.people[friend]
            if not person.selling:
                yield person

    def run(self) -> pd.DataFrame:
        """Simulate ``cfg.steps`` days and return the daily headline table."""
        for _ in range(self.cfg.steps):
            self.step()
        return pd.DataFrame(self.rows)
