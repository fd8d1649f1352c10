"""The one definition of what a partner may see: categories, creators and the published run's scorecards.

A creator is visible to a partner when any of its categories (the primary one included: every creator is linked
to its primary category in ``Creator.categories``) is in one of the partner's current grants, or when it is
granted explicitly. A category is visible when it is granted, or is a category of an explicitly granted creator.

Two readings of the creator rule, which select the same creators:

- ``creator_q``: from the link table (``creators_creator_categories``), for every read of creators and the rows
  attached to them (shortlist entries, category impacts, the detail page);
- ``scorecard_q``: from the scorecard's copies of its creator's categories (``Scorecard.category_ids``), so that
  the partner list decides visibility and its category filter on the scorecard table alone, by index.

The copies are written by the scoring run and rewritten only by ``scoring.services.scorecards_access_sync``, which
every writer of a creator's categories or country calls explicitly (the import runner, the admin, the erasure);
``tests/partners/test_visibility_copies.py`` compares them with the link table after every kind of write.

This module imports no model module (the models' ``visible_to`` methods call it): the link table is looked up in
the app registry when a condition is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from typing import TYPE_CHECKING, Protocol

from django.apps import apps
from django.db import models

if TYPE_CHECKING:
    from partners.access import Access


class GrantScope(Protocol):
    """What the creator rule reads of an access: the union of its current grants (``Access``,
    ``scoring.aggregates.Scope``)."""

    @property
    def category_ids(self) -> Set[int]: ...

    @property
    def creator_ids(self) -> Set[int]: ...


def _nothing() -> models.Q:
    return models.Q(pk__in=[])


def category_q(access: Access) -> models.Q:
    """Categories a partner may see and filter on (none without access).

    Decision: the categories of its current grants, plus every category (primary or other) of the creators granted
    to it explicitly. Other categories of category-granted creators are not added: the dropdown then never
    suggests that the partner sees, say, all of ``travel`` because one beauty creator also posts travel.
    """
    if not access.is_partner:
        return _nothing()
    condition = models.Q(pk__in=sorted(access.category_ids))
    if access.creator_ids:
        creator = apps.get_model("creators", "Creator")
        explicit = sorted(access.creator_ids)
        condition |= models.Q(
            models.Exists(creator.objects.filter(primary_category_id=models.OuterRef("pk"), pk__in=explicit))
        )
        condition |= models.Q(
            models.Exists(
                creator.categories.through.objects.filter(category_id=models.OuterRef("pk"), creator_id__in=explicit)
            )
        )
    return condition


def creator_q(access: Access, *, path: str = "") -> models.Q:
    """Visible creators, themselves (``path=""``) or related through ``path`` (e.g. ``"creator"``).

    Any of its categories granted (a semi-join on the small, indexed link table, no per-row join to creators), or
    granted explicitly. Should a creator ever lack the link to its primary category, it is hidden, never shown to
    the wrong partner. Matches nothing for an access without grants.
    """
    prefix = f"{path}__" if path else ""
    condition = models.Q(**{f"{prefix}pk__in": []})
    if not access.is_partner:
        return condition
    if access.category_ids:
        link = apps.get_model("creators", "Creator").categories.through
        linked = link.objects.filter(category_id__in=sorted(access.category_ids))
        condition |= models.Q(**{f"{prefix}pk__in": linked.values("creator_id")})
    if access.creator_ids:
        condition |= models.Q(**{f"{prefix}pk__in": sorted(access.creator_ids)})
    return condition


def category_ids_q(ids: Iterable[int]) -> models.Q:
    """Scorecards whose creator has any of the category ``ids``, from the scorecard's copy (nothing for no ids).

    The same test serves visibility and the list's category filter, so the two never disagree. (A bitmask copy
    of the ids, tested beside the array, was dropped in migration ``scoring.0009``: with the list's counts cached
    per run revision, ``bench/access_bench.py`` showed no gain above its run-to-run noise.)
    """
    ids = sorted({int(item) for item in ids})
    return models.Q(category_ids__overlap=ids) if ids else _nothing()


def scorecard_q(access: GrantScope) -> models.Q:
    """``creator_q`` read from the scorecard's copies of its creator's categories (no run or partner condition:
    ``ScorecardQuerySet.visible_to`` adds them; nothing for a scope without grants)."""
    condition = category_ids_q(access.category_ids)
    if access.creator_ids:
        condition |= models.Q(creator_id__in=sorted(access.creator_ids))
    return condition
