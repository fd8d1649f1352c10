"""The fast path of ``videos`` (PostgreSQL) against the exact validator, the plain path every other kind takes:
for the same files, in the same order, both must store the same rows, report the same counts and stamp the same
creators, whether the rows go straight into the empty table or through the staging table and the upsert, with
or without a bulk load."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from creators.importers.videos import VideosImporter
from creators.models import Creator, Video
from creators.services import import_file
from tests.creators.import_helpers import VIDEOS_HEADER, db_state, lines, messages, write
from tests.creators.test_import_fast_path import FAST, PRECISE, stored

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast path is a PostgreSQL path"),
]

LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)

# A first load, then a file that changes one row, moves one to another creator, adds one and leaves the rest,
# then the same file again (nothing changes).
FIRST = lines(VIDEOS_HEADER, *FAST, *(row.replace("v", "p", 1) for row in PRECISE))
SECOND = lines(
    VIDEOS_HEADER,
    FAST[0].replace(",100,", ",150,"),  # v1 changed
    FAST[1].replace("@Alice", "c-carol"),  # v2 moved from alice to carol
    *FAST[2:],
    "v9,bob,2024-05-02T10:00:00Z,3,2,1,0,false,false,,,,,new",  # new
    *(row.replace("v", "p", 1) for row in PRECISE),
)


@pytest.fixture
def creators():
    from tests.creators.import_helpers import make_categories, make_creator

    categories = make_categories("beauty", "fashion", "gaming")
    make_creator("c-alice", "Alice", category=categories["beauty"])
    make_creator("c-bob", "bob", category=categories["gaming"])
    make_creator("c-carol", "carol", category=categories["gaming"])
    make_creator("c-dave", "dave", category=categories["gaming"])


def run(tmp_path, text: str, *, fast: bool, bulk: bool) -> tuple[tuple[int, int, int, int], list[tuple], dict]:
    """Import ``text`` by the fast path or the exact validator; return the counts, the stored rows and which
    creators were stamped (their ``data_updated_at`` reset to long ago first)."""
    Creator.objects.update(data_updated_at=LONG_AGO)
    with override_settings(IMPORT_BULK_MIN_ROWS=1 if bulk else 10**9), CaptureQueriesContext(connection) as queries:
        original = VideosImporter.fast_path
        VideosImporter.fast_path = fast
        try:
            report = import_file(kind="videos", path=write(tmp_path, text), queue_scoring=False)
        finally:
            VideosImporter.fast_path = original
    assert messages(report) == []
    # The exact validator stages every row with its line and plans in a table of changes; the fast path never.
    planned = any("_changes" in query["sql"] for query in queries.captured_queries)
    assert planned is not fast
    stamped = dict(Creator.objects.values_list("handle", "data_updated_at"))
    counts = (report.rows, report.created, report.updated, report.unchanged)
    return counts, stored(), {handle: moment > LONG_AGO for handle, moment in stamped.items()}


@pytest.mark.parametrize("bulk", [False, True], ids=["indexes-kept", "bulk"])
def test_the_fast_path_does_what_the_exact_validator_does(tmp_path, creators, bulk):
    outcomes = {}
    for fast in (True, False):
        Video.objects.all().delete()
        outcomes[fast] = [run(tmp_path, text, fast=fast, bulk=bulk) for text in (FIRST, SECOND, SECOND)]
    assert outcomes[True] == outcomes[False]
    first, second, again = outcomes[True]
    assert first[0] == (10, 10, 0, 0) and second[0] == (11, 1, 2, 8) and again[0] == (11, 0, 0, 11)
    # The changed row's creator, the moved row's old and new creators, the new row's creator; nothing the third time.
    assert second[2] == {"Alice": True, "bob": True, "carol": True, "dave": False}
    assert not any(again[2].values())


def test_an_invalid_file_after_a_first_load_writes_nothing_and_reports_every_error(tmp_path, creators):
    import_file(kind="videos", path=write(tmp_path, FIRST), queue_scoring=False)
    before = db_state()
    bad = lines(VIDEOS_HEADER, FAST[0].replace(",100,", ",150,"), FAST[1], FAST[1].replace("v2", "v7"),
                FAST[2].replace("bob", "nobody"), FAST[1])
    report = import_file(kind="videos", path=write(tmp_path, bad), queue_scoring=False)
    assert messages(report) == [
        "line 5, column creator: unknown creator 'nobody': no creator has this external id or handle",
        "line 6, column external_id: duplicate key 'v2': already on line 3",
    ]
    assert db_state() == before
