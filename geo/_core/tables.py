"""Read a user's table into text cells, geometries and row labels (private).

CSV (``,`` or ``;`` sniffed from the header; UTF-8, UTF-8 with BOM,
Windows-1252 or Latin-1), XLSX (openpyxl, so row numbers are the ones the
spreadsheet shows: header = row 1), anything pyogrio reads (GeoJSON,
GeoPackage...) and in-memory (Geo)DataFrames. Nothing here interprets the
columns; :mod:`geo.loading.entities` does. The input file is only ever read.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo._core import progress
from geo._core.columns import is_blank
from geo.crs import WGS84
from geo.errors import (
    CRSError,
    DataSourceError,
    InvalidGeometryError,
    SchemaError,
    format_problems,
)


@dataclass
class Input:
    """A user's table as read: text cells, optional geometries, row labels."""

    frame: pd.DataFrame
    geometry: list[Any] | None
    labels: list[str]
    source: str
    #: Appended to messages about missing columns (e.g. which XLSX sheet was read).
    note: str = ""


def read_input(path: Any, sheet: str | int | None) -> Input:
    if isinstance(path, pd.DataFrame):
        return _from_frame(path)
    path = Path(path)
    source = path.name
    _check_regular_file(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, source)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, source, sheet)
    if suffix in (".xls", ".ods"):
        raise DataSourceError(
            f"cannot read {source}: save it as .xlsx or .csv (UTF-8 or Windows-1252)"
        )
    size = path.stat().st_size
    if size >= LARGE_FILE_BYTES:
        progress.note(f"lecture de {source} ({size / 1e6:.0f} Mo)…")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise _geometry_error(path, source) or DataSourceError(
            f"cannot read {source} as a geographic file: {exc}"
        ) from exc
    if size >= LARGE_FILE_BYTES:
        progress.note(f"{source} : {len(gdf):,} entités lues".replace(",", "\u202f"))
    if len(gdf) == 0:
        raise SchemaError(
            f"{source} holds no features (an empty FeatureCollection or layer): nothing to "
            "load; export the layer again with its features"
        )
    return _from_geoframe(gdf, source, lambda i: f"feature {i + 1}")


#: Files at least this large show progress and their row count (on a terminal).
LARGE_FILE_BYTES = 5 * 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _check_regular_file(path: Path) -> None:
    """Refuse a path that is missing, a folder or no regular file, each with its message."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        broken = " (a symbolic link to a missing file)" if path.is_symlink() else ""
        raise DataSourceError(f"file not found: {path}{broken}") from None
    except OSError as exc:
        raise DataSourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(mode):
        raise DataSourceError(f"{path} is a folder: give the path of a CSV, XLSX or GeoJSON file")
    for test, what in _KINDS:
        if test(mode):
            raise DataSourceError(
                f"{path} is {what}, not a file: it is not read (it could block or never "
                "end); save the table to a regular file and give that path"
            )


def _geometry_error(path: Path, source: str) -> InvalidGeometryError | None:
    """Return the error naming the features whose geometry GEOS refuses (unclosed rings...)."""
    import warnings

    import pyogrio.raw
    import shapely

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's "Non closed ring detected"
            meta, _, wkbs, fields = pyogrio.raw.read(path)[:4]
    except Exception:
        return None
    bad: list[str] = []
    for i, wkb in enumerate(wkbs):
        if wkb is None:
            continue
        try:
            shapely.from_wkb(wkb)
        except Exception as exc:
            reason = str(exc).split(": ", 1)[-1]
            if "closed linestring" in reason:
                reason = "a polygon ring is not closed (its last point must repeat the first)"
            ident = f" ({meta['fields'][0]} {fields[0][i]!r})" if len(fields) else ""
            bad.append(f"feature {i + 1}{ident}: {reason}")
    if not bad:
        return None
    return InvalidGeometryError(
        format_problems(
            f"{len(bad)} invalid geometr{'ies' if len(bad) > 1 else 'y'} in {source}", bad, limit=5
        )
        + "; repair them (QGIS: Vecteur > Outils de géométrie > Réparer les géométries, or "
        "close each ring) and export the file again",
        bad,
    )


def _empty_geometries_note(geoms: gpd.GeoSeries) -> str:
    """Say which features have an empty geometry, when no feature has a usable one."""
    empty = [i + 1 for i, g in enumerate(geoms.values) if g is not None and g.is_empty]
    if not empty:
        return ""
    shown = ", ".join(str(i) for i in empty[:5]) + (", ..." if len(empty) > 5 else "")
    return (
        f"; its geometries are empty (features {shown}: e.g. a Polygon with no coordinates), "
        "so they locate nothing: draw them again, or add a column that locates the rows"
    )


def _from_frame(frame: pd.DataFrame) -> Input:
    labels = [f"index {label}" for label in frame.index]
    if isinstance(frame, gpd.GeoDataFrame):
        return _from_geoframe(frame, "the GeoDataFrame", lambda i: labels[i])
    data = frame.reset_index(drop=True).copy()
    data.columns = [str(c) for c in data.columns]
    return _drop_empty(Input(data.astype(object), None, labels, "the DataFrame"))


def _from_geoframe(gdf: gpd.GeoDataFrame, source: str, label: Callable[[int], str]) -> Input:
    geoms = gdf.geometry
    has_geometry = bool((~(geoms.isna() | geoms.is_empty)).any())
    if has_geometry:
        geoms = checked_crs(geoms, source, label)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    values = None
    if has_geometry:
        values = [None if g is None or g.is_empty else g for g in geoms.values.to_numpy()]
    labels = [label(i) for i in range(len(frame))]
    note = "" if has_geometry else _empty_geometries_note(gdf.geometry)
    return _drop_empty(Input(frame.astype(object), values, labels, source, note))


#: No coordinate of any CRS used in France is this large (metres or degrees).
MAX_COORDINATE = 1e8


def _absurd_coordinates(
    geoms: gpd.GeoSeries, source: str, label: Callable[[int], str] | None
) -> CRSError | None:
    bounds = geoms.bounds.to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(bounds) & ~np.isnan(bounds) | (np.abs(bounds) > MAX_COORDINATE)
    rows = np.flatnonzero(bad.any(axis=1))
    if not len(rows):
        return None
    where = [label(int(i)) if label else f"geometry {int(i) + 1}" for i in rows[:5]]
    first = bounds[rows[0]]
    value = next(v for v in first if not math.isfinite(v) or abs(v) > MAX_COORDINATE)
    more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
    return CRSError(
        f"{source} has coordinates no map can place ({value:.3g} in {where[0]}): "
        f"{', '.join(where)}{more}; coordinates must be finite and within ±{MAX_COORDINATE:.0e} "
        "(degrees for EPSG:4326, metres for Lambert-93): fix or remove these geometries",
        [f"{w}: coordinates out of range" for w in where],
    )


def checked_crs(
    geoms: gpd.GeoSeries, source: str, label: Callable[[int], str] | None = None
) -> gpd.GeoSeries:
    absurd = _absurd_coordinates(geoms, source, label)
    if absurd is not None:
        raise absurd
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
                f"run from ({minx:.6g}, {miny:.6g}) to ({maxx:.6g}, {maxy:.6g}): they are "
                f"in a projected CRS such as Lambert-93 (EPSG:2154). Re-export the file in "
                f"EPSG:4326, or read it and call .set_crs(<its CRS>, allow_override=True)"
            )
        return geoms.to_crs(WGS84)
    return geoms.to_crs(WGS84)


def decode_text(raw: bytes, source: str = "the file") -> str:
    """Decode the bytes of a text table as French spreadsheets export them.

    A UTF-8 or UTF-16 byte order mark is honoured (and dropped); otherwise
    UTF-8; a file with no valid UTF-8 sequence beyond ASCII is Windows-1252
    (Latin-1 for its 5 undefined bytes). A file that is UTF-8 except for a
    few bytes is never reread as Windows-1252 (``Évreux`` would become
    ``Ã‰vreux``): it is refused, naming the line and byte of each bad byte.

    Raises
    ------
    SchemaError
        UTF-8 text with invalid bytes (line, byte position and value named).
    UnicodeDecodeError
        Only for a UTF-16 file (with its mark) whose bytes are not UTF-16.

    Examples
    --------
    >>> decode_text("Évreux".encode("utf-8")), decode_text("Évreux".encode("cp1252"))
    ('Évreux', 'Évreux')
    """
    if raw.startswith(codecs.BOM_UTF8):
        body = raw[len(codecs.BOM_UTF8) :]
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            _refuse_mixed_utf8(body, source, len(codecs.BOM_UTF8))
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mixed = raw.decode("utf-8", errors="surrogateescape")
    if any(ch > "\x7f" and not "\udc80" <= ch <= "\udcff" for ch in mixed):
        _refuse_mixed_utf8(raw, source, 0)
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _refuse_mixed_utf8(raw: bytes, source: str, offset: int) -> None:
    """Raise the error of a UTF-8 text holding invalid bytes (lines and bytes named)."""
    bad: list[str] = []
    count, start = 0, 0
    while True:
        try:
            raw[start:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            position = start + exc.start
            count += 1
            if len(bad) < 5:
                line = raw.count(b"\n", 0, position) + 1
                bad.append(
                    f"line {line}, byte {position + offset} ({raw[position : position + 1]!r})"
                )
            start = position + max(exc.end - exc.start, 1)
    more = f" (and {count - 5} more)" if count > 5 else ""
    raise SchemaError(
        f"{source} is UTF-8 text except for {count} invalid byte{'s' if count > 1 else ''}: "
        f"{'; '.join(bad)}{more}. It was not reread as Windows-1252, which would garble "
        "every accented letter; fix these characters (a copy-paste from another file?) "
        "and save the file again as CSV UTF-8",
        [f"{where}: invalid UTF-8" for where in bad],
    )


#: Start of files that are not text tables, and what they are.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", None),  # BMP only with its header size check below
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) or Office file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"SQLite format 3\x00", "an SQLite database (a GeoPackage? give it the .gpkg suffix)"),
)
_SAMPLE = 4096


def _what_binary(raw: bytes) -> str | None:
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            if what is None:
                if raw[:2] == b"BM" and len(raw) > 14 and raw[6:10] == b"\x00\x00\x00\x00":
                    return "a BMP image"
                continue
            return what
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "a WebP image"
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    even, odd = sample[0::2], sample[1::2]
    if len(sample) < 4:
        return None
    nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / max(len(odd), 1)
    if nul_odd > 0.3 and nul_even < 0.05:
        return "UTF-16 LE"
    if nul_even > 0.3 and nul_odd < 0.05:
        return "UTF-16 BE"
    return None


def check_text_bytes(raw: bytes, source: str) -> None:
    """Refuse bytes that are no text table, each case with its own message.

    Raises
    ------
    SchemaError
        An image, PDF, archive or workbook renamed ``.csv``; UTF-16 text
        without its byte order mark; NUL bytes (naming the line); other
        binary content.
    """
    if raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    what = _what_binary(raw)
    if what is not None:
        advice = (
            "; an XLSX workbook is a ZIP archive: give it its .xlsx suffix"
            if what == "a ZIP archive"
            else ""
        )
        raise SchemaError(
            f"{source} is {what}, not a CSV table (its first bytes are {raw[:8]!r}): give "
            f"the path of the table itself, saved as CSV (UTF-8) or XLSX{advice}"
        )
    sample = raw[:_SAMPLE]
    encoding = _utf16_without_bom(sample)
    if encoding is not None:
        raise SchemaError(
            f"{source} looks like {encoding} text without a byte order mark (every other "
            "byte is NUL): save it again as CSV UTF-8 (Excel: 'CSV UTF-8 (délimité par des "
            "virgules)'), or with its byte order mark"
        )
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if sample and controls / len(sample) > 0.1:
        raise SchemaError(
            f"{source} is binary data, not a CSV table ({controls} control bytes in its first "
            f"{len(sample)}): give the path of a CSV (UTF-8 or Windows-1252), XLSX or GeoJSON"
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        count = raw.count(b"\x00")
        raise SchemaError(
            f"{source} line {line} holds a NUL byte (\\x00, {count} in the file): text "
            "tables never do; the file is damaged or not text. Remove the NUL bytes or export "
            "the table again",
            [f"line {line}: NUL byte"],
        )


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
    check_text_bytes(raw, source)
    try:
        return decode_text(raw, source)
    except UnicodeDecodeError as exc:
        raise SchemaError(
            f"cannot decode {source}: {exc.reason} at byte {exc.start}; save it as UTF-8 "
            "(or Windows-1252) text"
        ) from exc


#: Longest cell read from a CSV (the csv module's default limit is 131,072 characters).
FIELD_SIZE_LIMIT = 2**31 - 1


def _unclosed_quote(text: str, delimiter: str) -> bool:
    """Whether ``text`` ends inside a quoted cell (read as the csv module does)."""
    quoted, at_start, i, n = False, True, 0, len(text)
    while i < n:
        ch = text[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    quoted, at_start = False, False
        elif ch == '"' and at_start:
            quoted = True
        else:
            at_start = ch in (delimiter, "\n", "\r")
        i += 1
    return quoted


def _read_csv(path: Path, source: str) -> Input:
    text = read_text(path, source)
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    # The limit is process-wide: raised for this read only.
    previous = csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))
    large = len(text) >= LARGE_FILE_BYTES
    bar = progress.bar(text.count("\n") + 1 if large else None, f"lecture de {source}", "ligne")
    try:
        with bar:
            for number, cells in enumerate(reader, start=1):
                records.append((number, cells))
                if large and not number % 10_000:
                    bar.update(10_000)
    except csv.Error as exc:
        row = len(records) + 1
        raise SchemaError(
            f"{source} row {row} cannot be read as CSV: {exc}", [f"row {row}: {exc}"]
        ) from exc
    finally:
        csv.field_size_limit(previous)
    if large:
        progress.note(f"{source} : {len(records):,} lignes lues".replace(",", "\u202f"))
    if records and any("\n" in c or "\r" in c for c in records[-1][1]):
        if _unclosed_quote(text, delimiter):
            row = records[-1][0]
            lines = records[-1][1][-1].count("\n")
            raise SchemaError(
                f'{source} row {row}: a quote (") opened in this row is never closed, so the '
                f"rest of the file ({lines} more lines) would read as one cell; close the "
                "quote or remove it",
                [f"row {row}: unclosed quote"],
            )
    return _from_records(records, source)


def check_xlsx_size(path: Path, source: str) -> None:
    """Refuse a workbook whose parts inflate beyond the limits of :mod:`geo.settings`.

    Only the ZIP directory is read: nothing is inflated. Python's ZIP reader
    never inflates a part beyond the size the directory declares, so the
    check bounds what openpyxl can read.

    Raises
    ------
    DataSourceError
        Not a ZIP archive, or parts larger than ``geo.settings.xlsx_max_bytes``
        in total, or a part larger than 1 MiB compressed more than
        ``geo.settings.xlsx_max_ratio`` times.
    """
    try:
        with zipfile.ZipFile(path) as book:
            parts = book.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataSourceError(
            f"cannot read {source} as an XLSX workbook (not a ZIP archive: {exc}); save it "
            "again from Excel or LibreOffice as .xlsx, or as CSV"
        ) from exc
    total = sum(p.file_size for p in parts)
    limit = int(settings.xlsx_max_bytes)
    if total > limit:
        raise DataSourceError(
            f"{source} refused: its parts inflate to {total / 2**20:,.0f} MiB, above "
            f"geo.settings.xlsx_max_bytes = {limit / 2**20:,.0f} MiB (reading costs about "
            "250 bytes of memory per cell). If the file is right, raise that limit "
            "(geo.settings.xlsx_max_bytes = ...) or save the sheet as CSV"
        )
    ratio_limit = float(settings.xlsx_max_ratio)
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > 2**20 and ratio > ratio_limit:
            raise DataSourceError(
                f"{source} refused: its part {part.filename} inflates {ratio:,.0f} times "
                f"({part.compress_size / 2**20:,.1f} MiB to {part.file_size / 2**20:,.0f} MiB), "
                f"above geo.settings.xlsx_max_ratio = {ratio_limit:g}: a compressed bomb, or "
                "millions of identical cells. If you trust the file, raise that limit or "
                "save the sheet again as CSV"
            )


def _read_xlsx(path: Path, source: str, sheet: str | int | None) -> Input:
    import openpyxl

    check_xlsx_size(path, source)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise DataSourceError(f"cannot read {source} as an XLSX workbook: {exc}") from exc
    names = list(book.sheetnames)
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
            f"sheet {sheet!r} not found in {source}; its sheets are {names}: pass "
            "sheet=<name> or sheet=<0-based position>"
        ) from exc
    try:
        rows = [
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)
        ]
        _check_formulas(path, source, ws.title, rows)
    finally:
        book.close()
    others = [n for n in names if n != ws.title]
    note = ""
    if sheet is None and others:
        note = (
            f"; this is the first sheet, {ws.title!r}: if the table is on another sheet "
            f"({', '.join(repr(n) for n in others)}), pass sheet={others[0]!r}"
        )
        if not any(any(cells) for _, cells in rows):
            raise SchemaError(f"{source}: the first sheet, {ws.title!r}, is empty{note}")
    data = _from_records(rows, source, note, spreadsheet=True)
    data.note = note
    return data


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula element (streamed, bounded)."""
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with book.open(name) as part:
                tail = b""
                while block := part.read(1 << 20):
                    window = tail + block
                    if any(tag in window for tag in (b"<f>", b"<f ", b":f>", b":f ")):
                        return True
                    tail = block[-3:]
    return False


def _check_formulas(
    path: Path, source: str, title: str, rows: list[tuple[int, list[str]]]
) -> None:
    """Refuse formula cells whose result was never stored (they would read as empty).

    A workbook written by a program (not saved by Excel or LibreOffice) holds
    formulas without their values: ``data_only`` reads them as empty cells.
    """
    import openpyxl
    from openpyxl.utils import get_column_letter

    empty = {(n, i) for n, cells in rows for i, cell in enumerate(cells) if not cell}
    if not empty or not _has_formulas(path):
        return
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    found: list[str] = []
    try:
        values = book[title].iter_rows(min_row=1, values_only=True)
        for number, cells in enumerate(values, start=1):
            for i, value in enumerate(cells):
                if (number, i) in empty and isinstance(value, str) and value.startswith("="):
                    found.append(f"{get_column_letter(i + 1)}{number} ({value[:60]})")
    finally:
        book.close()
    if found:
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        raise SchemaError(
            f"{source}: {len(found)} formula cell{'s' if len(found) > 1 else ''} without a "
            f"stored result, which would read as empty: {', '.join(found[:5])}{more}. The "
            "file was written by a program that does not compute formulas: open it in Excel "
            "or LibreOffice and save it (the results are then stored), or replace the "
            "formulas by their values",
            [f"cell {cell}: formula without a stored result" for cell in found],
        )


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


def _group_heading(
    filled: list[tuple[int, list[str]]], header: list[str], source: str
) -> SchemaError | None:
    """Return the error of a row of (merged) group headings above the column names."""
    if len(filled) < 2 or all(header):
        return None
    number, cells = filled[1]
    width = len(cells)
    while width and not cells[width - 1]:
        width -= 1
    names = cells[:width]
    if not all(names) or width <= sum(1 for h in header if h):
        return None
    groups = ", ".join(repr(h) for h in header if h)
    return SchemaError(
        f"{source} row {filled[0][0]} looks like a row of group headings ({groups}, over "
        f"merged cells) above the column names of row {number} "
        f"({', '.join(repr(c) for c in names[:6])}{', ...' if width > 6 else ''}): delete "
        f"row {filled[0][0]} (or unmerge its cells and move it away) so that the first row "
        "holds the column names",
        [f"row {filled[0][0]}: group headings above the column names"],
    )


def _from_records(
    records: list[tuple[int, list[str]]], source: str, note: str = "", *, spreadsheet: bool = False
) -> Input:
    records = [(n, [c.strip() for c in cells]) for n, cells in records]
    filled = [(n, cells) for n, cells in records if any(cells)]
    if not filled:
        raise SchemaError(f"{source} is empty: no header row found")
    if len(filled) == 1:
        shown = ", ".join(repr(c) for c in filled[0][1] if c)
        raise SchemaError(
            f"{source} has a header row ({shown}) but no data rows: add one row per entry "
            f"below it{note}"
        )
    _, header = filled[0]
    while header and not header[-1]:
        header = header[:-1]
    heading = _group_heading(filled, header, source)
    if heading is not None:
        raise heading
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
            used = max(i for i, c in enumerate(cells) if c) + 1
            problems.append(
                f"row {number} has values in {used} columns but the header names only "
                f"{len(header)}: give those columns a name in the header row"
                if spreadsheet
                else f"row {number} has {len(cells)} cells but the header only {len(header)}"
                " (a separator inside a value? quote it)"
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
        data.note,
    )
