"""The direct load (PostgreSQL, ``videos``): a first load into the empty table COPYs the rows straight in. It must
store what the staged path stores, and any problem must send the import to the staged path, which reports it
exactly as before, with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from creators.importers.reader import LineFeed
from creators.models import Creator, Video
from creators.services import import_file
from tests.creators.import_helpers import VIDEOS_HEADER, db_state, lines, make_categories, make_creator, messages, write
from tests.creators.test_import_fast_path import FAST, PRECISE, stored

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the direct load is a PostgreSQL path"),
]


@pytest.fixture
def creators():
    categories = make_categories("beauty", "fashion", "gaming")
    make_creator("c-alice", "Alice", category=categories["beauty"])
    make_creator("c-bob", "bob", category=categories["gaming"])
    make_creator("c-carol", "carol", category=categories["gaming"])


def load(tmp_path, text: str, **settings) -> tuple[object, bool]:
    """Import ``text`` as videos; return the report and whether the rows went in directly (no staging table)."""
    with override_settings(**settings), CaptureQueriesContext(connection) as queries:
        report = import_file(kind="videos", path=write(tmp_path, text), queue_scoring=False)
    staged = any("CREATE TEMPORARY TABLE" in query["sql"] for query in queries.captured_queries)
    return report, not staged


def staged_values(tmp_path, text: str) -> list[tuple]:
    """What the staged path stores for ``text``: imported after a placeholder video (the table is not empty),
    which is then removed."""
    Video.objects.all().delete()
    placeholder = Video.objects.create(external_id="placeholder", creator=Creator.objects.get(external_id="c-bob"),
                                       posted_at=datetime(2020, 1, 1, tzinfo=UTC), views=0, likes=0, comments=0,
                                       shares=0)
    report, direct = load(tmp_path, text)
    assert messages(report) == [] and not direct
    placeholder.delete()
    return stored()


@pytest.mark.parametrize("bulk", [False, True], ids=["indexes-kept", "bulk"])
def test_a_first_load_stores_what_the_staged_path_stores(tmp_path, creators, bulk):
    text = lines(VIDEOS_HEADER, *FAST, *(row.replace("v", "p", 1) for row in PRECISE))
    report, direct = load(tmp_path, text, IMPORT_BULK_MIN_ROWS=1 if bulk else 10**9)
    assert direct
    assert messages(report) == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (10, 10, 0, 0)
    first = stored()
    assert staged_values(tmp_path, text) == first
    # Re-importing the same file goes the staged way (the table is not empty) and finds nothing changed.
    again, direct = load(tmp_path, text)
    assert not direct and (again.created, again.updated, again.unchanged) == (0, 0, 10)


@pytest.mark.parametrize(
    "header",
    [
        "product_category,hashtags,creator,external_id,posted_at,views,likes,comments,shares",
        "creator,external_id,posted_at,views,likes,comments,shares",
        "external_id,posted_at,views,likes,comments,shares,is_sponsored,creator,product_category",
    ],
)
def test_columns_in_any_order_and_missing_ones(tmp_path, creators, header):
    cells = {
        "external_id": "v1", "creator": "@ALICE", "posted_at": "2024-05-01T10:00:00Z", "views": "4", "likes": "3",
        "comments": "2", "shares": "1", "is_sponsored": "true", "product_category": "gaming", "hashtags": "a;b",
    }
    names = header.split(",")
    text = lines(header, ",".join(cells[name] for name in names),
                 ",".join(cells[name].replace("v1", "v2").replace("@ALICE", "c-bob") for name in names))
    report, direct = load(tmp_path, text)
    assert direct and messages(report) == []
    first = stored()
    assert first[0][:2] == ("v1", "c-alice") and first[1][:2] == ("v2", "c-bob")
    assert staged_values(tmp_path, text) == first


def test_whole_chunks_and_single_lines_store_the_same(tmp_path, creators, monkeypatch):
    # Chunks of every fast line at once, and chunks mixing fast and precise records (one spanning two lines).
    rows = [*FAST, 'q1,bob,2024-05-01T10:00:00Z,1,1,1,1,,,,,,,"multi\nline"', *(r.replace("v", "w", 1) for r in FAST)]
    text = lines(VIDEOS_HEADER, *rows)
    report, direct = load(tmp_path, text)
    assert direct and report.created == 11
    first = stored()
    for size in (1, 40, 200):
        Video.objects.all().delete()
        monkeypatch.setattr(LineFeed, "CHUNK", size)
        report, direct = load(tmp_path, text)
        assert direct and report.created == 11
        assert stored() == first


def test_it_stamps_the_creators_of_the_rows_it_wrote(tmp_path, creators):
    Creator.objects.update(data_updated_at=datetime(2024, 1, 1, tzinfo=UTC))
    report, direct = load(tmp_path, lines(VIDEOS_HEADER, FAST[0], FAST[2]))  # alice's and bob's
    assert direct and report.created == 2
    stamped = {c.handle: c.data_updated_at > datetime(2025, 1, 1, tzinfo=UTC) for c in Creator.objects.all()}
    assert stamped == {"Alice": True, "bob": True, "carol": False}


def test_a_dry_run_counts_and_writes_nothing(tmp_path, creators):
    before = db_state()
    with override_settings(IMPORT_BULK_MIN_ROWS=1):
        report = import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, *FAST)), dry_run=True,
                             queue_scoring=False)
    assert messages(report) == [] and (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert db_state() == before


@pytest.mark.parametrize("bulk", [False, True], ids=["indexes-kept", "bulk"])
@pytest.mark.parametrize(
    ("bad_rows", "expected"),
    [
        ([FAST[2].replace("v3,bob", "v1,bob")], ["line 4, column external_id: duplicate key 'v1': already on line 2"]),
        ([FAST[2].replace("bob", "nobody")],
         ["line 4, column creator: unknown creator 'nobody': no creator has this external id or handle"]),
        ([FAST[2].replace("bob", "bøb")],
         ["line 4, column creator: unknown creator 'bøb': no creator has this external id or handle"]),
        ([FAST[2].replace(",7,", ",-7,")], ["line 4, column views: must not be negative, got '-7'"]),
        ([FAST[2].replace("2024", "2999")], ["line 4, column posted_at: '2999-02-28T23:59:59Z' is in the future"]),
        ([FAST[2] + ",extra"], ["line 4, column *: expected 14 fields like the header, found 15"]),
    ],
    ids=["duplicate", "unknown-creator", "non-ascii-unknown", "negative", "future", "fields"],
)
def test_any_problem_falls_back_to_the_staged_path_and_its_messages(tmp_path, creators, bulk, bad_rows, expected):
    before = db_state()
    text = lines(VIDEOS_HEADER, FAST[0], FAST[1], *bad_rows, FAST[3], FAST[4])
    report, _ = load(tmp_path, text, IMPORT_BULK_MIN_ROWS=1 if bulk else 10**9)
    assert messages(report) == expected
    assert db_state() == before
    # The indexes and constraints a bulk attempt dropped are back as they were.
    assert Video.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = 'creators_video'::regclass AND "
                       "contype IN ('u', 'f') AND convalidated")
        assert cursor.fetchone()[0] == 3


def test_a_creator_named_by_a_non_ascii_external_id_is_resolved(tmp_path, creators):
    make_creator("ç-1", "cedille", category=make_categories("beauty")["beauty"])
    report, direct = load(tmp_path, lines(VIDEOS_HEADER, FAST[0].replace("c-alice", "ç-1")))
    assert direct and messages(report) == []
    assert Video.objects.get().creator.handle == "cedille"


def test_with_more_creators_than_it_may_map_it_stages_the_file(tmp_path, creators):
    report, direct = load(tmp_path, lines(VIDEOS_HEADER, *FAST), IMPORT_DIRECT_MAX_CREATORS=2)
    assert not direct and messages(report) == [] and report.created == 5


@pytest.mark.parametrize("bulk", [False, True], ids=["indexes-kept", "bulk"])
def test_a_first_load_numbers_its_rows_and_moves_the_id_sequence_past_them(tmp_path, creators, bulk):
    # The direct load writes the ids itself (no nextval per row): they must be distinct, in file order, and the
    # next insert must get a fresh one.
    text = lines(VIDEOS_HEADER, *FAST, *(row.replace("v", "p", 1) for row in PRECISE))
    report, direct = load(tmp_path, text, IMPORT_BULK_MIN_ROWS=1 if bulk else 10**9)
    assert direct and report.created == 10
    ids = list(Video.objects.order_by("id").values_list("id", flat=True))
    assert len(set(ids)) == 10 and ids == list(range(ids[0], ids[0] + 10))
    later = Video.objects.create(external_id="later", creator=Creator.objects.get(external_id="c-bob"),
                                 posted_at=datetime(2020, 1, 1, tzinfo=UTC), views=0, likes=0, comments=0, shares=0)
    assert later.id > ids[-1]
