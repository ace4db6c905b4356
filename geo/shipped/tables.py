"""The shipped tables as files: their names, their folder, and reading them.

Two human-editable tables in the checkout's ``data/`` folder are the truth:

``tz_territories.csv``
    One row per TZCLD territory (``statut`` TH = habilité, PE = projet
    émergent): INSEE codes of the perimeter, quartier text, EPCI, legal text,
    sources, confidence, and the ``precision`` of the perimeter.
``ptce.csv``
    One row per PTCE: seat commune, area of action, themes, State support,
    sources, confidence, and the ``precision`` of the area of action.

Beside them, ``qpv2024_communes.csv`` is the ANCT list of QPV 2024 by commune
(:func:`geo.reference.qpv.qpv_list`), against which the ``qpv_codes`` of the
territories are checked. This module names these files and the GeoJSON files
built from them, finds the data folder, reads a table with the file line of
each row, and splits its cells (lists on ``;``, sources on `` | ``).
``scripts/import_reference.py`` created the tables once from the reference
tables of ``shared/reference`` (it is not part of the package).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo._core.datadir import data_dir as current_data_dir
from geo._core.datadir import shipped_data_dir
from geo._core.tables import read_text
from geo.errors import DataSourceError, SchemaError

__all__ = [
    "DATA_DIR",
    "HTTP_URL",
    "NO_SOURCE_MARKER",
    "PTCE_CSV",
    "PTCE_GEOJSON",
    "QPV_LIST_CSV",
    "TERRITORIES_CSV",
    "TERRITORIES_GEOJSON",
    "Table",
    "data_folder",
    "read_table",
    "source_items",
    "split_cell",
]

#: The shipped data folder: the checkout's ``data/`` (``<checkout>/data``), or,
#: installed from a wheel, the copy installed with the package
#: (:func:`geo._core.datadir.data_dir`).
DATA_DIR: Path = shipped_data_dir()

TERRITORIES_CSV = "tz_territories.csv"
PTCE_CSV = "ptce.csv"
TERRITORIES_GEOJSON = "territories.geojson"
PTCE_GEOJSON = "ptce.geojson"
QPV_LIST_CSV = "qpv2024_communes.csv"


# The columns of tz_territories.csv and ptce.csv are the schema's fields minus
# the derived ones (field_names(table, derived=False)); the properties of each
# GeoJSON feature are all of them (field_names(table)), in order.

#: Literal marker of the rows that exist without any public source, written at
#: the start of ``notes`` (an internal field), never in ``sources``.
NO_SOURCE_MARKER = "NO-PUBLIC-SOURCE-FOUND"


#: A cell that is a web address (``http://`` or ``https://``, any case).
HTTP_URL = re.compile(r"^https?://", re.IGNORECASE)


def data_folder(data_dir: str | os.PathLike[str] | None) -> Path:
    """Return the folder given, else ``TZPTCE_DATA_DIR``, else the shipped data.

    Parameters
    ----------
    data_dir
        A folder holding the tables, or ``None``.

    Returns
    -------
    Path
        ``data_dir``, else :func:`geo._core.datadir.data_dir`.
    """
    return Path(data_dir) if data_dir is not None else current_data_dir()


def split_cell(value: str, sep: str = ";") -> list[str]:
    """Return the non-empty items of a list cell, stripped.

    Parameters
    ----------
    value
        The cell's text.
    sep
        The separator of the items.

    Returns
    -------
    list of str
        The items, in order.

    Examples
    --------
    >>> split_cell(" 78440; ;78440A ")
    ['78440', '78440A']
    """
    return [part.strip() for part in str(value).split(sep) if part.strip()]


def source_items(value: str) -> list[str]:
    """Return the items of a ``sources`` cell (separated by `` | ``).

    Parameters
    ----------
    value
        The cell's text.

    Returns
    -------
    list of str
        The sources, in order.

    Examples
    --------
    >>> source_items("https://a.fr | https://b.fr")
    ['https://a.fr', 'https://b.fr']
    """
    return split_cell(value, " | ")


@dataclass(frozen=True)
class Table:
    """A CSV table read as strings, with the file line of each row."""

    path: Path
    frame: pd.DataFrame  # column "_line": last physical line of the record

    def where(self, index: int) -> str:
        """Say where row ``index`` is, for error messages: its file line and id."""
        row = self.frame.loc[index]
        return f"line {row['_line']} (id {row['id']!r})"


def read_table(path: Path, columns: Sequence[str]) -> Table:
    """Read a shipped table as strings, with the file line of each record.

    Parameters
    ----------
    path
        The CSV file: UTF-8 (with or without BOM), Windows-1252 or Latin-1.
    columns
        The columns to keep, all required; cells are stripped, empty when missing.

    Returns
    -------
    Table
        The rows, plus the column ``_line`` (last physical line of the record).

    Raises
    ------
    DataSourceError
        The file is missing.
    SchemaError
        A column is missing, or the text is not CSV (named line).
    """
    if not path.is_file():
        raise DataSourceError(
            f"{path} not found: the shipped tables live in the source checkout's data/ "
            f"folder; pass data_dir=... pointing to a folder with {TERRITORIES_CSV} "
            f"and {PTCE_CSV}"
        )
    text = read_text(path, str(path))  # UTF-8 (BOM or not), Windows-1252, Latin-1
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    done = 0  # last line of the last record read
    try:
        header = reader.fieldnames or []
        done = reader.line_num
        missing = [c for c in columns if c not in header]
        if missing:
            raise SchemaError(
                f"{path}: missing column(s) {missing}; expected the columns {list(columns)}"
            )
        for record in reader:
            values = {c: (record.get(c) or "").strip() for c in columns}
            values["_line"] = done = reader.line_num
            rows.append(values)
    except csv.Error as exc:
        raise SchemaError(
            f"{path}: line {done + 1} cannot be read as CSV: {exc} (a quote left "
            "open makes the rest of the file one cell; close it or remove it)"
        ) from exc
    frame = pd.DataFrame(rows, columns=[*columns, "_line"], dtype=object)
    return Table(path, frame)
