"""The territory and PTCE layers: one record and one geometry per row of the tables.

A territory is the union of the boundaries of its perimeter (its communes, or
the members of its EPCI), or of its QPV 2024 when their boundaries are given,
with the best population known; a PTCE is a point at its seat (town hall, or
a point on the surface of its commune, area or département). Geometries are
snapped to the output grid (:data:`COORD_DECIMALS`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import WGS84, zone_of_code
from geo.reference.names import PLM_PARENTS
from geo.reference.placement import seat_commune, seat_point
from geo.schema import field_names
from geo.shipped.referential import Cog, QpvList, region_code, zone_of_region
from geo.shipped.tables import split_cell

__all__ = [
    "COORD_DECIMALS",
    "QPV_NOT_DRAWN",
    "date_precision",
    "layer_frame",
    "ptce_records",
    "territory_records",
]

#: Decimal places of the coordinates written to the GeoJSON files (about 1 m).
COORD_DECIMALS = 5


def _clean_multipolygon(geometry: BaseGeometry | None) -> BaseGeometry | None:
    """Snap to the output grid, keep polygons only, orient as RFC 7946 asks."""
    if geometry is None or geometry.is_empty:
        return None
    snapped = shapely.set_precision(geometry, 10.0**-COORD_DECIMALS)
    parts = [g for g in shapely.get_parts(snapped) if g.geom_type == "Polygon" and not g.is_empty]
    if not parts:
        return None
    multi = shapely.MultiPolygon(parts)
    return shapely.orient_polygons(multi, exterior_cw=False)


def _union(geometries: Sequence[BaseGeometry | None], tolerance: float) -> BaseGeometry | None:
    present = [g for g in geometries if g is not None and not g.is_empty]
    if not present:
        return None
    if tolerance > 0:
        present = list(shapely.coverage_simplify(np.asarray(present, dtype=object), tolerance))
    return _clean_multipolygon(shapely.union_all(present))


def _territory_perimeter(row: pd.Series, cog: Cog) -> list[str]:
    if row["precision"] == "inconnu":
        return []
    codes = split_cell(row["codes_insee"])
    if codes:
        return codes
    return list(cog.epci_members.get(row["epci_siren"], []))


#: ``notes`` sentence of a territory with QPV codes built without QPV boundaries.
QPV_NOT_DRAWN = (
    "Contour QPV non tracé : données construites sans les contours QPV 2024 de l'ANCT "
    "(`python -m geo data build --qpv FICHIER_OU_URL`) ; périmètre approché par la "
    "commune entière."
)


def _qpv_perimeter(
    row: pd.Series,
    perimeter: list[str],
    parts: gpd.GeoDataFrame,
    shapes: gpd.GeoDataFrame | None,
    qpv_list: QpvList,
) -> tuple[BaseGeometry | None, str] | None:
    """Return ``(geometry, note)`` of a territory drawn from its QPV, or ``None`` and why.

    ``None`` with a note means: keep the communes (no boundaries, or a code
    missing from them). The geometry is the union of the QPV polygons and of
    the whole communes of ``codes_insee`` holding none of the QPV (the sources
    name those communes without a quartier).
    """
    codes = split_cell(row["qpv_codes"])
    if shapes is None:
        return None, QPV_NOT_DRAWN
    found = shapes[shapes["code_qp"].isin(codes)]
    missing = [c for c in codes if c not in set(found["code_qp"])]
    if missing:
        return None, (
            f"Contour QPV non tracé : {', '.join(missing)} absent(s) du fichier des contours "
            "QPV ; périmètre approché par la commune entière."
        )
    covered = set().union(*(qpv_list.communes.get(c, set()) for c in codes))
    whole = [c for c in perimeter if PLM_PARENTS.get(c, c) not in covered]
    pieces = [*found.geometry, *(parts.at[c, "geometry"] for c in whole)]
    geometry = _clean_multipolygon(
        shapely.union_all([g for g in pieces if g is not None and not g.is_empty])
    )
    note = f"Contour : union des QPV 2024 {', '.join(codes)} (contours de l'ANCT)"
    if whole:
        names = ", ".join(f"{parts.at[c, 'nom']} ({c})" for c in whole)
        note += f" et des communes entières sans QPV nommé : {names}"
    return geometry, note + "."


def date_precision(value: str) -> str:
    """Return how precise a ``date_habilitation`` is: ``jour``, ``mois``, ``annee`` or ``""``.

    Parameters
    ----------
    value
        ``AAAA``, ``AAAA-MM``, ``AAAA-MM-JJ``, ``AAAA-MM/MM`` (one of two
        months) or empty.

    Returns
    -------
    str
        The precision; ``""`` for an empty or unreadable date.

    Examples
    --------
    >>> [date_precision(v) for v in ("2016-11-24", "2022-02", "2022", "2022-10/11", "")]
    ['jour', 'mois', 'annee', 'annee', '']
    """
    value = (value or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return "jour"
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return "mois"
    if re.fullmatch(r"\d{4}(?:-\d{2}/\d{2})?", value):
        return "annee"  # a year, or one of two months: no month is claimed
    return ""


def _qpv_population(
    codes: list[str],
    perimeter: list[str],
    parts: gpd.GeoDataFrame,
    qpv_population: dict[str, int] | None,
    qpv_list: QpvList | None,
) -> int | None:
    """Return a quartier's population from its QPV, plus whole communes without one.

    ``None`` when a QPV of the territory has no population in the table.
    """
    if not codes or not qpv_population or any(c not in qpv_population for c in codes):
        return None
    covered = set().union(*(qpv_list.communes.get(c, set()) for c in codes)) if qpv_list else set()
    whole = [c for c in perimeter if PLM_PARENTS.get(c, c) not in covered]
    extra = parts.loc[whole, "population"].dropna() if whole else pd.Series(dtype=float)
    if len(extra) < len(whole):
        return None
    return sum(qpv_population[c] for c in codes) + int(extra.sum())


def _population_fields(
    row: pd.Series,
    perimeter: list[str],
    parts: gpd.GeoDataFrame,
    qpv_population: dict[str, int] | None,
    qpv_list: QpvList | None,
) -> dict[str, Any]:
    """Return ``population``, ``population_source`` and ``population_communes``.

    The best figure known, never an upper bound: the whole communes for a
    ``communes`` (or whole-EPCI) perimeter; for a quartier, its QPV
    populations, else the figure its source states, else unknown; for an EPCI
    drawn larger than the territory (``precision_note``), the stated figure or
    unknown.
    """
    values = parts["population"].dropna() if len(parts) else pd.Series(dtype=float)
    communes = int(values.sum()) if perimeter and len(values) == len(perimeter) else None
    cited = int(row["population_citee"]) if row["population_citee"] else None
    precision = row["precision"]
    if precision == "communes" and communes is not None:
        return {
            "population": communes,
            "population_source": "communes",
            "population_communes": communes,
        }
    if precision in ("infra-communal", "qpv"):
        from_qpv = _qpv_population(
            split_cell(row["qpv_codes"]), perimeter, parts, qpv_population, qpv_list
        )
        if from_qpv is not None:
            return {
                "population": from_qpv,
                "population_source": "qpv",
                "population_communes": communes,
            }
    if cited is not None:
        return {
            "population": cited,
            "population_source": "source",
            "population_communes": communes,
        }
    if precision == "epci" and communes is not None and not row["precision_note"]:
        return {
            "population": communes,
            "population_source": "communes",
            "population_communes": communes,
        }
    return {"population": None, "population_source": "inconnue", "population_communes": communes}


def territory_records(
    frame: pd.DataFrame,
    cog: Cog,
    boundaries: gpd.GeoDataFrame,
    tolerance: float,
    shapes: gpd.GeoDataFrame | None = None,
    qpv_list: QpvList | None = None,
    qpv_population: dict[str, int] | None = None,
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    """Return the record and the geometry of each territory, sorted by ``id``.

    Parameters
    ----------
    frame
        The validated territories table (:func:`geo.shipped.validate.read_tables`).
    cog
        The referential (:func:`geo.shipped.referential.load_cog`).
    boundaries
        :func:`geo.shipped.referential.commune_boundaries`.
    tolerance
        Simplification of each commune boundary before the union (degrees; 0: none).
    shapes
        The QPV 2024 boundaries, or ``None`` (territories with QPV codes keep
        their communes, and ``notes`` says so).
    qpv_list
        The ANCT list of QPV by commune; ``None`` leaves ``qpv_codes`` aside.
    qpv_population
        Population by QPV code, or ``None``.

    Returns
    -------
    tuple of list
        The records (every territory field, derived ones included) and their
        MultiPolygon (or None when the perimeter is unknown).
    """
    records, geometries = [], []
    for _, row in frame.sort_values("id").iterrows():
        perimeter = _territory_perimeter(row, cog)
        deps = split_cell(row["departement"])
        parts = boundaries.loc[perimeter] if perimeter else boundaries.iloc[:0]
        drawn = None
        if row["qpv_codes"] and qpv_list is not None:
            drawn, qpv_note = _qpv_perimeter(row, perimeter, parts, shapes, qpv_list)  # type: ignore[misc]
            row = row.copy()
            row["notes"] = _append_note(row["notes"], qpv_note)
            if drawn is not None:
                row["precision"] = "qpv"
        first = perimeter[0] if perimeter else (deps[0] if deps else "")
        record = {column: row[column] for column in field_names("territories", derived=False)}
        record.update(
            **_area_fields(row, cog, boundaries, perimeter[0] if perimeter else "", first),
            codes_insee=";".join(perimeter),
            communes=";".join(parts["nom"].astype(str)),
            date_precision=date_precision(row["date_habilitation"]),
            population_citee=int(row["population_citee"]) if row["population_citee"] else None,
            **_population_fields(row, perimeter, parts, qpv_population, qpv_list),
        )
        records.append(record)
        if drawn is not None:
            geometries.append(drawn)
        else:
            geometries.append(_union(list(parts.geometry), tolerance) if perimeter else None)
    return records, geometries


def ptce_records(
    frame: pd.DataFrame, cog: Cog, boundaries: gpd.GeoDataFrame
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    """Return the record and the seat point of each PTCE, sorted by ``id``.

    Parameters
    ----------
    frame, cog, boundaries
        The validated PTCE table, the referential and the commune boundaries,
        as for :func:`territory_records`.

    Returns
    -------
    tuple of list
        The records (every PTCE field, ``precision_siege`` saying how the
        point was placed) and their Point (or None when only the région is known).
    """
    records, geometries = [], []
    for _, row in frame.sort_values("id").iterrows():
        seat = row["siege_insee"]
        codes = split_cell(row["codes_insee"])
        deps = split_cell(row["departement"])
        area_codes = codes if row["precision"] in ("communes", "epci") else []
        placed_at = seat_commune(seat, area_codes)  # one rule with the loader
        parts = None
        if not placed_at:
            if area_codes:
                parts = boundaries.loc[area_codes]
            elif deps and row["precision"] == "departement":
                in_dep = (boundaries["departement"] == deps[0]) & (boundaries["type"] == "COM")
                parts = boundaries[in_dep]
        point, method = seat_point(
            mairie=(
                (boundaries.at[placed_at, "mairie_lon"], boundaries.at[placed_at, "mairie_lat"])
                if placed_at
                else None
            ),
            seat_geometry=boundaries.at[placed_at, "geometry"] if placed_at else None,
            area=list(parts.geometry) if parts is not None else None,
        )
        if point is not None:
            point = shapely.set_precision(point, 10.0**-COORD_DECIMALS)
        first = seat or (codes[0] if codes else (deps[0] if deps else ""))
        record = {column: row[column] for column in field_names("ptce", derived=False)}
        record.update(
            **_area_fields(row, cog, boundaries, seat, first),
            siege_commune=(
                str(boundaries.at[seat, "nom"])
                if seat and not row["siege_commune"]
                else row["siege_commune"]
            ),
            precision_siege=method,
        )
        records.append(record)
        geometries.append(point)
    return records, geometries


def _area_fields(
    row: pd.Series, cog: Cog, boundaries: gpd.GeoDataFrame, commune: str, first: str
) -> dict[str, str]:
    """Return ``region``, ``region_nom`` and ``zone`` of a row.

    The région is the one of ``commune`` (the first commune of a territory,
    the seat of a PTCE) when there is one, else of the row's départements or
    région name; the map zone is the one of ``first`` (a commune or
    département code), else of the région.
    """
    if commune:
        region = str(boundaries.at[commune, "region"])
    else:
        region = region_code(cog, split_cell(row["departement"]), row["region_nom"])
    return {
        "region": region,
        "region_nom": row["region_nom"] or cog.region_names.get(region, ""),
        "zone": zone_of_code(first) if first else zone_of_region(cog, region),
    }


def layer_frame(
    records: list[dict[str, Any]], geometries: list[BaseGeometry | None], columns: list[str]
) -> gpd.GeoDataFrame:
    """Return a layer's records and geometries as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    records, geometries
        From :func:`territory_records` or :func:`ptce_records`.
    columns
        The layer's fields, in schema order.

    Returns
    -------
    GeoDataFrame
        Population columns as nullable integers (``Int64``).
    """
    table = pd.DataFrame(records, columns=columns)
    for column in ("population", "population_communes", "population_citee"):
        if column in table:
            table[column] = table[column].astype("Int64")
    return gpd.GeoDataFrame(
        table, geometry=gpd.GeoSeries(geometries, crs=WGS84, index=table.index), crs=WGS84
    )


def _append_note(notes: str, note: str) -> str:
    return f"{notes} {note}".strip() if notes else note
