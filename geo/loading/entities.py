"""Load TZCLD territories and PTCE: the shipped tables or a user's own file.

:func:`load_territories` and :func:`load_ptce` return GeoDataFrames in
EPSG:4326 that follow the shared schema (:func:`geo.schema.table_columns`),
whatever the input looked like.

Inputs
------
``path=None``
    The tables shipped with the project (``data/territories.geojson``,
    ``data/ptce.geojson``), built and checked by :mod:`geo.shipped.build`; they are
    read as they are, without resolving their communes again.
A file
    CSV (separator ``,`` ``;`` tab or ``|``, detected from the header; UTF-8,
    UTF-8 with BOM, or Windows-1252/Latin-1 as French spreadsheets export it),
    XLSX (first sheet unless ``sheet=``), or anything pyogrio reads
    (GeoJSON, GeoPackage, shapefile). A pandas DataFrame or GeoDataFrame is
    accepted too. The file is only read, never written.

Each row is located by the first of these it gives (headers are recognised
in any case and without accents, see :mod:`geo._core.columns`, or named with the
``*_column=`` options):

1. its own polygon (a GeoJSON feature): the polygon is the geometry; the
   communes are the ones it covers (at least 0.5 % of their area, or the
   commune under the polygon's representative point). ``precision`` is
   ``"infra-communal"`` when the polygon covers less than 95 % of the union
   of these communes, else ``"communes"``;
2. QPV codes (``QN07801M``): the QPV outline from :mod:`geo.reference.qpv`,
   ``"infra-communal"``;
3. INSEE codes and/or commune names (a ``;`` or ``,`` list per cell; a
   département column disambiguates names): the union of the communes'
   boundaries (arrondissements for 75101-75120, 13201-13216, 69381-69389),
   ``"communes"``;
4. an EPCI (SIREN or name): its member communes, ``"epci"``;
5. longitude/latitude, or a postal address geocoded with :func:`geo.geocode`:
   the commune under the point.

A PTCE is drawn as a point, its seat: longitude/latitude or a geocoded
address (``precision_siege="adresse"``), else the town hall of its seat
commune (``"mairie"``), else a point on the surface of the seat commune or,
when only its area of action is known, of that area (``"point-sur-surface"``).
Lists of communes (``codes_insee``, ``communes``...) give its area of action.

Rows, ids and errors
--------------------
Row numbers are those a spreadsheet shows: the header is row 1, so the first
data row is row 2. GeoJSON features are numbered from 1 (``feature 3``); a
DataFrame's rows are named by their index label (``index 7``). Empty rows are
skipped (and keep the numbering).

A missing id is made from the name (``"Pays de Colombey"`` ->
``"pays-de-colombey"``, ``-2``, ``-3``... when several rows share a name);
ids given in the file must be unique.

Every problem of a file is collected and raised once, naming the rows and
values: :class:`~geo.errors.UnknownCommuneError` (or
:class:`~geo.errors.AmbiguousCommuneError`) when all problems are communes
not found, :class:`~geo.errors.CRSError` when all are coordinates (swapped
latitude/longitude, points outside France),
:class:`~geo.errors.InvalidGeometryError` when all are invalid polygons
(pass ``make_valid=True`` to repair them), else
:class:`~geo.errors.SchemaError`. Each carries ``.problems``, one line per
problem. Codes that are no longer current, rows that cannot be located and
addresses placed at the town hall (geocoder offline) are reported in one
:class:`EntityWarning` each.

This module does no network I/O of its own: geocoding goes through
:mod:`geo.reference.geocoding`, QPV outlines through :mod:`geo.reference.qpv`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point

from geo._core import columns as _columns
from geo._core.columns import is_blank, split_values
from geo._core.tables import Input, read_input
from geo._core.text import name_key, without_article
from geo._core.warn import warn
from geo.crs import WGS84, check_lonlat, zone_of_code, zone_of_geometry
from geo.errors import (
    AmbiguousCommuneError,
    CRSError,
    GeoWarning,
    InvalidGeometryError,
    SchemaError,
    UnknownCommuneError,
    UnknownQPVError,
    format_problems,
)
from geo.loading.communes import (
    CommuneIndex,
    commune_records,
    departement_code,
    departement_regions,
    population,
    region_names,
)
from geo.loading.shipped_tables import load_shipped
from geo.reference.names import normalise_code
from geo.reference.placement import polygonal, seat_commune, seat_point, union_of
from geo.schema import Table, field_names, table_columns

__all__ = [
    "EntityWarning",
    "load_ptce",
    "load_territories",
]

_INFRA_COMMUNAL_SHARE = 0.95  # below this share of its communes, a polygon is infra-communal
_LOW_GEOCODING_SCORE = 0.5

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


class EntityWarning(GeoWarning):
    """A loaded row was resolved with less certainty than asked (listed by row)."""


def load_territories(
    path: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    sheet: str | int | None = None,
    make_valid: bool = False,
    geocode_addresses: bool = True,
    qpv: gpd.GeoDataFrame | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    statut_column: str | None = None,
    code_column: str | None = None,
    commune_column: str | None = None,
    departement_column: str | None = None,
    epci_column: str | None = None,
    qpv_column: str | None = None,
    lat_column: str | None = None,
    lon_column: str | None = None,
    address_column: str | None = None,
    postcode_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Load TZCLD territories: the shipped table, or a user's file.

    Parameters
    ----------
    path
        ``None`` for the shipped ``data/territories.geojson``; else a CSV,
        XLSX or GeoJSON (any pyogrio format) file, or a (Geo)DataFrame.
    sheet
        XLSX sheet name or 0-based position; the first sheet by default.
    make_valid
        Repair invalid polygons of the input with :func:`shapely.make_valid`
        instead of raising :class:`~geo.errors.InvalidGeometryError`.
    geocode_addresses
        Geocode an address column with :func:`geo.geocode` (network unless
        :data:`geo.settings.offline`); ``False`` ignores addresses.
    qpv
        QPV table for QPV codes (default :func:`geo.reference.qpv.load_qpv`).
    id_column, name_column, statut_column
        Headers of the id, the name and the statut (TH/PE), when detection
        picks the wrong one or none.
    code_column, commune_column, departement_column, epci_column, qpv_column
        Headers of the INSEE codes, commune names (both may hold ``;``
        lists), département, EPCI (SIREN or name) and QPV codes.
    lat_column, lon_column, address_column, postcode_column
        Headers of the latitude, longitude, postal address and postcode.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns ``geo.schema.table_columns("territories")`` then
        the input's other columns, one row per territory, index 0..n-1.

    Raises
    ------
    DataSourceError
        The file (or the shipped table) is missing or cannot be read.
    SchemaError
        Missing name or location column, duplicate ids, empty names, unknown
        statut... with row numbers (header = row 1).
    UnknownCommuneError
        Communes not found or ambiguous, with suggestions.
    CRSError
        A geometry file without CRS or with projected coordinates declared as
        degrees; latitude/longitude swapped or outside France.
    InvalidGeometryError
        Invalid polygons and ``make_valid=False``.

    Examples
    --------
    >>> territories = load_territories()
    >>> mine = load_territories(
    ...     pd.DataFrame({"Territoire": ["Les Mureaux"], "Communes": ["Mureaux"], "Dépt": ["78"]}),
    ...     departement_column="Dépt",
    ... )
    >>> mine[["id", "codes_insee", "precision"]].values.tolist()
    [['les-mureaux', '78440', 'communes']]
    """
    options = {k: v for k, v in locals().items() if k.endswith("_column")}
    return _load("territories", path, options, sheet, make_valid, geocode_addresses, qpv)


def load_ptce(
    path: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    sheet: str | int | None = None,
    make_valid: bool = False,
    geocode_addresses: bool = True,
    qpv: gpd.GeoDataFrame | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    code_column: str | None = None,
    commune_column: str | None = None,
    area_column: str | None = None,
    departement_column: str | None = None,
    epci_column: str | None = None,
    qpv_column: str | None = None,
    lat_column: str | None = None,
    lon_column: str | None = None,
    address_column: str | None = None,
    postcode_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Load PTCE: the shipped table, or a user's file.

    Parameters
    ----------
    path
        ``None`` for the shipped ``data/ptce.geojson``; else a CSV, XLSX or
        GeoJSON file, or a (Geo)DataFrame.
    sheet
        XLSX sheet name or 0-based position; the first sheet by default.
    make_valid
        Repair invalid polygons (areas of action) instead of raising.
    geocode_addresses
        Geocode an address column with :func:`geo.geocode`.
    qpv
        QPV table for QPV codes (default :func:`geo.reference.qpv.load_qpv`).
    id_column, name_column
        Headers of the id and the name.
    code_column, commune_column
        Headers of the seat commune: INSEE code, name.
    area_column, departement_column, epci_column, qpv_column
        Headers of the area of action (codes or names, ``;``-separated),
        département, EPCI (SIREN or name) and QPV codes.
    lat_column, lon_column, address_column, postcode_column
        Headers of the seat's latitude, longitude, postal address, postcode.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns ``geo.schema.table_columns("ptce")`` then the input's
        other columns;
        ``geometry`` is the seat (Point) or ``None`` when not locatable.

    Raises
    ------
    DataSourceError, SchemaError, UnknownCommuneError, CRSError, InvalidGeometryError
        As :func:`load_territories`.

    Examples
    --------
    >>> ptce = load_ptce()
    >>> mine = load_ptce(pd.DataFrame({"nom": ["Pôle Thiernois"], "commune": ["Thiers"]}))
    >>> mine[["siege_insee", "precision_siege"]].values.tolist()
    [['63430', 'mairie']]
    """
    options = {k: v for k, v in locals().items() if k.endswith("_column")}
    return _load("ptce", path, options, sheet, make_valid, geocode_addresses, qpv)


# --- problems ---------------------------------------------------------------


@dataclass
class _Problems:
    """Problems of one input, by kind, raised once by :meth:`raise_if_any`."""

    source: str
    schema: list[str] = field(default_factory=list)
    communes: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    coordinates: list[str] = field(default_factory=list)
    geometry: list[str] = field(default_factory=list)

    def raise_if_any(self) -> None:
        every = sorted(
            self.schema + self.communes + self.coordinates + self.geometry, key=_row_order
        )
        if not every:
            return
        n = len(every)
        exc: Exception
        if self.communes and n == len(self.communes):
            header = f"{n} commune{'s' if n > 1 else ''} not found in {self.source}"
            message = format_problems(header, every)
            if len(self.ambiguous) == n:
                exc = AmbiguousCommuneError(message, every)
            else:
                exc = UnknownCommuneError(message, every)
        elif self.coordinates and n == len(self.coordinates):
            header = f"{n} row{'s' if n > 1 else ''} with bad coordinates in {self.source}"
            exc = CRSError(format_problems(header, every))
        elif self.geometry and n == len(self.geometry):
            header = f"{n} invalid geometr{'ies' if n > 1 else 'y'} in {self.source}"
            exc = InvalidGeometryError(
                format_problems(header, every)
                + " — pass make_valid=True to repair them with shapely.make_valid"
            )
        else:
            header = f"{n} problem{'s' if n > 1 else ''} in {self.source}"
            exc = SchemaError(format_problems(header, every), every)
        exc.problems = every
        raise exc


_ROW_NUMBER = re.compile(r"^(?:row|feature|index) (\d+)")


def _row_order(problem: str) -> int:
    """Sort key: the row number a problem starts with (others first)."""
    found = _ROW_NUMBER.match(problem)
    return int(found.group(1)) if found else -1


def _warn(header: str, items: list[str]) -> None:
    if items:
        warn(format_problems(header, items), EntityWarning)


# --- loading ----------------------------------------------------------------


def _load(
    kind: Table,
    path: Any,
    options: dict[str, str | None],
    sheet: str | int | None,
    make_valid: bool,
    geocode_addresses: bool,
    qpv: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    if path is None:
        return load_shipped(kind)
    data = read_input(path, sheet)
    roles = _columns.detect_columns(list(data.frame.columns), kind, options, source=data.source)
    _require_columns(kind, roles, data)
    problems = _Problems(data.source)
    rows = _Rows(kind, data, roles, problems, make_valid=make_valid, qpv=qpv)
    rows.identify()
    rows.check_geometry()
    rows.locate(geocode_addresses=geocode_addresses)
    problems.raise_if_any()
    result = rows.result()
    rows.emit_warnings()
    return result


_LOCATION_ROLES = ("codes", "communes", "seat_codes", "seat_communes", "epci", "qpv", "lat")


def _require_columns(kind: Table, roles: dict[str, str], data: Input) -> None:
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


class _Rows:
    """The rows of one input on their way to the schema (one pass per step)."""

    def __init__(
        self,
        kind: Table,
        data: Input,
        roles: dict[str, str],
        problems: _Problems,
        *,
        make_valid: bool,
        qpv: gpd.GeoDataFrame | None = None,
    ) -> None:
        self.kind = kind
        self.qpv = qpv
        self.data = data
        self.roles = roles
        self.problems = problems
        self.make_valid = make_valid
        self.n = len(data.frame)
        self.out: dict[str, list[Any]] = {c: [None] * self.n for c in table_columns(kind)}
        self.area_codes: list[list[str]] = [[] for _ in range(self.n)]
        self.seat_code: list[str | None] = [None] * self.n
        self.seat_point: list[Point | None] = [None] * self.n
        self.geocoded_precision: list[str | None] = [None] * self.n
        self.point_given: list[bool] = [False] * self.n
        self.placed: list[bool] = [False] * self.n  # a territory located by its point only
        self.cells_codes: list[str] = [""] * self.n
        self.fallback_reasons: list[str | None] = []
        self.own_area: list[tuple[MultiPolygon, float] | None] = [None] * self.n
        self.qpv_codes: list[list[str]] = [[] for _ in range(self.n)]
        self.epci_rows: set[int] = set()
        self.departements: list[str | None] = [None] * self.n
        self.old_codes: list[str] = []
        self.unlocated: list[str] = []
        self.fallbacks: list[str] = []
        self.mismatches: list[str] = []
        self.communes = CommuneIndex()

    # - helpers -

    def cells(self, role: str) -> list[str]:
        header = self.roles.get(role)
        if header is None:
            return [""] * self.n
        return ["" if is_blank(v) else str(v).strip() for v in self.data.frame[header]]

    def label(self, i: int) -> str:
        return self.data.labels[i]

    # - ids, names, statut -

    def identify(self) -> None:
        names = self.cells("nom")
        for i, name in enumerate(names):
            if not name:
                self.problems.schema.append(f"{self.label(i)} has an empty name")
        self.out["nom"] = [name or None for name in names]
        given = self.cells("id")
        first_row: dict[str, int] = {}
        for i, ident in enumerate(given):
            if not ident:
                continue
            if ident in first_row:
                self.problems.schema.append(
                    f"{self.label(i)} repeats id {ident!r} of {self.label(first_row[ident])}"
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
        self.out["id"] = ids
        if self.kind == "territories" and "statut" in self.roles:
            statuts = []
            for i, value in enumerate(self.cells("statut")):
                code = _STATUTS.get(name_key(value)) if value else None
                if value and code is None:
                    self.problems.schema.append(
                        f'{self.label(i)} statut "{value}" — use TH (habilité) '
                        "or PE (projet émergent)"
                    )
                statuts.append(code)
            self.out["statut"] = statuts

    # - own geometries -

    def check_geometry(self) -> None:
        geoms = self.data.geometry
        if geoms is None:
            return
        for i, geom in enumerate(geoms):
            if geom is None:
                continue
            if not geom.is_valid:
                if self.make_valid:
                    geoms[i] = polygonal(shapely.make_valid(geom)) or geom
                else:
                    reason = shapely.is_valid_reason(geom)
                    self.problems.geometry.append(
                        f"{self.label(i)} (id {self.out['id'][i]!r}): {reason}"
                    )
                    continue
            point = geom if isinstance(geom, Point) else geom.representative_point()
            message = check_lonlat(point.x, point.y, self.label(i))
            if message:
                self.problems.coordinates.append(message)

    # - location -

    def locate(self, *, geocode_addresses: bool) -> None:
        """Find the communes, points and polygons of every row."""
        written = self.cells("departement")
        self.departements = [departement_code(v) for v in written]
        self.cells_codes = self.cells("codes")
        self._read_coordinates()
        resolved = self._locate_by_values(written)
        for i, value in enumerate(written):
            # Rows with commune values get their département checked by the lookup.
            if value and self.departements[i] is None and i not in resolved:
                self.problems.schema.append(
                    f'{self.label(i)} département "{value}" is not a département code '
                    'or name ("78", "2A", "974", "Yvelines")'
                )
        self._communes_of_points()
        if geocode_addresses and "address" in self.roles:
            self._locate_by_address()
        self._locate_by_own_geometry()
        self._locate_by_qpv()

    def _locate_by_values(self, departements: list[str]) -> set[int]:
        """Resolve codes, names and EPCI of every row in one call to the lookup.

        Codes win over names of the same row, and either wins over an EPCI
        (then only descriptive). Returns the rows that had values to resolve.
        """
        codes, names, epcis = self.cells("codes"), self.cells("communes"), self.cells("epci")
        seat_codes, seat_names = self.cells("seat_codes"), self.cells("seat_communes")
        requests: list[tuple[int, str, str]] = []  # (row, value, target)
        for i in range(self.n):
            area, target = codes[i] or names[i], "area"
            if not area and epcis[i]:
                area, target = epcis[i], "epci"
            values = split_values(area, commas=target == "area")
            requests.extend((i, normalise_code(v), target) for v in values)
            # A PTCE placed by its coordinates has its seat commune from them.
            seat = "" if self.point_given[i] else seat_codes[i] or seat_names[i]
            requests.extend((i, normalise_code(v), "seat") for v in split_values(seat))
        if not requests:
            return set()
        resolved = _resolve(
            [v for _, v, _ in requests],
            [departements[i] or None for i, _, _ in requests],
            [self.label(i) for i, _, _ in requests],
            self.problems,
        )
        for k, (i, _value, target) in enumerate(requests):
            for match in resolved.get(k, []):
                code = match["code_insee"]
                if match["old"]:
                    self.old_codes.append(f"{self.label(i)} {match['note']}")
                if target == "seat":
                    if self.seat_code[i] is None:
                        self.seat_code[i] = code
                    continue
                if target == "epci":
                    self.epci_rows.add(i)
                if code not in self.area_codes[i]:
                    self.area_codes[i].append(code)
        self._check_names(codes, names, resolved, requests, "area")
        self._check_names(seat_codes, seat_names, resolved, requests, "seat")
        return {i for i, _, _ in requests}

    def _check_names(
        self,
        codes: list[str],
        names: list[str],
        resolved: dict[int, list[dict[str, Any]]],
        requests: list[tuple[int, str, str]],
        target: str,
    ) -> None:
        """Warn when a row's commune names do not match the communes of its codes."""
        found: dict[int, list[dict[str, Any]]] = {}
        for k, (i, _value, kind) in enumerate(requests):
            if kind == target:
                found.setdefault(i, []).extend(resolved.get(k, []))
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
                    self.mismatches.append(
                        f'{self.label(i)} "{name}" is not the commune of code(s) {shown} '
                        "(the code is used)"
                    )

    def _read_coordinates(self) -> None:
        """Read longitude/latitude cells and point geometries; check they are in France."""
        if "lat" in self.roles:
            for i, (lat_text, lon_text) in enumerate(
                zip(self.cells("lat"), self.cells("lon"), strict=True)
            ):
                if not lat_text and not lon_text:
                    continue
                lon, lat = _number(lon_text), _number(lat_text)
                message = check_lonlat(lon, lat, self.label(i))
                if message is None:
                    self.seat_point[i] = Point(lon, lat)
                    self.point_given[i] = True
                elif np.isfinite(lon) and np.isfinite(lat):
                    self.problems.coordinates.append(message)
                else:
                    self.problems.schema.append(
                        f'{self.label(i)} latitude "{lat_text}", longitude "{lon_text}" '
                        "are not both numbers (use a dot or a comma as decimal mark)"
                    )
        if self.data.geometry is not None:
            for i, geom in enumerate(self.data.geometry):
                if isinstance(geom, Point) and self.seat_point[i] is None:
                    self.seat_point[i] = geom
                    self.point_given[i] = True

    def _communes_of_points(self) -> None:
        """Find the commune under each given point: the PTCE seat, or the territory."""
        todo = [i for i in range(self.n) if self.point_given[i]]
        codes = self.communes.at([self.seat_point[i] for i in todo])
        for i, code in zip(todo, codes, strict=True):
            point = cast(Point, self.seat_point[i])  # given: not None
            if code is None:
                self.problems.coordinates.append(
                    f"{self.label(i)}: point ({point.x}, {point.y}) is in no French "
                    "commune (at sea?)"
                )
            elif self.kind == "ptce":
                self.seat_code[i] = self.seat_code[i] or code
            elif not self.cells_codes[i]:
                # Without INSEE codes, the point places the territory; a commune
                # name of the row (or the commune under the point) is context.
                self.area_codes[i] = self.area_codes[i] or [code]
                self.placed[i] = True

    def _locate_by_address(self) -> None:
        addresses = self.cells("address")
        todo = [i for i in range(self.n) if addresses[i] and self.seat_point[i] is None]
        if not todo:
            return
        from geo.reference.geocoding import GeocodingWarning, geocode

        postcodes = self.cells("postcode")
        towns = self.cells("seat_communes") if self.kind == "ptce" else self.cells("communes")
        queries = []
        for i in todo:
            parts = [addresses[i]]
            for extra in (postcodes[i], towns[i]):
                if extra and name_key(extra) not in name_key(parts[0]):
                    parts.append(extra)
            queries.append(" ".join(parts))
        citycodes = [self.seat_code[i] or next(iter(self.area_codes[i]), None) for i in todo]
        with warnings.catch_warnings():
            # Every address not placed precisely is reported below, with its row.
            warnings.simplefilter("ignore", GeocodingWarning)
            found = geocode(queries, citycodes=citycodes).reset_index(drop=True)
        for k, i in enumerate(todo):
            row = found.iloc[k]
            precision = row["precision"]
            reason = None if is_blank(row["reason"]) else str(row["reason"])
            if precision == "inconnu" or pd.isna(row["lon"]) or pd.isna(row["lat"]):
                why = f" ({reason})" if reason else ""
                self.unlocated.append(f'{self.label(i)} address "{queries[k]}" not found{why}')
                continue
            code = next(
                (str(c) for c in (row["citycode"], row["code_insee_commune"]) if not is_blank(c)),
                None,
            )
            if precision != "adresse":
                where = {"mairie": "the town hall"}.get(precision, "a point inside")
                self.fallbacks.append(
                    f'{self.label(i)} "{queries[k]}" placed at {where} of {code}'
                )
                self.fallback_reasons.append(reason)
            self.seat_point[i] = Point(float(row["lon"]), float(row["lat"]))
            self.geocoded_precision[i] = precision
            if self.kind == "ptce":
                self.seat_code[i] = self.seat_code[i] or code
            elif not self.cells_codes[i]:
                self.area_codes[i] = self.area_codes[i] or ([code] if code else [])
                self.placed[i] = True

    def _locate_by_own_geometry(self) -> None:
        if self.data.geometry is None:
            return
        polygons: dict[int, MultiPolygon] = {}
        for i, geom in enumerate(self.data.geometry):
            if geom is None or isinstance(geom, Point) or not geom.is_valid:
                continue
            polygon = polygonal(geom)
            if polygon is not None:
                polygons[i] = polygon
        covered = self.communes.under(list(polygons.values()))
        for (i, polygon), (codes, share) in zip(polygons.items(), covered, strict=True):
            self.own_area[i] = (polygon, share)
            if not self.area_codes[i]:
                self.area_codes[i] = codes

    def _locate_by_qpv(self) -> None:
        self.qpv_codes = [[c.upper() for c in split_values(v)] for v in self.cells("qpv")]
        todo = [i for i in range(self.n) if self.qpv_codes[i] and self.own_area[i] is None]
        if not todo:
            return
        from geo.reference.qpv import load_qpv, qpv_geometry

        table = self.qpv if self.qpv is not None else load_qpv()
        polygons: dict[int, MultiPolygon] = {}
        for i in todo:
            try:
                shape = qpv_geometry(self.qpv_codes[i], qpv=table)
            except UnknownQPVError as exc:
                self.problems.schema.extend(
                    f'{self.label(i)} {p} (QPV codes look like "QN07801M")' for p in exc.problems
                )
                continue
            polygon = polygonal(shape)
            if polygon is not None:
                polygons[i] = polygon
        covered = self.communes.under(list(polygons.values()))
        for (i, polygon), (communes, _) in zip(polygons.items(), covered, strict=True):
            self.own_area[i] = (polygon, 0.0)
            if not self.area_codes[i]:
                self.area_codes[i] = communes

    # - output -

    def emit_warnings(self) -> None:
        _warn(f"codes no longer current in {self.data.source}, replaced", self.old_codes)
        _warn(f"names that do not match the codes in {self.data.source}", self.mismatches)
        _warn(f"rows of {self.data.source} that could not be located", self.unlocated)
        # One reason for all (offline, BAN down) goes in the header, else on each row.
        reasons = set(self.fallback_reasons)
        fallbacks, why = self.fallbacks, ""
        if len(reasons) == 1:
            common = reasons.pop()
            why = f" ({common})" if common else ""
        else:
            fallbacks = [
                f"{text} ({reason})" if reason else text
                for text, reason in zip(fallbacks, self.fallback_reasons, strict=True)
            ]
        _warn(f"approximate locations in {self.data.source}{why}", fallbacks)

    def result(self) -> gpd.GeoDataFrame:
        needed = {c for codes in self.area_codes for c in codes}
        needed |= {c for c in self.seat_code if c}
        communes = commune_records(self.communes.table, needed)
        if self.kind == "territories":
            self._territory_columns(communes)
        else:
            self._ptce_columns(communes)
        self._common_columns(communes)
        columns = table_columns(self.kind)
        frame = pd.DataFrame(
            {c: pd.Series(self.out[c], dtype=object) for c in columns if c != "geometry"}
        )
        extra = self._extra_columns()
        for header in extra:
            frame[header] = self.data.frame[header].to_numpy(dtype=object)
        for column in field_names(self.kind, type="int"):
            frame[column] = pd.array(frame[column], dtype="Int64")
        return gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries(self.out["geometry"], crs=WGS84), crs=WGS84
        )[[*columns, *extra]]

    def _extra_columns(self) -> list[str]:
        """Input columns kept as they are: all but those turned into schema columns."""
        known = set(table_columns(self.kind))
        kept_roles = ("address", "postcode")
        used = {h for role, h in self.roles.items() if role not in kept_roles}
        return [c for c in self.data.frame.columns if c not in known and c not in used]

    def _territory_columns(self, communes: dict[str, dict[str, Any]]) -> None:
        for i in range(self.n):
            codes = self.area_codes[i]
            own = self.own_area[i]
            geometry, precision = None, "inconnu"
            if own is not None:
                polygon, share = own
                geometry = polygon
                precision = "infra-communal" if share < _INFRA_COMMUNAL_SHARE else "communes"
            elif self.placed[i] and self.seat_point[i] is not None:
                # Placed by an address or coordinates: the point is all we know;
                # its commune is context (codes_insee), never the perimeter.
                geometry = self.seat_point[i]
                precision = self.placed_precision(i)
            elif codes:
                geometry = union_of([communes[c]["geometry"] for c in codes if c in communes])
                precision = "epci" if i in self.epci_rows else "communes"
            if geometry is None:
                self.unlocated.append(f"{self.label(i)} ({self.out['id'][i]})")
            self.out["geometry"][i] = geometry
            self.out["precision"][i] = precision
            whole = population(communes, codes) if codes else None
            measured = precision in ("communes", "epci") and whole is not None
            self.out["population_communes"][i] = whole
            self.out["population"][i] = whole if measured else None
            self.out["population_source"][i] = "communes" if measured else "inconnue"
        self.out["qpv_codes"] = [";".join(c) or None for c in self.qpv_codes]

    def placed_precision(self, i: int) -> str:
        """Return how a row's point was placed, as its warning says.

        ``point`` (coordinates given), ``adresse`` (geocoded), or the geocoder's
        fallback (``mairie``, ``point-sur-surface``).
        """
        if self.point_given[i]:
            return "point"
        return self.geocoded_precision[i] or "adresse"

    def _ptce_columns(self, communes: dict[str, dict[str, Any]]) -> None:
        for i in range(self.n):
            codes = self.area_codes[i]
            seat = seat_commune(self.seat_code[i], codes)
            record = communes.get(seat) if seat else None
            own = self.own_area[i]
            area: list[Any] | None = None
            if record is None:
                if own is not None:
                    area = [own[0]]
                elif codes:
                    area = [communes[c]["geometry"] for c in codes if c in communes]
                elif self.departements[i]:
                    area = self.communes.of_departement(str(self.departements[i]))
            point, how = seat_point(
                point=self.seat_point[i],
                point_method=self.placed_precision(i),
                mairie=(record["mairie_lon"], record["mairie_lat"]) if record else None,
                seat_geometry=record["geometry"] if record else None,
                area=area,
            )
            if point is None:
                self.unlocated.append(f"{self.label(i)} ({self.out['id'][i]})")
            self.out["geometry"][i] = point
            self.out["precision_siege"][i] = how
            self.out["siege_insee"][i] = seat
            self.out["siege_commune"][i] = record["nom"] if record is not None else None
            if codes or self.own_area[i] is not None:
                precision = "epci" if i in self.epci_rows else "communes"
            elif seat is not None:
                precision = "siege"
            elif self.departements[i]:
                precision = "departement"
            else:
                precision = "inconnu"
            self.out["precision"][i] = precision

    def _common_columns(self, communes: dict[str, dict[str, Any]]) -> None:
        regions = region_names()
        dep_regions = departement_regions()
        for i in range(self.n):
            codes = self.area_codes[i]
            known = [communes[c] for c in codes if c in communes]
            self.out["codes_insee"][i] = ";".join(codes) or None
            if self.kind == "territories":
                self.out["communes"][i] = ";".join(r["nom"] for r in known) or None
            seat = self.seat_code[i]
            anchor = known or ([communes[seat]] if seat in communes else [])
            deps = _unique(r["departement"] for r in anchor)
            regs = _unique(r["region"] for r in anchor)
            departement = ";".join(deps) or self.departements[i]
            self.out["departement"][i] = departement
            region = ";".join(regs) or dep_regions.get(departement or "")
            self.out["region"][i] = region
            names = [regions.get(r, r) for r in (regs or ([region] if region else []))]
            self.out["region_nom"][i] = ";".join(names) or None
            epcis = _unique(r["epci_siren"] for r in known)
            if len(epcis) == 1 and "epci_siren" in self.out:
                self.out["epci_siren"][i] = epcis[0]
                self.out["epci_nom"][i] = next(
                    r["epci_nom"] for r in known if not is_blank(r["epci_nom"])
                )
            geometry = self.out["geometry"][i]
            if codes:
                self.out["zone"][i] = zone_of_code(codes[0])
            elif seat:
                self.out["zone"][i] = zone_of_code(seat)
            elif geometry is not None:
                self.out["zone"][i] = zone_of_geometry(gpd.GeoSeries([geometry], crs=WGS84))[0]
        # Descriptive schema columns the file gives (under any known header) are copied.
        for column in _columns.COPIED_ROLES[self.kind]:
            header = self.roles.get(column)
            if header is not None:
                self.out[column] = [
                    None if is_blank(v) else v for v in self.data.frame[header].to_numpy()
                ]


# --- helpers ------------------------------------------------------------------


def _resolve(
    values: list[str],
    departements: list[str | None],
    labels: list[str],
    problems: _Problems,
) -> dict[int, list[dict[str, Any]]]:
    """Resolve values to communes; return the matches per request, record problems."""
    from geo.reference.lookup import resolve_each

    # The messages are shown in the error raised for these rows: with suggestions.
    found = resolve_each(values, departements, where=labels, suggest=True)
    out: dict[int, list[dict[str, Any]]] = {}
    for k, result in enumerate(found):
        if isinstance(result, UnknownCommuneError):
            problems.communes.append(str(result))
            if isinstance(result, AmbiguousCommuneError):  # told by type, not by its text
                problems.ambiguous.append(str(result))
            continue
        out[k] = [
            {
                "code_insee": m.code_insee,
                "nom": m.nom,
                "matched_by": m.matched_by,
                "note": m.note,
                "old": m.matched_by == "old-code",
            }
            for m in result
        ]
    return out


def _number(text: str) -> float:
    try:
        return float(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except ValueError:
        return float("nan")


def _unique(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values if not is_blank(v)))
