"""The import engine shared by every kind: validate the whole file, stage it, check it in SQL, then apply it.

Shape of one import (all inside one transaction, so nothing is written unless everything is valid):

1. **Pass 1 (Python, streamed).** Each record is parsed and validated cell by cell; valid rows are written as
   normalised, typed values straight into a temporary staging table (``COPY ... FROM STDIN`` on PostgreSQL, which
   ingests on its own core while Python parses; batched ``executemany`` on SQLite). Invalid rows become
   ``RowError``; valid rows keep being staged so the SQL checks below can still report every problem at once.
2. **Checks (SQL, set-based).** Duplicate keys within the file and references that resolve to nothing (unknown
   creators) are found with ``GROUP BY`` / joins on the staging table and reported with their line numbers.
3. **Plan (SQL).** One join of the staging table with the target table classifies every row as new, changed
   (any column ``IS DISTINCT FROM`` the stored one) or unchanged, into a temporary ``changes`` table.
4. **Apply (SQL).** ``INSERT ... SELECT`` of the new rows and ``UPDATE ... FROM`` of the changed ones, plus the
   side effects of the kind (category links, creators' ``data_updated_at``). On PostgreSQL the target tables are
   locked against concurrent writers (``SHARE ROW EXCLUSIVE``: readers are not blocked) from step 2 on, so the
   plan cannot go stale before it is applied; SQLite serialises writers by itself. A large insert rebuilds the
   target's indexes and foreign keys afterwards (``Importer.bulk_load``, PostgreSQL).

This is the exact validator, the path of every kind on SQLite and of every kind but ``videos`` on PostgreSQL.
``videos`` on PostgreSQL first tries its fast path (``fast``: one pass that COPYs each row, then one upsert), in
a savepoint that any problem rolls back before this path runs and reports the errors.

A dry run does all four steps and rolls back, so its counts are exactly those a real run would report.
Identical SQL runs on both backends (SQLite >= 3.39 for ``IS DISTINCT FROM``, ``UPDATE ... FROM``); only the
staging DDL and the bulk-load call differ.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.db import connection

from creators.importers import values as v
from creators.importers.report import ErrorSink

# Logical staging column types and their declarations per backend. On SQLite the declared types are the ones
# Django uses for the model fields, so that staged values get the same column affinity (and compare equal to
# stored values: a staged '12.50' becomes REAL 12.5 exactly as the stored gmv did).
_TYPES = {
    "postgresql": {
        "text": "text",
        "bigint": "bigint",
        "int": "integer",
        "bool": "boolean",
        "time": "timestamp with time zone",
        "money": "numeric(16, 2)",
    },
    "sqlite": {
        "text": "text",
        "bigint": "bigint",
        "int": "integer",
        "bool": "bool",
        "time": "datetime",
        "money": "decimal",
    },
}

SQLITE_BATCH = 5_000
COPY_ROWS_PER_WRITE = 2_000


class RowInvalid(Exception):
    """Raised by a kind's ``stage_row`` for a problem that involves several cells of one row."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Column:
    """One CSV column of a kind: its name, whether the header must have it, and the cell parser.

    For a kind with a fast path (``fast``, PostgreSQL), ``fast`` is a regular expression fragment (no capturing
    group, except the one compared with ``fast_max``) matching only unquoted cells that ``parser`` accepts and
    that PostgreSQL reads, as they are, into the table's column with the same meaning (an empty cell read as NULL
    means what the parser's empty value means). ``fast_max``: the captured text must compare ``<=`` to it (a time
    not after the import's "now").
    """

    name: str
    parser: v.Parser
    required: bool = False
    fast: str | None = None
    fast_max: str | None = None


class Sql:
    """A cursor that formats ``{placeholders}`` (staging and model table names) into statements."""

    def __init__(self, cursor: Any, names: dict[str, str]) -> None:
        self.cursor = cursor
        self.names = names
        self.vendor = connection.vendor

    def run(self, statement: str, params: Iterable[Any] = ()) -> Any:
        self.cursor.execute(statement.format(**self.names), list(params))
        return self.cursor

    def run_verbatim(self, statement: str) -> Any:
        """Run a statement with no placeholder formatting (DDL read back from the catalog)."""
        self.cursor.execute(statement)
        return self.cursor

    def rows(self, statement: str, params: Iterable[Any] = ()) -> list[tuple]:
        return self.run(statement, params).fetchall()

    def value(self, statement: str, params: Iterable[Any] = ()) -> Any:
        row = self.run(statement, params).fetchone()
        return row[0] if row else None

    def analyze(self, table: str) -> None:
        """Give PostgreSQL statistics on a temporary table (autovacuum never visits them; without statistics
        the planner guesses and may pick a nested loop over two large staging tables)."""
        if self.vendor == "postgresql":
            self.run(f"ANALYZE {table}")

    def adapt_time(self, value: datetime | None) -> Any:
        return connection.ops.adapt_datetimefield_value(value)


class StageTable:
    """A temporary table that receives staged rows in bulk.

    ``direct`` tables are loaded while pass 1 runs (PostgreSQL COPY streams them); the others are spooled to a
    temporary file first because a connection can run only one COPY at a time.
    """

    def __init__(
        self, sql: Sql, name: str, columns: tuple[tuple[str, str], ...], *, direct: bool, unique_line: bool
    ) -> None:
        self.sql = sql
        self.name = name
        self.columns = (("line", "bigint"), *columns)
        self.direct = direct
        self.count = 0
        self._copy_cm: Any = None
        self._copy: Any = None
        self._text: Any = None
        self._text_writer: Any = None
        self._batch: list[tuple] = []
        self._spool: Any = None
        self._spool_writer: Any = None
        types = _TYPES[sql.vendor]
        # The line number is unique per staged row; on SQLite make it the rowid so joins on it are lookups.
        declarations = [
            f"line {'integer PRIMARY KEY' if sql.vendor == 'sqlite' and unique_line else 'bigint'}",
            *(f"{column} {types[kind]}" for column, kind in columns),
        ]
        self._adapters: list[Callable[[Any], Any]] | None = None
        if sql.vendor == "sqlite":
            self._adapters = [_sqlite_adapter(kind, sql) for _, kind in self.columns]
        sql.run(f"CREATE TEMPORARY TABLE {name} ({', '.join(declarations)})")

    def open(self) -> None:
        if self.sql.vendor == "postgresql" and self.direct:
            names = ", ".join(column for column, _ in self.columns)
            texts = ", ".join(column for column, kind in self.columns if kind == "text")
            # Rows travel as CSV text written by the csv module (C code, several times faster than formatting
            # each value through psycopg's dumpers): str() of int, Decimal, bool and aware datetime is valid
            # PostgreSQL input, None becomes an empty unquoted field, which CSV COPY reads as NULL, except in text
            # columns, where FORCE_NOT_NULL keeps it the empty string (no staged text value is ever None).
            options = f"FORMAT csv, FORCE_NOT_NULL ({texts})" if texts else "FORMAT csv"
            # The raw psycopg cursor: Django's wrapper does not expose COPY.
            self._copy_cm = self.sql.cursor.cursor.copy(f"COPY {self.name} ({names}) FROM STDIN ({options})")
            self._copy = self._copy_cm.__enter__()
            self._text = io.StringIO()
            # CRLF: the csv module quotes a field only for the characters of its line terminator, and a lone CR
            # unquoted would end the row for PostgreSQL's CSV COPY (a display name with a CR in it).
            self._text_writer = csv.writer(self._text, lineterminator="\r\n")
        elif not self.direct:
            self._spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")
            self._spool_writer = csv.writer(self._spool)

    def write(self, row: tuple) -> None:
        self.count += 1
        if self._copy is not None:
            self._text_writer.writerow(row)
            if self.count % COPY_ROWS_PER_WRITE == 0:
                self._send()
        elif self._spool_writer is not None:
            # None and "" must stay distinct in the spool: None is written as the marker "\N".
            self._spool_writer.writerow(["\\N" if value is None else _spool_text(value) for value in row])
        else:
            self._batch.append(row)
            if len(self._batch) >= SQLITE_BATCH:
                self._flush()

    def _send(self) -> None:
        self._copy.write(self._text.getvalue())
        self._text.seek(0)
        self._text.truncate()

    def _flush(self) -> None:
        if not self._batch:
            return
        adapters = self._adapters or []
        rows = [tuple(adapt(value) for adapt, value in zip(adapters, row, strict=True)) for row in self._batch]
        placeholders = ", ".join(["%s"] * len(self.columns))
        self.sql.cursor.executemany(f"INSERT INTO {self.name} VALUES ({placeholders})", rows)
        self._batch = []

    def close(self, failed: bool = False) -> None:
        """Finish loading. With ``failed`` set, abandon a running COPY (the transaction is rolled back anyway)."""
        if self._copy_cm is not None:
            cm = self._copy_cm
            try:
                if not failed:
                    self._send()
            except BaseException:
                failed = True
                raise
            finally:
                self._copy_cm = self._copy = None
                # The COPY holds the connection's lock until its context exits: always exit it, or the
                # rollback that follows a failure would wait for the lock forever.
                if failed:
                    try:
                        cm.__exit__(RuntimeError, RuntimeError("import aborted"), None)
                    except Exception:  # the aborted COPY raises; the transaction is rolled back
                        pass
                else:
                    cm.__exit__(None, None, None)
        if self._spool is not None:
            spool, self._spool, self._spool_writer = self._spool, None, None
            if not failed:
                spool.seek(0)
                self._load_spool(spool)
            spool.close()
        if not failed:
            self._flush()

    def _load_spool(self, spool: Any) -> None:
        if self.sql.vendor == "postgresql":
            names = ", ".join(column for column, _ in self.columns)
            with self.sql.cursor.cursor.copy(f"COPY {self.name} ({names}) FROM STDIN (FORMAT csv, NULL '\\N')") as cp:
                while chunk := spool.read(1 << 16):
                    cp.write(chunk)
            return
        for raw in csv.reader(spool):
            self._batch.append(tuple(None if cell == "\\N" else cell for cell in raw))
            if len(self._batch) >= SQLITE_BATCH:
                self._flush()


def _spool_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _sqlite_adapter(kind: str, sql: Sql) -> Callable[[Any], Any]:
    """How a staged Python value is written to SQLite, mirroring Django's adapters for the model fields."""
    if kind == "time":

        def adapt_time(value: Any) -> Any:
            if isinstance(value, str):  # from the spool
                value = datetime.fromisoformat(value)
            return sql.adapt_time(value)

        return adapt_time
    if kind == "money":
        return lambda value: None if value is None else str(value)
    if kind == "bool":
        return lambda value: None if value is None else int(value in (True, "true"))
    return lambda value: value


class Importer:
    """One kind of import. Subclasses declare columns and staging, and write the SQL of checks, plan and apply.

    Instances live for one import, inside its transaction.
    """

    kind: ClassVar[str]
    ignored: ClassVar[tuple[str, ...]] = ()
    key_column: ClassVar[str]  # CSV column of the key, for duplicate-key errors
    stage_key: ClassVar[str]  # staging column holding the normalised key
    stage_columns: ClassVar[tuple[tuple[str, str], ...]]
    side_columns: ClassVar[tuple[tuple[str, str], ...]] = ()
    # The tables an import of this kind writes, locked against concurrent writers before the checks.
    locked_tables: ClassVar[tuple[str, ...]] = ("{creator}", "{creator_categories}")

    def __init__(self, *, sql: Sql, now: datetime, errors: ErrorSink) -> None:
        self.sql = sql
        self.now = now
        self.errors = errors
        self.extra: dict[str, int] = {}
        self.stage: StageTable | None = None
        self.side: StageTable | None = None
        self.columns: tuple[Column, ...] = ()
        self.planned_created = 0

    def lock(self) -> None:
        """Serialise imports that write the same tables (PostgreSQL; SQLite serialises writers by itself).
        ``SHARE ROW EXCLUSIVE`` does not block readers, and is held to the commit."""
        if self.sql.vendor == "postgresql":
            self.sql.run(f"LOCK TABLE {', '.join(self.locked_tables)} IN SHARE ROW EXCLUSIVE MODE")

    # -- pass 1 ------------------------------------------------------------------------------------------------
    def setup(self) -> None:
        """Load what row parsing needs (e.g. the category slugs) and build ``self.columns`` before pass 1."""
        self.columns = self.build_columns()

    def build_columns(self) -> tuple[Column, ...]:
        raise NotImplementedError

    def stage_row(self, line: int, values: list[Any]) -> tuple:
        """The staging row (without the line number) for a row whose cells all parsed; may raise RowInvalid."""
        raise NotImplementedError

    def side_rows(self, line: int, values: list[Any]) -> Iterator[tuple]:
        """Rows of the side staging table for a valid row (without the line number)."""
        return iter(())

    # -- SQL phases --------------------------------------------------------------------------------------------
    def check(self) -> None:
        """Whole-file checks in SQL after staging; add errors to ``self.errors``. Default: duplicate keys."""
        self.check_duplicates(self.stage_key, self.key_column, "duplicate key")

    def prepare(self) -> None:
        """Writes the plan depends on (runs only when the checks found nothing), e.g. creating new creators."""

    def plan(self) -> tuple[int, int]:
        """Fill ``{changes}`` and return (created, updated)."""
        raise NotImplementedError

    def apply(self) -> None:
        raise NotImplementedError

    # -- helpers for subclasses --------------------------------------------------------------------------------
    def check_duplicates(self, stage_column: str, csv_column: str, what: str) -> None:
        """Every repeated value of ``stage_column`` after its first occurrence is an error."""
        limit = self.errors.limit + 1
        found = self.sql.rows(
            f"""
            SELECT s.line, s.{stage_column}, d.first_line
            FROM {{stage}} s
            JOIN (SELECT {stage_column} AS value, min(line) AS first_line FROM {{stage}}
                  GROUP BY {stage_column} HAVING count(*) > 1) d ON d.value = s.{stage_column}
            WHERE s.line > d.first_line
            ORDER BY s.line
            LIMIT {limit}
            """
        )
        if not found:
            return
        total = self.sql.value(
            f"SELECT sum(n - 1) FROM (SELECT count(*) AS n FROM {{stage}} GROUP BY {stage_column} "
            f"HAVING count(*) > 1) d"
        )
        for line, value, first_line in found:
            self.errors.add(line, csv_column, f"{what} {value!r}: already on line {first_line}")
        self.errors.count += int(total) - len(found)

    def report_missing(self, statement: str, csv_column: str, message: Callable[[Any], str]) -> None:
        """Report the rows selected by ``statement`` (``line, value``, in line order), e.g. unknown creators."""
        limit = self.errors.limit + 1
        found = self.sql.rows(f"{statement} ORDER BY s.line LIMIT {limit}")
        if not found:
            return
        total = self.sql.value(f"SELECT count(*) FROM ({statement}) missing")
        for line, value in found:
            self.errors.add(line, csv_column, message(value))
        self.errors.count += int(total) - len(found)

    def plan_by_diff(self, *, target: str, match: str, compared: Iterable[str], extra_diff: str = "",
                     extra_select: str = "") -> tuple[int, int]:
        """Classify staged rows against ``target`` joined ``ON match``: new, or changed in a compared column."""
        differs = " OR ".join(f"t.{column} IS DISTINCT FROM s.{column}" for column in compared)
        self.sql.run(
            f"""
            CREATE TEMPORARY TABLE {{changes}} AS
            SELECT s.line AS line, t.id AS target_id {extra_select}
            FROM {{stage}} s LEFT JOIN {target} t ON {match}
            WHERE t.id IS NULL OR {differs} {extra_diff}
            """
        )
        self.sql.analyze("{changes}")
        created, updated = self.sql.rows(
            "SELECT count(*) - count(target_id), count(target_id) FROM {changes}"
        )[0]
        self.planned_created = int(created or 0)
        return int(created or 0), int(updated or 0)

    def insert_new(self, *, target: str, columns: Iterable[str], constants: dict[str, Any] | None = None) -> None:
        columns = list(columns)
        constants = constants or {}
        names = ", ".join([*columns, *constants])
        selected = ", ".join([*(f"s.{column}" for column in columns), *(["%s"] * len(constants))])
        params = [self._param(value) for value in constants.values()]
        # "WHERE 1 = 1" style filters keep SQLite's parser from reading a following clause as a join constraint.
        self.sql.run(
            f"INSERT INTO {target} ({names}) SELECT {selected} FROM {{stage}} s "
            f"JOIN {{changes}} ch ON ch.line = s.line WHERE ch.target_id IS NULL",
            params,
        )

    def bulk_pays(self, table: str) -> bool:
        """Whether inserting ``planned_created`` rows into ``table`` is a bulk load (see ``bulk_load``)."""
        from django.conf import settings

        rows = self.planned_created
        if self.sql.vendor != "postgresql" or rows < settings.IMPORT_BULK_MIN_ROWS:
            return False
        existing = self.sql.value("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
                                  [table])
        return rows * 4 >= int(existing or 0)

    @contextmanager
    def bulk_load(self, table: str) -> Iterator[bool]:
        """Around a large ``INSERT``: drop the table's secondary indexes, unique and foreign-key constraints (and,
        into an empty table, its primary key), and build them again afterwards, all inside the import's
        transaction. Yields whether it did.

        Building an index from sorted data is far cheaper than maintaining it row by row, and a foreign key
        re-added ``NOT VALID`` then ``VALIDATE``d is one set-based anti-join instead of a deferred trigger per
        inserted row, checked at commit. The definitions are read back from the catalog, so what is rebuilt is
        exactly what the migrations made (same names, ``DEFERRABLE INITIALLY DEFERRED``). A duplicate that
        slipped through would fail the rebuild and roll the whole import back.

        The price: dropping takes an ``ACCESS EXCLUSIVE`` lock on ``table`` until commit, and dropping a foreign
        key one on the table it references too (for videos: creators and categories, which every partner page
        and scoring run reads). Hence only PostgreSQL, only when the insert is large (``IMPORT_BULK_MIN_ROWS``)
        and at least a quarter of the rows already in the table (statistics estimate), and the foreign keys only
        when the table is empty (a first load, before anything reads it): into a live table the foreign keys stay
        and are checked per row at commit, so the referenced tables are never locked.
        """
        if not self.bulk_pays(table):
            yield False
            return
        quote = connection.ops.quote_name
        empty = not self.sql.value(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")
        # Into an empty table, the primary key too, unless a foreign key references it: COPY inserting each row
        # into it cost PostgreSQL 40% more than the bare COPY of the same rows.
        constraints = self.sql.rows(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND (contype = 'u' OR (%s AND (contype = 'f' OR (contype = 'p' AND "
            "NOT EXISTS (SELECT 1 FROM pg_constraint r WHERE r.confrelid = %s::regclass))))) "
            "ORDER BY contype = 'p' DESC, contype DESC, conname",
            [table, empty, table],
        )
        indexes = self.sql.rows(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
            [table],
        )
        # ALTER TABLE refuses a table with pending deferred trigger events (this import's updates, or rows an
        # enclosing transaction wrote): run those checks now, then defer again (every foreign key Django makes is
        # DEFERRABLE INITIALLY DEFERRED, so ALL DEFERRED restores the state the transaction started with).
        self.sql.run_verbatim("SET CONSTRAINTS ALL IMMEDIATE")
        self.sql.run_verbatim("SET CONSTRAINTS ALL DEFERRED")
        for name, _, _ in constraints:
            self.sql.run_verbatim(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            self.sql.run_verbatim(f"DROP INDEX {quote(name)}")
        yield True
        if not empty:
            # The kept foreign keys queued a deferred check per inserted row, and CREATE INDEX refuses a table
            # with pending trigger events: run the checks now (they would have run at commit anyway).
            self.sql.run_verbatim("SET CONSTRAINTS ALL IMMEDIATE")
            self.sql.run_verbatim("SET CONSTRAINTS ALL DEFERRED")
        # Index builds sort in memory when they can (the default 64MB spills at a few million rows).
        self.sql.run_verbatim("SET LOCAL maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            self.sql.run_verbatim(definition)
        for name, kind, definition in constraints:
            if kind in ("p", "u"):
                self.sql.run_verbatim(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
            else:
                self.sql.run_verbatim(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition} NOT VALID"
                )
                self.sql.run_verbatim(f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(name)}")

    def update_changed(self, *, target: str, columns: Iterable[str], constants: dict[str, Any] | None = None) -> None:
        constants = constants or {}
        assignments = [*(f"{column} = s.{column}" for column in columns), *(f"{name} = %s" for name in constants)]
        params = [self._param(value) for value in constants.values()]
        self.sql.run(
            f"UPDATE {target} SET {', '.join(assignments)} FROM {{stage}} s JOIN {{changes}} ch ON ch.line = s.line "
            f"WHERE {target}.id = ch.target_id",
            params,
        )

    def _param(self, value: Any) -> Any:
        return self.sql.adapt_time(value) if isinstance(value, datetime) else value


def table_names(kind: str) -> dict[str, str]:
    """Unique names for this import's temporary tables, plus the model tables, for ``Sql`` formatting."""
    from creators.models import Category, Collaboration, Creator, Video

    token = uuid.uuid4().hex[:10]
    return {
        "stage": f"imp_{token}_stage",
        "side": f"imp_{token}_side",
        "changes": f"imp_{token}_changes",
        "extra": f"imp_{token}_extra",
        "doomed": f"imp_{token}_doomed",
        "creator": Creator._meta.db_table,
        "video": Video._meta.db_table,
        "collaboration": Collaboration._meta.db_table,
        "category": Category._meta.db_table,
        "creator_categories": Creator.categories.through._meta.db_table,
    }
