"""Reading exported files back in tests: CSV (with or without a byte-order mark) and XLSX (the zip's XML, with the
standard library only), as header + rows, or as dicts keyed by the stable column names."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from xml.etree import ElementTree

from creators.exports import EXTRA_LABELS
from scoring.catalogue import FIELDS, PARTNER_SCORE

# Header in words -> stable key, for the columns an export can have.
KEY_BY_LABEL = {spec.label: spec.name for spec in (*FIELDS, PARTNER_SCORE)} | {
    "Data as of": "as_of",
    "Scorecard": "scorecard_url",
    **{label: key for key, label in EXTRA_LABELS.items()},
}

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def keyed(table: list[list[str]]) -> list[dict[str, str]]:
    """Rows as dicts under the stable keys, whether the header was in words or keys."""
    header = [KEY_BY_LABEL.get(name, name) for name in table[0]]
    return [dict(zip(header, row, strict=True)) for row in table[1:]]


def csv_rows(response) -> list[dict[str, str]]:
    return keyed(csv_table(body_of(response)))


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    assert letters, reference
    number = 0
    for letter in letters.group(0):
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def xlsx_cells(data: bytes) -> list[list[tuple[str, str | None]]]:
    """The first sheet as rows of ``(type, text)`` cells (``s`` shared or inline string, ``n`` number, ``None``
    empty), gaps filled, read from the workbook's XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in archive.namelist():
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t")) for si in root.findall("m:si", _NS)]
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    rows: list[list[tuple[str, str | None]]] = []
    data_rows = sheet.find("m:sheetData", _NS)
    assert data_rows is not None, "the sheet has no sheetData"
    for row in data_rows.findall("m:row", _NS):
        cells: list[tuple[str, str | None]] = []
        for cell in row.findall("m:c", _NS):
            index = _column_index(cell.get("r", ""))
            while len(cells) < index:
                cells.append(("", None))
            kind = cell.get("t", "n")
            if cell.find("m:f", _NS) is not None:
                kind = "formula"
            value = cell.find("m:v", _NS)
            if kind == "s":
                assert value is not None and value.text is not None, "a shared-string cell without its index"
                cells.append(("s", shared[int(value.text)]))
            elif kind == "inlineStr":
                cells.append(("s", "".join(t.text or "" for t in cell.iter(f"{{{_NS['m']}}}t"))))
            else:
                cells.append((kind, value.text if value is not None else None))
        rows.append(cells)
    return rows


def xlsx_table(data: bytes) -> list[list[str]]:
    """The sheet as text, the way the CSV writes it: numbers in their shortest form, empty cells as ""."""
    rows = xlsx_cells(data)
    width = len(rows[0]) if rows else 0
    table = []
    for row in rows:
        texts = [text or "" for _, text in row]
        table.append(texts + [""] * (width - len(texts)))
    return table
