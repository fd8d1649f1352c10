"""Erasure of a creator: everything the product holds about them, except the handle in the audit trail.

A creator removed here leaves no row that points at them: videos, collaborations, scorecards and category
impacts of every run (published or not), shortlist entries and explicit access-grant entries all go, in one
transaction, by set-based deletes (Django's collector issues one ``DELETE ... WHERE creator_id IN (...)`` per
table, since none of those rows has dependants of its own). Audit events have no foreign key to creators and keep
the handle as text by design: the record of who saw what must survive, and it identifies nobody beyond the
public handle.

The published run's other scorecards are not recomputed: their percentiles were correct for the population of
that run. The next scoring run ranks the population without the forgotten creator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from creators.models import Creator
from scoring.services import published_run_touch

logger = logging.getLogger(__name__)

FORGET_ACTION = "creator_forget"


@dataclass(frozen=True)
class ForgetReport:
    """What was (or, in a dry run, would be) removed for one creator."""

    handle: str
    external_id: str
    deleted: dict[str, int]
    dry_run: bool

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


class _DryRunRollback(Exception):
    """Raised inside the transaction of a dry run to undo the deletes after counting them."""


def creator_forget(*, creator: Creator, operator: str, dry_run: bool = False) -> ForgetReport:
    """Remove ``creator`` and everything attached to it; record the erasure (handle only) in the audit trail.

    ``operator`` names who asked (recorded with the event). With ``dry_run`` the same deletes run and are rolled
    back, so the counts are exactly those a real run would give.
    """
    from partners.audit import audit_record  # partners depends on creators, not the other way round at import

    handle, external_id = creator.handle, creator.external_id
    deleted: dict[str, int] = {}
    try:
        with transaction.atomic():
            # Lock the row first: an import updating this creator waits, then finds it gone.
            if not list(Creator.objects.select_for_update().filter(pk=creator.pk).values_list("pk", flat=True)):
                raise Creator.DoesNotExist(f"creator {handle!r} no longer exists")
            _, per_model = Creator.objects.filter(pk=creator.pk).delete()
            deleted = {label: count for label, count in sorted(per_model.items()) if count}
            # Its scorecards went with it (so no copy of its categories is left to sync); the published run's
            # visible rows changed, so aggregates cached for it (list counts, choices) must not be served again.
            published_run_touch()
            if dry_run:
                raise _DryRunRollback
            audit_record(
                action=FORGET_ACTION,
                object_handle=handle,
                filters={"external_id": external_id, "rows_deleted": sum(deleted.values())},
                username=operator,
            )
    except _DryRunRollback:
        pass
    logger.warning(
        "creator %s %s: %s",
        handle,
        "would be forgotten" if dry_run else "forgotten",
        deleted,
        extra={"event": FORGET_ACTION, "dry_run": dry_run, "operator": operator},
    )
    return ForgetReport(handle=handle, external_id=external_id, deleted=deleted, dry_run=dry_run)
