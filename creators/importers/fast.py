"""The fast path of ``videos`` (PostgreSQL): one streamed pass that checks each record and COPYs it, then one
upsert. The exact validator (``engine``, the path of every other kind and of SQLite) runs only when this path
gives up, and reports every error of the file.

The pass reads the file once. A line whose cells are all in their plain form (each column's ``fast`` fragment,
declared with its parser in the kind's ``Column`` list) is written out as it is, with the creator reference and
the category slug replaced by their ids from maps loaded once; any other record is parsed by the columns' own
parsers. Where the rows go:

- **into the table itself** when it is empty (a first load: every row is new, there is nothing to compare);
- otherwise **into a staging table** typed as the table, then one ``INSERT ... ON CONFLICT (external_id) DO
  UPDATE`` writes the new and the changed rows (the unchanged ones are filtered out before it, so they are not
  even locked) and returns the counts.

Why a first load does not go through the staging table and the upsert too: PostgreSQL's COPY inserts rows in
batches (one WAL record per page), ``INSERT ... SELECT`` one by one; into an unindexed table, COPY-then-INSERT of
the 1M-row bench file cost 1.5 s + 3.5-5 s against 1.3-1.9 s for the COPY alone (2026-12-02, psql
``EXPLAIN ANALYZE``), which alone is past the 3.5x target.

The attempt is optimistic and runs in a savepoint. At the first problem of any kind (an invalid cell, an unknown
creator, a malformed record, a duplicate key found by a unique index, a time in the future, ...) it stops, the
savepoint is rolled back and the exact validator runs over the file, which reports every error with its line and
column, with nothing written. A valid file costs one pass; a rejected one, part of one more.

Memory: the creator maps (external id and lower-case handle to id, about 150 bytes per creator) plus one chunk
of the file; nothing grows with the file. Above ``IMPORT_DIRECT_MAX_CREATORS`` creators the exact path runs.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import count
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from psycopg.copy import QueuedLibpqWriter

from creators.importers.engine import Column, Importer, RowInvalid, Sql
from creators.importers.reader import CsvSource, FileRejected, check_header, stream_records
from creators.importers.report import ErrorSink
from creators.importers.values import bidi_error
from creators.importers.videos import VideosImporter

if TYPE_CHECKING:
    from creators.importers.runner import Progress

# Bytes of the file read ahead (then read again) to estimate its rows, for the bulk-load decision.
SAMPLE_BYTES = 1 << 16
# Text columns of the video table: an empty cell is the empty string there, not NULL.
_TEXT_COLUMNS = ("external_id", "hashtags")


class BoundedQueuedWriter(QueuedLibpqWriter):
    """psycopg's threaded COPY writer with a short queue: ``write`` returns once the data is queued, so the next
    chunk is prepared while a thread sends this one and PostgreSQL parses it (the plain writer waits for the
    server to take each chunk, and the two would take turns on two cores). psycopg queues up to 1,024 pieces of
    128 KiB; 64 (8 MiB, two chunks) keeps memory flat when the server is the slower side."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        super().__init__(cursor)
        # The class psycopg itself queues with (its interruptible ``get``), only shorter.
        self._queue = type(self._queue)(maxsize=64)


class Abandon(Exception):
    """The fast path cannot go on (the file has a problem): the exact validator will find and report it."""


@dataclass
class FastResult:
    """What the fast path did: its rows, what it created and updated, and its phases' seconds."""

    rows: int
    created: int
    updated: int
    timings: dict[str, float] = field(default_factory=dict)


def try_fast_load(importer: Importer, sql: Sql, path: Path, progress: Progress | None) -> FastResult | None:
    """Import ``path`` by the fast path, in a savepoint; None when the exact validator must run instead: not
    PostgreSQL, a kind without a fast path, too many creators to map, or a problem in the file (the savepoint is
    then rolled back: nothing of the attempt remains)."""
    if sql.vendor != "postgresql" or not isinstance(importer, VideosImporter) or not importer.fast_path:
        return None
    importer.lock()
    if sql.value("SELECT count(*) FROM {creator}") > settings.IMPORT_DIRECT_MAX_CREATORS:
        return None
    table = importer.target.format(**sql.names)
    # Under the lock: no other import can insert from here to the commit.
    empty = not sql.value(f"SELECT EXISTS (SELECT 1 FROM {table})")
    try:
        with transaction.atomic():
            return _load(importer, sql, path, table, empty=empty, progress=progress)
    # Errors of the COPY come from the raw psycopg cursor; those of later statements through Django's wrapper.
    except (Abandon, FileRejected, IntegrityError, DataError, psycopg.IntegrityError, psycopg.DataError):
        return None


def _load(
    importer: VideosImporter, sql: Sql, path: Path, table: str, *, empty: bool, progress: Progress | None
) -> FastResult:
    """The pass and the write; raises ``Abandon`` (or the error PostgreSQL reported) at the first problem."""
    started = time.monotonic()
    # A time cell without zone is UTC (DESIGN 4): make sure PostgreSQL reads it so. No JIT: the statements below
    # each run once over up to millions of rows, and compiling them cost more than it saved (0.6 s in one plan).
    sql.run("SET LOCAL TIME ZONE 'UTC'")
    sql.run("SET LOCAL jit = off")
    with path.open("rb") as handle:
        source = CsvSource(handle, max_rows=settings.IMPORT_MAX_ROWS)
        header = source.read_header()
        columns = {column.name: column for column in importer.columns}
        if not check_header(
            header,
            required=tuple(c.name for c in importer.columns if c.required),
            optional=tuple(c.name for c in importer.columns if not c.required),
            ignored=(),
            errors=ErrorSink(0),
        ):
            raise Abandon("header")
        rows_estimate = _estimate_rows(handle, path)
        load = _RowWriter(importer, sql, header, columns, first_id=_first_id(sql, table) if empty else None)
        # Optimization: psql EXPLAIN ANALYZE of the 1M-row bench file, 2026-12-02: COPY into a staging table then
        # INSERT ... SELECT cost 1.5 s + 3.5-5 s, the COPY alone 1.3-1.9 s; a first load COPYs straight into the
        # table. tests/creators/test_import_direct.py proves it stores what the upsert stores.
        destination = table if empty else _stage_table(sql, load.target_columns)
        importer.planned_created = rows_estimate
        with importer.bulk_load(table) if empty else nullcontext():
            raw_cursor = sql.cursor.cursor
            with raw_cursor.copy(load.copy_statement(destination), writer=BoundedQueuedWriter(raw_cursor)) as copy:
                rows = stream_records(
                    source, fast=load.fast, precise=load.precise, fast_chunk=load.fast_chunk,
                    write=lambda text, _rows: copy.write(text),
                    progress=None if progress is None else lambda done: progress(done, None),
                )
            loaded = time.monotonic()
        if empty:
            load.advance_sequence(sql, table)
            importer.stamp_creators(load.creator_ids())
            created, updated = rows, 0
        else:
            created, updated = _upsert(importer, sql, destination, load.target_columns, rows)
    return FastResult(rows=rows, created=created, updated=updated,
                      timings={"validate": loaded - started, "apply": time.monotonic() - loaded})


def _stage_table(sql: Sql, columns: list[str]) -> str:
    """A temporary table with the video table's own types for ``columns``, which the pass COPYs into."""
    sql.run(f"CREATE TEMPORARY TABLE {{stage}} AS SELECT {', '.join(columns)} FROM {{video}} WITH NO DATA")
    return sql.names["stage"]


def _upsert(importer: VideosImporter, sql: Sql, stage: str, columns: list[str], rows: int) -> tuple[int, int]:
    """Write the staged rows into the (non-empty) video table; return (created, updated).

    Duplicate keys in the file are found by a unique index on the staging table (its build fails, and the exact
    validator reports each one). A staged row is new when no video has its key, changed when one has it with
    another value in any column, unchanged otherwise; unchanged rows are filtered out before the
    ``INSERT ... ON CONFLICT`` so that they are neither written nor locked. The creators of the rows written, and
    the previous creator of a video moved to another, get ``data_updated_at``.
    """
    sql.run("CREATE UNIQUE INDEX {stage}_key ON {stage} (external_id)")
    sql.analyze("{stage}")
    compared = [column for column in columns if column != "external_id"]
    old, staged = (", ".join(f"{alias}.{column}" for column in compared) for alias in ("o", "s"))
    differs = f"ROW({old}) IS DISTINCT FROM ROW({staged})"
    # One join with the table before writing: the rows that are new (for the bulk-load decision) and the creators
    # that videos move away from (stamped with the others).
    created, moved = sql.rows(
        "SELECT count(*) FILTER (WHERE o.id IS NULL), "
        "coalesce(array_agg(DISTINCT o.creator_id) FILTER (WHERE o.creator_id <> s.creator_id), '{{}}') "
        "FROM {stage} s LEFT JOIN {video} o ON o.external_id = s.external_id"
    )[0]
    importer.planned_created = int(created)
    same = f"EXISTS (SELECT 1 FROM {{video}} o WHERE o.external_id = s.external_id AND NOT {differs})"
    changed = f"EXISTS (SELECT 1 FROM {{video}} o WHERE o.external_id = s.external_id AND {differs})"
    new = "NOT EXISTS (SELECT 1 FROM {video} o WHERE o.external_id = s.external_id)"
    assignments = ", ".join(f"{column} = EXCLUDED.{column}" for column in compared)
    upsert = f"ON CONFLICT (external_id) DO UPDATE SET {assignments}"
    names = ", ".join(columns)

    def write(where: str, on_conflict: str) -> tuple[int, int]:
        # ``xmax = 0`` tells an inserted row from an updated one (an update through ON CONFLICT leaves the
        # new version's xmax set to the locking transaction).
        created, updated = sql.rows(
            f"""
            WITH written AS (
                INSERT INTO {{video}} AS t ({names}) SELECT {names} FROM {{stage}} s WHERE {where} {on_conflict}
                RETURNING t.creator_id, t.xmax = 0 AS created),
            stamped AS (
                UPDATE {{creator}} SET data_updated_at = %s
                WHERE id IN (SELECT creator_id FROM written) OR id = ANY(%s))
            SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM written
            """,
            [importer.now, moved],
        )[0]
        return int(created), int(updated)

    table = importer.target.format(**sql.names)
    if not importer.bulk_pays(table):
        # Optimization: unchanged rows are filtered out before the upsert, so a re-import of 1M unchanged rows
        # writes and locks nothing (ON CONFLICT ... WHERE would lock every row); bench/import_bench.py re-import
        # 2.92x-4.32x the bare COPY against 4.61x-5.48x for the staged path it replaces (2026-12-02). The counts and
        # rows equal the exact validator's: tests/creators/test_import_one_path.py.
        return write(f"NOT {same}", upsert)
    # A bulk insert drops the unique index that ON CONFLICT needs: the changed rows are written first, through it.
    _, updated = write(changed, upsert)
    with importer.bulk_load(table):
        created, _ = write(new, "")
    return created, updated


def _estimate_rows(handle: Any, path: Path) -> int:
    """The data rows of the file, estimated from the lines in its first ``SAMPLE_BYTES`` after the header."""
    position = handle.tell()
    sample = handle.read(SAMPLE_BYTES)
    handle.seek(position)
    if len(sample) < SAMPLE_BYTES:
        return sample.count(b"\n") + (1 if sample and not sample.endswith(b"\n") else 0)
    lines = max(sample.count(b"\n"), 1)
    return int((path.stat().st_size - position) * lines / len(sample))


def _first_id(sql: Sql, table: str) -> int:
    """The first id the load gives its rows: the table's identity sequence's next value.

    The load numbers its rows itself, in the COPY text, rather than let the column default call ``nextval`` for
    each row: per row, that call and the primary-key insertion it feeds cost PostgreSQL more than the bare COPY
    of the whole file, and PostgreSQL's core, not Python's, was the one the pass waited for. No other session can
    insert into the table meanwhile (the import holds it locked to the commit); ``advance_sequence`` moves the
    sequence past the last id given.
    """
    return int(sql.value("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table]))


class _RowWriter:
    """Turns the file's records into COPY text for the target table: the creator reference replaced by the
    creator's id, the category slug by the category's id, columns missing from the header appended with the
    value an empty cell has."""

    def __init__(
        self, importer: VideosImporter, sql: Sql, header: list[str], columns: dict[str, Column], *,
        first_id: int | None,
    ) -> None:
        self.importer = importer
        # Into the table itself the rows carry their ids (see ``_first_id``); into the staging table none.
        self.numbered = first_id is not None
        self.next_id = first_id or 0  # the id of the next row written
        self.header = header
        self.width = len(header)
        targets = importer.fast_targets
        missing = [column for column in importer.columns if column.name not in header]
        # Each row starts with its id.
        self.target_columns = ["id"] * self.numbered + [targets.get(name, name) for name in header] + [
            targets.get(column.name, column.name) for column in missing
        ]
        self.missing_texts = [_text(column.parser("")) for column in missing]
        # Line end CRLF for fast and precise rows alike: the csv module quotes a field only for the characters of
        # its line terminator, and PostgreSQL's CSV COPY takes a lone CR in an unquoted field as a line end.
        self.tail = "".join("," + text for text in self.missing_texts) + "\r\n"
        self._load_creators(sql)
        self.category_ids = {"": ""} | {slug: str(pk) for slug, pk in importer.categories.ids.items()}
        self.creator_at = header.index("creator")
        self.category_at = header.index("product_category") if "product_category" in header else None
        fragments = [columns[name].fast for name in header]
        # The fast expression only when every column has a fragment.
        present = [fragment for fragment in fragments if fragment]
        self.match = re.compile(",".join(present)).fullmatch if len(present) == len(fragments) else None
        limits = [limit for name in header if (limit := columns[name].fast_max) is not None]
        if self.match is not None and (len(limits) != 1 or re.compile(",".join(present)).groups != 1):
            raise ValueError("the fast path expects one captured time column")  # a programming error
        self.limit = limits[0] if limits else ""
        self.findall: Callable[[str], list[Any]] | None = None
        if self.match is not None:
            self._chunk_pattern(present)
        # Precise path: the kind's columns picked from the cells, parsed by the column parsers.
        kind_columns = importer.columns
        positions = {name: index for index, name in enumerate(header)}
        self.pick = itemgetter(*(positions.get(column.name, self.width) for column in kind_columns))
        self.parsers = tuple(column.parser for column in kind_columns)
        self.value_index = [next(i for i, c in enumerate(kind_columns) if c.name == name) for name in header]
        self.creator_value = next(i for i, c in enumerate(kind_columns) if c.name == "creator")
        self._text = io.StringIO()
        self._writer = csv.writer(self._text, lineterminator="\r\n")

    def advance_sequence(self, sql: Sql, table: str) -> None:
        """Move the id sequence past the last id the load gave: the next insert gets ``next_id``."""
        sql.run("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, self.next_id])

    def copy_statement(self, table: str) -> str:
        names = ", ".join(self.target_columns)
        return f"COPY {table} ({names}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({', '.join(_TEXT_COLUMNS)}))"

    # -- creators ----------------------------------------------------------------------------------------------
    def _load_creators(self, sql: Sql) -> None:
        """Maps external id → id and lower-case handle → id (lower-cased by PostgreSQL, as the exact validator
        compares them), ids as text; ``used`` memoises each reference of the file."""
        self.by_external_id: dict[str, str] = {}
        self.by_handle: dict[str, str] = {}
        self.used: dict[str, str] = {}
        statement = "COPY (SELECT external_id, lower(handle), id FROM {creator}) TO STDOUT".format(**sql.names)
        with sql.cursor.cursor.copy(statement) as copy:
            for external_id, handle, pk in copy.rows():
                self.by_external_id[external_id] = pk
                self.by_handle[handle] = pk

    def resolve(self, ref: str) -> str:
        """The id (text) of the creator ``ref`` names: external id first, then handle regardless of case ('@'
        dropped). A reference that names no creator, or a non-ASCII one that is no external id (Python and
        PostgreSQL may lower-case it differently), is left to the exact validator."""
        pk = self.by_external_id.get(ref)
        if pk is None:
            if not ref.isascii():
                raise Abandon("non-ASCII creator reference")
            pk = self.by_handle.get((ref[1:] if ref.startswith("@") else ref).lower())
            if pk is None:
                raise Abandon("unknown creator")
        self.used[ref] = pk
        return pk

    def creator_ids(self) -> list[int]:
        """The ids of the creators the load's rows name."""
        return sorted({int(pk) for pk in self.used.values()})

    def _chunk_pattern(self, fragments: list[str]) -> None:
        """The fast expression for a whole chunk (``fast_chunk``): a line is groups ``run, R1, run, R2, run``,
        where R1 and R2 are the creator and category cells in header order (R2 an empty group when the file has
        no category column) and each run the cells between them with their commas; plus the time's group."""
        replaced = [self.creator_at] + ([self.category_at] if self.category_at is not None else [])
        replaced.sort()
        maps = {self.creator_at: self.used, self.category_at: self.category_ids}
        regex, groups, order, time_group = ["^("], 1, [1], 0
        for index, fragment in enumerate(fragments):
            if index:
                regex.append(",")  # into the open run
            if index in replaced:
                regex.append(f")({fragment})(")
                order += [groups + 1, groups + 2]
                groups += 2
                continue
            regex.append(fragment)
            inner = re.compile(fragment).groups
            if inner:
                time_group = groups + 1  # the time fragment's one capturing group
                groups += inner
        regex.append(")")
        if len(replaced) == 1:
            regex.append("()()")
            order += [groups + 1, groups + 2]
        regex.append(r"\r?$")
        self.findall = re.compile("".join(regex), re.MULTILINE).findall
        self.parts = itemgetter(*(number - 1 for number in order))
        self.time_of = itemgetter(time_group - 1)
        self.creator_of = itemgetter(order[1 + 2 * replaced.index(self.creator_at)] - 1)
        self.maps = (maps[replaced[0]], maps[replaced[1]] if len(replaced) > 1 else {"": ""})

    # -- records -----------------------------------------------------------------------------------------------
    def fast(self, number: int, body: str) -> str | None:
        """A line the fast expression matches (plain cells, nothing to strip or quote): its cells as they are,
        the creator and category replaced by their ids. None sends the line to ``precise``."""
        match = self.match
        if match is None:
            return None
        found = match(body)
        if found is None or found.group(1) > self.limit:
            return None
        cells = body.split(",")  # exact: a matched line has no quoted cell
        at = self.creator_at
        ref = cells[at]
        cells[at] = self.used.get(ref) or self.resolve(ref)
        if self.category_at is not None:
            cells[self.category_at] = self.category_ids[cells[self.category_at]]
        if not self.numbered:
            return ",".join(cells) + self.tail
        row_id = self.next_id
        self.next_id += 1
        return f"{row_id}," + ",".join(cells) + self.tail

    def fast_chunk(self, number: int, text: str, lines: list[str]) -> str | None:
        """``fast`` for a whole chunk at once: its COPY text when every one of its ``lines`` is a fast line, else
        None. A regular expression finds every line's cells in one call, one list comprehension writes them out:
        no Python call per line."""
        if self.findall is None:
            return None
        found = self.findall(text)
        if len(found) != len(lines) or not found or max(map(self.time_of, found)) > self.limit:
            return None
        # Creators not met before are resolved (or the load abandoned) first: the join below then never misses.
        for ref in set(map(self.creator_of, found)).difference(self.used):
            self.resolve(ref)
        first, second = self.maps
        tail = self.tail
        if not self.numbered:
            return "".join([f"{a}{first[b]}{c}{second[d]}{e}{tail}" for a, b, c, d, e in map(self.parts, found)])
        start = self.next_id
        self.next_id = start + len(found)
        return "".join([f"{n},{a}{first[b]}{c}{second[d]}{e}{tail}"
                        for n, (a, b, c, d, e) in zip(count(start), map(self.parts, found))])

    def precise(self, line: int, cells: list[str]) -> str:
        """Any other record, parsed by the column parsers (the exact validator's values); any problem abandons."""
        if len(cells) != self.width:
            raise Abandon("field count")
        cells.append("")  # the cell that columns missing from the header pick
        picked = self.pick(cells)
        if not isinstance(picked, tuple):
            picked = (picked,)
        if bidi_error("\x00".join(picked)) is not None:  # the exact validator reports it, with its line
            raise Abandon("bidirectional control")
        try:
            values: list[Any] = [parse(cell) for parse, cell in zip(self.parsers, picked, strict=True)]
            self.importer.stage_row(line, values)
        except (ValueError, RowInvalid):
            raise Abandon("invalid record") from None
        ref = values[self.creator_value]
        values[self.creator_value] = self.used.get(ref) or self.resolve(ref)
        self._writer.writerow(
            [*[self.next_id] * self.numbered, *(_text(values[index]) for index in self.value_index),
             *self.missing_texts]
        )
        self.next_id += 1
        text = self._text.getvalue()
        self._text.seek(0)
        self._text.truncate()
        return text


def _text(value: Any) -> str:
    """A parsed value as COPY CSV text for its column (None: empty, read as NULL; booleans as true/false)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
