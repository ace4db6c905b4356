"""The commune reference as the loaders use it: one table and spatial index per load.

:class:`CommuneIndex` reads the commune table once per load and answers the
spatial questions of the steps (the commune under a point, the communes a
polygon covers); :func:`resolve` turns written codes and names into communes
with :func:`geo.reference.lookup.resolve_each`; the rest are small look-ups
(records by code, population, regions, département codes).

It reads only the reference tables of :mod:`geo.reference`; it knows nothing of
the user's file but the values handed to it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from geo.crs import WGS84, ZONES, zone_of_geometry
from geo.errors import AmbiguousCommuneError, SchemaError, UnknownCommuneError
from geo.loading.records import Report
from geo.reference import cog
from geo.reference import names as _names
from geo.reference.placement import commune_under

__all__ = [
    "MIN_COVERED_SHARE",
    "CommuneIndex",
    "commune_records",
    "departement_code",
    "departement_regions",
    "population",
    "region_names",
    "resolve",
]

MIN_COVERED_SHARE = 0.005  # a polygon "covers" a commune from 0.5 % of its area

#: A commune found by :func:`resolve`: its code, name, how it matched, and
#: whether it was an old code (then ``note`` names what it became).
Match = dict[str, Any]


def resolve(
    values: list[str], departements: list[str | None], labels: list[str]
) -> tuple[dict[int, list[Match]], Report]:
    """Resolve values to communes: the matches per request, and the requests that failed.

    The failures are the messages of the error raised for these rows, with
    suggestions; ambiguous ones are told by their type, not by their text.
    """
    from geo.reference.lookup import resolve_each

    found = resolve_each(values, departements, where=labels, suggest=True)
    out: dict[int, list[Match]] = {}
    unknown: list[str] = []
    ambiguous: list[str] = []
    for k, result in enumerate(found):
        if isinstance(result, UnknownCommuneError):
            unknown.append(str(result))
            if isinstance(result, AmbiguousCommuneError):
                ambiguous.append(str(result))
            continue
        out[k] = [
            {
                "code_insee": m.code_insee,
                "nom": m.nom,
                "matched_by": m.matched_by,
                "note": m.note,
                "old": m.matched_by == "old-code",
            }
            for m in result
        ]
    return out, Report(communes=tuple(unknown), ambiguous=tuple(ambiguous))


@cog.memo
def region_names() -> dict[str, str]:
    """Return the name of each region, by code."""
    table = cog.regions()
    return dict(zip(table["code"], table["nom"], strict=True))


@cog.memo
def departement_regions() -> dict[str, str]:
    """Return the region code of each département, by code."""
    table = cog.departements()
    return dict(zip(table["code"], table["region"], strict=True))


def departement_code(value: str) -> str | None:
    """Return the département code written ``value``, or ``None``.

    ``"78"``, ``"7"``, ``"2a"``, ``"93.0"``, ``"Yvelines"`` -> ``"78"``, ``"07"``,
    ``"2A"``, ``"93"``, ``"78"``.
    """
    if not value.strip():
        return None
    try:
        return cog.departement_code(_names.departement_code(value) or value)
    except SchemaError:
        return None


def _commune_table() -> gpd.GeoDataFrame:
    from geo.reference.communes import load_communes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_communes(types=("COM", "ARM", "COMD", "COMA"))


class CommuneIndex:
    """The commune table of one load, read once, and its spatial index."""

    def __init__(self) -> None:
        self._table: gpd.GeoDataFrame | None = None
        self._points: gpd.GeoDataFrame | None = None
        self._metric: dict[int, np.ndarray] = {}  # EPSG -> geometries of the point table

    @property
    def table(self) -> gpd.GeoDataFrame:
        """All communes (COM, ARM, COMD, COMA)."""
        if self._table is None:
            self._table = _commune_table()
        return self._table

    @property
    def points(self) -> gpd.GeoDataFrame:
        """Communes and arrondissements (not their PLM parents), for spatial joins.

        Its spatial index is built on first use and kept with it.
        """
        if self._points is None:
            table = self.table
            keep = table["type"].isin(["COM", "ARM"]) & ~table["code_insee"].isin(_names.PLM_CODES)
            self._points = table[keep & table.geometry.notna()].reset_index(drop=True)
        return self._points

    def metric(self, epsg: int, rows: np.ndarray) -> np.ndarray:
        """Geometries ``rows`` of :attr:`points` in ``epsg`` (reprojected once per row)."""
        geoms = self._metric.get(epsg)
        if geoms is None:
            geoms = self._metric[epsg] = np.full(len(self.points), None, dtype=object)
        todo = np.unique(rows[pd.isna(geoms[rows])])
        if len(todo):
            source = self.points.geometry.iloc[todo]
            geoms[todo] = source.to_crs(epsg=epsg).values.to_numpy()
        return geoms[rows]

    def at(self, points: Sequence[Point | None]) -> list[str | None]:
        """INSEE code of the commune (or arrondissement) under each point."""
        if not points:
            return []
        table = self.points
        codes = table["code_insee"].to_numpy(dtype=object)
        found = commune_under(points, table.geometry.values, codes, tree=table.sindex)
        return [codes[k] if k >= 0 else None for k in found]

    def of_departement(self, departement: str) -> list[Any]:
        """Polygons of the communes of a département."""
        table = self.table
        rows = (table["type"] == "COM") & (table["departement"] == departement)
        return list(table.geometry[rows & table.geometry.notna()])

    def under(self, polygons: Sequence[Any]) -> list[tuple[list[str], float]]:
        """Return the communes each polygon covers and the share of their union it fills.

        A polygon covers a commune from :data:`MIN_COVERED_SHARE` of the
        commune's area, or when the commune holds its representative point.
        All polygons are queried in one call to the spatial index; areas are
        measured in the metric CRS of each polygon's zone.
        """
        out: list[tuple[list[str], float]] = [([], 0.0)] * len(polygons)
        if not polygons:
            return out
        table = self.points
        shapes = gpd.GeoSeries(list(polygons), crs=WGS84)
        hit_polygon, hit_commune = table.sindex.query(
            shapes.values.to_numpy(), predicate="intersects"
        )
        zones = zone_of_geometry(shapes).fillna("metropole").to_numpy()
        codes = table["code_insee"].to_numpy()
        for zone in np.unique(zones):
            epsg = ZONES[zone].epsg
            in_zone = zones[hit_polygon] == zone
            poly_rows, commune_rows = hit_polygon[in_zone], hit_commune[in_zone]
            if not len(poly_rows):
                continue
            metric_shapes = shapes.iloc[np.flatnonzero(zones == zone)].to_crs(epsg=epsg)
            by_row = dict(zip(np.flatnonzero(zones == zone), metric_shapes.values, strict=True))
            shape = np.asarray([by_row[i] for i in poly_rows], dtype=object)
            commune = self.metric(epsg, commune_rows)
            area = shapely.area(commune)
            overlap = shapely.area(shapely.intersection(commune, shape))
            inside = shapely.contains(commune, shapely.point_on_surface(shape))
            chosen = (overlap >= MIN_COVERED_SHARE * area) | inside
            for i in np.unique(poly_rows[chosen]):
                mine = chosen & (poly_rows == i)
                union_area = shapely.union_all(commune[mine]).area
                share = float(by_row[i].area / union_area) if union_area else 0.0
                out[i] = (sorted(codes[commune_rows[mine]]), share)
        return out


def commune_records(table: gpd.GeoDataFrame, codes: set[str]) -> dict[str, dict[str, Any]]:
    """Attributes and geometry of some communes of ``table``, by code.

    A code shared by a commune and one of its communes déléguées stands for
    the commune; an arrondissement code for the arrondissement.
    """
    rows = table[table["code_insee"].isin(list(codes))]
    order = rows["type"].map({"COM": 0, "ARM": 1}).fillna(2)
    rows = rows.assign(_order=order.to_numpy()).sort_values("_order")
    rows = rows.drop_duplicates("code_insee").drop(columns="_order")
    return {r["code_insee"]: r for r in rows.to_dict("records")}


def population(communes: dict[str, dict[str, Any]], codes: Sequence[str]) -> int | None:
    """Return the summed population of the communes ``codes`` (``None`` when none is known)."""
    values = [communes[c]["population"] for c in codes if c in communes]
    values = [int(v) for v in values if not pd.isna(v)]
    return sum(values) if values else None
