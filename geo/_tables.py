"""Read a user's table into text cells, geometries and row labels (private).

CSV (``,`` or ``;`` sniffed from the header; UTF-8, UTF-8 with BOM,
Windows-1252 or Latin-1), XLSX (openpyxl, so row numbers are the ones the
spreadsheet shows: header = row 1), anything pyogrio reads (GeoJSON,
GeoPackage...) and in-memory (Geo)DataFrames. Nothing here interprets the
columns; :mod:`geo.entities` does. The input file is only ever read.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ._columns import is_blank
from .crs import WGS84
from .errors import CRSError, DataSourceError, SchemaError, format_problems


@dataclass
class Input:
    """A user's table as read: text cells, optional geometries, row labels."""

    frame: pd.DataFrame
    geometry: list[Any] | None
    labels: list[str]
    source: str


def read_input(path: Any, sheet: str | int | None) -> Input:
    if isinstance(path, pd.DataFrame):
        return _from_frame(path)
    path = Path(path)
    source = path.name
    if path.is_dir():
        raise DataSourceError(f"{path} is a folder: give the path of a CSV, XLSX or GeoJSON file")
    if not path.is_file():
        raise DataSourceError(f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, source)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, source, sheet)
    if suffix in (".xls", ".ods"):
        raise DataSourceError(
            f"cannot read {source}: save it as .xlsx or .csv (UTF-8 or Windows-1252)"
        )
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise DataSourceError(f"cannot read {source} as a geographic file: {exc}") from exc
    return _from_geoframe(gdf, source, lambda i: f"feature {i + 1}")


def _from_frame(frame: pd.DataFrame) -> Input:
    labels = [f"index {label}" for label in frame.index]
    if isinstance(frame, gpd.GeoDataFrame):
        return _from_geoframe(frame, "the GeoDataFrame", lambda i: labels[i])
    data = frame.reset_index(drop=True).copy()
    data.columns = [str(c) for c in data.columns]
    return _drop_empty(Input(data.astype(object), None, labels, "the DataFrame"))


def _from_geoframe(gdf: gpd.GeoDataFrame, source: str, label: Callable[[int], str]) -> Input:
    geoms = gdf.geometry
    has_geometry = bool(geoms.notna().any() and (~geoms.is_empty).any())
    if has_geometry:
        geoms = checked_crs(geoms, source)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    values = None
    if has_geometry:
        values = [None if g is None or g.is_empty else g for g in geoms.values.to_numpy()]
    labels = [label(i) for i in range(len(frame))]
    return _drop_empty(Input(frame.astype(object), values, labels, source))


def checked_crs(geoms: gpd.GeoSeries, source: str) -> gpd.GeoSeries:
    if geoms.crs is None:
        raise CRSError(
            f"{source} has no CRS: declare the one its coordinates are in (e.g. "
            f"gdf.set_crs('EPSG:2154') for Lambert-93, 'EPSG:4326' for longitude/latitude) "
            f"or re-export it with one"
        )
    if geoms.crs.is_geographic:
        minx, miny, maxx, maxy = geoms.total_bounds
        if min(minx, miny) < -180 or maxx > 180 or maxy > 90 or miny < -90:
            raise CRSError(
                f"{source} declares {geoms.crs.to_string()} (degrees) but its coordinates "
                f"run from ({minx:.0f}, {miny:.0f}) to ({maxx:.0f}, {maxy:.0f}): they are "
                f"in a projected CRS such as Lambert-93 (EPSG:2154). Re-export the file in "
                f"EPSG:4326, or read it and call .set_crs(<its CRS>, allow_override=True)"
            )
        return geoms.to_crs(WGS84)
    return geoms.to_crs(WGS84)


def decode_text(raw: bytes) -> str:
    """Decode the bytes of a text table as French spreadsheets export them.

    A UTF-8 or UTF-16 byte order mark is honoured (and dropped); otherwise
    UTF-8, then Windows-1252, then Latin-1 (which decodes any byte).

    Raises
    ------
    UnicodeDecodeError
        Only for a UTF-16 file (with its mark) whose bytes are not UTF-16.
    """
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _sniff_delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: _count_outside_quotes(header, d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def read_text(path: Path, source: str) -> str:
    """Read and decode a text table (see :func:`decode_text`).

    Raises
    ------
    DataSourceError
        The file cannot be read (permissions, broken link, device error).
    SchemaError
        Its bytes are not text in a supported encoding.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataSourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return decode_text(raw)
    except UnicodeDecodeError as exc:
        raise SchemaError(
            f"cannot decode {source}: {exc.reason} at byte {exc.start}; save it as UTF-8 "
            "(or Windows-1252) text"
        ) from exc


def _read_csv(path: Path, source: str) -> Input:
    text = read_text(path, source)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    records: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            records.append((number, cells))
    except csv.Error as exc:
        row = len(records) + 1
        raise SchemaError(
            f"{source} row {row} cannot be read as CSV: {exc} (a quote left open makes the "
            "rest of the file one cell; close it or remove it)",
            [f"row {row}: {exc}"],
        ) from exc
    return _from_records(records, source)


def _read_xlsx(path: Path, source: str, sheet: str | int | None) -> Input:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise DataSourceError(f"cannot read {source} as an XLSX workbook: {exc}") from exc
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif isinstance(sheet, int):
            ws = book.worksheets[sheet]
        else:
            ws = book[sheet]
    except (IndexError, KeyError) as exc:
        book.close()
        raise SchemaError(
            f"sheet {sheet!r} not found in {source}; its sheets are {book.sheetnames}"
        ) from exc
    try:
        rows = [
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)
        ]
    finally:
        book.close()
    return _from_records(rows, source)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _from_records(records: list[tuple[int, list[str]]], source: str) -> Input:
    records = [(n, [c.strip() for c in cells]) for n, cells in records]
    filled = [(n, cells) for n, cells in records if any(cells)]
    if not filled:
        raise SchemaError(f"{source} is empty: no header row found")
    _, header = filled[0]
    while header and not header[-1]:
        header = header[:-1]
    problems = []
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if blank:
        problems.append(f"header cells {blank} are empty: give every used column a name")
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        problems.append(f"columns {duplicated} appear twice in the header")
    rows, labels = [], []
    for number, cells in filled[1:]:
        if len(cells) > len(header) and any(cells[len(header) :]):
            problems.append(
                f"row {number} has {len(cells)} cells but the header only {len(header)}"
                f" (a separator inside a value? quote it)"
            )
        rows.append((cells + [""] * len(header))[: len(header)])
        labels.append(f"row {number}")
    if problems:
        raise SchemaError(
            format_problems(
                f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in {source}", problems
            ),
            problems,
        )
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return Input(frame, None, labels, source)


def _drop_empty(data: Input) -> Input:
    keep = [
        i
        for i in range(len(data.frame))
        if not all(is_blank(v) for v in data.frame.iloc[i])
        or (data.geometry is not None and data.geometry[i] is not None)
    ]
    if len(keep) == len(data.frame):
        return data
    return Input(
        data.frame.iloc[keep].reset_index(drop=True),
        None if data.geometry is None else [data.geometry[i] for i in keep],
        [data.labels[i] for i in keep],
        data.source,
    )
