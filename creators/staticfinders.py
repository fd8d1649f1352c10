"""Serve plotly.js from the installed ``plotly`` package instead of committing a 4.6 MB copy or using a CDN.

The finder exposes exactly one file, ``vendor/plotly.min.js``, so ``collectstatic`` does not sweep up the rest of
the package's data (datasets, templates, the widget bundle). The version therefore always matches the pinned
``plotly`` Python package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC_PATH = "vendor/plotly.min.js"
_PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    """A static files finder that knows only ``vendor/plotly.min.js``."""

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        # Django 5.2 renamed ``all`` to ``find_all`` and still passes ``all`` from older callers.
        wants_all = find_all or kwargs.get("all", False)
        if path != PLOTLY_STATIC_PATH:
            return [] if wants_all else ""
        match = str(_PLOTLY_DIR / "plotly.min.js")
        return [match] if wants_all else match

    def list(self, ignore_patterns: list[str] | None) -> Any:
        storage = FileSystemStorage(location=str(_PLOTLY_DIR))
        # collectstatic copies "plotly.min.js" from this storage under the prefix "vendor/".
        storage.prefix = "vendor"
        yield "plotly.min.js", storage
