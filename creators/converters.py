"""The ``<handle:...>`` path converter: a creator handle as the importers accept it, with an optional '@'.

Any other text in that place of a URL (a NUL byte, a slash-free string of other characters) matches no route
and answers the same 404 as a handle that names no creator, before a query is made.
"""

from __future__ import annotations

from django.urls import register_converter

from creators.models import HANDLE_PATTERN


class HandleConverter:
    regex = f"@?{HANDLE_PATTERN}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(HandleConverter, "handle")
