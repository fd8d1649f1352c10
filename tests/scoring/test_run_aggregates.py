"""The score distribution and the category medians are computed by the scoring run and stored with it
(``scoring.aggregates``): a scorecard page after a publication runs no aggregate over the scorecards."""

from __future__ import annotations

import re
import statistics

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from creators.models import Category, Creator
from partners.access import access_for_user
from partners.choices import Role
from scoring.aggregates import MEDIAN_INDICES, Scope, run_aggregates
from scoring.models import RunAggregate, Scorecard
from scoring.selectors import overall_distribution
from tests.conftest import make_partner, make_user
from tests.creators.test_detail_view import _figures
from tests.scoring.builders import make_creator, make_videos

pytestmark = pytest.mark.django_db

# An aggregate over the scorecards table: a grouped count (the histogram), a median, a count.
_AGGREGATE = re.compile(r"GROUP BY|percentile_cont|COUNT\(", re.I)


def _population() -> None:
    for i in range(9):
        category = ("beauty", "gaming", "travel")[i % 3]
        creator = make_creator(f"agg{i}", followers=1_000 * (i + 1) ** 3, category=category)
        creator.categories.add(creator.primary_category)  # as the importers link it
        make_videos(creator, list(range(0, 2 * i + 1, 2)), views=900 + 150 * i, likes=7 * i)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _scorecard_aggregates(queries) -> list[str]:
    return [q["sql"] for q in queries if "scoring_scorecard" in q["sql"] and _AGGREGATE.search(q["sql"])]


def _plain_medians(run, access, category: Category) -> dict[str, float | None]:
    """The medians the plain way: every visible creator of the category's values, in Python."""
    visible = Creator.objects.visible_to(access).filter(primary_category=category).values("pk")
    cards = list(Scorecard.objects.filter(run=run, creator__in=visible).values(*MEDIAN_INDICES))
    medians = {}
    for name in MEDIAN_INDICES:
        values = [card[name] for card in cards if card[name] is not None]
        medians[name] = statistics.median(values) if values else None
    return medians


def test_the_run_stores_them_and_a_page_after_publication_aggregates_nothing(run_scoring):
    _population()
    beauty = Category.objects.get(slug="beauty")
    partner, _ = make_partner("Agg Beauty", categories=[beauty], commercial=True)
    user = make_user("agg-analyst", partner=partner, role=Role.ANALYST)
    run = run_scoring()
    access = access_for_user(user)
    stored = RunAggregate.objects.get(run=run, revision=run.revision, scope=Scope.of(access).key)
    assert "aggregates_s" in run.timings

    handle = Creator.objects.filter(primary_category=beauty).order_by("-handle").first().handle
    cache.clear()  # a web process that has never seen this run
    with CaptureQueriesContext(connection) as queries:
        html = _client(user).get(f"/creators/{handle}/").content.decode()
    assert _scorecard_aggregates(queries.captured_queries) == []

    # What the page shows is what the plain computations give.
    plain = overall_distribution(run=run, creators=Creator.objects.visible_to(access))
    assert [bin_.count for bin_ in plain] == stored.histogram
    figures = _figures(html)
    assert figures["distribution"]["data"][0]["y"] == stored.histogram
    expected = _plain_medians(run, access, beauty)
    got = run_aggregates(run, access).category_medians[beauty.pk]
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert got[name] == pytest.approx(value) if value is not None else got[name] is None


def test_a_scope_granted_after_the_publication_is_computed_once_for_every_process(run_scoring):
    _population()
    run = run_scoring()
    gaming = Category.objects.get(slug="gaming")
    partner, _ = make_partner("Late Gaming", categories=[gaming])
    user = make_user("late-analyst", partner=partner, role=Role.ANALYST)
    handle = Creator.objects.filter(primary_category=gaming).order_by("-handle").first().handle
    assert not RunAggregate.objects.filter(run=run, scope=Scope.of(access_for_user(user)).key).exists()

    with CaptureQueriesContext(connection) as queries:  # the first reader computes and stores
        assert _client(user).get(f"/creators/{handle}/").status_code == 200
    # The histogram, and on PostgreSQL the medians (SQLite reads the values): what the next pages no longer run.
    assert len(_scorecard_aggregates(queries.captured_queries)) == (2 if connection.vendor == "postgresql" else 1)
    assert RunAggregate.objects.filter(run=run, scope=Scope.of(access_for_user(user)).key).count() == 1
    cache.clear()  # another web process
    with CaptureQueriesContext(connection) as queries:
        assert _client(user).get(f"/creators/{handle}/").status_code == 200
    assert _scorecard_aggregates(queries.captured_queries) == []


def test_a_new_revision_of_the_run_is_a_new_scope_row(run_scoring):
    from scoring.selectors import published_run
    from scoring.services import published_run_touch

    _population()
    beauty = Category.objects.get(slug="beauty")
    partner, _ = make_partner("Rev Beauty", categories=[beauty])
    user = make_user("rev-analyst", partner=partner, role=Role.ANALYST)
    run = run_scoring()
    access = access_for_user(user)
    first = run_aggregates(run, access)
    published_run_touch(run_id=run.pk)
    touched = published_run()
    assert run_aggregates(touched, access) == first
    assert set(RunAggregate.objects.filter(run=run).values_list("revision", flat=True)) == {run.revision,
                                                                                          touched.revision}
