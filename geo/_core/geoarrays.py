"""Geometry arrays for measuring: presence, WGS84 checks, metric copies (private).

Object arrays of shapely geometries (``None`` for missing ones) are what the
analysis and :func:`geo.reference.nearest.nearest_commune` measure with: this
module checks that a table's coordinates really are longitude/latitude and
projects arrays into a zone's legal metric CRS (:data:`geo.crs.ZONES`) the way
:func:`geo.crs.to_metric` does, without building a GeoSeries per call. No I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.crs import WGS84, ZONES, to_metric
from geo.errors import CRSError

__all__ = [
    "WGS84_CRS",
    "has_geometry",
    "metric",
    "metric_crs",
    "metric_xy",
    "wgs84_geometry",
    "with_geometry",
]

WGS84_CRS = CRS.from_user_input(WGS84)


def has_geometry(geoms: np.ndarray) -> np.ndarray:
    """Boolean mask of the entries of an object array that hold a geometry."""
    return ~shapely.is_missing(np.asarray(geoms, dtype=object))


def wgs84_geometry(frame: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> np.ndarray:
    """Geometries in WGS84 as an object array, ``None`` for missing or empty ones."""
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if series.crs is None:
        raise CRSError(f"{name} has no CRS: declare it with .set_crs('EPSG:4326')")
    if series.crs == WGS84_CRS:
        values = series.values.to_numpy().copy()  # to_crs would transform to the same
    else:
        values = series.to_crs(WGS84).values.to_numpy().copy()
    values[shapely.is_missing(values) | shapely.is_empty(values)] = None
    present = values[has_geometry(values)]
    if len(present):
        minx, miny, maxx, maxy = shapely.total_bounds(present)
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise CRSError(
                f"{name} coordinates reach ({minx:.0f}, {miny:.0f})-({maxx:.0f}, {maxy:.0f}), "
                f"impossible in longitude/latitude: the declared CRS ({series.crs}) is wrong; "
                "use .set_crs(<the real CRS>, allow_override=True), e.g. 'EPSG:2154'"
            )
    return values


@functools.lru_cache(maxsize=16)
def _to_metric_transformer(zone: str) -> Transformer:
    """Return the WGS84 -> metric transformer of ``zone`` (as :func:`geo.crs.to_metric`)."""
    return Transformer.from_crs(WGS84_CRS, CRS.from_epsg(ZONES[zone].epsg), always_xy=True)


def metric(geoms: np.ndarray, zone: str) -> np.ndarray:
    """Return WGS84 geometries (``None`` allowed) in the metric CRS of ``zone``.

    The coordinates :func:`geo.crs.to_metric` gives (the same transformation,
    point by point), without building a GeoSeries and a transformer per call.
    """
    out = np.full(len(geoms), None, dtype=object)
    present = has_geometry(geoms)
    if present.any():
        transformer = _to_metric_transformer(zone)

        def project(coords: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        values = geoms[present]
        has_z = shapely.has_z(values)
        if (shapely.get_type_id(values) == 0).all() and not has_z.any():
            # points (PTCE seats, large tables of territory points): new points from
            # the projected coordinates, twice as fast as rewriting each geometry
            xy = shapely.get_coordinates(values)
            x, y = transformer.transform(xy[:, 0], xy[:, 1])
            out[present] = shapely.points(x, y)
        elif has_z.any():  # rare: let geopandas carry the third coordinate
            series = gpd.GeoSeries(values, crs=WGS84)
            out[present] = to_metric(series, zone).values.to_numpy()
        else:
            out[present] = shapely.transform(values, project)
    return out


def metric_crs(zones: np.ndarray | pd.Series | Sequence[object]) -> dict[str, str]:
    """Return the legal metric CRS of each zone named in ``zones``: ``{"metropole": "EPSG:2154"}``.

    Missing and unknown values are passed over; zones come in the order of
    :data:`geo.crs.ZONES`.
    """
    named = set(pd.Series(np.asarray(zones, dtype=object)).dropna().unique())
    return {name: f"EPSG:{zone.epsg}" for name, zone in ZONES.items() if name in named}


def with_geometry(table: pd.DataFrame, column: str, geoms: np.ndarray) -> gpd.GeoDataFrame:
    """Return ``table`` with ``geoms`` (WGS84, ``None`` allowed) as its active geometry ``column``.

    ``table`` is taken as it is (no copy: pass a new table) and its ``attrs`` are kept.
    """
    attrs = dict(table.attrs)
    table[column] = gpd.array.from_shapely(np.asarray(geoms, dtype=object), crs=WGS84)
    out = gpd.GeoDataFrame(table, geometry=column, crs=WGS84)
    out.attrs = attrs
    return out


def metric_xy(points: np.ndarray, zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in the metric CRS of ``zone`` of WGS84 points (NaN where missing).

    The coordinates :func:`metric` gives the same points, without building
    the projected points: for measures that need only coordinates.
    """
    x = np.full(len(points), np.nan)
    y = np.full(len(points), np.nan)
    present = has_geometry(points)
    if present.any():
        xy = shapely.get_coordinates(points[present])
        x[present], y[present] = _to_metric_transformer(zone).transform(xy[:, 0], xy[:, 1])
    return x, y
