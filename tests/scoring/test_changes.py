"""Changes against the compared run and growth of the raw data, computed by the scoring run (issue 19 part 4).

Two runs over hand-made tables: the second run's ``<index>_change`` is its index minus the first's, null where
either is null or the creator is new; ``is_new`` marks creators without a scorecard in the compared run; a run of
another window is never compared; videos and views of the previous window of the same length are counted.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from scoring import services
from scoring.indices import CHANGE_INDICES
from scoring.models import Scorecard, ScoringRun
from tests.scoring.builders import AS_OF, make_creator, make_videos

pytestmark = pytest.mark.django_db

LATER = AS_OF + timedelta(days=7)


def _world() -> None:
    """Four creators with enough videos for volume, effectiveness and consistency, and one with too few."""
    for n, handle in enumerate(("ann", "ben", "cat", "dan")):
        creator = make_creator(handle, followers=10_000 * (n + 1))
        make_videos(creator, list(range(0, 60, 10 - 2 * n)), views=1000 + 100 * n, likes=10 * (n + 1))
    make_videos(make_creator("eve"), [3], views=500)


def test_the_second_run_stores_each_change_as_its_index_minus_the_compared_runs(run_scoring, cards):
    _world()
    first = run_scoring()
    ann = Scorecard.objects.get(run=first, creator__handle="ann").creator
    # Between the runs: ann posts much more, a new creator appears.
    make_videos(ann, [-1, -2, -3, -4, -5, -6], views=5000, likes=900)
    make_videos(make_creator("fay"), [-1, -2, -3], views=800)
    second = run_scoring(as_of=LATER)

    assert first.compared_run_id is None
    assert second.compared_run_id == first.pk
    before, after = cards(first), cards(second)
    assert all(sc.is_new is False and sc.overall_change is None for sc in before.values())
    for handle in ("ann", "ben", "cat", "dan"):
        for name in CHANGE_INDICES:
            old, new = getattr(before[handle], name), getattr(after[handle], name)
            expected = None if old is None or new is None else new - old
            assert getattr(after[handle], f"{name}_change") == pytest.approx(expected), (handle, name)
        assert after[handle].is_new is False
    assert after["ann"].volume_change > 0
    assert after["ann"].overall_change is not None
    # eve has too few videos for an overall in either run: its change is null, and it is not new.
    assert before["eve"].overall is None and after["eve"].overall_change is None
    assert after["eve"].volume_change is not None and after["eve"].is_new is False
    # fay has no scorecard in the first run.
    assert after["fay"].is_new is True
    assert all(getattr(after["fay"], f"{name}_change") is None for name in CHANGE_INDICES)
    assert after["fay"].followers_previous is None
    assert after["ann"].followers_previous == before["ann"].followers


def test_a_run_of_another_window_is_not_compared(run_scoring, cards):
    _world()
    quarter = run_scoring()
    month = run_scoring(as_of=LATER, window_days=30)
    again = run_scoring(as_of=LATER + timedelta(days=1))
    assert month.compared_run_id is None
    assert all(sc.overall_change is None and not sc.is_new for sc in cards(month).values())
    # The next 90-day run skips the published 30-day run and compares with the last published 90-day run.
    assert again.compared_run_id == quarter.pk


def test_the_compared_run_is_the_last_published_one_even_when_no_longer_current(run_scoring):
    _world()
    first = run_scoring()
    second = run_scoring(as_of=LATER)
    third = run_scoring(as_of=LATER + timedelta(days=7))
    assert (second.compared_run_id, third.compared_run_id) == (first.pk, second.pk)
    assert not ScoringRun.objects.get(pk=second.pk).is_published


def test_pruning_the_compared_run_keeps_the_changes(run_scoring, settings):
    _world()
    run_scoring()
    second = run_scoring(as_of=LATER)
    third = run_scoring(as_of=LATER + timedelta(days=7))
    changes = list(Scorecard.objects.filter(run=third).values_list("volume_change", flat=True))
    services.scoring_runs_prune(keep=1)
    third.refresh_from_db()
    assert not ScoringRun.objects.filter(pk=second.pk).exists()
    assert third.compared_run_id is None
    assert list(Scorecard.objects.filter(run=third).values_list("volume_change", flat=True)) == changes


def test_videos_and_views_of_the_previous_window_are_counted(run_scoring, cards):
    creator = make_creator("gil")
    make_videos(creator, [1, 2, 3], views=100)  # in the 90-day window
    make_videos(creator, [90, 120, 179], views=40)  # the 90 days before it: days 90 .. 179 before the as-of date
    make_videos(creator, [180, 200], views=7)  # older still: in neither window
    run = run_scoring()
    card = cards(run)["gil"]
    assert (card.videos, card.views) == (3, 300)
    assert (card.videos_previous, card.views_previous) == (3, 120)
    month = cards(run_scoring(window_days=30))["gil"]
    # 30-day window: days 0..29; the previous one: days 30..59, where gil posted nothing.
    assert (month.videos_previous, month.views_previous) == (0, 0)
