"""Scoring runs: publish, history, chunking, joining, failure, reaping, pruning and the triggers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from scoring import indices, services, tasks
from scoring.models import CategoryImpact, Scorecard, ScoringChunk, ScoringRun
from scoring.selectors import published_run
from tests.scoring.builders import AS_OF, days_before, make_collaboration, make_creator, make_video, make_videos

pytestmark = pytest.mark.django_db

# A run's own values: the changes against the run before it (and what it recorded) differ between two runs.
COMPARED = [
    f.attname for f in Scorecard._meta.concrete_fields
    if f.name not in ("id", "run", "is_new", "followers_previous") and not f.name.endswith("_change")
]


def _population(n: int = 7) -> None:
    for i in range(n):
        creator = make_creator(f"p{i}", followers=1_000 * (i + 1) ** 4, category=("beauty", "gaming")[i % 2])
        make_videos(creator, list(range(0, 3 * i + 1, 3)), views=1000 + 100 * i, likes=10 * i, shoppable=i % 3 == 0)
        make_video(creator, days_before(i + 1), views=500, category="fashion", gmv=f"{i}.50" if i % 2 else None)
        if i % 2:
            make_collaboration(creator, days_before(10 + i), status="accepted", responded_after_h=5 * i)
    make_creator("silent")


def _snapshot(run: ScoringRun) -> dict:
    cards = {row["creator_id"]: row for row in Scorecard.objects.filter(run=run).values(*COMPARED)}
    impacts = set(CategoryImpact.objects.filter(run=run).values_list("creator_id", "category_id", "impact", "views"))
    return {"cards": cards, "impacts": impacts, "medians": run.medians}


def _staging_tables(run_id: int) -> list[str]:
    prefix = indices.stage_prefix(run_id)
    with connection.cursor() as cursor:
        return [t for t in connection.introspection.table_names(cursor) if t.startswith(prefix)]


def test_a_run_publishes_and_replaces_the_published_run(run_scoring):
    _population()
    first = run_scoring()
    assert (first.status, first.is_published, first.is_active, first.progress) == ("succeeded", True, False, 100)
    assert first.creators_count == 8 and first.videos_count > 0
    assert first.chunks_total == first.chunks_done == 1
    assert {"prepare_s", "rank_s", "scorecards_s", "impacts_s", "publish_s", "total_s"} <= set(first.timings)
    second = run_scoring(as_of=AS_OF + timedelta(days=1))
    first.refresh_from_db()
    assert second.is_published and not first.is_published
    assert published_run() == second
    assert ScoringRun.objects.filter(is_published=True).count() == 1
    assert _staging_tables(first.pk) == [] and _staging_tables(second.pk) == []


def test_default_as_of_is_the_date_of_the_newest_video(django_capture_on_commit_callbacks):
    creator = make_creator("a")
    make_video(creator, days_before(3, hour=23))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.scoring_run_request(triggered_by="test")
    run.refresh_from_db()
    assert run.as_of == AS_OF - timedelta(days=3)
    assert run.window_days == 90


def test_chunks_give_exactly_the_same_scorecards_as_one_chunk(run_scoring, settings):
    _population()
    settings.SCORING_CHUNK_SIZE = 1000
    whole = run_scoring()
    settings.SCORING_CHUNK_SIZE = 3
    chunked = run_scoring()
    assert chunked.chunks_total == 3 == ScoringChunk.objects.filter(run=chunked, is_done=True).count()
    assert _snapshot(chunked) == _snapshot(whole)


def test_a_second_request_joins_the_active_run(django_capture_on_commit_callbacks):
    make_video(make_creator("a"), days_before(1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.scoring_run_request(triggered_by="one")
        second = services.scoring_run_request(triggered_by="two", as_of=AS_OF)
    assert second.pk == first.pk
    assert ScoringRun.objects.count() == 1
    assert len(callbacks) == 1  # one computation enqueued
    callbacks[0]()
    first.refresh_from_db()
    assert first.status == "succeeded"


def test_a_failing_chunk_leaves_the_published_run_and_fails_with_the_reason(run_scoring, monkeypatch, settings):
    _population()
    published = run_scoring()
    before = _snapshot(published)
    original = indices.chunk_creator_sql

    def broken(**kwargs):
        if kwargs["number"] == 1:
            return "SELECT no_such_column FROM creators_creator"
        return original(**kwargs)

    monkeypatch.setattr(indices, "chunk_creator_sql", broken)
    settings.SCORING_CHUNK_SIZE = 3
    failed = run_scoring()
    assert failed.status == "failed" and not failed.is_active and not failed.is_published
    assert "scoring_chunk_compute" in failed.error and "no_such_column" in failed.error
    assert published_run() == published
    assert _snapshot(ScoringRun.objects.get(pk=published.pk)) == before
    assert not Scorecard.objects.filter(run=failed).exists()
    assert _staging_tables(failed.pk) == []
    # A later run completes.
    monkeypatch.setattr(indices, "chunk_creator_sql", original)
    assert run_scoring().status == "succeeded"


def test_a_failing_final_stage_deletes_what_the_other_stage_wrote(run_scoring, monkeypatch):
    # The scorecards stage commits its rows before the impacts stage fails (eagerly they run in that order).
    _population()
    published = run_scoring()
    before = _snapshot(published)
    monkeypatch.setattr(indices, "impacts_sql", lambda **kwargs: "SELECT no_such_column FROM creators_creator")
    failed = run_scoring()
    assert failed.status == "failed" and not failed.is_published
    assert "scoring_run_impacts" in failed.error and "no_such_column" in failed.error
    assert published_run() == published
    assert _snapshot(ScoringRun.objects.get(pk=published.pk)) == before
    assert not Scorecard.objects.filter(run=failed).exists()
    assert not CategoryImpact.objects.filter(run=failed).exists()
    assert _staging_tables(failed.pk) == []


def test_the_reaper_fails_a_run_without_progress_and_a_new_run_starts(django_capture_on_commit_callbacks, settings):
    make_video(make_creator("a"), days_before(1))
    with django_capture_on_commit_callbacks(execute=False):
        stuck = services.scoring_run_request(triggered_by="lost")
    ScoringRun.objects.filter(pk=stuck.pk).update(
        status="running", progress_at=timezone.now() - timedelta(seconds=settings.SCORING_STALE_SECONDS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        fresh = services.scoring_run_request(triggered_by="next")
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == "failed" and "no progress" in stuck.error
    assert fresh.pk != stuck.pk and fresh.status == "succeeded"


def test_a_recent_active_run_is_not_reaped():
    run = ScoringRun.objects.create(as_of=AS_OF, status="running", is_active=True, progress_at=timezone.now())
    assert services.scoring_runs_reap_stale() == []
    run.refresh_from_db()
    assert run.status == "running"


def test_old_runs_are_pruned_but_never_the_published_one(run_scoring, settings, monkeypatch):
    _population(3)
    published = run_scoring()
    monkeypatch.setattr(indices, "chunk_creator_sql", lambda **kwargs: "SELECT broken")
    for _ in range(3):
        assert run_scoring().status == "failed"
    monkeypatch.undo()
    settings.SCORING_RUNS_KEPT = 2
    assert services.scoring_runs_prune() == 1  # the oldest failed run; the published one stays
    remaining = list(ScoringRun.objects.order_by("pk").values_list("pk", flat=True))
    assert published.pk in remaining and len(remaining) == 3
    newest = run_scoring()
    assert newest.is_published
    # The finalize step pruned: the newest two runs remain (the published is among them).
    assert list(ScoringRun.objects.order_by("pk").values_list("pk", flat=True))[-1] == newest.pk
    assert ScoringRun.objects.count() == 2
    assert not Scorecard.objects.filter(run_id=published.pk).exists()


@pytest.mark.django_db(transaction=True)  # the run starts when the request commits
def test_recompute_scores_waits_and_reports(capsys):
    creator = make_creator("a")
    make_videos(creator, [1, 2, 3])
    call_command("recompute_scores", "--as-of", AS_OF.isoformat(), "--window-days", "30", "--wait")
    run = ScoringRun.objects.get()
    assert (run.status, run.as_of, run.window_days, run.triggered_by) == ("succeeded", AS_OF, 30, "cli")
    assert "published run" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)  # the run starts when the request commits
def test_recompute_scores_exits_nonzero_when_the_run_fails(monkeypatch):
    make_video(make_creator("a"), days_before(1))
    monkeypatch.setattr(indices, "chunk_creator_sql", lambda **kwargs: "SELECT broken")
    with pytest.raises(CommandError, match="failed"):
        call_command("recompute_scores", "--wait")


def test_recompute_scores_rejects_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("recompute_scores", "--as-of", "07/11/2020")


@pytest.mark.django_db(transaction=True)  # the run starts when the request commits
def test_the_nightly_task_starts_a_run():
    creator = make_creator("a")
    make_videos(creator, [1])
    run_id = tasks.scoring_run_nightly.delay().get()
    run = ScoringRun.objects.get(pk=run_id)
    assert (run.triggered_by, run.status) == ("beat", "succeeded")


@pytest.mark.django_db(transaction=True)  # the run starts when the request commits
def test_staff_start_a_run_from_the_admin_and_see_its_progress(admin_client):
    creator = make_creator("a")
    make_videos(creator, [1, 2, 3])
    assert admin_client.get("/admin/scoring/scoringrun/start/").status_code == 405
    response = admin_client.post("/admin/scoring/scoringrun/start/")
    run = ScoringRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/admin/scoring/scoringrun/{run.pk}/change/")
    assert run.triggered_by == "admin" and run.requested_by.is_staff and run.status == "succeeded"
    page = admin_client.get("/admin/scoring/scoringrun/")
    assert b"Start scoring run" in page.content and b"succeeded" in page.content
    detail = admin_client.get(f"/admin/scoring/scoringrun/{run.pk}/change/")
    assert detail.status_code == 200 and b'<progress value="100"' in detail.content


# --- no video, no run -------------------------------------------------------------------------------------------
def test_no_run_is_started_without_any_video(django_capture_on_commit_callbacks):
    make_creator("a")  # creators, but no video at all
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.NothingToScore):
        services.scoring_run_request(triggered_by="test")
    with pytest.raises(services.NothingToScore, match="No video has been imported yet"):
        services.scoring_run_request(triggered_by="test", as_of=AS_OF)
    with pytest.raises(services.NothingToScore):
        services.default_as_of()
    assert not ScoringRun.objects.exists()


def test_the_command_says_there_is_nothing_to_score():
    with pytest.raises(CommandError, match="No video has been imported yet.*nothing to score"):
        call_command("recompute_scores", "--wait")
    assert not ScoringRun.objects.exists()


def test_the_nightly_task_starts_nothing_without_videos():
    make_creator("a")
    assert tasks.scoring_run_nightly.delay().get() is None
    assert not ScoringRun.objects.exists()


def test_the_admin_button_says_there_is_nothing_to_score(admin_client):
    response = admin_client.post("/admin/scoring/scoringrun/start/", follow=True)
    assert b"No video has been imported yet" in response.content
    assert not ScoringRun.objects.exists()


def test_the_api_answers_409_without_videos(admin_client):
    response = admin_client.post("/api/v1/scoring-runs/", {}, content_type="application/json")
    assert response.status_code == 409
    assert "No video has been imported yet" in response.json()["detail"]
    assert not ScoringRun.objects.exists()


def test_the_admin_start_button_is_for_staff_only(client, django_user_model):
    user = django_user_model.objects.create_user("bob", password="pw-123456789")
    client.force_login(user)
    response = client.post("/admin/scoring/scoringrun/start/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not ScoringRun.objects.exists()


def test_the_list_order_index_exists():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "scoring_scorecard")
    assert constraints["scorecard_run_overall"]["columns"] == ["run_id", "overall", "creator_id"]
    # The list sorted by the biggest overall rise walks its own order too (scoring 0013).
    assert constraints["scorecard_run_overall_change"]["columns"] == ["run_id", "overall_change", "creator_id"]
    assert constraints["scorecard_run_overall_change"]["orders"] == ["ASC", "DESC", "DESC"]


def test_a_run_copies_each_creators_categories_as_the_access_sync_would(run_scoring):
    from creators.models import Category, Creator

    _population()
    creators = list(Creator.objects.order_by("pk"))
    high = Category.objects.create(pk=1000, slug="vinyl", name="Vinyl")
    creators[0].categories.add(high, *Category.objects.exclude(pk=high.pk))
    creators[1].categories.add(high)
    creators[2].categories.clear()
    run = run_scoring()
    copies = dict(Scorecard.objects.filter(run=run).values_list("creator_id", "category_ids"))
    assert len(copies) == len(creators)
    for creator in creators:
        linked = sorted(creator.categories.values_list("pk", flat=True))
        assert copies[creator.pk] == linked, creator.handle
    assert copies[creators[2].pk] == []
    # The sync's per-creator SQL (creator_access_sql) gives the very same values as the run's grouped join.
    services.scorecards_access_sync(creators_sql="SELECT id FROM creators_creator")
    assert dict(Scorecard.objects.filter(run=run).values_list("creator_id", "category_ids")) == copies
