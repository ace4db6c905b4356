"""The last step: located rows become the schema's GeoDataFrame.

:func:`to_frame` attaches each row's geometry (a territory's perimeter, a
PTCE's seat) and precision, then the columns every table shares (communes,
département, region, EPCI, zone), the descriptive columns the input gives, and
the input's other columns as they are. Rows without any geometry are noted in
the :class:`~geo.loading.records.Report` it returns.

It adds nothing the steps before it did not find, but the attributes of the
communes found (names, populations, town halls, regions).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._core import columns as _columns
from geo._core.columns import is_blank
from geo.crs import WGS84, zone_of_code, zone_of_geometry
from geo.loading.communes import (
    CommuneIndex,
    commune_records,
    departement_regions,
    population,
    region_names,
)
from geo.loading.records import Report, Rows, Source
from geo.reference.placement import seat_commune, seat_point, union_of
from geo.schema import field_names, table_columns

__all__ = ["placed_precision", "to_frame"]

_INFRA_COMMUNAL_SHARE = 0.95  # below this share of its communes, a polygon is infra-communal

#: The communes of one load's rows, by code (see :func:`geo.loading.communes.commune_records`).
Communes = dict[str, dict[str, Any]]


def to_frame(source: Source, rows: Rows, index: CommuneIndex) -> tuple[gpd.GeoDataFrame, Report]:
    """Return the rows as a GeoDataFrame of the schema, and the rows left unlocated.

    Columns ``geo.schema.table_columns(source.kind)`` come first, then the
    input's other columns; integer columns are ``Int64``; EPSG:4326.
    """
    needed = {c for codes in rows.area_codes for c in codes}
    needed |= {c for c in rows.seat_code if c}
    communes = commune_records(index.table, needed)
    columns = table_columns(source.kind)
    out: dict[str, list[Any]] = {c: [None] * len(rows) for c in columns}
    out["nom"], out["id"] = list(rows.name), list(rows.id)
    if source.kind == "territories":
        if "statut" in source.roles:
            out["statut"] = list(rows.statut)
        _territory_columns(rows, communes, out)
        out["qpv_codes"] = [";".join(c) or None for c in rows.qpv_codes]
    else:
        _ptce_columns(rows, communes, index, out)
    unlocated = tuple(
        f"{source.labels[i]} ({rows.id[i]})"
        for i, geometry in enumerate(out["geometry"])
        if geometry is None
    )
    _common_columns(source, rows, communes, out)
    frame = pd.DataFrame({c: pd.Series(out[c], dtype=object) for c in columns if c != "geometry"})
    extra = _extra_columns(source)
    for header in extra:
        frame[header] = source.frame[header].to_numpy(dtype=object)
    for column in field_names(source.kind, type="int"):
        frame[column] = pd.array(frame[column], dtype="Int64")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(out["geometry"], crs=WGS84), crs=WGS84)
    return gdf[[*columns, *extra]], Report(unlocated=unlocated)


def placed_precision(rows: Rows, i: int) -> str:
    """Return how row ``i``'s point was placed, as its warning says.

    ``point`` (coordinates given), ``adresse`` (geocoded), or the geocoder's
    fallback (``mairie``, ``point-sur-surface``).
    """
    if rows.point_given[i]:
        return "point"
    return rows.geocoded_precision[i] or "adresse"


def _territory_columns(rows: Rows, communes: Communes, out: dict[str, list[Any]]) -> None:
    """Fill each territory's geometry, precision and population columns in ``out``."""
    for i, codes in enumerate(rows.area_codes):
        own = rows.own_area[i]
        geometry, precision = None, "inconnu"
        if own is not None:
            polygon, share = own
            geometry = polygon
            precision = "infra-communal" if share < _INFRA_COMMUNAL_SHARE else "communes"
        elif rows.placed[i] and rows.seat_point[i] is not None:
            # Placed by an address or coordinates: the point is all we know;
            # its commune is context (codes_insee), never the perimeter.
            geometry = rows.seat_point[i]
            precision = placed_precision(rows, i)
        elif codes:
            geometry = union_of([communes[c]["geometry"] for c in codes if c in communes])
            precision = "epci" if rows.epci[i] else "communes"
        out["geometry"][i] = geometry
        out["precision"][i] = precision
        whole = population(communes, codes) if codes else None
        measured = precision in ("communes", "epci") and whole is not None
        out["population_communes"][i] = whole
        out["population"][i] = whole if measured else None
        out["population_source"][i] = "communes" if measured else "inconnue"


def _ptce_columns(
    rows: Rows, communes: Communes, index: CommuneIndex, out: dict[str, list[Any]]
) -> None:
    """Fill each PTCE's seat (point, how it was placed, commune) and precision in ``out``."""
    for i, codes in enumerate(rows.area_codes):
        seat = seat_commune(rows.seat_code[i], codes)
        record = communes.get(seat) if seat else None
        own, departement = rows.own_area[i], rows.departement[i]
        area: list[Any] | None = None
        if record is None:
            if own is not None:
                area = [own[0]]
            elif codes:
                area = [communes[c]["geometry"] for c in codes if c in communes]
            elif departement:
                area = index.of_departement(str(departement))
        point, how = seat_point(
            point=rows.seat_point[i],
            point_method=placed_precision(rows, i),
            mairie=(record["mairie_lon"], record["mairie_lat"]) if record else None,
            seat_geometry=record["geometry"] if record else None,
            area=area,
        )
        out["geometry"][i] = point
        out["precision_siege"][i] = how
        out["siege_insee"][i] = seat
        out["siege_commune"][i] = record["nom"] if record is not None else None
        if codes or own is not None:
            precision = "epci" if rows.epci[i] else "communes"
        elif seat is not None:
            precision = "siege"
        elif departement:
            precision = "departement"
        else:
            precision = "inconnu"
        out["precision"][i] = precision


def _unique(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values if not is_blank(v)))


def _common_columns(
    source: Source, rows: Rows, communes: Communes, out: dict[str, list[Any]]
) -> None:
    """Fill the columns both tables share, in ``out`` (one list per column)."""
    regions = region_names()
    dep_regions = departement_regions()
    for i, codes in enumerate(rows.area_codes):
        known = [communes[c] for c in codes if c in communes]
        out["codes_insee"][i] = ";".join(codes) or None
        if source.kind == "territories":
            out["communes"][i] = ";".join(r["nom"] for r in known) or None
        seat = rows.seat_code[i]
        anchor = known or ([communes[seat]] if seat in communes else [])
        deps = _unique(r["departement"] for r in anchor)
        regs = _unique(r["region"] for r in anchor)
        departement = ";".join(deps) or rows.departement[i]
        out["departement"][i] = departement
        region = ";".join(regs) or dep_regions.get(departement or "")
        out["region"][i] = region
        names = [regions.get(r, r) for r in (regs or ([region] if region else []))]
        out["region_nom"][i] = ";".join(names) or None
        epcis = _unique(r["epci_siren"] for r in known)
        if len(epcis) == 1 and "epci_siren" in out:
            out["epci_siren"][i] = epcis[0]
            out["epci_nom"][i] = next(r["epci_nom"] for r in known if not is_blank(r["epci_nom"]))
        geometry = out["geometry"][i]
        if codes:
            out["zone"][i] = zone_of_code(codes[0])
        elif seat:
            out["zone"][i] = zone_of_code(seat)
        elif geometry is not None:
            out["zone"][i] = zone_of_geometry(gpd.GeoSeries([geometry], crs=WGS84))[0]
    # Descriptive schema columns the file gives (under any known header) are copied.
    for column in _columns.COPIED_ROLES[source.kind]:
        header = source.roles.get(column)
        if header is not None:
            out[column] = [None if is_blank(v) else v for v in source.frame[header].to_numpy()]


def _extra_columns(source: Source) -> list[str]:
    """Input columns kept as they are: all but those turned into schema columns."""
    known = set(table_columns(source.kind))
    kept_roles = ("address", "postcode")
    used = {h for role, h in source.roles.items() if role not in kept_roles}
    return [c for c in source.frame.columns if c not in known and c not in used]
