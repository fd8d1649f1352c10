"""Keyset-backed page pagination: following ``next`` gives exactly the pages that OFFSET would give."""

from __future__ import annotations

import random
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from creators.api_pagination import KeysetPageNumberPagination, ordering_keys
from creators.models import Category, Creator
from creators.pagination import sort_keys_for
from scoring.models import Scorecard, ScoringRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def scorecards() -> int:
    """57 scorecards whose `overall` has many ties and NULLs, so that every keyset branch is taken."""
    rng = random.Random(7)
    category = Category.objects.create(slug="beauty", name="Beauty")
    now = timezone.now()
    creators = Creator.objects.bulk_create(
        Creator(external_id=f"c{i}", handle=f"creator{i:03d}", primary_category=category, data_updated_at=now)
        for i in range(57)
    )
    run = ScoringRun.objects.create(as_of=date(2026, 1, 1), triggered_by="test", status="succeeded")
    Scorecard.objects.bulk_create(
        Scorecard(
            run=run,
            creator=creator,
            overall=rng.choice([None, None, 10.0, 20.5, 20.5, 33.3, 50.0, 99.9]),
            volume=rng.choice([None, 1.0, 2.0]),
            confidence="low",
            collaboration_confidence="low",
            follower_tier=0,
            category_ids=[category.pk],
        )
        for creator in creators
    )
    return run.pk


def _request(params: dict[str, str]) -> Request:
    return Request(APIRequestFactory().get("/api/v1/creators/", params))


def _walk(queryset, page_size: int) -> tuple[list[list[int]], int]:
    """Follow `next` links from page 1; return the pages' ids and how many used a cursor."""
    paginator = KeysetPageNumberPagination()
    params = {"page_size": str(page_size)}
    pages, with_cursor = [], 0
    while True:
        rows = paginator.paginate_queryset(queryset, _request(params))
        pages.append([row["creator_id"] for row in rows])
        with_cursor += "cursor" in params
        link = paginator.get_next_link()
        if link is None:
            return pages, with_cursor
        params = {key: values[0] for key, values in parse_qs(urlparse(link).query).items()}


ORDERINGS = [
    [F("overall").desc(nulls_last=True), F("creator_id").desc()],
    [F("overall").asc(nulls_first=True), F("creator_id").asc()],
    [F("overall").desc(nulls_first=True), F("volume").asc(nulls_last=True), F("creator_id").asc()],
    [F("overall").asc(nulls_last=True), F("volume").desc(), F("creator_id").desc()],
    ["-volume", "overall", "creator_id"],  # no NULL placement stated: nulls lowest, the keyset core's convention
]


@pytest.mark.parametrize("ordering", ORDERINGS, ids=range(len(ORDERINGS)))
@pytest.mark.parametrize("page_size", [1, 5, 8])
def test_following_next_gives_the_offset_pages(scorecards, ordering, page_size):
    queryset = Scorecard.objects.filter(run_id=scorecards).order_by(*ordering).values("creator_id", "overall", "volume")
    # The OFFSET pages in the order the keys state (the same as the queryset's wherever it placed its NULLs).
    in_key_order = queryset.order_by(*(key.ordering() for key in sort_keys_for(queryset)))
    everything = [row["creator_id"] for row in in_key_order]
    expected = [everything[i : i + page_size] for i in range(0, len(everything), page_size)]
    pages, with_cursor = _walk(queryset, page_size)
    assert pages == expected
    assert with_cursor == len(expected) - 1  # every page after the first was reached by seeking


def test_a_cursor_for_other_filters_falls_back_to_the_page_number(scorecards):
    queryset = Scorecard.objects.filter(run_id=scorecards).order_by("-overall", "creator_id").values(
        "creator_id", "overall"
    )
    paginator = KeysetPageNumberPagination()
    paginator.paginate_queryset(queryset, _request({"page_size": "10"}))
    cursor = parse_qs(urlparse(paginator.get_next_link()).query)["cursor"][0]
    everything = [row["creator_id"] for row in queryset.order_by(F("overall").desc(nulls_last=True), "creator_id")]
    # Same cursor, different page size: ignored, page 2 of 7 rows is rows 7..13.
    rows = paginator.paginate_queryset(queryset, _request({"page_size": "7", "page": "2", "cursor": cursor}))
    assert [row["creator_id"] for row in rows] == everything[7:14]
    # Tampered cursor: ignored too.
    rows = paginator.paginate_queryset(queryset, _request({"page_size": "10", "page": "2", "cursor": cursor + "x"}))
    assert [row["creator_id"] for row in rows] == everything[10:20]


def test_page_size_is_capped_and_bad_numbers_are_rejected(scorecards, settings):
    queryset = Scorecard.objects.order_by("creator_id").values("creator_id")
    paginator = KeysetPageNumberPagination()
    settings.API_MAX_PAGE_SIZE = 20
    assert len(KeysetPageNumberPagination().paginate_queryset(queryset, _request({"page_size": "500"}))) == 20
    with pytest.raises(ValidationError):
        paginator.paginate_queryset(queryset, _request({"page_size": "0"}))
    with pytest.raises(ValidationError):
        paginator.paginate_queryset(queryset, _request({"page": "two"}))
    with pytest.raises(NotFound):
        paginator.paginate_queryset(queryset, _request({"page": "999"}))


def test_expressions_in_the_ordering_disable_the_keyset():
    queryset = Scorecard.objects.order_by(F("overall") + 1)
    assert ordering_keys(queryset) is None


def test_following_next_does_not_count_again(scorecards, django_assert_num_queries):
    ordering = [F("overall").desc(nulls_last=True), F("creator_id").desc()]
    queryset = Scorecard.objects.filter(run_id=scorecards).order_by(*ordering).values("creator_id", "overall")
    paginator = KeysetPageNumberPagination()
    with django_assert_num_queries(2):  # the count, then the page
        paginator.paginate_queryset(queryset, _request({"page_size": "5"}))
    params = {key: values[0] for key, values in parse_qs(urlparse(paginator.get_next_link()).query).items()}
    with django_assert_num_queries(1):  # the page only: the count travels in the cursor
        rows = paginator.paginate_queryset(queryset, _request(params))
    assert paginator.count == 57
    assert len(rows) == 5
