"""The creator exports (CSV and XLSX), used by the dashboard (``/creators/export.csv``, ``.xlsx``, the shortlist
exports) and the API.

What they guarantee:
- the rows are exactly the queryset given (the caller passes the filtered, access-restricted ``creator_list``, or
  a shortlist's subset of it), in its order, one row per creator;
- the columns come from one specification (:func:`export_columns`, built on ``scoring.catalogue``): the visible
  per-creator fields, then the as-of date and the scorecard URL; headers in words (the catalogue labels, the
  ones the table shows) or, with ``?headers=keys``, the stable catalogue names;
- indices, their changes (points) and "our score" to one decimal, as on the page; the follower tier as its label
  (``10k–100k``);
- text cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) are
  prefixed with a single quote, in both formats; numbers are written as numbers, strings as strings;
- CSV is ``text/csv; charset=utf-8``, with a byte-order mark on request (``?bom=1``; the dashboard's default) so
  that Excel reads the accents; XLSX is written by XlsxWriter in constant-memory mode;
- memory stays flat with the number of rows.

On PostgreSQL the CSV is one ``COPY (SELECT ...) TO STDOUT WITH (FORMAT csv, HEADER)`` whose output is passed
through in ~256 KB chunks, with rounding, labels and neutralisation done in SQL: per-row Python costs 12-17x COPY
(LIMITS.md), this costs about 1x. Elsewhere (SQLite, the embedded default) and for XLSX, a batched iterator of the
same cells (:func:`export_rows`) feeds ``csv.writer`` or the workbook.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

import xlsxwriter
from django.db import connections
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from creators.models import Creator
from partners.choices import EntryStatus
from scoring.catalogue import PARTNER_SCORE, FieldSpec, Kind
from scoring.definitions import FOLLOWER_TIERS

CHUNK_BYTES = 256 * 1024
BATCH_ROWS = 2000
BOM = "\ufeff".encode()
# Characters that make a spreadsheet evaluate a cell (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SQL_PATTERN = r"^[-=+@\t\r]"  # PostgreSQL regex escapes, not Python ones
_TEXT_FIELDS = frozenset({"handle", "display_name", "country", "confidence", "collaboration_confidence"})
# Excel's sheet holds 1,048,576 rows, one of them the header.
XLSX_MAX_ROWS = 1_048_575
# The query parameters of an export that are not filters: a check of unknown parameters must accept them.
EXPORT_PARAMS = frozenset({"headers", "bom"})
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class ExportColumn:
    """One column of both export formats: its stable key, its header in words, and how its cell is produced.

    ``decimals`` rounds a number (indices: one, as on the page); ``labels`` maps a stored value to the word shown
    (the follower tier); ``prefix`` makes the cell ``prefix + <the source column>`` (the scorecard URL);
    ``constant`` is the same value on every row (the as-of date).
    """

    name: str
    label: str
    text: bool  # neutralised against formulas and written as a string; numbers are written as they are
    categories: bool = False  # the creator's category slugs, primary first, ';'-separated
    decimals: int | None = None
    labels: Mapping[Any, str] | None = None
    source: str | None = None  # the queryset column the cell is computed from, when not ``name``
    prefix: str | None = None
    suffix: str = ""
    constant: str | None = None


@dataclass(frozen=True)
class ExportOptions:
    """What the request chose: headers in words or keys, a byte-order mark (CSV only)."""

    keys: bool = False
    bom: bool = False


class ExportOptionError(ValueError):
    """A bad ``headers`` or ``bom`` value: ``field`` names the parameter (answer 400)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def export_options(params: Mapping[str, Any], *, default_bom: bool) -> ExportOptions:
    """``?headers=labels|keys`` (default labels) and ``?bom=1|0`` (default ``default_bom``), or ExportOptionError."""
    headers = (params.get("headers") or "labels").strip().lower()
    if headers not in {"labels", "keys"}:
        raise ExportOptionError("headers", "Choose labels (column headers in words) or keys (stable names).")
    raw_bom = (params.get("bom") or "").strip().lower()
    if raw_bom and raw_bom not in _TRUE | _FALSE:
        raise ExportOptionError("bom", "Use 1 to start the file with a byte-order mark, 0 for none.")
    return ExportOptions(keys=headers == "keys", bom=raw_bom in _TRUE if raw_bom else default_bom)


FOLLOWER_TIER_LABELS: dict[int, str] = {tier.number: tier.label for tier in FOLLOWER_TIERS}
# Extra text columns that callers may add, by queryset annotation name: their headers in words.
EXTRA_LABELS: dict[str, str] = {
    "shortlist_status": "Status",
    "shortlist_note": "Note",
    "shortlist_added_by": "Added by",
    "shortlist_added_on": "Added on",
}

# Extra columns whose stored value is written as its word ("contacted" as "Contacted", as the page shows it).
EXTRA_VALUE_LABELS: dict[str, Mapping[Any, str]] = {"shortlist_status": dict(EntryStatus.choices)}

# The shortlist export's own columns, after the list's (annotated by ``partners.shortlists.export_queryset``).
SHORTLIST_COLUMNS: tuple[str, ...] = tuple(EXTRA_LABELS)


def export_columns(
    *,
    queryset: QuerySet,
    fields: Sequence[FieldSpec],
    as_of: dt.date | None = None,
    scorecard_url: tuple[str, str] | None = None,
    extra: Sequence[str] = (),
) -> list[ExportColumn]:
    """The export columns for these visible fields: every per-creator field the queryset can supply, in order,
    then "our score" when the partner has weights, the as-of date, the scorecard URL and the ``extra`` annotations.

    Per-category values (``Kind.IMPACT``) are not one value per creator and are left out; a visible field that the
    queryset does not carry is left out rather than written empty (so a hidden field can never appear).
    """
    available = set(queryset.query.annotations) | {f.name for f in queryset.model._meta.concrete_fields}
    if queryset.query.values_select or queryset.query.annotation_select_mask is not None:
        available = set(queryset.query.values_select) | set(queryset.query.annotation_select)
    available.add("categories")  # annotated by creator_list, else read from the link table
    columns = []
    for spec in (*fields, PARTNER_SCORE):
        if spec.kind == Kind.IMPACT or spec.name not in available:
            continue
        if spec.name == "categories":
            columns.append(ExportColumn(name="categories", label=spec.label, text=True, categories=True))
        elif spec.name == "follower_tier":
            columns.append(ExportColumn(name=spec.name, label=spec.label, text=True, labels=FOLLOWER_TIER_LABELS))
        elif spec.name in _TEXT_FIELDS:
            columns.append(ExportColumn(name=spec.name, label=spec.label, text=True))
        else:
            # Indices and their changes (points) to one decimal, as on the page.
            decimals = 1 if spec.kind in (Kind.INDEX, Kind.CHANGE) else None
            columns.append(ExportColumn(name=spec.name, label=spec.label, text=False, decimals=decimals))
    if as_of is not None:
        columns.append(ExportColumn(name="as_of", label="Data as of", text=True, constant=as_of.isoformat()))
    if scorecard_url is not None and "handle" in available:
        prefix, suffix = scorecard_url
        columns.append(
            ExportColumn(
                name="scorecard_url", label="Scorecard", text=True, source="handle", prefix=prefix, suffix=suffix
            )
        )
    for name in extra:
        if name in available:
            columns.append(
                ExportColumn(
                    name=name, label=EXTRA_LABELS.get(name, name), text=True, labels=EXTRA_VALUE_LABELS.get(name)
                )
            )
    return columns


def rounded(value: Any, decimals: int) -> float:
    """``value`` to ``decimals`` places as PostgreSQL's ``ROUND(value::numeric, n)`` does on the COPY path: the
    float read to 15 significant digits, halves away from zero. (Python's ``round`` works on the binary value and
    gives 62.2 for 62.25 where the COPY says 62.3.)"""
    exact = Decimal(f"{float(value):.15g}")
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def header_row(columns: Sequence[ExportColumn], options: ExportOptions) -> list[str]:
    return [column.name if options.keys else column.label for column in columns]


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


def export_filename(*, stem: str, export_id: str, fmt: Format = Format.CSV) -> str:
    """``<stem>-<YYYY-MM-DD>-<export id>.<csv|xlsx>``: the date says when, the id finds the audit event."""
    return f"{stem}-{timezone.now():%Y-%m-%d}-{export_id}.{fmt}"


def new_export_id() -> str:
    return secrets.token_hex(6)


def _scalar_sources(columns: Sequence[ExportColumn]) -> list[str]:
    """The queryset columns the cells read (each once, in order)."""
    names: list[str] = []
    for column in columns:
        if column.categories or column.constant is not None:
            continue
        source = column.source or column.name
        if source not in names:
            names.append(source)
    return names


# --- PostgreSQL: COPY pass-through ---------------------------------------------------------------------------


def _categories_annotated(queryset: QuerySet) -> bool:
    """True for ``creator_list``-shaped querysets, whose ``categories`` is already a list of slugs (JSON array);
    false for plain ``Creator`` querysets, whose categories are read from the link table here."""
    return "categories" in queryset.query.annotations


def _cell_sql(column: ExportColumn, *, annotated: bool, through: str, category_table: str) -> tuple[str, list[Any]]:
    """The SQL of one cell over the inner query ``q``, with its parameters: the same cell as
    ``export_row_batches`` computes in Python."""
    if column.categories and annotated:
        # The JSON array of slugs, already in display order, as "a;b;c".
        return "array_to_string(ARRAY(SELECT jsonb_array_elements_text(q.categories::jsonb)), ';')", []
    if column.categories:
        return (
            f"(SELECT string_agg(c.slug, ';' ORDER BY c.id <> q.primary_category_id, c.slug) "
            f'FROM "{through}" cc JOIN "{category_table}" c ON c.id = cc.category_id '
            f"WHERE cc.creator_id = q.id)"
        ), []
    if column.constant is not None:
        return "%s::text", [column.constant]
    expression = f'q."{column.source or column.name}"'
    if column.prefix is not None:
        return f"(%s::text || {expression} || %s::text)", [column.prefix, column.suffix]
    if column.labels is not None:
        params: list[Any] = []
        whens = []
        for value, label in column.labels.items():
            whens.append("WHEN %s THEN %s::text")
            params.extend([value, label])
        return f"(CASE {expression} {' '.join(whens)} ELSE {expression}::text END)", params
    if column.decimals is not None:
        # numeric rounding: halves away from zero, as rounded() does in Python.
        return f"ROUND({expression}::numeric, {int(column.decimals)})", []
    return expression, []


def _copy_statement(
    *,
    queryset: QuerySet,
    columns: Sequence[ExportColumn],
    options: ExportOptions | None = None,
    neutralised: bool = True,
) -> tuple[str, tuple[Any, ...]]:
    """``COPY (SELECT <cells> FROM (<queryset>) q) TO STDOUT WITH (FORMAT csv, HEADER)``.

    COPY's ``HEADER`` writes the column aliases, which are the chosen headers (in words or keys).
    ``neutralised=False`` leaves the text cells raw: the benchmark's reference for the cost of the bare COPY.
    """
    options = options or ExportOptions()
    scalar = _scalar_sources(columns)
    annotated = _categories_annotated(queryset)
    if annotated:
        inner = queryset.values(*scalar, "categories")
    else:
        inner = queryset.values("id", "primary_category_id", *scalar)
    inner_sql, inner_params = inner.query.sql_with_params()
    through = Creator.categories.through._meta.db_table
    category_table = Creator._meta.get_field("primary_category").related_model._meta.db_table
    select = []
    params: list[Any] = []
    for column, header in zip(columns, header_row(columns, options), strict=True):
        expression, own = _cell_sql(column, annotated=annotated, through=through, category_table=category_table)
        if column.text and neutralised:
            # The prefix is decided in SQL so the bytes can go from PostgreSQL to the client untouched. The
            # expression appears three times, so do its parameters.
            expression = f"({expression})::text"
            expression = (
                f"CASE WHEN {expression} ~ '{_FORMULA_SQL_PATTERN}' THEN '''' || {expression} ELSE {expression} END"
            )
            own = own * 3
        params.extend(own)
        quoted = header.replace('"', '""').replace("%", "%%")
        select.append(f'{expression} AS "{quoted}"')
    sql = f"COPY (SELECT {', '.join(select)} FROM ({inner_sql}) q) TO STDOUT WITH (FORMAT csv, HEADER)"
    return sql, (*params, *inner_params)


def copy_sql(
    *,
    queryset: QuerySet,
    columns: Sequence[ExportColumn],
    neutralised: bool = True,
    options: ExportOptions | None = None,
) -> str:
    """The literal COPY statement (parameters inlined) for a queryset: what the benchmark runs through ``psql``."""
    sql, params = _copy_statement(queryset=queryset, columns=columns, neutralised=neutralised, options=options)
    connection = connections[queryset.db]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        return cursor.cursor.mogrify(sql, params)


def _copy_chunks(
    *, queryset: QuerySet, columns: Sequence[ExportColumn], options: ExportOptions | None = None
) -> Iterator[bytes]:
    options = options or ExportOptions()
    sql, params = _copy_statement(queryset=queryset, columns=columns, options=options)
    connection = connections[queryset.db]
    connection.ensure_connection()
    buffer: list[bytes] = [BOM] if options.bom else []
    size = len(buffer[0]) if buffer else 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        for data in copy:
            buffer.append(bytes(data))
            size += len(data)
            if size >= CHUNK_BYTES:
                yield b"".join(buffer)
                buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


# --- Everywhere else, and XLSX: batched rows of cells ---------------------------------------------------------


def _category_slugs(creator_ids: Sequence[int], primary: dict[int, int]) -> dict[int, str]:
    through = Creator.categories.through
    slugs: dict[int, list[tuple[bool, str]]] = defaultdict(list)
    for creator_id, category_id, slug in through.objects.filter(creator_id__in=creator_ids).values_list(
        "creator_id", "category_id", "category__slug"
    ):
        slugs[creator_id].append((category_id != primary[creator_id], slug))
    return {creator_id: ";".join(slug for _, slug in sorted(items)) for creator_id, items in slugs.items()}


def export_row_batches(*, queryset: QuerySet, columns: Sequence[ExportColumn]) -> Iterator[list[list[Any]]]:
    """The cells of every row, in batches of ``BATCH_ROWS``: text neutralised (``str``), numbers rounded as the
    column says (``int``/``float``), ``None`` for no value. The same cells as the COPY statement's."""
    scalar = _scalar_sources(columns)
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

    def cells(batch: list[tuple[Any, ...]]) -> list[list[Any]]:
        looked_up = (
            _category_slugs([row[0] for row in batch], {row[0]: row[1] for row in batch})
            if wants_categories and not annotated
            else {}
        )
        out = []
        for row in batch:
            values = dict(zip(scalar, row[3:], strict=True))
            line: list[Any] = []
            for column in columns:
                if column.categories:
                    value: Any = ";".join(row[2] or ()) if annotated else looked_up.get(row[0], "")
                elif column.constant is not None:
                    value = column.constant
                else:
                    value = values[column.source or column.name]
                    if value is None:
                        line.append(None)
                        continue
                    if column.prefix is not None:
                        value = column.prefix + str(value) + column.suffix
                    elif column.labels is not None:
                        value = column.labels.get(value, str(value))
                    elif column.decimals is not None:
                        value = rounded(value, column.decimals)
                if column.text and value is not None:
                    value = neutralise(str(value))
                line.append(value)
            out.append(line)
        return out

    batch: list[tuple[Any, ...]] = []
    for row in rows_iter:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield cells(batch)
            batch = []
    if batch:
        yield cells(batch)


def _python_chunks(
    *, queryset: QuerySet, columns: Sequence[ExportColumn], options: ExportOptions | None = None
) -> Iterator[bytes]:
    options = options or ExportOptions()

    def writer_for(out: io.StringIO) -> Any:
        # CRLF (RFC 4180): with a bare "\n" terminator csv.writer would leave a lone "\r" in a cell unquoted.
        return csv.writer(out, lineterminator="\r\n")

    out = io.StringIO()
    writer_for(out).writerow(header_row(columns, options))
    yield (BOM if options.bom else b"") + out.getvalue().encode()
    for batch in export_row_batches(queryset=queryset, columns=columns):
        out = io.StringIO()
        writer = writer_for(out)
        for line in batch:
            writer.writerow(
                [
                    f"{value:.{column.decimals}f}"
                    if column.decimals is not None and value is not None
                    else value
                    if column.text
                    else _number(value)
                    for column, value in zip(columns, line, strict=True)
                ]
            )
        yield out.getvalue().encode()


def csv_chunks(
    *, queryset: QuerySet, columns: Sequence[ExportColumn], options: ExportOptions | None = None
) -> Iterable[bytes]:
    """The CSV (header first) of ``queryset`` in chunks, by COPY on PostgreSQL and by batches elsewhere."""
    options = options or ExportOptions()
    if connections[queryset.db].vendor == "postgresql":
        return _copy_chunks(queryset=queryset, columns=columns, options=options)
    return _python_chunks(queryset=queryset, columns=columns, options=options)


def write_xlsx(
    target: Any, *, queryset: QuerySet, columns: Sequence[ExportColumn], options: ExportOptions | None = None
) -> None:
    """Write the workbook of ``queryset`` to ``target`` (a path or a binary file): one sheet, the header row frozen,
    strings written as strings (never read as formulas, numbers or links), numbers as numbers.

    Constant-memory mode: each row is flushed to a temporary file as soon as the next one starts, so memory does
    not grow with the rows; the rows must be written in order, which they are.
    """
    options = options or ExportOptions()
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "tmpdir": tempfile.gettempdir(),
        },
    )
    try:
        sheet = workbook.add_worksheet("Creators")
        bold = workbook.add_format({"bold": True})
        one_decimal = workbook.add_format({"num_format": "0.0"})
        sheet.freeze_panes(1, 1)
        for index, header in enumerate(header_row(columns, options)):
            sheet.write_string(0, index, header, bold)
        formats = [one_decimal if column.decimals == 1 else None for column in columns]
        row_number = 0
        for batch in export_row_batches(queryset=queryset, columns=columns):
            for line in batch:
                row_number += 1
                for index, value in enumerate(line):
                    if value is None:
                        continue
                    if isinstance(value, str):
                        sheet.write_string(row_number, index, value)
                    else:
                        # float(): GMV comes as a Decimal; Excel's numbers are doubles anyway.
                        sheet.write_number(row_number, index, float(value), formats[index])
    finally:
        workbook.close()


def csv_streaming_response(
    *,
    queryset: QuerySet,
    columns: Sequence[ExportColumn],
    filename: str,
    export_id: str,
    options: ExportOptions | None = None,
) -> StreamingHttpResponse:
    """A streamed ``text/csv; charset=utf-8`` attachment with the export id in a header as well as in the file name."""
    response = StreamingHttpResponse(
        csv_chunks(queryset=queryset, columns=columns, options=options), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Export-Id"] = export_id
    response["Cache-Control"] = "no-store"
    return response


def xlsx_response(
    *,
    queryset: QuerySet,
    columns: Sequence[ExportColumn],
    filename: str,
    export_id: str,
    options: ExportOptions | None = None,
) -> FileResponse:
    """The workbook, written to a temporary file (a zip cannot be streamed as it is made), then streamed from it.
    The file is unnamed and goes when the response closes it."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse
    write_xlsx(spool, queryset=queryset, columns=columns, options=options)
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
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
    fmt: Format = Format.CSV,
    options: ExportOptions | None = None,
    as_of: dt.date | None = None,
    extra: Sequence[str] = (),
) -> HttpResponse | StreamingHttpResponse:
    """The one creator export, CSV or XLSX: quota, audit event with the export id, then the file.

    ``queryset`` is the filtered, restricted ``creator_list`` (or a subset of it, e.g. a shortlist); ``fields`` is
    ``visible_fields(access)``; ``filename`` is the stem of the file name, which gets the date and the export id.
    The caller has already checked that ``access`` may export (``access.can_export``). Used as it is by the API.
    Both formats count against the same quota and are audited alike (the event's filters say which format).
    """
    from django.urls import reverse

    from partners.services import export_quota_consume

    scorecard_url = None
    if request is not None:
        # The scorecard's absolute URL around the handle; handles are URL-safe (letters, digits, "_" and ".").
        placeholder = "HANDLE-PLACEHOLDER"
        url = request.build_absolute_uri(reverse("creators:detail", args=[placeholder]))
        before, after = url.split(placeholder)
        scorecard_url = (before, after)
    columns = export_columns(queryset=queryset, fields=fields, as_of=as_of, scorecard_url=scorecard_url, extra=extra)
    export_id = new_export_id()
    # Counted before writing: the quota and the audit event need the row count, and the stream cannot fail
    # half-way on the quota.
    rows = queryset.order_by().count()
    if fmt == Format.XLSX and rows > XLSX_MAX_ROWS:
        # Refused before the quota: nothing was exported.
        return HttpResponse(
            f"An Excel sheet holds at most {XLSX_MAX_ROWS:,} rows and this export has {rows:,}: narrow the filters "
            "or export CSV.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    audited = {**(filters if filters is not None else _request_filters(request)), "format": str(fmt)}
    # Over the quota this raises ExportQuotaExceeded: the page's mixin answers the branded HTML 429, the API's
    # base its JSON 429 (both with Retry-After).
    export_quota_consume(access, rows, request=request, export_id=export_id, filters=audited)
    name = export_filename(stem=filename, export_id=export_id, fmt=fmt)
    if fmt == Format.XLSX:
        response: HttpResponse | StreamingHttpResponse = xlsx_response(
            queryset=queryset, columns=columns, filename=name, export_id=export_id, options=options
        )
    else:
        response = csv_streaming_response(
            queryset=queryset, columns=columns, filename=name, export_id=export_id, options=options
        )
    response["X-Export-Rows"] = str(rows)
    return response


def _request_filters(request: Any) -> dict[str, Any]:
    if request is None:
        return {}
    from partners.audit import request_filters

    return request_filters(request)

