"""What an import tells its caller: counts, and every problem found in the input as ``RowError``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class RowError:
    """One problem with the input, located by the physical line where its record starts (the header is line 1).

    ``column`` is the CSV column name, or ``*`` for a problem with the whole record or the whole file.
    """

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass
class ImportReport:
    """The outcome of one import (or dry run) of one file.

    ``errors`` keeps the first ``ERRORS_KEPT`` problems in line order; ``error_count`` counts all of them.
    ``extra`` holds side effects beyond the keyed rows, e.g. ``{"creators_created": 3}`` for the TikTok videos
    adapter, or ``{"categories_created": 2}``.
    """

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    error_count: int = 0
    extra: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase: validate, check, plan, apply

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and not self.errors

    @property
    def changed(self) -> bool:
        """True when the import wrote (or, in a dry run, would write) something."""
        return bool(self.created or self.updated or any(self.extra.values()))

    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        text = (
            f"{self.kind}: {self.rows:,} rows; {verb}{self.created:,} created, {verb}{self.updated:,} updated, "
            f"{self.unchanged:,} unchanged"
        )
        extra = {name: value for name, value in sorted(self.extra.items()) if value}
        if extra:
            text += "; " + ", ".join(f"{name.replace('_', ' ')} {value:,}" for name, value in extra.items())
        return text + (" (dry run: nothing written)" if self.dry_run else "")


class ErrorSink:
    """Collects errors, keeping only the first ``limit`` (by arrival) but counting all of them.

    The cap keeps memory flat when every row of a huge file is wrong.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[RowError] = []
        self.count = 0

    def add(self, line: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append(RowError(line, column, message))

    def __bool__(self) -> bool:
        return self.count > 0

    def sorted(self) -> list[RowError]:
        return sorted(self.kept)
