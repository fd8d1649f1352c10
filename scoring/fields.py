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

    # Django's lookups return a list of parameters; django-stubs says a tuple.
    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = sorted({int(item) for item in self.rhs})
        if not ids:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            # One array parameter: the same statement text (and plan cache entry) for any number of ids.
            return f"{lhs} && %s::integer[]", [*lhs_params, ids]
        marks = ", ".join(["%s"] * len(ids))
        return f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value IN ({marks}))", [*lhs_params, *ids]
