"""Read the tables shipped with the project (``territories.geojson``, ``ptce.geojson``).

They are built and checked by :mod:`geo.shipped.build`, so they are read as
they are, without resolving their communes again: only their columns and
types are brought to the schema (:func:`geo.schema.table_columns`).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo._core.datadir import data_dir
from geo._core.tables import checked_crs
from geo.errors import DataSourceError, SchemaError
from geo.schema import Table, field_names, table_columns

__all__ = ["load_shipped"]

#: The file of each shipped table, in :func:`geo._core.datadir.data_dir`.
_SHIPPED: dict[Table, str] = {"territories": "territories.geojson", "ptce": "ptce.geojson"}


def load_shipped(kind: Table) -> gpd.GeoDataFrame:
    """Return the shipped table ``kind`` with the schema's columns first, index 0..n-1.

    Raises
    ------
    DataSourceError
        The table is missing or cannot be read.
    SchemaError
        It repeats ids (rebuild it).
    """
    path = data_dir() / _SHIPPED[kind]
    if not path.is_file():
        raise DataSourceError(
            f"the shipped table {path} is missing: this installation has no "
            f"{_SHIPPED[kind]} (it lives in data/ of the source checkout); pass "
            f"path=... to load your own file"
        )
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise DataSourceError(f"cannot read the shipped table {path}: {exc}") from exc
    gdf = gdf.set_geometry(checked_crs(gdf.geometry, path.name))
    columns = table_columns(kind)
    numbers = field_names(kind, type="int")
    for column in columns:
        if column not in gdf.columns:
            gdf[column] = None
    text = [c for c in columns if c not in (*numbers, "geometry")]
    for column in text:
        gdf[column] = gdf[column].astype(object).where(gdf[column].notna(), None)
    gdf["id"] = gdf["id"].astype(str).astype(object)
    for column in numbers:
        gdf[column] = pd.to_numeric(gdf[column], errors="coerce").astype("Int64")
    duplicated = sorted(set(gdf.loc[gdf["id"].duplicated(), "id"]))
    if duplicated:
        raise SchemaError(f"the shipped table {path} repeats ids {duplicated}: rebuild it")
    extra = [c for c in gdf.columns if c not in columns]
    return gdf[[*columns, *extra]].reset_index(drop=True)
