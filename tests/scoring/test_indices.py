"""Every index and rule of DESIGN section 5 on hand-made data where each number is checked by hand."""

from __future__ import annotations

import pytest

from scoring import definitions
from scoring.models import CategoryImpact
from tests.scoring.builders import days_before, make_collaboration, make_creator, make_video, make_videos

pytestmark = pytest.mark.django_db


def test_collaboration_with_pooled_smoothing_and_responsiveness(run_scoring, cards):
    # x: 4 invitations (2 accepted, 2 due of which 1 on time, answers after 10, 30 and 50 h), 3 plain videos.
    x = make_creator("x")
    due = days_before(1)
    make_collaboration(x, days_before(20), status="accepted", responded_after_h=10, due_at=due, delivered_at=due)
    make_collaboration(x, days_before(21), status="completed", responded_after_h=30, due_at=due)
    make_collaboration(x, days_before(22), status="declined", responded_after_h=50)
    make_collaboration(x, days_before(23), status="pending")
    make_videos(x, [1, 2, 3])
    # y: no invitations, 3 videos of which 1 sponsored.
    y = make_creator("y")
    make_videos(y, [1, 2])
    make_video(y, days_before(3), sponsored=True)
    # z: no invitations and fewer than 3 videos: insufficient.
    z = make_creator("z")
    make_videos(z, [1, 2])
    # w: one unanswered invitation, no video: scored (it has an invitation).
    w = make_creator("w")
    make_collaboration(w, days_before(5), status="pending")

    run = run_scoring()
    sc = cards(run)
    # Pooled: acceptance 2/5, on time 1/2, sponsored 1/8 videos.
    assert run.medians["pooled"]["acceptance"] == pytest.approx(0.4)
    assert run.medians["pooled"]["on_time"] == pytest.approx(0.5)
    assert run.medians["pooled"]["sponsored_share"] == pytest.approx(0.125)
    # x: acceptance_s (2+2)/9, on_time_s (1+2.5)/7, responsiveness (168-30)/144, sponsored_s 0.625/8
    assert sc["x"].collaboration_raw == pytest.approx(0.45 * 4 / 9 + 0.25 * 0.5 + 0.15 * 138 / 144 + 0.15 * 0.078125)
    # y: n = 0 gives the pooled rates; nothing answered gives responsiveness 0.5; sponsored_s (1+0.625)/8
    assert sc["y"].collaboration_raw == pytest.approx(0.45 * 0.4 + 0.25 * 0.5 + 0.15 * 0.5 + 0.15 * 0.203125)
    # w: acceptance_s 2/6, sponsored_s with no videos is the pooled 0.125
    assert sc["w"].collaboration_raw == pytest.approx(0.45 / 3 + 0.25 * 0.5 + 0.15 * 0.5 + 0.15 * 0.125)
    assert sc["z"].collaboration is None and sc["z"].collaboration_raw is None
    assert (sc["w"].collaboration, sc["y"].collaboration, sc["x"].collaboration) == (0.0, 50.0, 100.0)


def test_pooled_rate_is_zero_when_nobody_has_invitations(run_scoring, cards):
    a = make_creator("a")
    make_videos(a, [1, 2, 3])
    run = run_scoring()
    assert run.medians["pooled"]["acceptance"] == 0.0
    # Only responsiveness (0.5) and sponsored share (none) remain.
    assert cards(run)["a"].collaboration_raw == pytest.approx(0.15 * 0.5)


@pytest.mark.parametrize(
    ("hours", "expected"), [(None, 0.5), (0, 1.0), (24, 1.0), (96, 0.5), (168, 0.0), (500, 0.0)]
)
def test_responsiveness_is_linear_between_a_day_and_a_week(hours, expected):
    assert definitions.responsiveness(hours) == pytest.approx(expected)


def test_smoothing_with_no_observations_gives_the_pooled_rate():
    assert definitions.smoothed(0, 0, 0.3) == pytest.approx(0.3)
    assert definitions.smoothed(5, 5, 0.0) == pytest.approx(0.5)


def test_care_is_the_smoothed_shoppable_share_and_needs_three_videos(run_scoring, cards):
    a = make_creator("a")
    make_videos(a, [1, 2], shoppable=True)
    make_videos(a, [3, 4])
    b = make_creator("b")
    make_videos(b, [1, 2, 3, 4])
    c = make_creator("c")
    make_videos(c, [1, 2], shoppable=True)
    sc = cards(run_scoring())
    # pooled shoppable: 4 of 10 videos
    assert sc["a"].care_raw == pytest.approx((2 + 5 * 0.4) / 9)
    assert sc["b"].care_raw == pytest.approx((0 + 5 * 0.4) / 9)
    assert (sc["a"].care, sc["b"].care) == (100.0, 0.0)
    assert sc["c"].care is None


def test_volume_ties_share_a_rank(run_scoring, cards):
    for handle, n in (("two_a", 2), ("two_b", 2), ("four", 4), ("none", 0)):
        creator = make_creator(handle)
        make_videos(creator, list(range(n)))
    sc = cards(run_scoring())
    assert sc["none"].volume == 0.0
    assert sc["two_a"].volume == pytest.approx(100 / 3)
    assert sc["two_b"].volume == pytest.approx(100 / 3)
    assert sc["four"].volume == 100.0
    assert sc["four"].volume_raw == pytest.approx(4 / 13)


def test_a_group_of_one_scores_fifty(run_scoring, cards):
    seller = make_creator("seller")
    make_videos(seller, [1, 2], views=2000, gmv="30.00")
    other = make_creator("other")
    make_videos(other, [1, 2, 3])
    sc = cards(run_scoring())
    assert sc["seller"].sales == 50.0
    assert sc["seller"].gpm == pytest.approx(15.0)  # 60.00 over 4,000 views
    assert sc["other"].sales is None


def test_effectiveness_ranks_within_tier_and_falls_back_below_twenty(run_scoring, cards):
    for i in range(1, 21):  # 20 creators in 100k-1M with rates 0.01 .. 0.20
        creator = make_creator(f"mid{i}", followers=500_000)
        make_videos(creator, [1, 2, 3], views=1000, likes=i * 10)
    for handle, likes in (("small_a", 105), ("small_b", 155)):  # 2 creators under 10k: fall back to everybody
        creator = make_creator(handle, followers=5_000)
        make_videos(creator, [1, 2, 3], views=1000, likes=likes)
    run = run_scoring()
    sc = cards(run)
    assert sc["mid20"].effectiveness == 100.0
    assert sc["mid10"].effectiveness == pytest.approx(100 * 9 / 19)
    assert sc["small_a"].effectiveness == pytest.approx(100 * 10 / 21)
    assert sc["small_b"].effectiveness == pytest.approx(100 * 16 / 21)
    assert sc["small_a"].follower_tier == 0 and sc["mid1"].follower_tier == 2
    groups = run.medians["groups"]["effectiveness"]
    assert groups["tier:0"]["fallback"] is True
    assert groups["tier:2"]["fallback"] is False and groups["tier:2"]["n"] == 20
    assert groups["tier:2"]["median"] == pytest.approx(0.105)


@pytest.mark.parametrize(
    ("followers", "tier"),
    [(None, 0), (0, 0), (9_999, 0), (10_000, 1), (99_999, 1), (100_000, 2), (1_000_000, 3), (10_000_000, 3),
     (10_000_001, 4)],
)
def test_follower_tier_boundaries(followers, tier, run_scoring, cards):
    assert definitions.follower_tier(followers) == tier
    make_video(make_creator("a", followers=followers), days_before(1))  # a run needs a video to start
    assert cards(run_scoring())["a"].follower_tier == tier


def test_effectiveness_needs_three_videos_and_views(run_scoring, cards):
    no_views = make_creator("no_views")
    make_videos(no_views, [1, 2, 3], views=0, likes=5)
    few = make_creator("few")
    make_videos(few, [1, 2], likes=5)
    ok = make_creator("ok")
    make_videos(ok, [1, 2, 3], likes=5)
    sc = cards(run_scoring())
    assert sc["no_views"].effectiveness is None
    assert sc["few"].effectiveness is None
    assert sc["ok"].effectiveness == 50.0


def test_consistency_combines_active_weeks_and_regularity(run_scoring, cards):
    weekly = make_creator("weekly")
    make_videos(weekly, [0, 7, 14, 21])  # 4 active weeks, regular gaps
    bursty = make_creator("bursty")
    make_videos(bursty, [10, 8, 2])  # weeks 0 and 1, gap_cv 0.5
    few = make_creator("few")
    make_videos(few, [1, 8])
    sc = cards(run_scoring())
    assert sc["weekly"].consistency_raw == pytest.approx(0.6 * 4 / 13 + 0.4 * 1.0)
    assert sc["bursty"].consistency_raw == pytest.approx(0.6 * 2 / 13 + 0.4 * 0.5)
    assert (sc["weekly"].consistency, sc["bursty"].consistency) == (100.0, 0.0)
    assert sc["few"].consistency is None


def test_confidence_bands(run_scoring, cards):
    high = make_creator("high")
    make_videos(high, list(range(12)))
    for i in range(5):
        make_collaboration(high, days_before(i + 1), status="accepted")
    high_videos_only = make_creator("hvo")
    make_videos(high_videos_only, list(range(12)))
    medium = make_creator("medium")
    make_videos(medium, list(range(6)))
    low = make_creator("low")
    make_videos(low, list(range(5)))
    sc = cards(run_scoring())
    assert (sc["high"].confidence, sc["high"].collaboration_confidence) == ("high", "high")
    assert (sc["hvo"].confidence, sc["hvo"].collaboration_confidence) == ("high", "medium")
    assert (sc["medium"].confidence, sc["low"].confidence) == ("medium", "low")


def test_overall_renormalises_weights_and_needs_three_indices(run_scoring, cards):
    a = make_creator("a")  # more videos, regular, shoppable, lower engagement, not sponsored
    make_videos(a, [0, 7, 14, 21], views=1000, likes=50, shoppable=True)
    b = make_creator("b")  # fewer videos, sponsored, higher engagement
    make_videos(b, [0, 1, 2], views=1000, likes=100, sponsored=True)
    c = make_creator("c")  # one video: only volume
    make_videos(c, [5])
    sc = cards(run_scoring())
    a_card, b_card = sc["a"], sc["b"]
    assert (a_card.collaboration, a_card.care, a_card.volume, a_card.effectiveness, a_card.consistency) == (
        0.0, 100.0, 100.0, 0.0, 100.0,
    )
    assert (b_card.collaboration, b_card.care, b_card.volume, b_card.effectiveness, b_card.consistency) == (
        100.0, 0.0, 50.0, 100.0, 0.0,
    )
    assert a_card.sales is None and b_card.sales is None
    # Sales is missing everywhere: the weights renormalise over 0.8.
    assert a_card.overall == pytest.approx((0.15 * 100 + 0.10 * 100 + 0.15 * 100) / 0.8)
    assert b_card.overall == pytest.approx((0.20 * 100 + 0.10 * 50 + 0.20 * 100) / 0.8)
    assert sc["c"].volume == 0.0 and sc["c"].overall is None


def test_category_impact_blends_views_and_gmv_where_gmv_is_known(run_scoring):
    p = make_creator("p", category="beauty")
    make_videos(p, [1, 2], views=100)  # no product category: the creator's primary category
    q = make_creator("q", category="fashion")
    make_video(q, days_before(1), views=500, category="beauty", gmv="10.00")
    r = make_creator("r", category="beauty")
    make_video(r, days_before(1), views=50)
    s = make_creator("s", category="fashion")
    make_video(s, days_before(1), views=10)
    t = make_creator("t", category="gaming")
    make_video(t, days_before(1), views=100)
    u = make_creator("u", category="gaming")
    make_video(u, days_before(1), views=300)
    run = run_scoring()
    impacts = {
        (i.creator.handle, i.category.slug): i for i in CategoryImpact.objects.filter(run=run).select_related(
            "creator", "category"
        )
    }
    # beauty has known GMV: 0.5·pct(views) + 0.5·pct(GMV, unknown counted 0)
    assert impacts[("p", "beauty")].impact == pytest.approx(0.5 * 50 + 0.5 * 0)
    assert impacts[("q", "beauty")].impact == pytest.approx(100.0)
    assert impacts[("r", "beauty")].impact == pytest.approx(0.0)
    assert impacts[("q", "beauty")].gmv == 10 and impacts[("p", "beauty")].gmv is None
    assert (impacts[("p", "beauty")].views, impacts[("p", "beauty")].videos) == (200, 2)
    # q's only video is a beauty product: no impact in its primary category
    assert ("q", "fashion") not in impacts
    assert impacts[("s", "fashion")].impact == 50.0  # a group of one
    # gaming: nobody has known GMV: views only
    assert (impacts[("t", "gaming")].impact, impacts[("u", "gaming")].impact) == (0.0, 100.0)
    assert run.medians["categories"]["beauty"]["n"] == 3
    assert run.medians["categories"]["beauty"]["impact"] == pytest.approx(25.0)  # impacts 0, 25 and 100
