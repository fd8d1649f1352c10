"""Fixtures of the scoring tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from config.celery import app as celery_app
from scoring import services
from scoring.models import Scorecard, ScoringRun
from tests.scoring.builders import AS_OF


@pytest.fixture(autouse=True)
def eager_celery(request: pytest.FixtureRequest) -> Iterator[None]:
    """Unit tests run Celery in-process even where REDIS_URL is set; integration tests use real workers."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


@pytest.fixture
def run_scoring(django_capture_on_commit_callbacks):
    """Run a scoring run eagerly to completion and return it (refreshed)."""

    def _run(as_of: date = AS_OF, window_days: int = 90, triggered_by: str = "test") -> ScoringRun:
        with django_capture_on_commit_callbacks(execute=True):
            run = services.scoring_run_request(triggered_by=triggered_by, as_of=as_of, window_days=window_days)
        run.refresh_from_db()
        return run

    return _run


@pytest.fixture
def cards():
    """Scorecards of a run keyed by creator handle."""

    def _cards(run: ScoringRun) -> dict[str, Scorecard]:
        return {sc.creator.handle: sc for sc in Scorecard.objects.filter(run=run).select_related("creator")}

    return _cards
