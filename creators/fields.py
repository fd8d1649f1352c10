"""Form fields of the creator filters that read numbers as people type them.

``CountField`` takes a follower count as ``1000000``, ``1,000,000``, ``250k``, ``1.5M`` or ``2b`` (any case, spaces
ignored) and cleans it to a whole number; ``CountFilter`` is django-filter's ``NumberFilter`` with that field, used
by the one ``CreatorFilterSet``, so the HTML list, the API and the exports all accept the same forms.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError

# PostgreSQL's bigint: a larger bound can match nothing and would only fail in the database.
COUNT_MAX = 2**63 - 1
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
# Digits with optional thousands separators (1,000,000) or a decimal part (1.5), then an optional k/M/B. Also the
# API schema's pattern for these parameters (creators.api), so it is written without flags or named groups.
COUNT_PATTERN = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)([kKmMbB]?)"
_COUNT_RE = re.compile(COUNT_PATTERN)


def parse_count(text: str) -> int:
    """``"250k"`` → 250000, ``"1,000,000"`` → 1000000, ``"1.5M"`` → 1500000 (rounded to a whole number).

    Raises ``ValueError`` with a message for the person who typed it.
    """
    compact = "".join(str(text).split())
    match = _COUNT_RE.fullmatch(compact)
    if match is None:
        raise ValueError("Enter a whole number of followers, such as 250000, 250k, 1.5M or 1,000,000.")
    try:
        number = Decimal(match[1].replace(",", "")) * _MULTIPLIERS[match[2].lower()]
    except InvalidOperation as exc:  # the pattern admits only decimal digits; kept for safety
        raise ValueError("Enter a whole number of followers.") from exc
    value = int(number.to_integral_value(rounding=ROUND_HALF_UP))
    if value > COUNT_MAX:
        raise ValueError(f"Enter at most {COUNT_MAX:,} followers.")
    return value


class CountField(forms.IntegerField):
    """An integer field that also reads ``250k``, ``1.5M`` and ``1,000,000`` (``parse_count``)."""

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        try:
            return parse_count(str(value))
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from exc


class CountFilter(django_filters.NumberFilter):
    """``NumberFilter`` over a ``CountField``."""

    field_class = CountField
