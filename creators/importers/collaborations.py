"""The ``collaborations`` kind: brand invitations to creators and what became of them."""

from __future__ import annotations

from typing import Any

from creators.choices import CollaborationStatus
from creators.importers import values as v
from creators.importers.common import CategoryLookup, CreatorLinkedImporter
from creators.importers.engine import Column, RowInvalid

_STATUSES = frozenset(CollaborationStatus.values)


def _status(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in _STATUSES:
        raise ValueError(f"{text.strip()!r} is not a status (use one of: {', '.join(CollaborationStatus.values)})")
    return lowered


class CollaborationsImporter(CreatorLinkedImporter):
    """Key ``external_id``; the creator must exist. ``due_at`` may lie in the future (a deadline); the other
    times may not, and none of responded, due or delivered may come before the invitation."""

    kind = "collaborations"
    locked_tables = ("{creator}", "{creator_categories}", "{collaboration}")
    key_column = "external_id"
    stage_key = "external_id"
    stage_columns = (
        ("external_id", "text"),
        ("creator_ref", "text"),
        ("creator_ref_lower", "text"),
        ("creator_id", "bigint"),
        ("brand", "text"),
        ("category_id", "bigint"),
        ("invited_at", "time"),
        ("responded_at", "time"),
        ("status", "text"),
        ("due_at", "time"),
        ("delivered_at", "time"),
    )
    target = "{collaboration}"
    compared = (
        "creator_id", "brand", "category_id", "invited_at", "responded_at", "status", "due_at", "delivered_at",
    )

    def build_columns(self) -> tuple[Column, ...]:
        self.categories = CategoryLookup()
        past = v.make_time(now=self.now)
        return (
            Column("external_id", v.identifier, required=True),
            Column("creator", v.creator_reference, required=True),
            Column("brand", v.required(v.text_field(max_length=200)), required=True),
            Column("invited_at", past, required=True),
            Column("status", v.required(_status), required=True),
            Column("category", self.categories.parse_optional),
            Column("responded_at", v.optional(past)),
            Column("due_at", v.optional(v.make_time(now=self.now, allow_future=True))),
            Column("delivered_at", v.optional(past)),
        )

    def stage_row(self, line: int, values: list[Any]) -> tuple:
        external_id, creator, brand, invited_at, status, category, responded_at, due_at, delivered_at = values
        for column, moment in (("responded_at", responded_at), ("due_at", due_at), ("delivered_at", delivered_at)):
            if moment is not None and moment < invited_at:
                raise RowInvalid(column, f"{moment.isoformat()} is before invited_at ({invited_at.isoformat()})")
        ref, ref_lower = self.reference(creator)
        return (
            external_id, ref, ref_lower, None, brand, category, invited_at, responded_at, status, due_at,
            delivered_at,
        )
