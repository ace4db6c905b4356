"""Département outlines for maps: dissolved from the communes, simplified, cached.

:func:`departement_outlines` gives the polygons of the départements at a
tolerance (the national set is kept in memory and in the user cache as a checked
Parquet file, by COG vintage and tolerance); :func:`simplify_polygons` simplifies
polygons so that shared borders stay shared. This module draws nothing and reads
no network; :func:`geo.reference.cog.clear` drops its memory.
"""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo import settings
from geo._core.files import CacheSchema, read_checked_parquet, write_checked_parquet
from geo.crs import WGS84
from geo.errors import CRSError
from geo.reference.cog import EMBEDDED_VINTAGE
from geo.reference.cog import register as register_cache

__all__ = ["clear", "departement_outlines", "is_present", "simplify_polygons"]

#: Dissolved département polygons by vintage, and their simplified outlines by
#: (vintage, tolerance); both hold only the default communes' results.
_DISSOLVED_MEMORY: dict[str, gpd.GeoDataFrame] = {}
_OUTLINES_MEMORY: dict[tuple[str, float], gpd.GeoDataFrame] = {}
register_cache(_DISSOLVED_MEMORY.clear)
register_cache(_OUTLINES_MEMORY.clear)


def clear() -> None:
    """Forget the dissolved départements and outlines held in memory (not the cache files)."""
    _DISSOLVED_MEMORY.clear()
    _OUTLINES_MEMORY.clear()


def is_present(geoms: np.ndarray) -> np.ndarray:
    """Mask of the geometries that are present and not empty."""
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _round_geometry(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, 5))


def simplify_polygons(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify polygons; shared edges stay shared when they form a valid coverage."""
    if len(geoms) == 0 or tolerance <= 0:
        return _round_geometry(geoms)
    present = is_present(geoms)
    out = geoms.copy()
    subset = geoms[present]
    try:
        coverage_ok = bool(shapely.coverage_is_valid(subset))
    except shapely.errors.GEOSException:
        coverage_ok = False
    if coverage_ok:
        simplified = shapely.coverage_simplify(subset, tolerance)
    else:
        simplified = shapely.simplify(subset, tolerance, preserve_topology=True)
    simplified = shapely.make_valid(_round_geometry(simplified))
    # rounding can leave slivers as GeometryCollections: keep the polygonal part
    polygonal = shapely.get_type_id(simplified) == 7
    if polygonal.any():
        simplified[polygonal] = [
            shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type.endswith("Polygon")])
            for g in simplified[polygonal]
        ]
    out[present] = simplified
    return out


def departement_outlines(
    *, tolerance: float, communes: gpd.GeoDataFrame | None = None, box: Any = None
) -> gpd.GeoDataFrame:
    """Return the département polygons (the maps' land basemap), simplified, in EPSG:4326.

    Parameters
    ----------
    tolerance
        Simplification tolerance in degrees (topology kept between départements).
    communes
        Commune boundaries to dissolve; the cached embedded ones when ``None``.
    box
        A shapely polygon: only the départements meeting it (not cached).

    Returns
    -------
    geopandas.GeoDataFrame
        ``departement`` (code) and ``geometry``; nationally cached per tolerance.
    """
    key = (settings.vintage, tolerance)
    shared = communes is None and box is None
    if shared and key in _OUTLINES_MEMORY:
        return _OUTLINES_MEMORY[key]
    path = (
        settings.default_cache_dir() / f"departements-cog{EMBEDDED_VINTAGE}-{tolerance:g}.parquet"
    )
    if shared:  # the national outlines: a small file, read instead of simplified again
        cached = read_checked_parquet(path)
        if cached is not None:
            _OUTLINES_MEMORY[key] = cached
            return cached
    table = _departements_dissolved(communes)
    if box is not None:
        table = table[table.intersects(box)]
    min_area = 20 * tolerance**2
    cleaned = np.array([_drop_specks(g, min_area) for g in table.geometry.values], dtype=object)
    simplified = simplify_polygons(cleaned, tolerance)
    out = gpd.GeoDataFrame(
        {"departement": table["departement"].to_numpy()}, geometry=list(simplified), crs=WGS84
    )
    if shared:
        _OUTLINES_MEMORY[key] = out
        write_checked_parquet(out, path)
    return out


def _departements_dissolved(communes: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Département polygons dissolved from communes (cached when loaded here)."""
    if communes is not None:
        return _dissolve_departements(communes)
    cached = _DISSOLVED_MEMORY.get(settings.vintage)
    if cached is not None:
        return cached
    path = settings.default_cache_dir() / f"departements-cog{EMBEDDED_VINTAGE}.parquet"
    table = read_checked_parquet(path, schema=CacheSchema.text(["departement", "geometry"]))
    if table is None:
        from geo.reference.communes import MissingGeometryWarning, load_communes

        with warnings.catch_warnings():
            # 4 communes without a boundary in the embedded source: a speck at this scale
            warnings.simplefilter("ignore", MissingGeometryWarning)
            communes = load_communes()
        table = _dissolve_departements(communes)
        write_checked_parquet(table, path)
    _DISSOLVED_MEMORY[settings.vintage] = table
    return table


def _dissolve_departements(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if communes.crs is None:
        raise CRSError("communes have no CRS: declare it with .set_crs('EPSG:4326')")
    communes = communes.to_crs(WGS84)
    if "type" in communes.columns:
        communes = communes[communes["type"].fillna("COM") == "COM"]
    communes = communes[is_present(communes.geometry.values.to_numpy())]
    geoms = communes.geometry.values.to_numpy()
    codes, parts = [], []
    for dep, idx in communes.groupby("departement").indices.items():
        try:
            merged = shapely.coverage_union_all(geoms[idx])
        except shapely.errors.GEOSException:  # a few touching communes overlap slightly
            merged = shapely.union_all(shapely.make_valid(geoms[idx]), grid_size=1e-7)
        codes.append(str(dep))
        parts.append(merged)
    return gpd.GeoDataFrame({"departement": codes}, geometry=parts, crs=WGS84)


def _drop_specks(geom: Any, min_area: float) -> Any:
    """Remove holes and islands smaller than ``min_area`` (slivers between communes)."""
    polygons = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.area < min_area:
            continue
        holes = [r for r in part.interiors if shapely.Polygon(r).area >= min_area]
        polygons.append(shapely.Polygon(part.exterior, holes))
    return shapely.MultiPolygon(polygons) if polygons else geom
