"""Parsers for single CSV cells. Each takes the raw text and returns the value or raises ``ValueError`` with a
message meant for the person who made the file (it becomes ``line N, column C: message``).

They are hot code (called millions of times by a large import): the common, well-formed case takes the shortest
path and the careful diagnosis happens only for bad input.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pycountry

from creators.models import HANDLE_PATTERN

BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1

Parser = Callable[[str], object]

_HANDLE_RE = re.compile(HANDLE_PATTERN)
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0", ""})
_SUFFIX = {"k": Decimal(1_000), "m": Decimal(1_000_000), "b": Decimal(1_000_000_000)}
_CLEAN_TAGS_RE = re.compile(r"(?:[^;#\s]+(?:;[^;#\s]+)*)?")
_SIMPLE_LIST_RE = re.compile(r"\[\s*'[^'\\]*'(?:\s*,\s*'[^'\\]*')*\s*,?\s*\]")
_QUOTED_RE = re.compile(r"'([^'\\]*)'")
_ABBREVIATED_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmb])?", re.IGNORECASE)


# Unicode bidirectional controls (embeddings, overrides and isolates: U+202A-202E, U+2066-2069). A cell holding
# one can display in another order than it reads (``invoice\u202egnp.exe`` shows as "invoiceexe.png"): every
# kind refuses them in every cell, on every path (issue 17).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")
# The same characters in UTF-8, to test a whole undecoded chunk in one pass.
BIDI_BYTES_RE = re.compile(b"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")


def bidi_error(text: str) -> str | None:
    """The error message for a cell holding a bidirectional control, or None when it holds none."""
    found = _BIDI_RE.search(text)
    if found is None:
        return None
    return (
        f"contains the Unicode bidirectional control U+{ord(found.group()):04X}, which can make text display in "
        "another order than it reads; remove it"
    )


def _show(text: str, limit: int = 40) -> str:
    """The offending text as it will appear in an error message: quoted, shortened."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def count(text: str) -> int:
    """A non-negative whole number (``1234``)."""
    if text.isdigit() and text.isascii() and len(text) < 19:
        return int(text)
    stripped = text.strip()
    if stripped != text:
        return count(stripped)
    if not stripped:
        raise ValueError("a value is required")
    if re.fullmatch(r"-\s*\d+(\.\d*)?", stripped):
        raise ValueError(f"must not be negative, got {_show(stripped)}")
    if stripped.isdigit() and stripped.isascii():
        value = int(stripped)
        if value > BIGINT_MAX:
            raise ValueError(f"{_show(stripped)} is too large")
        return value
    raise ValueError(f"{_show(stripped)} is not a whole number")


def abbreviated_count(text: str) -> int:
    """A count that may be abbreviated as real-world exports do: ``950``, ``13.8k``, ``78.9m``, ``1.2B``.

    The result is rounded to the nearest whole number (``1.2345k`` is 1,235): abbreviated counts are approximate
    by nature.
    """
    if text.isdigit() and text.isascii() and len(text) < 19:
        return int(text)
    stripped = text.strip().replace(",", "")
    if not stripped:
        raise ValueError("a value is required")
    if stripped.startswith("-"):
        raise ValueError(f"must not be negative, got {_show(stripped)}")
    match = _ABBREVIATED_RE.fullmatch(stripped)
    if not match:
        raise ValueError(f"{_show(stripped)} is not a count (expected e.g. 950, 13.8k or 78.9m)")
    number = Decimal(match.group(1)) * _SUFFIX.get((match.group(2) or "").lower(), Decimal(1))
    value = int(number.to_integral_value(rounding=ROUND_HALF_UP))
    if value > BIGINT_MAX:
        raise ValueError(f"{_show(stripped)} is too large")
    return value


def small_count(text: str) -> int:
    """A non-negative whole number that fits a 32-bit integer column (durations)."""
    value = count(text)
    if value > INT_MAX:
        raise ValueError(f"{value} is too large")
    return value


def boolean(text: str) -> bool:
    """``true/false``, ``yes/no``, ``1/0`` in any case; empty means false."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{_show(text)} is not a boolean (use true/false, yes/no or 1/0)")


def money(text: str) -> Decimal:
    """A non-negative amount with at most 2 decimal places and 14 integer digits (``1234.50``)."""
    stripped = text.strip()
    try:
        value = Decimal(stripped)
    except InvalidOperation:
        raise ValueError(f"{_show(stripped)} is not a number (use a dot for decimals, no currency sign)") from None
    if not value.is_finite():
        raise ValueError(f"{_show(stripped)} is not a number")
    if value < 0:
        raise ValueError(f"must not be negative, got {_show(stripped)}")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"{_show(stripped)} has more than 2 decimal places")
    if value >= Decimal(10) ** 14:
        raise ValueError(f"{_show(stripped)} is too large")
    return value.quantize(Decimal("0.01"))


def make_time(*, now: datetime, allow_future: bool = False) -> Callable[[str], datetime]:
    """A parser for ISO 8601 times (a time without zone is UTC) or Unix seconds, never after ``now``.

    ``now`` is fixed once per import so that every row is judged against the same instant.
    """

    def parse_time(text: str) -> datetime:
        stripped = text.strip()
        if not stripped:
            raise ValueError("a value is required")
        if stripped.isdigit() and stripped.isascii():
            try:
                moment = datetime.fromtimestamp(int(stripped), tz=UTC)
            except (OverflowError, OSError, ValueError):
                hint = " (Unix milliseconds? use seconds)" if len(stripped) >= 12 else ""
                raise ValueError(f"{_show(stripped)} is out of range as Unix seconds{hint}") from None
        else:
            try:
                moment = datetime.fromisoformat(stripped)
            except ValueError:
                raise ValueError(
                    f"{_show(stripped)} is not a time (use ISO 8601 such as 2024-05-01T14:30:00Z, or Unix seconds)"
                ) from None
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        if not allow_future and moment > now:
            hint = " (Unix milliseconds? use seconds)" if stripped.isdigit() and len(stripped) >= 12 else ""
            raise ValueError(f"{_show(stripped)} is in the future{hint}")
        return moment

    return parse_time


def text_field(*, max_length: int) -> Callable[[str], str]:
    """Free text, surrounding whitespace removed, at most ``max_length`` characters."""

    def parse_text(text: str) -> str:
        stripped = text.strip()
        if len(stripped) > max_length:
            raise ValueError(f"is {len(stripped)} characters long, the maximum is {max_length}")
        return stripped

    return parse_text


def identifier(text: str) -> str:
    """An external identifier: 1-64 characters, no surrounding whitespace kept."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("a value is required")
    if len(stripped) > 64:
        raise ValueError(f"is {len(stripped)} characters long, the maximum is 64")
    return stripped


def handle(text: str) -> str:
    """A creator handle; a leading '@' is dropped. Letters, digits, '.', '_' and '-', at most 64 characters."""
    stripped = text.strip()
    if stripped.startswith("@"):
        stripped = stripped[1:]
    if not stripped:
        raise ValueError("a value is required")
    if not _HANDLE_RE.fullmatch(stripped):
        raise ValueError(
            f"{_show(stripped)} is not a valid handle (letters, digits, '.', '_' and '-', at most 64 characters)"
        )
    return stripped


def creator_reference(text: str) -> str:
    """A creator named by external id or handle (a leading '@' is allowed for a handle)."""
    stripped = text.strip()
    if not stripped or stripped == "@":
        raise ValueError("a value is required")
    if len(stripped) > 65:
        raise ValueError(f"{_show(stripped)} is too long to be an external id or a handle")
    return stripped


def hashtags_text(text: str) -> str:
    """``fyp; #ad;;`` → ``fyp;ad``: '#', blanks and empty tags dropped, order kept."""
    if _CLEAN_TAGS_RE.fullmatch(text):  # already normalised: the common case costs one regex match
        return text
    return ";".join(tag for tag in (part.strip().lstrip("#").strip() for part in text.split(";")) if tag)


def python_list_hashtags(text: str) -> tuple[str, ...]:
    """A Python list literal of strings, as the TikTok-Api export writes them: ``['fyp', 'ad']``.

    Parsed with ``ast.literal_eval`` (which evaluates literals only, never code).
    """
    stripped = text.strip()
    if not stripped or stripped == "[]":
        return ()
    if _SIMPLE_LIST_RE.fullmatch(stripped):
        # Fast path for the common shape ['a', 'b']: same result as literal_eval, a fraction of the cost.
        return tuple(tag for tag in (tag.strip().lstrip("#").strip() for tag in _QUOTED_RE.findall(stripped)) if tag)
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(f"{_show(stripped)} is not a list of hashtags such as ['fyp', 'ad']") from None
    if not isinstance(value, list | tuple) or not all(isinstance(tag, str) for tag in value):
        raise ValueError(f"{_show(stripped)} is not a list of hashtags such as ['fyp', 'ad']")
    return tuple(tag for tag in (tag.strip().lstrip("#").strip() for tag in value) if tag)


# Country texts that no country library resolves (punctuated abbreviations of the real-world exports).
COUNTRY_SPECIAL_CASES = {
    "usa": "US",
    "us": "US",
    "u.s.a": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "united states": "US",
    "uk": "GB",
    "u.k.": "GB",
    "u.k": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "uae": "AE",
    "u.a.e.": "AE",
    "u.a.e": "AE",
    "south korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "turkey": "TR",
    "vietnam": "VN",
}


def country_code(text: str) -> str:
    """An ISO 3166-1 alpha-2 code (any case); empty means unknown."""
    stripped = text.strip()
    if not stripped:
        return ""
    if len(stripped) == 2 and pycountry.countries.get(alpha_2=stripped.upper()) is not None:
        return stripped.upper()
    raise ValueError(f"{_show(stripped)} is not an ISO 3166-1 alpha-2 country code such as US or GB")


_country_cache: dict[str, str] = {}


def country_name(text: str) -> str:
    """A country as free text (``U.S.A``, ``India``, ``South Korea``) → ISO alpha-2; empty means unknown.

    The special cases above first, then the country library (codes, names, official and common names).
    """
    stripped = " ".join(text.split())
    if not stripped:
        return ""
    key = stripped.lower()
    if key in _country_cache:
        return _country_cache[key]
    code = COUNTRY_SPECIAL_CASES.get(key)
    if code is None:
        try:
            code = pycountry.countries.lookup(stripped).alpha_2
        except LookupError:
            raise ValueError(f"{_show(stripped)} is not a country this importer knows") from None
    _country_cache[key] = code
    return code


def required(parser: Parser) -> Parser:
    """Wrap a parser so that an empty cell is an error."""

    def parse_required(text: str) -> object:
        if not text or text.isspace():
            raise ValueError("a value is required")
        return parser(text)

    return parse_required


def optional(parser: Parser) -> Parser:
    """Wrap a parser so that an empty cell gives ``None`` (unknown)."""

    def parse_optional(text: str) -> object:
        if not text or text.isspace():
            return None
        return parser(text)

    return parse_optional


# --- Fast-path fragments (see ``engine.Column.fast``) -------------------------------------------------------------
# Each matches only unquoted cells that the precise parser above accepts unchanged and that PostgreSQL reads, as
# they are, with the same meaning; anything else (whitespace to strip, other spellings, quoted cells) goes to the
# precise parser, so messages and results stay those of the parsers. Digits are [0-9], never \d (which matches
# other scripts' digits that PostgreSQL rejects); \s is Unicode whitespace, exactly what str.strip() removes.
FAST_COUNT = r"[0-9]{1,18}"  # below 10^18: fits bigint, same bound as count()'s own fast path
FAST_OPTIONAL_COUNT = rf"(?:{FAST_COUNT})?"  # empty: NULL, as optional() gives None
FAST_SMALL_COUNT = r"(?:[0-9]{1,9})?"  # optional, fits a 32-bit integer
FAST_IDENTIFIER = r'[^,"\s]{1,64}'
FAST_CREATOR_REFERENCE = r'(?:[^,"\s@][^,"\s]{0,64}|@[^,"\s]{1,64})'
# Not empty: an empty cell means false, but COPY would read it as NULL into the NOT NULL column (the parser
# takes it instead).
FAST_BOOLEAN = r"(?:true|false)"
FAST_MONEY = r"(?:[0-9]{1,14}(?:\.[0-9]{1,2})?)?"  # optional
FAST_HASHTAGS = r'(?:[^;#\s,"]+(?:;[^;#\s,"]+)*)?'  # already normalised (hashtags_text returns it as is)
_DAY = r"(?:0[1-9]|1[0-9]|2[0-8])"
_DATE = (
    rf"[1-9][0-9]{{3}}-(?:(?:0[1-9]|1[0-2])-{_DAY}|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)  # every real date except 29 February (left to the precise parser)
# ISO 8601 to the second, UTC ('Z') or without zone (UTC too: the import's session time zone is UTC). The
# captured part is compared with fast_time_max(now) to reject times in the future.
FAST_TIME = rf"({_DATE}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])Z?"


def fast_time_max(now: datetime) -> str:
    """The largest captured FAST_TIME text not after ``now`` (whole seconds: ``x:y:z`` <= now when now >= x:y:z)."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def fast_choice(words: Iterable[str]) -> str:
    """An optional cell holding exactly one of ``words`` (e.g. category slugs as stored)."""
    return "(?:" + "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)) + ")?"
