"""The one CSV export of creators, used by the dashboard (``/creators/export.csv``) and the API.

What it guarantees:
- the rows are exactly the queryset it is given (the caller passes the filtered, access-restricted
  ``creator_list``), in its order, one row per creator;
- the columns are exactly the visible fields it is given (``visible_fields(access)``) that are per-creator values;
- text cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) are
  prefixed with a single quote; number columns are never touched, so numbers stay numbers;
- it streams: memory stays flat at 1,000,000 rows.

On PostgreSQL the whole thing is one ``COPY (SELECT ...) TO STDOUT WITH (FORMAT csv, HEADER)`` whose output is passed
through in ~256 KB chunks, with the neutralisation done in SQL: per-row Python costs 12-17x COPY (LIMITS.md), this
costs about 1x. Elsewhere (SQLite, the embedded default) a batched ``csv.writer`` does the same work in Python,
one yield per batch.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from creators.models import Creator
from scoring.catalogue import FieldSpec, Kind

CHUNK_BYTES = 256 * 1024
BATCH_ROWS = 2000
# Characters that make a spreadsheet evaluate a cell (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SQL_PATTERN = r"^[-=+@\t\r]"  # PostgreSQL regex escapes, not Python ones
_TEXT_FIELDS = frozenset({"handle", "display_name", "country", "confidence", "collaboration_confidence"})


@dataclass(frozen=True)
class ExportColumn:
    """One CSV column: the catalogue field it shows and how its cell is produced."""

    name: str
    text: bool  # neutralised against formulas; numbers are written as they are
    categories: bool = False  # the creator's category slugs, primary first, ';'-separated


def export_columns(*, queryset: QuerySet, fields: Sequence[FieldSpec]) -> list[ExportColumn]:
    """The CSV columns for these visible fields: every per-creator field the queryset can supply, in order.

    Per-category values (``Kind.IMPACT``) are not one value per creator and are left out; a visible field that the
    queryset does not carry is left out rather than written empty.
    """
    available = set(queryset.query.annotations) | {field.name for field in queryset.model._meta.concrete_fields}
    columns = []
    for spec in fields:
        if spec.kind == Kind.IMPACT:
            continue
        if spec.name == "categories":
            columns.append(ExportColumn(name="categories", text=True, categories=True))
        elif spec.name in available:
            columns.append(ExportColumn(name=spec.name, text=spec.name in _TEXT_FIELDS))
    return columns


def neutralise(value: Any) -> Any:
    """Prefix a text cell that would start a spreadsheet formula with ``'``; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _number(value: Any) -> Any:
    """Floats as PostgreSQL writes them (``2000`` rather than ``2000.0``), so both paths give the same file."""
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return value


def export_filename(*, stem: str, export_id: str) -> str:
    """``<stem>-<YYYY-MM-DD>-<export id>.csv``: the date says when, the id finds the audit event."""
    return f"{stem}-{timezone.now():%Y-%m-%d}-{export_id}.csv"


def new_export_id() -> str:
    return secrets.token_hex(6)


# --- PostgreSQL: COPY pass-through ---------------------------------------------------------------------------


def _categories_annotated(queryset: QuerySet) -> bool:
    """True for ``creator_list``-shaped querysets, whose ``categories`` is already a list of slugs (JSON array);
    false for plain ``Creator`` querysets, whose categories are read from the link table here."""
    return "categories" in queryset.query.annotations


def _copy_statement(
    *, queryset: QuerySet, columns: Sequence[ExportColumn], neutralised: bool = True
) -> tuple[str, tuple[Any, ...]]:
    """``COPY (SELECT <neutralised columns> FROM (<queryset>) q) TO STDOUT WITH (FORMAT csv, HEADER)``.

    ``neutralised=False`` leaves the text cells raw: the benchmark's reference for the cost of the bare COPY.
    """
    scalar = [column.name for column in columns if not column.categories]
    annotated = _categories_annotated(queryset)
    if annotated:
        inner = queryset.values(*scalar, "categories")
    else:
        inner = queryset.values("id", "primary_category_id", *scalar)
    inner_sql, params = inner.query.sql_with_params()
    through = Creator.categories.through._meta.db_table
    category_table = Creator._meta.get_field("primary_category").related_model._meta.db_table
    select = []
    for column in columns:
        if column.categories and annotated:
            # The JSON array of slugs, already in display order, as "a;b;c".
            expression = "array_to_string(ARRAY(SELECT jsonb_array_elements_text(q.categories::jsonb)), ';')"
        elif column.categories:
            expression = (
                f"(SELECT string_agg(c.slug, ';' ORDER BY c.id <> q.primary_category_id, c.slug) "
                f'FROM "{through}" cc JOIN "{category_table}" c ON c.id = cc.category_id '
                f"WHERE cc.creator_id = q.id)"
            )
        else:
            expression = f'q."{column.name}"'
        if column.text and neutralised:
            # The prefix is decided in SQL so the bytes can go from PostgreSQL to the client untouched.
            expression = (
                f"CASE WHEN {expression} ~ '{_FORMULA_SQL_PATTERN}' THEN '''' || {expression} ELSE {expression} END"
            )
        select.append(f'{expression} AS "{column.name}"')
    sql = f"COPY (SELECT {', '.join(select)} FROM ({inner_sql}) q) TO STDOUT WITH (FORMAT csv, HEADER)"
    return sql, tuple(params)


def copy_sql(*, queryset: QuerySet, columns: Sequence[ExportColumn], neutralised: bool = True) -> str:
    """The literal COPY statement (parameters inlined) for a queryset: what the benchmark runs through ``psql``."""
    sql, params = _copy_statement(queryset=queryset, columns=columns, neutralised=neutralised)
    connection = connections[queryset.db]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        return cursor.cursor.mogrify(sql, params)


def _copy_chunks(*, queryset: QuerySet, columns: Sequence[ExportColumn]) -> Iterator[bytes]:
    sql, params = _copy_statement(queryset=queryset, columns=columns)
    connection = connections[queryset.db]
    connection.ensure_connection()
    buffer: list[bytes] = []
    size = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        for data in copy:
            buffer.append(bytes(data))
            size += len(data)
            if size >= CHUNK_BYTES:
                yield b"".join(buffer)
                buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


# --- Everywhere else: batched csv.writer ----------------------------------------------------------------------


def _category_slugs(creator_ids: Sequence[int], primary: dict[int, int]) -> dict[int, str]:
    through = Creator.categories.through
    slugs: dict[int, list[tuple[bool, str]]] = defaultdict(list)
    for creator_id, category_id, slug in through.objects.filter(creator_id__in=creator_ids).values_list(
        "creator_id", "category_id", "category__slug"
    ):
        slugs[creator_id].append((category_id != primary[creator_id], slug))
    return {creator_id: ";".join(slug for _, slug in sorted(items)) for creator_id, items in slugs.items()}


def _python_chunks(*, queryset: QuerySet, columns: Sequence[ExportColumn]) -> Iterator[bytes]:
    scalar = [column.name for column in columns if not column.categories]
    wants_categories = any(column.categories for column in columns)
    annotated = _categories_annotated(queryset)
    # Every row becomes (creator id, primary category id, categories list, *scalar values); unused slots are None.
    rows_iter: Iterator[tuple[Any, ...]]
    if annotated:
        listed = queryset.values_list(*scalar, "categories").iterator(chunk_size=BATCH_ROWS)
        rows_iter = ((None, None, row[-1], *row[:-1]) for row in listed)
    else:
        plain = queryset.values_list("id", "primary_category_id", *scalar).iterator(chunk_size=BATCH_ROWS)
        rows_iter = ((row[0], row[1], None, *row[2:]) for row in plain)

    def encode(batch: list[tuple[Any, ...]], header: bool) -> bytes:
        looked_up = (
            _category_slugs([row[0] for row in batch], {row[0]: row[1] for row in batch})
            if wants_categories and not annotated
            else {}
        )
        out = io.StringIO()
        # CRLF (RFC 4180): with a bare "\n" terminator csv.writer would leave a lone "\r" in a cell unquoted.
        writer = csv.writer(out, lineterminator="\r\n")
        if header:
            writer.writerow([column.name for column in columns])
        for row in batch:
            values = dict(zip(scalar, row[3:], strict=True))
            cells = []
            for column in columns:
                if column.categories:
                    cells.append(neutralise(";".join(row[2] or ()) if annotated else looked_up.get(row[0], "")))
                elif column.text:
                    cells.append(neutralise(values[column.name]))
                else:
                    cells.append(_number(values[column.name]))
            writer.writerow(cells)
        return out.getvalue().encode()

    batch: list[tuple[Any, ...]] = []
    header = True
    for row in rows_iter:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield encode(batch, header)
            batch, header = [], False
    if batch or header:
        yield encode(batch, header)


def csv_chunks(*, queryset: QuerySet, columns: Sequence[ExportColumn]) -> Iterable[bytes]:
    """The CSV (header first) of ``queryset`` in chunks, by COPY on PostgreSQL and by batches elsewhere."""
    if connections[queryset.db].vendor == "postgresql":
        return _copy_chunks(queryset=queryset, columns=columns)
    return _python_chunks(queryset=queryset, columns=columns)


def csv_streaming_response(
    *, queryset: QuerySet, columns: Sequence[ExportColumn], filename: str, export_id: str
) -> StreamingHttpResponse:
    """A streamed ``text/csv`` attachment with the export id in a header as well as in the file name."""
    response = StreamingHttpResponse(csv_chunks(queryset=queryset, columns=columns), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Export-Id"] = export_id
    response["Cache-Control"] = "no-store"
    return response


def creator_export_response(
    *,
    access: Any,
    queryset: QuerySet,
    fields: Sequence[FieldSpec],
    filename: str,
    request: Any = None,
    filters: dict[str, Any] | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """The one creator export: quota, audit event with the export id, then the streamed CSV (or 429).

    ``queryset`` is the filtered, restricted ``creator_list`` (or a subset of it, e.g. a shortlist); ``fields`` is
    ``visible_fields(access)``; ``filename`` is the stem of the file name, which gets the date and the export id.
    The caller has already checked that ``access`` may export (``access.can_export``). Used as it is by the API.
    """
    from partners.services import ExportQuotaExceeded, export_quota_consume

    columns = export_columns(queryset=queryset, fields=fields)
    export_id = new_export_id()
    # Counted before streaming: the quota and the audit event need the row count, and the stream cannot fail
    # half-way on the quota.
    rows = queryset.order_by().count()
    try:
        export_quota_consume(access, rows, request=request, export_id=export_id, filters=filters)
    except ExportQuotaExceeded as exceeded:
        denied = HttpResponse(str(exceeded), status=429, content_type="text/plain; charset=utf-8")
        denied["Retry-After"] = str(_seconds_to_utc_midnight())
        return denied
    response = csv_streaming_response(
        queryset=queryset,
        columns=columns,
        filename=export_filename(stem=filename, export_id=export_id),
        export_id=export_id,
    )
    response["X-Export-Rows"] = str(rows)
    return response


def _seconds_to_utc_midnight() -> int:
    now = timezone.now().astimezone(UTC)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=UTC)
    return max(1, int((tomorrow - now).total_seconds()))
