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

How it is built
---------------
This module holds the two loaders and runs the steps in order. Each step is a
pure function over frozen records (:mod:`geo.loading.records`): the
:class:`~geo.loading.records.Source` (one input as read) and the
:class:`~geo.loading.records.Rows` frame (what is known of each row so far),
returned anew with a :class:`~geo.loading.records.Report` of what the step
found; the problems of all steps are raised at once, after the last one that
can find any. The steps live by
job: :mod:`geo.loading.checks` (names, ids, statut, geometries, coordinates),
:mod:`geo.loading.locate` (communes, seats, points, polygons),
:mod:`geo.loading.output` (the schema's columns); :mod:`geo.loading.communes`
holds the commune reference they share, :mod:`geo.loading.shipped_tables` reads
the shipped tables.

None of them does network I/O of its own: geocoding goes through
:mod:`geo.reference.geocoding`, QPV outlines through :mod:`geo.reference.qpv`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._core.columns import detect_columns
from geo._core.tables import read_input
from geo._core.warn import warn
from geo.errors import GeoWarning, format_problems
from geo.loading.checks import check_geometry, identify, require_columns
from geo.loading.communes import CommuneIndex
from geo.loading.locate import locate
from geo.loading.output import to_frame
from geo.loading.records import Report, Source, raise_problems
from geo.loading.shipped_tables import load_shipped
from geo.schema import Table

__all__ = [
    "EntityWarning",
    "load_ptce",
    "load_territories",
]


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


# --- the steps, in order -------------------------------------------------------


def _load(
    kind: Table,
    path: Any,
    options: dict[str, str | None],
    sheet: str | int | None,
    make_valid: bool,
    geocode_addresses: bool,
    qpv: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Read ``path`` and run the steps over its rows; raise every problem at once."""
    if path is None:
        return load_shipped(kind)
    data = read_input(path, sheet)
    roles = detect_columns(list(data.frame.columns), kind, options, source=data.source)
    require_columns(kind, roles, data)
    source = Source.of(kind, data, roles)
    communes = CommuneIndex()
    rows, report = identify(source)
    source, found = check_geometry(source, rows, make_valid=make_valid)
    report += found
    rows, found = locate(source, rows, communes, geocode_addresses=geocode_addresses, qpv=qpv)
    report += found
    raise_problems(report, source.file)
    result, found = to_frame(source, rows, communes)
    _emit_warnings(report + found, source.file)
    return result


def _warn(header: str, items: Sequence[str]) -> None:
    if items:
        warn(format_problems(header, items), EntityWarning)


def _emit_warnings(report: Report, file: str) -> None:
    """Warn once per kind of note: old codes, mismatched names, unlocated rows, fallbacks."""
    _warn(f"codes no longer current in {file}, replaced", report.old_codes)
    _warn(f"names that do not match the codes in {file}", report.mismatches)
    _warn(f"rows of {file} that could not be located", report.unlocated)
    # One reason for all (offline, BAN down) goes in the header, else on each row.
    reasons = {reason for _, reason in report.fallbacks}
    fallbacks, why = [text for text, _ in report.fallbacks], ""
    if len(reasons) == 1:
        common = reasons.pop()
        why = f" ({common})" if common else ""
    else:
        fallbacks = [f"{text} ({reason})" if reason else text for text, reason in report.fallbacks]
    _warn(f"approximate locations in {file}{why}", fallbacks)
