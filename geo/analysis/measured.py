"""A synergy table read back per territory: its category at any radius, and the input columns.

The observatory's analyses (:mod:`geo.analysis.observatory`,
:mod:`geo.analysis.summaries`, :mod:`geo.analysis.timeline`) share these
steps: check their arguments, take the synergy table given (checked against
the inputs) or compute it once, read the territories' columns as text, and
hold the linked pairs as arrays (:class:`Measured`) from which each radius
gives every territory its category (see :mod:`geo.analysis.observatory`).
Pure functions on (Geo)DataFrames; builds no result table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.relations import UNMEASURED_PTCE_PRECISIONS
from geo.analysis.synergies import synergies as compute_synergies
from geo.crs import zone_of_code, zone_of_geometry
from geo.errors import ArgumentError, SchemaError, format_problems

__all__ = [
    "KEYS",
    "Measured",
    "best_rows",
    "check_ids",
    "check_radius",
    "column_text",
    "geometry_present",
    "linked_pairs",
    "pair_table",
    "positions_in",
    "ptce_measurable",
    "region_labels",
    "zone_column",
]

#: Internal category keys, in order of strength.
KEYS = ("colocated", "near", "isolated", "unmeasurable")
_LINKED = ("overlap", "adjacent", "near")
_PAIR_COLUMNS = ("territory_id", "ptce_id", "relation", "distance_km")


# --- checks -----------------------------------------------------------------------------


def check_radius(value: object, name: str = "radius_km") -> float:
    """Return a radius in kilometres, or raise ArgumentError for a negative or non-number."""
    try:
        radius = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        radius = math.nan
    if not math.isfinite(radius) or radius < 0:
        raise ArgumentError(f"{name} must be a finite number of kilometres >= 0, got {value!r}")
    return radius


def check_ids(frame: object, name: str) -> pd.DataFrame:
    """Return ``frame`` if it is a GeoDataFrame with an ``id`` column, else raise SchemaError."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise SchemaError(
            f"{name} must be a GeoDataFrame, got {type(frame).__name__}: load it with "
            f"geo.load_{'ptce' if name == 'ptce' else 'territories'}()"
        )
    if "id" not in frame.columns:
        raise SchemaError(f"{name} has no 'id' column (one unique identifier per row)")
    return frame


def pair_table(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    table: pd.DataFrame | None,
    radius_km: float,
) -> pd.DataFrame:
    """Return the synergy table to use: the one given (checked), or computed once."""
    if table is None:
        return compute_synergies(territories, ptce, radius_km=radius_km, geometry=False)
    if not isinstance(table, pd.DataFrame):
        raise ArgumentError(
            f"synergies must be a table from geo.synergies(), got {type(table).__name__}"
        )
    missing = [c for c in _PAIR_COLUMNS if c not in table.columns]
    if missing:
        raise SchemaError(
            f"the synergies table has no {', '.join(map(repr, missing))} column: "
            "pass a table from geo.synergies()"
        )
    used = table.attrs.get("radius_km", radius_km)
    if used < radius_km:
        raise ArgumentError(
            f"the synergies table was computed with radius_km={used:g}, less than the "
            f"{radius_km:g} km asked: compute it again with "
            f"synergies(..., radius_km={radius_km:g})"
        )
    unknown = []
    for column, frame, what in (
        ("territory_id", territories, "territory"),
        ("ptce_id", ptce, "PTCE"),
    ):
        values = np.asarray(table[column].unique(), dtype=object)  # each id once
        known = frame["id"].astype(str).str.strip().to_numpy(dtype=object)
        missing = values[~np.isin(values.astype(str), known.astype(str))]  # type: ignore[assignment]
        unknown += [f"{what} {v!r}" for v in sorted(map(str, missing))]
    if unknown:
        raise SchemaError(
            format_problems(
                f"{len(unknown)} ids of the synergies table are not in the inputs "
                "(compute the table from these territories and PTCE)",
                unknown,
            ),
            unknown,
        )
    return table


# --- columns of the inputs -------------------------------------------------------------------


def column_text(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return a column as stripped strings (object array), ``None`` when missing or empty."""
    if column not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    out = np.full(len(frame), None, dtype=object)
    values = frame[column].astype(object).to_numpy()
    for i, value in enumerate(values):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            continue
        text = str(value).strip()
        out[i] = text or None
    return out


def region_labels(frame: pd.DataFrame) -> np.ndarray:
    """Région name, else code, else ``"Non renseignée"`` (as in :func:`geo.synergy_summary`)."""
    name, code = column_text(frame, "region_nom"), column_text(frame, "region")
    return np.array(
        [n or c or "Non renseignée" for n, c in zip(name, code, strict=True)], dtype=object
    )


def geometry_present(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Mask of the rows with a non-empty geometry."""
    geoms = frame.geometry
    return ~(geoms.isna() | geoms.is_empty).to_numpy()


def zone_column(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Zone per row as :func:`geo.synergies` places it: ``zone`` column, geometry, codes."""
    zone = column_text(frame, "zone")
    todo = np.flatnonzero(pd.isna(zone) & geometry_present(frame))
    if len(todo):
        zone[todo] = zone_of_geometry(frame.geometry.iloc[todo]).to_numpy()
    codes = column_text(frame, "codes_insee")
    for i in np.flatnonzero(pd.isna(zone)):
        if codes[i]:
            first = sorted(c.strip() for c in codes[i].replace(",", ";").split(";") if c.strip())
            zone[i] = zone_of_code(first[0]) if first else None
    return zone


def ptce_measurable(ptce: gpd.GeoDataFrame) -> np.ndarray:
    """PTCE with a seat or an area that :func:`geo.synergies` measures."""
    present = geometry_present(ptce)
    polygonal = np.zeros(len(ptce), dtype=bool)
    polygonal[present] = ptce.geometry[present].geom_type.isin(["Polygon", "MultiPolygon"])
    placeholder = np.isin(
        column_text(ptce, "precision").astype(str), list(UNMEASURED_PTCE_PRECISIONS)
    )
    codes = column_text(ptce, "codes_insee")
    return (present & (~placeholder | polygonal)) | np.array(
        [c is not None for c in codes], dtype=bool
    )


# --- per-territory classification ----------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """The territories and their linked pairs as arrays, prepared once for every radius."""

    ids: np.ndarray  # territory ids (str), input order
    zone: np.ndarray  # zone of each territory, or None
    has_geometry: np.ndarray  # bool per territory
    pairs: pd.DataFrame  # linked rows of the synergy table (overlap, adjacent, near)
    t: np.ndarray  # position of each pair's territory in ``ids``
    rank: np.ndarray  # 0 overlap, 1 adjacent, 2 near
    dist: np.ndarray  # distance_km of each pair
    area: np.ndarray  # overlap_area_km2 of each pair (0 when absent)
    sure: np.ndarray  # certainty "sûr" (every pair when the table has no certainty)

    @property
    def located(self) -> np.ndarray:
        """Territories with a geometry in a known zone."""
        return self.has_geometry & ~pd.isna(self.zone)

    def within(self, radius_km: float) -> np.ndarray:
        """Mask of the pairs linked within ``radius_km`` (overlap and adjacent always are)."""
        return (self.rank < 2) | (self.dist <= radius_km)

    def classes(self, radius_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Category key, PTCE within the radius and overlapping PTCE, per territory."""
        within = self.within(radius_km)
        n = len(self.ids)
        n_within = np.bincount(self.t[within], minlength=n)
        n_overlap = np.bincount(self.t[within & (self.rank == 0)], minlength=n)
        key = np.where(self.located, "isolated", "unmeasurable").astype(object)
        key[n_within > 0] = "near"
        key[n_overlap > 0] = "colocated"
        return key, n_within, n_overlap

    def only_probable(self, radius_km: float) -> np.ndarray:
        """Territories linked within the radius whose every link is not ``sûr``."""
        within = self.within(radius_km)
        n = len(self.ids)
        n_within = np.bincount(self.t[within], minlength=n)
        n_sure = np.bincount(self.t[within & self.sure], minlength=n)
        return (n_within > 0) & (n_sure == 0)

    def reasons(self, key: np.ndarray) -> np.ndarray:
        """Why each non-measurable territory is so (``None`` elsewhere)."""
        reason = np.full(len(self.ids), None, dtype=object)
        unmeasurable = key == "unmeasurable"
        reason[unmeasurable & ~self.has_geometry] = "no geometry"
        reason[unmeasurable & self.has_geometry] = "outside every zone"
        return reason


def positions_in(values: pd.Series, index: np.ndarray) -> np.ndarray:
    """Position in ``index`` of each value (-1 when absent), factorising first.

    Large synergy tables hold few distinct ids: matching the distinct ones only
    avoids converting a million strings one by one.
    """
    codes, uniques = pd.factorize(values)
    lookup = pd.Index(index).get_indexer(np.asarray(uniques, dtype=object).astype(str))
    return np.append(lookup, -1)[codes]  # factorize gives -1 to missing values


def linked_pairs(territories: gpd.GeoDataFrame, table: pd.DataFrame) -> Measured:
    """Hold the territories and the linked pairs of ``table`` as arrays."""
    ids = territories["id"].astype(str).str.strip().to_numpy()
    pairs = table[table["relation"].isin(_LINKED).to_numpy()].reset_index(drop=True)
    t = positions_in(pairs["territory_id"], ids)
    area = (
        pd.to_numeric(pairs["overlap_area_km2"], errors="coerce").fillna(0.0).to_numpy(float)
        if "overlap_area_km2" in pairs.columns
        else np.zeros(len(pairs))
    )
    return Measured(
        ids=ids,
        zone=zone_column(territories),
        has_geometry=geometry_present(territories),
        pairs=pairs,
        t=t.astype(int),
        rank=positions_in(pairs["relation"], np.array(_LINKED, dtype=object)),
        dist=pd.to_numeric(pairs["distance_km"], errors="coerce").to_numpy(dtype=float),
        area=area,
        sure=(
            (pairs["certainty"] == "sûr").to_numpy(dtype=bool)
            if "certainty" in pairs.columns
            else np.ones(len(pairs), dtype=bool)
        ),
    )


def best_rows(
    group: np.ndarray, rank: np.ndarray, dist: np.ndarray, area: np.ndarray, other: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the row of the strongest relation, then the shortest distance.

    Ties go to the larger common area, then the smaller id of the other side
    (the order of :func:`geo.nearest_ptce`). Returns the groups and their rows.
    """
    if not len(group):
        return np.empty(0, dtype=group.dtype), np.empty(0, dtype=int)
    order = np.lexsort((other.astype(str), -area, dist, rank, group))
    first = np.unique(group[order], return_index=True)[1]
    rows = order[first]
    return group[rows], rows
