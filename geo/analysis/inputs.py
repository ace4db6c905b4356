"""Check the two input tables of the synergy measures and reduce them to arrays.

Each table (territories, PTCE) is checked once (GeoDataFrame, CRS, longitude/
latitude coordinates, unique non-empty ids, valid polygons, known zones: every
problem named, raised once) and becomes a :class:`Side`: ids, zone, geometry
and PTCE seat in WGS84, INSEE codes. A PTCE's area of action is its polygon,
the ``ptce_areas`` given, or the union of the communes of its ``codes_insee``
(the only data this module loads, :func:`geo.reference.communes.load_communes`).
Also here: how pandas stores the text columns made from these arrays. Measures
nothing (:mod:`geo.analysis.pairs` does).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._core.geoarrays import has_geometry, wgs84_geometry
from geo._core.warn import warn
from geo.analysis.relations import UNMEASURED_PTCE_PRECISIONS
from geo.crs import WGS84, ZONES, zone_of_code, zone_of_geometry
from geo.errors import (
    ArgumentError,
    CRSError,
    GeoWarning,
    InvalidGeometryError,
    SchemaError,
    format_problems,
)
from geo.reference.cog import register as register_cache
from geo.reference.names import normalise_code

__all__ = [
    "MissingAreaWarning",
    "Side",
    "and_none",
    "check_frames",
    "factorized_text",
    "prepare",
    "ranks",
    "text_column",
]


class MissingAreaWarning(GeoWarning):
    """PTCE list INSEE codes that have no commune boundary: left out of their area."""


@dataclass
class Side:
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
        """``ids[at]`` (all by default) as a new DataFrame stores it (see :func:`text_column`)."""
        n = len(self.id_array) if at is None else len(at)
        if n and _STRINGS != np.dtype(object) and self.id_array.dtype == _STRINGS:
            # Non-empty strings: what pandas would make of them.
            return self.id_array if at is None else self.id_array.take(at)
        return text_column(self.ids, np.arange(n) if at is None else at)

    def text(self, column: str) -> np.ndarray:
        """Return a column as an object array (``None`` when absent or missing)."""
        if column not in self.frame.columns:
            return np.full(len(self.frame), None, dtype=object)
        values = self.frame[column].astype(object).to_numpy(copy=True)
        values[pd.isna(values)] = None
        return values

    def column(self, column: str, at: np.ndarray):
        """``text(column)[at]`` as a new DataFrame stores it (see :func:`text_column`)."""
        if column in self.frame.columns and _STRINGS != np.dtype(object):
            series = self.frame[column]
            if series.dtype == _STRINGS:  # already strings: take them as they are
                if len(at) and series.notna().to_numpy()[at].any():
                    return series.array.take(at)
                return np.full(len(at), None, dtype=object)
        return text_column(self.text(column), at)


def check_frames(named: dict[str, object]) -> dict[str, Any]:
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
        if pd.Index(text).is_unique:  # the usual case, without counting (an Index: less memory)
            continue
        for value, count in text[text.duplicated(keep=False)].value_counts(sort=False).items():
            problems.append(f"{name}: id {value!r} appears {count} times")
    if problems:
        raise SchemaError(format_problems(f"{len(problems)} invalid ids", problems), problems)
    return stripped_ids


def _check_valid(
    geoms: np.ndarray,
    ids: np.ndarray | pd.api.extensions.ExtensionArray,
    name: str,
    make_valid: bool,
) -> np.ndarray:
    present = has_geometry(geoms)
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
    todo = pd.isna(zone) & has_geometry(geoms)
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


def _prepare_territories(territories: gpd.GeoDataFrame, make_valid: bool, ids: Any) -> Side:
    frame = pd.DataFrame(territories).reset_index(drop=True)
    geoms = _check_valid(
        wgs84_geometry(territories, "territories"), ids, "territories", make_valid
    )
    codes = _codes_column(frame)
    zone = _zones(frame, geoms, codes, "territories")
    seat = np.full(len(frame), None, dtype=object)
    return Side(frame, ids, zone, geoms, seat, codes)


def _prepare_ptce(ptce: gpd.GeoDataFrame, ptce_areas, make_valid: bool, stripped: Any) -> Side:
    frame = pd.DataFrame(ptce).reset_index(drop=True)
    ids = np.asarray(stripped, dtype=object)
    geoms = _check_valid(wgs84_geometry(ptce, "ptce"), ids, "ptce", make_valid)
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
        has = has_geometry(given)
        area[has] = given[has]
    need = [i for i in range(len(frame)) if area[i] is None and codes[i]]
    if need:
        built = _areas_from_codes([codes[i] for i in need], [ids[i] for i in need])
        for i, geom in zip(need, built, strict=True):
            area[i] = geom
    zone = _zones(frame, np.where(has_geometry(seat), seat, area), codes, "ptce")
    return Side(frame, ids, zone, area, seat, codes)


def _align_areas(ptce_areas, ptce: gpd.GeoDataFrame, ids: np.ndarray, make_valid: bool):
    if not isinstance(ptce_areas, gpd.GeoSeries):
        raise ArgumentError(
            f"ptce_areas must be a GeoSeries (indexed like ptce or by PTCE id), "
            f"got {type(ptce_areas).__name__}"
        )
    values = wgs84_geometry(ptce_areas, "ptce_areas")
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


def _boundaries_of(codes: set[str]) -> dict[str, object]:
    """Return the boundary of each of these commune (or arrondissement) codes that has one.

    Only the départements of the codes are read when the commune table is not
    in memory yet (all of it when a code names no known département).
    """
    from geo.reference.cog import departements
    from geo.reference.communes import MissingGeometryWarning, load_communes

    wanted = {code[:3] if code.startswith("97") else code[:2] for code in codes}
    with warnings.catch_warnings():
        # a commune without a boundary matters only if an area lists it: said by the caller
        warnings.simplefilter("ignore", MissingGeometryWarning)
        if wanted <= set(departements()["code"]):
            communes = load_communes(types=("COM", "ARM"), departements=sorted(wanted))
        else:
            communes = load_communes(types=("COM", "ARM"))
    listed = communes["code_insee"].isin(codes).to_numpy()
    geoms = communes.geometry.values.to_numpy()[listed]
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return dict(
        zip(communes["code_insee"].to_numpy()[listed][present], geoms[present], strict=True)
    )


def _areas_from_codes(code_sets: list[frozenset[str]], ids: list[str]) -> list[object]:
    """Union of the commune boundaries of each code set (cached)."""
    key_of = [(settings.vintage, codes) for codes in code_sets]
    missing = [k for k in key_of if k not in _AREA_CACHE]
    if missing:
        by_code = _boundaries_of(set().union(*(key[1] for key in missing)))
        unknown: list[str] = []
        for key, pid in zip(key_of, ids, strict=True):
            if key not in missing or key in _AREA_CACHE:
                continue
            parts = [by_code.get(c) for c in sorted(key[1])]
            bad = [c for c, g in zip(sorted(key[1]), parts, strict=True) if g is None]
            if bad:
                unknown.append(f"{pid!r}: {', '.join(bad)}")
            parts = [g for g in parts if g is not None]  # none empty: see _boundaries_of
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


def prepare(territories, ptce, ptce_areas, make_valid) -> tuple[Side, Side]:
    """Check both inputs (raising once with every id problem) and prepare each side."""
    ids = check_frames({"territories": territories, "ptce": ptce})
    return (
        _prepare_territories(territories, make_valid, ids["territories"]),
        _prepare_ptce(ptce, ptce_areas, make_valid, ids["ptce"]),
    )


_STRINGS = pd.DataFrame({"x": np.array(["a"], dtype=object)})["x"].dtype


def text_column(values: np.ndarray, at: np.ndarray):
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


def and_none(values: np.ndarray) -> np.ndarray:
    """``values`` and ``None`` after them, as an object array (position -1: missing)."""
    return np.concatenate([np.asarray(values, dtype=object), np.array([None], dtype=object)])


def factorized_text(values: np.ndarray):
    """:func:`text_column` of all of ``values``, converting each distinct value once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    small = and_none(np.asarray(uniques, dtype=object))
    return text_column(small, np.where(codes < 0, len(small) - 1, codes))


def ranks(ids: np.ndarray) -> np.ndarray:
    """Rank of each id in the sort order of the ids (equal ids, equal ranks)."""
    return np.unique(ids.astype(str), return_inverse=True)[1].reshape(-1)
