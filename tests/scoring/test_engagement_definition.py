"""One definition of engagement (``scoring.definitions.ENGAGEMENT_COUNTS``): the run's SQL over a window and the
per-video ORM expression of the recent-content list give the same engagement rate for the same videos."""

from __future__ import annotations

import pytest

from creators.models import Video
from scoring.expressions import video_engagement_rate
from tests.scoring.builders import days_before, make_creator, make_video

pytestmark = pytest.mark.django_db


def test_the_runs_engagement_rate_of_one_video_is_the_videos_own(run_scoring, cards):
    # Odd counts, so that a term left out or counted twice changes the rate.
    solo = make_creator("solo")
    video = make_video(solo, days_before(2), views=7919, likes=311, comments=47, shares=13)
    silent = make_creator("silent")
    make_video(silent, days_before(3), views=0, likes=0, comments=0, shares=0)

    card = cards(run_scoring())["solo"]
    per_video = Video.objects.annotate(rate=video_engagement_rate()).get(pk=video.pk).rate

    assert card.engagements == 311 + 47 + 13
    assert per_video == pytest.approx(card.engagement_rate, rel=1e-12)
    assert per_video == pytest.approx((311 + 47 + 13) / 7919, rel=1e-12)
    # No views: no rate, in both.
    assert Video.objects.annotate(rate=video_engagement_rate()).get(creator=silent).rate is None
    assert cards(run_scoring())["silent"].engagement_rate is None
