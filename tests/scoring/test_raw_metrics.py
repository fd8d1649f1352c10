"""Raw metrics over the window, checked by hand on tiny data sets (DESIGN section 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.scoring.builders import AS_OF, at, days_before, make_collaboration, make_creator, make_video, make_videos

pytestmark = pytest.mark.django_db


def test_window_is_inclusive_by_utc_date(run_scoring, cards):
    a = make_creator("a")
    first_day = AS_OF - timedelta(days=89)
    make_video(a, datetime.combine(first_day, datetime.min.time(), tzinfo=UTC))  # T-89 00:00: in
    make_video(a, at(first_day, 0) - timedelta(seconds=1))  # T-90 23:59:59: out
    make_video(a, at(AS_OF, 23, 59) + timedelta(seconds=59))  # T 23:59:59: in
    make_video(a, at(AS_OF + timedelta(days=1), 0))  # T+1 00:00: out
    run = run_scoring()
    assert run.status == "succeeded"
    assert cards(run)["a"].videos == 2


def test_sums_rates_and_known_gmv(run_scoring, cards):
    a = make_creator("a")
    make_video(a, days_before(0), views=1000, likes=100, comments=20, shares=30)
    make_video(a, days_before(7), views=3000, likes=200, sponsored=True)
    make_video(a, days_before(14), views=1000, likes=50, shoppable=True, gmv="12.50", orders=2)
    b = make_creator("b")
    make_videos(b, [1, 2, 3], views=0)
    sc = cards(run_scoring())
    a_card, b_card = sc["a"], sc["b"]
    assert (a_card.videos, a_card.views, a_card.engagements) == (3, 5000, 400)
    assert a_card.engagement_rate == pytest.approx(0.08)
    assert a_card.sponsored_share == pytest.approx(1 / 3)
    assert a_card.shoppable_share == pytest.approx(1 / 3)
    # GMV and orders over the one video with known GMV; GPM per 1,000 views of those videos only.
    assert a_card.gmv == Decimal("12.50")
    assert a_card.orders == 2
    assert a_card.gpm == pytest.approx(12.5)
    # Unknown is not zero.
    assert b_card.gmv is None and b_card.orders is None and b_card.gpm is None
    assert b_card.engagement_rate is None  # no views


def test_active_weeks_follow_the_week_boundaries(run_scoring, cards):
    same_week = make_creator("same")
    make_videos(same_week, [0, 6])  # both in week 0 (days T-6 .. T)
    two_weeks = make_creator("two")
    make_videos(two_weeks, [6, 7])  # week 0 and week 1
    spread = make_creator("spread")
    make_videos(spread, [0, 13, 14, 89])  # weeks 0, 1, 2 and 12
    sc = cards(run_scoring())
    assert sc["same"].active_weeks == 1
    assert sc["two"].active_weeks == 2
    assert sc["spread"].active_weeks == 4


def test_gap_cv_is_population_cv_of_gaps_in_hours(run_scoring, cards):
    a = make_creator("a")
    make_videos(a, [10, 8, 2])  # gaps 48 h and 144 h: mean 96, population std 48
    regular = make_creator("regular")
    make_videos(regular, [9, 6, 3, 0])  # three gaps of 72 h
    single = make_creator("single")
    make_videos(single, [5])
    sc = cards(run_scoring())
    assert sc["a"].gap_cv == pytest.approx(0.5)
    assert sc["regular"].gap_cv == pytest.approx(0.0, abs=1e-9)
    assert sc["single"].gap_cv is None


def test_collaboration_counts_and_median_response(run_scoring, cards):
    x = make_creator("x")
    due = days_before(1)
    make_collaboration(x, days_before(20), status="accepted", responded_after_h=10, due_at=due, delivered_at=due)
    make_collaboration(
        x, days_before(30), status="completed", responded_after_h=30, due_at=due, delivered_at=due + timedelta(hours=1)
    )
    make_collaboration(x, days_before(40), status="declined", responded_after_h=50)
    make_collaboration(x, days_before(50), status="pending")
    make_collaboration(x, days_before(95), status="accepted", responded_after_h=1)  # before the window
    even = make_creator("even")
    make_collaboration(even, days_before(5), status="declined", responded_after_h=10)
    make_collaboration(even, days_before(6), status="declined", responded_after_h=30)
    make_video(even, days_before(1))  # a run needs a video to start
    sc = cards(run_scoring())
    card = sc["x"]
    assert (card.invitations, card.accepted, card.responded, card.due, card.on_time) == (4, 2, 3, 2, 1)
    assert card.median_response_h == pytest.approx(30.0)
    assert sc["even"].median_response_h == pytest.approx(20.0)


def test_a_creator_without_videos_gets_a_scorecard_with_volume_zero(run_scoring, cards):
    make_creator("idle")
    busy = make_creator("busy")
    make_videos(busy, [1])
    run = run_scoring()
    idle = cards(run)["idle"]
    assert run.creators_count == 2
    assert idle.videos == 0 and idle.volume == 0.0
    assert idle.care is None and idle.effectiveness is None and idle.consistency is None
    assert idle.collaboration is None and idle.sales is None and idle.overall is None
    assert idle.confidence == "low"
