"""The ``tiktok2020_*`` adapters: hand-made files for each mapping rule, then the real 2020 export as it is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from creators.models import Category, Creator, Video
from creators.services import import_file
from tests.creators.import_helpers import db_state, lines, make_categories, make_creator, messages, write

pytestmark = pytest.mark.django_db

PROFILES_HEADER = (
    "Rank,Username,Country,Followers,Views,Likes,Engagement,Brand Account,Gender,Age,Ethnicity,Famous,Genre,LGBTQ"
)
VIDEOS_HEADER = (
    "id,create_time,user_name,hashtags,song,video_length,n_likes,n_shares,n_comments,n_plays,n_followers,"
    "n_total_likes,n_total_vids"
)


def _data_folder() -> Path:
    beside = Path(settings.BASE_DIR).parent / "shared" / "data" / "tiktok-2020"
    return beside if beside.is_dir() else Path("/work/shared/data/tiktok-2020")


DATA = _data_folder()


def profile(username: str, country: str = "U.S.A", followers: str = "1.5m", genre: str = "Comedy") -> str:
    return f'1,{username},{country},{followers},2m,1m,10%,0,Female,20,White,0,"{genre}",0'


def video(video_id: str, user: str, tags: str = "[]", followers: str = "1000", when: str = "1600000000") -> str:
    return f'{video_id},{when},{user},"{tags}",song,15,10,1,2,100,{followers},5000,40'


# --- tiktok2020_creators ------------------------------------------------------------------------------------------
def test_profiles_drop_the_at_sign_and_expand_abbreviated_counts(tmp_path):
    report = import_file(kind="tiktok2020_creators", path=write(tmp_path, lines(
        PROFILES_HEADER, profile("@big", followers="78.9m"), profile("@mid", followers="13.8k"),
        profile("@small", followers="950"),
    )), queue_scoring=False)
    assert report.ok, messages(report)
    followers = dict(Creator.objects.values_list("handle", "followers"))
    assert followers == {"big": 78_900_000, "mid": 13_800, "small": 950}
    assert Creator.objects.get(handle="big").external_id == "tiktok:big"


def test_genres_become_categories_first_is_primary_new_ones_created_empty_is_uncategorized(tmp_path):
    make_categories("comedy")
    report = import_file(kind="tiktok2020_creators", path=write(tmp_path, lines(
        PROFILES_HEADER,
        profile("@speaker", genre="Motivational Speaking, Comedy, motivational speaking"),
        profile("@nobody", genre=""),
    )), queue_scoring=False)
    assert report.ok, messages(report)
    assert report.extra["categories_created"] == 2
    speaker = Creator.objects.get(handle="speaker")
    assert speaker.primary_category.slug == "motivational-speaking"
    assert set(speaker.categories.values_list("slug", flat=True)) == {"motivational-speaking", "comedy"}
    assert Category.objects.get(slug="motivational-speaking").name == "Motivational Speaking"
    nobody = Creator.objects.get(handle="nobody")
    assert nobody.primary_category.slug == "uncategorized"
    assert list(nobody.categories.values_list("slug", flat=True)) == ["uncategorized"]


def test_countries_map_to_iso_codes(tmp_path):
    rows = [
        profile(f"@user{n}", country=country)
        for n, country in enumerate(["U.S.A", "U.K.", "U.A.E.", "India", "South Korea", "Russia", "Turkey", ""])
    ]
    report = import_file(kind="tiktok2020_creators", path=write(tmp_path, lines(PROFILES_HEADER, *rows)))
    assert report.ok, messages(report)
    countries = [Creator.objects.get(handle=f"user{n}").country for n in range(8)]
    assert countries == ["US", "GB", "AE", "IN", "KR", "RU", "TR", ""]


def test_an_unknown_country_is_an_error(tmp_path):
    before = db_state()
    report = import_file(kind="tiktok2020_creators", path=write(tmp_path, lines(
        PROFILES_HEADER, profile("@a", country="Atlantis"),
    )))
    assert messages(report) == ["line 2, column Country: 'Atlantis' is not a country this importer knows"]
    assert db_state() == before


def test_profiles_update_a_creator_known_by_handle_in_any_case(tmp_path):
    cats = make_categories("beauty")
    known = make_creator("crm-17", "BigStar", category=cats["beauty"], followers=10)
    report = import_file(kind="tiktok2020_creators", path=write(tmp_path, lines(
        PROFILES_HEADER, profile("@bigstar", followers="2k", genre="Makeup"),
    )))
    assert (report.created, report.updated) == (0, 1)
    known.refresh_from_db()
    # The external id stays; the handle takes the file's spelling; the genre replaces the categories.
    assert (known.external_id, known.handle, known.followers, known.primary_category.slug) == (
        "crm-17", "bigstar", 2000, "makeup",
    )
    assert list(known.categories.values_list("slug", flat=True)) == ["makeup"]


def test_demographic_columns_are_never_imported(tmp_path):
    report = import_file(kind="tiktok2020_creators", path=write(tmp_path, lines(
        PROFILES_HEADER, '1,@a,U.S.A,1k,2m,1m,10%,0,NOT-A-GENDER,not-an-age,???,0,"Comedy",not-a-flag',
    )))
    assert report.ok, messages(report)
    stored = " ".join(str(value) for row in db_state() for item in row for value in item)
    assert "NOT-A-GENDER" not in stored and "not-an-age" not in stored


def test_profiles_reject_duplicate_handles_and_bad_counts(tmp_path):
    before = db_state()
    report = import_file(kind="tiktok2020_creators", path=write(tmp_path, lines(
        PROFILES_HEADER, profile("@a"), profile("@A"), profile("@b", followers="lots"),
    )))
    assert messages(report) == [
        "line 3, column Username: duplicate key 'a': already on line 2",
        "line 4, column Followers: 'lots' is not a count (expected e.g. 950, 13.8k or 78.9m)",
    ]
    assert db_state() == before


# --- tiktok2020_videos --------------------------------------------------------------------------------------------
def test_videos_flag_sponsorship_and_shopping_hashtags_in_any_case(tmp_path):
    import_file(kind="tiktok2020_creators", path=write(tmp_path, lines(PROFILES_HEADER, profile("@maker")), "p.csv"))
    report = import_file(kind="tiktok2020_videos", path=write(tmp_path, lines(
        VIDEOS_HEADER,
        video("1", "maker", "['fyp', 'AD']"),
        video("2", "maker", "['TikTokMadeMeBuyIt', 'BrandPartner']"),
        video("3", "maker", "['adventure', 'shopping']"),
        video("4", "maker", ""),
    )))
    assert report.ok, messages(report)
    flags = {v.external_id: (v.is_sponsored, v.is_shoppable, v.hashtags) for v in Video.objects.all()}
    assert flags == {
        "1": (True, False, "fyp;AD"),
        "2": (True, True, "TikTokMadeMeBuyIt;BrandPartner"),
        "3": (False, False, "adventure;shopping"),
        "4": (False, False, ""),
    }
    first = Video.objects.get(external_id="1")
    assert (first.views, first.likes, first.comments, first.shares, first.duration_s) == (100, 10, 2, 1, 15)
    assert first.posted_at == datetime.fromtimestamp(1600000000, tz=UTC)
    # Sales are unknown in this export, never zero.
    assert (first.orders, first.gmv, first.product_category) == (None, None, None)


def test_videos_create_unknown_creators_and_update_the_followers_of_known_ones(tmp_path):
    import_file(kind="tiktok2020_creators", path=write(tmp_path, lines(
        PROFILES_HEADER, profile("@known", followers="1k"),
    ), "p.csv"))
    report = import_file(kind="tiktok2020_videos", path=write(tmp_path, lines(
        VIDEOS_HEADER,
        video("1", "known", followers="1500", when="1600000000"),
        video("2", "known", followers="1400", when="1500000000"),
        video("3", "Newbie", followers="12.3K"),
    )))
    assert report.ok, messages(report)
    assert report.extra == {"creators_created": 1, "creators_updated": 1}
    # The newest video's follower count wins.
    assert Creator.objects.get(handle="known").followers == 1500
    newbie = Creator.objects.get(handle="Newbie")
    assert (newbie.external_id, newbie.followers, newbie.primary_category.slug) == (
        "tiktok:newbie", 12300, "uncategorized",
    )
    assert list(newbie.categories.values_list("slug", flat=True)) == ["uncategorized"]
    assert Video.objects.get(external_id="3").creator == newbie


def test_videos_reject_a_hashtag_field_that_is_not_a_list_literal(tmp_path):
    before = db_state()
    report = import_file(kind="tiktok2020_videos", path=write(tmp_path, lines(
        VIDEOS_HEADER, video("1", "someone", "__import__('os')"), video("2", "someone", "['ok'"),
    )))
    assert messages(report) == [
        "line 2, column hashtags: \"__import__('os')\" is not a list of hashtags such as ['fyp', 'ad']",
        "line 3, column hashtags: \"['ok'\" is not a list of hashtags such as ['fyp', 'ad']",
    ]
    assert db_state() == before


# --- the real export ----------------------------------------------------------------------------------------------
@pytest.mark.skipif(not (DATA / "top_users_vids.csv").is_file(), reason=f"the TikTok 2020 export is not in {DATA}")
def test_the_real_2020_export_imports_as_it_is_and_reimports_unchanged():
    profiles = import_file(kind="tiktok2020_creators", path=DATA / "top-250-tiktokers.csv", queue_scoring=False)
    assert profiles.ok, messages(profiles)
    assert (profiles.rows, profiles.created) == (256, 256)
    assert Creator.objects.count() == 256
    charli = Creator.objects.get(handle="charlidamelio")
    assert (charli.followers, charli.country, charli.primary_category.slug) == (78_900_000, "US", "dancing")
    assert set(charli.categories.values_list("slug", flat=True)) == {"dancing", "lipsyncing", "lifestyle"}
    again = import_file(kind="tiktok2020_creators", path=DATA / "top-250-tiktokers.csv", queue_scoring=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 256)

    videos = import_file(kind="tiktok2020_videos", path=DATA / "top_users_vids.csv", queue_scoring=False)
    assert videos.ok, messages(videos)
    assert (videos.rows, videos.created) == (12_559, 12_559)
    # Every video author is in the profile file.
    assert videos.extra["creators_created"] == 0
    assert Creator.objects.count() == 256
    assert Video.objects.count() == 12_559
    sponsored = Video.objects.filter(is_sponsored=True)
    ad_tagged = [v for v in Video.objects.all() if "ad" in {tag.lower() for tag in v.hashtags.split(";")}]
    assert len(ad_tagged) == 139
    assert all(v.is_sponsored for v in ad_tagged)
    assert sponsored.count() >= 139
    assert not Video.objects.filter(gmv__isnull=False).exists()
    first = Video.objects.get(external_id="6892505037482822918")
    assert (first.creator.handle, first.views, first.likes, first.duration_s) == (
        "charlidamelio", 1_900_000, 480_800, 15,
    )

    state = db_state()
    again = import_file(kind="tiktok2020_videos", path=DATA / "top_users_vids.csv", queue_scoring=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 12_559)
    assert again.extra == {"creators_created": 0, "creators_updated": 0}
    assert db_state() == state
