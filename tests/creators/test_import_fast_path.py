"""The fast import path (PostgreSQL, ``videos``): a well-formed line goes to COPY as it is, every other record
through the precise parsers, and large inserts rebuild indexes and foreign keys afterwards. Whichever way a row
goes, it must store the same values and report the same errors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from creators.importers.reader import LineFeed
from creators.models import Creator, Video
from creators.services import import_file
from tests.creators.import_helpers import VIDEOS_HEADER, lines, make_categories, make_creator, messages, write

pytestmark = pytest.mark.django_db

# The same five videos twice: spelled as the fast path takes them, and spelled so that each takes the precise
# path (surrounding blanks, other boolean words, upper-case category, '#' in tags, a space instead of 'T', an
# offset, Unix seconds, quoted cells, a '+00:00' zone, 29 February).
FAST = (
    "v1,c-alice,2024-05-01T10:00:00Z,100,10,2,1,true,false,beauty,5,12.5,30,fyp;ad",
    "v2,@Alice,2024-05-01T10:00:00,0,0,0,0,,,,,,,",
    "v3,bob,2024-02-28T23:59:59Z,7,1,0,0,false,true,gaming,0,0,,tiktokshop",
    "v4,c-bob,2024-02-29T12:00:00Z,1,1,1,1,true,true,,,1234.56,5,x",
    "v5,c-alice,2023-12-31T00:00:00Z,9,0,0,0,false,false,fashion,,,180,a;b;c",
)
PRECISE = (
    " v1 , c-alice ,2024-05-01T12:00:00+02:00, 100 ,10,2,1,TRUE,no, Beauty ,5, 12.50 ,30,#fyp; #ad;",
    '"v2","@Alice","2024-05-01 10:00:00",0,0,0,0,f,0," ", , ," ",""',
    "v3,bob,1709164799,7,1,0,0,N,Yes,GAMING,0,0.00,,#tiktokshop",
    'v4,c-bob,2024-02-29T12:00:00+00:00,1,1,1,1,1,y,,,"1234.56",5,x',
    '"v5",c-alice,"2023-12-31T00:00:00Z",9,0,0,0,false,false,fashion,,,180,"a;b;c"',
)


@pytest.fixture
def creators():
    categories = make_categories("beauty", "fashion", "gaming")
    make_creator("c-alice", "Alice", category=categories["beauty"])
    make_creator("c-bob", "bob", category=categories["gaming"])


def stored() -> list[tuple]:
    return sorted(Video.objects.values_list(
        "external_id", "creator__external_id", "posted_at", "views", "likes", "comments", "shares", "is_sponsored",
        "is_shoppable", "product_category__slug", "orders", "gmv", "duration_s", "hashtags",
    ))


def test_fast_and_precise_spellings_store_the_same_values(tmp_path, creators):
    fast = import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, *FAST), "fast.csv"),
                       queue_scoring=False)
    assert messages(fast) == []
    assert (fast.created, fast.updated, fast.unchanged) == (5, 0, 0)
    first = stored()
    precise = import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, *PRECISE), "precise.csv"),
                          queue_scoring=False)
    assert messages(precise) == []
    assert (precise.created, precise.updated, precise.unchanged) == (0, 0, 5)
    assert stored() == first
    # And the other way round, from an empty table.
    Video.objects.all().delete()
    import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, *PRECISE), "precise.csv"),
                queue_scoring=False)
    assert stored() == first


def test_columns_in_another_order_and_optional_ones_missing(tmp_path, creators):
    text = lines("shares,comments,likes,views,posted_at,creator,external_id", "1,2,3,4,2024-05-01T10:00:00Z,bob,v9")
    report = import_file(kind="videos", path=write(tmp_path, text), queue_scoring=False)
    assert messages(report) == []
    assert stored() == [("v9", "c-bob", Video.objects.get().posted_at, 4, 3, 2, 1, False, False, None, None, None,
                         None, "")]


def test_errors_and_line_numbers_do_not_depend_on_chunk_boundaries(tmp_path, creators, monkeypatch):
    text = (
        VIDEOS_HEADER + "\r\n"
        + FAST[0] + "\r\n"
        + "\r\n"  # a blank line: no record
        + 'v2,bob,2024-05-01T10:00:00Z,1,1,1,1,,,,,,,"multi\nline"\r\n'  # lines 4-5
        + "v3,bob,2024-05-01T10:00:00Z,-1,1,1,1,,,,,,,\r\n"  # line 6: negative
        + "v4,nobody,2999-01-01T00:00:00Z,1,1,1,1,,,,,,,\r\n"  # line 7: future time (then unknown creator)
        + FAST[4]  # line 8, no final newline
    )
    expected = [
        "line 6, column views: must not be negative, got '-1'",
        "line 7, column posted_at: '2999-01-01T00:00:00Z' is in the future",
    ]
    path = write(tmp_path, text)
    assert messages(import_file(kind="videos", path=path, queue_scoring=False)) == expected
    for size in (1, 7, 64):
        monkeypatch.setattr(LineFeed, "CHUNK", size)
        assert messages(import_file(kind="videos", path=path, queue_scoring=False)) == expected
    monkeypatch.undo()
    report = import_file(kind="videos", path=write(tmp_path, text.replace("-1,", "1,").replace("2999", "2020")),
                         queue_scoring=False)
    assert messages(report) == [
        "line 7, column creator: unknown creator 'nobody': no creator has this external id or handle"
    ]


def test_a_bad_byte_late_in_a_chunk_still_reports_the_errors_before_it(tmp_path, creators, monkeypatch):
    text = lines(VIDEOS_HEADER, FAST[0], FAST[1].replace(",0,0,0,0,", ",x,0,0,0,"), FAST[2]).encode()
    text += b"v9,bob,2024-05-01T10:00:00Z,1,1,1,1,,,,,,,caf\xe9\n"
    for size in (1 << 20, 10):
        monkeypatch.setattr(LineFeed, "CHUNK", size)
        assert messages(import_file(kind="videos", path=write(tmp_path, text), queue_scoring=False)) == [
            "line 3, column views: 'x' is not a whole number",
            "line 5, column *: the file is not valid UTF-8 (byte 0xe9 at position 46 of the line); save it as UTF-8",
        ]


def _definitions() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'creators_video' "
            "UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated::text "
            "FROM pg_constraint WHERE conrelid = 'creators_video'::regclass ORDER BY 1"
        )
        return cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk loads are a PostgreSQL path")
def test_a_bulk_load_rebuilds_exactly_the_indexes_and_constraints_it_dropped(tmp_path, creators):
    before = _definitions()
    assert any("FOREIGN KEY" in row[0] for row in before)
    with override_settings(IMPORT_BULK_MIN_ROWS=1):
        with CaptureQueriesContext(connection) as queries:
            report = import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, *FAST)),
                                 queue_scoring=False)
        assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
        # A first load (empty table) drops the foreign keys too and validates them once afterwards, and the
        # primary key (no foreign key references videos), rebuilt from the loaded rows.
        dropped = [q["sql"] for q in queries.captured_queries if "DROP CONSTRAINT" in q["sql"]]
        assert any("fk" in sql.lower() for sql in dropped) and any("pkey" in sql for sql in dropped), dropped
        assert _definitions() == before
        first = stored()
        # An update of one row and a second bulk insert (the table now holds 5 rows; 3 new ones are >= 1/4).
        more = ("v6,bob,2024-05-01T10:00:00Z,1,1,1,1,,,,,,,", "v7,bob,2024-05-01T10:00:00Z,1,1,1,1,,,,,,,",
                "v8,bob,2024-05-01T10:00:00Z,1,1,1,1,,,,,,,", FAST[0].replace(",100,", ",101,"))
        with CaptureQueriesContext(connection) as queries:
            report = import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, *more)),
                                 queue_scoring=False)
        dropped = [q["sql"] for q in queries.captured_queries if "DROP CONSTRAINT" in q["sql"]]
        # Into a table that is no longer empty, the foreign keys stay: dropping one would lock creators and
        # categories, which partner pages read, until the commit.
        assert dropped and not any("fk" in sql.lower() or "pkey" in sql for sql in dropped), dropped
        assert (report.created, report.updated, report.unchanged) == (3, 1, 0)
        assert _definitions() == before
    assert len(stored()) == 8
    assert stored()[0][3] == 101 and stored()[1:5] == first[1:]


def test_a_carriage_return_inside_a_quoted_cell_is_data_not_a_line_end(tmp_path, creators):
    # Staged rows travel to COPY as CSV: a lone CR in a cell must be quoted there too (it once cut the row short).
    text = lines(
        "external_id,handle,primary_category,display_name",
        'cr-1,carriage,beauty,"Line one\rline two"',
        "cr-2,plain,gaming,Plain name",
    )
    report = import_file(kind="creators", path=write(tmp_path, text), queue_scoring=False)
    assert messages(report) == []
    assert Creator.objects.get(external_id="cr-1").display_name == "Line one\rline two"
    # A videos file mixing fast lines and a precise record whose quoted cell holds a CR.
    videos = lines(VIDEOS_HEADER, FAST[0], 'v7,bob,2024-05-01T10:00:00Z,1,0,0,0,,,,,,,"a\rb"', FAST[2])
    report = import_file(kind="videos", path=write(tmp_path, videos, "videos.csv"), queue_scoring=False)
    assert messages(report) == []
    assert sorted(Video.objects.values_list("external_id", flat=True)) == ["v1", "v3", "v7"]


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_line_numbers_of_whole_fast_chunks_are_exact(tmp_path, creators, monkeypatch, crlf):
    # The staged path (the table is not empty) numbers the lines of a chunk of fast lines in one go: the
    # duplicate-key message names both lines, whatever the chunk boundaries and line ends.
    import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, FAST[0]), "first.csv"), queue_scoring=False)
    text = lines(VIDEOS_HEADER, *FAST[2:], FAST[4].replace("v5", "v9"), "", FAST[3], crlf=crlf)
    for size in (1 << 20, 1, 50, 120):
        monkeypatch.setattr(LineFeed, "CHUNK", size)
        report = import_file(kind="videos", path=write(tmp_path, text), queue_scoring=False)
        assert messages(report) == ["line 7, column external_id: duplicate key 'v4': already on line 3"], size


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the staged bulk path is a PostgreSQL path")
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_the_staged_path_takes_a_chunk_of_fast_lines_whole(tmp_path, creators, crlf):
    # Into a table with rows (staged path), a chunk whose every line is a fast line is checked and written in
    # one go: the same rows, the same line numbers as the line-by-line paths.
    import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, FAST[0]), "first.csv"), queue_scoring=False)
    changed = FAST[0].replace(",100,", ",101,")
    duplicate = lines(VIDEOS_HEADER, FAST[2], FAST[4], changed, FAST[2], crlf=crlf)
    report = import_file(kind="videos", path=write(tmp_path, duplicate), queue_scoring=False)
    assert messages(report) == ["line 5, column external_id: duplicate key 'v3': already on line 2"]
    report = import_file(kind="videos", path=write(tmp_path, lines(VIDEOS_HEADER, FAST[2], FAST[4], changed,
                                                                   crlf=crlf)), queue_scoring=False)
    assert messages(report) == [] and (report.created, report.updated, report.unchanged) == (2, 1, 0)
    by_id = {row[0]: row for row in stored()}
    assert sorted(by_id) == ["v1", "v3", "v5"] and by_id["v1"][3] == 101
    assert by_id["v3"][7:10] == (False, True, "gaming") and by_id["v5"][13] == "a;b;c"
