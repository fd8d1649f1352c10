"""The direct load (PostgreSQL): a first load of videos written straight into the table, each row once.

The staged path (``engine``) writes every row twice (a staging table, then the table) and checks the file in SQL
before it writes anything. Into an empty videos table every row of a valid file is new, so there is nothing to
plan: pass 1 resolves each creator reference in Python, from maps of the creators loaded once, and COPYs each
row straight into the table, which is what the bare COPY of the same file costs.

The attempt is optimistic and runs in a savepoint. At the first problem of any kind (an invalid cell, an unknown
creator, a malformed record, a duplicate key found when the unique index is built, ...) it stops, the savepoint
is rolled back, and the import starts over on the staged path, which finds and reports every error with its line
and column exactly as it always did. A valid file costs one pass; a file with errors, part of one more.

Memory: the creator maps (external id and lower-case handle to id, about 150 bytes per creator) plus one chunk
of the file; nothing grows with the file. Above ``IMPORT_DIRECT_MAX_CREATORS`` creators the staged path is taken.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
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
    """The direct load cannot go on (the file has a problem): the staged path will find and report it."""


@dataclass
class DirectResult:
    """What a direct load did: its rows (all created) and its phases' seconds."""

    rows: int
    timings: dict[str, float] = field(default_factory=dict)


def try_direct_load(
    importer: Importer, sql: Sql, path: Path, progress: Progress | None
) -> DirectResult | None:
    """Load ``path`` straight into the (empty) target table, in a savepoint; None when the staged path must run
    instead: the kind has no direct load, the table is not empty, there are too many creators to map, or the
    file has a problem (the savepoint is then rolled back: nothing of the attempt remains)."""
    if sql.vendor != "postgresql" or not isinstance(importer, VideosImporter) or not importer.direct_load:
        return None
    table = importer.direct_table()
    if sql.value(f"SELECT EXISTS (SELECT 1 FROM {table})"):
        return None
    importer.lock()
    # Checked again under the lock: no other import can insert from here to the commit.
    if sql.value(f"SELECT EXISTS (SELECT 1 FROM {table})"):
        return None
    if sql.value("SELECT count(*) FROM {creator}") > settings.IMPORT_DIRECT_MAX_CREATORS:
        return None
    try:
        with transaction.atomic():
            return _load(importer, sql, path, table, progress)
    # Errors of the COPY come from the raw psycopg cursor; those of later statements through Django's wrapper.
    except (Abandon, FileRejected, IntegrityError, DataError, psycopg.IntegrityError, psycopg.DataError):
        return None


def _load(
    importer: VideosImporter, sql: Sql, path: Path, table: str, progress: Progress | None
) -> DirectResult:
    """The direct load itself; raises ``Abandon`` (or the error PostgreSQL reported) at the first problem."""
    started = time.monotonic()
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
        load = _RowWriter(importer, sql, header, columns, first_id=_first_id(sql, table))
        # A time cell without zone is UTC (DESIGN 4): make sure PostgreSQL reads it so.
        sql.run("SET LOCAL TIME ZONE 'UTC'")
        importer.planned_created = rows_estimate
        with importer.bulk_load(table):
            raw_cursor = sql.cursor.cursor
            with raw_cursor.copy(load.copy_statement(table), writer=BoundedQueuedWriter(raw_cursor)) as copy:
                rows = stream_records(
                    source, fast=load.fast, precise=load.precise, fast_chunk=load.fast_chunk,
                    write=lambda text, _rows: copy.write(text),
                    progress=None if progress is None else lambda done: progress(done, None),
                )
            loaded = time.monotonic()
        load.advance_sequence(sql, table)
        importer.stamp_creators(load.creator_ids())
    return DirectResult(rows=rows, timings={"validate": loaded - started, "apply": time.monotonic() - loaded})


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
        self, importer: VideosImporter, sql: Sql, header: list[str], columns: dict[str, Column], *, first_id: int
    ) -> None:
        self.importer = importer
        self.next_id = first_id  # the id of the next row written (see ``_first_id``)
        self.header = header
        self.width = len(header)
        targets = importer.direct_targets
        missing = [column for column in importer.columns if column.name not in header]
        # Each row starts with its id.
        self.target_columns = ["id"] + [targets.get(name, name) for name in header] + [
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
        overrides = importer.direct_fast
        fragments = [overrides.get(name, columns[name].fast) for name in header]
        # The fast expression only when every column has a fragment.
        present = [fragment for fragment in fragments if fragment]
        self.match = re.compile(",".join(present)).fullmatch if len(present) == len(fragments) else None
        limits = [limit for name in header if (limit := columns[name].fast_max) is not None]
        if self.match is not None and (len(limits) != 1 or re.compile(",".join(present)).groups != 1):
            raise ValueError("the direct load expects one captured time column")  # a programming error
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
        """Maps external id → id and lower-case handle → id (lower-cased by PostgreSQL, as the staged path
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
        PostgreSQL may lower-case it differently), is left to the staged path."""
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
        first, second = self.maps
        tail = self.tail
        start = self.next_id
        for _ in range(2):
            try:
                text = "".join([f"{n},{a}{first[b]}{c}{second[d]}{e}{tail}"
                                for n, (a, b, c, d, e) in zip(count(start), map(self.parts, found))])
                self.next_id = start + len(found)
                return text
            except KeyError:  # creators not met before: resolve them (or abandon), then write the chunk again
                for ref in set(map(self.creator_of, found)).difference(self.used):
                    self.resolve(ref)
        raise AssertionError("every creator is resolved")  # unreachable

    def precise(self, line: int, cells: list[str]) -> str:
        """Any other record, parsed by the column parsers (the staged path's values); any problem abandons."""
        if len(cells) != self.width:
            raise Abandon("field count")
        cells.append("")  # the cell that columns missing from the header pick
        picked = self.pick(cells)
        if not isinstance(picked, tuple):
            picked = (picked,)
        if bidi_error("\x00".join(picked)) is not None:  # the staged path reports it, with its line
            raise Abandon("bidirectional control")
        try:
            values: list[Any] = [parse(cell) for parse, cell in zip(self.parsers, picked, strict=True)]
            self.importer.stage_row(line, values)
        except (ValueError, RowInvalid):
            raise Abandon("invalid record") from None
        ref = values[self.creator_value]
        values[self.creator_value] = self.used.get(ref) or self.resolve(ref)
        self._writer.writerow(
            [self.next_id, *(_text(values[index]) for index in self.value_index), *self.missing_texts]
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
