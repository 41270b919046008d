"""The social-commerce model: wiring and the daily schedule (ODD sections 3 and 7).

One step is one day. The order within a day is the one the brief's
prototype found free of artefacts: needs -> posting -> reading -> trust
(erosion, persuasion, repair) -> purchases -> the policy's other channel
(shop, C2B) -> one response ladder over every arc whose trust fell today ->
recruitment -> sellers' reviews and exits -> engagement -> platform
enforcement (which takes effect the next day).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.core.config import SimConfig
from sim.engine import heap, kernels, parallel, streams
from sim.engine.agents import ExitReason, Platform, Seller, Users, sellers_decide
from sim.engine.graphs import Edges, graph_for_seed
from sim.engine.metrics import REPORTERS, DailyTally, Recorder, Totals
from sim.engine.network import ArcStatus, ArcTable
from sim.engine.policies import make_policy
from sim.engine.policies.base import Feed
from sim.engine.population import Population
from sim.engine.reading import read_in_blocks
from sim.engine.submodels import (
    arise_needs,
    bass_hazard,
    beta_with_mean,
    lognormal_with_median,
    one_per_key,
    poisson_per_user,
    purchase_probability,
    satisfied_trust,
    unsatisfied_trust,
)

BLOCK = 1 << 20
"""Baselines drawn per block: numpy's generators draw element by element, so the
blocks give the numbers of one draw of the whole array without a float64 copy
of it (4 GB at ten million users)."""


@dataclass
class MomentsReading:
    """What was read in Moments today.

    Attributes:
        exposed: arcs along which marketing was read (leaks from muted arcs included).
        marketing: marketing items read along each ``exposed`` arc.
        opened: users who opened Moments today.
        share: each user's chance to read an available item (attention / available).
        clutter: each user's clutter today.

    """

    exposed: np.ndarray
    marketing: np.ndarray
    opened: np.ndarray = field(repr=False)
    share: np.ndarray = field(repr=False)
    clutter: np.ndarray = field(repr=False)


class SocialCommerceModel(mesa.Model):
    """WeChat-style social commerce: sellers market to friends whose trust erodes.

    Args:
        cfg: the run's configuration (``sim.core.config.SimConfig``).
        graph: optional ``(n_users, edges)`` to use instead of building ``cfg.graph``, or a
            function returning it that keeps no reference (``[graph].pop``): the model
            then frees the edges once laid out, as when it builds them (200 MB at a
            million users).

    """

    def __init__(
        self,
        cfg: SimConfig,
        graph: tuple[int, Edges] | Callable[[], tuple[int, Edges]] | None = None,
    ) -> None:
        super().__init__(rng=cfg.seed)
        self.cfg = cfg
        parallel.workers()  # a bad SIM_THREADS fails here, not at the first big pass
        if callable(graph):  # handed over: the model holds the only reference to the edges
            graph = graph()
        n_users, edges = graph if graph is not None else graph_for_seed(cfg.graph, cfg.seed)
        self.n_users = n_users
        if n_users >= heap.BIG_RUN_USERS:
            heap.keep_freed_blocks()
        self.arcs = ArcTable(n_users, edges)
        del graph, edges  # a built graph is freed here (the table has all of it)
        for low in range(0, len(self.arcs), BLOCK):  # no float64 copy of every arc's draw
            self.arcs.set_baselines(
                slice(low, low + BLOCK),
                self.rng.beta(
                    cfg.users.baseline_trust_a,
                    cfg.users.baseline_trust_b,
                    min(BLOCK, len(self.arcs) - low),
                ),
            )
        self.people = Population(n_users, cfg, self.rng)
        self.blocks = streams.blocks(n_users, cfg.seed, self.rng)  # reading's draws, per block
        self.totals = Totals()
        self.today = DailyTally()
        self.business_of: dict[int, Seller] = {}
        self.users = Users(self)
        self.platform = Platform(self, make_policy(cfg.policy, self))
        self._exposed: list[tuple[np.ndarray, np.ndarray]] = []
        self._lowered: list[tuple[np.ndarray, np.ndarray]] = []  # (arcs, trust before)
        self._disappointed: list[np.ndarray] = []
        self.load = np.zeros(n_users)  # today's weighted marketing items read, any channel
        self._load_zero = True  # no channel has added to today's load yet
        self.disappointments = np.zeros(n_users, dtype=np.int64)  # today's, per buyer
        self.friends_at_start = np.diff(self.arcs.start)
        self.seed_sellers()
        self.cohort = np.flatnonzero(self.people.seller)  # day-0 sellers (ODD 7.13)
        self.arcs.track(self.cohort)  # their friends are counted every day
        self.datacollector = Recorder(model_reporters=REPORTERS)

    # -- initialization ---------------------------------------------------------------

    def seed_sellers(self) -> None:
        """ODD 5: seed ``initial_fraction`` of users as sellers in upline clusters.

        A cluster's head is a recruitable user drawn in proportion to degree
        (sellers sit on hubs); up to ``cluster_size - 1`` recruitable friends join
        as the head's downline and sell the same category (prototype lesson 8).
        Heads are taken in one degree-weighted random order (Efraimidis-Spirakis
        keys ``U^(1/degree)``), skipping users already selling: the distribution
        of successive degree-weighted draws without replacement, in one sort.
        """
        cfg = self.cfg.sellers
        target = round(cfg.initial_fraction * self.n_users)
        candidates = np.flatnonzero(self.people.recruitable & (np.diff(self.arcs.start) > 0))
        degree = np.diff(self.arcs.start)[candidates]
        keys = self.rng.random(len(candidates)) ** (1.0 / degree)
        for head in candidates[np.argsort(-keys, kind="stable")].tolist():
            if len(self.business_of) >= target:
                break
            if self.people.seller[head]:
                continue
            self.open_business(head, upline=-1)
            friends = self.arcs.friends(head)
            friends = friends[self.people.recruitable[friends] & ~self.people.seller[friends]]
            for friend in self.rng.permutation(friends)[: cfg.cluster_size - 1].tolist():
                if len(self.business_of) >= target:
                    break
                self.open_business(friend, upline=head)

    def open_business(self, node: int, upline: int) -> Seller:
        """``node`` starts selling: the upline's category (or a random one), fresh traits."""
        cfg = self.cfg
        category = (
            int(self.people.category[upline])
            if upline >= 0
            else int(self.rng.integers(cfg.market.categories))
        )
        quality = float(
            beta_with_mean(cfg.purchase.quality_mean, cfg.users.beta_concentration, 1, self.rng)[0]
        )
        rate = float(
            lognormal_with_median(cfg.sellers.rate_median, cfg.sellers.rate_sigma, 1, self.rng)[0]
        )
        return Seller(self, self.users[node], category, quality, rate, upline)

    def close_business(self, node: int, reason: ExitReason) -> None:
        """Close ``node``'s business: the role ends and shop followers lose the shop."""
        self.people.close_business(node)
        self.arcs.following[self.arcs.of_authors(np.array([node]))] = False
        del self.business_of[node]
        self.totals.seller_exits += 1
        if reason is ExitReason.BANNED:
            self.totals.bans += 1
            self.people.banned[node] = True

    # -- the day ----------------------------------------------------------------------

    def step(self) -> None:
        """Simulate one day in the order of ODD section 3.

        The day is Mesa's own step counter, ``self.steps``: Mesa counts the step
        before calling this, so day 1 is the first step (day 0 is initialization).
        """
        self.today = DailyTally()
        self._exposed, self._lowered, self._disappointed = [], [], []
        self.load[:] = 0.0
        self._load_zero = True
        self.disappointments[:] = 0
        policy = self.platform.policy
        self.people.start_sales_day(self.steps)
        arisen = arise_needs(
            self.people.need_expiry,
            self.steps,
            self.cfg.market.need_prob,
            self.cfg.market.need_lifetime,
            self.rng,
        )
        organic, marketing = self.draft_posts(arisen)
        feed = policy.route(organic, marketing)
        reading = self.read_moments(feed)
        del feed  # what was shown and folded goes before trading, the day's memory peak
        self.trade_in_moments(organic, reading)
        policy.run_channel(marketing, arisen)
        clutter_level = reading.clutter
        # the day's per-user arrays go before the ladder, the day's memory peak
        # (about 50 MB at a million users)
        del arisen, organic, marketing, reading
        self.respond()
        self.recruit()
        sellers_decide(self)
        self.update_engagement(clutter_level)
        self.platform.step()
        self.datacollector.collect(self)
        self.running = self.steps < self.cfg.steps  # Mesa's stop flag (batch_run, SolaraViz)

    def draft_posts(self, needs_arisen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ODD 7.2 Posting: organic posts per user, marketing posts per seller.

        Users who left Moments stop posting (prototype lesson 9). Marketing is
        Poisson with mean ``post_rate x market.intensity``.
        """
        people = self.people
        organic = poisson_per_user(
            self.cfg.users.organic_rate, np.flatnonzero(people.in_moments), self.n_users, self.rng
        )
        extra = self.platform.policy.extra_organic(needs_arisen)
        if extra is not None:
            organic = organic + extra
        marketing = np.zeros(self.n_users, dtype=np.int64)
        posting = np.flatnonzero(people.post_rate > 0)  # sellers: everyone else posts none
        marketing[posting] = self.rng.poisson(people.post_rate[posting] * self.cfg.market.intensity)
        return organic, marketing

    def read_moments(self, feed: Feed) -> MomentsReading:
        """ODD 7.3 Reading: who opens Moments and what they read within their attention.

        A user opens Moments with probability equal to their engagement. They
        read items of visible friends; when more is posted than their attention
        budget, each item is read with probability ``attention / available``.
        Ordinary items read are drawn per reader (the binomial total), and per
        arc only where repair needs them (``repair``); marketing is drawn per arc.
        Muted arcs still leak ``trust.mute_leak`` of the author's marketing
        (private messages, group chats: prototype lesson 2). The leak comes
        through other channels, so it reaches its reader whether or not they
        opened Moments today (or still use it), outside attention and density.
        """
        arcs, people, n = self.arcs, self.people, self.n_users
        opened = np.empty(n, dtype=np.bool_)
        blocks = self.blocks
        parallel.run(
            lambda b: kernels.opened_today(
                people.in_moments[slice(*blocks.users[b])],
                people.engagement[slice(*blocks.users[b])],
                blocks.rngs[b],
                opened[slice(*blocks.users[b])],
            ),
            range(len(blocks)),
        )
        organic_available = arcs.visible_sum(feed.organic) * opened
        leak = self.cfg.trust.mute_leak
        marketers = kernels.nonzero_either(feed.shown, feed.folded)
        ads, leaking = arcs.moments_arcs(opened, marketers, leak > 0)
        exposed, items, share, marketing_per_user, organic_per_user = read_in_blocks(
            arcs.kernel_view(),
            people.attention,
            kernels.MomentsToday(opened, organic_available, feed.shown, feed.folded),
            (ads, leaking),
            kernels.ReadParams(self.platform.policy.expand_prob, leak),
            self.blocks,
        )
        parts = parallel.run(
            lambda users: kernels.reading_summary(
                marketing_per_user[users],
                organic_per_user[users],
                people.seller[users],
                people.tolerance[users],
            ),
            parallel.item_parts(n),
        )
        clutter_level = parts[0][0] if len(parts) == 1 else np.concatenate([p[0] for p in parts])
        # item counts: their sums are exact in any grouping
        self.today.marketing_read = sum(part[1] for part in parts)
        self.today.organic_read = sum(part[2] for part in parts)
        self.today.folded = int(feed.folded.sum())
        return MomentsReading(
            exposed=exposed,
            marketing=items,
            opened=opened,
            share=share,
            clutter=clutter_level,
        )

    def repair(self, organic: np.ndarray, reading: MomentsReading) -> None:
        """ODD 7.4 Repair: ordinary items read move trust back up toward its baseline.

        Only arcs below baseline need it, and only marketing lowers trust, so the
        per-arc draws are made only along arcs from users who ever sold.
        """
        view = self.arcs.kernel_view()
        today = kernels.RepairToday(
            authors=np.flatnonzero((organic > 0) & self.people.ever_sold),
            organic=organic,
            opened=reading.opened,
            share=reading.share,
        )
        due = parallel.joined_tuple(
            lambda authors: kernels.repair_due(view, today, authors),
            parallel.author_parts(view.start, today.authors),
        )
        kernels.repair(
            view,
            *due,
            self.cfg.trust.repair_rate,
            self.rng,
        )

    def trade_in_moments(self, organic: np.ndarray, reading: MomentsReading) -> None:
        """ODD 7.4-7.5: erosion, persuasion and repair of trust, then purchases in Moments.

        Items read along muted arcs are the leak: they weigh ``users.load_weight_leak``
        in the reader's experience (ODD 7.8), Moments items 1.
        """
        arcs = self.arcs
        exposed, items = reading.exposed, reading.marketing
        view = arcs.kernel_view()
        kinds = self.take_in_marketing(
            exposed,
            items,
            parallel.joined(
                lambda part: kernels.at_readers(view, exposed[part], reading.clutter),
                parallel.item_parts(len(exposed)),
            ),
            1.0,
            muted_weight=self.cfg.users.load_weight_leak,
        )
        self.repair(organic, reading)  # trust only: the offer kinds stay true
        conversion = self.cfg.purchase.conversion
        self.buy(
            exposed,
            lambda offers: purchase_probability(
                arcs.trust[exposed[offers]], items[offers], conversion
            ),
            kinds,
        )

    def take_in_marketing(
        self,
        idx: np.ndarray,
        items: np.ndarray,
        clutter_level: np.ndarray,
        weight: float,
        muted_weight: float | None = None,
    ) -> np.ndarray | None:
        """Marketing read along arcs ``idx`` in any channel: experience, erosion, persuasion.

        ``weight``: what an item of this channel weighs in the reader's experience
        against a Moments item (ODD 7.8, ``users.load_weight_*``); ``muted_weight``,
        if given, what an item read along a muted arc (the leak) weighs. Returns
        what ``persuade`` does: the offer kinds along ``idx`` after persuasion,
        for the channel's purchases (``buy``), or None.
        """
        muted_weight = weight if muted_weight is None else muted_weight
        view, seller = self.arcs.kernel_view(), self.people.seller
        parts = parallel.item_parts(len(idx))
        if len(parts) > 1 and float(weight).is_integer() and float(muted_weight).is_integer():
            # whole-number weights: every load is a sum of whole numbers, exact in any
            # grouping, so parts may sum apart (one array a thread) and then add
            counted: list[int] = []
            self.load += parallel.summed(
                lambda part, out: counted.append(
                    kernels.marketing_load(
                        view, seller, idx[part], items[part], weight, muted_weight, out
                    )
                ),
                parts,
                lambda: np.zeros(self.n_users),
            )
            self.today.marketing_any += sum(counted)
        else:
            # the day's first channel adds straight into the zeroed load; a later one
            # sums apart and then adds, as numpy's bincount did: the same roundings
            sums = self.load if self._load_zero else np.zeros(self.n_users)
            self.today.marketing_any += kernels.marketing_load(
                view, seller, idx, items, weight, muted_weight, sums
            )
            if sums is not self.load:
                self.load += sums
        self._load_zero = False
        self.expose(idx, items, clutter_level)
        return self.persuade(idx, items)

    def respond(self) -> None:
        """ODD 7.6 One response ladder over every arc whose trust was lowered today.

        Whatever lowered it (Moments marketing, the mute leak, shop broadcasts,
        unsolicited C2B answers, a disappointing purchase in any channel), an arc
        responds if its trust now is below its trust before today's first
        lowering event. A followed shop takes the first rung (unfollow) unless a
        purchase from it disappointed today: a bad product is a matter between
        friends, so the reader may mute at once.
        """
        if not self._lowered:
            return
        arcs, trust_cfg = self.arcs, self.cfg.trust
        touched = np.concatenate([idx for idx, _ in self._lowered])
        before = np.concatenate([level for _, level in self._lowered])
        idx, first = np.unique(touched, return_index=True)
        before = before[first]
        disappointed = np.zeros(len(idx), dtype=bool)  # idx is sorted and holds them all
        disappointed[np.searchsorted(idx, np.concatenate(self._disappointed or [idx[:0]]))] = True
        view, words, threshold = (
            arcs.kernel_view(),
            arcs.following.words,
            self.people.mute_threshold,
        )
        margin, ratio = trust_cfg.ladder_margin, trust_cfg.unfriend_ratio
        unfollow, mute, unfriend, following = parallel.joined_tuple(
            lambda part: kernels.respond(
                view, words, idx[part], before[part], disappointed[part], threshold, margin, ratio
            ),
            parallel.item_parts(len(idx)),
        )
        quits = unfollow | (mute & following)
        arcs.following[idx[quits]] = False
        self.totals.unfollows += int(quits.sum())
        self.apply_ladder(idx[mute], idx[unfriend])

    def expose(self, idx: np.ndarray, items: np.ndarray, clutter_level: np.ndarray) -> None:
        """ODD 7.4 Erosion: marketing items read along arcs ``idx`` wear trust down.

        Wear-out uses the arc's exposures over the wear window; sellers reading
        other sellers are annoyed ``trust.seller_reader_factor`` as much
        (prototype lesson 6). Exposed arcs are remembered for recruitment.
        ``clutter_level`` is the reader's clutter per arc (0 in an opt-in space).
        The trust before erosion is noted for today's response ladder.
        """
        view, cfg, seller = self.arcs.kernel_view(), self.cfg.trust, self.people.seller
        params = kernels.ErosionParams(
            day=self.steps,
            window=cfg.wear_window,
            per_item=cfg.erosion_per_item,
            clutter_gain=cfg.clutter_gain,
            onset=cfg.wearout_onset,
            slope=cfg.wearout_slope,
            seller_factor=cfg.seller_reader_factor,
        )
        # a channel reads along an arc at most once a day, so the parts write distinct arcs
        before = parallel.joined(
            lambda part: kernels.erode(
                view, seller, idx[part], items[part], clutter_level[part], params
            ),
            parallel.item_parts(len(idx)),
        )
        self._lowered.append((idx, before))
        self.remember_exposure(idx, items)

    def persuade(self, idx: np.ndarray, items: np.ndarray) -> np.ndarray | None:
        """ODD 7.5 Persuasion: marketing read may create a need in the seller's category.

        Only where the reader has no open need in that category and is not a
        competitor; the new need lasts ``market.need_lifetime`` days. Returns
        the offer kinds along ``idx`` as they stand after persuasion
        (``kernels.offer_kinds``), or None when persuasion is off or ``idx`` empty.
        """
        persuasion = self.cfg.market.persuasion
        if persuasion <= 0 or not len(idx):
            return None
        arcs, people = self.arcs, self.people
        kinds = self.offer_kinds(idx)
        # submodels.persuaded over the offers without a need, compiled: no per-arc arrays
        powers = (1.0 - persuasion) ** np.arange(int(items.max(initial=0)) + 1)
        hit = idx[kernels.persuasion_hits(kinds, items, powers, self.rng)]
        reader, category = arcs.reader[hit], people.category[arcs.author_of(hit)]
        people.need_expiry[reader, category] = self.steps + self.cfg.market.need_lifetime - 1
        keys = reader.astype(np.int64) * self.cfg.market.categories + category
        self.totals.persuaded += len(np.unique(keys))
        if len(hit):
            # the arcs whose reader now has a need in their author's category offer
            # to a need: only the persuaded readers' arcs have their need looked up again
            marked = np.zeros(self.n_users, dtype=bool)
            marked[reader] = True
            view, kernel_people, day = arcs.kernel_view(), people.kernel_view(), self.steps
            parallel.run(  # in place, on each part's slice of kinds
                lambda part: kernels.needs_opened(
                    view, kernel_people, idx[part], kinds[part], marked, day
                ),
                parallel.item_parts(len(idx)),
            )
        return kinds

    def offer_kinds(self, idx: np.ndarray) -> np.ndarray:
        """Return what each arc of ``idx`` offers its reader today (``kernels.offer_kinds``).

        A seller meets a non-competitor with (``OFFER_TO_NEED``) or without
        (``OFFER_WITHOUT_NEED``) an open need in the seller's category.
        """
        arcs, people, day = self.arcs.kernel_view(), self.people.kernel_view(), self.steps
        return parallel.joined(
            lambda part: kernels.offer_kinds(arcs, people, idx[part], day),
            parallel.item_parts(len(idx)),
        )

    def remember_exposure(self, idx: np.ndarray, items: np.ndarray) -> None:
        """Note that readers of arcs ``idx`` saw ``items`` offers today (for recruitment)."""
        self._exposed.append((idx, items))

    def buy(
        self,
        idx: np.ndarray,
        probability: np.ndarray | Callable[[np.ndarray], np.ndarray],
        kinds: np.ndarray | None = None,
    ) -> np.ndarray:
        """ODD 7.5 Purchases: offers along arcs ``idx`` convert readers with an open need.

        ``probability`` is the channel's conversion chance per arc (in Moments
        ``1 - (1 - c T^2)^m`` for ``m`` items read), or a function that gives it
        for positions in ``idx``: then it is computed only where a reader has an
        open need (a few in a hundred arcs). At most one purchase per open need
        per day; sellers do not buy from same-category competitors. ``kinds``:
        the offer kinds along ``idx`` if the caller holds them as they stand now
        (``take_in_marketing`` returns them), else they are worked out here.
        Returns the arcs that bought.
        """
        arcs, people = self.arcs, self.people
        if kinds is None:
            kinds = self.offer_kinds(idx)
        eligible = np.flatnonzero(kinds == kernels.OFFER_TO_NEED)
        probability = probability(eligible) if callable(probability) else probability[eligible]
        idx = idx[eligible]
        idx = idx[self.rng.random(len(idx)) < probability]
        keys = (
            arcs.reader[idx].astype(np.int64) * self.cfg.market.categories
            + people.category[arcs.author_of(idx)]
        )
        idx = idx[one_per_key(keys, self.rng)]
        self.settle(idx)
        return idx

    def settle(self, idx: np.ndarray) -> None:
        """ODD 7.5 Outcomes: quality decides satisfaction; satisfied buyers spread the word.

        A disappointed buyer may file a product complaint (7.6), and the
        disappointment enters their experience of the day (7.8).
        """
        arcs, people, cfg = self.arcs, self.people, self.cfg.purchase
        author, reader = arcs.author_of(idx), arcs.reader[idx]
        satisfied = self.rng.random(len(idx)) < people.quality[author]
        self._lowered.append((idx[~satisfied], arcs.trust[idx[~satisfied]]))
        self._disappointed.append(idx[~satisfied])
        self.disappointments += np.bincount(reader[~satisfied], minlength=self.n_users)
        complain = self.rng.random(int((~satisfied).sum())) < cfg.complaint_per_disappointment
        self.platform.receive_complaints(author[~satisfied][complain], product=True)
        arcs.trust[idx] = np.where(
            satisfied,
            satisfied_trust(arcs.trust[idx], cfg.satisfied_gain),
            unsatisfied_trust(arcs.trust[idx], cfg.unsatisfied_factor),
        )
        people.need_expiry[reader, people.category[author]] = -1
        people.record_sales(self.steps, author)
        self.today.sales += len(idx)
        self.totals.sales += len(idx)
        self.totals.disappointed += int((~satisfied).sum())
        self.totals.gmv += len(idx) * self.cfg.market.order_value
        self.spread_word(reader[satisfied], author[satisfied])

    def spread_word(self, buyers: np.ndarray, sellers: np.ndarray) -> None:
        """ODD 7.5 Word of mouth: common friends' trust in the seller rises a little.

        Each satisfied purchase (``buyers[k]`` from ``sellers[k]``) raises the
        trust of every friend the two still share in the seller by
        ``T += w (1 - T)``; an arc shared by ``k`` of today's purchases gets the
        step ``k`` times, ``T = 1 - (1 - w)^k (1 - T)``, as one purchase after
        another would give it.
        """
        if not len(buyers):
            return
        arcs = self.arcs
        # each buyer's friends, then the seller's arc to each of them, if any
        # (a seller can have thousands of friends; a buyer, tens)
        buyer_arcs = arcs.of_authors(buyers)
        seller = np.repeat(sellers, arcs.start[buyers + 1] - arcs.start[buyers])
        live = arcs.status[buyer_arcs] != ArcStatus.REMOVED
        common = arcs.find(arcs.reader[buyer_arcs][live], seller[live])
        common = common[common >= 0]
        common = common[arcs.status[common] != ArcStatus.REMOVED]
        raised, times = np.unique(common, return_counts=True)
        keep = (1.0 - self.cfg.purchase.word_of_mouth) ** times
        arcs.trust[raised] = 1.0 - keep * (1.0 - arcs.trust[raised])
        self.platform.policy.on_satisfied(common)

    def apply_ladder(self, mute: np.ndarray, unfriend: np.ndarray) -> None:
        """ODD 7.6: mute and unfriend, and file complaints against the authors.

        Two friends who unfriend each other on the same day end one friendship:
        it counts (and may be complained about) once, by the lower-numbered
        reader, as in the reference engine, which handles users in node order.
        """
        arcs, cfg = self.arcs, self.cfg.trust
        mutual = np.isin(arcs.twin_of(unfriend), unfriend)
        unfriend = unfriend[~mutual | (arcs.reader[unfriend] < arcs.author_of(unfriend))]
        arcs.mute(mute)
        arcs.remove(unfriend)
        self.totals.mutes += len(mute)
        self.totals.unfriends += len(unfriend)
        self.people.acted[arcs.reader[mute]] = True
        self.people.acted[arcs.reader[unfriend]] = True
        complained = np.concatenate(
            [
                mute[self.rng.random(len(mute)) < cfg.complaint_per_mute],
                unfriend[self.rng.random(len(unfriend)) < cfg.complaint_per_unfriend],
            ]
        )
        self.platform.receive_complaints(arcs.author_of(complained))

    def enter_by_bass(self) -> None:
        """ODD 7.7 Bass-form entry: innovation, and imitation of selling friends.

        Every recruitable non-seller enters with ``bass_hazard(p, q, F)``, where
        ``F`` is the share of their friends who sell today; ``q`` is
        ``sellers.recruit_prob`` in the ``bass`` form and 0 otherwise (then only
        innovation, ``sellers.innovation_prob``, acts). The upline is a random
        selling friend, if any. Draws are made only when the hazard can be positive.
        """
        cfg = self.cfg.sellers
        imitation = cfg.recruit_prob if cfg.recruit_form == "bass" else 0.0
        if cfg.innovation_prob <= 0 and imitation <= 0:
            return
        arcs, people = self.arcs, self.people
        candidates = np.flatnonzero(people.recruitable & ~people.seller)
        if not len(candidates):
            return
        friends, selling = kernels.live_friend_counts(arcs.kernel_view(), people.seller)
        share = np.divide(selling, friends, out=np.zeros(self.n_users), where=friends > 0)
        hazard = bass_hazard(cfg.innovation_prob, imitation, share[candidates])
        entering = candidates[self.rng.random(len(candidates)) < hazard]
        uplines = []
        for node in entering.tolist():
            friends_now = self.arcs.friends(node)
            sellers = friends_now[people.seller[friends_now]]
            uplines.append(int(self.rng.choice(sellers)) if len(sellers) else -1)
        for node, upline in zip(entering.tolist(), uplines, strict=True):
            self.open_business(node, upline)
            self.totals.seller_entries += 1

    def recruit(self) -> None:
        """ODD 7.7 Recruitment: readers may join a trusted, visibly selling seller's downline.

        Any commercial channel recruits (Moments, shop broadcasts, C2B answers),
        but only along visible arcs: a muted seller's success is hidden from the
        reader, so the leak cannot recruit. Bass-form entry (``enter_by_bass``)
        comes first; in the ``bass`` form it replaces the trust-and-sales rule.
        """
        self.enter_by_bass()
        if self.cfg.sellers.recruit_form == "bass" or not self._exposed:
            return
        arcs, cfg = self.arcs, self.cfg.sellers
        view, people = arcs.kernel_view(), self.people.kernel_view()
        seen = np.concatenate([seen for seen, _ in self._exposed])
        draws = self.rng.random(len(seen))  # one per arc, whether or not it can recruit
        params = kernels.RecruitParams(
            base_prob=cfg.recruit_prob,
            min_trust=cfg.recruit_min_trust,
            sales_norm=cfg.recruit_sales_norm,
        )
        joins = parallel.joined(
            lambda part: kernels.recruits(view, people, seen[part], draws[part], params),
            parallel.item_parts(len(seen)),
        )
        joins = joins[one_per_key(arcs.reader[joins], self.rng)]
        for new_seller, upline in zip(
            arcs.reader[joins].tolist(), arcs.author_of(joins).tolist(), strict=True
        ):
            self.open_business(new_seller, upline)
            self.totals.seller_entries += 1

    def update_engagement(self, clutter_level: np.ndarray) -> None:
        """ODD 7.8 Experience: load, clutter and disappointment move engagement; some leave.

        A disappointing purchase takes a share of engagement and of its resting
        level for good; every marketing item read today in any channel
        (``self.load``, weighted by channel) lowers the level engagement settles
        at; Moments clutter wears it down at once. Leaving fires only on a
        day the experience pushed engagement down, so users whose resting
        engagement is low are occasional readers, not leavers (the start-up
        artefact of prototype lesson 3). Sellers never leave (it is their shop
        window; prototype lesson 6). A leaver stops using Moments and the shop
        space; chats (the leak) still reach them.
        """
        people, cfg = self.people, self.cfg.users
        params = kernels.ExperienceParams(
            recovery=cfg.engagement_recovery,
            loss=cfg.engagement_loss,
            sensitivity=cfg.ad_load_sensitivity,
            disappointment_loss=cfg.disappointment_loss,
            leave_below=cfg.leave_below,
        )
        parallel.run(  # in place, on each part's slice of the per-user arrays
            lambda users: kernels.experience(
                people.engagement[users],
                people.engagement_base[users],
                people.in_moments[users],
                people.seller[users],
                kernels.Experience(
                    clutter_level[users], self.load[users], self.disappointments[users]
                ),
                params,
            ),
            parallel.item_parts(self.n_users),
        )
