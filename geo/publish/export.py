"""Write synergy tables to files: CSV, Excel, GeoJSON link lines, Parquet.

The format follows the file extension. Every file is written to a temporary
name and renamed once complete (:func:`geo._core.files.atomic_path`), so a failed
write never leaves half a file nor touches an existing one. This module does
no analysis: the GeoJSON lines come from :func:`geo.analysis.links.link_lines`.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._core.files import atomic_path
from geo.errors import SchemaError
from geo.publish.spreadsheet import write_spreadsheet

__all__ = ["FORMATS", "TABLE_FORMATS", "plain_table", "write_synergies", "write_table"]

#: Supported extensions and what they hold.
FORMATS = {
    ".csv": "UTF-8 text (no BOM), comma-separated, header row; no cell starts a formula",
    ".xlsx": "Excel workbook, one sheet named 'synergies'; text cells written as strings",
    ".geojson": (
        "one LineString per pair, PTCE seat -> nearest point of the territory, EPSG:4326, "
        "coordinates rounded to 1e-6 degree (about 0.1 m)"
    ),
    ".parquet": "Apache Parquet (plain table, no geometry)",
}

#: Extensions :func:`write_table` writes (any result table without geometry).
TABLE_FORMATS = {ext: FORMATS[ext] for ext in (".csv", ".xlsx")}


def write_synergies(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    territories: gpd.GeoDataFrame | None = None,
    ptce: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write a synergy table in the format named by the file extension.

    Parameters
    ----------
    table
        A table from :func:`geo.synergies` (or :func:`geo.nearest_ptce`). A
        GeoDataFrame's geometry (the link lines) goes to ``.geojson`` only:
        the other formats hold the plain table.
    path
        Target file: ``.csv`` (UTF-8 without BOM, comma-separated),
        ``.xlsx`` (sheet ``synergies``), ``.geojson`` (link lines) or
        ``.parquet``. Its directory is created when missing.
    territories, ptce
        The inputs of the table; required for ``.geojson`` when ``table``
        has no geometry (``geometry=False``): its lines then join each PTCE
        seat to the nearest point of its territory (a zero-length line when
        the seat is inside; no geometry when either is missing).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    SchemaError
        Unknown extension, missing inputs for GeoJSON, or ids of ``table``
        missing from the inputs.

    Examples
    --------
    >>> import tempfile
    >>> import geo
    >>> territories, ptce = geo.load_territories(), geo.load_ptce()
    >>> table = geo.synergies(territories, ptce, radius_km=20)
    >>> folder = tempfile.mkdtemp()
    >>> write_synergies(table, f"{folder}/synergies.xlsx").name
    'synergies.xlsx'
    >>> write_synergies(table, f"{folder}/liens.geojson").name
    'liens.geojson'
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise SchemaError(
            f"cannot write {path.name!r}: unknown extension {ext or '(none)'!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    if ext == ".geojson":
        lines = _link_lines(table, territories, ptce)  # validates before any file is opened
        # Round to 1e-6 degree (about 0.1 m); set_precision would drop the
        # zero-length lines of seats inside their territory.
        lines = lines.transform(lambda xy: np.round(xy, 6))
        payload = gpd.GeoDataFrame(plain_table(table), geometry=lines, crs=lines.crs).to_json(
            na="null", drop_id=True, ensure_ascii=False
        )
    table = plain_table(table)
    if ext in (".csv", ".xlsx"):
        return write_spreadsheet(table, path, sheet_name="synergies")
    with atomic_path(path) as tmp:
        if ext == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            tmp.write_text(payload, encoding="utf-8")
    return path


def _link_lines(
    table: pd.DataFrame, territories: gpd.GeoDataFrame | None, ptce: gpd.GeoDataFrame | None
) -> gpd.GeoSeries:
    """Return the table's own link lines (in EPSG:4326), or lines drawn from its inputs."""
    if isinstance(table, gpd.GeoDataFrame) and table.active_geometry_name in table.columns:
        return table.geometry.to_crs("EPSG:4326")
    if territories is None or ptce is None:
        raise SchemaError(
            "writing GeoJSON link lines needs a table with its geometry "
            "(geo.synergies(..., geometry=True)) or the inputs of the table: "
            "write_synergies(table, path, territories=..., ptce=...)"
        )
    from geo.analysis.links import link_lines

    return link_lines(table, territories, ptce)


def geometry_columns(table: pd.DataFrame) -> list[str]:
    """Return the columns of ``table`` that hold geometries, active or not.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> frame = gpd.GeoDataFrame({"id": [1], "a": [shapely.Point(0, 0)]}, geometry="a")
    >>> geometry_columns(frame.assign(b=frame.geometry))
    ['a', 'b']
    """
    return [c for c in table.columns if isinstance(table[c].dtype, gpd.array.GeometryDtype)]


def plain_table(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` without its geometry columns (a DataFrame as it is).

    Spreadsheets and Parquet hold the plain table; geometries go to GIS files
    (:func:`geo.write_gis`), never as long WKT text in cells. A merge of a
    result onto the loaders' table has two geometry columns: both go.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> frame = gpd.GeoDataFrame({"id": [1], "a": [shapely.Point(0, 0)]}, geometry="a")
    >>> plain_table(frame.assign(b=frame.geometry)).columns.tolist()
    ['id']
    """
    drop = geometry_columns(table)
    if drop or isinstance(table, gpd.GeoDataFrame):
        return pd.DataFrame(table.drop(columns=drop))
    return table


def write_table(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    sheet_name: str = "table",
    dialect: str = "standard",
) -> Path:
    """Write a result table (e.g. :func:`geo.opportunities`) as CSV or Excel, atomically.

    Cells are written by :func:`geo.publish.spreadsheet.write_spreadsheet`:
    no text is ever a formula, numbers stay numbers.

    Parameters
    ----------
    table
        Any result table; a GeoDataFrame is written without its geometry
        (write it with :func:`geo.write_gis` for a GIS file).
    path
        Target file: ``.csv`` (UTF-8 without BOM, comma-separated) or ``.xlsx``.
        Its directory is created when missing.
    sheet_name
        Name of the Excel sheet.
    dialect
        CSV dialect: ``"standard"`` (``,``, decimal point, UTF-8) or ``"fr"``
        (``;``, decimal comma, UTF-8 with BOM).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    SchemaError
        Unknown extension.
    ArgumentError
        Unknown ``dialect``.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in TABLE_FORMATS:
        raise SchemaError(
            f"cannot write {path.name!r}: unknown extension {ext or '(none)'!r}; "
            f"use one of {', '.join(TABLE_FORMATS)}"
        )
    return write_spreadsheet(plain_table(table), path, sheet_name=sheet_name, dialect=dialect)
