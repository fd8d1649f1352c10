"""Whole chunks of plain CSV lines checked and rewritten by Apache Arrow's C++ kernels (PostgreSQL bulk paths).

The two bulk paths, the direct load (``direct``) and the raw staging of the staged path (``runner``), take a chunk
of the file (a few MiB of whole lines) at once when every line in it is a *fast* line: unquoted cells that the
column parsers would accept unchanged (the fast fragments of ``values``). Matching that with Python's ``re`` and
writing the chunk out again was most of an import's time, on one core, while PostgreSQL waited for the text. Here
Arrow does both: the whole chunk is matched in one pass against the fast lines' expression (RE2, same meaning),
then split into lines (staged path) or read into cells (direct load, which puts the creator's and the category's
ids in place of their names), and the COPY text is built by one element-wise join whose result buffer is sent as
it is.

Anything unusual (a quote, a NUL byte, a lone CR, a blank line, invalid UTF-8, a line that does not match, a time
after the import's start) gives None: the chunk then goes through the Python paths, which decide and report
exactly as before. What a chunk gives here is byte for byte what those paths write for the same lines (the tests
compare them).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

# Python's ``\s`` in a str pattern (what str.isspace() and str.strip() take), as RE2 class members: RE2's own
# ``\s`` is ASCII only, and a cell with a no-break space must not pass for one without (tests check the set).
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# RE2 class members for Python's whitespace but the line feed: within a line there is none, so the meaning on a
# line is Python's, and no fragment can take a line end when ``FastLines`` matches a whole chunk of lines at once.
_WHITESPACE_MEMBERS = "".join(f"\\x{{{ord(char):x}}}" for char in PYTHON_WHITESPACE if char != "\n")
# Escapes that mean the same in both engines and take no line feed; any other letter or digit escape (``\d``,
# ``\w``, ``\b``, ``\S``, ``\n`` ...) means something else in RE2 or takes a line end, and has no translation.
_SAME_ESCAPES = frozenset("rt")


def re2(fragment: str) -> str:
    """A fast fragment (Python ``re`` syntax, one line) in RE2's syntax with the same meaning on a line, that never
    takes a line feed: ``\\s`` spelled out as Python's whitespace, and every negated class refusing the line feed
    as well. The rest of the fast fragments' syntax (classes, counted repeats, groups, alternation, escaped
    punctuation, ``\\r``, ``\\t``) means the same in both; any other letter or digit escape raises
    ``ValueError``."""
    out: list[str] = []
    negated = in_class = False
    index = 0
    while index < len(fragment):
        char = fragment[index]
        if char == "\\":
            escaped = fragment[index : index + 2]
            if escaped == r"\s":
                out.append(_WHITESPACE_MEMBERS if in_class else f"[{_WHITESPACE_MEMBERS}]")
            elif escaped[1:].isalnum() and escaped[1:] not in _SAME_ESCAPES:
                raise ValueError(f"{escaped} in {fragment!r}: no RE2 translation with Python's meaning")
            else:
                out.append(escaped)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            negated = fragment.startswith("[^", index)
            # A ']' right after '[' or '[^' is a member, not the end.
            opening = "[^" if negated else "["
            out.append(opening)
            index += len(opening)
            if fragment.startswith("]", index):
                out.append(r"\]")
                index += 1
            continue
        if char == "]" and in_class:
            in_class = False
            if negated:
                out.append(r"\n")
        out.append(char)
        index += 1
    return "".join(out)


class FastLines:
    """Checks chunks against the whole-line fast expression of a header, and reads their lines and cells.

    ``fragments`` are the header's columns' fast fragments in file order; ``limit``, when given, is the largest
    text the ``limited`` column's first ``len(limit)`` characters may have (a time not after the import's start,
    see ``values.fast_time_max``).
    """

    def __init__(self, header: Sequence[str], fragments: Sequence[str], *, limited: str | None = None,
                 limit: str | None = None) -> None:
        self.header = list(header)
        line = ",".join(re2(fragment) for fragment in fragments)
        # Every line of the chunk, each ended by LF or CRLF, matched in one pass of RE2 over the whole chunk (a
        # match per line costs twice as much). No translated fragment takes a line feed (``re2``), so each match
        # of the group is one physical line. A lone CR, a blank line, a quote: no fast fragment takes them.
        self.pattern = rf"\A(?:(?:{line})\r?\n)*\z"
        self.limited = limited
        self.limit = limit
        # Every value a string, exactly the bytes of the cell (no quoting: a quote fails the expression first).
        self._parse = pa_csv.ParseOptions(quote_char=False, ignore_empty_lines=False, newlines_in_values=False)
        self._numbers = pa.array([], pa.int64())
        pc.match_substring_regex(pa.array([""]), self.pattern)  # RE2 rejects what it cannot read: fail now

    def check(self, chunk: bytes) -> bool:
        """Whether every line of ``chunk`` (whole lines; the file's last may lack its line feed) is a fast line."""
        # The fragments' negated classes would take a NUL byte, which stops the Python path with its line number.
        if b"\x00" in chunk:
            return False
        if chunk.endswith(b"\r"):  # a lone carriage return at the file's end: the Python path says what it is
            return False
        if not chunk.endswith(b"\n"):
            chunk += b"\n"
        text = _as_text(chunk)
        try:
            text.validate(full=True)  # UTF-8: RE2 must not see invalid sequences
        except pa.ArrowInvalid:
            return False
        return bool(pc.match_substring_regex(text, self.pattern)[0].as_py())

    def lines(self, chunk: bytes, count: int) -> pa.StringArray:
        """The ``count`` lines of a chunk that ``check`` accepted, without their line ends."""
        lines = pc.split_pattern(_as_text(chunk), "\n").values
        if chunk.endswith(b"\n"):
            lines = lines.slice(0, len(lines) - 1)
        if b"\r" in chunk:
            lines = pc.utf8_rtrim(lines, characters="\r")
        if len(lines) != count:  # a programming error: ``count`` is the chunk's own
            raise ValueError(f"{len(lines)} lines, {count} expected")
        return lines

    def cells(self, chunk: bytes, count: int, names: Sequence[str] | None = None) -> dict[str, pa.StringArray]:
        """The cells of the columns ``names`` (all when None) of the ``count`` lines of a chunk that ``check``
        accepted."""
        convert = pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in self.header}, strings_can_be_null=False,
            include_columns=list(names) if names is not None else None,
        )
        # One block for the whole chunk: one array per column, no chunked arrays to combine.
        read = pa_csv.ReadOptions(column_names=self.header, use_threads=False, block_size=len(chunk) + 1)
        table = pa_csv.read_csv(pa.py_buffer(chunk), read_options=read, parse_options=self._parse,
                                convert_options=convert)
        if table.num_rows != count:
            raise ValueError(f"{table.num_rows} rows, {count} expected")
        return {name: table.column(name).combine_chunks() for name in table.column_names}

    def within_limit(self, cells: dict[str, pa.StringArray]) -> bool:
        """Whether every cell of the limited column is within the limit (True when nothing is limited)."""
        if self.limit is None or self.limited is None:
            return True
        largest = pc.max(pc.utf8_slice_codeunits(cells[self.limited], 0, len(self.limit))).as_py()
        return largest is None or largest <= self.limit

    def numbers(self, first: int, count: int) -> pa.StringArray:
        """``first``, ``first + 1``, ... (``count`` of them) as text."""
        if len(self._numbers) < count:
            self._numbers = pa.array(range(max(count, 2 * len(self._numbers))), pa.int64())
        return pc.cast(pc.add(self._numbers.slice(0, count), first), pa.string())


def _as_text(data: bytes) -> pa.StringArray:
    """``data`` as a one-value string array, without copying it (and without checking its UTF-8)."""
    offsets = pa.py_buffer(memoryview(array("i", [0, len(data)])).cast("B"))
    return pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)])


def joined(parts: Sequence[pa.Array | str]) -> memoryview:
    """The rows of the element-wise concatenation of ``parts`` (arrays of one length, and constant texts), as one
    buffer: each row's text follows the previous one's, which is the COPY text when each row ends with its line
    end."""
    array = pc.binary_join_element_wise(*parts, "")
    _, offsets, data = array.buffers()
    bounds = memoryview(offsets).cast("i")
    return memoryview(data)[bounds[array.offset] : bounds[array.offset + len(array)]]


def lookup(values: pa.Array, keys: pa.Array, texts: pa.Array) -> pa.Array:
    """``texts[i]`` for each value equal to ``keys[i]``; null for a value that is no key."""
    return pc.take(texts, pc.index_in(values, value_set=keys))
