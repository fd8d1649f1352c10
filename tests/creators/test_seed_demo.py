"""``seed_demo``: demo data with a past, loaded week by week and scored as of each week through the normal path."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Q, Sum
from django.test import Client

from config.celery import app as celery_app
from creators import demo
from creators.models import Collaboration, Creator, Video
from scoring.models import Scorecard, ScoringRun

END = datetime(2026, 6, 1, tzinfo=UTC)
INVITED = "2026-05-01T10:00:00Z"


def _row(**changes: str) -> dict[str, object]:
    row = {"external_id": "b1", "creator": "c1", "brand": "B", "category": "beauty", "invited_at": INVITED,
           "status": "completed", "responded_at": "2026-05-03T10:00:00Z", "due_at": "2026-05-20T10:00:00Z",
           "delivered_at": "2026-05-18T10:00:00Z"}
    return {**row, **changes}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_an_invitation_as_it_stood_before_its_answer_and_its_delivery():
    row = _row()
    assert demo.collaboration_as_of(row, moment=_at(INVITED), data_end=END) is None  # not sent yet
    waiting = demo.collaboration_as_of(row, moment=_at("2026-05-02T00:00:00Z"), data_end=END)
    assert waiting == {**row, "status": "pending", "responded_at": "", "due_at": "", "delivered_at": ""}
    accepted = demo.collaboration_as_of(row, moment=_at("2026-05-10T00:00:00Z"), data_end=END)
    assert accepted == {**row, "status": "accepted", "delivered_at": ""}
    assert demo.collaboration_as_of(row, moment=_at("2026-05-19T00:00:00Z"), data_end=END) == row
    # A cancellation is decided at the data's end: accepted until then.
    cancelled = _row(status="cancelled", delivered_at="")
    assert demo.collaboration_as_of(cancelled, moment=_at("2026-05-25T00:00:00Z"), data_end=END)["status"] == (
        "accepted")
    assert demo.collaboration_as_of(cancelled, moment=END, data_end=END) == cancelled
    # Never answered: its final status (pending and expired score alike), from the day it was sent.
    expired = _row(status="expired", responded_at="", due_at="", delivered_at="")
    assert demo.collaboration_as_of(expired, moment=_at("2026-05-02T00:00:00Z"), data_end=END) == expired


def test_weekly_as_of_dates_end_at_the_last_date():
    last = END.date() - timedelta(days=1)
    dates = demo.weekly_as_of_dates(last=last, weeks=12)
    assert len(dates) == 12 and dates[-1] == last
    assert {later - earlier for earlier, later in zip(dates, dates[1:], strict=False)} == {timedelta(days=7)}


@pytest.fixture
def eager_celery():
    # The weekly runs are waited for; in this test they run in-process even where a broker is configured.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.mark.django_db(transaction=True)  # each weekly run starts when its request commits
def test_seed_demo_publishes_a_run_per_week_on_the_data_as_of_its_date(eager_celery, capsys):
    call_command("seed_demo", "--creators", "40", "--seed", "3")
    runs = list(ScoringRun.objects.order_by("as_of"))
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert [run.as_of for run in runs] == demo.weekly_as_of_dates(last=yesterday, weeks=12)
    assert all(run.status == "succeeded" for run in runs)
    assert [run.is_published for run in runs] == [False] * 11 + [True]
    assert all(run.triggered_by == "seed_demo" for run in runs)

    # Every creator has a scorecard in every run: its trend has 12 points.
    per_creator = Scorecard.objects.values("creator_id").annotate(n=Count("run_id", distinct=True))
    assert {row["n"] for row in per_creator} == {12} and len(per_creator) == Creator.objects.count() == 40

    # Each run counted only what was known as of its date: videos posted and invitations answered up to then.
    for run in runs:
        window_start = datetime.combine(run.as_of - timedelta(days=run.window_days - 1), datetime.min.time(), UTC)
        moment = demo.end_of_day(run.as_of)
        in_window = Q(invited_at__gte=window_start, invited_at__lt=moment)
        answered = Collaboration.objects.filter(in_window, responded_at__lt=moment).count()
        counted = Scorecard.objects.filter(run=run).aggregate(n=Sum("responded"), v=Sum("videos"))
        assert counted["n"] == answered, run.as_of
        assert counted["v"] == Video.objects.filter(posted_at__gte=window_start, posted_at__lt=moment).count()
    out = capsys.readouterr().out
    assert out.count("Scoring run ") == 12 and "glow-analyst" in out


@pytest.mark.django_db(transaction=True)
def test_every_demo_scorecard_draws_a_trend_of_twelve_points(eager_celery):
    call_command("seed_demo", "--creators", "30", "--seed", "5")
    client = Client()
    client.force_login(get_user_model().objects.get(username="glow-analyst"))
    html = client.get("/creators/").content.decode()
    handles = re.findall(r'<tr data-handle="([^"]+)"', html)
    assert handles
    for handle in handles:
        page = client.get(f"/creators/{handle}/").content.decode()
        trend = json.loads(re.search(r'<script id="fig-trend" type="application/json">(.*?)</script>', page, re.S)[1])
        assert {len(trace["x"]) for trace in trend["data"]} == {12}, handle
        assert trend["layout"]["xaxis"]["type"] == "date"


@pytest.mark.django_db(transaction=True)
def test_each_demo_partner_has_a_shared_saved_search_last_seen_a_run_ago(eager_celery):
    from partners.models import SavedSearch, SavedSearchSeen

    call_command("seed_demo", "--creators", "40", "--seed", "3", "--weeks", "2")
    searches = {s.partner.name: s for s in SavedSearch.objects.select_related("partner", "created_by")}
    assert set(searches) == {"Glow Beauty Co", "Volt Electronics"}
    assert all(s.shared and s.created_by.username.endswith("-manager") for s in searches.values())
    earlier = ScoringRun.objects.filter(is_published=False).get()
    assert set(SavedSearchSeen.objects.values_list("run", flat=True)) == {earlier.pk}
    client = Client()
    client.force_login(get_user_model().objects.get(username="volt-viewer"))
    html = client.get("/searches/").content.decode()
    assert "Gaming, most active" in html and "Beauty, overall 60+" not in html
    # Running it again resets them rather than adding more.
    from partners.demo import demo_saved_searches_seed

    demo_saved_searches_seed()
    assert SavedSearch.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_each_demo_user_follows_movers_and_the_last_run_shows_their_moves(eager_celery):
    from partners.access import access_for_user
    from partners.demo import DEMO_FOLLOWS
    from partners.models import Follow, Notification, NotificationItem
    from scoring.movers import DOWN, UP, run_movers

    call_command("seed_demo", "--creators", "40", "--seed", "3", "--weeks", "3")
    published = ScoringRun.objects.get(is_published=True)
    before = ScoringRun.objects.filter(pk__lt=published.pk).order_by("-pk").first()
    users = get_user_model().objects.filter(username__regex=r"^(glow|volt)-")
    assert users.count() == 6
    for user in users:
        # The home page's overall movers of the run before the last, as the user saw them then.
        overall = run_movers(before, access_for_user(user)).movers["overall"]
        movers = set(overall[UP]) | set(overall[DOWN])
        followed = set(Follow.objects.filter(user=user).values_list("creator_id", flat=True))
        assert movers and followed <= movers and len(followed) == min(DEMO_FOLLOWS, len(movers))
        assert overall[UP][0] in followed and overall[DOWN][0] in followed
    # The last run's digest, built when it published: moves of followed creators, shown on /notifications/.
    digests = Notification.objects.filter(run=published).select_related("user")
    assert digests.exists()
    for digest in digests:
        items = NotificationItem.objects.filter(notification=digest).select_related("creator")
        assert items and {item.creator_id for item in items} <= set(
            Follow.objects.filter(user=digest.user).values_list("creator_id", flat=True))
        client = Client()
        client.force_login(digest.user)
        html = client.get("/notifications/").content.decode()
        assert all(f"@{item.creator.handle}" in html for item in items)
