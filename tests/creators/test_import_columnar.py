"""Whole chunks done by Arrow (``columnar``): the same lines accepted as Python's fast expressions accept, the
same COPY text written, and anything unusual left to the Python paths."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.conf import settings
from django.db import connection

from creators.importers import direct
from creators.importers import values as v
from creators.importers.columnar import PYTHON_WHITESPACE, FastLines, re2
from creators.importers.direct import Abandon, _RowWriter
from creators.importers.engine import Sql, table_names
from creators.importers.reader import line_count
from creators.importers.report import ErrorSink
from creators.importers.videos import VideosImporter
from tests.creators.import_helpers import VIDEOS_HEADER, make_categories, make_creator

FRAGMENTS = {
    "count": v.FAST_COUNT, "optional count": v.FAST_OPTIONAL_COUNT, "small count": v.FAST_SMALL_COUNT,
    "identifier": v.FAST_IDENTIFIER, "creator": v.FAST_CREATOR_REFERENCE, "boolean": v.FAST_BOOLEAN,
    "boolean set": v.FAST_BOOLEAN_SET, "money": v.FAST_MONEY, "hashtags": v.FAST_HASHTAGS, "time": v.FAST_TIME,
    "choice": v.fast_choice(["beauty", "home-garden", "k_pop"]), "ignored": r'[^,"\r]*',
}
# Characters where Python's and RE2's defaults differ (Unicode whitespace and digits), and the fast fragments'
# own punctuation.
ALPHABET = "09aZ@#;,.:-_T\"' \t\r\x0b\x1c\x85\xa0\u2003\u3000\u2028\u0661\uff11\u00e9\U0001f600\\"


def test_python_whitespace_is_what_str_isspace_and_re_take():
    expected = "".join(char for char in map(chr, range(sys.maxunicode + 1)) if char.isspace())
    assert PYTHON_WHITESPACE == expected
    assert all(re.fullmatch(r"\s", char) for char in expected)


@pytest.mark.parametrize("name", FRAGMENTS)
def test_a_fragment_means_the_same_in_re2(name):
    fragment = FRAGMENTS[name]
    rng = random.Random(name)
    samples = [
        "", "0", "12", "-1", "1.5", "1.555", "true", "false", "fyp;ad", "fyp;;ad", "@alice", "@", "a b", "a\xa0b",
        "\u0661", "2024-05-01T10:00:00Z", "2024-02-29T10:00:00", "2024-13-01T10:00:00Z", "2024-05-01 10:00:00",
        "beauty", "home-garden", "k_pop", "BEAUTY", "a,b", '"a"', "caf\u00e9", "x" * 64, "x" * 65, "9" * 18, "9" * 19,
    ]
    samples += ["".join(rng.choices(ALPHABET, k=rng.randint(0, 12))) for _ in range(3000)]
    python = [re.fullmatch(fragment, sample) is not None for sample in samples]
    arrow = pc.match_substring_regex(pa.array(samples, pa.string()), f"^{re2(fragment)}$").to_pylist()
    assert arrow == python
    assert any(python) and not all(python)


@pytest.mark.parametrize("escape", [r"\d", r"\w", r"\S", r"\b", r"\n"])
def test_an_escape_without_the_same_meaning_has_no_translation(escape):
    with pytest.raises(ValueError, match="no RE2 translation"):
        re2(rf"[^,{escape}]+")


def test_no_fragment_takes_a_line_end_of_a_whole_chunk():
    # A column taking anything but a comma or a quote ("[^,\"\r]*", an ignored column's fragment) would, matched
    # across a whole chunk, take "foo\nbar" as one cell: two physical lines, the first of them short a cell.
    arrow = FastLines(["note", "views"], [r'[^,"\r]*', v.FAST_COUNT])
    assert not arrow.check(b"foo\nbar,1\n")
    assert arrow.check(b"foo,1\nbar,2\n")
    assert arrow.lines(b"foo,1\nbar,2\n", 2).to_pylist() == ["foo,1", "bar,2"]


def _fast_lines() -> FastLines:
    header = ["external_id", "views", "posted_at"]
    fragments = [v.FAST_IDENTIFIER, v.FAST_COUNT, v.FAST_TIME]
    return FastLines(header, fragments, limited="posted_at", limit="2025-01-01T00:00:00")


@pytest.mark.parametrize(
    "chunk",
    [
        b"a,1,2024-05-01T10:00:00Z\n",
        b"a,1,2024-05-01T10:00:00Z\r\nb,2,2024-05-01T10:00:00\r\n",
        b"a,1,2024-05-01T10:00:00Z\nb,2,2024-05-01T10:00:00",  # the file's last line, without its line feed
    ],
)
def test_a_chunk_of_fast_lines_is_taken(chunk):
    arrow = _fast_lines()
    assert arrow.check(chunk)
    count = line_count(chunk)
    lines = arrow.lines(chunk, count).to_pylist()
    assert lines == chunk.decode().replace("\r\n", "\n").removesuffix("\n").split("\n")
    assert arrow.cells(chunk, count, ["views"])["views"].to_pylist() == [line.split(",")[1] for line in lines]


@pytest.mark.parametrize(
    "chunk",
    [
        b'"a",1,2024-05-01T10:00:00Z\n',  # quoted cell
        b"a,1,2024-05-01T10:00:00Z\n\nb,2,2024-05-01T10:00:00Z\n",  # blank line
        b"a,1,2024-05-01T10:00:00Z\rb,2,2024-05-01T10:00:00Z\n",  # lone CR
        b"a,1,2024-05-01T10:00:00Z\r",  # lone CR at the end of the file
        b"a\x00,1,2024-05-01T10:00:00Z\n",  # NUL byte
        b"caf\xe9,1,2024-05-01T10:00:00Z\n",  # not UTF-8
        b"a,1,2024-05-01T10:00:00Z\nb,-2,2024-05-01T10:00:00Z\n",  # a line that does not match
        b"a,1,2024-05-01T10:00:00Z,extra\n",  # a field too many
        b"a\xc2\xa0,1,2024-05-01T10:00:00Z\n",  # a no-break space (Python strips it; RE2's \s would not see it)
    ],
)
def test_anything_unusual_is_left_to_the_python_paths(chunk):
    assert not _fast_lines().check(chunk)


def test_a_time_after_the_limit_is_left_to_the_python_paths():
    arrow = _fast_lines()
    chunk = b"a,1,2024-05-01T10:00:00Z\nb,1,2025-01-01T00:00:01Z\n"
    assert arrow.check(chunk)
    assert not arrow.within_limit(arrow.cells(chunk, 2, ["posted_at"]))
    assert arrow.within_limit(arrow.cells(chunk.replace(b"00:00:01", b"00:00:00"), 2, ["posted_at"]))


# -- the direct load's chunks: Arrow's text is the Python path's text -------------------------------------------
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the direct load is a PostgreSQL path")


@pytest.fixture
def creators():
    categories = make_categories("beauty", "fashion", "gaming")
    make_creator("c-alice", "Alice", category=categories["beauty"])
    make_creator("c-bob", "bob", category=categories["gaming"])


def _writer(header: str) -> _RowWriter:
    with connection.cursor() as cursor:
        sql = Sql(cursor, table_names("videos"))
        importer = VideosImporter(sql=sql, now=datetime.now(UTC), errors=ErrorSink(100))
        importer.setup()
        return _RowWriter(importer, sql, header.split(","), {c.name: c for c in importer.columns}, first_id=41)


def _both(header: str, chunk: bytes) -> tuple[bytes | None, bytes | None]:
    """(Arrow's COPY text, the Python chunk path's COPY text) of ``chunk``, each from a fresh writer."""
    arrow = _writer(header).fast_bytes(0, chunk, line_count(chunk))
    text = chunk.decode()
    pieces = text.split("\n")
    if pieces[-1] == "":
        pieces.pop()
    python = _writer(header).fast_chunk(0, text, pieces)
    return (None if arrow is None else bytes(arrow)), (None if python is None else python.encode())


ROWS = (
    "v1,c-alice,2024-05-01T10:00:00Z,100,10,2,1,true,false,beauty,5,12.5,30,fyp;ad",
    "v2,@Alice,2024-05-01T10:00:00,0,0,0,0,false,false,,,,,",
    "v3,bob,2024-02-28T23:59:59Z,7,1,0,0,false,true,gaming,0,0,,tiktokshop",
    "v4,BOB,2023-12-31T00:00:00Z,9,0,0,0,false,false,fashion,,,180,a;b;c",
)


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("arrays", [True, False], ids=["creator-arrays", "distinct-references"])
@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_arrow_writes_what_the_python_chunk_path_writes(creators, monkeypatch, arrays, line_end):
    if not arrays:
        monkeypatch.setattr(direct, "ARROW_MAX_CREATOR_SET", 0)
    chunk = line_end.join(ROWS).encode() + line_end.encode()
    arrow, python = _both(VIDEOS_HEADER, chunk)
    assert python is not None and arrow == python
    assert arrow.startswith(b"41,v1,") and arrow.count(b"\r\n") == 4
    # The last line of a file without its line feed.
    arrow, python = _both(VIDEOS_HEADER, chunk.rstrip())
    assert arrow is not None and arrow == python


@postgresql_only
@pytest.mark.django_db
def test_columns_in_another_order_or_missing_are_written_alike(creators):
    header = "creator,hashtags,external_id,posted_at,views,likes,comments,shares"
    chunk = b"c-alice,a;b,v1,2024-05-01T10:00:00Z,1,2,3,4\n@BOB,,v2,2024-05-01T10:00:00Z,1,2,3,4\n"
    arrow, python = _both(header, chunk)
    assert python is not None and arrow == python


@postgresql_only
@pytest.mark.django_db
def test_it_records_the_creators_it_named_and_abandons_at_an_unknown_one(creators):
    writer = _writer(VIDEOS_HEADER)
    chunk = ("\n".join(ROWS[:2]) + "\n").encode()
    assert writer.fast_bytes(0, chunk, 2) is not None
    alice = str(writer.by_external_id["c-alice"])
    assert writer.creator_ids() == [int(alice)]
    unknown = ROWS[0].replace("c-alice", "nobody").encode() + b"\n"
    with pytest.raises(Abandon):
        writer.fast_bytes(0, unknown, 1)


def test_web_processes_do_not_import_pyarrow():
    """pyarrow (about 80 MiB mapped) is for imports only: the WSGI application, with its URLconf, every view, the
    API and the admin loaded, does not import it; the direct load does."""
    program = (
        "import sys\n"
        "import config.wsgi\n"
        "print('web', 'pyarrow' in sys.modules)\n"
        "from creators.importers import direct\n"
        "print('import', 'pyarrow' in sys.modules)\n"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run([sys.executable, "-c", program], cwd=settings.BASE_DIR, env=environment,
                            capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.split("\n")[:2] == ["web False", "import True"]
