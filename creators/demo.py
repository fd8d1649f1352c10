"""Synthetic, realistic demo data, deterministic by seed.

The generator only produces rows in the documented import formats (``docs/import-formats.md``); ``seed_demo``
writes them to CSV files and loads them through the real importers, so the demo exercises the same path as
production data. Distributions are chosen to look like a real creator population:

- followers are heavy-tailed (Pareto), so every follower tier is populated and the top tier is small;
- views depend on followers through a per-creator reach with noise and the occasional viral hit; engagement
  rates fall with audience size, as they do on real platforms;
- posting cadence ranges from clockwork (near-constant gaps) to erratic (bursts and long silences);
- commercial propensities differ by creator: some never post sponsored or shoppable videos, some mostly do;
- shoppable videos carry orders and GMV (sometimes unknown), brand invitations have varied acceptance,
  response times and on-time delivery.

The data has a past: ``weekly_as_of_dates`` gives the as-of dates of the demo's weekly scoring runs, and
``collaboration_as_of`` what an invitation looked like at one of them (not answered yet, not delivered yet), so
that ``seed_demo`` can load the data week by week and score each week on what was known then.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

DEMO_CATEGORIES: tuple[tuple[str, str, float], ...] = (
    # slug, name, typical product price (for GMV)
    ("beauty", "Beauty", 24.0),
    ("fashion", "Fashion", 45.0),
    ("electronics", "Electronics", 120.0),
    ("food", "Food", 12.0),
    ("home", "Home", 38.0),
    ("fitness", "Fitness", 35.0),
    ("gaming", "Gaming", 55.0),
    ("travel", "Travel", 150.0),
    ("pets", "Pets", 22.0),
    ("baby", "Baby", 30.0),
    ("finance", "Finance", 0.0),
    ("entertainment", "Entertainment", 15.0),
    ("music", "Music", 18.0),
    ("sports", "Sports", 40.0),
)
_PRICE = {slug: price for slug, _, price in DEMO_CATEGORIES}

_COUNTRIES = (
    ("US", 30), ("GB", 8), ("DE", 6), ("FR", 5), ("ES", 4), ("IT", 4), ("BR", 7), ("MX", 5), ("IN", 7),
    ("ID", 4), ("JP", 3), ("KR", 2), ("CA", 4), ("AU", 3), ("NL", 2), ("SE", 1), ("PL", 2), ("TR", 2),
    ("PH", 3), ("NG", 2),
)
_ADJECTIVES = (
    "sunny", "urban", "cozy", "bold", "lazy", "happy", "daily", "wild", "tiny", "golden", "neon", "quiet",
    "rapid", "lucky", "fresh", "retro", "cosmic", "velvet", "minty", "salty",
)
_NOUNS = (
    "chef", "gamer", "runner", "stylist", "maker", "nomad", "coach", "critic", "vibes", "studio", "lab",
    "kitchen", "closet", "garage", "diaries", "tales", "squad", "corner", "hacks", "beats",
)
_BRANDS = (
    "Lumina", "Northpeak", "Kiddo", "Brewster", "Pixelforge", "Glowhaus", "Trailmark", "Pawsome", "Fitcore",
    "Homely", "Voltix", "Savora", "Wanderly", "Coinwise", "Tuneup", "Sportiva",
)
_TAGS = ("fyp", "foryou", "viral", "trend", "howto", "tutorial", "review", "dayinmylife", "funny", "tips")


@dataclass(frozen=True)
class DemoCreator:
    """A creator and the hidden propensities that drive its generated activity."""

    external_id: str
    handle: str
    display_name: str
    country: str
    categories: tuple[str, ...]
    followers: int
    reach: float  # typical views / followers
    engagement: float  # typical engagements / views
    mean_gap_h: float
    regularity: float  # 1 = clockwork, 0 = erratic
    sponsored_p: float
    shoppable_p: float
    conversion: float  # orders per view on shoppable videos
    invitations_per_month: float
    accept_p: float
    response_median_h: float
    on_time_p: float


def _propensity(rng: random.Random) -> float:
    """Never (35%), occasionally (45%) or mostly (20%)."""
    draw = rng.random()
    if draw < 0.35:
        return 0.0
    if draw < 0.80:
        return rng.betavariate(1.2, 8)
    return rng.betavariate(6, 2)


def demo_creators(*, count: int, seed: int) -> list[DemoCreator]:
    """``count`` creators with varied audiences, cadences and commercial behaviour."""
    rng = random.Random(seed)
    slugs = [slug for slug, _, _ in DEMO_CATEGORIES]
    countries = [code for code, _ in _COUNTRIES]
    weights = [weight for _, weight in _COUNTRIES]
    creators = []
    for index in range(count):
        followers = min(int(800 * rng.paretovariate(0.5)), 150_000_000)
        tier_penalty = math.log10(max(followers, 1000)) - 3  # 0 for 1k, 5 for 100M
        primary = rng.choice(slugs)
        others = rng.sample([s for s in slugs if s != primary], k=rng.choice((0, 0, 1, 1, 2)))
        handle = f"{rng.choice(_ADJECTIVES)}_{rng.choice(_NOUNS)}{index:05d}"
        creators.append(
            DemoCreator(
                external_id=f"demo-c{index:07d}",
                handle=handle,
                display_name=handle.replace("_", " ").title().rstrip("0123456789"),
                country=rng.choices(countries, weights)[0] if rng.random() > 0.04 else "",
                categories=(primary, *others),
                followers=followers,
                reach=rng.lognormvariate(math.log(0.25), 0.8),
                engagement=min(0.45, rng.lognormvariate(math.log(0.11 - 0.015 * tier_penalty), 0.35)),
                mean_gap_h=rng.lognormvariate(math.log(90), 0.9),
                regularity=rng.random(),
                sponsored_p=_propensity(rng),
                shoppable_p=_propensity(rng),
                conversion=rng.lognormvariate(math.log(0.0008), 0.9),
                invitations_per_month=rng.lognormvariate(math.log(0.4 + tier_penalty), 0.8) if rng.random() > 0.3
                else 0.0,
                accept_p=rng.betavariate(2.5, 2),
                response_median_h=rng.lognormvariate(math.log(30), 1.1),
                on_time_p=rng.betavariate(4, 1.5),
            )
        )
    return creators


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def creator_rows(creators: list[DemoCreator]) -> Iterator[dict[str, object]]:
    for creator in creators:
        yield {
            "external_id": creator.external_id,
            "handle": creator.handle,
            "display_name": creator.display_name,
            "country": creator.country,
            "primary_category": creator.categories[0],
            "categories": ";".join(creator.categories),
            "followers": creator.followers,
        }


def _post_times(creator: DemoCreator, rng: random.Random, start: datetime, end: datetime) -> Iterator[datetime]:
    moment = start + timedelta(hours=rng.uniform(0, creator.mean_gap_h))
    while moment < end:
        yield moment
        # A clockwork creator posts at near-constant gaps; an erratic one in bursts with long silences.
        irregular = rng.expovariate(1.0) * (3.0 if rng.random() < 0.1 else 1.0)
        factor = creator.regularity * rng.uniform(0.9, 1.1) + (1 - creator.regularity) * irregular
        moment += timedelta(hours=max(0.5, creator.mean_gap_h * factor))


def video_rows(
    creators: list[DemoCreator], *, seed: int, start: datetime, end: datetime
) -> Iterator[dict[str, object]]:
    """Videos of every creator between ``start`` and ``end``."""
    rng = random.Random(seed + 1)
    number = 0
    for creator in creators:
        for posted_at in _post_times(creator, rng, start, end):
            number += 1
            viral = rng.lognormvariate(2.0, 0.7) if rng.random() < 0.02 else 1.0
            views = int(max(creator.followers, 50) * creator.reach * rng.lognormvariate(0, 0.6) * viral)
            engagements = int(views * creator.engagement * rng.lognormvariate(0, 0.25))
            sponsored = rng.random() < creator.sponsored_p
            shoppable = rng.random() < creator.shoppable_p
            category = rng.choice(creator.categories) if (sponsored or shoppable) else ""
            orders: object = ""
            gmv: object = ""
            if shoppable and rng.random() > 0.1:  # 10% of shoppable videos have no sales data (unknown, not zero)
                orders = int(views * creator.conversion * rng.lognormvariate(0, 0.5))
                price = _PRICE.get(category or creator.categories[0], 20.0) or 20.0
                gmv = f"{orders * price * rng.uniform(0.8, 1.2):.2f}"
            tags = rng.sample(_TAGS, k=rng.randint(1, 4))
            if sponsored:
                tags.append("ad")
            if shoppable:
                tags.append("tiktokshop")
            yield {
                "external_id": f"demo-v{number:09d}",
                "creator": creator.external_id,
                "posted_at": _iso(posted_at),
                "views": views,
                "likes": int(engagements * 0.82),
                "comments": int(engagements * 0.07),
                "shares": engagements - int(engagements * 0.82) - int(engagements * 0.07),
                "is_sponsored": "true" if sponsored else "false",
                "is_shoppable": "true" if shoppable else "false",
                "product_category": category,
                "orders": orders,
                "gmv": gmv,
                "duration_s": rng.randint(7, 180),
                "hashtags": ";".join(tags),
            }


def collaboration_rows(
    creators: list[DemoCreator], *, seed: int, start: datetime, end: datetime
) -> Iterator[dict[str, object]]:
    """Brand invitations and what became of them; nothing is dated after ``end``."""
    rng = random.Random(seed + 2)
    number = 0
    days = (end - start).days
    for creator in creators:
        expected = creator.invitations_per_month * days / 30
        count = int(rng.gauss(expected, math.sqrt(expected) + 0.1)) if expected else 0
        for _ in range(max(0, count)):
            number += 1
            invited_at = start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))
            row: dict[str, object] = {
                "external_id": f"demo-b{number:08d}",
                "creator": creator.external_id,
                "brand": rng.choice(_BRANDS),
                "category": rng.choice(creator.categories),
                "invited_at": _iso(invited_at),
                "status": "pending",
                "responded_at": "",
                "due_at": "",
                "delivered_at": "",
            }
            responded_at = invited_at + timedelta(hours=rng.lognormvariate(math.log(creator.response_median_h), 0.7))
            if rng.random() < 0.15 or responded_at > end:
                row["status"] = "expired" if responded_at <= end and rng.random() < 0.5 else "pending"
                yield row
                continue
            row["responded_at"] = _iso(responded_at)
            if rng.random() > creator.accept_p:
                row["status"] = "declined"
                yield row
                continue
            due_at = responded_at + timedelta(days=rng.randint(5, 21))
            row["status"] = "accepted"
            row["due_at"] = _iso(due_at)
            late = rng.random() > creator.on_time_p
            delivered_at = due_at + (timedelta(days=rng.uniform(1, 10)) if late else -timedelta(days=rng.uniform(0, 4)))
            if delivered_at <= end:
                row["delivered_at"] = _iso(delivered_at)
                row["status"] = "completed"
            elif rng.random() < 0.05:
                row["status"] = "cancelled"
            yield row


# --- the demo's past: weekly snapshots ----------------------------------------------------------------------
def weekly_as_of_dates(*, last: date, weeks: int) -> list[date]:
    """``weeks`` as-of dates a week apart, oldest first, the last one ``last``."""
    return [last - timedelta(days=7 * (weeks - 1 - k)) for k in range(weeks)]


def end_of_day(day: date) -> datetime:
    """Midnight (UTC) after ``day``: everything before it is known to a scoring run as of ``day``."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _moment(text: object) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None


def collaboration_as_of(row: dict[str, object], *, moment: datetime, data_end: datetime) -> dict[str, object] | None:
    """The invitation ``row`` (final state, from ``collaboration_rows``) as it stood at ``moment``; None before it
    was sent.

    Not answered yet: pending, without answer, due or delivery dates. Accepted but not delivered yet: accepted,
    without delivery. A cancellation is only known at the data's end (``data_end``), where the generator decided
    it; an invitation without an answer keeps its final status (pending and expired score alike). At
    ``moment >= data_end`` the row is returned unchanged.
    """
    invited_at = _moment(row["invited_at"])
    if invited_at is None or invited_at >= moment:
        return None
    if moment >= data_end:
        return dict(row)
    snapshot = dict(row)
    responded_at = _moment(row["responded_at"])
    if responded_at is None:
        return snapshot
    if responded_at > moment:
        snapshot.update(status="pending", responded_at="", due_at="", delivered_at="")
        return snapshot
    if row["status"] in ("completed", "cancelled"):
        delivered_at = _moment(row["delivered_at"])
        if delivered_at is None or delivered_at > moment:
            snapshot.update(status="accepted", delivered_at="")
    return snapshot
