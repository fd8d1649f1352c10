"""Every import rule of DESIGN section 4, each on a small hand-made file: the exact error text, and nothing
written when the file is rejected."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from creators.models import Collaboration, Creator, Video
from creators.services import IMPORT_KINDS, import_file
from tests.creators.import_helpers import (
    COLLABORATIONS_HEADER,
    CREATORS_HEADER,
    VIDEOS_HEADER,
    db_state,
    lines,
    make_categories,
    make_creator,
    messages,
    write,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def categories():
    return make_categories("beauty", "fashion", "gaming")


@pytest.fixture
def alice(categories):
    return make_creator("c-alice", "Alice", category=categories["beauty"])


def rejected(tmp_path, kind: str, text: str | bytes) -> list[str]:
    """Import ``text`` as ``kind``, check it was rejected with nothing written, return the error texts."""
    before = db_state()
    report = import_file(kind=kind, path=write(tmp_path, text), queue_scoring=False)
    assert not report.ok
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert db_state() == before
    return messages(report)


def video_row(
    external_id: str = "v1", creator: str = "c-alice", posted_at: str = "2024-05-01T10:00:00Z", views: str = "100",
    likes: str = "10", comments: str = "2", shares: str = "1", rest: str = ",,,,,,,",
) -> str:
    return f"{external_id},{creator},{posted_at},{views},{likes},{comments},{shares}{rest}"


# --- kinds and the report ---------------------------------------------------------------------------------------
def test_it_offers_the_five_kinds_of_the_design_and_categories():
    assert set(IMPORT_KINDS) == {
        "categories", "creators", "videos", "collaborations", "tiktok2020_videos", "tiktok2020_creators",
    }


def test_an_unknown_kind_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError, match="unknown import kind 'films'"):
        import_file(kind="films", path=write(tmp_path, "a\n"))


# --- creators -----------------------------------------------------------------------------------------------------
def test_it_creates_creators_with_categories_and_reimport_changes_nothing(tmp_path, categories):
    path = write(tmp_path, lines(
        CREATORS_HEADER,
        'c1,@Alice,beauty,"Alice, ""the"" A",us,fashion;beauty,1200',
        "c2,bob,gaming,,,,",
    ))
    report = import_file(kind="creators", path=path, queue_scoring=False)
    assert report.ok, messages(report)
    assert (report.rows, report.created, report.updated, report.unchanged) == (2, 2, 0, 0)
    alice = Creator.objects.get(external_id="c1")
    assert (alice.handle, alice.display_name, alice.country, alice.followers) == ("Alice", 'Alice, "the" A', "US", 1200)
    assert alice.primary_category.slug == "beauty"
    assert set(alice.categories.values_list("slug", flat=True)) == {"beauty", "fashion"}
    assert alice.source == "creators"
    bob = Creator.objects.get(external_id="c2")
    assert (bob.followers, bob.country, list(bob.categories.values_list("slug", flat=True))) == (None, "", ["gaming"])

    before = db_state()
    again = import_file(kind="creators", path=path, queue_scoring=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert db_state() == before


def test_it_updates_changed_creators_only_and_stamps_their_data_time(tmp_path, categories):
    import_file(kind="creators", path=write(tmp_path, lines(
        CREATORS_HEADER, "c1,alice,beauty,,US,fashion,100", "c2,bob,gaming,,,,5",
    )), queue_scoring=False)
    Creator.objects.update(data_updated_at=datetime(2024, 1, 1, tzinfo=UTC))
    report = import_file(kind="creators", path=write(tmp_path, lines(
        CREATORS_HEADER, "c1,alice,beauty,,US,gaming,100", "c2,bob,gaming,,,,5",
    )), queue_scoring=False)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    alice, bob = Creator.objects.get(external_id="c1"), Creator.objects.get(external_id="c2")
    # The category set changed: fashion left, gaming joined.
    assert set(alice.categories.values_list("slug", flat=True)) == {"beauty", "gaming"}
    assert alice.data_updated_at > datetime(2025, 1, 1, tzinfo=UTC)
    assert bob.data_updated_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_it_rejects_an_unknown_category_in_the_generic_kinds(tmp_path, categories):
    errors = rejected(
        tmp_path, "creators", lines(CREATORS_HEADER, "c1,alice,cooking,,,,", "c2,bob,beauty,,,gaming;toys,")
    )
    assert errors == [
        "line 2, column primary_category: unknown category 'cooking' (known categories: beauty, fashion, gaming); "
        "add it first with a categories file (slug,name), e.g. `manage.py import_data categories categories.csv`",
        "line 3, column categories: unknown category 'toys' (known categories: beauty, fashion, gaming); "
        "add it first with a categories file (slug,name), e.g. `manage.py import_data categories categories.csv`",
    ]


def test_it_rejects_duplicate_keys_and_handles_in_one_file(tmp_path, categories):
    errors = rejected(tmp_path, "creators", lines(
        CREATORS_HEADER, "c1,alice,beauty,,,,", "c2,ALICE,beauty,,,,", "c1,carol,beauty,,,,",
    ))
    assert errors == [
        "line 3, column handle: duplicate handle 'alice': already on line 2",
        "line 4, column external_id: duplicate key 'c1': already on line 2",
    ]


def test_it_rejects_a_handle_that_belongs_to_another_creator(tmp_path, alice):
    errors = rejected(tmp_path, "creators", lines(CREATORS_HEADER, "c-new,alice,beauty,,,,"))
    assert errors == ["line 2, column handle: handle 'alice' belongs to another creator (external id 'c-alice')"]


def test_it_rejects_bad_creator_values_all_at_once(tmp_path, categories):
    errors = rejected(tmp_path, "creators", lines(
        CREATORS_HEADER, ",bad handle!,beauty,,Narnia,,-3", "c2,ok,,,,,12x",
    ))
    assert errors == [
        "line 2, column country: 'Narnia' is not an ISO 3166-1 alpha-2 country code such as US or GB",
        "line 2, column external_id: a value is required",
        "line 2, column followers: must not be negative, got '-3'",
        "line 2, column handle: 'bad handle!' is not a valid handle (letters, digits, '.', '_' and '-', "
        "at most 64 characters)",
        "line 3, column followers: '12x' is not a whole number",
        "line 3, column primary_category: a value is required",
    ]


# --- videos -------------------------------------------------------------------------------------------------------
def test_it_creates_videos_by_creator_external_id_or_handle_in_any_case(tmp_path, alice, categories):
    path = write(tmp_path, lines(
        VIDEOS_HEADER,
        "v1,c-alice,2024-05-01T14:30:00Z,100,10,1,0,true,false,,,,15,fyp;#ad",
        "v2,@ALICE,1700000000,200,20,2,1,,yes,beauty,3,12.5,,",
        "v3,alice,2024-05-02 08:00:00,0,0,0,0,0,1,gaming,0,0,,",
    ))
    report = import_file(kind="videos", path=path, queue_scoring=False)
    assert report.ok, messages(report)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    v1, v2, v3 = (Video.objects.get(external_id=key) for key in ("v1", "v2", "v3"))
    assert {v1.creator_id, v2.creator_id, v3.creator_id} == {alice.pk}
    assert v1.posted_at == datetime(2024, 5, 1, 14, 30, tzinfo=UTC)
    assert (v1.is_sponsored, v1.is_shoppable, v1.hashtags, v1.orders, v1.gmv, v1.duration_s) == (
        True, False, "fyp;ad", None, None, 15,
    )
    # Unix seconds, and a time without zone is UTC.
    assert v2.posted_at == datetime.fromtimestamp(1700000000, tz=UTC)
    assert v3.posted_at == datetime(2024, 5, 2, 8, tzinfo=UTC)
    assert (v2.is_shoppable, v2.product_category.slug, v2.orders, v2.gmv) == (True, "beauty", 3, Decimal("12.50"))
    # Zero is a known value, not unknown.
    assert (v3.orders, v3.gmv) == (0, Decimal("0.00"))

    before = db_state()
    again = import_file(kind="videos", path=path, queue_scoring=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert db_state() == before


def test_changed_videos_update_and_stamp_their_creators(tmp_path, alice, categories):
    bob = make_creator("c-bob", "bob", category=categories["gaming"])
    carol = make_creator("c-carol", "carol", category=categories["gaming"])
    import_file(kind="videos", path=write(tmp_path, lines(
        VIDEOS_HEADER, video_row("v1", "c-alice"), video_row("v2", "c-bob"), video_row("v3", "c-carol"),
    )), queue_scoring=False)
    Creator.objects.update(data_updated_at=datetime(2024, 1, 1, tzinfo=UTC))
    report = import_file(kind="videos", path=write(tmp_path, lines(
        # v1 gains views; v2 moves from bob to carol; v3 is unchanged.
        VIDEOS_HEADER, video_row("v1", "c-alice", views="150"), video_row("v2", "c-carol"), video_row("v3", "c-carol"),
    )), queue_scoring=False)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    assert Video.objects.get(external_id="v1").views == 150
    assert Video.objects.get(external_id="v2").creator_id == carol.pk
    stamped = {c.handle: c.data_updated_at > datetime(2025, 1, 1, tzinfo=UTC) for c in Creator.objects.all()}
    assert stamped == {"Alice": True, "bob": True, "carol": True}
    assert bob.videos.count() == 0


def test_it_rejects_unknown_creators(tmp_path, alice):
    errors = rejected(tmp_path, "videos", lines(
        VIDEOS_HEADER, video_row("v1", "c-alice"), video_row("v2", "nobody"), video_row("v3", "@ghost"),
    ))
    assert errors == [
        "line 3, column creator: unknown creator 'nobody': no creator has this external id or handle",
        "line 4, column creator: unknown creator '@ghost': no creator has this external id or handle",
    ]


def test_it_rejects_duplicate_video_keys_with_both_lines(tmp_path, alice):
    errors = rejected(tmp_path, "videos", lines(
        VIDEOS_HEADER, video_row("v1"), video_row("v2"), video_row("v1"), video_row("v1"),
    ))
    assert errors == [
        "line 4, column external_id: duplicate key 'v1': already on line 2",
        "line 5, column external_id: duplicate key 'v1': already on line 2",
    ]


def test_it_rejects_negative_and_non_numeric_counts(tmp_path, alice):
    errors = rejected(tmp_path, "videos", lines(
        VIDEOS_HEADER,
        video_row("v1", views="-5"),
        video_row("v2", likes="ten"),
        video_row("v3", comments="1.5"),
        video_row("v4", shares=""),
        video_row("v5", rest=",maybe,,,-1,-2.5,,"),
    ))
    assert errors == [
        "line 2, column views: must not be negative, got '-5'",
        "line 3, column likes: 'ten' is not a whole number",
        "line 4, column comments: '1.5' is not a whole number",
        "line 5, column shares: a value is required",
        "line 6, column gmv: must not be negative, got '-2.5'",
        "line 6, column is_sponsored: 'maybe' is not a boolean (use true/false, yes/no or 1/0)",
        "line 6, column orders: must not be negative, got '-1'",
    ]


def test_it_rejects_unparseable_and_future_times(tmp_path, alice):
    errors = rejected(tmp_path, "videos", lines(
        VIDEOS_HEADER,
        video_row("v1", posted_at="yesterday"),
        video_row("v2", posted_at="2999-01-01T00:00:00Z"),
        video_row("v3", posted_at="1700000000000"),
        video_row("v4", posted_at="2024-13-01"),
    ))
    assert errors == [
        "line 2, column posted_at: 'yesterday' is not a time (use ISO 8601 such as 2024-05-01T14:30:00Z, "
        "or Unix seconds)",
        "line 3, column posted_at: '2999-01-01T00:00:00Z' is in the future",
        "line 4, column posted_at: '1700000000000' is out of range as Unix seconds (Unix milliseconds? use seconds)",
        "line 5, column posted_at: '2024-13-01' is not a time (use ISO 8601 such as 2024-05-01T14:30:00Z, "
        "or Unix seconds)",
    ]


def test_a_time_with_an_offset_is_converted_to_utc(tmp_path, alice):
    report = import_file(kind="videos", path=write(tmp_path, lines(
        VIDEOS_HEADER, video_row("v1", posted_at="2024-05-01T12:00:00+02:00"),
    )), queue_scoring=False)
    assert report.ok, messages(report)
    assert Video.objects.get().posted_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_it_rejects_gmv_with_more_than_two_decimals(tmp_path, alice):
    errors = rejected(tmp_path, "videos", lines(VIDEOS_HEADER, video_row(rest=",,,,,12.345,,")))
    assert errors == ["line 2, column gmv: '12.345' has more than 2 decimal places"]


# --- collaborations -----------------------------------------------------------------------------------------------
def test_it_imports_collaborations_with_a_future_deadline(tmp_path, alice, categories):
    path = write(tmp_path, lines(
        COLLABORATIONS_HEADER,
        "b1,c-alice,Lumina,2024-05-01T10:00:00Z,Accepted,beauty,2024-05-01T12:00:00Z,2999-01-01T00:00:00Z,",
        "b2,alice,Voltix,2024-05-02T10:00:00Z,pending,,,,",
    ))
    report = import_file(kind="collaborations", path=path, queue_scoring=False)
    assert report.ok, messages(report)
    assert report.created == 2
    b1 = Collaboration.objects.get(external_id="b1")
    assert (b1.status, b1.category.slug, b1.due_at.year, b1.delivered_at) == ("accepted", "beauty", 2999, None)
    assert Collaboration.objects.get(external_id="b2").responded_at is None
    again = import_file(kind="collaborations", path=path, queue_scoring=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_it_rejects_bad_collaborations(tmp_path, alice):
    errors = rejected(tmp_path, "collaborations", lines(
        COLLABORATIONS_HEADER,
        "b1,c-alice,Lumina,2024-05-01T10:00:00Z,maybe,,,,",
        "b2,c-alice,,2024-05-01T10:00:00Z,pending,,,,",
        "b3,c-alice,Lumina,2024-05-01T10:00:00Z,declined,,2024-04-30T10:00:00Z,,",
        "b4,c-alice,Lumina,2024-05-01T10:00:00Z,completed,,,,2999-01-01",
    ))
    assert errors == [
        "line 2, column status: 'maybe' is not a status (use one of: pending, accepted, declined, expired, "
        "completed, cancelled)",
        "line 3, column brand: a value is required",
        "line 4, column responded_at: 2024-04-30T10:00:00+00:00 is before invited_at (2024-05-01T10:00:00+00:00)",
        "line 5, column delivered_at: '2999-01-01' is in the future",
    ]


# --- the file as a whole ------------------------------------------------------------------------------------------
def test_it_accepts_a_byte_order_mark_crlf_and_quoted_newlines(tmp_path, categories):
    text = lines(CREATORS_HEADER, 'c1,alice,beauty,"Alice\r\non two lines",,,', "c2,bob,beauty,,,,", crlf=True)
    report = import_file(kind="creators", path=write(tmp_path, b"\xef\xbb\xbf" + text.encode()), queue_scoring=False)
    assert report.ok, messages(report)
    assert report.created == 2
    assert Creator.objects.get(external_id="c1").display_name == "Alice\r\non two lines"


def test_line_numbers_count_physical_lines_after_a_quoted_newline(tmp_path, categories):
    errors = rejected(tmp_path, "creators", lines(
        CREATORS_HEADER, 'c1,alice,beauty,"two\nlines",,,', "c2,bob,beauty,,,,x",
    ))
    assert errors == ["line 4, column followers: 'x' is not a whole number"]


def test_it_rejects_a_file_that_is_not_utf8(tmp_path, categories):
    text = lines(CREATORS_HEADER, "c1,alice,beauty,,,,", "c2,bob,beauty,Bj\xf6rk,,,").encode("latin-1")
    assert rejected(tmp_path, "creators", text) == [
        "line 3, column *: the file is not valid UTF-8 (byte 0xf6 at position 17 of the line); save it as UTF-8",
    ]


def test_it_rejects_nul_bytes(tmp_path, categories):
    text = lines(CREATORS_HEADER, "c1,alice,beauty,,,,").encode() + b"c2,bob\x00,beauty,,,,\n"
    assert rejected(tmp_path, "creators", text) == [
        "line 3, column *: the file contains a NUL byte: it is not a text CSV file (UTF-16 or binary?)",
    ]


def test_it_rejects_a_utf16_file(tmp_path, categories):
    text = lines(CREATORS_HEADER, "c1,alice,beauty,,,,").encode("utf-16")
    assert rejected(tmp_path, "creators", text) == [
        "line 1, column *: the file is UTF-16 encoded; save it as UTF-8",
    ]


def test_it_rejects_missing_unknown_and_repeated_columns(tmp_path, alice):
    errors = rejected(tmp_path, "videos", lines(
        "external_id,creator,posted_at,views,likes,comments,likes,colour", "v1,c-alice,1700000000,1,1,1,1,red",
    ))
    assert errors == [
        "line 1, column colour: unknown column 'colour' (this kind has columns: external_id, creator, posted_at, "
        "views, likes, comments, shares, is_sponsored, is_shoppable, product_category, orders, gmv, duration_s, "
        "hashtags)",
        "line 1, column likes: column 'likes' appears more than once in the header",
        "line 1, column shares: required column is missing from the header",
    ]


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(tmp_path, alice):
    report = import_file(kind="videos", path=write(tmp_path, lines(
        "shares,comments,likes,views,posted_at,creator,external_id", "1,2,3,4,1700000000,c-alice,v1",
    )), queue_scoring=False)
    assert report.ok, messages(report)
    video = Video.objects.get()
    assert (video.views, video.likes, video.comments, video.shares, video.is_sponsored, video.gmv) == (
        4, 3, 2, 1, False, None,
    )


def test_it_rejects_an_empty_file(tmp_path):
    assert rejected(tmp_path, "creators", b"") == ["line 1, column *: the file is empty: a header row is required"]


def test_it_rejects_rows_with_the_wrong_number_of_fields(tmp_path, categories):
    errors = rejected(tmp_path, "creators", lines(CREATORS_HEADER, "c1,alice,beauty", "c2,bob,beauty,,,,,extra"))
    assert errors == [
        "line 2, column *: expected 7 fields like the header, found 3",
        "line 3, column *: expected 7 fields like the header, found 8",
    ]


def test_it_rejects_malformed_quoting(tmp_path, categories):
    errors = rejected(tmp_path, "creators", lines(CREATORS_HEADER, 'c1,alice,beauty,"Al"ice,,,'))
    assert errors == ["line 2, column *: not valid CSV: ',' expected after '\"'"]


def test_blank_lines_are_skipped(tmp_path, categories):
    report = import_file(kind="creators", path=write(tmp_path, lines(
        CREATORS_HEADER, "", "c1,alice,beauty,,,,", "", "",
    )), queue_scoring=False)
    assert report.ok, messages(report)
    assert (report.rows, report.created) == (1, 1)


@override_settings(IMPORT_MAX_BYTES=100)
def test_it_rejects_a_file_over_the_size_limit(tmp_path, categories):
    text = lines(CREATORS_HEADER, *(f"c{n},user{n},beauty,,,," for n in range(10)))
    assert rejected(tmp_path, "creators", text) == [
        f"line 1, column *: the file is {len(text):,} bytes, larger than the limit of 100 (IMPORT_MAX_BYTES)",
    ]


@override_settings(IMPORT_MAX_ROWS=3)
def test_it_rejects_a_file_over_the_row_limit(tmp_path, categories):
    text = lines(CREATORS_HEADER, *(f"c{n},user{n},beauty,,,," for n in range(5)))
    assert rejected(tmp_path, "creators", text) == [
        "line 5, column *: the file has more than 3 data rows, the limit (IMPORT_MAX_ROWS)",
    ]


def test_every_error_of_a_large_bad_file_is_counted_and_the_first_thousand_kept(tmp_path, categories):
    text = lines(CREATORS_HEADER, *(f"c{n},user{n},beauty,,,,-1" for n in range(1500)))
    before = db_state()
    report = import_file(kind="creators", path=write(tmp_path, text), queue_scoring=False)
    assert report.error_count == 1500
    assert len(report.errors) == 1000
    assert str(report.errors[0]) == "line 2, column followers: must not be negative, got '-1'"
    assert db_state() == before


def test_one_bad_row_rejects_the_whole_file(tmp_path, alice):
    errors = rejected(tmp_path, "videos", lines(VIDEOS_HEADER, video_row("v1"), video_row("v2", views="x")))
    assert errors == ["line 3, column views: 'x' is not a whole number"]
    assert not Video.objects.exists()


def test_a_dry_run_reports_the_counts_and_writes_nothing(tmp_path, alice):
    import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, video_row("v1"))), queue_scoring=False)
    before = db_state()
    report = import_file(kind="videos", path=write(tmp_path, lines(
        VIDEOS_HEADER, video_row("v1", views="7"), video_row("v2"), video_row("v3"),
    )), dry_run=True)
    assert report.ok and report.dry_run
    assert (report.created, report.updated, report.unchanged) == (2, 1, 0)
    assert db_state() == before


def test_progress_is_reported(tmp_path, categories):
    calls = []
    import_file(
        kind="creators", path=write(tmp_path, lines(CREATORS_HEADER, "c1,alice,beauty,,,,")),
        progress=lambda done, total: calls.append((done, total)), queue_scoring=False,
    )
    assert calls[-1] == (1, 1)


def test_a_programming_error_mid_file_raises_and_leaves_the_connection_usable(tmp_path, alice, monkeypatch):
    from creators.importers.videos import VideosImporter

    original = VideosImporter.stage_row

    def failing(self, line, values):
        if line == 3:
            raise RuntimeError("bug")
        return original(self, line, values)

    monkeypatch.setattr(VideosImporter, "stage_row", failing)
    before = db_state()
    with pytest.raises(RuntimeError, match="bug"):
        # Line 3 quotes a cell: on PostgreSQL that record takes the precise path (which calls stage_row), not the
        # fast path that sends a well-formed line to COPY as it is; the error still comes mid-COPY.
        import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, video_row("v1"), video_row('"v2"'))))
    # The staging COPY was aborted and the transaction rolled back: the connection answers queries again.
    assert db_state() == before
