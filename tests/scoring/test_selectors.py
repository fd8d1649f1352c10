"""Reading scores: the published run, a scorecard with its "why", impacts and history, the distribution."""

from __future__ import annotations

from datetime import timedelta

import pytest

from creators.models import Category, Creator
from scoring.catalogue import FIELDS_BY_NAME
from scoring.models import Scorecard
from scoring.selectors import overall_distribution, published_run, scorecard_detail
from tests.scoring.builders import AS_OF, days_before, make_creator, make_video, make_videos

pytestmark = pytest.mark.django_db


def test_there_is_no_published_run_before_the_first_run():
    assert published_run() is None


def _three_creators():
    star = make_creator("star", followers=50_000)
    make_videos(star, [0, 7, 14], views=1000, likes=200)
    make_video(star, days_before(1), views=4000, likes=1000, category="gaming", gmv="20.00")
    mid = make_creator("mid", followers=60_000)
    make_videos(mid, [1, 2, 3], views=1000, likes=100)
    low = make_creator("low", followers=70_000)
    make_videos(low, [1, 2, 3], views=1000, likes=10)
    return star


def test_scorecard_detail_explains_the_scores_in_a_bounded_number_of_queries(
    run_scoring, django_assert_max_num_queries
):
    star = _three_creators()
    run_scoring(as_of=AS_OF - timedelta(days=7))
    run = run_scoring()
    with django_assert_max_num_queries(3):
        detail = scorecard_detail(creator_id=star.pk, run=run)
    assert set(detail.values) <= set(FIELDS_BY_NAME)
    assert detail.values["videos"] == 4 and detail.values["effectiveness"] == 100.0
    eff = detail.references["effectiveness"]
    # Three creators in the 10k-100k tier: fewer than 20, so the reference group is everybody.
    assert (eff["key"], eff["n"]) == ("all", 3)
    assert eff["median"] == pytest.approx(0.1)  # engagement rates 0.01, 0.1 and 1600/7000: the middle one
    assert eff["raw"] == pytest.approx(detail.values["engagement_rate"])
    assert detail.references["sales"]["label"] == "all creators with known GMV"
    assert detail.references["volume"]["metrics"] == {"videos": 4}
    assert [i["category"] for i in detail.category_impacts] == ["gaming", "beauty"]  # highest impact first
    gaming = detail.category_impacts[0]
    assert gaming == {
        "category": "gaming", "name": "Gaming", "impact": 50.0, "impact_views": 4000, "impact_gmv": 20,
        "impact_videos": 1, "median_impact": 50.0,
    }
    assert [h["as_of"] for h in detail.history] == [AS_OF - timedelta(days=7), AS_OF]
    assert detail.history[-1]["run_id"] == run.pk and detail.history[-1]["overall"] == detail.values["overall"]
    assert set(detail.population_medians) >= {"volume", "overall"}


def test_history_has_one_point_per_as_of_date_the_latest_run_of_that_date(run_scoring):
    star = _three_creators()
    earlier = run_scoring(as_of=AS_OF - timedelta(days=7))
    run_scoring()
    # New data for the same date (an import after the first run of AS_OF): its run replaces that date's point.
    make_video(star, days_before(0, hour=20), views=9000, likes=3000)
    latest = run_scoring()
    detail = scorecard_detail(creator_id=star.pk, run=latest)
    assert [(h["run_id"], h["as_of"]) for h in detail.history] == [(earlier.pk, earlier.as_of), (latest.pk, AS_OF)]
    assert detail.history[-1]["volume"] == detail.values["volume"]


def test_scorecard_detail_reads_only_the_impacts_in_the_given_categories(run_scoring):
    star = _three_creators()
    run = run_scoring()
    detail = scorecard_detail(creator_id=star.pk, run=run, impact_categories=Category.objects.filter(slug="beauty"))
    assert [i["category"] for i in detail.category_impacts] == ["beauty"]


def test_scorecard_detail_of_a_creator_without_scorecard_raises(run_scoring):
    _three_creators()
    run = run_scoring()
    newcomer = make_creator("late")
    with pytest.raises(Scorecard.DoesNotExist):
        scorecard_detail(creator_id=newcomer.pk, run=run)


def test_overall_distribution_is_a_histogram_of_the_given_creators(run_scoring):
    _three_creators()
    run = run_scoring()
    overall = sorted(Scorecard.objects.filter(run=run).values_list("overall", flat=True))
    bins = overall_distribution(run=run)
    assert len(bins) == 20 and sum(b.count for b in bins) == 3
    for value in overall:
        index = min(int(value // 5), 19)
        assert bins[index].count >= 1
    star_overall = Scorecard.objects.get(run=run, creator__handle="star").overall
    only_star = overall_distribution(run=run, creators=Creator.objects.filter(handle="star"), bins=4)
    expected = [0, 0, 0, 0]
    expected[min(int(star_overall // 25), 3)] = 1
    assert [b.count for b in only_star] == expected and only_star[3].high == 100.0
