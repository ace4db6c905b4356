"""The synergy tables: every territory–PTCE pair within a radius, each territory's nearest PTCE.

:func:`synergies` and :func:`nearest_ptce` check and prepare their inputs
(:mod:`geo.analysis.inputs`), find and measure the pairs
(:mod:`geo.analysis.pairs`) and build the table users get: ids and names,
relation, distances, shared communes, common area and how sure each relation
is. Pure functions on (Geo)DataFrames: nothing here reads files, draws or
touches the network (the only data the inputs may load is the commune table of
:func:`geo.load_communes`, to build a PTCE's area of action from its INSEE
codes). Every distance and area is measured in the legal metric CRS of the
zone of both geometries (:data:`geo.crs.ZONES`); a territory and a PTCE in
different zones are never measured against each other. Candidate pairs come
from spatial indexes (:class:`shapely.STRtree`), never from an all-pairs loop.
The constants named below live in :mod:`geo.analysis.relations`.

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

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._core.geoarrays import has_geometry, metric_crs, with_geometry
from geo.analysis.inputs import Side, and_none, factorized_text, prepare, ranks, text_column
from geo.analysis.links import pair_lines
from geo.analysis.pairs import measure_pairs
from geo.analysis.relations import (
    APPROXIMATE_TERRITORY_PRECISIONS,
    LABELS_FR,
    RANK,
    RELATIONS,
)
from geo.crs import ZONES
from geo.errors import ArgumentError

__all__ = [
    "LINK_GEOMETRY",
    "NEAREST_COLUMNS",
    "SYNERGY_COLUMNS",
    "nearest_ptce",
    "synergies",
]

#: Name of the geometry column of :func:`synergies` and :func:`nearest_ptce`: the link
#: line from the PTCE seat to the territory (not ``geometry``, which the inputs hold).
LINK_GEOMETRY = "link_geometry"

#: Columns of :func:`synergies`, in order.
SYNERGY_COLUMNS = [
    "territory_id",
    "territory_nom",
    "territory_statut",
    "ptce_id",
    "ptce_nom",
    "territory_zone",
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
    "territory_zone",
    "ptce_id",
    "ptce_nom",
    "relation",
    "distance_km",
    "seat_distance_km",
    "reason",
]


def _synergy_frame(
    pairs: dict[str, np.ndarray], shared: np.ndarray, terr: Side, ptce: Side, geometry: bool
) -> pd.DataFrame:
    """Build the synergy table of measured pairs, sorted by territory, relation, distance, PTCE.

    With ``geometry``, a GeoDataFrame whose geometry is each pair's link line.
    """
    order = np.lexsort(
        (
            ranks(ptce.ids)[pairs["p"]] if len(ptce.id_array) else pairs["p"],
            pairs["_sort_distance"].astype(float),
            pairs["rank"],
            ranks(terr.ids)[pairs["t"]] if len(terr.id_array) else pairs["t"],
        )
    )
    pairs = {key: values[order] for key, values in pairs.items()}
    t, p = pairs["t"], pairs["p"]
    t_prec = terr.text("precision")
    p_prec = ptce.text("precision")
    t_approx = np.isin(t_prec.astype(str), list(APPROXIMATE_TERRITORY_PRECISIONS))[t]
    p_approx = np.array([v is not None and v != "communes" for v in p_prec], dtype=bool)[p]
    linked = pairs["rank"] <= RANK["adjacent"]
    through_area = t_approx | (p_approx & ~pairs["_seat_only"].astype(bool))
    approximate = linked & through_area
    certainty = _certainty(pairs, shared, terr, t, through_area)
    zone_names = np.array(list(ZONES), dtype=object)
    table = pd.DataFrame(
        {
            "territory_id": terr.id_column(t),
            "territory_nom": terr.column("nom", t),
            "territory_statut": terr.column("statut", t),
            "ptce_id": text_column(ptce.ids, p),
            "ptce_nom": ptce.column("nom", p),
            "territory_zone": text_column(zone_names, pairs["zone"]),
            "relation": text_column(np.array(RELATIONS, dtype=object), pairs["rank"]),
            "distance_km": pairs["distance_km"],
            "seat_distance_km": pairs["seat_distance_km"],
            "shared_communes": text_column(shared, pairs["shared_communes"]),
            "overlap_area_km2": pairs["overlap_area_km2"],
            "overlap_share_pct": pairs["overlap_share_pct"],
            "territory_precision": terr.column("precision", t),
            "ptce_precision": ptce.column("precision", p),
            "approximate": approximate.astype(bool),
            "certainty": certainty,
            "relation_fr": _relation_fr(pairs["rank"], certainty),
        }
    )
    table.attrs["metric_crs"] = metric_crs(zone_names[np.unique(pairs["zone"])])
    if not geometry:
        return table
    lines = pair_lines(terr, ptce, t, p, zone_names[pairs["zone"]])
    return with_geometry(table, LINK_GEOMETRY, lines)


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
    return text_column(texts, rank.astype(np.intp) * len(_CERTAINTY_CODES) + codes)


def _certainty(
    pairs: dict[str, np.ndarray],
    shared: np.ndarray,
    terr: Side,
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
        for k in np.flatnonzero(drawn_larger & (pairs["rank"] == RANK["overlap"])):
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
    geometry: bool = True,
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
    geometry
        ``True``: a GeoDataFrame with the link lines. ``False``: the same
        table as a plain DataFrame, without drawing the lines (faster: for a
        table, a count or a join where the lines are not needed).

    Returns
    -------
    GeoDataFrame or DataFrame
        Columns :data:`SYNERGY_COLUMNS`, then (with ``geometry``) the active
        geometry column :data:`LINK_GEOMETRY` (``"link_geometry"``), in
        EPSG:4326: a LineString from the PTCE seat to the nearest point of the
        territory, computed in the zone's metric CRS (zero length when the
        seat is inside; ``None`` when the territory has no geometry or the
        PTCE no seat, as for a PTCE placed at département level). One row
        per pair, sorted by
        territory id, relation (overlap, adjacent, near), distance and PTCE id.
        ``relation`` is defined in the module documentation; ``territory_zone``
        is the zone of the territory, in whose legal CRS the pair was measured
        (its PTCE is in the same zone); ``distance_km`` is 0
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
        ``table.attrs["radius_km"]`` records the radius used and
        ``table.attrs["metric_crs"]`` the metric CRS of each zone measured
        (``{"metropole": "EPSG:2154", "reunion": "EPSG:2975"}``). No column
        has the name of a column of :func:`geo.load_territories` or
        :func:`geo.load_ptce`: merging either on ``territory_id`` or
        ``ptce_id`` adds no ``_x``/``_y`` column.

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
    >>> table.geometry.name, table.crs.to_string(), table.attrs["metric_crs"]["metropole"]
    ('link_geometry', 'EPSG:4326', 'EPSG:2154')
    """
    terr, pt = prepare(territories, ptce, ptce_areas, make_valid)
    radius_m = _radius_m(radius_km)
    pairs, shared = measure_pairs(terr, pt, radius_m, nearest=False)
    keep = pairs["rank"] != RANK["far"]
    kept = {key: values[keep] for key, values in pairs.items()}
    table = _synergy_frame(kept, shared, terr, pt, geometry)
    table.attrs["radius_km"] = float(radius_km)
    return table


def nearest_ptce(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    *,
    radius_km: float = 20,
    ptce_areas: gpd.GeoSeries | None = None,
    make_valid: bool = False,
    geometry: bool = True,
) -> pd.DataFrame:
    """Find the nearest PTCE of every territory, in the territory's zone.

    Parameters
    ----------
    territories, ptce, ptce_areas, make_valid, geometry
        As in :func:`synergies`.
    radius_km
        Beyond this distance the relation is ``"far"`` instead of ``"near"``.

    Returns
    -------
    GeoDataFrame or DataFrame
        Columns :data:`NEAREST_COLUMNS` then, with ``geometry``, the link line
        to the nearest PTCE as in :func:`synergies` (``None`` when there is
        none); ``attrs`` as in :func:`synergies`, ``territory_zone`` the zone
        of the territory. One row per territory in input
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
    terr, pt = prepare(territories, ptce, ptce_areas, make_valid)
    pairs, _ = measure_pairs(terr, pt, _radius_m(radius_km), nearest=True)
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
    footprint = has_geometry(pt.seat) | has_geometry(pt.geom)
    zones_with_ptce = sorted({z for z, ok in zip(pt.zone, footprint, strict=True) if ok and z})
    no_zone = pd.isna(terr.zone)
    no_geom = ~has_geometry(terr.geom)
    in_zone_with = np.isin(terr.zone.astype(str), zones_with_ptce) & ~no_zone
    reasons = np.array(["no geometry", "outside every zone", "no PTCE in zone", None], object)
    why = np.where(
        no_zone,
        np.where(no_geom, 0, 1),
        np.where(~in_zone_with | ~no_geom, 2, 0),
    )
    why[best_p >= 0] = 3
    everything = np.arange(n)
    table = pd.DataFrame(
        {
            "territory_id": terr.id_column(),
            "territory_nom": terr.column("nom", everything),
            "territory_statut": terr.column("statut", everything),
            "territory_zone": factorized_text(terr.zone),
            "ptce_id": text_column(and_none(pt.ids), best_p),
            "ptce_nom": text_column(and_none(pt.text("nom")), best_p),
            "relation": text_column(np.array([*RELATIONS, None], dtype=object), rank),
            "distance_km": dist,
            "seat_distance_km": seat_dist,
            "reason": text_column(reasons, why),
        }
    )[NEAREST_COLUMNS]
    table.attrs["radius_km"] = float(radius_km)  # "near" vs "far" depends on it
    table.attrs["metric_crs"] = metric_crs(np.asarray(terr.zone, dtype=object)[best_p >= 0])
    if not geometry:
        return table
    return with_geometry(table, LINK_GEOMETRY, pair_lines(terr, pt, everything, best_p, terr.zone))
