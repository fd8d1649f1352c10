"""The CSV writer behind every creator export: columns, order, formula neutralisation, streaming."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.db.models import F, FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from creators import exports
from creators.models import Category, Creator
from scoring.catalogue import FIELDS_BY_NAME

pytestmark = pytest.mark.django_db

NASTY_NAMES = [
    "=HYPERLINK(\"http://evil\",\"x\")",
    "+SUM(A1)",
    "-2+3",
    "@cmd",
    "\tTabbed",
    "\rCarriage",
    'Plain, with "quotes"\nand a newline',
    "",
]


@pytest.fixture
def creators() -> list[Creator]:
    beauty = Category.objects.create(slug="beauty", name="Beauty")
    fashion = Category.objects.create(slug="fashion", name="Fashion")
    apparel = Category.objects.create(slug="apparel", name="Apparel")
    made = []
    for n, name in enumerate(NASTY_NAMES):
        creator = Creator.objects.create(
            external_id=f"e{n}",
            handle=f"handle{n}",
            display_name=name,
            country="US" if n % 2 else "",
            primary_category=fashion if n % 2 else beauty,
            followers=None if n == 3 else n * 1000,
            data_updated_at=timezone.now(),
        )
        creator.categories.set([beauty, fashion, apparel] if n % 2 else [beauty])
        made.append(creator)
    return made


def _queryset():
    # Stand-in for the restricted list: an annotated index (a float, possibly null) under its catalogue name.
    return Creator.objects.annotate(overall=Cast(F("followers"), FloatField()) / 3).order_by("-followers", "-id")


def _fields(*names: str):
    return [FIELDS_BY_NAME[name] for name in names]


def _read(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(chunks).decode(), newline="")))


def test_columns_follow_the_visible_fields_and_skip_per_category_values():
    columns = exports.export_columns(
        queryset=_queryset(), fields=_fields("handle", "categories", "followers", "overall", "impact", "sales")
    )
    # "sales" is not in this queryset, "impact" is per category: neither becomes a column.
    assert [column.name for column in columns] == ["handle", "categories", "followers", "overall"]
    assert [column.text for column in columns] == [True, True, False, False]


@pytest.mark.parametrize("path", ["auto", "python"])
def test_rows_follow_the_queryset_with_formulas_neutralised_and_numbers_untouched(creators, path):
    queryset = _queryset()
    columns = exports.export_columns(
        queryset=queryset, fields=_fields("handle", "display_name", "country", "categories", "followers", "overall")
    )
    if path == "python":
        chunks = exports._python_chunks(queryset=queryset, columns=columns)
    else:
        chunks = exports.csv_chunks(queryset=queryset, columns=columns)
    rows = _read(chunks)
    assert rows[0] == ["Handle", "Name", "Country", "Categories", "Followers", "Overall"]
    body = rows[1:]
    assert [row[0] for row in body] == list(queryset.values_list("handle", flat=True))
    names = {row[0]: row[1] for row in body}
    assert names["handle0"] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert names["handle1"] == "'+SUM(A1)"
    assert names["handle2"] == "'-2+3"
    assert names["handle3"] == "'@cmd"
    assert names["handle4"] == "'\tTabbed"
    assert names["handle5"] == "'\rCarriage"
    assert names["handle6"] == 'Plain, with "quotes"\nand a newline'
    assert names["handle7"] == ""
    by_handle = {row[0]: row for row in body}
    # Numbers stay numbers: no quote prefix even for a number column, empty for unknown.
    assert by_handle["handle7"][4] == "7000" and by_handle["handle7"][5] == "2333.3"
    assert by_handle["handle3"][4] == "" and by_handle["handle3"][5] == ""
    # Categories: the primary first, then the others by slug.
    assert by_handle["handle1"][3] == "fashion;apparel;beauty"
    assert by_handle["handle0"][3] == "beauty"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY pass-through exists only on PostgreSQL")
def test_copy_and_python_paths_write_the_same_bytes(creators):
    queryset = _queryset()
    columns = exports.export_columns(
        queryset=queryset, fields=_fields("handle", "display_name", "country", "categories", "followers", "overall")
    )
    copied = b"".join(exports._copy_chunks(queryset=queryset, columns=columns))
    written = b"".join(exports._python_chunks(queryset=queryset, columns=columns))
    assert _read([copied]) == _read([written])


def test_large_exports_stream_in_batches(creators, monkeypatch):
    monkeypatch.setattr(exports, "BATCH_ROWS", 3)
    monkeypatch.setattr(exports, "CHUNK_BYTES", 64)
    queryset = _queryset()
    columns = exports.export_columns(queryset=queryset, fields=_fields("handle", "followers"))
    chunks = list(exports.csv_chunks(queryset=queryset, columns=columns))
    assert len(chunks) >= 2
    assert len(_read(chunks)) == 1 + len(NASTY_NAMES)


def test_an_empty_export_still_has_its_header():
    queryset = _queryset()
    columns = exports.export_columns(queryset=queryset, fields=_fields("handle", "followers"))
    assert _read(exports.csv_chunks(queryset=queryset, columns=columns)) == [["Handle", "Followers"]]


def test_the_response_is_a_streamed_attachment_named_with_date_and_export_id(creators):
    queryset = _queryset()
    columns = exports.export_columns(queryset=queryset, fields=_fields("handle"))
    export_id = exports.new_export_id()
    name = exports.export_filename(stem="creators", export_id=export_id)
    response = exports.csv_streaming_response(queryset=queryset, columns=columns, filename=name, export_id=export_id)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert name == f"creators-{timezone.now():%Y-%m-%d}-{export_id}.csv"
    assert response["X-Export-Id"] == export_id
    assert len(_read(response.streaming_content)) == 1 + len(NASTY_NAMES)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1", "'=1"), ("a=1", "a=1"), (12, 12), (-3.5, -3.5), (None, None), ("-", "'-"), ("\r", "'\r")],
)
def test_neutralise_touches_only_text_that_starts_a_formula(value, expected):
    assert exports.neutralise(value) == expected
