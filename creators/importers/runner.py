"""Runs one import of one file: the driver around a kind's ``Importer`` (see ``engine`` for the shape)."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from creators.importers.categories import CategoriesImporter
from creators.importers.collaborations import CollaborationsImporter
from creators.importers.engine import Importer, RowInvalid, Sql, StageTable, table_names
from creators.importers.profiles import CreatorsImporter, TikTok2020CreatorsImporter
from creators.importers.reader import CsvSource, FileRejected, check_header, check_size, stream_records
from creators.importers.report import ErrorSink, ImportReport
from creators.importers.values import bidi_error
from creators.importers.videos import TikTok2020VideosImporter, VideosImporter

IMPORTERS: dict[str, type[Importer]] = {
    importer.kind: importer
    for importer in (
        CategoriesImporter,
        CreatorsImporter,
        VideosImporter,
        CollaborationsImporter,
        TikTok2020VideosImporter,
        TikTok2020CreatorsImporter,
    )
}
IMPORT_KINDS: tuple[str, ...] = tuple(IMPORTERS)

ERRORS_KEPT = 1_000
PROGRESS_EVERY = 50_000

Progress = Callable[[int, int | None], None]


def run_import(*, kind: str, path: Path, dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
    """Validate and (unless ``dry_run``) apply ``path`` as ``kind``, in one transaction.

    Problems with the input come back as ``report.errors`` with nothing written; exceptions are programming or
    infrastructure errors only. ``progress(rows_done, total)`` is called every 50,000 rows while validating
    (``total`` is unknown then: ``None``) and once at the end with ``(rows, rows)``.
    """
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(IMPORT_KINDS)}")
    path = Path(path)
    errors = ErrorSink(ERRORS_KEPT)
    report = ImportReport(kind=kind, dry_run=dry_run)
    if check_size(path, max_bytes=settings.IMPORT_MAX_BYTES, errors=errors):
        with transaction.atomic():
            _run(kind=kind, path=path, report=report, errors=errors, progress=progress)
            if errors or dry_run:
                transaction.set_rollback(True)
    report.errors = errors.sorted()
    report.error_count = errors.count
    if not report.ok:
        report.created = report.updated = report.unchanged = 0
        report.extra = {}
    if progress is not None:
        progress(report.rows, report.rows)
    return report


def _run(*, kind: str, path: Path, report: ImportReport, errors: ErrorSink, progress: Progress | None) -> None:
    names = table_names(kind)
    timings = report.timings
    started = time.monotonic()
    with connection.cursor() as cursor:
        sql = Sql(cursor, names)
        importer = IMPORTERS[kind](sql=sql, now=datetime.now(UTC), errors=errors)
        importer.setup()
        from creators.importers.direct import try_direct_load  # psycopg's COPY machinery: PostgreSQL only

        direct = try_direct_load(importer, sql, path, progress)
        if direct is not None:
            report.rows = report.created = direct.rows
            timings.update(direct.timings)
            return
        try:
            with path.open("rb") as handle:
                source = CsvSource(handle, max_rows=settings.IMPORT_MAX_ROWS)
                header = source.read_header()
                if not check_header(
                    header,
                    required=tuple(c.name for c in importer.columns if c.required),
                    optional=tuple(c.name for c in importer.columns if not c.required),
                    ignored=importer.ignored,
                    errors=errors,
                ):
                    return
                if importer.raw_staging and sql.vendor == "postgresql":
                    _pass_one_raw(importer, source, sql, names, header, errors, progress)
                else:
                    _pass_one(importer, source, sql, names, header, errors, progress)
                report.rows = source.rows
        except FileRejected as exc:
            errors.add(exc.line, exc.column, exc.message)
            return
        timings["validate"] = time.monotonic() - started
        # Rows with bad cells were left out of staging; the SQL checks still run on the others so that one
        # attempt reports every problem (duplicates and unknown creators included).
        sql.analyze("{stage}")
        if importer.side is not None:
            sql.analyze("{side}")
        importer.lock()
        phase = time.monotonic()
        importer.check()
        timings["check"] = time.monotonic() - phase
        if errors:
            return
        phase = time.monotonic()
        importer.prepare()
        report.created, report.updated = importer.plan()
        report.unchanged = report.rows - report.created - report.updated
        timings["plan"] = time.monotonic() - phase
        phase = time.monotonic()
        if report.created or report.updated:
            importer.apply()
        timings["apply"] = time.monotonic() - phase
        report.extra = dict(importer.extra)
        for table in ("raw", "stage", "side", "changes", "extra", "doomed"):
            sql.run(f"DROP TABLE IF EXISTS {{{table}}}")


def _pass_one(
    importer: Importer, source: CsvSource, sql: Sql, names: dict[str, str], header: list[str],
    errors: ErrorSink, progress: Progress | None,
) -> None:
    """Parse and validate every record, staging the valid ones in bulk."""
    columns = importer.columns
    width = len(header)
    position = {name: index for index, name in enumerate(header)}
    # Cells in the kind's column order; a column absent from the header reads as the empty cell appended at
    # index ``width``.
    pick = itemgetter(*(position.get(column.name, width) for column in columns))
    parsers = tuple(column.parser for column in columns)
    stage = StageTable(sql, names["stage"], importer.stage_columns, direct=True, unique_line=True)
    side = (
        StageTable(sql, names["side"], importer.side_columns, direct=False, unique_line=False)
        if importer.side_columns
        else None
    )
    stage.open()
    if side is not None:
        side.open()
    failed = True
    try:
        single = len(columns) == 1
        column_names = tuple(column.name for column in columns)
        for line, cells in source.records():
            picked = _pick_cells(
                line, cells, width=width, pick=pick, single=single, names=column_names, errors=errors
            )
            if picked is None:
                continue
            try:
                values: list[Any] = [parse(cell) for parse, cell in zip(parsers, picked, strict=True)]
            except ValueError:
                # Slow path, bad rows only: parse cell by cell to report every bad cell of the row.
                values = []
                for column, cell in zip(columns, picked, strict=True):
                    try:
                        values.append(column.parser(cell))
                    except ValueError as exc:
                        errors.add(line, column.name, str(exc))
                continue
            try:
                row = importer.stage_row(line, values)
            except RowInvalid as exc:
                errors.add(line, exc.column, exc.message)
                continue
            stage.write((line, *row))
            if side is not None:
                for extra in importer.side_rows(line, values):
                    side.write((line, *extra))
            if progress is not None and source.rows % PROGRESS_EVERY == 0:
                progress(source.rows, None)
        failed = False
    finally:
        stage.close(failed=failed)
        if side is not None:
            side.close(failed=failed)
    importer.stage, importer.side = stage, side


def _pass_one_raw(
    importer: Importer, source: CsvSource, sql: Sql, names: dict[str, str], header: list[str],
    errors: ErrorSink, progress: Progress | None,
) -> None:
    """Pass 1 of a ``raw_staging`` kind (PostgreSQL): stage the file's own cells, then build ``{stage}`` in SQL.

    The raw staging table has the header's columns in file order (``c0``, ``c1``, ...) typed as the kind's
    columns declare. A line that one precompiled expression (the columns' ``fast`` fragments joined by commas)
    matches is a complete, valid record whose cells PostgreSQL reads as they are: it goes to COPY unchanged,
    prefixed by its line number, and no per-cell Python runs. Every other record (quoted cells, multi-line
    records, other spellings, invalid cells) is read by ``csv.reader`` and parsed cell by cell by the precise
    parsers exactly as in ``_pass_one``: the same values, the same messages. Its parsed values are written back
    as text for the raw columns.
    """
    columns = {column.name: column for column in importer.columns}
    width = len(header)
    positions = {name: index for index, name in enumerate(header) if name in columns}
    raw_columns = tuple((f"c{index}", columns[name].raw_type if name in columns else "text")
                        for index, name in enumerate(header))
    stage = StageTable(sql, names["raw"], raw_columns, direct=True, unique_line=True)
    # The fast expression; None when a column has no fast form (every record then takes the precise path).
    fragments = [columns[name].fast if name in columns else r'[^,"\r]*' for name in header]
    fast_fragments = [fragment for fragment in fragments if fragment is not None]
    pattern = re.compile(",".join(fast_fragments)) if len(fast_fragments) == len(fragments) else None
    limits = [columns[name].fast_max for name in header if name in columns and columns[name].fast_max is not None]
    if pattern is not None and pattern.groups != len(limits):
        raise ValueError("a fast fragment has a capturing group without fast_max")  # a programming error
    # Precise path: the kind's columns, picked from the cells as _pass_one does.
    kind_columns = importer.columns
    kind_names = tuple(column.name for column in kind_columns)
    pick = itemgetter(*(position for position in (positions.get(column.name, width) for column in kind_columns)))
    writers = [columns[name].raw_text or _raw_text if name in columns else None for name in header]
    value_index = {column.name: index for index, column in enumerate(kind_columns)}
    slow_text = io.StringIO()
    # CRLF line ends, here and on the fast lines: the csv module quotes a field only for the characters of its
    # line terminator, and PostgreSQL's CSV COPY takes a lone CR in an unquoted field as a line end.
    slow_writer = csv.writer(slow_text, lineterminator="\r\n")
    # A time cell without zone is UTC (DESIGN 4): make sure PostgreSQL reads it so.
    sql.run("SET LOCAL TIME ZONE 'UTC'")

    def precise(line: int, cells: list[str]) -> str:
        """Validate one record with the precise parsers; its COPY text (as text) if valid, else report every
        error and return ""."""
        picked = _pick_cells(line, cells, width=width, pick=pick, single=len(kind_columns) == 1, names=kind_names,
                             errors=errors)
        if picked is None:
            return ""
        values: list[Any] = []
        valid = True
        for column, cell in zip(kind_columns, picked, strict=True):
            try:
                values.append(column.parser(cell))
            except ValueError as exc:
                errors.add(line, column.name, str(exc))
                valid = False
        if not valid:
            return ""
        try:
            importer.stage_row(line, values)
        except RowInvalid as exc:
            errors.add(line, exc.column, exc.message)
            return ""
        texts = ("" if write is None else write(values[value_index[name]])
                 for name, write in zip(header, writers, strict=True))
        slow_writer.writerow([line, *texts])
        text = slow_text.getvalue()
        slow_text.seek(0)
        slow_text.truncate()
        return text

    fast = fast_chunk = None
    if pattern is not None:
        match = pattern.fullmatch
        limit = limits[0] if limits else None
        # The same expression over a whole chunk: each line's match (the captured time, if any) in one call.
        findall = re.compile(rf"^(?:{pattern.pattern})\r?$", re.MULTILINE).findall

        def fast(number: int, body: str) -> str | None:
            """A line the fast expression matches goes to COPY as it is, prefixed by its line number."""
            found = match(body)
            if found is not None and (limit is None or found.group(1) <= limit):
                return f"{number},{body}\r\n"
            return None

        def fast_chunk(number: int, text: str, lines: list[str]) -> str | None:
            """``fast`` for a whole chunk: None unless every line is a fast line."""
            found = findall(text)
            if len(found) != len(lines) or not found or (limit is not None and max(found) > limit):
                return None
            if "\r" in text:  # CRLF line ends (a matched line has no other CR)
                lines = [line[:-1] if line[-1:] == "\r" else line for line in lines]
            return "".join([f"{n},{line}\r\n" for n, line in zip(count(number + 1), lines)])

    stage.open()
    failed = True
    try:
        rows = stream_records(source, fast=fast, precise=precise, write=stage.write_text, fast_chunk=fast_chunk,
                              progress=None if progress is None else lambda done: progress(done, None))
        failed = False
    finally:
        stage.close(failed=failed)
    source.rows = rows
    # No ANALYZE of {raw}: read once, by a statement whose only choices (hash joins against small tables) the
    # planner makes right from the table's size alone.
    importer.stage_from_raw(positions)


def _pick_cells(
    line: int, cells: list[str], *, width: int, pick: Callable[[list[str]], Any], single: bool,
    names: tuple[str, ...], errors: ErrorSink,
) -> tuple[str, ...] | None:
    """The cells of the kind's columns from one record, in column order (a column missing from the header reads
    as ""), or None, with the error reported, when the record does not have as many fields as the header or a
    cell holds a Unicode bidirectional control (each such cell reported)."""
    if len(cells) != width:
        errors.add(line, "*", f"expected {width} fields like the header, found {len(cells)}")
        return None
    cells.append("")  # the cell that columns missing from the header pick
    picked = pick(cells)
    if single:
        picked = (picked,)
    if bidi_error("\x00".join(picked)) is not None:  # one search per record; cell by cell only when found
        for name, cell in zip(names, picked, strict=True):
            if (message := bidi_error(cell)) is not None:
                errors.add(line, name, message)
        return None
    return picked


def _raw_text(value: Any) -> str:
    """A parsed value as the text PostgreSQL reads back into the raw column (None: empty, read as NULL)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
