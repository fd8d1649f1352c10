"""Runs one import of one file: the driver around a kind's ``Importer`` (see ``engine`` for the shape)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from creators.importers.categories import CategoriesImporter
from creators.importers.collaborations import CollaborationsImporter
from creators.importers.engine import Importer, RowInvalid, Sql, StageTable, table_names
from creators.importers.profiles import CreatorsImporter, TikTok2020CreatorsImporter
from creators.importers.reader import CsvSource, FileRejected, check_header, check_size
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
        from creators.importers.fast import try_fast_load  # psycopg's COPY machinery: PostgreSQL only

        # Optimization: bench/import_bench.py, 1M new videos at 2.97x-4.70x the bare COPY (docs/performance.md);
        # the exact validator alone was not timed on 1M rows this session (it parses every cell in Python and
        # writes every row twice). tests/creators/test_import_one_path.py proves the two paths equal.
        fast = try_fast_load(importer, sql, path, progress)
        if fast is not None:
            report.rows, report.created, report.updated = fast.rows, fast.created, fast.updated
            report.unchanged = fast.rows - fast.created - fast.updated
            timings.update(fast.timings)
            sql.run("DROP TABLE IF EXISTS {stage}")
            return
        # The exact validator: every cell through its parser, every row staged with its line, every check in SQL.
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
        for table in ("stage", "side", "changes", "extra", "doomed"):
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
