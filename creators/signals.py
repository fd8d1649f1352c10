"""Keep the published run's copies of a creator's categories and country exact when the ORM changes them.

Bulk writers (the importers) call ``scoring.services.scorecards_access_sync`` themselves, once per import. These
handlers cover every change made through the ORM instead (the admin's change form, a shell, a data fix): saving a
creator, or adding, removing or clearing its categories from either side of the many-to-many. Each runs in the
caller's transaction and rewrites only the scorecards of the creators concerned.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from creators.models import Creator

# The creator columns the scorecard copies depend on (see scoring.indices.creator_access_sql).
_ACCESS_FIELDS = frozenset({"country", "primary_category", "primary_category_id"})


def _sync(creator_ids: list[int]) -> None:
    # Imported on use: this module is loaded at start-up (CreatorsConfig.ready) by every process, and
    # scoring.services brings the task queue's client and DRF with it.
    from scoring.services import scorecards_access_sync

    if creator_ids:
        marks = ", ".join(["%s"] * len(creator_ids))
        scorecards_access_sync(creators_sql=f"SELECT id FROM creators_creator WHERE id IN ({marks})",
                               params=creator_ids)


@receiver(post_save, sender=Creator, dispatch_uid="creators.sync_access_on_save")
def sync_access_on_save(sender: Any, instance: Creator, created: bool, update_fields: Any = None,
                        raw: bool = False, **kwargs: Any) -> None:
    """A saved creator may have a new country or primary category (a new one has no scorecard yet)."""
    if created or raw or (update_fields is not None and not _ACCESS_FIELDS & set(update_fields)):
        return
    _sync([instance.pk])


@receiver(m2m_changed, sender=Creator.categories.through, dispatch_uid="creators.sync_access_on_categories")
def sync_access_on_categories(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any,
                              **kwargs: Any) -> None:
    """Categories added to or removed from creators, from the creator's side or the category's."""
    if action not in {"post_add", "post_remove", "post_clear", "pre_clear"}:
        return
    if not reverse:
        if action != "pre_clear":
            _sync([instance.pk])
        return
    # From the category's side: the creators are in pk_set, except for clear(), which does not name them.
    if action == "pre_clear":
        instance._access_sync_creators = list(instance.creators.values_list("pk", flat=True))
        return
    if action == "post_clear":
        _sync(getattr(instance, "_access_sync_creators", []))
        return
    _sync(sorted(pk_set or ()))
