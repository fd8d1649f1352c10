"""A list of integer ids stored in one column, with an ``overlap`` lookup, on PostgreSQL and SQLite.

``Scorecard.category_ids`` copies a creator's category ids onto its scorecard so that the partner list decides
visibility and the category filter on the scorecard table alone. PostgreSQL stores an ``integer[]`` (``&&``,
served by an index); SQLite, the embedded demo default, stores the JSON text of the list and tests membership with
``json_each``. The ORM code is the same on both: ``Scorecard.objects.filter(category_ids__overlap=[1, 2])``.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Lookup
from django.db.models.sql.compiler import SQLCompiler


class IntegerIdsField(models.Field[Any, Any]):
    """A list of integer ids: ``integer[]`` on PostgreSQL, JSON text elsewhere. Always a ``list[int]`` in Python."""

    description = "A list of integer ids"

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        return "integer[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        if value is None:
            return None
        ids = sorted({int(item) for item in value})
        return ids if connection.vendor == "postgresql" else json.dumps(ids)

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> list[int] | None:
        if value is None or isinstance(value, list):
            return value
        return [int(item) for item in json.loads(value)]

    def to_python(self, value: Any) -> list[int] | None:
        if value is None or isinstance(value, list):
            return value
        if isinstance(value, str):
            return [int(item) for item in json.loads(value)]
        return [int(item) for item in value]


@IntegerIdsField.register_lookup
class Overlap(Lookup):
    """``field__overlap=[ids]``: the stored list shares at least one id with ``ids`` (nothing for an empty list)."""

    lookup_name = "overlap"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:  # type: ignore[override]  # Django's lookups return a list; the stub says tuple
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = sorted({int(item) for item in self.rhs})
        if not ids:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            # One array parameter: the same statement text (and plan cache entry) for any number of ids.
            return f"{lhs} && %s::integer[]", [*lhs_params, ids]
        marks = ", ".join(["%s"] * len(ids))
        return f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value IN ({marks}))", [*lhs_params, *ids]


# Category ids that have a bit in ``CategoryMaskField``: 1..63 (bit ``id - 1``; bit 63 is a bigint's sign).
MASK_MAX_ID = 63


def category_mask(ids: Any) -> int:
    """The bitmask of the ids in 1..``MASK_MAX_ID`` (bit ``id - 1``); ids outside that range have no bit."""
    mask = 0
    for item in ids or ():
        item = int(item)
        if 1 <= item <= MASK_MAX_ID:
            mask |= 1 << (item - 1)
    return mask


class CategoryMaskField(models.BigIntegerField[Any, Any]):
    """A bigint copy of the low ids (1..63) of an ``IntegerIdsField`` of the same model, as bits.

    Testing a bit costs a fraction of testing an array, and the bigint is carried by the (run, creator) index so
    that a count can read the index without touching the table (migration ``scoring.0007``): counting a
    partner's visible scorecards costs what counting all of them does. It is kept from ``source`` on every ORM
    save and bulk insert (``pre_save``); SQL that writes ``source`` writes this too
    (``scoring.indices.creator_access_sql``). Ids above 63 are only in ``source``: ``scoring.models.category_ids_q``
    tests them there, so visibility is exact for any id.
    """

    def __init__(self, *args: Any, source: str = "category_ids", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("default", 0)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        if self.source != "category_ids":
            kwargs["source"] = self.source
        if kwargs.get("default") == 0:
            del kwargs["default"]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> int:
        value = category_mask(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


@CategoryMaskField.register_lookup
class Intersects(Lookup):
    """``field__intersects=mask``: at least one bit in common: ``(field & mask) <> 0``, the same SQL everywhere."""

    lookup_name = "intersects"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:  # type: ignore[override]  # Django's lookups return a list; the stub says tuple
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"({lhs} & %s) <> 0", [*lhs_params, int(self.rhs)]
