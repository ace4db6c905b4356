"""Steps that check what a row says of itself: columns, names, ids, statut, geometry, coordinates.

Each step is a pure function over the frozen records of
:mod:`geo.loading.records`: it reads the :class:`~geo.loading.records.Source`
and the :class:`~geo.loading.records.Rows` frame, and returns a new frame with a
:class:`~geo.loading.records.Report` of the problems it found (one line each,
naming the row, the value and why). Only :func:`require_columns` raises, since
nothing can be checked without its columns.

None of these steps looks a commune up: :mod:`geo.loading.locate` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import shapely
from shapely.geometry import Point

from geo._core import columns as _columns
from geo._core.tables import Input
from geo._core.text import name_key
from geo.crs import check_lonlat
from geo.errors import SchemaError
from geo.loading.communes import departement_code
from geo.loading.records import Report, Rows, Source, Step
from geo.reference.placement import polygonal
from geo.schema import Table

__all__ = [
    "check_departements",
    "check_geometry",
    "identify",
    "read_coordinates",
    "read_departements",
    "require_columns",
]

_STATUTS = {
    "th": "TH",
    "habilite": "TH",
    "habilitee": "TH",
    "territoire habilite": "TH",
    "pe": "PE",
    "emergent": "PE",
    "projet emergent": "PE",
    "projet": "PE",
}

_LOCATION_ROLES = ("codes", "communes", "seat_codes", "seat_communes", "epci", "qpv", "lat")


def require_columns(kind: Table, roles: Mapping[str, str], data: Input) -> None:
    """Check that ``data`` has a name column and a column (or geometry) that locates rows.

    Raises
    ------
    SchemaError
        Naming what is missing and the columns the input has.
    """
    missing = []
    if "nom" not in roles:
        keys = _columns.ROLE_CANDIDATES[kind]["nom"][:6]
        missing.append(f"no name column (one of {', '.join(keys)}..., or pass name_column=)")
    located = any(r in roles for r in _LOCATION_ROLES) or "address" in roles
    if not located and data.geometry is None:
        missing.append(
            "no column locates the rows: give INSEE codes (code_insee), commune names "
            "(commune + departement), an EPCI (epci), QPV codes (qpv), latitude/longitude "
            "or an address (adresse), or pass code_column=... and the like"
        )
    if missing:
        shown = ", ".join(repr(c) for c in data.frame.columns)
        message = f"{'; '.join(missing)} in {data.source} (its columns: {shown}){data.note}"
        raise SchemaError(message, missing)


def _slug(text: str) -> str:
    return "-".join(name_key(text).split()) or "sans-nom"


def identify(source: Source) -> Step:
    """Return the frame of the rows with their name, id and statut.

    A missing id is made from the name (``-2``, ``-3``... when several rows
    share it); ids given must be unique; names must not be empty; a statut
    must say TH or PE.
    """
    labels = source.labels
    names = source.cells("nom")
    problems = [f"{labels[i]} has an empty name" for i, name in enumerate(names) if not name]
    given = source.cells("id")
    first_row: dict[str, int] = {}
    for i, ident in enumerate(given):
        if not ident:
            continue
        if ident in first_row:
            problems.append(
                f"{labels[i]} repeats id {ident!r} of {labels[first_row[ident]]}"
                " — ids must be unique"
            )
        else:
            first_row[ident] = i
    taken = set(first_row)
    ids: list[str] = []
    for ident, name in zip(given, names, strict=True):
        if not ident:
            base = _slug(name)
            ident, k = base, 2
            while ident in taken:
                ident, k = f"{base}-{k}", k + 1
            taken.add(ident)
        ids.append(ident)
    statuts: list[str | None] = [None] * len(source)
    if source.kind == "territories" and "statut" in source.roles:
        for i, value in enumerate(source.cells("statut")):
            statuts[i] = _STATUTS.get(name_key(value)) if value else None
            if value and statuts[i] is None:
                problems.append(
                    f'{labels[i]} statut "{value}" — use TH (habilité) or PE (projet émergent)'
                )
    rows = Rows.new(ids, [name or None for name in names], statuts)
    return rows, Report(schema=tuple(problems))


def check_geometry(source: Source, rows: Rows, *, make_valid: bool) -> tuple[Source, Report]:
    """Check the input's own geometries: valid, and in France.

    With ``make_valid``, invalid polygons are repaired with
    :func:`shapely.make_valid`, and the source returned holds the repaired
    geometries (the input itself is never changed).
    """
    if source.geometry is None:
        return source, Report()
    geoms, labels = list(source.geometry), source.labels
    invalid: list[str] = []
    coordinates: list[str] = []
    for i, geom in enumerate(geoms):
        if geom is None:
            continue
        if not geom.is_valid:
            if make_valid:
                geoms[i] = polygonal(shapely.make_valid(geom)) or geom
            else:
                reason = shapely.is_valid_reason(geom)
                invalid.append(f"{labels[i]} (id {rows.id[i]!r}): {reason}")
                continue
        # The check of a repaired polygon looks at the polygon as given.
        point = geom if isinstance(geom, Point) else geom.representative_point()
        message = check_lonlat(point.x, point.y, labels[i])
        if message:
            coordinates.append(message)
    checked = replace(source, geometry=tuple(geoms))
    return checked, Report(geometry=tuple(invalid), coordinates=tuple(coordinates))


def read_departements(source: Source, rows: Rows) -> Rows:
    """Return the rows with the département code their cell gives (if it is one)."""
    written = source.cells("departement")
    return replace(rows, departement=tuple(departement_code(value) for value in written))


def check_departements(source: Source, rows: Rows, resolved: set[int]) -> Report:
    """Report départements that are no code or name, on rows not checked by the lookup.

    ``resolved`` are the rows whose commune values the lookup resolved with
    their département (and reported, if it was wrong).
    """
    labels = source.labels
    problems = [
        f'{labels[i]} département "{value}" is not a département code '
        'or name ("78", "2A", "974", "Yvelines")'
        for i, value in enumerate(source.cells("departement"))
        if value and rows.departement[i] is None and i not in resolved
    ]
    return Report(schema=tuple(problems))


def _number(text: str) -> float:
    try:
        return float(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except ValueError:
        return float("nan")


def _lonlat_cells(source: Source) -> tuple[dict[int, Point], Report]:
    """Return the points the latitude/longitude cells give, and the cells that give none."""
    labels = source.labels
    points: dict[int, Point] = {}
    coordinates: list[str] = []
    schema: list[str] = []
    lats, lons = source.cells("lat"), source.cells("lon")
    for i, (lat_text, lon_text) in enumerate(zip(lats, lons, strict=True)):
        if not lat_text and not lon_text:
            continue
        lon, lat = _number(lon_text), _number(lat_text)
        message = check_lonlat(lon, lat, labels[i])
        if message is None:
            points[i] = Point(lon, lat)
        elif np.isfinite(lon) and np.isfinite(lat):
            coordinates.append(message)
        else:
            schema.append(
                f'{labels[i]} latitude "{lat_text}", longitude "{lon_text}" '
                "are not both numbers (use a dot or a comma as decimal mark)"
            )
    return points, Report(schema=tuple(schema), coordinates=tuple(coordinates))


def read_coordinates(source: Source, rows: Rows) -> Step:
    """Read longitude/latitude cells and point geometries; check they are in France."""
    points: dict[int, Point] = {}
    found = Report()
    if "lat" in source.roles:
        points, found = _lonlat_cells(source)
    if source.geometry is not None:
        for i, geom in enumerate(source.geometry):
            if isinstance(geom, Point) and i not in points:
                points[i] = geom
    if points:
        seat_point, point_given = list(rows.seat_point), list(rows.point_given)
        for i, point in points.items():
            seat_point[i], point_given[i] = point, True
        rows = replace(rows, seat_point=tuple(seat_point), point_given=tuple(point_given))
    return rows, found
