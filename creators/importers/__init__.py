"""Importers of raw data: one kind per CSV format of DESIGN section 4 (see ``docs/import-formats.md``).

Callers use ``creators.services.import_file``; this package holds the machinery.
"""

from __future__ import annotations

from creators.importers.report import ImportReport, RowError
from creators.importers.runner import IMPORT_KINDS, run_import

__all__ = ["IMPORT_KINDS", "ImportReport", "RowError", "run_import"]
