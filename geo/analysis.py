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

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._names import PLM_PARENTS, normalise_code
from .cog import register as register_cache
from .crs import WGS84, ZONES, to_metric, zone_of_code, zone_of_geometry
from .errors import (
    ArgumentError,
    CRSError,
    InvalidGeometryError,
    SchemaError,
    format_problems,
)
from .placement import commune_under

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
    "link_lines",
    "nearest_commune",
    "nearest_ptce",
    "synergies",
    "synergy_summary",
]

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
    "n_within_10km",
    "n_within_radius",
    "n_none",
    "n_unlocated",
    "population",
    "population_with_ptce",
    "population_without_ptce",
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
    ids: np.ndarray  # str
    zone: np.ndarray  # zone name or None
    geom: np.ndarray  # territory geometry / PTCE area (WGS84) or None
    seat: np.ndarray  # PTCE seat (WGS84) or None; for territories all None
    codes: list[frozenset[str]]

    def text(self, column: str) -> np.ndarray:
        """Return a column as an object array (``None`` when absent or missing)."""
        if column not in self.frame.columns:
            return np.full(len(self.frame), None, dtype=object)
        values = self.frame[column].astype(object).to_numpy(copy=True)
        values[pd.isna(values)] = None
        return values


def _check_frames(named: dict[str, object]) -> None:
    """Check type, CRS and ids of the inputs; raise once with every problem."""
    problems: list[str] = []
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
        empty = ids.isna().to_numpy() | (ids.astype(str).str.strip() == "").to_numpy()
        for row in np.flatnonzero(empty):
            problems.append(f"{name} row {row}: empty id")
        text = ids[~empty].astype(str)
        for value, count in text[text.duplicated(keep=False)].value_counts(sort=False).items():
            problems.append(f"{name}: id {value!r} appears {count} times")
    if problems:
        raise SchemaError(format_problems(f"{len(problems)} invalid ids", problems), problems)


def _wgs84_geometry(frame: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> np.ndarray:
    """Geometries in WGS84 as an object array, ``None`` for missing or empty ones."""
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if series.crs is None:
        raise CRSError(f"{name} has no CRS: declare it with .set_crs('EPSG:4326')")
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


def _check_valid(geoms: np.ndarray, ids: np.ndarray, name: str, make_valid: bool) -> np.ndarray:
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
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return frozenset()
    parts = str(value).replace(",", ";").split(";")
    return frozenset(normalise_code(p) for p in parts if p.strip())


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
        series = gpd.GeoSeries(geoms[todo], crs=WGS84)
        zone[todo] = zone_of_geometry(series).to_numpy()
    for i in np.flatnonzero(pd.isna(zone)):
        if codes[i]:
            zone[i] = zone_of_code(sorted(codes[i])[0])
    return zone


def _prepare_territories(territories: gpd.GeoDataFrame, make_valid: bool) -> _Side:
    frame = pd.DataFrame(territories).reset_index(drop=True)
    ids = frame["id"].astype(str).str.strip().to_numpy()
    geoms = _check_valid(
        _wgs84_geometry(territories, "territories"), ids, "territories", make_valid
    )
    codes = [_split_codes(v) for v in frame.get("codes_insee", pd.Series([None] * len(frame)))]
    zone = _zones(frame, geoms, codes, "territories")
    seat = np.full(len(frame), None, dtype=object)
    return _Side(frame, ids, zone, geoms, seat, codes)


def _prepare_ptce(ptce: gpd.GeoDataFrame, ptce_areas, make_valid: bool) -> _Side:
    frame = pd.DataFrame(ptce).reset_index(drop=True)
    ids = frame["id"].astype(str).str.strip().to_numpy()
    geoms = _check_valid(_wgs84_geometry(ptce, "ptce"), ids, "ptce", make_valid)
    codes = [_split_codes(v) for v in frame.get("codes_insee", pd.Series([None] * len(frame)))]
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
        from .communes import load_communes

        communes = load_communes(types=("COM", "ARM"))
        by_code = dict(zip(communes["code_insee"], communes.geometry.values, strict=True))
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
            warnings.warn(
                format_problems(
                    f"{len(unknown)} PTCE list INSEE codes without a commune boundary "
                    "(ignored in their area of action)",
                    unknown,
                ),
                UserWarning,
                stacklevel=4,
            )
        if len(_AREA_CACHE) > 4096:
            _AREA_CACHE.clear()
    return [_AREA_CACHE.get(k) for k in key_of]


def _prepare(territories, ptce, ptce_areas, make_valid) -> tuple[_Side, _Side]:
    _check_frames({"territories": territories, "ptce": ptce})
    return (
        _prepare_territories(territories, make_valid),
        _prepare_ptce(ptce, ptce_areas, make_valid),
    )


# --- pairs ------------------------------------------------------------------


def _plm_parent(code: str) -> str | None:
    return PLM_PARENTS.get(code)


def _code_pairs(terr: _Side, ptce: _Side) -> pd.DataFrame:
    """Pairs sharing a commune (inverted index + merge), with the shared codes."""

    def long(side: _Side) -> pd.DataFrame:
        pos = [i for i, codes in enumerate(side.codes) for _ in codes]
        code = [c for codes in side.codes for c in codes]
        return pd.DataFrame({"pos": pos, "code": code}, dtype=object)

    t_long, p_long = long(terr), long(ptce)
    empty = pd.DataFrame({"t": [], "p": [], "shared": []})
    if t_long.empty or p_long.empty:
        return empty.astype({"t": int, "p": int})
    for frame in (t_long, p_long):
        frame["parent"] = frame["code"].map(_plm_parent)
    t_long = t_long.add_suffix("_t")
    p_long = p_long.add_suffix("_p")
    matches = []
    # The same code on both sides, or an arrondissement on one side and its commune on the other.
    for left_key, right_key, keep in (
        ("code_t", "code_p", "code_t"),
        ("parent_t", "code_p", "code_t"),
        ("code_t", "parent_p", "code_p"),
    ):
        merged = t_long.dropna(subset=[left_key]).merge(
            p_long.dropna(subset=[right_key]), left_on=left_key, right_on=right_key
        )
        matches.append(
            pd.DataFrame({"t": merged["pos_t"], "p": merged["pos_p"], "code": merged[keep]})
        )
    found = pd.concat(matches, ignore_index=True).drop_duplicates()
    if found.empty:
        return empty.astype({"t": int, "p": int})
    found = found.astype({"t": int, "p": int})
    return (
        found.sort_values("code")
        .groupby(["t", "p"], sort=True)["code"]
        .agg(";".join)
        .rename("shared")
        .reset_index()
    )


def _metric(geoms: np.ndarray, zone: str) -> np.ndarray:
    out = np.full(len(geoms), None, dtype=object)
    present = _present(geoms)
    if present.any():
        series = gpd.GeoSeries(geoms[present], crs=WGS84)
        out[present] = to_metric(series, zone).values.to_numpy()
    return out


@dataclass
class _ZoneData:
    zone: str
    t_pos: np.ndarray
    p_pos: np.ndarray
    t_geom: np.ndarray  # metric, aligned with t_pos
    p_area: np.ndarray
    p_seat: np.ndarray


def _zone_data(terr: _Side, ptce: _Side) -> list[_ZoneData]:
    out = []
    for zone in ZONES:
        t_pos = np.flatnonzero(terr.zone == zone)
        p_pos = np.flatnonzero(ptce.zone == zone)
        if not len(t_pos) or not len(p_pos):
            continue
        out.append(
            _ZoneData(
                zone,
                t_pos,
                p_pos,
                _metric(terr.geom[t_pos], zone),
                _metric(ptce.geom[p_pos], zone),
                _metric(ptce.seat[p_pos], zone),
            )
        )
    return out


def _tree_pairs(tree_geoms: np.ndarray, query_geoms: np.ndarray, distance: float):
    """``(query index, tree index)`` of geometries within ``distance`` (STRtree)."""
    tree_ok = np.flatnonzero(_present(tree_geoms))
    query_ok = np.flatnonzero(_present(query_geoms))
    if not len(tree_ok) or not len(query_ok):
        return np.empty(0, dtype=int), np.empty(0, dtype=int)
    tree = shapely.STRtree(tree_geoms[tree_ok])
    q, t = tree.query(query_geoms[query_ok], predicate="dwithin", distance=distance)
    return query_ok[q], tree_ok[t]


def _classify(z: _ZoneData, ti: np.ndarray, pj: np.ndarray, shared: np.ndarray, radius_m):
    """Measure pairs (local indices in ``z``) and name their relation."""
    t = z.t_geom[ti]
    area = z.p_area[pj]
    seat = z.p_seat[pj]
    with np.errstate(invalid="ignore"):
        d_seat = shapely.distance(t, seat)
        d_area = shapely.distance(t, area)
    dist = np.fmin(d_seat, d_area)
    seat_in = shapely.relate_pattern(t, seat, "T********")
    seat_in = np.asarray(seat_in, dtype=bool) & ~np.isnan(d_seat)
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
    has_shared = shared != ""
    overlap = has_shared | seat_in | area_in
    adjacent = ~overlap & (dist <= TOUCH_TOLERANCE_M)
    near = ~overlap & ~adjacent & (dist <= radius_m)
    relation = np.where(
        overlap, "overlap", np.where(adjacent, "adjacent", np.where(near, "near", "far"))
    ).astype(object)
    # Evidence that only the seat gives (no shared commune, no common area).
    seat_only = np.where(
        overlap, ~has_shared & ~area_in, ~(d_area <= TOUCH_TOLERANCE_M) & (d_seat <= dist)
    )
    t_area = shapely.area(t)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(t_area > 0, 100.0 * inter_area / t_area, np.nan)
    return pd.DataFrame(
        {
            "relation": relation,
            "distance_km": np.where(overlap | adjacent, 0.0, dist / 1000.0),
            "seat_distance_km": d_seat / 1000.0,
            "overlap_area_km2": inter_area / 1e6,
            "overlap_share_pct": share,
            "_seat_only": seat_only,
            "_sort_distance": dist,
        }
    )


def _is_polygonal(geoms: np.ndarray) -> np.ndarray:
    type_ids = shapely.get_type_id(geoms)
    return (type_ids == 3) | (type_ids == 6)


def _pairs(terr: _Side, ptce: _Side, radius_m: float, *, nearest: bool) -> pd.DataFrame:
    """Measured pairs of all zones: within ``radius_m``, or each territory's nearest."""
    codes = _code_pairs(terr, ptce)
    code_pairs = codes[terr.zone[codes["t"]] == ptce.zone[codes["p"]]] if len(codes) else codes
    frames = []
    for z in _zone_data(terr, ptce):
        local_t = {p: i for i, p in enumerate(z.t_pos)}
        local_p = {p: i for i, p in enumerate(z.p_pos)}
        if nearest:
            ti, pj = _nearest_pairs(z)
        else:
            s_q, s_t = _tree_pairs(z.t_geom, z.p_seat, radius_m)
            a_q, a_t = _tree_pairs(z.t_geom, z.p_area, radius_m)
            ti = np.concatenate([s_t, a_t])
            pj = np.concatenate([s_q, a_q])
        in_zone = code_pairs[code_pairs["t"].isin(local_t) & code_pairs["p"].isin(local_p)]
        ti = np.concatenate([ti, in_zone["t"].map(local_t).to_numpy(dtype=int)])
        pj = np.concatenate([pj, in_zone["p"].map(local_p).to_numpy(dtype=int)])
        if not len(ti):
            continue
        pairs = pd.DataFrame({"ti": ti, "pj": pj}).drop_duplicates(ignore_index=True)
        pairs["t"] = z.t_pos[pairs["ti"]]
        pairs["p"] = z.p_pos[pairs["pj"]]
        pairs = pairs.merge(code_pairs, on=["t", "p"], how="left")
        pairs["shared"] = pairs["shared"].astype(object).fillna("")
        measured = _classify(
            z,
            pairs["ti"].to_numpy(),
            pairs["pj"].to_numpy(),
            pairs["shared"].to_numpy(),
            radius_m,
        )
        measured["t"] = pairs["t"].to_numpy()
        measured["p"] = pairs["p"].to_numpy()
        measured["shared_communes"] = pairs["shared"].to_numpy()
        measured["zone"] = z.zone
        frames.append(measured)
    if not frames:
        return pd.DataFrame(
            columns=[
                "t",
                "p",
                "zone",
                "relation",
                "distance_km",
                "seat_distance_km",
                "shared_communes",
                "overlap_area_km2",
                "overlap_share_pct",
                "_seat_only",
                "_sort_distance",
            ]
        )
    return pd.concat(frames, ignore_index=True)


def _nearest_pairs(z: _ZoneData) -> tuple[np.ndarray, np.ndarray]:
    """Each territory's nearest PTCE footprint (seat or area), all ties kept."""
    items = np.concatenate([z.p_seat, z.p_area])
    owner = np.concatenate([np.arange(len(z.p_seat)), np.arange(len(z.p_area))])
    ok = _present(items)
    t_ok = np.flatnonzero(_present(z.t_geom))
    if not ok.any() or not len(t_ok):
        return np.empty(0, dtype=int), np.empty(0, dtype=int)
    tree = shapely.STRtree(items[ok])
    q, hit = tree.query_nearest(z.t_geom[t_ok], all_matches=True)
    return t_ok[q], owner[ok][hit]


def _attach(pairs: pd.DataFrame, terr: _Side, ptce: _Side) -> pd.DataFrame:
    t, p = pairs["t"].to_numpy(dtype=int), pairs["p"].to_numpy(dtype=int)
    out = pd.DataFrame(
        {
            "territory_id": terr.ids[t],
            "territory_nom": terr.text("nom")[t],
            "territory_statut": terr.text("statut")[t],
            "ptce_id": ptce.ids[p],
            "ptce_nom": ptce.text("nom")[p],
        }
    )
    for column in pairs.columns:
        if column not in ("t", "p"):
            out[column] = pairs[column].to_numpy()
    t_prec = terr.text("precision")[t]
    p_prec = ptce.text("precision")[p]
    out["territory_precision"] = t_prec
    out["ptce_precision"] = p_prec
    t_approx = np.isin(t_prec.astype(str), list(APPROXIMATE_TERRITORY_PRECISIONS))
    p_approx = np.array([v is not None and v != "communes" for v in p_prec], dtype=bool)
    seat_only = out["_seat_only"].to_numpy(dtype=bool) if len(out) else np.zeros(0, bool)
    linked = out["relation"].isin(["overlap", "adjacent"]).to_numpy()
    out["approximate"] = linked & (t_approx | (p_approx & ~seat_only))
    return out


def _sorted(table: pd.DataFrame) -> pd.DataFrame:
    rank = table["relation"].map(_RANK)
    order = np.lexsort(
        (
            table["ptce_id"].to_numpy(dtype=str),
            table["_sort_distance"].to_numpy(dtype=float),
            rank.to_numpy(dtype=float),
            table["territory_id"].to_numpy(dtype=str),
        )
    )
    return table.iloc[order].reset_index(drop=True)


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
        territory's area. ``approximate`` is true for an overlap or adjacency
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
    pairs = _pairs(terr, pt, radius_m, nearest=False)
    pairs = pairs[pairs["relation"] != "far"]
    table = _sorted(_attach(pairs, terr, pt))
    table = table[SYNERGY_COLUMNS].astype({"approximate": bool})
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
    pairs = _pairs(terr, pt, _radius_m(radius_km), nearest=True)
    n = len(terr.ids)
    if len(pairs):
        pairs = pairs.assign(_rank=pairs["relation"].map(_RANK), _neg=-pairs["overlap_area_km2"])
        pairs["_id"] = pt.ids[pairs["p"].to_numpy(dtype=int)]
        best = pairs.sort_values(["t", "_rank", "_sort_distance", "_neg", "_id"]).drop_duplicates(
            "t"
        )
    else:
        best = pairs.assign(_id=[])
    best = best.set_index("t")
    t_has = best.index.to_numpy(dtype=int)
    ptce_id = np.full(n, None, dtype=object)
    ptce_nom = np.full(n, None, dtype=object)
    relation = np.full(n, None, dtype=object)
    dist = np.full(n, np.nan)
    seat_dist = np.full(n, np.nan)
    if len(best):
        p = best["p"].to_numpy(dtype=int)
        ptce_id[t_has] = pt.ids[p]
        ptce_nom[t_has] = pt.text("nom")[p]
        relation[t_has] = best["relation"].to_numpy()
        dist[t_has] = best["distance_km"].to_numpy(dtype=float)
        seat_dist[t_has] = best["seat_distance_km"].to_numpy(dtype=float)
    footprint = _present(pt.seat) | _present(pt.geom)
    zones_with_ptce = {z for z, ok in zip(pt.zone, footprint, strict=True) if ok and z}
    reason = np.full(n, None, dtype=object)
    for i in range(n):
        if ptce_id[i] is not None:
            continue
        if terr.zone[i] is None:
            reason[i] = "no geometry" if terr.geom[i] is None else "outside every zone"
        elif terr.zone[i] not in zones_with_ptce or terr.geom[i] is not None:
            reason[i] = "no PTCE in zone"
        else:
            reason[i] = "no geometry"
    return pd.DataFrame(
        {
            "territory_id": terr.ids,
            "territory_nom": terr.text("nom"),
            "territory_statut": terr.text("statut"),
            "zone": terr.zone,
            "ptce_id": ptce_id,
            "ptce_nom": ptce_nom,
            "relation": relation,
            "distance_km": dist,
            "seat_distance_km": seat_dist,
            "reason": reason,
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
        the national rows with ``region="France"``. Populations are sums of
        the ``population`` column (missing when there is no such column):
        ``population_with_ptce`` lives in territories that overlap a PTCE or
        have one within ``radius_km``, ``population_without_ptce`` in the
        ``n_none`` class; unlocated territories are in neither.

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
    overlap_ids = set(rows.loc[rows["relation"] == "overlap", "territory_id"].astype(str))
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
    population = (
        pd.to_numeric(frame["population"], errors="coerce").fillna(0).to_numpy(dtype=float)
        if has_pop
        else np.zeros(len(frame))
    )
    statuts = sorted({s for s in statut if s is not None}, key=lambda s: (s != "TH", s))
    has_region = "region_nom" in frame.columns or "region" in frame.columns
    groups = [(r, region.to_numpy() == r) for r in sorted(set(region))] if has_region else []
    groups.append(("France", np.ones(len(frame), dtype=bool)))
    out = []
    for name, in_region in groups:
        for st in [*statuts, "ensemble"]:
            mask = in_region & ((statut == st).to_numpy() if st != "ensemble" else True)
            c = cls[mask]
            pop = population[mask]
            with_ptce = np.isin(c, ["overlap", "10km", "radius"])
            out.append(
                {
                    "region": name,
                    "statut": st,
                    "radius_km": float(radius_km),
                    "n_territories": int(mask.sum()),
                    "n_overlap": int((c == "overlap").sum()),
                    "n_within_10km": int((c == "10km").sum()),
                    "n_within_radius": int((c == "radius").sum()),
                    "n_none": int((c == "none").sum()),
                    "n_unlocated": int((c == "unlocated").sum()),
                    "population": int(pop.sum()) if has_pop else None,
                    "population_with_ptce": int(pop[with_ptce].sum()) if has_pop else None,
                    "population_without_ptce": int(pop[c == "none"].sum()) if has_pop else None,
                }
            )
    table = pd.DataFrame(out, columns=SUMMARY_COLUMNS)
    for column in ("population", "population_with_ptce", "population_without_ptce"):
        table[column] = table[column].astype("Int64")
    return table


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
        from .communes import load_communes

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
    tree = shapely.STRtree(c_geom[c_ok])
    n = len(geoms)
    found = np.full(n, -1)
    dist = np.full(n, np.nan)
    p_ok = np.flatnonzero(_present(geoms))
    inside = commune_under(geoms[p_ok], c_geom[c_ok], c_codes[c_ok], tree=tree)
    found[p_ok[inside >= 0]] = c_ok[inside[inside >= 0]]
    dist[p_ok[inside >= 0]] = 0.0
    rest = p_ok[found[p_ok] < 0]
    if len(rest):
        _nearest_outside(geoms, rest, c_geom, c_ok, c_codes, tree, max_distance_km, found, dist)
    codes = np.where(found >= 0, c_codes[np.maximum(found, 0)], None).astype(object)  # type: ignore[attr-defined]
    out = pd.DataFrame({"code_insee": codes}, index=series.index)
    if "nom" in communes.columns:
        names = communes["nom"].astype(object).to_numpy()
        out["nom"] = np.where(found >= 0, names[np.maximum(found, 0)], None)
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
