"""The real 2020 TikTok export (../shared/data/tiktok-2020/), imported with the importers, scored as of 2020-11-07."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Max

from creators.models import Collaboration, Video
from creators.services import import_file
from scoring import definitions
from scoring.choices import NullReason
from scoring.models import Scorecard, ScoringRun
from scoring.services import scoring_run_request

pytestmark = pytest.mark.django_db


def _data_folder() -> Path:
    beside = Path(settings.BASE_DIR).parent / "shared" / "data" / "tiktok-2020"
    return beside if beside.is_dir() else Path("/work/shared/data/tiktok-2020")


DATA = _data_folder()

# Counted by hand from top_users_vids.csv: videos with create_time in 2020-08-10 00:00 .. 2020-11-07 23:59:59 UTC,
# sum of n_plays, and sum of n_likes + n_comments + n_shares.
HAND_CHECKED = {
    "charlidamelio": (50, 1_720_400_000, 311_450_066),
    "addisonre": (50, 2_004_500_000, 293_161_592),
    "zachking": (25, 465_200_000, 63_329_883),
}


def _need_data() -> None:
    if not (DATA / "top_users_vids.csv").is_file():
        pytest.skip(f"the real TikTok 2020 data is not at {DATA}")


@pytest.fixture
def tiktok_run(django_capture_on_commit_callbacks):
    _need_data()
    for kind, name in (("tiktok2020_creators", "top-250-tiktokers.csv"), ("tiktok2020_videos", "top_users_vids.csv")):
        report = import_file(kind=kind, path=DATA / name, queue_scoring=False)
        assert report.ok, report.errors[:5]
    with django_capture_on_commit_callbacks(execute=True):
        run = scoring_run_request(triggered_by="test")
    run.refresh_from_db()
    return run


def test_the_real_data_scores_as_of_its_newest_video(tiktok_run):
    run = tiktok_run
    assert (run.status, run.as_of, run.window_days) == ("succeeded", date(2020, 11, 7), 90)
    cards = {sc.creator.handle: sc for sc in Scorecard.objects.filter(run=run).select_related("creator")}
    assert len(cards) == run.creators_count >= 254

    # No GMV anywhere: sales is insufficient for every creator, never a made-up number.
    assert all(sc.sales is None and sc.gmv is None and sc.gpm is None for sc in cards.values())
    assert not run.medians["groups"].get("sales")

    # No brand deals either: collaboration comes only from the sponsored share (smoothed), the rest being the
    # pooled-rate-free constant 0.15 x 0.5 for "nothing answered".
    assert not Collaboration.objects.exists()
    m = run.medians["pooled"]["sponsored_share"]
    assert run.medians["pooled"]["acceptance"] == 0.0 and 0 < m < 1
    scored = [sc for sc in cards.values() if sc.collaboration is not None]
    assert scored and all(sc.videos >= 3 and sc.invitations == 0 for sc in scored)
    for sc in scored:
        sponsored = round(sc.sponsored_share * sc.videos)
        assert sc.collaboration_raw == pytest.approx(0.15 * 0.5 + 0.15 * (sponsored + 5 * m) / (sc.videos + 5))
    by_share = sorted(scored, key=lambda sc: (sc.sponsored_share * sc.videos + 5 * m) / (sc.videos + 5))
    assert [sc.collaboration for sc in by_share] == sorted(sc.collaboration for sc in scored)
    assert all(sc.collaboration is None for sc in cards.values() if sc.videos < 3)

    for handle, (videos, views, engagements) in HAND_CHECKED.items():
        sc = cards[handle]
        assert (sc.videos, sc.views, sc.engagements) == (videos, views, engagements), handle
        assert sc.engagement_rate == pytest.approx(engagements / views)
        assert sc.volume_raw == pytest.approx(videos / 13)
    # Equal video counts share a volume rank; more videos rank higher.
    assert cards["charlidamelio"].volume == cards["addisonre"].volume > cards["zachking"].volume


def test_no_shop_links_give_care_no_signal_not_zero(tiktok_run):
    # The export has no shop links: every care raw score is the same, so no creator gets a care index (nor the
    # "Care 0.0 HIGH" this once showed), and the overall comes from the indices present.
    cards = list(Scorecard.objects.filter(run=tiktok_run))
    scored = [sc for sc in cards if sc.videos >= 3]
    assert scored and len({sc.care_raw for sc in scored}) == 1
    assert all(sc.care is None for sc in cards)
    assert {definitions.null_reason(value=sc.care, raw=sc.care_raw) for sc in scored} == {NullReason.NO_SIGNAL}
    assert all(sc.overall is not None for sc in scored if sc.volume is not None and sc.effectiveness is not None
               and sc.consistency is not None)


def test_importing_the_creators_then_the_videos_leaves_one_run_per_as_of(django_capture_on_commit_callbacks):
    _need_data()
    for kind, name in (("tiktok2020_creators", "top-250-tiktokers.csv"), ("tiktok2020_videos", "top_users_vids.csv")):
        with django_capture_on_commit_callbacks(execute=True):
            report = import_file(kind=kind, path=DATA / name)  # each import requests its own run
        assert report.ok, report.errors[:5]
        if kind == "tiktok2020_creators":
            assert not ScoringRun.objects.exists(), "no video yet: nothing to score"
    newest = Video.objects.aggregate(newest=Max("posted_at"))["newest"].date()
    runs = list(ScoringRun.objects.values_list("as_of", "status"))
    assert len(runs) == len({as_of for as_of, _ in runs})
    assert runs == [(newest, "succeeded")]
