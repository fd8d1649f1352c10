"""The demo generator's data looks like a real creator population and is deterministic by seed."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from creators import demo

END = datetime(2026, 6, 1, tzinfo=UTC)
START = END - timedelta(days=180)


def _tier(followers: int) -> int:
    return sum(followers >= bound for bound in (10_000, 100_000, 1_000_000, 10_000_000))


def test_it_is_deterministic_by_seed():
    first = list(demo.video_rows(demo.demo_creators(count=50, seed=3), seed=3, start=START, end=END))
    again = list(demo.video_rows(demo.demo_creators(count=50, seed=3), seed=3, start=START, end=END))
    other = list(demo.video_rows(demo.demo_creators(count=50, seed=4), seed=4, start=START, end=END))
    assert first == again
    assert first != other


def test_followers_cover_every_tier_with_a_heavy_tail():
    creators = demo.demo_creators(count=2000, seed=7)
    tiers = Counter(_tier(creator.followers) for creator in creators)
    assert set(tiers) == {0, 1, 2, 3, 4}
    # Heavy-tailed: each tier is smaller than the one below it.
    assert tiers[0] > tiers[1] > tiers[2] > tiers[3] > tiers[4] > 0


def test_commercial_propensities_differ_by_creator():
    creators = demo.demo_creators(count=500, seed=7)
    never = sum(creator.sponsored_p == 0 for creator in creators)
    mostly = sum(creator.sponsored_p > 0.5 for creator in creators)
    assert never > 50
    assert mostly > 20


def test_views_grow_with_followers_and_engagement_rates_fall():
    creators = demo.demo_creators(count=700, seed=11)
    by_tier: dict[int, list[dict]] = defaultdict(list)
    tier_of = {creator.external_id: _tier(creator.followers) for creator in creators}
    for row in demo.video_rows(creators, seed=11, start=START, end=END):
        by_tier[tier_of[row["creator"]]].append(row)
    median_views = [statistics.median(row["views"] for row in by_tier[tier]) for tier in range(4)]
    assert median_views == sorted(median_views)

    def rate(rows: list[dict]) -> float:
        views = sum(row["views"] for row in rows)
        return sum(row["likes"] + row["comments"] + row["shares"] for row in rows) / views

    assert rate(by_tier[0]) > rate(by_tier[3])


def test_posting_cadence_ranges_from_clockwork_to_erratic():
    creators = demo.demo_creators(count=300, seed=5)
    times: dict[str, list[datetime]] = defaultdict(list)
    for row in demo.video_rows(creators, seed=5, start=START, end=END):
        times[row["creator"]].append(datetime.fromisoformat(row["posted_at"]))
    cvs = []
    for posted in times.values():
        gaps = [(b - a).total_seconds() for a, b in zip(posted, posted[1:], strict=False)]
        if len(gaps) >= 5:
            cvs.append(statistics.pstdev(gaps) / statistics.mean(gaps))
    assert min(cvs) < 0.15
    assert max(cvs) > 1.0


def test_sales_only_on_shoppable_videos_and_sometimes_unknown():
    creators = demo.demo_creators(count=400, seed=9)
    rows = list(demo.video_rows(creators, seed=9, start=START, end=END))
    assert all(row["is_shoppable"] == "true" for row in rows if row["gmv"] != "")
    shoppable = [row for row in rows if row["is_shoppable"] == "true"]
    unknown = [row for row in shoppable if row["gmv"] == ""]
    assert 0 < len(unknown) < len(shoppable)
    assert all(START <= datetime.fromisoformat(row["posted_at"]) < END for row in rows)


def test_invitations_have_varied_outcomes_and_never_end_in_the_future():
    creators = demo.demo_creators(count=400, seed=9)
    rows = list(demo.collaboration_rows(creators, seed=9, start=START, end=END))
    statuses = Counter(row["status"] for row in rows)
    assert {"pending", "declined", "accepted", "completed", "expired"} <= set(statuses)
    for row in rows:
        for column in ("invited_at", "responded_at", "delivered_at"):
            if row[column]:
                assert datetime.fromisoformat(row[column]) <= END
    completed = [row for row in rows if row["status"] == "completed"]
    on_time = sum(row["delivered_at"] <= row["due_at"] for row in completed)
    assert 0 < on_time < len(completed)


def test_there_are_at_least_twelve_categories():
    assert len(demo.DEMO_CATEGORIES) >= 12
