"""The scoring run selects each partner scope's movers and new creators before it publishes (``scoring.movers``),
from the change columns it wrote: the same creators a plain computation over the scope's scorecards gives."""

from __future__ import annotations

from datetime import timedelta

import pytest

from creators.models import Category
from partners.access import access_for_user
from partners.choices import Role
from scoring.aggregates import Scope
from scoring.models import RunMovers, Scorecard
from scoring.movers import DOWN, MOVER_INDICES, MOVERS_KEPT, UP, run_movers
from tests.conftest import make_partner, make_user
from tests.scoring.builders import AS_OF, make_creator, make_videos

pytestmark = pytest.mark.django_db

LATER = AS_OF + timedelta(days=7)


def _population() -> None:
    for i in range(12):
        category = ("beauty", "gaming")[i % 2]
        creator = make_creator(f"mv{i}", followers=1_000 * (i + 1), category=category)
        creator.categories.add(creator.primary_category)  # as the importers link it
        make_videos(creator, list(range(0, 60, 3 + i % 5)), views=900 + 150 * i, likes=7 * i + 3)


def _plain(run, scope_categories: set[int], index: str, direction: str) -> list[int]:
    """The movers the plain way: every scorecard of the scope, sorted in Python."""
    rows = [
        (sc[f"{index}_change"], sc["creator_id"])
        for sc in Scorecard.objects.filter(run=run).values("creator_id", "category_ids", f"{index}_change")
        if set(sc["category_ids"]) & scope_categories and sc[f"{index}_change"] is not None
    ]
    if direction == UP:
        chosen = sorted((r for r in rows if r[0] > 0), key=lambda r: (-r[0], -r[1]))
    else:
        chosen = sorted((r for r in rows if r[0] < 0), key=lambda r: (r[0], -r[1]))
    return [creator_id for _, creator_id in chosen[:MOVERS_KEPT]]


def test_the_run_selects_the_movers_of_each_partner_scope_before_publishing(run_scoring):
    _population()
    beauty = Category.objects.get(slug="beauty")
    partner, _ = make_partner("Movers Beauty", categories=[beauty], commercial=True)
    user = make_user("movers-analyst", partner=partner, role=Role.ANALYST)
    first = run_scoring()
    assert not RunMovers.objects.get(run=first).movers  # nothing to compare with yet
    # Between the runs: some creators post much more, others stop; a new beauty creator and a new gaming one.
    for i, handle in enumerate(("mv0", "mv2", "mv4", "mv6")):
        creator = Scorecard.objects.get(run=first, creator__handle=handle).creator
        make_videos(creator, [-d for d in range(1, 3 + 4 * i)], views=4_000, likes=600)
    newcomer = make_creator("mvnew", followers=900_000, category="beauty")
    newcomer.categories.add(beauty)
    make_videos(newcomer, [-1, -2, -3, -4], views=800)
    make_videos(make_creator("mvgaming", category="gaming"), [-1, -2, -3], views=800)
    second = run_scoring(as_of=LATER)

    assert second.compared_run_id == first.pk and "movers_s" in second.timings
    access = access_for_user(user)
    stored = RunMovers.objects.get(run=second, revision=second.revision, scope=Scope.of(access).key)
    for index in MOVER_INDICES:
        for direction in (UP, DOWN):
            assert stored.movers[index][direction] == _plain(second, {beauty.pk}, index, direction), (index, direction)
    assert any(stored.movers["overall"][UP]) or any(stored.movers["overall"][DOWN])
    assert stored.new_creators == [newcomer.pk] and stored.new_count == 1
    assert run_movers(second, access).compared_as_of == first.as_of
