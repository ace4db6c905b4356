"""Write tables for GIS software: GeoPackage (several layers) and GeoJSON.

One job: put result tables and the shipped layers into files QGIS, ArcGIS
or GDAL open as they are. GeoPackage holds any number of layers, with or
without geometry, in their CRS (EPSG:4326 here); GeoJSON holds one layer in
EPSG:4326 (RFC 7946). Shapefile is refused with the reason (field names cut
to 10 characters, text to 254 bytes, one geometry type per file, no layer
without geometry). Internal fields (not public in :data:`geo.schema.FIELDS`:
``notes``, ``confiance``, ``alias``) are left out unless ``internal=True``.
Lists and other non-scalar cells become ``"; "``-joined text. Files are
written under a temporary name and renamed once complete. Nothing here
computes or reads data files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._core.files import atomic_path
from geo.crs import WGS84
from geo.errors import ArgumentError, CRSError, SchemaError
from geo.publish.export import geometry_columns
from geo.schema import field_names

__all__ = ["GIS_FORMATS", "REFUSED_FORMATS", "public_columns", "write_gis"]

#: Extensions :func:`write_gis` writes, and what they hold.
GIS_FORMATS = {
    ".gpkg": "GeoPackage: every table as a layer (with or without geometry), EPSG:4326",
    ".geojson": "GeoJSON (RFC 7946): one layer, EPSG:4326, coordinates to 1e-6 degree",
}

#: Extensions :func:`write_gis` refuses, and why.
REFUSED_FORMATS = {
    ".shp": (
        "Shapefile cuts field names to 10 characters (territory_statut -> territory_), text "
        "to 254 bytes and holds one geometry type and no table without geometry: write a "
        "GeoPackage (.gpkg) instead, which QGIS, ArcGIS and GDAL open directly"
    ),
    ".zip": "a zipped Shapefile has the limits of Shapefile: write a GeoPackage (.gpkg)",
}

#: Internal fields of either table (notes, confiance, alias): :func:`geo.schema.field_names`.
INTERNAL_FIELDS = frozenset(
    field_names("territories", public=False) + field_names("ptce", public=False)
)

_LAYER_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def public_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` without its internal fields (``notes``, ``confiance``, ``alias``).

    Parameters
    ----------
    frame
        Any table.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        The same rows, the internal columns dropped; ``frame`` is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> list(public_columns(pd.DataFrame({"id": [1], "notes": ["x"]})).columns)
    ['id']
    """
    internal = [c for c in frame.columns if c in INTERNAL_FIELDS]
    return frame.drop(columns=internal) if internal else frame


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset | np.ndarray | dict):
        items = value.values() if isinstance(value, dict) else value
        return "; ".join(str(v) for v in items)
    return value


def _prepared(frame: pd.DataFrame, name: str, internal: bool) -> pd.DataFrame:
    """Return a copy ready for GDAL: EPSG:4326, public fields, scalar cells, text names."""
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(f"layer {name!r}: expected a table, got {type(frame).__name__}")
    out = frame if internal else public_columns(frame)
    shapes = geometry_columns(out)
    active = out.active_geometry_name if isinstance(out, gpd.GeoDataFrame) else None
    if len(shapes) > 1 or (shapes and active not in out.columns):
        raise SchemaError(
            f"layer {name!r} has the geometry columns {shapes} and "
            f"{'the active one is ' + repr(active) if active in out.columns else 'none active'}:"
            " a GIS layer holds one geometry; drop the others, e.g."
            " table.drop(columns=[...]), or write each as a layer of its own"
            " (table.set_geometry(column)[[..., column]])"
        )
    if shapes:
        if out.crs is None:
            raise CRSError(
                f"layer {name!r} has no CRS: declare it with .set_crs('EPSG:4326') first"
            )
        out = out.to_crs(WGS84)
    else:
        out = pd.DataFrame(out)
    out = out.copy()
    out.columns = [str(c) for c in out.columns]
    geometry = out.active_geometry_name if isinstance(out, gpd.GeoDataFrame) else None
    for column in out.columns:
        if column != geometry and out[column].dtype == object:
            out[column] = out[column].map(_cell)
    return out.reset_index(drop=True)


def _check_layers(layers: Mapping[str, pd.DataFrame]) -> None:
    bad = [n for n in layers if not n or set(n) - _LAYER_CHARS]
    if bad:
        raise ArgumentError(
            f"layer names {bad!r}: use lower-case letters, digits and '_' (e.g. 'territoires')"
        )


def write_gis(
    layers: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    internal: bool = False,
) -> Path:
    """Write one table or several named tables as a GeoPackage or GeoJSON file.

    Parameters
    ----------
    layers
        A table (GeoDataFrame, or DataFrame for a layer without geometry) or
        a mapping ``{layer name: table}`` (several layers: GeoPackage only).
    path
        Target ``.gpkg`` or ``.geojson`` file; its directory is created when
        missing. An existing file is replaced as a whole.
    layer
        Layer name of a single table (default: the file's stem in lower case).
    internal
        Keep the internal fields (``notes``, ``confiance``, ``alias``); by
        default only public fields are written.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ArgumentError
        Shapefile or another extension (with the reason and what to use),
        several layers in GeoJSON, a bad layer name.
    CRSError
        A GeoDataFrame without a CRS.

    Examples
    --------
    >>> import tempfile
    >>> import geo, pyogrio
    >>> path = write_gis(
    ...     {"territoires": geo.load_territories(), "ptce": geo.load_ptce()},
    ...     Path(tempfile.mkdtemp()) / "tzptce.gpkg",
    ... )
    >>> [name for name, _ in pyogrio.list_layers(path)]
    ['territoires', 'ptce']
    """
    import pyogrio

    path = Path(path)
    ext = path.suffix.lower()
    if ext in REFUSED_FORMATS:
        raise ArgumentError(f"cannot write {path.name!r}: {REFUSED_FORMATS[ext]}")
    if ext not in GIS_FORMATS:
        raise ArgumentError(
            f"cannot write {path.name!r}: unknown GIS extension {ext or '(none)'!r}; use one "
            f"of {', '.join(GIS_FORMATS)} (or geo.write_table for .csv/.xlsx)"
        )
    if isinstance(layers, pd.DataFrame):
        layers = {layer or path.stem.lower().replace("-", "_"): layers}
    if not layers:
        raise ArgumentError("nothing to write: no layer given")
    _check_layers(layers)
    if ext == ".geojson" and len(layers) > 1:
        raise ArgumentError(
            f"GeoJSON holds one layer, got {len(layers)} ({', '.join(layers)}): write a "
            ".gpkg, or one .geojson per layer"
        )
    prepared = {name: _prepared(frame, name, internal) for name, frame in layers.items()}
    with atomic_path(path, suffix=ext) as tmp:
        for name, frame in prepared.items():
            if ext == ".gpkg":
                # GeoPackage 1.2: read without warnings by the GDAL of older QGIS and Debian
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    append=False,
                    dataset_options={"VERSION": "1.2"},
                )
            else:
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GeoJSON",
                    layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": 6},
                )
    return path
