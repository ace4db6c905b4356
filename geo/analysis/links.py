"""Draw the pairs of a synergy table as lines from the PTCE seat to the territory.

Each line is computed in the legal metric CRS of the pair's zone
(:data:`geo.crs.ZONES`) and returned in EPSG:4326: the geometry of the tables
of :func:`geo.synergies` and :func:`geo.nearest_ptce` (:func:`pair_lines`), and
of any synergy table given with its inputs (:func:`link_lines`).
Measures no relation (:mod:`geo.analysis.pairs` does) and draws no map.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._core.geoarrays import has_geometry, metric
from geo.analysis.inputs import Side, prepare
from geo.crs import WGS84, ZONES
from geo.errors import SchemaError, format_problems

__all__ = ["link_lines", "pair_lines"]


def link_lines(
    table: pd.DataFrame,
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    *,
    ptce_areas: gpd.GeoSeries | None = None,
) -> gpd.GeoSeries:
    """Draw each pair of a synergy table as a line from the PTCE seat to the territory.

    The line joins the seat to the nearest point of the territory's geometry,
    computed in the zone's metric CRS; it has zero length when the seat is
    inside the territory.

    Parameters
    ----------
    table
        A table with ``territory_id``, ``ptce_id`` and ``territory_zone`` columns (from
        :func:`synergies` or :func:`nearest_ptce`).
    territories, ptce, ptce_areas
        The inputs the table was computed from.

    Returns
    -------
    GeoSeries
        LineStrings in EPSG:4326, index of ``table``; ``None`` where the seat,
        the territory's geometry or the pair is missing.
    """
    for column in ("territory_id", "ptce_id", "territory_zone"):
        if column not in table.columns:
            raise SchemaError(f"synergy table has no {column!r} column")
    terr, pt = prepare(territories, ptce, ptce_areas, False)
    t_of = {v: i for i, v in enumerate(terr.ids)}
    p_of = {v: i for i, v in enumerate(pt.ids)}
    t = np.array([t_of.get(str(v), -1) if pd.notna(v) else -1 for v in table["territory_id"]])
    p = np.array([p_of.get(str(v), -1) if pd.notna(v) else -1 for v in table["ptce_id"]])
    unknown = sorted(
        {str(v) for v, i in zip(table["territory_id"], t, strict=True) if i < 0 and pd.notna(v)}
        | {str(v) for v, i in zip(table["ptce_id"], p, strict=True) if i < 0 and pd.notna(v)}
    )
    if unknown:
        raise SchemaError(
            format_problems("ids of the synergy table missing from the inputs", unknown)
        )
    zones = table["territory_zone"].astype(object).to_numpy()
    return gpd.GeoSeries(pair_lines(terr, pt, t, p, zones), index=table.index, crs=WGS84)


def pair_lines(
    terr: Side, ptce: Side, t: np.ndarray, p: np.ndarray, zones: np.ndarray
) -> np.ndarray:
    """Return the line of each pair (positions ``t``, ``p``; -1: none) measured in ``zones``.

    From the PTCE seat to the nearest point of the territory, computed in the
    zone's metric CRS and returned in WGS84 as an object array; ``None`` where
    the pair, the seat or the territory's geometry is missing. Each territory
    and seat is projected once, however many pairs it is in.
    """
    lines = np.full(len(t), None, dtype=object)
    for zone in ZONES:
        rows = np.flatnonzero((zones == zone) & (t >= 0) & (p >= 0))
        if not len(rows):
            continue
        t_once, t_at = np.unique(t[rows], return_inverse=True)
        p_once, p_at = np.unique(p[rows], return_inverse=True)
        geom = metric(terr.geom[t_once], zone)[t_at.reshape(-1)]
        seat = metric(ptce.seat[p_once], zone)[p_at.reshape(-1)]
        ok = has_geometry(geom) & has_geometry(seat)
        if not ok.any():
            continue
        metric_lines = shapely.shortest_line(seat[ok].astype(object), geom[ok].astype(object))
        back = gpd.GeoSeries(metric_lines, crs=ZONES[zone].epsg).to_crs(WGS84)
        lines[rows[ok]] = back.values.to_numpy()
    return lines
