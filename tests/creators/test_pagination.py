"""Keyset pagination: every row exactly once, in order, nulls last, both directions, never an OFFSET."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.db.models import F, FloatField
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from creators.models import Category, Creator
from creators.pagination import SortKey, decode_cursor, encode_cursor, keyset_page, sort_keys_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def creators() -> list[Creator]:
    category = Category.objects.create(slug="beauty", name="Beauty")
    rng = random.Random(7)
    now = timezone.now()
    rows = [
        Creator(
            external_id=f"x{n}",
            handle=f"creator{n:03d}",
            primary_category=category,
            # Many ties and a good share of unknown follower counts: the hard cases for a keyset.
            followers=None if rng.random() < 0.25 else rng.choice([10, 20, 20, 30, 40, 40, 40, 50]),
            data_updated_at=now,
        )
        for n in range(97)
    ]
    return Creator.objects.bulk_create(rows)


def _expected(creators: list[Creator], *, descending: bool, nulls_last: bool | None = None) -> list[int]:
    """The order by followers then id; unknown followers count as the lowest value unless told otherwise."""
    known = sorted(
        (c for c in creators if c.followers is not None),
        key=lambda c: (c.followers, c.pk),
        reverse=descending,
    )
    unknown = sorted((c for c in creators if c.followers is None), key=lambda c: c.pk, reverse=descending)
    if nulls_last is None:
        nulls_last = descending
    return [c.pk for c in (known + unknown if nulls_last else unknown + known)]


def _walk_forward(queryset, page_size: int) -> tuple[list[int], list]:
    seen: list[int] = []
    pages = []
    cursor = None
    while True:
        page = keyset_page(queryset, page_size=page_size, cursor=cursor)
        pages.append(page)
        seen.extend(row.pk for row in page.rows)
        if not page.has_next:
            return seen, pages
        cursor = page.next_cursor


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("page_size", [1, 10, 25, 200])
def test_walking_forward_shows_every_row_once_in_order_with_nulls_lowest(creators, descending, page_size):
    queryset = Creator.objects.order_by("-followers" if descending else "followers")
    seen, pages = _walk_forward(queryset, page_size)
    assert seen == _expected(creators, descending=descending)
    assert not pages[0].has_previous
    assert all(page.has_previous for page in pages[1:])


@pytest.mark.parametrize("descending", [True, False])
def test_walking_back_from_the_last_page_retraces_the_same_pages(creators, descending):
    queryset = Creator.objects.order_by("-followers" if descending else "followers")
    _, pages = _walk_forward(queryset, 10)
    page = pages[-1]
    back = [[row.pk for row in page.rows]]
    while page.has_previous:
        page = keyset_page(queryset, page_size=10, cursor=page.previous_cursor)
        back.append([row.pk for row in page.rows])
        assert page.has_next
    assert list(reversed(back)) == [[row.pk for row in p.rows] for p in pages]


@pytest.mark.parametrize("nulls_last", [True, False])
@pytest.mark.parametrize("descending", [True, False])
def test_explicit_null_placement_is_respected_both_ways(creators, descending, nulls_last):
    key = F("followers").desc if descending else F("followers").asc
    ordering = key(nulls_last=True) if nulls_last else key(nulls_first=True)
    queryset = Creator.objects.order_by(ordering, "-id" if descending else "id")
    seen, pages = _walk_forward(queryset, 6)
    assert seen == _expected(creators, descending=descending, nulls_last=nulls_last)
    page, back = pages[-1], []
    while page.has_previous:
        page = keyset_page(queryset, page_size=6, cursor=page.previous_cursor)
        back = [row.pk for row in page.rows] + back
    assert back + [row.pk for row in pages[-1].rows] == seen


def test_an_annotated_sort_key_and_dict_rows_work_too(creators):
    queryset = (
        Creator.objects.annotate(score=Cast(F("followers"), FloatField()))
        .order_by("-score", "-id")
        .values("id", "handle", "score")
    )
    seen: list[int] = []
    cursor = None
    while True:
        page = keyset_page(queryset, page_size=7, cursor=cursor)
        seen.extend(row["id"] for row in page.rows)
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == _expected(creators, descending=True)


def test_a_unique_tie_breaker_is_added_unless_the_ordering_ends_on_one():
    assert [k.name for k in sort_keys_for(Creator.objects.order_by("-followers"))] == ["followers", "pk"]
    assert [k.name for k in sort_keys_for(Creator.objects.order_by("handle"))] == ["handle"]
    assert sort_keys_for(Creator.objects.order_by("-followers"))[0] == SortKey("followers", True, True)
    keys = sort_keys_for(Creator.objects.order_by(F("followers").desc(nulls_last=True), F("id").desc()))
    assert keys == (SortKey("followers", True, True, False), SortKey("id", True, False))


def test_each_page_reads_without_offset_in_at_most_two_queries(creators):
    queryset = Creator.objects.order_by("-followers")
    _, pages = _walk_forward(queryset, 10)
    deep_cursor = pages[5].next_cursor
    with CaptureQueriesContext(connection) as captured:
        page = keyset_page(queryset, page_size=10, cursor=deep_cursor)
    assert len(page.rows) == 10
    assert 1 <= len(captured) <= 2
    assert all("OFFSET" not in query["sql"].upper() for query in captured)


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "e30", encode_cursor([1], backwards=False), encode_cursor(["x", 1], backwards=False)],
)
def test_a_malformed_cursor_shows_page_one(creators, cursor):
    queryset = Creator.objects.order_by("-followers")
    first = keyset_page(queryset, page_size=10)
    page = keyset_page(queryset, page_size=10, cursor=cursor)
    assert [row.pk for row in page.rows] == [row.pk for row in first.rows]


def test_cursor_round_trip_keeps_values_and_direction():
    cursor = encode_cursor([12.5, None, "abc", 3], backwards=True)
    assert decode_cursor(cursor, length=4) == ([12.5, None, "abc", 3], True)
    assert decode_cursor(cursor, length=3) is None


def test_an_empty_list_has_no_neighbours():
    page = keyset_page(Creator.objects.order_by("-followers"), page_size=10)
    assert page.rows == [] and not page.has_next and not page.has_previous


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**70, float("inf"), float("nan")])
def test_a_cursor_carrying_a_number_no_column_holds_is_no_cursor(value):
    """A hand-made cursor whose value is beyond a 64-bit integer or not finite reads as "no cursor" (page one):
    such a value cannot start a page, and SQLite refuses it as a parameter."""
    assert decode_cursor(encode_cursor([value, 1], backwards=False), length=2) is None
    assert decode_cursor(encode_cursor([2**63 - 1, -(2**63)], backwards=True), length=2) == (
        [2**63 - 1, -(2**63)],
        True,
    )
