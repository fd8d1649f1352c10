"""Helpers of the alerts tests: a second published run whose changes against the first are chosen by hand."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from scoring.choices import RunStatus
from scoring.models import Scorecard, ScoringRun
from tests.conftest import World, make_scorecards


def publish_next_run(world: World, moves: dict[str, dict[str, float]] | None = None) -> ScoringRun:
    """A run after the published one, compared with it and published in its place: every scorecard as in the
    previous run (changes 0.0) except ``moves`` ({handle: {index: change in points}}), which move by that much.
    """
    previous = ScoringRun.objects.get(is_published=True)
    run = ScoringRun.objects.create(
        as_of=previous.as_of + timedelta(days=7), status=RunStatus.SUCCEEDED, triggered_by="test",
        creators_count=len(world.creators), compared_run=previous,
    )
    make_scorecards(run, world.creators)
    # make_scorecards is deterministic: the same values as the previous run's, so every change starts at 0.
    cards = Scorecard.objects.filter(run=run)
    for name in ("overall", "collaboration", "care", "volume", "effectiveness", "sales", "consistency"):
        cards.filter(**{f"{name}__isnull": False}).update(**{f"{name}_change": 0.0})
    for handle, changes in (moves or {}).items():
        creator = world.creators[handle]
        cards.filter(creator=creator).update(
            **{name: F(name) + change for name, change in changes.items()},
            **{f"{name}_change": change for name, change in changes.items()},
        )
    ScoringRun.objects.filter(pk=previous.pk).update(is_published=False)
    now = timezone.now()
    ScoringRun.objects.filter(pk=run.pk).update(is_published=True, published_at=now)
    run.refresh_from_db()
    return run
