"""Whole chunks of plain CSV lines checked and rewritten by Apache Arrow's C++ kernels (PostgreSQL bulk paths).

The two bulk paths, the direct load (``direct``) and the raw staging of the staged path (``runner``), take a chunk
of the file (a few MiB of whole lines) at once when every line in it is a *fast* line: unquoted cells that the
column parsers would accept unchanged (the fast fragments of ``values``). Matching that with Python's ``re`` and
writing the chunk out again was most of an import's time, on one core, while PostgreSQL waited for the text. Here
Arrow does both: the chunk is read as a column of lines and matched against the whole-line expression (RE2, same
meaning), and the COPY text is built by one element-wise join whose result buffer is sent as it is. The direct
load reads the cells too, to put the creator's and the category's ids in place of their names.

Anything unusual (a quote, a NUL byte, a lone CR, a blank line, invalid UTF-8, a line that does not match, a time
after the import's start) gives None: the chunk then goes through the Python paths, which decide and report
exactly as before. What a chunk gives here is byte for byte what those paths write for the same lines (the tests
compare them).
"""

from __future__ import annotations

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
_WHITESPACE_MEMBERS = "".join(f"\\x{{{ord(char):x}}}" for char in PYTHON_WHITESPACE)
# A byte no fast line holds (it is whitespace to Python): reading a chunk with it as the delimiter gives one cell
# per line, the line itself.
_NO_DELIMITER = "\x1f"


def re2(fragment: str) -> str:
    """A fast fragment (Python ``re`` syntax) in RE2's syntax with the same meaning: ``\\s`` spelled out as
    Python's whitespace, inside a character class or as one of its own; the rest of the fast fragments' syntax
    (classes, counted repeats, groups, alternation, escaped punctuation) means the same in both."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(fragment):
        char = fragment[index]
        if char == "\\":
            escaped = fragment[index : index + 2]
            if escaped == r"\s":
                out.append(_WHITESPACE_MEMBERS if in_class else f"[{_WHITESPACE_MEMBERS}]")
            else:
                out.append(escaped)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            # A ']' right after '[' or '[^' is a member, not the end.
            opening = "[^" if fragment.startswith("[^", index) else "["
            out.append(opening)
            index += len(opening)
            if fragment.startswith("]", index):
                out.append(r"\]")
                index += 1
            continue
        if char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


class FastLines:
    """Checks chunks against the whole-line fast expression of a header, and reads their cells.

    ``fragments`` are the header's columns' fast fragments in file order; ``limit``, when given, is the largest
    text the ``limited`` column's first ``len(limit)`` characters may have (a time not after the import's start,
    see ``values.fast_time_max``).
    """

    def __init__(self, header: Sequence[str], fragments: Sequence[str], *, limited: str | None = None,
                 limit: str | None = None) -> None:
        self.header = list(header)
        self.pattern = "^" + ",".join(re2(fragment) for fragment in fragments) + "$"
        self.limited = limited
        self.limit = limit
        # Every value a string, exactly the bytes of the cell (no quoting: a chunk with a quote is never read).
        self._parse = pa_csv.ParseOptions(quote_char=False, ignore_empty_lines=False, newlines_in_values=False)
        self._line_parse = pa_csv.ParseOptions(delimiter=_NO_DELIMITER, quote_char=False, ignore_empty_lines=False)
        self._line_convert = pa_csv.ConvertOptions(column_types={"line": pa.string()}, strings_can_be_null=False)
        self._numbers = pa.array([], pa.int64())
        pc.match_substring_regex(pa.array([""]), self.pattern)  # RE2 rejects what it cannot read: fail now

    def lines(self, chunk: bytes, count: int) -> pa.StringArray | None:
        """The ``count`` lines of ``chunk`` (without line ends) when every one is a fast line, else None."""
        # A quote is left in its cell (no quoting here), where no fast fragment takes it. A NUL byte, which the
        # fragments' negated classes would take, stops the Python path with its line's number.
        if b"\x00" in chunk:
            return None
        # Arrow ends a line at a lone CR as well; the Python paths do not (it stays in the cell, or is no record).
        if b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n"):
            return None
        try:
            lines = self._read(chunk, ["line"], self._line_parse, self._line_convert).column(0).combine_chunks()
        except pa.ArrowInvalid:  # invalid UTF-8 (or a line Arrow cannot split): the Python path will say
            return None
        if len(lines) != count or not pc.all(pc.match_substring_regex(lines, self.pattern)).as_py():
            return None
        return lines

    def cells(self, chunk: bytes, names: Sequence[str] | None = None) -> dict[str, pa.StringArray]:
        """The cells of the columns ``names`` (all when None) of a chunk that ``lines`` accepted."""
        convert = pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in self.header}, strings_can_be_null=False,
            include_columns=list(names) if names is not None else None,
        )
        table = self._read(chunk, self.header, self._parse, convert)
        return {name: table.column(name).combine_chunks() for name in table.column_names}

    def within_limit(self, cells: dict[str, pa.StringArray]) -> bool:
        """Whether every cell of the limited column is within the limit (True when nothing is limited)."""
        if self.limit is None:
            return True
        largest = pc.max(pc.utf8_slice_codeunits(cells[self.limited], 0, len(self.limit))).as_py()
        return largest is None or largest <= self.limit

    def numbers(self, first: int, count: int) -> pa.StringArray:
        """``first``, ``first + 1``, ... (``count`` of them) as text."""
        if len(self._numbers) < count:
            self._numbers = pa.array(range(max(count, 2 * len(self._numbers))), pa.int64())
        return pc.cast(pc.add(self._numbers.slice(0, count), first), pa.string())

    @staticmethod
    def _read(chunk: bytes, names: list[str], parse: pa_csv.ParseOptions,
              convert: pa_csv.ConvertOptions) -> pa.Table:
        # One block for the whole chunk: one array per column, no chunked arrays to combine.
        read = pa_csv.ReadOptions(column_names=names, use_threads=False, block_size=len(chunk) + 1)
        return pa_csv.read_csv(pa.py_buffer(chunk), read_options=read, parse_options=parse, convert_options=convert)


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
