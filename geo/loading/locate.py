"""Steps that locate each row: its communes, its seat, its point, its own polygon.

:func:`locate` runs them in order over the frozen records of
:mod:`geo.loading.records`; each returns a new frame of rows and a
:class:`~geo.loading.records.Report`:

1. coordinates given (:func:`geo.loading.checks.read_coordinates`);
2. INSEE codes, commune names and EPCI, resolved in one call to the lookup
   (:func:`locate_by_values`), with names that do not match their codes noted;
3. the commune under each given point (:func:`communes_of_points`);
4. addresses, geocoded in one call (:func:`locate_by_address`);
5. the row's own polygon (:func:`locate_by_own_geometry`), else its QPV
   outlines (:func:`locate_by_qpv`).

Geocoding goes through :mod:`geo.reference.geocoding` and QPV outlines through
:mod:`geo.reference.qpv`; nothing here does network I/O of its own.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import cast

import geopandas as gpd
import pandas as pd
from shapely.geometry import MultiPolygon, Point

from geo._core.columns import is_blank, split_values
from geo._core.text import name_key, without_article
from geo.errors import UnknownQPVError
from geo.loading.checks import check_departements, read_coordinates, read_departements
from geo.loading.communes import CommuneIndex, Match, resolve
from geo.loading.records import Report, Rows, Source, Step
from geo.reference.names import normalise_code
from geo.reference.placement import polygonal

__all__ = [
    "communes_of_points",
    "locate",
    "locate_by_address",
    "locate_by_own_geometry",
    "locate_by_qpv",
    "locate_by_values",
]

#: A request to the lookup: (row, value, target), target "area", "epci" or "seat".
_Request = tuple[int, str, str]


def locate(
    source: Source,
    rows: Rows,
    communes: CommuneIndex,
    *,
    geocode_addresses: bool,
    qpv: gpd.GeoDataFrame | None,
) -> Step:
    """Find the communes, points and polygons of every row (steps 1 to 5 above)."""
    rows = read_departements(source, rows)
    rows, report = read_coordinates(source, rows)
    rows, found, resolved = locate_by_values(source, rows)
    report += found + check_departements(source, rows, resolved)
    rows, found = communes_of_points(source, rows, communes)
    report += found
    if geocode_addresses and "address" in source.roles:
        rows, found = locate_by_address(source, rows)
        report += found
    rows = locate_by_own_geometry(source, rows, communes)
    rows, found = locate_by_qpv(source, rows, communes, qpv)
    return rows, report + found


def _requests(source: Source, rows: Rows) -> list[_Request]:
    """Return what to ask the lookup: each row's codes (else names, else EPCI) and seat."""
    codes, names, epcis = source.cells("codes"), source.cells("communes"), source.cells("epci")
    seat_codes, seat_names = source.cells("seat_codes"), source.cells("seat_communes")
    requests: list[_Request] = []
    for i, point_given in enumerate(rows.point_given):
        area, target = codes[i] or names[i], "area"
        if not area and epcis[i]:
            area, target = epcis[i], "epci"
        values = split_values(area, commas=target == "area")
        requests.extend((i, normalise_code(v), target) for v in values)
        # A PTCE placed by its coordinates has its seat commune from them.
        seat = "" if point_given else seat_codes[i] or seat_names[i]
        requests.extend((i, normalise_code(v), "seat") for v in split_values(seat))
    return requests


def locate_by_values(source: Source, rows: Rows) -> tuple[Rows, Report, set[int]]:
    """Resolve codes, names and EPCI of every row in one call to the lookup.

    Codes win over names of the same row, and either wins over an EPCI
    (then only descriptive). Returns the new frame, what was found, and the
    rows that had values to resolve.
    """
    requests = _requests(source, rows)
    if not requests:
        return rows, Report(), set()
    labels, written = source.labels, source.cells("departement")
    resolved, report = resolve(
        [v for _, v, _ in requests],
        [written[i] or None for i, _, _ in requests],
        [labels[i] for i, _, _ in requests],
    )
    old_codes: list[str] = []
    area_codes = [list(codes) for codes in rows.area_codes]
    seat_code, epci = list(rows.seat_code), list(rows.epci)
    for k, (i, _value, target) in enumerate(requests):
        for match in resolved.get(k, []):
            code = match["code_insee"]
            if match["old"]:
                old_codes.append(f"{labels[i]} {match['note']}")
            if target == "seat":
                if seat_code[i] is None:
                    seat_code[i] = code
                continue
            if target == "epci":
                epci[i] = True
            if code not in area_codes[i]:
                area_codes[i].append(code)
    new = replace(
        rows,
        area_codes=tuple(tuple(codes) for codes in area_codes),
        seat_code=tuple(seat_code),
        epci=tuple(epci),
    )
    mismatches = _mismatches(source, resolved, requests, ("codes", "communes", "area"))
    mismatches += _mismatches(source, resolved, requests, ("seat_codes", "seat_communes", "seat"))
    report += Report(old_codes=tuple(old_codes), mismatches=tuple(mismatches))
    return new, report, {i for i, _, _ in requests}


def _mismatches(
    source: Source,
    resolved: dict[int, list[Match]],
    requests: list[_Request],
    roles: tuple[str, str, str],
) -> list[str]:
    """Note the rows whose commune names do not match the communes of their codes.

    ``roles`` names the code and name columns and the requests they made
    (``"area"`` or ``"seat"``).
    """
    code_role, name_role, target = roles
    codes, names = source.cells(code_role), source.cells(name_role)
    found: dict[int, list[Match]] = {}
    for k, (i, _value, kind) in enumerate(requests):
        if kind == target:
            found.setdefault(i, []).extend(resolved.get(k, []))
    notes = []
    for i, matches in found.items():
        if not (codes[i] and names[i]) or not matches:
            continue
        # An old code's note names the commune déléguée the user may have written.
        official = [without_article(name_key(m["nom"])) for m in matches] + [
            name_key(str(m["note"])) for m in matches if m["old"]
        ]
        for name in split_values(names[i]):
            key = without_article(name_key(name))
            if not any(key in o or o in key for o in official):
                shown = ", ".join(f"{m['code_insee']} {m['nom']}" for m in matches)
                notes.append(
                    f'{source.labels[i]} "{name}" is not the commune of code(s) {shown} '
                    "(the code is used)"
                )
    return notes


def communes_of_points(source: Source, rows: Rows, communes: CommuneIndex) -> Step:
    """Find the commune under each given point: the PTCE seat, or the territory."""
    todo = [i for i, given in enumerate(rows.point_given) if given]
    if not todo:
        return rows, Report()
    codes = communes.at([rows.seat_point[i] for i in todo])
    given_codes = source.cells("codes")
    seat_code, area_codes, placed = list(rows.seat_code), list(rows.area_codes), list(rows.placed)
    problems: list[str] = []
    for i, code in zip(todo, codes, strict=True):
        point = cast(Point, rows.seat_point[i])  # given: not None
        if code is None:
            problems.append(
                f"{source.labels[i]}: point ({point.x}, {point.y}) is in no French "
                "commune (at sea?)"
            )
        elif source.kind == "ptce":
            seat_code[i] = seat_code[i] or code
        elif not given_codes[i]:
            # Without INSEE codes, the point places the territory; a commune
            # name of the row (or the commune under the point) is context.
            area_codes[i] = area_codes[i] or (code,)
            placed[i] = True
    new = replace(
        rows, seat_code=tuple(seat_code), area_codes=tuple(area_codes), placed=tuple(placed)
    )
    return new, Report(coordinates=tuple(problems))


def _queries(source: Source, todo: list[int]) -> list[str]:
    """Return the geocoder query of each row ``todo``: its address, postcode and town."""
    addresses, postcodes = source.cells("address"), source.cells("postcode")
    towns = source.cells("seat_communes" if source.kind == "ptce" else "communes")
    queries = []
    for i in todo:
        parts = [addresses[i]]
        for extra in (postcodes[i], towns[i]):
            if extra and name_key(extra) not in name_key(parts[0]):
                parts.append(extra)
        queries.append(" ".join(parts))
    return queries


def locate_by_address(source: Source, rows: Rows) -> Step:
    """Geocode the address of every row without a point, in one call to the geocoder.

    Addresses not found are noted as unlocated; those placed at the town hall
    or inside the commune (geocoder offline, street unknown) as fallbacks.
    """
    addresses = source.cells("address")
    todo = [i for i, point in enumerate(rows.seat_point) if addresses[i] and point is None]
    if not todo:
        return rows, Report()
    from geo.reference.geocoding import GeocodingWarning, geocode

    queries = _queries(source, todo)
    citycodes = [rows.seat_code[i] or next(iter(rows.area_codes[i]), None) for i in todo]
    with warnings.catch_warnings():
        # Every address not placed precisely is reported below, with its row.
        warnings.simplefilter("ignore", GeocodingWarning)
        found = geocode(queries, citycodes=citycodes).reset_index(drop=True)
    labels, given_codes = source.labels, source.cells("codes")
    seat_point, precisions = list(rows.seat_point), list(rows.geocoded_precision)
    seat_code, area_codes, placed = list(rows.seat_code), list(rows.area_codes), list(rows.placed)
    unlocated: list[str] = []
    fallbacks: list[tuple[str, str | None]] = []
    for k, i in enumerate(todo):
        hit = found.iloc[k]
        precision = hit["precision"]
        reason = None if is_blank(hit["reason"]) else str(hit["reason"])
        if precision == "inconnu" or pd.isna(hit["lon"]) or pd.isna(hit["lat"]):
            why = f" ({reason})" if reason else ""
            unlocated.append(f'{labels[i]} address "{queries[k]}" not found{why}')
            continue
        code = next(
            (str(c) for c in (hit["citycode"], hit["code_insee_commune"]) if not is_blank(c)),
            None,
        )
        if precision != "adresse":
            where = {"mairie": "the town hall"}.get(precision, "a point inside")
            fallbacks.append((f'{labels[i]} "{queries[k]}" placed at {where} of {code}', reason))
        seat_point[i] = Point(float(hit["lon"]), float(hit["lat"]))
        precisions[i] = precision
        if source.kind == "ptce":
            seat_code[i] = seat_code[i] or code
        elif not given_codes[i]:
            area_codes[i] = area_codes[i] or ((code,) if code else ())
            placed[i] = True
    new = replace(
        rows,
        seat_point=tuple(seat_point),
        geocoded_precision=tuple(precisions),
        seat_code=tuple(seat_code),
        area_codes=tuple(area_codes),
        placed=tuple(placed),
    )
    return new, Report(unlocated=tuple(unlocated), fallbacks=tuple(fallbacks))


def _with_own_areas(
    rows: Rows, polygons: dict[int, MultiPolygon], covered: list[tuple[list[str], float]]
) -> tuple[list[tuple[MultiPolygon, float] | None], list[tuple[str, ...]]]:
    """Return the own areas and area codes of ``rows`` with ``polygons`` and their communes."""
    own_area, area_codes = list(rows.own_area), list(rows.area_codes)
    for (i, polygon), (codes, share) in zip(polygons.items(), covered, strict=True):
        own_area[i] = (polygon, share)
        area_codes[i] = area_codes[i] or tuple(codes)
    return own_area, area_codes


def locate_by_own_geometry(source: Source, rows: Rows, communes: CommuneIndex) -> Rows:
    """Give each row with a valid polygon that polygon, and the communes it covers."""
    if source.geometry is None:
        return rows
    polygons: dict[int, MultiPolygon] = {}
    for i, geom in enumerate(source.geometry):
        if geom is None or isinstance(geom, Point) or not geom.is_valid:
            continue
        polygon = polygonal(geom)
        if polygon is not None:
            polygons[i] = polygon
    covered = communes.under(list(polygons.values()))
    own_area, area_codes = _with_own_areas(rows, polygons, covered)
    return replace(rows, own_area=tuple(own_area), area_codes=tuple(area_codes))


def locate_by_qpv(
    source: Source,
    rows: Rows,
    communes: CommuneIndex,
    qpv: gpd.GeoDataFrame | None,
) -> Step:
    """Give each row with QPV codes (and no polygon of its own) their outlines and communes."""
    qpv_codes = tuple(tuple(c.upper() for c in split_values(v)) for v in source.cells("qpv"))
    rows = replace(rows, qpv_codes=qpv_codes)
    todo = [i for i, codes in enumerate(qpv_codes) if codes and rows.own_area[i] is None]
    if not todo:
        return rows, Report()
    from geo.reference.qpv import load_qpv, qpv_geometry

    table = qpv if qpv is not None else load_qpv()
    polygons: dict[int, MultiPolygon] = {}
    problems: list[str] = []
    for i in todo:
        try:
            shape = qpv_geometry(list(qpv_codes[i]), qpv=table)
        except UnknownQPVError as exc:
            problems.extend(
                f'{source.labels[i]} {p} (QPV codes look like "QN07801M")' for p in exc.problems
            )
            continue
        polygon = polygonal(shape)
        if polygon is not None:
            polygons[i] = polygon
    covered = [(codes, 0.0) for codes, _ in communes.under(list(polygons.values()))]
    own_area, area_codes = _with_own_areas(rows, polygons, covered)
    new = replace(rows, own_area=tuple(own_area), area_codes=tuple(area_codes))
    return new, Report(schema=tuple(problems))
