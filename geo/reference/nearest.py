"""The commune under each point, or the nearest one within reach.

Containment is tested with a spatial index (:class:`shapely.STRtree`) in
longitude/latitude; the few points outside every commune (at sea, abroad) are
measured against the communes of their own zone in its legal metric CRS
(:data:`geo.crs.ZONES`). Reads the commune boundaries
(:func:`geo.reference.communes.load_communes`) only when none are given; draws
nothing.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._core.geoarrays import has_geometry, metric, wgs84_geometry
from geo.crs import WGS84, zone_of_code, zone_of_geometry
from geo.errors import SchemaError

__all__ = ["nearest_commune"]

#: :func:`nearest_commune` indexes the points instead of the communes from
#: ``len(points) * this >= len(communes)``: from about 8,700 points against all
#: communes, where querying with the (prepared) communes becomes the faster way.
_POINTS_PER_COMMUNE_TREE = 4


def nearest_commune(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame | None = None,
    *,
    max_distance_km: float = 20,
) -> pd.DataFrame:
    """Find the commune containing each point, or the nearest one.

    Containment is tested in the boundaries' own CRS (an STRtree query); the
    few points outside every commune (at sea, abroad) are matched to the
    nearest commune of their zone in its metric CRS, looking no further than
    ``max_distance_km``.

    Parameters
    ----------
    points
        Point geometries with a CRS.
    communes
        A table with ``code_insee`` and polygon geometries; by default
        :func:`geo.load_communes` (communes, no arrondissements).
    max_distance_km
        Points farther than this from every commune get no code.

    Returns
    -------
    DataFrame
        Index of ``points``; columns ``code_insee`` (``None`` when nothing
        within reach), ``nom`` (when ``communes`` has it) and ``distance_m``
        (0 inside a commune). A point on a boundary gets the smallest code.

    Raises
    ------
    CRSError
        ``points`` or ``communes`` has no CRS.
    """
    if communes is None:
        from geo.reference.communes import load_communes

        communes = load_communes()
    if "code_insee" not in communes.columns:
        raise SchemaError("communes must have a 'code_insee' column")
    geoms = wgs84_geometry(points, "points")
    series = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    c_geom = wgs84_geometry(communes, "communes")
    c_ok = np.flatnonzero(has_geometry(c_geom))
    c_codes = communes["code_insee"].astype(str).to_numpy()
    order = np.argsort(c_codes[c_ok], kind="stable")
    c_ok = c_ok[order]  # ties resolve to the smallest code
    n = len(geoms)
    found = np.full(n, -1)
    dist = np.full(n, np.nan)
    p_ok = np.flatnonzero(has_geometry(geoms))
    tree = None
    if len(p_ok) * _POINTS_PER_COMMUNE_TREE >= len(c_ok):
        # Many points: index them and query with the communes, whose prepared
        # polygons test the points in their box faster than point-by-point.
        hit, q = shapely.STRtree(geoms[p_ok]).query(c_geom[c_ok], predicate="intersects")
    else:
        tree = shapely.STRtree(c_geom[c_ok])
        q, hit = tree.query(geoms[p_ok], predicate="intersects")
    first = np.full(len(p_ok), len(c_ok))
    np.minimum.at(first, q, hit)  # the smallest code among the communes hit
    inside = first < len(c_ok)
    found[p_ok[inside]] = c_ok[first[inside]]
    dist[p_ok[inside]] = 0.0
    rest = p_ok[found[p_ok] < 0]
    if len(rest):
        tree = tree if tree is not None else shapely.STRtree(c_geom[c_ok])
        _nearest_outside(geoms, rest, c_geom, c_ok, c_codes, tree, max_distance_km, found, dist)
    located = found >= 0
    codes = np.full(n, None, dtype=object)
    codes[located] = c_codes[found[located]]
    out = pd.DataFrame({"code_insee": codes}, index=series.index)
    if "nom" in communes.columns:
        names = np.full(n, None, dtype=object)
        names[located] = communes["nom"].astype(object).to_numpy()[found[located]]
        out["nom"] = names
    out["distance_m"] = dist
    return out


def _nearest_outside(geoms, rest, c_geom, c_ok, c_codes, tree, max_km, found, dist) -> None:
    """Metric nearest commune for points outside every commune (in place)."""
    pts = geoms[rest].astype(object)
    lat = np.abs(shapely.get_y(pts))
    # A generous bound in degrees for max_km: 1° of latitude ≥ 110.5 km.
    reach = 1.5 * max_km / (110.5 * np.cos(np.radians(np.minimum(lat + 1.0, 89.0))))
    q, hit = tree.query(pts, predicate="dwithin", distance=reach)
    if not len(q):
        return
    p_zone = zone_of_geometry(gpd.GeoSeries(pts, crs=WGS84)).to_numpy()
    c_idx = c_ok[hit]
    c_zone = np.array([zone_of_code(c) for c in c_codes[c_idx]], dtype=object)
    keep = c_zone == p_zone[q]
    q, c_idx, c_zone = q[keep], c_idx[keep], c_zone[keep]
    for zone in {z for z in c_zone if z is not None}:
        in_zone = c_zone == zone
        pq, pc = q[in_zone], c_idx[in_zone]
        pm = metric(pts[pq], zone)
        cm = metric(c_geom[pc], zone)
        d = shapely.distance(pm, cm)
        cand = pd.DataFrame({"q": pq, "code": c_codes[pc], "c": pc, "d": d})
        cand = cand[cand["d"] <= max_km * 1000.0]
        best = cand.sort_values(["q", "d", "code"]).drop_duplicates("q")
        found[rest[best["q"].to_numpy()]] = best["c"].to_numpy()
        dist[rest[best["q"].to_numpy()]] = best["d"].to_numpy()
