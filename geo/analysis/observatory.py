"""Observatory opportunities: which territories (or PTCE) have a partner within reach.

Built on the synergy tables of :mod:`geo.analysis.synergies` (its public functions only):
which territories have a PTCE to lean on and which are isolated, and which
PTCE have a territory near them (:func:`opportunities`). The same counted by
région and for several radii lives in :mod:`geo.analysis.summaries`, the
growth year after year in :mod:`geo.analysis.timeline`; :data:`LABELS_FR`
labels the columns of all three. Pure functions on (Geo)DataFrames: nothing
here reads files, draws or touches the network (charts live in
:mod:`geo.publish.charts`).

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
:data:`geo.analysis.relations.UNMEASURED_PTCE_PRECISIONS`) are never measured; such
PTCE of a territory's département are counted in
``n_ptce_unmeasured_departement`` and named in ``flags``, and a link found
through an approximate perimeter is flagged ``approximate``, so nothing
approximate is silently counted as precise.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._core.geoarrays import metric_crs, wgs84_geometry, with_geometry
from geo.analysis.measured import (
    KEYS,
    Measured,
    best_rows,
    check_ids,
    check_radius,
    column_text,
    geometry_present,
    linked_pairs,
    pair_table,
    positions_in,
    ptce_measurable,
    zone_column,
)
from geo.analysis.relations import APPROXIMATE_TERRITORY_PRECISIONS, UNMEASURED_PTCE_PRECISIONS
from geo.analysis.synergies import nearest_ptce
from geo.errors import ArgumentError

__all__ = [
    "CATEGORIES",
    "CATEGORY_EN",
    "LABELS_FR",
    "OPPORTUNITY_COLUMNS",
    "PTCE_GEOMETRY",
    "PTCE_OPPORTUNITY_COLUMNS",
    "TERRITORY_GEOMETRY",
    "opportunities",
]

#: Geometry column of :func:`opportunities` by territory: the territory's geometry.
TERRITORY_GEOMETRY = "territory_geometry"

#: Geometry column of :func:`opportunities` by PTCE: the PTCE's point.
PTCE_GEOMETRY = "ptce_geometry"

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


#: Columns of :func:`opportunities` (``by="territory"``), in order.
OPPORTUNITY_COLUMNS = [
    "territory_id",
    "territory_nom",
    "territory_statut",
    "territory_region",
    "territory_region_nom",
    "territory_departement",
    "territory_population",
    "territory_zone",
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
    "ptce_region",
    "ptce_region_nom",
    "ptce_departement",
    "ptce_zone",
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

#: French display labels of the columns of this module's tables.
LABELS_FR = {
    "territory_id": "Identifiant du territoire",
    "territory_nom": "Territoire",
    "territory_statut": "Statut",
    "territory_region": "Code région",
    "territory_region_nom": "Région",
    "territory_departement": "Département",
    "territory_population": "Population",
    "territory_zone": "Zone",
    "statut": "Statut",
    "region": "Région",
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
    "ptce_region": "Code région",
    "ptce_region_nom": "Région",
    "ptce_departement": "Département",
    "ptce_zone": "Zone",
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

_FR = dict(zip(KEYS, CATEGORIES, strict=True))
_REASON_FR = {
    "no geometry": "périmètre non localisé",
    "outside every zone": "périmètre hors des zones connues",
    "no PTCE in zone": "aucun PTCE localisé dans sa zone",
}


def _population(frame: pd.DataFrame) -> pd.Series:
    if "population" not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    values = pd.to_numeric(frame["population"], errors="coerce")
    return values.round().astype("Int64")


def _departements(value: object) -> list[str]:
    if value is None:
        return []
    return [d.strip().upper() for d in str(value).replace(",", ";").split(";") if d.strip()]


# --- opportunities ---------------------------------------------------------------------------


def opportunities(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    radius_km: float = 20,
    by: str = "territory",
    geometry: bool = True,
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
    geometry
        ``True``: a GeoDataFrame with each row's place. ``False``: the same
        table as a plain DataFrame (for a table or a count).

    Returns
    -------
    GeoDataFrame or DataFrame
        ``by="territory"``: columns :data:`OPPORTUNITY_COLUMNS`, then (with
        ``geometry``) the active geometry column :data:`TERRITORY_GEOMETRY`
        (``"territory_geometry"``): the territory's geometry in EPSG:4326
        (``None`` when it has none). One row per
        territory in input order. Columns describing the territory are named
        ``territory_*`` (``territory_statut``, ``territory_region_nom``,
        ``territory_population``...): merging the table onto
        :func:`geo.load_territories` on ``territory_id`` adds no ``_x``/``_y``
        column. ``category`` is one of :data:`CATEGORIES`
        (``category_en`` its English name, see the module documentation);
        ``reason`` says why a row is not measurable, or that no PTCE is
        located in its zone. ``nearest_ptce_*``, ``relation`` and
        ``distance_km`` describe the nearest PTCE (the strongest relation,
        then the shortest distance), beyond the radius too (relation
        ``"far"``, from :func:`geo.nearest_ptce`). ``support_ptce_*`` ("PTCE
        d'appui possible") is that PTCE for a ``"PE"`` row when it lies
        within the radius. ``approximate`` is true when the territory's
        perimeter is approximate (``precision`` in
        :data:`geo.analysis.relations.APPROXIMATE_TERRITORY_PRECISIONS`) or the link to
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
        With ``geometry``, the active geometry column :data:`PTCE_GEOMETRY`
        (``"ptce_geometry"``) holds the PTCE's geometry in EPSG:4326: its
        seat point (for a PTCE placed at département level, the point that
        places it on a map, never measured). Columns describing the PTCE are
        named ``ptce_*``: merging onto :func:`geo.load_ptce` on ``ptce_id``
        adds no ``_x``/``_y`` column.

        ``table.attrs["radius_km"]`` records the radius and
        ``table.attrs["metric_crs"]`` the legal metric CRS of each zone of the
        rows (``{"metropole": "EPSG:2154", ...}``), in which the distances
        were measured.

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
    >>> isolated = table[(table["territory_statut"] == "TH") & (table["category"] == "isolé")]
    >>> table.geometry.name, table.crs.to_string()
    ('territory_geometry', 'EPSG:4326')
    """
    if by not in ("territory", "ptce"):
        raise ArgumentError(f"by must be 'territory' or 'ptce', got {by!r}")
    radius = check_radius(radius_km)
    check_ids(territories, "territories")
    check_ids(ptce, "ptce")
    table = pair_table(territories, ptce, synergies, radius)
    if by == "ptce":
        out = _by_ptce(territories, ptce, table, radius)
        zones, column, places = out["ptce_zone"], PTCE_GEOMETRY, ptce
    else:
        out = _by_territory(territories, ptce, table, radius)
        zones, column, places = out["territory_zone"], TERRITORY_GEOMETRY, territories
    out.attrs["radius_km"] = radius
    out.attrs["metric_crs"] = metric_crs(zones)
    if not geometry:
        return out
    return with_geometry(
        out, column, wgs84_geometry(places, "ptce" if by == "ptce" else "territories")
    )


def _by_territory(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, table: pd.DataFrame, radius: float
) -> pd.DataFrame:
    frame = pd.DataFrame(territories).reset_index(drop=True)
    m = linked_pairs(territories, table)
    key, n_within, n_overlap = m.classes(radius)
    statut = column_text(frame, "statut")
    p_ids = ptce["id"].astype(str).str.strip()
    p_nom = dict(zip(p_ids, column_text(ptce, "nom"), strict=True))
    p_prec = dict(zip(p_ids, column_text(ptce, "precision"), strict=True))
    nearest_id, relation, dist, pair_approx = _nearest_within(m, radius)
    reason = m.reasons(key)
    _nearest_beyond(territories, ptce, key, radius, nearest_id, relation, dist, reason)
    nearest_nom = np.array([p_nom.get(i) if i else None for i in nearest_id], dtype=object)
    ptce_precision = np.array([p_prec.get(i) if i else None for i in nearest_id], dtype=object)

    linked = np.isin(key, ["colocated", "near"])
    is_pe = statut == "PE"
    support_id = np.where(is_pe & linked, nearest_id, None)  # type: ignore[call-overload]
    support_nom = np.where(is_pe & linked, nearest_nom, None)  # type: ignore[call-overload]

    t_prec = column_text(frame, "precision")
    approx_perimeter = np.isin(t_prec.astype(str), list(APPROXIMATE_TERRITORY_PRECISIONS))
    unmeasured = _unmeasured_by_departement(ptce)
    departement = column_text(frame, "departement")
    n_unmeasured = np.array(
        [sum(unmeasured.get(d, 0) for d in _departements(v)) for v in departement], dtype=int
    )
    category = np.array([_FR[k] for k in key], dtype=object)
    out = pd.DataFrame(
        {
            "territory_id": m.ids,
            "territory_nom": column_text(frame, "nom"),
            "territory_statut": statut,
            "territory_region": column_text(frame, "region"),
            "territory_region_nom": column_text(frame, "region_nom"),
            "territory_departement": departement,
            "territory_population": _population(frame).to_numpy(),
            "territory_zone": m.zone,
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
            "flags": _territory_flags(t_prec, approx_perimeter, pair_approx, n_unmeasured),
        }
    )
    out["territory_population"] = out["territory_population"].astype("Int64")
    return out[OPPORTUNITY_COLUMNS]


def _nearest_within(
    m: Measured, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each territory's best PTCE within the radius: id, relation, distance, approximate."""
    n = len(m.ids)
    nearest_id = np.full(n, None, dtype=object)
    relation = np.full(n, None, dtype=object)
    dist = np.full(n, np.nan)
    pair_approx = np.zeros(n, dtype=bool)
    within = np.flatnonzero(m.within(radius))
    p_ids = m.pairs["ptce_id"].astype(str).to_numpy()
    t_rows, rows = best_rows(
        m.t[within], m.rank[within], m.dist[within], m.area[within], p_ids[within]
    )
    rows = within[rows]
    nearest_id[t_rows] = p_ids[rows]
    relation[t_rows] = m.pairs["relation"].to_numpy()[rows]
    dist[t_rows] = m.dist[rows]
    if "approximate" in m.pairs.columns:
        pair_approx[t_rows] = m.pairs["approximate"].fillna(False).to_numpy(dtype=bool)[rows]
    return nearest_id, relation, dist, pair_approx


def _nearest_beyond(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    key: np.ndarray,
    radius: float,
    nearest_id: np.ndarray,
    relation: np.ndarray,
    dist: np.ndarray,
    reason: np.ndarray,
) -> None:
    """Fill in the nearest PTCE of the isolated territories, beyond the radius (in place)."""
    far = np.flatnonzero(key == "isolated")
    if not len(far):
        return
    # Only PTCE with a seat or an area can be nearest: the others are not even prepared.
    near = nearest_ptce(
        territories.iloc[far], ptce[ptce_measurable(ptce)], radius_km=radius, geometry=False
    )
    found = near["ptce_id"].notna().to_numpy()
    nearest_id[far[found]] = near["ptce_id"].to_numpy()[found]
    relation[far[found]] = near["relation"].to_numpy()[found]
    dist[far[found]] = near["distance_km"].to_numpy(dtype=float)[found]
    reason[far[~found]] = near["reason"].to_numpy()[~found]


def _territory_flags(
    t_prec: np.ndarray,
    approx_perimeter: np.ndarray,
    pair_approx: np.ndarray,
    n_unmeasured: np.ndarray,
) -> list[str | None]:
    """List the caveats of each territory's row, in French (``None`` when none)."""
    flags = []
    for i in range(len(t_prec)):
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
    return flags


def _unmeasured_by_departement(ptce: gpd.GeoDataFrame) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ok, dep in zip(ptce_measurable(ptce), column_text(ptce, "departement"), strict=True):
        if not ok:
            for d in _departements(dep):
                counts[d] = counts.get(d, 0) + 1
    return counts


def _by_ptce(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, table: pd.DataFrame, radius: float
) -> pd.DataFrame:
    frame = pd.DataFrame(ptce).reset_index(drop=True)
    ids = frame["id"].astype(str).str.strip().to_numpy()
    m = linked_pairs(territories, table)
    within = m.within(radius)
    p_pos = positions_in(m.pairs[within].reset_index(drop=True)["ptce_id"], ids)
    over_ids, near_ids = _territories_of_ptce(m, within, p_pos, len(ids))
    measurable = ptce_measurable(ptce)
    n_near = np.array([len(s) for s in near_ids], dtype=int)
    n_over = np.array([len(s) for s in over_ids], dtype=int)
    key = np.where(measurable, "PTCE sans TZ", "non mesurable").astype(object)
    key[n_near > 0] = "proche"
    key[n_over > 0] = "co-localisé"
    prec = column_text(frame, "precision")
    reason = np.full(len(ids), None, dtype=object)
    for i in np.flatnonzero(key == "non mesurable"):
        reason[i] = (
            "PTCE connu au niveau du département seulement"
            if prec[i] == "departement"
            else "PTCE non localisé (ni siège ni aire d'action)"
        )
    nearest = {
        statut: _nearest_of_statut(territories, ptce, m, within, p_pos, measurable, statut, radius)
        for statut in ("TH", "PE")
    }
    approx = measurable & ~np.isin(prec.astype(str), ["communes"])
    out = pd.DataFrame(
        {
            "ptce_id": ids,
            "ptce_nom": column_text(frame, "nom"),
            "ptce_region": column_text(frame, "region"),
            "ptce_region_nom": column_text(frame, "region_nom"),
            "ptce_departement": column_text(frame, "departement"),
            "ptce_zone": zone_column(ptce),
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
            "flags": _ptce_flags(prec, key, approx),
        }
    )
    return out[PTCE_OPPORTUNITY_COLUMNS]


def _territories_of_ptce(
    m: Measured, within: np.ndarray, p_pos: np.ndarray, n: int
) -> tuple[list[set[str]], list[set[str]]]:
    """Ids of the territories overlapping each PTCE, and of those only near it."""
    over_ids: list[set[str]] = [set() for _ in range(n)]
    near_ids: list[set[str]] = [set() for _ in range(n)]
    for p_i, t_i, r in zip(p_pos, m.t[within], m.rank[within], strict=True):
        (over_ids if r == 0 else near_ids)[p_i].add(m.ids[t_i])
    near_ids = [near - over for near, over in zip(near_ids, over_ids, strict=True)]
    return over_ids, near_ids


def _nearest_of_statut(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    m: Measured,
    within: np.ndarray,
    p_pos: np.ndarray,
    measurable: np.ndarray,
    statut: str,
    radius: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each PTCE's nearest territory of ``statut``: id, name, distance (beyond the radius too)."""
    n = len(measurable)
    t_pos, rank, t_dist, area = m.t[within], m.rank[within], m.dist[within], m.area[within]
    t_statut = column_text(territories, "statut")
    nid = np.full(n, None, dtype=object)
    nnom = np.full(n, None, dtype=object)
    ndist = np.full(n, np.nan)
    mine = np.flatnonzero(t_statut[t_pos] == statut)
    groups, rows = best_rows(p_pos[mine], rank[mine], t_dist[mine], area[mine], m.ids[t_pos[mine]])
    rows = mine[rows]
    nid[groups] = m.ids[t_pos[rows]]
    nnom[groups] = column_text(territories, "nom")[t_pos[rows]]
    ndist[groups] = t_dist[rows]
    todo = np.flatnonzero(pd.isna(nid) & measurable)
    candidates = territories[t_statut == statut]
    if len(todo) and len(candidates):
        far = _nearest_territory(ptce.iloc[todo], candidates, radius)
        found = far["ptce_id"].notna().to_numpy()
        nid[todo[found]] = far["ptce_id"].to_numpy()[found]
        nnom[todo[found]] = far["ptce_nom"].to_numpy()[found]
        ndist[todo[found]] = far["distance_km"].to_numpy(dtype=float)[found]
    return nid, nnom, ndist


def _ptce_flags(prec: np.ndarray, key: np.ndarray, approx: np.ndarray) -> list[str | None]:
    """List the caveats of each PTCE's row, in French (``None`` when none)."""
    flags = []
    for i in range(len(prec)):
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
    return flags


def _nearest_territory(
    ptce: gpd.GeoDataFrame, territories: gpd.GeoDataFrame, radius: float
) -> pd.DataFrame:
    """Nearest territory of each PTCE: :func:`geo.nearest_ptce` with the roles swapped."""
    keep = [c for c in ("id", "nom", "codes_insee", "zone") if c in ptce.columns]
    as_territories = gpd.GeoDataFrame(ptce[keep].copy(), geometry=ptce.geometry.copy())
    present = geometry_present(ptce)
    polygonal = np.zeros(len(ptce), dtype=bool)
    polygonal[present] = ptce.geometry[present].geom_type.isin(["Polygon", "MultiPolygon"])
    placeholder = np.isin(
        column_text(ptce, "precision").astype(str), list(UNMEASURED_PTCE_PRECISIONS)
    )
    if (placeholder & ~polygonal).any():  # a map-only point is not a seat
        geoms = as_territories.geometry.copy()
        geoms[placeholder & ~polygonal] = None
        as_territories = as_territories.set_geometry(geoms)
    keep = [c for c in ("id", "nom", "codes_insee", "zone") if c in territories.columns]
    as_ptce = gpd.GeoDataFrame(territories[keep].copy(), geometry=territories.geometry.copy())
    return nearest_ptce(as_territories, as_ptce, radius_km=radius, geometry=False)
