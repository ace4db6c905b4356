"""Counts by région and statut: synergy summary, radius sensitivity, opportunity summary.

Each summary reads a synergy table (given, checked against the inputs, or
computed once) and counts territories by région (``region_nom``, else
``region``) and statut, then for the whole of France: by their nearest PTCE
(:func:`synergy_summary`), by opportunity category at several radii
(:func:`radius_sensitivity`), or the TH, PE and PTCE of each région with their
populations (:func:`opportunity_summary`). Populations are sums of known
figures only, split into exact and approximate (:func:`population_parts`).
Pure functions on (Geo)DataFrames; nothing here reads files or draws.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.inputs import check_frames
from geo.analysis.measured import (
    KEYS,
    check_ids,
    check_radius,
    column_text,
    linked_pairs,
    pair_table,
    ptce_measurable,
    region_labels,
)
from geo.analysis.relations import NEAR_KM
from geo.analysis.synergies import synergies as compute_synergies
from geo.errors import ArgumentError

__all__ = [
    "OPPORTUNITY_SUMMARY_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "SUMMARY_COLUMNS",
    "opportunity_summary",
    "population_parts",
    "radius_sensitivity",
    "synergy_summary",
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
        table; French display labels in :data:`geo.analysis.relations.LABELS_FR`).
        One row per région (``region_nom`` when present, else ``region``;
        ``"Non renseignée"`` when missing; none without either column) and
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
        synergies = compute_synergies(territories, ptce, radius_km=radius_km, geometry=False)
    elif synergies.attrs.get("radius_km", radius_km) < radius_km:
        raise ArgumentError(
            f"the synergies table was computed with radius_km="
            f"{synergies.attrs['radius_km']:g}, less than the {radius_km:g} km asked: "
            f"compute it again with synergies(..., radius_km={radius_km:g})"
        )
    check_frames({"territories": territories})
    frame = pd.DataFrame(territories).reset_index(drop=True)
    ids = frame["id"].astype(str).str.strip()
    cls, probable_only = _summary_classes(territories, ids, synergies, radius_km)
    region = _summary_regions(frame)
    statut = (
        frame["statut"].astype(object).where(frame["statut"].notna(), None)
        if "statut" in frame.columns
        else pd.Series([None] * len(frame), dtype=object)
    )
    has_pop = "population" in frame.columns
    known, exact, population = population_parts(frame)
    statuts = sorted({s for s in statut if s is not None}, key=lambda s: (s != "TH", s))
    has_region = "region_nom" in frame.columns or "region" in frame.columns
    groups = [(r, region.to_numpy() == r) for r in sorted(set(region))] if has_region else []
    groups.append(("France", np.ones(len(frame), dtype=bool)))
    out = []
    for name, in_region in groups:
        for st in [*statuts, "ensemble"]:
            mask = in_region & ((statut == st).to_numpy() if st != "ensemble" else True)
            counts = _summary_counts(cls[mask], probable_only[mask])
            populations = _summary_populations(
                cls[mask], population[mask], known[mask], exact[mask], has_pop
            )
            out.append(
                {
                    "region": name,
                    "statut": st,
                    "radius_km": float(radius_km),
                    "n_territories": int(mask.sum()),
                    **counts,
                    **populations,
                }
            )
    table = pd.DataFrame(out, columns=SUMMARY_COLUMNS)
    for column in SUMMARY_COLUMNS:
        if column.startswith(("population", "n_population", "n_with", "n_without")):
            table[column] = table[column].astype("Int64")
    return table


def _summary_classes(
    territories: gpd.GeoDataFrame, ids: pd.Series, synergies: pd.DataFrame, radius_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Class of each territory (overlap, 10km, radius, none, unlocated); overlap only probable."""
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
    cls = np.full(len(ids), "none", dtype=object)
    cls[~located] = "unlocated"
    cls[dist <= radius_km] = "radius"
    cls[dist <= min(NEAR_KM, radius_km)] = "10km"
    cls[ids.isin(overlap_ids).to_numpy()] = "overlap"
    probable_only = ids.isin(overlap_ids - sure_ids).to_numpy()
    return cls, probable_only


def _summary_regions(frame: pd.DataFrame) -> pd.Series:
    """Région of each territory: ``region_nom``, else ``region``, else ``"Non renseignée"``."""
    if "region_nom" in frame.columns:
        region = frame["region_nom"].astype(object)
        if "region" in frame.columns:
            region = region.where(region.notna(), frame["region"].astype(object))
    elif "region" in frame.columns:
        region = frame["region"].astype(object)
    else:
        region = pd.Series([None] * len(frame), dtype=object)
    region = region.where(region.notna() & (region.astype(str).str.strip() != ""), None)
    return region.fillna("Non renseignée").astype(str)


def _summary_counts(c: np.ndarray, probable_only: np.ndarray) -> dict[str, int]:
    """Count the classes of one row of :func:`synergy_summary`."""
    return {
        "n_overlap": int((c == "overlap").sum()),
        "n_overlap_probable": int(probable_only.sum()),
        "n_within_10km": int((c == "10km").sum()),
        "n_within_radius": int((c == "radius").sum()),
        "n_none": int((c == "none").sum()),
        "n_unlocated": int((c == "unlocated").sum()),
    }


def _summary_populations(
    c: np.ndarray, pop: np.ndarray, kn: np.ndarray, ex: np.ndarray, has_pop: bool
) -> dict[str, Any]:
    """Sum the populations of one row of :func:`synergy_summary` (``None`` without data)."""
    with_ptce = np.isin(c, ["overlap", "10km", "radius"])
    without = c == "none"
    everyone = np.ones(len(c), dtype=bool)

    def total(rows: np.ndarray, part: np.ndarray = kn) -> Any:
        return int(pop[rows & part].sum()) if has_pop else None

    def unknown(rows: np.ndarray) -> Any:
        return int((rows & ~kn).sum()) if has_pop else None

    return {
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


def _radii(radii: Iterable[float]) -> list[float]:
    try:
        values = [check_radius(r, "radii") for r in radii]
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
    check_ids(territories, "territories")
    check_ids(ptce, "ptce")
    table = pair_table(territories, ptce, synergies, values[-1])
    frame = pd.DataFrame(territories).reset_index(drop=True)
    region = region_labels(frame)
    statut = column_text(frame, "statut")
    has_region = "region_nom" in frame.columns or "region" in frame.columns
    groups = [(r, region == r) for r in sorted(set(region))] if has_region else []
    groups.append(("France", np.ones(len(frame), dtype=bool)))
    statuts = sorted({s for s in statut if s}, key=lambda s: (s != "TH", s))
    measured = linked_pairs(territories, table)  # once: the smaller radii filter its pairs
    rows = []
    for radius in values:
        key = measured.classes(radius)[0]
        probable = measured.only_probable(radius)
        for name, in_region in groups:
            for st in [*statuts, "ensemble"]:
                mask = in_region & ((statut == st) if st != "ensemble" else True)
                counts = {k: int((key[mask] == k).sum()) for k in KEYS}
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
    radius = check_radius(radius_km)
    check_ids(territories, "territories")
    check_ids(ptce, "ptce")
    table = pair_table(territories, ptce, synergies, radius)
    frame = pd.DataFrame(territories).reset_index(drop=True)
    measured = linked_pairs(territories, table)
    key = measured.classes(radius)[0]
    region = region_labels(frame)
    statut = column_text(frame, "statut")
    has_pop = "population" in frame.columns
    known, exact, population = population_parts(frame)
    probable = measured.only_probable(radius)
    p_frame = pd.DataFrame(ptce).reset_index(drop=True)
    p_region = region_labels(p_frame)
    p_ids = p_frame["id"].astype(str).str.strip().to_numpy()
    linked_ptce = set(measured.pairs["ptce_id"].astype(str)[measured.within(radius)])
    p_alone = ptce_measurable(ptce) & ~np.isin(p_ids, list(linked_ptce))
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
