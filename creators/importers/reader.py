"""Streaming CSV reading with exact line numbers and whole-file checks.

The file is read as bytes, one physical line at a time, so that an invalid UTF-8 sequence or a NUL byte is
reported on the line where it is; decoded lines are fed to ``csv.reader``, which handles RFC 4180 quoting
(quoted commas, doubled quotes, quoted newlines) and CRLF. Nothing is kept beyond the current record.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from creators.importers.report import ErrorSink
from creators.importers.values import BIDI_BYTES_RE, bidi_error

_BOM = b"\xef\xbb\xbf"


class FileRejected(Exception):
    """A whole-file problem (encoding, limits, malformed CSV) after which reading cannot go on."""

    def __init__(self, line: int, column: str, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


class _Lines:
    """Iterates the decoded physical lines of a binary file, tracking how many were read and bytes consumed."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.number = 0
        self.bytes_read = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.handle:
            self.number += 1
            self.bytes_read += len(raw)
            yield decode_line(raw, self.number)


def decode_line(raw: bytes, number: int) -> str:
    """One physical line (bytes) as text, or ``FileRejected`` naming what is wrong with it."""
    if number == 1:
        if raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileRejected(1, "*", "the file is UTF-16 encoded; save it as UTF-8")
    if b"\x00" in raw:
        raise FileRejected(number, "*", "the file contains a NUL byte: it is not a text CSV file (UTF-16 or binary?)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        raise FileRejected(
            number,
            "*",
            f"the file is not valid UTF-8 (byte 0x{bad} at position {exc.start + 1} of the line); save it as UTF-8",
        ) from None


class LineFeed:
    """The physical lines of the rest of a binary file, decoded a chunk (about 4 MiB of whole lines) at a time.

    The fast import path reads ``pieces`` (the chunk's lines without their ``\\n``) directly, with its own
    index ``pos``; ``next()`` returns the next line with its ``\\n`` for ``csv.reader``, which takes the records
    the fast path leaves to it (quoted fields, multi-line records, anything unusual). ``number`` is the physical
    number of the last line handed out. A chunk with a NUL byte or invalid UTF-8 is decoded line by line to
    report the exact line, with the same messages as ``_Lines``.
    """

    # Large enough that a whole-chunk path's per-chunk costs (a regular expression's set-up, one COPY write)
    # vanish, small enough that memory stays a few times this, whatever the file's size.
    CHUNK = 1 << 22

    def __init__(self, handle: BinaryIO, *, number: int) -> None:
        self.handle = handle
        self.number = number
        self.pieces: list[str] = []
        self.text = ""  # the decoded chunk that ``pieces`` are the lines of
        self.pos = 0
        self.ends_unterminated = False  # the file's last line has no newline and is in ``pieces``
        self._rejected: FileRejected | None = None  # a bad line, raised once the lines before it are consumed

    def refill(self) -> bool:
        """Load the next chunk into ``pieces`` (pos 0); False at the end of the file."""
        return self.load(self.read_chunk())

    def read_chunk(self) -> bytes:
        """The next chunk of whole lines, as bytes (b"" at the end of the file), not yet decoded."""
        if self._rejected is not None:
            raise self._rejected
        chunk = self.handle.read(self.CHUNK)
        if chunk and not chunk.endswith(b"\n"):
            chunk += self.handle.readline()
        return chunk

    def load(self, chunk: bytes) -> bool:
        """Decode ``chunk`` (from ``read_chunk``) into ``pieces`` (pos 0); False for b"" (the end of the file)."""
        if not chunk:
            self.pieces, self.text, self.pos = [], "", 0
            return False
        if b"\x00" in chunk:
            text = self._decode_by_line(chunk)
        else:
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                text = self._decode_by_line(chunk)
        pieces = text.split("\n")
        self.ends_unterminated = pieces[-1] != ""
        if not self.ends_unterminated:
            pieces.pop()
        self.pieces, self.text, self.pos = pieces, text, 0
        return True

    def _decode_by_line(self, chunk: bytes) -> str:
        """The lines of ``chunk`` before its first bad one; that one's ``FileRejected`` is raised at the next
        refill, so that every line before it is still read (and its errors reported) as ``_Lines`` would."""
        number = self.number  # every line before this chunk has been handed out
        decoded = []
        parts = chunk.split(b"\n")
        last = parts.pop()  # b"" unless the file ends without a newline
        try:
            for raw in parts:
                number += 1
                decoded.append(decode_line(raw, number) + "\n")
            if last:
                decoded.append(decode_line(last, number + 1))
        except FileRejected as exc:
            self._rejected = exc
        return "".join(decoded)

    def __iter__(self) -> LineFeed:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.pieces) and not self.refill():
            raise StopIteration
        piece = self.pieces[self.pos]
        self.pos += 1
        self.number += 1
        if self.ends_unterminated and self.pos == len(self.pieces):
            return piece
        return piece + "\n"


class CsvSource:
    """A CSV file read as ``(line, cells)`` records after its header.

    ``line`` is the physical line on which the record starts (the header is line 1). Blank lines are skipped.
    """

    def __init__(self, handle: BinaryIO, *, max_rows: int) -> None:
        self._lines = _Lines(handle)
        self._reader = csv.reader(iter(self._lines), strict=True)
        self.max_rows = max_rows
        self.header: list[str] = []
        self.rows = 0

    @property
    def bytes_read(self) -> int:
        return self._lines.bytes_read

    def line_feed(self) -> LineFeed:
        """The rest of the file (after the header) as a ``LineFeed``, for the fast import path."""
        return LineFeed(self._lines.handle, number=self._lines.number)

    def read_header(self) -> list[str]:
        try:
            self.header = [name.strip() for name in next(self._reader)]
        except StopIteration:
            raise FileRejected(1, "*", "the file is empty: a header row is required") from None
        except csv.Error as exc:
            raise FileRejected(1, "*", f"the header row is not valid CSV: {exc}") from None
        return self.header

    def records(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        previous_end = reader.line_num
        max_rows = self.max_rows
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileRejected(previous_end + 1, "*", f"not valid CSV: {exc}") from None
            line = previous_end + 1
            previous_end = reader.line_num
            if not cells:
                continue
            self.rows += 1
            if self.rows > max_rows:
                raise FileRejected(
                    line, "*", f"the file has more than {max_rows:,} data rows, the limit (IMPORT_MAX_ROWS)"
                )
            yield line, cells


def check_size(path: Path, *, max_bytes: int, errors: ErrorSink) -> bool:
    """Reject a file over the size limit before reading any of it."""
    size = path.stat().st_size
    if size > max_bytes:
        errors.add(1, "*", f"the file is {size:,} bytes, larger than the limit of {max_bytes:,} (IMPORT_MAX_BYTES)")
        return False
    return True


def check_header(
    header: list[str], *, required: tuple[str, ...], optional: tuple[str, ...], ignored: tuple[str, ...],
    errors: ErrorSink,
) -> bool:
    """Every required column present, no unknown or repeated column. Columns may come in any order."""
    known = set(required) | set(optional) | set(ignored)
    ok = True
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.add(1, name or "*", f"column {name!r} appears more than once in the header")
            ok = False
        seen.add(name)
        if name not in known:
            expected = ", ".join(required + optional)
            errors.add(1, name or "*", f"unknown column {name!r} (this kind has columns: {expected})")
            ok = False
    for name in required:
        if name not in seen:
            errors.add(1, name, "required column is missing from the header")
            ok = False
    return ok


def stream_records(
    source: CsvSource,
    *,
    fast: Callable[[int, str], str | None] | None,
    precise: Callable[[int, list[str]], str],
    write: Callable[[str | bytes | memoryview, int], None],
    progress: Callable[[int], None] | None = None,
    fast_chunk: Callable[[int, str, list[str]], str | None] | None = None,
) -> int:
    """Turn the data records of ``source`` (after its header) into COPY text, chunk by chunk; return the rows.

    ``fast(number, line)`` gets each physical line (without its line end) and returns its COPY text, or None
    when the line is not one it takes as it is: that record (it may span lines) is then read by ``csv.reader``
    and handed to ``precise(line, cells)``, which returns its COPY text ("" when it is left out). ``write(text,
    rows)`` receives the text of each chunk of about 4 MiB; ``progress(rows)`` is called after each chunk.
    Blank lines are no record; more than ``source.max_rows`` records is a ``FileRejected``.

    ``fast_chunk(number, text, lines)``, when given, is offered each whole chunk first: ``text`` is the decoded
    chunk, ``lines`` its physical lines (without their line feed), ``number`` the number of the line before the
    first. It returns the COPY text of the chunk when ``fast`` would take every one of its lines, else None (the
    chunk then goes line by line). It does in a few calls over the chunk what ``fast`` does per line.
    """
    feed = source.line_feed()
    reader = csv.reader(feed, strict=True)
    max_rows = source.max_rows
    rows = 0
    while chunk := feed.read_chunk():
        # A chunk with a Unicode bidirectional control goes line by line, and its lines holding one to the precise
        # path, which refuses them (no fast expression is built to exclude them).
        bidi = BIDI_BYTES_RE.search(chunk) is not None
        feed.load(chunk)
        pieces, i, number = feed.pieces, 0, feed.number
        if (
            fast_chunk is not None
            and not bidi
            and rows + len(pieces) <= max_rows
            and (text := fast_chunk(number, feed.text, pieces)) is not None
        ):
            rows += len(pieces)
            feed.pos, feed.number = len(pieces), number + len(pieces)
            write(text, len(pieces))
            if progress is not None:
                progress(rows)
            continue
        out: list[str] = []
        while i < len(pieces):
            body = pieces[i]
            i += 1
            number += 1
            if body[-1:] == "\r":  # CRLF: the csv module would take \r\n as the line end
                body = body[:-1]
            if not body:
                continue  # a blank line: no record
            rows += 1
            if rows > max_rows:
                raise FileRejected(
                    number, "*", f"the file has more than {max_rows:,} data rows, the limit (IMPORT_MAX_ROWS)"
                )
            if fast is not None and not (bidi and bidi_error(body)) and (text := fast(number, body)) is not None:
                out.append(text)
                continue
            # The precise path: csv.reader takes the record from this line on (it may span lines).
            feed.pos, feed.number = i - 1, number - 1
            start = number
            try:
                cells = next(reader)
            except csv.Error as exc:
                raise FileRejected(start, "*", f"not valid CSV: {exc}") from None
            if not cells:  # e.g. a line of a lone "\r": no record after all
                rows -= 1
            elif text := precise(start, cells):
                out.append(text)
            if feed.pieces is not pieces:  # the record ran into the next chunk: go on from there
                write("".join(out), len(out))
                out, pieces = [], feed.pieces
            i, number = feed.pos, feed.number
        feed.pos, feed.number = i, number
        write("".join(out), len(out))
        if progress is not None:
            progress(rows)
    return rows
