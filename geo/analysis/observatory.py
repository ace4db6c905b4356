"""Observatory analyses: where synergies exist, where they are missing, how they grew.

Built on the synergy tables of :mod:`geo.analysis.synergies` (its public functions only):
which territories have a PTCE to lean on and which are isolated
(:func:`opportunities`), whether that answer hinges on the radius
(:func:`radius_sensitivity`), the same by région (:func:`opportunity_summary`)
and how territories, PTCE and their co-location grew year after year
(:func:`timeline`). Pure functions on (Geo)DataFrames: nothing here reads
files, draws or touches the network (charts live in :mod:`geo.publish.charts`).

Categories
----------
Every territory falls in exactly one category for a radius *r*:

``"co-localisé"`` (*co-located*)
    It overlaps a PTCE (relation ``"overlap"`` of :func:`geo.synergies`).
``"proche"`` (*near*)
    No overlap, a PTCE adjacent or within *r* km (edge to edge, measured as
    :func:`geo.synergies` does, in the legal metric CRS of the zone).
``"isolé"`` (*isolated*)
    Located, and no PTCE within *r* km (possibly none in its zone: pairs in
    different zones are never measured).
``"non mesurable"`` (*not measurable*)
    No perimeter (or one outside every zone) and no shared commune with a
    PTCE: the ``reason`` column says which.

Distances to PTCE placed at département level only (``precision`` in
:data:`geo.analysis.synergies.UNMEASURED_PTCE_PRECISIONS`) are never measured; such
PTCE of a territory's département are counted in
``n_ptce_unmeasured_departement`` and named in ``flags``, and a link found
through an approximate perimeter is flagged ``approximate``, so nothing
approximate is silently counted as precise.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis import synergies as analysis
from geo.crs import zone_of_code, zone_of_geometry
from geo.errors import ArgumentError, SchemaError, format_problems

__all__ = [
    "CATEGORIES",
    "CATEGORY_EN",
    "LABELS_FR",
    "OPPORTUNITY_COLUMNS",
    "OPPORTUNITY_SUMMARY_COLUMNS",
    "PTCE_OPPORTUNITY_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "TIMELINE_COLUMNS",
    "TIMELINE_START",
    "UNKNOWN_DATE",
    "opportunities",
    "opportunity_summary",
    "radius_sensitivity",
    "recognition_year",
    "timeline",
]

#: Territory categories in French (the values of the ``category`` column), in order.
CATEGORIES = ("co-localisé", "proche", "isolé", "non mesurable")

#: English names of the categories (the ``category_en`` column).
CATEGORY_EN = {
    "co-localisé": "co-located",
    "proche": "near",
    "isolé": "isolated",
    "non mesurable": "not measurable",
    "PTCE sans TZ": "PTCE without TZ",
}

#: First year of :func:`timeline` (the first TZCLD habilitations, November 2016).
TIMELINE_START = 2016

#: Label of the :func:`timeline` row of rows without a usable date.
UNKNOWN_DATE = "date inconnue"

#: Columns of :func:`opportunities` (``by="territory"``), in order.
OPPORTUNITY_COLUMNS = [
    "territory_id",
    "territory_nom",
    "statut",
    "region",
    "region_nom",
    "departement",
    "population",
    "zone",
    "category",
    "category_en",
    "reason",
    "nearest_ptce_id",
    "nearest_ptce_nom",
    "relation",
    "distance_km",
    "n_ptce_within_radius",
    "n_ptce_overlap",
    "support_ptce_id",
    "support_ptce_nom",
    "territory_precision",
    "ptce_precision",
    "approximate",
    "n_ptce_unmeasured_departement",
    "flags",
]

#: Columns of :func:`opportunities` with ``by="ptce"``, in order.
PTCE_OPPORTUNITY_COLUMNS = [
    "ptce_id",
    "ptce_nom",
    "region",
    "region_nom",
    "departement",
    "zone",
    "category",
    "category_en",
    "reason",
    "n_territories_overlap",
    "n_territories_near",
    "territories_overlap",
    "territories_near",
    "nearest_th_id",
    "nearest_th_nom",
    "nearest_th_distance_km",
    "nearest_pe_id",
    "nearest_pe_nom",
    "nearest_pe_distance_km",
    "ptce_precision",
    "approximate",
    "flags",
]

#: Columns of :func:`radius_sensitivity`, in order.
SENSITIVITY_COLUMNS = [
    "radius_km",
    "region",
    "statut",
    "n_territories",
    "n_colocated",
    "n_near",
    "n_isolated",
    "n_unmeasurable",
    "n_with_ptce_probable",
    "share_with_ptce_pct",
]

#: Columns of :func:`opportunity_summary`, in order.
OPPORTUNITY_SUMMARY_COLUMNS = [
    "region",
    "radius_km",
    "n_th",
    "n_th_with_ptce",
    "n_th_with_ptce_probable",
    "n_th_isolated",
    "n_th_unmeasurable",
    "share_th_with_ptce_pct",
    "population_th",
    "population_th_exact",
    "population_th_approx",
    "n_th_population_unknown",
    "population_th_with_ptce",
    "population_th_with_ptce_exact",
    "n_th_with_ptce_population_unknown",
    "population_th_without_ptce",
    "population_th_without_ptce_exact",
    "n_th_without_ptce_population_unknown",
    "n_pe",
    "n_pe_with_support_ptce",
    "n_ptce",
    "n_ptce_without_tz",
]

#: Columns of :func:`timeline`, in order.
TIMELINE_COLUMNS = [
    "year",
    "period",
    "th_new",
    "th_total",
    "pe_new",
    "pe_total",
    "ptce_new",
    "ptce_total",
    "pairs_colocated_new",
    "pairs_colocated_total",
    "pairs_near_new",
    "pairs_near_total",
]

#: French display labels of the columns of this module's tables.
LABELS_FR = {
    "territory_id": "Identifiant du territoire",
    "territory_nom": "Territoire",
    "statut": "Statut",
    "region": "Région",
    "region_nom": "Région",
    "departement": "Département",
    "population": "Population",
    "zone": "Zone",
    "category": "Catégorie",
    "category_en": "Catégorie (anglais)",
    "reason": "Motif",
    "nearest_ptce_id": "Identifiant du PTCE le plus proche",
    "nearest_ptce_nom": "PTCE le plus proche",
    "relation": "Relation",
    "distance_km": "Distance (km)",
    "n_ptce_within_radius": "PTCE dans le rayon",
    "n_ptce_overlap": "PTCE qui chevauchent",
    "support_ptce_id": "Identifiant du PTCE d'appui possible",
    "support_ptce_nom": "PTCE d'appui possible",
    "territory_precision": "Précision du périmètre du territoire",
    "ptce_precision": "Précision du périmètre du PTCE",
    "approximate": "Périmètre approché",
    "n_ptce_unmeasured_departement": "PTCE du département non localisés",
    "flags": "Signalements",
    "ptce_id": "Identifiant du PTCE",
    "ptce_nom": "PTCE",
    "n_territories_overlap": "Territoires qui chevauchent",
    "n_territories_near": "Territoires proches",
    "territories_overlap": "Territoires qui chevauchent (identifiants)",
    "territories_near": "Territoires proches (identifiants)",
    "nearest_th_id": "Identifiant du TH le plus proche",
    "nearest_th_nom": "TH le plus proche",
    "nearest_th_distance_km": "Distance au TH le plus proche (km)",
    "nearest_pe_id": "Identifiant du PE le plus proche",
    "nearest_pe_nom": "PE le plus proche",
    "nearest_pe_distance_km": "Distance au PE le plus proche (km)",
    "radius_km": "Rayon (km)",
    "n_territories": "Territoires",
    "n_colocated": "Co-localisés",
    "n_near": "Proches",
    "n_isolated": "Isolés",
    "n_unmeasurable": "Non mesurables",
    "n_with_ptce_probable": "dont lien probable seulement (périmètre approché)",
    "share_with_ptce_pct": "Part avec un PTCE dans le rayon (%)",
    "n_th": "TH",
    "n_th_with_ptce": "TH avec un PTCE dans le rayon",
    "n_th_with_ptce_probable": "dont lien probable seulement (périmètre approché)",
    "n_th_isolated": "TH isolés",
    "n_th_unmeasurable": "TH non mesurables",
    "share_th_with_ptce_pct": "Part des TH avec un PTCE (%)",
    "population_th": "Population connue des TH",
    "population_th_exact": "dont exacte (communes entières)",
    "population_th_approx": "dont approchée (EPCI, chiffre cité, QPV)",
    "n_th_population_unknown": "TH de population inconnue (non comptés)",
    "population_th_with_ptce": "Population connue des TH avec un PTCE",
    "population_th_with_ptce_exact": "dont exacte",
    "n_th_with_ptce_population_unknown": "TH avec un PTCE de population inconnue",
    "population_th_without_ptce": "Population connue des TH sans PTCE",
    "population_th_without_ptce_exact": "dont exacte",
    "n_th_without_ptce_population_unknown": "TH sans PTCE de population inconnue",
    "n_pe": "PE",
    "n_pe_with_support_ptce": "PE avec un PTCE d'appui possible",
    "n_ptce": "PTCE",
    "n_ptce_without_tz": "PTCE sans TZ",
    "year": "Année",
    "period": "Période",
    "th_new": "TH habilités dans l'année",
    "th_total": "TH habilités (cumul)",
    "pe_new": "PE connus dans l'année",
    "pe_total": "PE connus (cumul)",
    "ptce_new": "PTCE reconnus dans l'année",
    "ptce_total": "PTCE reconnus (cumul)",
    "pairs_colocated_new": "Nouvelles paires co-localisées",
    "pairs_colocated_total": "Paires co-localisées (cumul)",
    "pairs_near_new": "Nouvelles paires proches",
    "pairs_near_total": "Paires proches (cumul)",
}

# Internal category keys, in order of strength.
_KEYS = ("colocated", "near", "isolated", "unmeasurable")
_FR = dict(zip(_KEYS, CATEGORIES, strict=True))
_LINKED = ("overlap", "adjacent", "near")
_RANK = {"overlap": 0, "adjacent": 1, "near": 2, "far": 3}
_REASON_FR = {
    "no geometry": "périmètre non localisé",
    "outside every zone": "périmètre hors des zones connues",
    "no PTCE in zone": "aucun PTCE localisé dans sa zone",
}
_PAIR_COLUMNS = ("territory_id", "ptce_id", "relation", "distance_km")


# --- checks -----------------------------------------------------------------------------


def _radius(value: object, name: str = "radius_km") -> float:
    try:
        radius = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        radius = math.nan
    if not math.isfinite(radius) or radius < 0:
        raise ArgumentError(f"{name} must be a finite number of kilometres >= 0, got {value!r}")
    return radius


def _check_ids(frame: object, name: str) -> pd.DataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise SchemaError(
            f"{name} must be a GeoDataFrame, got {type(frame).__name__}: load it with "
            f"geo.load_{'ptce' if name == 'ptce' else 'territories'}()"
        )
    if "id" not in frame.columns:
        raise SchemaError(f"{name} has no 'id' column (one unique identifier per row)")
    return frame


def _pair_table(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    table: pd.DataFrame | None,
    radius_km: float,
) -> pd.DataFrame:
    """Return the synergy table to use: the one given (checked), or computed once."""
    if table is None:
        return analysis.synergies(territories, ptce, radius_km=radius_km)
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


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
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


def _region_labels(frame: pd.DataFrame) -> np.ndarray:
    """Région name, else code, else ``"Non renseignée"`` (as in :func:`geo.synergy_summary`)."""
    name, code = _text(frame, "region_nom"), _text(frame, "region")
    return np.array(
        [n or c or "Non renseignée" for n, c in zip(name, code, strict=True)], dtype=object
    )


def _population(frame: pd.DataFrame) -> pd.Series:
    if "population" not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    values = pd.to_numeric(frame["population"], errors="coerce")
    return values.round().astype("Int64")


def _geometry_present(frame: gpd.GeoDataFrame) -> np.ndarray:
    geoms = frame.geometry
    return ~(geoms.isna() | geoms.is_empty).to_numpy()


def _zones(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Zone per row as :func:`geo.synergies` places it: ``zone`` column, geometry, codes."""
    zone = _text(frame, "zone")
    todo = np.flatnonzero(pd.isna(zone) & _geometry_present(frame))
    if len(todo):
        zone[todo] = zone_of_geometry(frame.geometry.iloc[todo]).to_numpy()
    codes = _text(frame, "codes_insee")
    for i in np.flatnonzero(pd.isna(zone)):
        if codes[i]:
            first = sorted(c.strip() for c in codes[i].replace(",", ";").split(";") if c.strip())
            zone[i] = zone_of_code(first[0]) if first else None
    return zone


def _ptce_measurable(ptce: gpd.GeoDataFrame) -> np.ndarray:
    """PTCE with a seat or an area that :func:`geo.synergies` measures."""
    present = _geometry_present(ptce)
    polygonal = np.zeros(len(ptce), dtype=bool)
    polygonal[present] = ptce.geometry[present].geom_type.isin(["Polygon", "MultiPolygon"])
    placeholder = np.isin(
        _text(ptce, "precision").astype(str), list(analysis.UNMEASURED_PTCE_PRECISIONS)
    )
    codes = _text(ptce, "codes_insee")
    return (present & (~placeholder | polygonal)) | np.array(
        [c is not None for c in codes], dtype=bool
    )


def _departements(value: object) -> list[str]:
    if value is None:
        return []
    return [d.strip().upper() for d in str(value).replace(",", ";").split(";") if d.strip()]


# --- per-territory classification ----------------------------------------------------------------


@dataclass(frozen=True)
class _Measured:
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


def _positions(values: pd.Series, index: np.ndarray) -> np.ndarray:
    """Position in ``index`` of each value (-1 when absent), factorising first.

    Large synergy tables hold few distinct ids: matching the distinct ones only
    avoids converting a million strings one by one.
    """
    codes, uniques = pd.factorize(values)
    lookup = pd.Index(index).get_indexer(np.asarray(uniques, dtype=object).astype(str))
    return np.append(lookup, -1)[codes]  # factorize gives -1 to missing values


def _measure(territories: gpd.GeoDataFrame, table: pd.DataFrame) -> _Measured:
    ids = territories["id"].astype(str).str.strip().to_numpy()
    pairs = table[table["relation"].isin(_LINKED).to_numpy()].reset_index(drop=True)
    t = _positions(pairs["territory_id"], ids)
    area = (
        pd.to_numeric(pairs["overlap_area_km2"], errors="coerce").fillna(0.0).to_numpy(float)
        if "overlap_area_km2" in pairs.columns
        else np.zeros(len(pairs))
    )
    return _Measured(
        ids=ids,
        zone=_zones(territories),
        has_geometry=_geometry_present(territories),
        pairs=pairs,
        t=t.astype(int),
        rank=_positions(pairs["relation"], np.array(_LINKED, dtype=object)),
        dist=pd.to_numeric(pairs["distance_km"], errors="coerce").to_numpy(dtype=float),
        area=area,
        sure=(
            (pairs["certainty"] == "sûr").to_numpy(dtype=bool)
            if "certainty" in pairs.columns
            else np.ones(len(pairs), dtype=bool)
        ),
    )


def _best_rows(
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


# --- opportunities ---------------------------------------------------------------------------


def opportunities(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    radius_km: float = 20,
    by: str = "territory",
) -> pd.DataFrame:
    """Tell, for each territory (or each PTCE), whether a partner lies within reach.

    Parameters
    ----------
    territories, ptce
        As in :func:`geo.synergies` (e.g. :func:`geo.load_territories` and
        :func:`geo.load_ptce`). Used when present: ``statut`` (``"TH"``
        habilité, ``"PE"`` projet émergent), ``region``, ``region_nom``,
        ``departement``, ``population``, ``precision``.
    synergies
        A table from :func:`geo.synergies` of these inputs computed with a
        radius of at least ``radius_km`` (so one computation serves several
        analyses); computed here when omitted.
    radius_km
        The proximity radius, in kilometres.
    by
        ``"territory"``: one row per territory; ``"ptce"``: one row per PTCE.

    Returns
    -------
    DataFrame
        ``by="territory"``: columns :data:`OPPORTUNITY_COLUMNS`, one row per
        territory in input order. ``category`` is one of :data:`CATEGORIES`
        (``category_en`` its English name, see the module documentation);
        ``reason`` says why a row is not measurable, or that no PTCE is
        located in its zone. ``nearest_ptce_*``, ``relation`` and
        ``distance_km`` describe the nearest PTCE (the strongest relation,
        then the shortest distance), beyond the radius too (relation
        ``"far"``, from :func:`geo.nearest_ptce`). ``support_ptce_*`` ("PTCE
        d'appui possible") is that PTCE for a ``"PE"`` row when it lies
        within the radius. ``approximate`` is true when the territory's
        perimeter is approximate (``precision`` in
        :data:`geo.analysis.synergies.APPROXIMATE_TERRITORY_PRECISIONS`) or the link to
        the nearest PTCE is (``approximate`` of :func:`geo.synergies`);
        ``n_ptce_unmeasured_departement`` counts the PTCE of the territory's
        département that are placed at département level only and never
        measured; ``flags`` lists these caveats in French.

        ``by="ptce"``: columns :data:`PTCE_OPPORTUNITY_COLUMNS`, one row per
        PTCE in input order: the territories overlapping it or within the
        radius (counts and ";"-joined ids), the category ``"co-localisé"``,
        ``"proche"``, ``"PTCE sans TZ"`` (none within the radius) or
        ``"non mesurable"`` (no seat and no area: placed at département level
        or not at all), and the nearest TH and PE with their distance. Beyond
        the radius that distance is measured from the PTCE's geometry (its
        seat, or its area when the geometry is a polygon) and its communes.

        ``table.attrs["radius_km"]`` records the radius.

    Raises
    ------
    ArgumentError
        ``by`` is neither ``"territory"`` nor ``"ptce"``, a bad radius, or a
        ``synergies`` table computed with a smaller radius.
    SchemaError, CRSError, InvalidGeometryError
        As in :func:`geo.synergies`.

    Examples
    --------
    >>> import geo
    >>> table = geo.opportunities(geo.load_territories(), geo.load_ptce(), radius_km=20)
    >>> sorted(set(table["category"]) - set(CATEGORIES))
    []
    >>> isolated = table[(table["statut"] == "TH") & (table["category"] == "isolé")]
    """
    if by not in ("territory", "ptce"):
        raise ArgumentError(f"by must be 'territory' or 'ptce', got {by!r}")
    radius = _radius(radius_km)
    _check_ids(territories, "territories")
    _check_ids(ptce, "ptce")
    table = _pair_table(territories, ptce, synergies, radius)
    if by == "ptce":
        out = _by_ptce(territories, ptce, table, radius)
    else:
        out = _by_territory(territories, ptce, table, radius)
    out.attrs["radius_km"] = radius
    return out


def _by_territory(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, table: pd.DataFrame, radius: float
) -> pd.DataFrame:
    frame = pd.DataFrame(territories).reset_index(drop=True)
    m = _measure(territories, table)
    key, n_within, n_overlap = m.classes(radius)
    n = len(frame)
    ids = m.ids
    statut = _text(frame, "statut")
    p_nom = dict(zip(ptce["id"].astype(str).str.strip(), _text(ptce, "nom"), strict=True))
    p_prec = dict(zip(ptce["id"].astype(str).str.strip(), _text(ptce, "precision"), strict=True))

    nearest_id = np.full(n, None, dtype=object)
    relation = np.full(n, None, dtype=object)
    dist = np.full(n, np.nan)
    pair_approx = np.zeros(n, dtype=bool)
    within = np.flatnonzero(m.within(radius))
    p_ids = m.pairs["ptce_id"].astype(str).to_numpy()
    t_rows, rows = _best_rows(
        m.t[within], m.rank[within], m.dist[within], m.area[within], p_ids[within]
    )
    rows = within[rows]
    nearest_id[t_rows] = p_ids[rows]
    relation[t_rows] = m.pairs["relation"].to_numpy()[rows]
    dist[t_rows] = m.dist[rows]
    if "approximate" in m.pairs.columns:
        pair_approx[t_rows] = m.pairs["approximate"].fillna(False).to_numpy(dtype=bool)[rows]
    reason = m.reasons(key)
    # Beyond the radius: the nearest PTCE of the located territories without one within it.
    far = np.flatnonzero(key == "isolated")
    if len(far):
        # Only PTCE with a seat or an area can be nearest: the others are not even prepared.
        near = analysis.nearest_ptce(
            territories.iloc[far], ptce[_ptce_measurable(ptce)], radius_km=radius
        )
        found = near["ptce_id"].notna().to_numpy()
        nearest_id[far[found]] = near["ptce_id"].to_numpy()[found]
        relation[far[found]] = near["relation"].to_numpy()[found]
        dist[far[found]] = near["distance_km"].to_numpy(dtype=float)[found]
        reason[far[~found]] = near["reason"].to_numpy()[~found]
    nearest_nom = np.array([p_nom.get(i) if i else None for i in nearest_id], dtype=object)
    ptce_precision = np.array([p_prec.get(i) if i else None for i in nearest_id], dtype=object)

    linked = np.isin(key, ["colocated", "near"])
    is_pe = statut == "PE"
    support_id = np.where(is_pe & linked, nearest_id, None)  # type: ignore[call-overload]
    support_nom = np.where(is_pe & linked, nearest_nom, None)  # type: ignore[call-overload]

    t_prec = _text(frame, "precision")
    approx_perimeter = np.isin(t_prec.astype(str), list(analysis.APPROXIMATE_TERRITORY_PRECISIONS))
    unmeasured = _unmeasured_by_departement(ptce)
    departement = _text(frame, "departement")
    n_unmeasured = np.array(
        [sum(unmeasured.get(d, 0) for d in _departements(v)) for v in departement], dtype=int
    )
    flags = []
    for i in range(n):
        notes = []
        if approx_perimeter[i]:
            notes.append(f"périmètre approché ({t_prec[i]})")
        if pair_approx[i]:
            notes.append("lien établi sur un périmètre approché")
        if n_unmeasured[i]:
            notes.append(
                f"{n_unmeasured[i]} PTCE du département connus au niveau du département "
                "seulement (distance non mesurée)"
            )
        flags.append("; ".join(notes) or None)

    category = np.array([_FR[k] for k in key], dtype=object)
    out = pd.DataFrame(
        {
            "territory_id": ids,
            "territory_nom": _text(frame, "nom"),
            "statut": statut,
            "region": _text(frame, "region"),
            "region_nom": _text(frame, "region_nom"),
            "departement": departement,
            "population": _population(frame).to_numpy(),
            "zone": m.zone,
            "category": category,
            "category_en": [CATEGORY_EN[c] for c in category],
            "reason": [_REASON_FR.get(r, r) if r else None for r in reason],
            "nearest_ptce_id": nearest_id,
            "nearest_ptce_nom": nearest_nom,
            "relation": relation,
            "distance_km": dist,
            "n_ptce_within_radius": n_within,
            "n_ptce_overlap": n_overlap,
            "support_ptce_id": support_id,
            "support_ptce_nom": support_nom,
            "territory_precision": t_prec,
            "ptce_precision": ptce_precision,
            "approximate": approx_perimeter | pair_approx,
            "n_ptce_unmeasured_departement": n_unmeasured,
            "flags": flags,
        }
    )
    out["population"] = out["population"].astype("Int64")
    return out[OPPORTUNITY_COLUMNS]


def _unmeasured_by_departement(ptce: gpd.GeoDataFrame) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ok, dep in zip(_ptce_measurable(ptce), _text(ptce, "departement"), strict=True):
        if not ok:
            for d in _departements(dep):
                counts[d] = counts.get(d, 0) + 1
    return counts


def _by_ptce(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, table: pd.DataFrame, radius: float
) -> pd.DataFrame:
    frame = pd.DataFrame(ptce).reset_index(drop=True)
    ids = frame["id"].astype(str).str.strip().to_numpy()
    n = len(ids)
    m = _measure(territories, table)
    within = m.within(radius)
    pairs = m.pairs[within].reset_index(drop=True)
    t_pos, rank, t_dist, area = m.t[within], m.rank[within], m.dist[within], m.area[within]
    t_statut = _text(territories, "statut")
    t_nom = _text(territories, "nom")
    p_pos = _positions(pairs["ptce_id"], ids)
    over_ids: list[set[str]] = [set() for _ in range(n)]
    near_ids: list[set[str]] = [set() for _ in range(n)]
    for p_i, t_i, r in zip(p_pos, t_pos, rank, strict=True):
        (over_ids if r == 0 else near_ids)[p_i].add(m.ids[t_i])
    near_ids = [near - over for near, over in zip(near_ids, over_ids, strict=True)]
    measurable = _ptce_measurable(ptce)
    key = np.where(measurable, "PTCE sans TZ", "non mesurable").astype(object)
    n_near = np.array([len(s) for s in near_ids], dtype=int)
    n_over = np.array([len(s) for s in over_ids], dtype=int)
    key[n_near > 0] = "proche"
    key[n_over > 0] = "co-localisé"
    prec = _text(frame, "precision")
    reason = np.full(n, None, dtype=object)
    for i in np.flatnonzero(key == "non mesurable"):
        reason[i] = (
            "PTCE connu au niveau du département seulement"
            if prec[i] == "departement"
            else "PTCE non localisé (ni siège ni aire d'action)"
        )

    nearest: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for statut in ("TH", "PE"):
        nid = np.full(n, None, dtype=object)
        nnom = np.full(n, None, dtype=object)
        ndist = np.full(n, np.nan)
        mine = np.flatnonzero(t_statut[t_pos] == statut)
        groups, rows = _best_rows(
            p_pos[mine], rank[mine], t_dist[mine], area[mine], m.ids[t_pos[mine]]
        )
        rows = mine[rows]
        nid[groups] = m.ids[t_pos[rows]]
        nnom[groups] = t_nom[t_pos[rows]]
        ndist[groups] = t_dist[rows]
        todo = np.flatnonzero(pd.isna(nid) & measurable)
        candidates = territories[t_statut == statut]
        if len(todo) and len(candidates):
            far = _nearest_territory(ptce.iloc[todo], candidates, radius)
            found = far["ptce_id"].notna().to_numpy()
            nid[todo[found]] = far["ptce_id"].to_numpy()[found]
            nnom[todo[found]] = far["ptce_nom"].to_numpy()[found]
            ndist[todo[found]] = far["distance_km"].to_numpy(dtype=float)[found]
        nearest[statut] = (nid, nnom, ndist)

    approx = measurable & ~np.isin(prec.astype(str), ["communes"])
    flags = []
    for i in range(n):  # type: ignore[assignment]
        notes = []
        if prec[i] in ("epci", "siege"):
            notes.append(
                "aire d'action connue au niveau de l'EPCI"
                if prec[i] == "epci"
                else "aire d'action inconnue : distance mesurée depuis le siège"
            )
        elif key[i] != "non mesurable" and approx[i]:
            notes.append(f"précision de l'aire d'action : {prec[i] or 'non renseignée'}")
        flags.append("; ".join(notes) or None)
    out = pd.DataFrame(
        {
            "ptce_id": ids,
            "ptce_nom": _text(frame, "nom"),
            "region": _text(frame, "region"),
            "region_nom": _text(frame, "region_nom"),
            "departement": _text(frame, "departement"),
            "zone": _zones(ptce),
            "category": key,
            "category_en": [CATEGORY_EN[k] for k in key],
            "reason": reason,
            "n_territories_overlap": n_over,
            "n_territories_near": n_near,
            "territories_overlap": [";".join(sorted(s)) or None for s in over_ids],
            "territories_near": [";".join(sorted(s)) or None for s in near_ids],
            "nearest_th_id": nearest["TH"][0],
            "nearest_th_nom": nearest["TH"][1],
            "nearest_th_distance_km": nearest["TH"][2],
            "nearest_pe_id": nearest["PE"][0],
            "nearest_pe_nom": nearest["PE"][1],
            "nearest_pe_distance_km": nearest["PE"][2],
            "ptce_precision": prec,
            "approximate": approx,
            "flags": flags,
        }
    )
    return out[PTCE_OPPORTUNITY_COLUMNS]


def _nearest_territory(
    ptce: gpd.GeoDataFrame, territories: gpd.GeoDataFrame, radius: float
) -> pd.DataFrame:
    """Nearest territory of each PTCE: :func:`geo.nearest_ptce` with the roles swapped."""
    keep = [c for c in ("id", "nom", "codes_insee", "zone") if c in ptce.columns]
    as_territories = gpd.GeoDataFrame(ptce[keep].copy(), geometry=ptce.geometry.copy())
    present = _geometry_present(ptce)
    polygonal = np.zeros(len(ptce), dtype=bool)
    polygonal[present] = ptce.geometry[present].geom_type.isin(["Polygon", "MultiPolygon"])
    placeholder = np.isin(
        _text(ptce, "precision").astype(str), list(analysis.UNMEASURED_PTCE_PRECISIONS)
    )
    if (placeholder & ~polygonal).any():  # a map-only point is not a seat
        geoms = as_territories.geometry.copy()
        geoms[placeholder & ~polygonal] = None
        as_territories = as_territories.set_geometry(geoms)
    keep = [c for c in ("id", "nom", "codes_insee", "zone") if c in territories.columns]
    as_ptce = gpd.GeoDataFrame(territories[keep].copy(), geometry=territories.geometry.copy())
    return analysis.nearest_ptce(as_territories, as_ptce, radius_km=radius)


# --- radius sensitivity and summary ------------------------------------------------------------


def _radii(radii: Iterable[float]) -> list[float]:
    try:
        values = [_radius(r, "radii") for r in radii]
    except TypeError:
        raise ArgumentError(f"radii must be a list of kilometres, got {radii!r}") from None
    if not values:
        raise ArgumentError("radii must list at least one radius in kilometres")
    return sorted(set(values))


def radius_sensitivity(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    radii: Sequence[float] = (5, 10, 20, 30, 50),
    *,
    synergies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count territories by category for several radii, nationally and by région.

    The pairs are measured once, with the largest radius (one
    :func:`geo.synergies` computation, i.e. one set of spatial-index queries);
    each smaller radius filters them by distance, so the counts at each radius
    are exactly those of ``synergies(..., radius_km=r)``.

    Parameters
    ----------
    territories, ptce
        As in :func:`opportunities`.
    radii
        Radii in kilometres (sorted, duplicates dropped).
    synergies
        A table from :func:`geo.synergies` computed with a radius of at least
        ``max(radii)``; computed here when omitted.

    Returns
    -------
    DataFrame
        Columns :data:`SENSITIVITY_COLUMNS`: for each radius, one row per
        région (as in :func:`geo.synergy_summary`) and statut (each value,
        then ``"ensemble"``), then the national rows (``region="France"``).
        ``share_with_ptce_pct`` is the share of the measurable territories
        that are co-located or near (NaN when none is measurable);
        ``n_with_ptce_probable`` counts those of them whose every link within
        the radius is only ``probable`` or ``non mesurable``.

    Raises
    ------
    ArgumentError
        Empty or negative radii, or a ``synergies`` table computed with a
        smaller radius than ``max(radii)``.

    Examples
    --------
    >>> import geo
    >>> table = geo.radius_sensitivity(geo.load_territories(), geo.load_ptce(), (10, 20))
    >>> sorted(set(table["radius_km"]))
    [10.0, 20.0]
    >>> national = table[(table["region"] == "France") & (table["statut"] == "TH")]
    """
    values = _radii(radii)
    _check_ids(territories, "territories")
    _check_ids(ptce, "ptce")
    table = _pair_table(territories, ptce, synergies, values[-1])
    frame = pd.DataFrame(territories).reset_index(drop=True)
    region = _region_labels(frame)
    statut = _text(frame, "statut")
    has_region = "region_nom" in frame.columns or "region" in frame.columns
    groups = [(r, region == r) for r in sorted(set(region))] if has_region else []
    groups.append(("France", np.ones(len(frame), dtype=bool)))
    statuts = sorted({s for s in statut if s}, key=lambda s: (s != "TH", s))
    measured = _measure(territories, table)  # once: the smaller radii filter its pairs
    rows = []
    for radius in values:
        key = measured.classes(radius)[0]
        probable = measured.only_probable(radius)
        for name, in_region in groups:
            for st in [*statuts, "ensemble"]:
                mask = in_region & ((statut == st) if st != "ensemble" else True)
                counts = {k: int((key[mask] == k).sum()) for k in _KEYS}
                measurable = int(mask.sum()) - counts["unmeasurable"]
                with_ptce = counts["colocated"] + counts["near"]
                rows.append(
                    {
                        "radius_km": radius,
                        "region": name,
                        "statut": st,
                        "n_territories": int(mask.sum()),
                        "n_colocated": counts["colocated"],
                        "n_near": counts["near"],
                        "n_isolated": counts["isolated"],
                        "n_unmeasurable": counts["unmeasurable"],
                        "n_with_ptce_probable": int((probable & mask).sum()),
                        "share_with_ptce_pct": (
                            100.0 * with_ptce / measurable if measurable else math.nan
                        ),
                    }
                )
    out = pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
    out.attrs["radii_km"] = values
    return out


def opportunity_summary(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    radius_km: float = 20,
) -> pd.DataFrame:
    """Summarise the opportunities by région: TH with and without a PTCE within reach.

    Parameters
    ----------
    territories, ptce, synergies, radius_km
        As in :func:`opportunities`.

    Returns
    -------
    DataFrame
        Columns :data:`OPPORTUNITY_SUMMARY_COLUMNS`, one row per région of the
        territories (as in :func:`geo.synergy_summary`), then ``"France"``.
        ``n_th_with_ptce`` counts the TH co-located with or near a PTCE,
        ``share_th_with_ptce_pct`` their share of the measurable TH;
        ``n_th_with_ptce_probable`` those of them whose every link is only
        ``probable`` or ``non mesurable`` (an approximate perimeter).
        Populations are sums of *known* populations only, split as in
        :func:`geo.synergy_summary`: ``population_th = population_th_exact +
        population_th_approx``, and ``n_th_population_unknown`` TH are left out
        (likewise ``_with_ptce``: TH with a PTCE within the radius, and
        ``_without_ptce``: isolated TH; non-measurable TH are in neither;
        missing without a ``population`` column). ``n_pe_with_support_ptce`` counts the PE with
        a possible support PTCE; ``n_ptce`` and ``n_ptce_without_tz`` count
        the PTCE of the région (by their own ``region`` columns) and those
        measurable with no territory within the radius.

    Raises
    ------
    ArgumentError, SchemaError
        As in :func:`opportunities`.

    Examples
    --------
    >>> import geo
    >>> summary = geo.opportunity_summary(geo.load_territories(), geo.load_ptce())
    >>> summary["region"].iloc[-1]
    'France'
    """
    radius = _radius(radius_km)
    _check_ids(territories, "territories")
    _check_ids(ptce, "ptce")
    table = _pair_table(territories, ptce, synergies, radius)
    frame = pd.DataFrame(territories).reset_index(drop=True)
    measured = _measure(territories, table)
    key = measured.classes(radius)[0]
    region = _region_labels(frame)
    statut = _text(frame, "statut")
    has_pop = "population" in frame.columns
    known, exact, population = analysis.population_parts(frame)
    probable = measured.only_probable(radius)
    p_frame = pd.DataFrame(ptce).reset_index(drop=True)
    p_region = _region_labels(p_frame)
    p_ids = p_frame["id"].astype(str).str.strip().to_numpy()
    linked_ptce = set(measured.pairs["ptce_id"].astype(str)[measured.within(radius)])
    p_alone = _ptce_measurable(ptce) & ~np.isin(p_ids, list(linked_ptce))
    names = sorted(set(region) | ({r for r in p_region} if "region" in frame.columns else set()))
    if not ("region_nom" in frame.columns or "region" in frame.columns):
        names = []
    rows = []
    for name in [*names, "France"]:
        in_r = np.ones(len(frame), bool) if name == "France" else region == name
        in_p = np.ones(len(p_ids), bool) if name == "France" else p_region == name
        th = in_r & (statut == "TH")
        pe = in_r & (statut == "PE")
        with_ptce = th & np.isin(key, ["colocated", "near"])
        isolated = th & (key == "isolated")
        unmeasurable = th & (key == "unmeasurable")
        measurable = int(th.sum() - unmeasurable.sum())

        def total(rows: np.ndarray, part: np.ndarray = known) -> Any:
            return int(population[rows & part].sum()) if has_pop else None

        def unknown(rows: np.ndarray) -> Any:
            return int((rows & ~known).sum()) if has_pop else None

        rows.append(
            {
                "region": name,
                "radius_km": radius,
                "n_th": int(th.sum()),
                "n_th_with_ptce": int(with_ptce.sum()),
                "n_th_with_ptce_probable": int((with_ptce & probable).sum()),
                "n_th_isolated": int(isolated.sum()),
                "n_th_unmeasurable": int(unmeasurable.sum()),
                "share_th_with_ptce_pct": (
                    100.0 * with_ptce.sum() / measurable if measurable else math.nan
                ),
                "population_th": total(th),
                "population_th_exact": total(th, exact),
                "population_th_approx": total(th, known & ~exact),
                "n_th_population_unknown": unknown(th),
                "population_th_with_ptce": total(with_ptce),
                "population_th_with_ptce_exact": total(with_ptce, exact),
                "n_th_with_ptce_population_unknown": unknown(with_ptce),
                "population_th_without_ptce": total(isolated),
                "population_th_without_ptce_exact": total(isolated, exact),
                "n_th_without_ptce_population_unknown": unknown(isolated),
                "n_pe": int(pe.sum()),
                "n_pe_with_support_ptce": int((pe & np.isin(key, ["colocated", "near"])).sum()),
                "n_ptce": int(in_p.sum()),
                "n_ptce_without_tz": int((in_p & p_alone).sum()),
            }
        )
    out = pd.DataFrame(rows, columns=OPPORTUNITY_SUMMARY_COLUMNS)
    for column in OPPORTUNITY_SUMMARY_COLUMNS:
        if column.startswith(("population", "n_th_population", "n_th_with_ptce_pop")) or (
            column.startswith("n_th_without_ptce_pop")
        ):
            out[column] = out[column].astype("Int64")
    out.attrs["radius_km"] = radius
    return out


# --- timeline -------------------------------------------------------------------------------

_LEADING_YEAR = re.compile(r"^\s*[~≈]?\s*((?:19|20)\d{2})(?!\d)")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_SOURCE_DATE = re.compile(r"date de la source\s*:\s*[~≈]?\s*((?:19|20)\d{2})(?!\d)", re.I)


def _year(value: object, *, trailing: bool = True) -> int | None:
    """Return the year of a number, a date, or a text that starts with a year."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, _dt.date):
        return value.year
    if isinstance(value, int | float | np.integer | np.floating):
        if not math.isfinite(float(value)) or float(value) != int(value):
            return None
        year = int(value)
        return year if 1900 <= year <= 2099 else None
    text = str(value).strip()
    if not text:
        return None
    match = _LEADING_YEAR.match(text)
    if match:
        return int(match.group(1))
    if trailing:
        # "24/04/2024", "avril 2024": a date whose year comes last, nothing else before it.
        found = _ANY_YEAR.findall(text)
        if len(found) == 1 and re.fullmatch(r"[\d\s/.\-a-zéûèôA-Z]*", text):
            return int(found[0])
    return None


def recognition_year(value: object) -> int | None:
    """Year a PTCE was recognised by the State, from its ``soutien_etat`` text.

    Only a text that opens with the year counts (``"2021 (AMI « PTCE
    émergents », lauréat phase 1)"`` -> 2021, ``"2014"`` -> 2014, a number or a
    date too); a candidature, a result not found or an empty cell give
    ``None`` (date unknown), never a guess.

    Parameters
    ----------
    value
        A cell of the ``soutien_etat`` column.

    Returns
    -------
    int or None
        The year, or ``None`` when the text does not say it.

    Examples
    --------
    >>> recognition_year("2023 (AMI PTCE, 15 lauréats le 17 oct. 2023) ; candidat AMI 2021")
    2023
    >>> recognition_year("candidature au 2e appel à projets national PTCE (2015), non retenue")
    """
    return _year(value, trailing=False)


def _territory_years(frame: pd.DataFrame) -> np.ndarray:
    """TH: year of ``date_habilitation``; PE: ``Date de la source`` of ``notes``."""
    statut = _text(frame, "statut")
    habilitation = (
        frame["date_habilitation"].astype(object).to_numpy()
        if "date_habilitation" in frame.columns
        else np.full(len(frame), None, dtype=object)
    )
    notes = _text(frame, "notes")
    years = np.full(len(frame), None, dtype=object)
    for i in range(len(frame)):
        if statut[i] == "PE":
            match = _SOURCE_DATE.search(notes[i] or "")
            years[i] = int(match.group(1)) if match else None
        else:
            years[i] = _year(habilitation[i])
    return years


def timeline(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    radius_km: float = 20,
    start: int = TIMELINE_START,
    end: int | None = None,
) -> pd.DataFrame:
    """Count territories, PTCE and their co-located or near pairs year after year.

    Dates come from the data: a TH from the year of ``date_habilitation``; a
    PE is "known" from the ``Date de la source : YYYY`` its ``notes`` give
    (the shipped data's convention); a PTCE is recognised in the year that
    opens its ``soutien_etat`` text (:func:`recognition_year`: State support,
    AMI). A pair (from :func:`geo.synergies` within ``radius_km``) counts
    from the year both sides existed. Rows without a usable date are counted
    once, in the last row ``"date inconnue"``, never spread over the years.

    Parameters
    ----------
    territories, ptce, synergies, radius_km
        As in :func:`opportunities`.
    start
        First year shown; its row also counts what happened before (e.g. the
        PTCE recognised in 2014 are in the 2016 row of ``ptce_new``).
    end
        Last year shown; by default the current year, or the latest year of
        the data when later (nothing dated is ever dropped).

    Returns
    -------
    DataFrame
        Columns :data:`TIMELINE_COLUMNS`: one row per year ``start..end``
        (``year``, ``period`` its text) then one row ``period="date
        inconnue"`` (``year`` missing, ``*_new`` the counts without a date,
        ``*_total`` missing). ``*_new`` count what appeared that year,
        ``*_total`` the cumulative counts; ``pairs_colocated_*`` count
        overlapping pairs, ``pairs_near_*`` the adjacent or near ones.

    Raises
    ------
    ArgumentError
        ``end`` earlier than ``start`` or than the latest dated row, a bad
        radius, a ``synergies`` table computed with a smaller radius.

    Examples
    --------
    >>> import geo
    >>> table = geo.timeline(geo.load_territories(), geo.load_ptce())
    >>> table["period"].iloc[[0, -1]].tolist()
    ['2016', 'date inconnue']
    """
    radius = _radius(radius_km)
    _check_ids(territories, "territories")
    _check_ids(ptce, "ptce")
    table = _pair_table(territories, ptce, synergies, radius)
    frame = pd.DataFrame(territories).reset_index(drop=True)
    p_frame = pd.DataFrame(ptce).reset_index(drop=True)
    statut = _text(frame, "statut")
    t_year = _territory_years(frame)
    soutien = (
        p_frame["soutien_etat"].astype(object).to_numpy()
        if "soutien_etat" in p_frame.columns
        else np.full(len(p_frame), None, dtype=object)
    )
    p_year = np.array([recognition_year(v) for v in soutien], dtype=object)
    t_of = dict(zip(frame["id"].astype(str).str.strip(), t_year, strict=True))
    p_of = dict(zip(p_frame["id"].astype(str).str.strip(), p_year, strict=True))
    measured = _measure(territories, table)
    pairs = measured.pairs[measured.within(radius)]
    pair_year = np.array(
        [
            None if t_of.get(t) is None or p_of.get(p) is None else max(t_of[t], p_of[p])
            for t, p in zip(
                pairs["territory_id"].astype(str), pairs["ptce_id"].astype(str), strict=True
            )
        ],
        dtype=object,
    )
    colocated = (pairs["relation"] == "overlap").to_numpy()
    series = {
        "th": t_year[statut == "TH"],
        "pe": t_year[statut == "PE"],
        "ptce": p_year,
        "pairs_colocated": pair_year[colocated],
        "pairs_near": pair_year[~colocated],
    }
    known = [int(y) for values in series.values() for y in values if y is not None]
    current = _dt.date.today().year
    if end is None:
        end = max([current, *known])
    start, end = int(start), int(end)
    if end < start:
        raise ArgumentError(f"end ({end}) is earlier than start ({start})")
    if known and max(known) > end:
        raise ArgumentError(
            f"end={end} would drop rows dated up to {max(known)}: leave end out or raise it"
        )
    years = list(range(start, end + 1))
    out: dict[str, list] = {"year": [*years, None], "period": [*map(str, years), UNKNOWN_DATE]}
    for name, values in series.items():
        dated = np.array([max(int(y), start) for y in values if y is not None], dtype=int)
        new = [int((dated == y).sum()) for y in years]
        out[f"{name}_new"] = [*new, int(sum(y is None for y in values))]
        out[f"{name}_total"] = [*np.cumsum(new).tolist(), None]
    result = pd.DataFrame(out)
    for column in result.columns:
        if column != "period":
            result[column] = result[column].astype("Int64")
    result.attrs["radius_km"] = radius
    return result[TIMELINE_COLUMNS]
