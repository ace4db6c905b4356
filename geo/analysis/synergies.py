"""Overlap and proximity of TZCLD territories and PTCE: the synergy tables.

Pure functions on (Geo)DataFrames: nothing here reads files, draws or touches
the network (the only data it may load is the commune table of
:func:`geo.load_communes`, to build a PTCE's area of action from its INSEE
codes). Every distance and area is measured in the legal metric CRS of the
zone of both geometries (:data:`geo.crs.ZONES`); a territory and a PTCE in
different zones are never measured against each other. Candidate pairs come
from spatial indexes (:class:`shapely.STRtree`), never from an all-pairs loop.

Relations
---------
For a territory *T* (its geometry) and a PTCE *P* (its seat point *S* and,
when known, its area of action *A*), in the same zone:

``"overlap"``
    *T* and *P* share a commune (the ``codes_insee`` of both sides, an
    arrondissement municipal of Paris/Lyon/Marseille matching its commune),
    or the interiors of *T* and *A* intersect (with more than
    :data:`AREA_TOLERANCE_M2` of common area when both are polygons), or the
    seat *S* lies in the interior of *T*.
``"adjacent"``
    Not an overlap, and the edge-to-edge distance between *T* and *P*
    (*A* or *S*) is at most :data:`TOUCH_TOLERANCE_M`: boundaries that touch
    (neighbouring communes share their edges exactly in the official
    boundaries; the tolerance absorbs floating-point noise), or a seat on the
    boundary of *T*.
``"near"``
    Neither, and the edge-to-edge distance is at most the radius.

A PTCE whose ``precision`` is in :data:`UNMEASURED_PTCE_PRECISIONS`
(``"departement"``, ``"inconnu"``) carries a point only to be shown on a map:
that point is not its seat and is never measured.

``distance_km`` is the edge-to-edge distance between *T* and the nearer of
*A* and *S* (0 for ``"overlap"`` and ``"adjacent"``); ``seat_distance_km`` the
distance from *S* to *T* (0 when the seat is inside).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo import settings
from geo._core.warn import warn
from geo.crs import WGS84, ZONES, to_metric, zone_of_code, zone_of_geometry
from geo.errors import (
    ArgumentError,
    CRSError,
    GeoWarning,
    InvalidGeometryError,
    SchemaError,
    format_problems,
)
from geo.reference.cog import register as register_cache
from geo.reference.names import PLM_PARENTS, normalise_code

__all__ = [
    "APPROXIMATE_TERRITORY_PRECISIONS",
    "AREA_TOLERANCE_M2",
    "LABELS_FR",
    "NEAREST_COLUMNS",
    "NEAR_KM",
    "RELATIONS",
    "SUMMARY_COLUMNS",
    "SYNERGY_COLUMNS",
    "TOUCH_TOLERANCE_M",
    "UNMEASURED_PTCE_PRECISIONS",
    "MissingAreaWarning",
    "link_lines",
    "nearest_commune",
    "nearest_ptce",
    "population_parts",
    "synergies",
    "synergy_summary",
]


class MissingAreaWarning(GeoWarning):
    """PTCE list INSEE codes that have no commune boundary: left out of their area."""


#: Relations in order of strength (``"far"`` only appears in :func:`nearest_ptce`).
RELATIONS = ("overlap", "adjacent", "near", "far")

#: Two geometries closer than this (metres) touch: ``"adjacent"``.
TOUCH_TOLERANCE_M = 1.0

#: Two polygons sharing less area than this (m²) do not overlap (slivers).
AREA_TOLERANCE_M2 = 1.0

#: The "close" threshold of :func:`synergy_summary`, in kilometres.
NEAR_KM = 10.0

#: Territory precisions whose perimeter only approximates the real territory.
APPROXIMATE_TERRITORY_PRECISIONS = frozenset({"infra-communal", "epci"})

#: PTCE area precisions whose point only places the PTCE on a map (the area is
#: known at département level or not at all): such a point is not a seat and is
#: never measured.
UNMEASURED_PTCE_PRECISIONS = frozenset({"departement", "inconnu"})

#: Columns of :func:`synergies`, in order.
SYNERGY_COLUMNS = [
    "territory_id",
    "territory_nom",
    "territory_statut",
    "ptce_id",
    "ptce_nom",
    "zone",
    "relation",
    "distance_km",
    "seat_distance_km",
    "shared_communes",
    "overlap_area_km2",
    "overlap_share_pct",
    "territory_precision",
    "ptce_precision",
    "approximate",
    "certainty",
    "relation_fr",
]

#: Columns of :func:`nearest_ptce`, in order.
NEAREST_COLUMNS = [
    "territory_id",
    "territory_nom",
    "territory_statut",
    "zone",
    "ptce_id",
    "ptce_nom",
    "relation",
    "distance_km",
    "seat_distance_km",
    "reason",
]

#: Columns of :func:`synergy_summary`, in order.
SUMMARY_COLUMNS = [
    "region",
    "statut",
    "radius_km",
    "n_territories",
    "n_overlap",
    "n_overlap_probable",
    "n_within_10km",
    "n_within_radius",
    "n_none",
    "n_unlocated",
    "population",
    "population_exact",
    "population_approx",
    "n_population_unknown",
    "population_with_ptce",
    "population_with_ptce_exact",
    "n_with_ptce_population_unknown",
    "population_without_ptce",
    "population_without_ptce_exact",
    "n_without_ptce_population_unknown",
]

#: French display labels of the result columns and relations (column names stay
#: English snake_case, like the rest of the API; use these for reports and maps).
LABELS_FR = {
    "territory_id": "Identifiant du territoire",
    "territory_nom": "Territoire",
    "territory_statut": "Statut",
    "ptce_id": "Identifiant du PTCE",
    "ptce_nom": "PTCE",
    "zone": "Zone",
    "relation": "Relation",
    "distance_km": "Distance (km)",
    "seat_distance_km": "Distance au siège (km)",
    "shared_communes": "Communes communes",
    "overlap_area_km2": "Surface commune (km²)",
    "overlap_share_pct": "Part du territoire couverte (%)",
    "territory_precision": "Précision du périmètre du territoire",
    "ptce_precision": "Précision du périmètre du PTCE",
    "approximate": "Périmètre approché",
    "certainty": "Certitude",
    "relation_fr": "Relation (certitude)",
    "sûr": "sûr",
    "probable": "probable — périmètre approché",
    "non mesurable": "non mesurable — périmètre tracé plus large que le territoire",
    "n_overlap_probable": "dont chevauchement probable seulement",
    "population_exact": "Population exacte (communes entières)",
    "population_approx": "Population approchée (EPCI, chiffre cité, QPV)",
    "n_population_unknown": "Territoires de population inconnue (non comptés)",
    "population_with_ptce_exact": "dont exacte",
    "n_with_ptce_population_unknown": "Territoires avec PTCE de population inconnue",
    "population_without_ptce_exact": "dont exacte",
    "n_without_ptce_population_unknown": "Territoires sans PTCE de population inconnue",
    "reason": "Motif",
    "region": "Région",
    "statut": "Statut",
    "radius_km": "Rayon (km)",
    "n_territories": "Territoires",
    "n_overlap": "Chevauchent un PTCE",
    "n_within_10km": "PTCE à 10 km ou moins",
    "n_within_radius": "PTCE dans le rayon",
    "n_none": "Aucun PTCE dans le rayon",
    "n_unlocated": "Non localisés",
    "population": "Population",
    "population_with_ptce": "Population avec un PTCE proche",
    "population_without_ptce": "Population sans PTCE proche",
    "overlap": "chevauchement",
    "adjacent": "contigu",
    "near": "à proximité",
    "far": "éloigné",
    "ensemble": "Ensemble",
}

_RANK = {name: rank for rank, name in enumerate(RELATIONS)}
# --- inputs -----------------------------------------------------------------


@dataclass
class _Side:
    """One input table, validated and reduced to what the analysis needs."""

    frame: pd.DataFrame  # original rows, positional index
    id_array: pd.api.extensions.ExtensionArray | np.ndarray  # stripped ids, str
    zone: np.ndarray  # zone name or None
    geom: np.ndarray  # territory geometry / PTCE area (WGS84) or None
    seat: np.ndarray  # PTCE seat (WGS84) or None; for territories all None
    codes: list[frozenset[str]]

    @functools.cached_property
    def ids(self) -> np.ndarray:
        """The stripped ids as an object array of str (made on first use)."""
        return np.asarray(self.id_array, dtype=object)

    def id_column(self, at: np.ndarray | None = None):
        """``ids[at]`` (all by default) as a new DataFrame stores it (see :func:`_text_column`)."""
        n = len(self.id_array) if at is None else len(at)
        if n and _STRINGS != np.dtype(object) and self.id_array.dtype == _STRINGS:
            # Non-empty strings: what pandas would make of them.
            return self.id_array if at is None else self.id_array.take(at)
        return _text_column(self.ids, np.arange(n) if at is None else at)

    def text(self, column: str) -> np.ndarray:
        """Return a column as an object array (``None`` when absent or missing)."""
        if column not in self.frame.columns:
            return np.full(len(self.frame), None, dtype=object)
        values = self.frame[column].astype(object).to_numpy(copy=True)
        values[pd.isna(values)] = None
        return values

    def column(self, column: str, at: np.ndarray):
        """``text(column)[at]`` as a new DataFrame stores it (see :func:`_text_column`)."""
        if column in self.frame.columns and _STRINGS != np.dtype(object):
            series = self.frame[column]
            if series.dtype == _STRINGS:  # already strings: take them as they are
                if len(at) and series.notna().to_numpy()[at].any():
                    return series.array.take(at)
                return np.full(len(at), None, dtype=object)
        return _text_column(self.text(column), at)


def _check_frames(named: dict[str, object]) -> dict[str, Any]:
    """Check type, CRS and ids of the inputs; raise once with every problem.

    Returns the stripped ids of each input (as a pandas array), by name.
    """
    problems: list[str] = []
    stripped_ids: dict[str, Any] = {}
    for name, frame in named.items():
        if not isinstance(frame, gpd.GeoDataFrame):
            raise SchemaError(
                f"{name} must be a GeoDataFrame, got {type(frame).__name__}: build one with "
                "geopandas.GeoDataFrame(df, geometry=..., crs='EPSG:4326')"
            )
        if frame.crs is None:
            raise CRSError(
                f"{name} has no CRS: declare it with .set_crs('EPSG:4326') for "
                "longitude/latitude (or the CRS the coordinates are really in)"
            )
        if "id" not in frame.columns:
            problems.append(f"{name} has no 'id' column (one unique identifier per row)")
            continue
        ids = frame["id"]
        as_text = ids.astype(str)
        stripped = as_text.str.strip()
        stripped_ids[name] = stripped.array
        empty = ids.isna().to_numpy() | (stripped == "").to_numpy()
        for row in np.flatnonzero(empty):
            problems.append(f"{name} row {row}: empty id")
        text = as_text[~empty] if empty.any() else as_text
        if text.is_unique:  # the usual case, without counting
            continue
        for value, count in text[text.duplicated(keep=False)].value_counts(sort=False).items():
            problems.append(f"{name}: id {value!r} appears {count} times")
    if problems:
        raise SchemaError(format_problems(f"{len(problems)} invalid ids", problems), problems)
    return stripped_ids


def _wgs84_geometry(frame: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> np.ndarray:
    """Geometries in WGS84 as an object array, ``None`` for missing or empty ones."""
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if series.crs is None:
        raise CRSError(f"{name} has no CRS: declare it with .set_crs('EPSG:4326')")
    if series.crs == _WGS84_CRS:
        values = series.values.to_numpy().copy()  # to_crs would transform to the same
    else:
        values = series.to_crs(WGS84).values.to_numpy().copy()
    values[shapely.is_missing(values) | shapely.is_empty(values)] = None
    present = values[_present(values)]
    if len(present):
        minx, miny, maxx, maxy = shapely.total_bounds(present)
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise CRSError(
                f"{name} coordinates reach ({minx:.0f}, {miny:.0f})-({maxx:.0f}, {maxy:.0f}), "
                f"impossible in longitude/latitude: the declared CRS ({series.crs}) is wrong; "
                "use .set_crs(<the real CRS>, allow_override=True), e.g. 'EPSG:2154'"
            )
    return values


def _check_valid(
    geoms: np.ndarray,
    ids: np.ndarray | pd.api.extensions.ExtensionArray,
    name: str,
    make_valid: bool,
) -> np.ndarray:
    present = _present(geoms)
    invalid = present.copy()
    invalid[present] = ~shapely.is_valid(geoms[present].astype(object))
    if not invalid.any():
        return geoms
    if make_valid:
        out = geoms.copy()
        out[invalid] = shapely.make_valid(geoms[invalid].astype(object))
        return out
    bad = [f"{ids[i]!r}: {shapely.is_valid_reason(geoms[i])}" for i in np.flatnonzero(invalid)]
    raise InvalidGeometryError(
        format_problems(
            f"{len(bad)} invalid geometries in {name} (repair them with "
            "GeoSeries.make_valid(), or pass make_valid=True)",
            bad,
        )
    )


def _split_codes(value: object) -> frozenset[str]:
    if isinstance(value, str) and len(value) == 5 and value.isdigit():
        return frozenset((value,))  # one code, already normal
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return frozenset()
    parts = str(value).replace(",", ";").split(";")
    # A 5-digit code is already normal (normalise_code would return it as is).
    return frozenset(
        p if len(p) == 5 and p.isdigit() else normalise_code(p) for p in parts if p.strip()
    )


def _codes_column(frame: pd.DataFrame) -> list[frozenset[str]]:
    """Return the INSEE codes of each row (``codes_insee``), each distinct value read once."""
    if "codes_insee" not in frame.columns:
        return [frozenset()] * len(frame)
    seen: dict[tuple[type, object], frozenset[str]] = {}
    out = []
    for value in frame["codes_insee"].to_numpy(dtype=object):
        if type(value) is str and len(value) == 5 and value.isdigit():
            out.append(frozenset((value,)))  # one code, already normal
            continue
        key = (type(value), value if isinstance(value, str | float | int) else id(value))
        codes = seen.get(key)
        if codes is None:
            codes = seen[key] = _split_codes(value)
        out.append(codes)
    return out


def _zones(frame: pd.DataFrame, geoms: np.ndarray, codes: list[frozenset[str]], name: str):
    """Zone per row: ``zone`` column, else the geometry's position, else the codes."""
    zone = np.full(len(frame), None, dtype=object)
    if "zone" in frame.columns:
        given = frame["zone"].astype(object).to_numpy()
        known = ~pd.isna(given)
        known[known] = [str(z).strip() != "" for z in given[known]]
        unknown = sorted({str(z) for z in given[known] if z not in ZONES})
        if unknown:
            raise SchemaError(
                f"{name}: unknown zone value(s) {unknown}; use one of {sorted(ZONES)} "
                "or drop the 'zone' column to place rows by their geometry"
            )
        zone[known] = given[known]
    todo = pd.isna(zone) & _present(geoms)
    if todo.any():
        zone[todo] = _zone_of_wgs84(geoms[todo])
    for i in np.flatnonzero(pd.isna(zone)):
        if codes[i]:
            zone[i] = zone_of_code(sorted(codes[i])[0])
    return zone


def _zone_of_wgs84(geoms: np.ndarray) -> np.ndarray:
    """:func:`geo.crs.zone_of_geometry` of WGS84 geometries, most from their bounds.

    That function places a geometry by a point on its surface, which lies in
    the geometry's bounding box: a box inside one zone's extent and clear of
    the extents tried before it is in that zone, and a box meeting no extent is
    in none. Only the others need the point (costly for polygons).
    """
    bounds = shapely.bounds(geoms)
    minx, miny, maxx, maxy = bounds.T
    found = np.full(len(geoms), None, dtype=object)
    decided = np.zeros(len(geoms), dtype=bool)
    clear = np.ones(len(geoms), dtype=bool)  # meets no extent tried so far
    for zone in ZONES.values():
        x0, y0, x1, y1 = zone.bounds
        inside = (minx >= x0) & (maxx <= x1) & (miny >= y0) & (maxy <= y1)
        meets = (maxx >= x0) & (minx <= x1) & (maxy >= y0) & (miny <= y1)
        pick = ~decided & clear & inside
        found[pick] = zone.name
        decided |= pick
        clear &= ~meets
    rest = ~(decided | clear)
    if rest.any():
        found[rest] = zone_of_geometry(gpd.GeoSeries(geoms[rest], crs=WGS84)).to_numpy()
    return found


def _prepare_territories(territories: gpd.GeoDataFrame, make_valid: bool, ids: Any) -> _Side:
    frame = pd.DataFrame(territories).reset_index(drop=True)
    geoms = _check_valid(
        _wgs84_geometry(territories, "territories"), ids, "territories", make_valid
    )
    codes = _codes_column(frame)
    zone = _zones(frame, geoms, codes, "territories")
    seat = np.full(len(frame), None, dtype=object)
    return _Side(frame, ids, zone, geoms, seat, codes)


def _prepare_ptce(ptce: gpd.GeoDataFrame, ptce_areas, make_valid: bool, stripped: Any) -> _Side:
    frame = pd.DataFrame(ptce).reset_index(drop=True)
    ids = np.asarray(stripped, dtype=object)
    geoms = _check_valid(_wgs84_geometry(ptce, "ptce"), ids, "ptce", make_valid)
    codes = _codes_column(frame)
    polygonal = np.array(
        [g is not None and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms], dtype=bool
    )
    seat = geoms.copy()
    if "precision" in frame.columns:
        placeholder = frame["precision"].isin(UNMEASURED_PTCE_PRECISIONS).to_numpy()
        seat[placeholder & ~polygonal] = None
    if polygonal.any():
        seat[polygonal] = shapely.point_on_surface(geoms[polygonal].astype(object))
    area = np.full(len(frame), None, dtype=object)
    area[polygonal] = geoms[polygonal]
    if ptce_areas is not None:
        given = _align_areas(ptce_areas, ptce, ids, make_valid)
        has = _present(given)
        area[has] = given[has]
    need = [i for i in range(len(frame)) if area[i] is None and codes[i]]
    if need:
        built = _areas_from_codes([codes[i] for i in need], [ids[i] for i in need])
        for i, geom in zip(need, built, strict=True):
            area[i] = geom
    zone = _zones(frame, np.where(_present(seat), seat, area), codes, "ptce")
    return _Side(frame, ids, zone, area, seat, codes)


def _align_areas(ptce_areas, ptce: gpd.GeoDataFrame, ids: np.ndarray, make_valid: bool):
    if not isinstance(ptce_areas, gpd.GeoSeries):
        raise ArgumentError(
            f"ptce_areas must be a GeoSeries (indexed like ptce or by PTCE id), "
            f"got {type(ptce_areas).__name__}"
        )
    values = _wgs84_geometry(ptce_areas, "ptce_areas")
    index = [str(i) for i in ptce_areas.index]
    by_label = dict(zip(index, values, strict=True))
    if set(index) <= set(ids):
        aligned = np.array([by_label.get(i) for i in ids], dtype=object)
    elif set(ptce_areas.index) <= set(ptce.index):
        by_index = dict(zip(ptce_areas.index, values, strict=True))
        aligned = np.array([by_index.get(i) for i in ptce.index], dtype=object)
    else:
        extra = sorted(set(index) - set(ids))[:5]
        raise ArgumentError(
            f"ptce_areas index matches neither the PTCE ids nor the ptce index "
            f"(e.g. {extra}): index it by PTCE id or align it on ptce"
        )
    return _check_valid(aligned, ids, "ptce_areas", make_valid)


_AREA_CACHE: dict[tuple[str, frozenset[str]], object] = {}
register_cache(_AREA_CACHE.clear)


def _areas_from_codes(code_sets: list[frozenset[str]], ids: list[str]) -> list[object]:
    """Union of the commune boundaries of each code set (cached)."""
    key_of = [(settings.vintage, codes) for codes in code_sets]
    missing = [k for k in key_of if k not in _AREA_CACHE]
    if missing:
        from geo.reference.communes import MissingGeometryWarning, load_communes

        with warnings.catch_warnings():
            # a commune without a boundary matters only if an area lists it: said below
            warnings.simplefilter("ignore", MissingGeometryWarning)
            communes = load_communes(types=("COM", "ARM"))
        by_code = {
            code: geom
            for code, geom in zip(communes["code_insee"], communes.geometry.values, strict=True)
            if geom is not None and not geom.is_empty
        }
        unknown: list[str] = []
        for key, pid in zip(key_of, ids, strict=True):
            if key not in missing or key in _AREA_CACHE:
                continue
            parts = [by_code.get(c) for c in sorted(key[1])]
            bad = [c for c, g in zip(sorted(key[1]), parts, strict=True) if g is None]
            if bad:
                unknown.append(f"{pid!r}: {', '.join(bad)}")
            parts = [g for g in parts if g is not None and not g.is_empty]
            _AREA_CACHE[key] = shapely.union_all(parts) if parts else None
        if unknown:
            warn(
                format_problems(
                    f"{len(unknown)} PTCE list INSEE codes without a commune boundary "
                    "(ignored in their area of action)",
                    unknown,
                ),
                MissingAreaWarning,
            )
        if len(_AREA_CACHE) > 4096:
            _AREA_CACHE.clear()
    return [_AREA_CACHE.get(k) for k in key_of]


def _prepare(territories, ptce, ptce_areas, make_valid) -> tuple[_Side, _Side]:
    ids = _check_frames({"territories": territories, "ptce": ptce})
    return (
        _prepare_territories(territories, make_valid, ids["territories"]),
        _prepare_ptce(ptce, ptce_areas, make_valid, ids["ptce"]),
    )


# --- pairs ------------------------------------------------------------------


def _code_pairs(terr: _Side, ptce: _Side) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs sharing a commune: positions ``t``, ``p`` (sorted) and the shared codes.

    The same code on both sides, or an arrondissement on one side and its
    commune on the other; the shared codes are sorted and ";"-joined.
    """
    by_code: dict[str, list[int]] = {}
    by_parent: dict[str, list[tuple[int, str]]] = {}
    for j, codes in enumerate(ptce.codes):
        for code in codes:
            by_code.setdefault(code, []).append(j)
            parent = PLM_PARENTS.get(code)
            if parent is not None:
                by_parent.setdefault(parent, []).append((j, code))
    shared: dict[tuple[int, int], set[str]] = {}
    if by_code:
        for i, codes in enumerate(terr.codes):
            for code in codes:
                for j in by_code.get(code, ()):
                    shared.setdefault((i, j), set()).add(code)
                parent = PLM_PARENTS.get(code)
                if parent is not None:
                    for j in by_code.get(parent, ()):
                        shared.setdefault((i, j), set()).add(code)
                for j, own in by_parent.get(code, ()):
                    shared.setdefault((i, j), set()).add(own)
    keys = sorted(shared)
    t = np.fromiter((k[0] for k in keys), dtype=np.int64, count=len(keys))
    p = np.fromiter((k[1] for k in keys), dtype=np.int64, count=len(keys))
    text = np.array([";".join(sorted(shared[k])) for k in keys], dtype=object)
    return t, p, text


_WGS84_CRS = CRS.from_user_input(WGS84)


@functools.lru_cache(maxsize=16)
def _to_metric_transformer(zone: str) -> Transformer:
    """Return the WGS84 -> metric transformer of ``zone`` (as :func:`geo.crs.to_metric`)."""
    return Transformer.from_crs(_WGS84_CRS, CRS.from_epsg(ZONES[zone].epsg), always_xy=True)


def _metric(geoms: np.ndarray, zone: str) -> np.ndarray:
    """Return WGS84 geometries (``None`` allowed) in the metric CRS of ``zone``.

    The coordinates :func:`geo.crs.to_metric` gives (the same transformation,
    point by point), without building a GeoSeries and a transformer per call.
    """
    out = np.full(len(geoms), None, dtype=object)
    present = _present(geoms)
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


@dataclass
class _ZoneData:
    zone: str
    t_pos: np.ndarray
    p_pos: np.ndarray
    t_geom: np.ndarray  # metric, aligned with t_pos (prepared)
    p_area: np.ndarray
    p_seat: np.ndarray
    t_area: np.ndarray  # area of each t_geom (m²; NaN when missing)


#: Territories measured at once: bounds the memory of :func:`nearest_ptce` on
#: large inputs (their metric copies and measured pairs exist one chunk at a time).
_CHUNK = 1 << 16


def _zone_data(terr: _Side, ptce: _Side, chunk: int | None = None) -> Iterator[_ZoneData]:
    """Metric data of each zone, territories by chunks of ``chunk`` (all at once by default)."""
    for zone in ZONES:
        t_all = np.flatnonzero(terr.zone == zone)
        p_pos = np.flatnonzero(ptce.zone == zone)
        if not len(t_all) or not len(p_pos):
            continue
        n_p = len(p_pos)
        p_metric = _metric(np.concatenate([ptce.geom[p_pos], ptce.seat[p_pos]]), zone)
        step = chunk or len(t_all)
        for start in range(0, len(t_all), step):
            t_pos = t_all[start : start + step]
            t_geom = _metric(terr.geom[t_pos], zone)
            # Our own copies: prepared polygons (and lines) answer predicates faster.
            shapely.prepare(t_geom[_present(t_geom) & (shapely.get_type_id(t_geom) != 0)])
            yield _ZoneData(
                zone,
                t_pos,
                p_pos,
                t_geom,
                p_metric[:n_p],
                p_metric[n_p:],
                shapely.area(t_geom),
            )


def _tree_pairs(z: _ZoneData, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Local ``(territory, PTCE)`` indices whose seat or area is within ``distance``."""
    tree_ok = np.flatnonzero(_present(z.t_geom))
    items = np.concatenate([z.p_seat, z.p_area])
    owner = np.concatenate([np.arange(len(z.p_seat)), np.arange(len(z.p_area))])
    query_ok = np.flatnonzero(_present(items))
    if not len(tree_ok) or not len(query_ok):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    tree = shapely.STRtree(z.t_geom[tree_ok])
    q, hit = tree.query(items[query_ok], predicate="dwithin", distance=distance)
    return tree_ok[hit], owner[query_ok[q]]


def _seat_inside(t: np.ndarray, seat: np.ndarray) -> np.ndarray:
    """Whether each seat meets the interior of its territory (DE-9IM ``T********``)."""
    inside = np.zeros(len(t), dtype=bool)
    both = _present(t) & _present(seat)
    points = both & (shapely.get_type_id(seat) == 0)
    # Two points: the interiors meet when the (x, y) are the same (as GEOS compares).
    two = points & (shapely.get_type_id(t) == 0)
    if two.any():
        inside[two] = (shapely.get_x(t[two]) == shapely.get_x(seat[two])) & (
            shapely.get_y(t[two]) == shapely.get_y(seat[two])
        )
    # A point meets the interior exactly when it lies in it: contains_properly,
    # which uses the prepared territory.
    points &= ~two
    inside[points] = shapely.contains_properly(t[points], seat[points])
    other = both & ~points & ~two
    if other.any():
        inside[other] = shapely.relate_pattern(t[other], seat[other], "T********")
    return inside


def _distance(a: np.ndarray, b: np.ndarray, zero: np.ndarray | None = None) -> np.ndarray:
    """Element-wise distance, NaN when either is missing; 0 where ``zero`` says so."""
    out = np.full(len(a), np.nan)
    todo = _present(a) & _present(b)
    if zero is not None:
        out[zero] = 0.0
        todo &= ~zero
    out[todo] = shapely.distance(a[todo], b[todo])
    return out


def _classify(z: _ZoneData, ti: np.ndarray, pj: np.ndarray, has_shared: np.ndarray, radius_m):
    """Measure pairs (local indices in ``z``) and name their relation."""
    t = z.t_geom[ti]
    area = z.p_area[pj]
    seat = z.p_seat[pj]
    seat_in = _seat_inside(t, seat)
    # A point inside a polygon is at distance 0 from it (GEOS says so exactly).
    d_seat = _distance(t, seat, seat_in & _is_polygonal(t))
    d_area = _distance(t, area)
    dist = np.fmin(d_seat, d_area)
    inter_area = np.zeros(len(ti))
    area_in = np.zeros(len(ti), dtype=bool)
    touching = np.flatnonzero(d_area <= TOUCH_TOLERANCE_M)
    if len(touching):
        ta, aa = t[touching], area[touching]
        inter_area[touching] = shapely.area(shapely.intersection(ta, aa))
        both_polygons = _is_polygonal(ta) & _is_polygonal(aa)
        interiors = np.asarray(shapely.relate_pattern(ta, aa, "T********"), dtype=bool)
        area_in[touching] = np.where(
            both_polygons, inter_area[touching] > AREA_TOLERANCE_M2, interiors
        )
    overlap = has_shared | seat_in | area_in
    adjacent = ~overlap & (dist <= TOUCH_TOLERANCE_M)
    near = ~overlap & ~adjacent & (dist <= radius_m)
    rank = np.where(overlap, 0, np.where(adjacent, 1, np.where(near, 2, 3)))
    # Evidence that only the seat gives (no shared commune, no common area).
    seat_only = np.where(
        overlap, ~has_shared & ~area_in, ~(d_area <= TOUCH_TOLERANCE_M) & (d_seat <= dist)
    )
    t_area = z.t_area[ti]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(t_area > 0, 100.0 * inter_area / t_area, np.nan)
    return {
        "rank": rank,
        "distance_km": np.where(overlap | adjacent, 0.0, dist / 1000.0),
        "seat_distance_km": d_seat / 1000.0,
        "overlap_area_km2": inter_area / 1e6,
        "overlap_share_pct": share,
        "_seat_only": seat_only,
        "_sort_distance": dist,
    }


def _is_polygonal(geoms: np.ndarray) -> np.ndarray:
    type_ids = shapely.get_type_id(geoms)
    return (type_ids == 3) | (type_ids == 6)


#: Columns of the measured pairs (:func:`_pairs`), as numpy arrays.
_PAIR_KEYS = (
    "t",
    "p",
    "zone",
    "rank",
    "distance_km",
    "seat_distance_km",
    "shared_communes",
    "overlap_area_km2",
    "overlap_share_pct",
    "_seat_only",
    "_sort_distance",
)


def _pairs(
    terr: _Side, ptce: _Side, radius_m: float, *, nearest: bool
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Measured pairs of all zones: within ``radius_m``, or each territory's nearest.

    ``t`` and ``p`` are positions in the inputs, ``zone`` an index in
    :data:`ZONES`, ``rank`` an index in :data:`RELATIONS`, ``shared_communes``
    an index in the second array returned (the shared codes); the pairs are in
    no particular order.
    """
    n_p = max(len(ptce.id_array), 1)
    code_t, code_p, code_text = _code_pairs(terr, ptce)
    code_key = code_t * n_p + code_p  # sorted, as (t, p) are
    shared_values = np.append(code_text, "").astype(object)  # the last one: none shared
    zone_names = list(ZONES)
    parts: list[dict[str, np.ndarray]] = []
    in_chunk = np.zeros(len(terr.id_array), dtype=bool)
    for z in _zone_data(terr, ptce, _CHUNK if nearest else None):
        if nearest:
            ti, pj = _nearest_pairs(z)
        else:
            ti, pj = _tree_pairs(z, radius_m)
        keys = z.t_pos[ti] * n_p + z.p_pos[pj]
        if len(code_key):
            in_chunk[z.t_pos] = True
            in_zone = (terr.zone[code_t] == z.zone) & (ptce.zone[code_p] == z.zone)
            keys = np.concatenate([keys, code_key[in_zone & in_chunk[code_t]]])
            in_chunk[z.t_pos] = False
        if not len(keys):
            continue
        keys.sort()
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]  # distinct pairs
        t, p = keys // n_p, keys % n_p
        shared = np.full(len(keys), len(code_key), dtype=np.int64)  # -> ""
        if len(code_key):
            at = np.minimum(np.searchsorted(code_key, keys), len(code_key) - 1)
            found = code_key[at] == keys
            shared[found] = at[found]
        # Positions in the zone's (sorted) arrays.
        local_t, local_p = np.searchsorted(z.t_pos, t), np.searchsorted(z.p_pos, p)
        measured = _classify(z, local_t, local_p, shared < len(code_key), radius_m)
        measured.update(
            t=t,
            p=p,
            shared_communes=shared,
            zone=np.full(len(keys), zone_names.index(z.zone), dtype=np.int64),
        )
        if nearest:  # keep each territory's best pair only (bounded memory)
            best = _best_per_territory(measured, ptce)
            measured = {key: values[best] for key, values in measured.items()}
        parts.append(measured)
    if not parts:
        # Nothing measured: the columns hold no type either (as the table always had).
        empty = {key: np.empty(0, dtype=object) for key in _PAIR_KEYS}
        ints = ("t", "p", "zone", "rank", "shared_communes")
        empty.update({key: np.empty(0, dtype=np.int64) for key in ints})
        return empty, shared_values
    return {
        key: np.concatenate([part[key] for part in parts]) for key in _PAIR_KEYS
    }, shared_values


def _best_per_territory(pairs: dict[str, np.ndarray], ptce: _Side) -> np.ndarray:
    """Positions of each territory's best pair (one per territory, in no order).

    Strongest relation, then nearest, then larger common area, then smaller PTCE
    id. Most territories have one candidate: only the others are sorted.
    """
    t = pairs["t"]
    if not len(t):
        return np.empty(0, dtype=np.int64)
    _, first_at, counts = np.unique(t, return_index=True, return_counts=True)
    single = first_at[counts == 1]
    several = np.flatnonzero(np.isin(t, t[first_at[counts > 1]]))
    if not len(several):
        return single
    order = several[
        np.lexsort(
            (
                _ranks(ptce.ids)[pairs["p"][several]],
                -pairs["overlap_area_km2"][several].astype(float),
                pairs["_sort_distance"][several].astype(float),
                pairs["rank"][several],
                t[several],
            )
        )
    ]
    t_sorted = t[order]
    return np.concatenate([single, order[np.r_[True, t_sorted[1:] != t_sorted[:-1]]]])


def _nearest_pairs(z: _ZoneData) -> tuple[np.ndarray, np.ndarray]:
    """Each territory's nearest PTCE footprint (seat or area), all ties kept."""
    items = np.concatenate([z.p_seat, z.p_area])
    owner = np.concatenate([np.arange(len(z.p_seat)), np.arange(len(z.p_area))])
    ok = _present(items)
    t_ok = np.flatnonzero(_present(z.t_geom))
    if not ok.any() or not len(t_ok):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    tree = shapely.STRtree(items[ok])
    q, hit = tree.query_nearest(z.t_geom[t_ok], all_matches=True)
    return t_ok[q], owner[ok][hit]


_STRINGS = pd.DataFrame({"x": np.array(["a"], dtype=object)})["x"].dtype


def _text_column(values: np.ndarray, at: np.ndarray):
    """``values[at]`` stored as pandas stores an object array in a new DataFrame.

    pandas converts an object array of strings (and missing values) to its
    string dtype; converting the few distinct values once and taking from them
    is much faster than converting every row.
    """
    taken = values[at]
    if _STRINGS is np.dtype(object) or not len(at):
        return taken
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "string":  # strings and missing values: are some strings taken?
        if not (~pd.isna(values))[at].any():
            return taken
    elif kind == "empty" or pd.api.types.infer_dtype(taken, skipna=True) != "string":
        return taken
    return pd.array(values, dtype=cast(Any, _STRINGS)).take(at)


def _and_none(values: np.ndarray) -> np.ndarray:
    """``values`` and ``None`` after them, as an object array (position -1: missing)."""
    return np.concatenate([np.asarray(values, dtype=object), np.array([None], dtype=object)])


def _factorized_text(values: np.ndarray):
    """:func:`_text_column` of all of ``values``, converting each distinct value once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    small = _and_none(np.asarray(uniques, dtype=object))
    return _text_column(small, np.where(codes < 0, len(small) - 1, codes))


def _ranks(ids: np.ndarray) -> np.ndarray:
    """Rank of each id in the sort order of the ids (equal ids, equal ranks)."""
    return np.unique(ids.astype(str), return_inverse=True)[1].reshape(-1)


def _synergy_frame(
    pairs: dict[str, np.ndarray], shared: np.ndarray, terr: _Side, ptce: _Side
) -> pd.DataFrame:
    """Build the synergy table of measured pairs, sorted by territory, relation, distance, PTCE."""
    order = np.lexsort(
        (
            _ranks(ptce.ids)[pairs["p"]] if len(ptce.id_array) else pairs["p"],
            pairs["_sort_distance"].astype(float),
            pairs["rank"],
            _ranks(terr.ids)[pairs["t"]] if len(terr.id_array) else pairs["t"],
        )
    )
    pairs = {key: values[order] for key, values in pairs.items()}
    t, p = pairs["t"], pairs["p"]
    t_prec = terr.text("precision")
    p_prec = ptce.text("precision")
    t_approx = np.isin(t_prec.astype(str), list(APPROXIMATE_TERRITORY_PRECISIONS))[t]
    p_approx = np.array([v is not None and v != "communes" for v in p_prec], dtype=bool)[p]
    linked = pairs["rank"] <= _RANK["adjacent"]
    through_area = t_approx | (p_approx & ~pairs["_seat_only"].astype(bool))
    approximate = linked & through_area
    certainty = _certainty(pairs, shared, terr, t, through_area)
    table = pd.DataFrame(
        {
            "territory_id": terr.id_column(t),
            "territory_nom": terr.column("nom", t),
            "territory_statut": terr.column("statut", t),
            "ptce_id": _text_column(ptce.ids, p),
            "ptce_nom": ptce.column("nom", p),
            "zone": _text_column(np.array(list(ZONES), dtype=object), pairs["zone"]),
            "relation": _text_column(np.array(RELATIONS, dtype=object), pairs["rank"]),
            "distance_km": pairs["distance_km"],
            "seat_distance_km": pairs["seat_distance_km"],
            "shared_communes": _text_column(shared, pairs["shared_communes"]),
            "overlap_area_km2": pairs["overlap_area_km2"],
            "overlap_share_pct": pairs["overlap_share_pct"],
            "territory_precision": terr.column("precision", t),
            "ptce_precision": ptce.column("precision", p),
            "approximate": approximate.astype(bool),
            "certainty": certainty,
            "relation_fr": _relation_fr(pairs["rank"], certainty),
        }
    )
    return table


_CERTAINTY_CODES = {name: k for k, name in enumerate(("sûr", "probable", "non mesurable"))}


def _relation_fr(rank: np.ndarray, certainty: np.ndarray):
    """French text of each relation with its certainty (few distinct values: taken, not built).

    ``"chevauchement"``, ``"chevauchement probable — périmètre approché"``...
    """
    texts = np.array(
        [
            LABELS_FR[relation]
            + ("" if certainty_name == "sûr" else " " + LABELS_FR[certainty_name])
            for relation in RELATIONS
            for certainty_name in _CERTAINTY_CODES
        ],
        dtype=object,
    )
    codes = np.where(certainty == "sûr", 0, np.where(certainty == "probable", 1, 2))
    return _text_column(texts, rank.astype(np.intp) * len(_CERTAINTY_CODES) + codes)


def _certainty(
    pairs: dict[str, np.ndarray],
    shared: np.ndarray,
    terr: _Side,
    t: np.ndarray,
    through_area: np.ndarray,
) -> np.ndarray:
    """Say how sure each relation is: ``sûr``, ``probable`` or ``non mesurable``.

    ``probable``: measured on an approximate perimeter (a quartier drawn as its
    communes, an EPCI, a PTCE area known only roughly). ``non mesurable``: the
    territory is drawn larger than it is (a ``precision_note``, e.g. Cœur de
    Savoie drawn as its whole communauté de communes) and the PTCE shares
    every commune of that drawing: the overlap comes from the drawing itself.
    """
    out = np.where(through_area, "probable", "sûr").astype(object)
    notes = terr.text("precision_note")[t] if len(t) else np.array([], dtype=object)
    drawn_larger = np.array([bool(n) for n in notes], dtype=bool)
    if drawn_larger.any():
        shared_text = np.asarray(shared, dtype=object)[pairs["shared_communes"]]
        for k in np.flatnonzero(drawn_larger & (pairs["rank"] == _RANK["overlap"])):
            codes = terr.codes[t[k]]
            common = {c for c in str(shared_text[k] or "").split(";") if c}
            if codes and len(common) >= len(codes):
                out[k] = "non mesurable"
    return out


# --- public API -------------------------------------------------------------


def _radius_m(radius_km: float) -> float:
    """Return the radius in metres, or raise ArgumentError for a negative or non-number."""
    try:
        radius = float(radius_km)
    except (TypeError, ValueError):
        radius = float("nan")
    if not np.isfinite(radius) or radius < 0:
        raise ArgumentError(
            f"radius_km must be a finite number of kilometres >= 0, got {radius_km!r}"
        )
    return radius * 1000.0


def synergies(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    *,
    radius_km: float = 20,
    ptce_areas: gpd.GeoSeries | None = None,
    make_valid: bool = False,
) -> pd.DataFrame:
    """List every territory–PTCE pair that overlaps, touches or lies within a radius.

    Parameters
    ----------
    territories
        One row per territory: an ``id`` column (unique, non-empty) and a
        geometry (polygons or points) with a CRS. Used when present:
        ``codes_insee`` (";"-joined INSEE codes of the perimeter), ``nom``,
        ``statut``, ``precision``, ``zone``.
    ptce
        One row per PTCE: ``id`` and a geometry with a CRS: the seat point, or
        a polygon (then its area of action; its seat is a point on its
        surface). Used when present: ``codes_insee`` (area of action),
        ``nom``, ``precision`` (of the area of action), ``zone``.
    radius_km
        Pairs whose edge-to-edge distance is at most this are ``"near"``.
    ptce_areas
        Areas of action, indexed by PTCE id or aligned on ``ptce``'s index;
        they take precedence over polygon geometries, which take precedence
        over the union of the communes of ``codes_insee``
        (:func:`geo.load_communes` with arrondissements).
    make_valid
        Repair invalid polygons with :func:`shapely.make_valid` instead of
        raising.

    Returns
    -------
    DataFrame
        Columns :data:`SYNERGY_COLUMNS`, one row per pair, sorted by
        territory id, relation (overlap, adjacent, near), distance and PTCE id.
        ``relation`` is defined in the module documentation; ``zone`` is the
        zone in whose legal CRS the pair was measured; ``distance_km`` is 0
        for overlapping and adjacent pairs; ``seat_distance_km`` is NaN when
        the territory has no geometry (an overlap found through shared
        communes only); ``shared_communes`` is ``""`` when none;
        ``overlap_share_pct`` is the common area as a share of the
        territory's area. ``certainty`` says how sure the relation is:
        ``"sûr"`` (measured on precise perimeters), ``"probable"`` (through an
        approximate perimeter: a quartier drawn as its communes, an EPCI, a
        PTCE area known roughly), ``"non mesurable"`` (the territory is drawn
        larger than it is, ``precision_note``, and the PTCE shares every commune
        of that drawing); ``relation_fr`` writes both in French for reports and
        exports (``"chevauchement probable — périmètre approché"``).
        ``approximate`` is true for an overlap or adjacency
        found through an approximate perimeter: a territory of precision
        ``"infra-communal"`` or ``"epci"``, or a PTCE whose ``precision`` is not
        ``"communes"`` unless the seat point alone gives the relation.
        ``table.attrs["radius_km"]`` records the radius used.

    Raises
    ------
    CRSError
        An input has no CRS, or coordinates impossible in its CRS.
    SchemaError
        Not a GeoDataFrame, missing/empty/duplicate ids, unknown zone names.
    InvalidGeometryError
        Invalid polygons (and ``make_valid`` is false).

    Examples
    --------
    >>> import geo
    >>> table = geo.synergies(geo.load_territories(), geo.load_ptce(), radius_km=20)
    >>> overlap = table[table["relation"] == "overlap"]
    >>> pairs = set(zip(overlap["territory_id"], overlap["ptce_id"]))
    >>> ("les-mureaux", "vivre-les-mureaux") in pairs
    True
    """
    terr, pt = _prepare(territories, ptce, ptce_areas, make_valid)
    radius_m = _radius_m(radius_km)
    pairs, shared = _pairs(terr, pt, radius_m, nearest=False)
    keep = pairs["rank"] != _RANK["far"]
    table = _synergy_frame({key: values[keep] for key, values in pairs.items()}, shared, terr, pt)
    table.attrs["radius_km"] = float(radius_km)
    return table


_synergy_table = synergies  # synergy_summary's argument shadows the function name


def nearest_ptce(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    *,
    radius_km: float = 20,
    ptce_areas: gpd.GeoSeries | None = None,
    make_valid: bool = False,
) -> pd.DataFrame:
    """Find the nearest PTCE of every territory, in the territory's zone.

    Parameters
    ----------
    territories, ptce, ptce_areas, make_valid
        As in :func:`synergies`.
    radius_km
        Beyond this distance the relation is ``"far"`` instead of ``"near"``.

    Returns
    -------
    DataFrame
        Columns :data:`NEAREST_COLUMNS`, one row per territory in input
        order. The nearest PTCE is the one whose area or seat is closest to
        the territory; among ties (several at distance 0) the strongest
        relation wins (overlap, then adjacent), then the larger common area,
        then the smaller id. When nothing can be measured, ``ptce_id``,
        ``relation`` and the distances are missing and ``reason`` says why:
        ``"no geometry"``, ``"outside every zone"`` or ``"no PTCE in zone"``.

    Raises
    ------
    CRSError, SchemaError, InvalidGeometryError
        As in :func:`synergies`.
    """
    terr, pt = _prepare(territories, ptce, ptce_areas, make_valid)
    pairs, _ = _pairs(terr, pt, _radius_m(radius_km), nearest=True)
    n = len(terr.id_array)
    best_p = np.full(n, -1, dtype=np.int64)  # -1: none
    rank = np.full(n, len(RELATIONS), dtype=np.int64)  # len(RELATIONS): none
    dist = np.full(n, np.nan)
    seat_dist = np.full(n, np.nan)
    if len(pairs["t"]):
        first = np.arange(len(pairs["t"]))  # _pairs kept each territory's best pair only
        t_has = pairs["t"][first]
        best_p[t_has] = pairs["p"][first]
        rank[t_has] = pairs["rank"][first]
        dist[t_has] = pairs["distance_km"][first]
        seat_dist[t_has] = pairs["seat_distance_km"][first]
    footprint = _present(pt.seat) | _present(pt.geom)
    zones_with_ptce = sorted({z for z, ok in zip(pt.zone, footprint, strict=True) if ok and z})
    no_zone = pd.isna(terr.zone)
    no_geom = ~_present(terr.geom)
    in_zone_with = np.isin(terr.zone.astype(str), zones_with_ptce) & ~no_zone
    reasons = np.array(["no geometry", "outside every zone", "no PTCE in zone", None], object)
    why = np.where(
        no_zone,
        np.where(no_geom, 0, 1),
        np.where(~in_zone_with | ~no_geom, 2, 0),
    )
    why[best_p >= 0] = 3
    everything = np.arange(n)
    return pd.DataFrame(
        {
            "territory_id": terr.id_column(),
            "territory_nom": terr.column("nom", everything),
            "territory_statut": terr.column("statut", everything),
            "zone": _factorized_text(terr.zone),
            "ptce_id": _text_column(_and_none(pt.ids), best_p),
            "ptce_nom": _text_column(_and_none(pt.text("nom")), best_p),
            "relation": _text_column(np.array([*RELATIONS, None], dtype=object), rank),
            "distance_km": dist,
            "seat_distance_km": seat_dist,
            "reason": _text_column(reasons, why),
        }
    )[NEAREST_COLUMNS]


def synergy_summary(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    radius_km: float = 20,
) -> pd.DataFrame:
    """Count territories by région and statut according to their nearest PTCE.

    Each territory falls in exactly one class: ``n_overlap`` (it overlaps a
    PTCE), ``n_within_10km`` (no overlap, a PTCE adjacent or within
    :data:`NEAR_KM` km), ``n_within_radius`` (the nearest within
    ``radius_km``), ``n_none`` (located, nothing within ``radius_km``),
    ``n_unlocated`` (no geometry, no shared commune: cannot be measured).

    Parameters
    ----------
    territories, ptce
        As in :func:`synergies`.
    synergies
        A table from :func:`synergies` computed with a radius of at least
        ``radius_km``; computed here when omitted.
    radius_km
        The outer distance class, in kilometres.

    Returns
    -------
    DataFrame
        Columns :data:`SUMMARY_COLUMNS` (English snake_case like every result
        table; French display labels in :data:`LABELS_FR`). One row per région (``region_nom``
        when present, else ``region``; ``"Non renseignée"`` when missing; none
        without either column) and
        statut (each value of ``statut``, then ``"ensemble"`` for all), then
        the national rows with ``region="France"``. ``n_overlap_probable``
        counts the territories of ``n_overlap`` whose every overlap is only
        ``probable`` or ``non mesurable`` (column ``certainty``).

        Populations never add an upper bound or a guess: ``population`` is
        the sum of the *known* populations, split into ``population_exact``
        (whole communes of a ``communes`` perimeter) and ``population_approx``
        (an EPCI's communes, a QPV sum, a figure a source states), so that
        ``population == population_exact + population_approx``;
        ``n_population_unknown`` territories are left out of every sum (a
        quartier without QPV population or sourced figure). Likewise for the
        territories that overlap a PTCE or have one within ``radius_km``
        (``population_with_ptce``) and those of the ``n_none`` class
        (``population_without_ptce``); unlocated territories are in neither.
        Population columns are missing when ``territories`` has no
        ``population`` column.

    Raises
    ------
    CRSError, SchemaError, InvalidGeometryError
        As in :func:`synergies`.
    """
    if synergies is None:
        synergies = _synergy_table(territories, ptce, radius_km=radius_km)
    elif synergies.attrs.get("radius_km", radius_km) < radius_km:
        raise ArgumentError(
            f"the synergies table was computed with radius_km="
            f"{synergies.attrs['radius_km']:g}, less than the {radius_km:g} km asked: "
            f"compute it again with synergies(..., radius_km={radius_km:g})"
        )
    _check_frames({"territories": territories})
    frame = pd.DataFrame(territories).reset_index(drop=True)
    ids = frame["id"].astype(str).str.strip()
    rows = synergies[synergies["relation"].isin(["overlap", "adjacent", "near"])]
    overlaps = rows[rows["relation"] == "overlap"]
    overlap_ids = set(overlaps["territory_id"].astype(str))
    if "certainty" in overlaps.columns:
        sure_ids = set(overlaps.loc[overlaps["certainty"] == "sûr", "territory_id"].astype(str))
    else:
        sure_ids = overlap_ids
    min_dist = rows.groupby(rows["territory_id"].astype(str))["distance_km"].min()
    located = ~(territories.geometry.isna() | territories.geometry.is_empty).to_numpy()
    dist = ids.map(min_dist).to_numpy(dtype=float)
    cls = np.full(len(frame), "none", dtype=object)
    cls[~located] = "unlocated"
    cls[dist <= radius_km] = "radius"
    cls[dist <= min(NEAR_KM, radius_km)] = "10km"
    cls[ids.isin(overlap_ids).to_numpy()] = "overlap"
    if "region_nom" in frame.columns:
        region = frame["region_nom"].astype(object)
        if "region" in frame.columns:
            region = region.where(region.notna(), frame["region"].astype(object))
    elif "region" in frame.columns:
        region = frame["region"].astype(object)
    else:
        region = pd.Series([None] * len(frame), dtype=object)
    region = region.where(region.notna() & (region.astype(str).str.strip() != ""), None)
    region = region.fillna("Non renseignée").astype(str)
    statut = (
        frame["statut"].astype(object).where(frame["statut"].notna(), None)
        if "statut" in frame.columns
        else pd.Series([None] * len(frame), dtype=object)
    )
    has_pop = "population" in frame.columns
    known, exact, population = population_parts(frame)
    probable_only = ids.isin(overlap_ids - sure_ids).to_numpy()
    statuts = sorted({s for s in statut if s is not None}, key=lambda s: (s != "TH", s))
    has_region = "region_nom" in frame.columns or "region" in frame.columns
    groups = [(r, region.to_numpy() == r) for r in sorted(set(region))] if has_region else []
    groups.append(("France", np.ones(len(frame), dtype=bool)))
    out = []
    for name, in_region in groups:
        for st in [*statuts, "ensemble"]:
            mask = in_region & ((statut == st).to_numpy() if st != "ensemble" else True)
            c = cls[mask]
            pop, kn, ex = population[mask], known[mask], exact[mask]
            with_ptce = np.isin(c, ["overlap", "10km", "radius"])
            without = c == "none"

            def total(rows: np.ndarray, part: np.ndarray = kn, p: np.ndarray = pop) -> Any:
                return int(p[rows & part].sum()) if has_pop else None

            def unknown(rows: np.ndarray, k: np.ndarray = kn) -> Any:
                return int((rows & ~k).sum()) if has_pop else None

            everyone = np.ones(len(c), dtype=bool)
            out.append(
                {
                    "region": name,
                    "statut": st,
                    "radius_km": float(radius_km),
                    "n_territories": int(mask.sum()),
                    "n_overlap": int((c == "overlap").sum()),
                    "n_overlap_probable": int(probable_only[mask].sum()),
                    "n_within_10km": int((c == "10km").sum()),
                    "n_within_radius": int((c == "radius").sum()),
                    "n_none": int((c == "none").sum()),
                    "n_unlocated": int((c == "unlocated").sum()),
                    "population": total(everyone),
                    "population_exact": total(everyone, ex),
                    "population_approx": total(everyone, kn & ~ex),
                    "n_population_unknown": unknown(everyone),
                    "population_with_ptce": total(with_ptce),
                    "population_with_ptce_exact": total(with_ptce, ex),
                    "n_with_ptce_population_unknown": unknown(with_ptce),
                    "population_without_ptce": total(without),
                    "population_without_ptce_exact": total(without, ex),
                    "n_without_ptce_population_unknown": unknown(without),
                }
            )
    table = pd.DataFrame(out, columns=SUMMARY_COLUMNS)
    for column in SUMMARY_COLUMNS:
        if column.startswith(("population", "n_population", "n_with", "n_without")):
            table[column] = table[column].astype("Int64")
    return table


def population_parts(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return which populations are known, which are exact, and the values (0 when unknown).

    Exact: the sum of whole communes (``population_source="communes"``) of a
    perimeter made of those communes (``precision="communes"``). Known but not
    exact: an EPCI's communes, a QPV sum, a figure a source states.

    Examples
    --------
    >>> frame = pd.DataFrame({"population": [100, 50, None], "precision": ["communes",
    ...     "epci", "infra-communal"], "population_source": ["communes", "communes", "inconnue"]})
    >>> [a.tolist() for a in population_parts(frame)]
    [[True, True, False], [True, False, False], [100.0, 50.0, 0.0]]
    """
    if "population" not in frame.columns:
        empty = np.zeros(len(frame), dtype=bool)
        return empty, empty, np.zeros(len(frame))
    values = pd.to_numeric(frame["population"], errors="coerce")
    known = values.notna().to_numpy()
    precision = (
        frame["precision"].astype(object).to_numpy()
        if "precision" in frame.columns
        else np.full(len(frame), None, dtype=object)
    )
    if "population_source" in frame.columns:
        source = frame["population_source"].astype(object).to_numpy()
        exact = known & (source == "communes") & (precision == "communes")
    else:
        exact = known & (precision == "communes")
    return known, exact.astype(bool), values.fillna(0).to_numpy(dtype=float)


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
        A table with ``territory_id``, ``ptce_id`` and ``zone`` columns (from
        :func:`synergies` or :func:`nearest_ptce`).
    territories, ptce, ptce_areas
        The inputs the table was computed from.

    Returns
    -------
    GeoSeries
        LineStrings in EPSG:4326, index of ``table``; ``None`` where the seat,
        the territory's geometry or the pair is missing.
    """
    for column in ("territory_id", "ptce_id", "zone"):
        if column not in table.columns:
            raise SchemaError(f"synergy table has no {column!r} column")
    terr, pt = _prepare(territories, ptce, ptce_areas, False)
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
    lines = np.full(len(table), None, dtype=object)
    zones = table["zone"].astype(object).to_numpy()
    for zone in ZONES:
        rows = np.flatnonzero((zones == zone) & (t >= 0) & (p >= 0))
        if not len(rows):
            continue
        geom = _metric(terr.geom[t[rows]], zone)
        seat = _metric(pt.seat[p[rows]], zone)
        ok = _present(geom) & _present(seat)
        if not ok.any():
            continue
        metric_lines = shapely.shortest_line(seat[ok].astype(object), geom[ok].astype(object))
        back = gpd.GeoSeries(metric_lines, crs=ZONES[zone].epsg).to_crs(WGS84)
        lines[rows[ok]] = back.values.to_numpy()
    return gpd.GeoSeries(lines, index=table.index, crs=WGS84)


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
    geoms = _wgs84_geometry(points, "points")
    series = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    c_geom = _wgs84_geometry(communes, "communes")
    c_ok = np.flatnonzero(_present(c_geom))
    c_codes = communes["code_insee"].astype(str).to_numpy()
    order = np.argsort(c_codes[c_ok], kind="stable")
    c_ok = c_ok[order]  # ties resolve to the smallest code
    n = len(geoms)
    found = np.full(n, -1)
    dist = np.full(n, np.nan)
    p_ok = np.flatnonzero(_present(geoms))
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
        pm = _metric(pts[pq], zone)
        cm = _metric(c_geom[pc], zone)
        d = shapely.distance(pm, cm)
        cand = pd.DataFrame({"q": pq, "code": c_codes[pc], "c": pc, "d": d})
        cand = cand[cand["d"] <= max_km * 1000.0]
        best = cand.sort_values(["q", "d", "code"]).drop_duplicates("q")
        found[rest[best["q"].to_numpy()]] = best["c"].to_numpy()
        dist[rest[best["q"].to_numpy()]] = best["d"].to_numpy()


def _present(geoms: np.ndarray) -> np.ndarray:
    """Boolean mask of the entries of an object array that hold a geometry."""
    return ~shapely.is_missing(np.asarray(geoms, dtype=object))
