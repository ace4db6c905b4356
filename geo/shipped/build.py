"""The project's shipped data: TZCLD territories and PTCE, with provenance.

Two human-editable tables in the checkout's ``data/`` folder are the truth:

``tz_territories.csv``
    One row per TZCLD territory (``statut`` TH = habilité, PE = projet
    émergent): INSEE codes of the perimeter, quartier text, EPCI, legal text,
    sources, confidence, and the ``precision`` of the perimeter.
``ptce.csv``
    One row per PTCE: seat commune, area of action, themes, State support,
    sources, confidence, and the ``precision`` of the area of action.

Beside them, ``qpv2024_communes.csv`` is the ANCT list of QPV 2024 by commune
(:func:`geo.reference.qpv.qpv_list`), against which the ``qpv_codes`` of the
territories are checked.

:func:`build_data` validates both tables, joins them to the official commune
boundaries (:func:`geo.reference.communes.load_communes`, communes and arrondissements
municipaux) and writes ``territories.geojson`` and ``ptce.geojson``:
deterministic text (features sorted by ``id``, coordinates rounded to
:data:`COORD_DECIMALS` decimals, one feature per line), written atomically,
so that a rebuild of unchanged tables is byte-identical. Given the ANCT QPV
2024 boundaries (``qpv=``, a file or URL read by :func:`geo.reference.qpv.load_qpv`), a
territory with ``qpv_codes`` is drawn as the union of its QPV (precision
``qpv``). :func:`data_report` describes the quality of the data in French.
``scripts/import_reference.py`` created the tables once from the reference
tables of ``shared/reference`` (it is not part of the package).

This module reads and writes local files only; only ``qpv=<URL>`` downloads
(through :func:`geo.reference.qpv.load_qpv`, which honours the offline setting).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo._core.datadir import DATA_DIR_ENV, checkout_data_dir, installed_data_dir, shipped_data_dir
from geo._core.datadir import data_dir as current_data_dir
from geo._core.files import atomic_path
from geo._core.tables import read_text
from geo._core.text import name_key, without_article
from geo.crs import WGS84, zone_of_code
from geo.errors import DataSourceError, SchemaError, format_problems
from geo.reference.cog import register as register_cache
from geo.reference.communes import MissingGeometryWarning, commune_attributes, load_communes
from geo.reference.names import PLM_PARENTS
from geo.reference.placement import seat_commune, seat_point
from geo.schema import (
    CONFIANCES,
    POPULATION_SOURCES,
    PTCE_PRECISIONS,
    STATUT_DETAILS,
    STATUTS,
    TERRITORY_PRECISIONS,
    field_names,
)

__all__ = [
    "COORD_DECIMALS",
    "DATA_DIR",
    "NO_SOURCE_MARKER",
    "build_data",
    "build_frames",
    "data_diff",
    "data_report",
    "date_precision",
    "qpv_summary",
    "read_tables",
    "report_numbers",
]

#: The shipped data folder: the checkout's ``data/`` (``<checkout>/data``), or,
#: installed from a wheel, the copy installed with the package
#: (:func:`geo._core.datadir.data_dir`).
DATA_DIR: Path = shipped_data_dir()

TERRITORIES_CSV = "tz_territories.csv"
PTCE_CSV = "ptce.csv"
TERRITORIES_GEOJSON = "territories.geojson"
PTCE_GEOJSON = "ptce.geojson"
QPV_LIST_CSV = "qpv2024_communes.csv"

# The columns of tz_territories.csv and ptce.csv are the schema's fields minus
# the derived ones (field_names(table, derived=False)); the properties of each
# GeoJSON feature are all of them (field_names(table)), in order.

#: Literal marker of the rows that exist without any public source, written at
#: the start of ``notes`` (an internal field), never in ``sources``.
NO_SOURCE_MARKER = "NO-PUBLIC-SOURCE-FOUND"
_NO_SOURCE_RE = re.escape(NO_SOURCE_MARKER)

#: Decimal places of the coordinates written to the GeoJSON files (about 1 m).
COORD_DECIMALS = 5

#: Above this total size of the two GeoJSON files, perimeters are simplified
#: (:data:`SIMPLIFY_TOLERANCE_DEG`) before the union. The boundaries of the
#: embedded source are already simplified; the files stay well below it.
MAX_GEOJSON_BYTES = 3_000_000
SIMPLIFY_TOLERANCE_DEG = 0.0005


_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2}|/\d{2})?)?$")
_SIREN = re.compile(r"^\d{9}$")
_URL = re.compile(r"^https?://", re.IGNORECASE)
_STATUS_CHECKED = re.compile(r"statut actuel (?:vérifié|confirmé)", re.IGNORECASE)
_QPV_CODE = re.compile(r"^QN(?:\d{3}|0?2[AB])\d{2}[A-Z]$")
#: Remarks meant for the maintainers, not for public pages: rows whose public
#: fields hold one are listed by :func:`data_report`.
_INTERNAL_REMARK = re.compile(
    rf"{_NO_SOURCE_RE}|document de r[ée]f[ée]rence|orthographi[ée]|table de r[ée]f[ée]rence"
    r"|\bà confirmer\b|\bTODO\b",
    re.IGNORECASE,
)
_SOURCE_DATE = re.compile(r"Date de la source\s*:\s*([^;(]+?)\s*(?:[;(]|\.(?:\s|$)|$)")


# --- paths and reading --------------------------------------------------------


def _data_dir(data_dir: str | os.PathLike[str] | None) -> Path:
    """Return the folder given, else ``TZPTCE_DATA_DIR``, else the shipped data."""
    return Path(data_dir) if data_dir is not None else current_data_dir()


def _split(value: str, sep: str = ";") -> list[str]:
    return [part.strip() for part in str(value).split(sep) if part.strip()]


def _source_items(value: str) -> list[str]:
    return _split(value, " | ")


@dataclass(frozen=True)
class _Table:
    """A CSV table read as strings, with the file line of each row."""

    path: Path
    frame: pd.DataFrame  # column "_line": last physical line of the record

    def where(self, index: int) -> str:
        row = self.frame.loc[index]
        return f"line {row['_line']} (id {row['id']!r})"


def _read_csv(path: Path, columns: Sequence[str]) -> _Table:
    if not path.is_file():
        raise DataSourceError(
            f"{path} not found: the shipped tables live in the source checkout's data/ "
            f"folder; pass data_dir=... pointing to a folder with {TERRITORIES_CSV} "
            f"and {PTCE_CSV}"
        )
    text = read_text(path, str(path))  # UTF-8 (BOM or not), Windows-1252, Latin-1
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    done = 0  # last line of the last record read
    try:
        header = reader.fieldnames or []
        done = reader.line_num
        missing = [c for c in columns if c not in header]
        if missing:
            raise SchemaError(
                f"{path}: missing column(s) {missing}; expected the columns {list(columns)}"
            )
        for record in reader:
            values = {c: (record.get(c) or "").strip() for c in columns}
            values["_line"] = done = reader.line_num
            rows.append(values)
    except csv.Error as exc:
        raise SchemaError(
            f"{path}: line {done + 1} cannot be read as CSV: {exc} (a quote left "
            "open makes the rest of the file one cell; close it or remove it)"
        ) from exc
    frame = pd.DataFrame(rows, columns=[*columns, "_line"], dtype=object)
    return _Table(path, frame)


# --- the official referential -------------------------------------------------


@dataclass(frozen=True)
class _Cog:
    """What validation needs from the COG: codes, names, EPCI, régions."""

    attributes: pd.DataFrame  # all types, indexed by position
    located: pd.DataFrame  # COM + ARM, indexed by code_insee
    delegated_parent: dict[str, str]  # COMD/COMA code -> parent code
    epci_members: dict[str, list[str]]  # SIREN -> sorted COM codes
    epci_names: dict[str, str]
    departements: set[str]
    region_of_dep: dict[str, str]
    region_names: dict[str, str]  # region code -> official name
    region_by_key: dict[str, str]  # name key -> region code


def _load_cog() -> _Cog:
    from geo.reference.communes import departements, regions

    attributes = commune_attributes()
    located = attributes[attributes["type"].isin(["COM", "ARM"])].set_index("code_insee")
    com = attributes[attributes["type"] == "COM"]
    delegated = attributes[attributes["type"].isin(["COMD", "COMA"])]
    delegated_parent = dict(zip(delegated["code_insee"], delegated["parent"], strict=True))
    members: dict[str, list[str]] = {}
    for siren, code in zip(com["epci_siren"], com["code_insee"], strict=True):
        if isinstance(siren, str):
            members.setdefault(siren, []).append(code)
    epci_names = dict(
        com.dropna(subset=["epci_siren"])
        .drop_duplicates("epci_siren")[["epci_siren", "epci_nom"]]
        .itertuples(index=False, name=None)
    )
    deps = departements()
    region_of_dep = dict(zip(deps["code"], deps["region"], strict=True))
    regions_table = regions()
    region_names = dict(zip(regions_table["code"], regions_table["nom"], strict=True))
    region_by_key = {without_article(name_key(n)): c for c, n in region_names.items()}
    return _Cog(
        attributes=attributes,
        located=located,
        delegated_parent=delegated_parent,
        epci_members={s: sorted(c) for s, c in members.items()},
        epci_names=epci_names,
        departements=set(region_of_dep),
        region_of_dep=region_of_dep,
        region_names=region_names,
        region_by_key=region_by_key,
    )


def _code_problem(cog: _Cog, code: str, field: str) -> str | None:
    """Return why ``code`` cannot be used in ``field``, or ``None``."""
    if code in cog.located.index:
        return None
    parent = cog.delegated_parent.get(code)
    if parent is not None:
        parent_name = cog.located.at[parent, "nom"] if parent in cog.located.index else "?"
        return (
            f"{field} {code!r} is a commune déléguée/associée of {parent} {parent_name} "
            f"(COG 2025): use the code {parent}"
        )
    return (
        f"unknown INSEE code {code!r} in {field}: not a commune or arrondissement of the "
        "COG 2025 (5 characters, e.g. 01001, 2A004, 97407, 75113)"
    )


def _names_match(given: str, official: str) -> bool:
    return without_article(name_key(given)) == without_article(name_key(official))


def _region_code(cog: _Cog, departements: Sequence[str], region_nom: str) -> str:
    for dep in departements:
        if dep in cog.region_of_dep:
            return cog.region_of_dep[dep]
    return cog.region_by_key.get(without_article(name_key(region_nom)), "") if region_nom else ""


def _zone_of_region(cog: _Cog, region: str) -> str:
    for dep, reg in sorted(cog.region_of_dep.items()):
        if reg == region:
            return zone_of_code(dep)
    return ""


@dataclass(frozen=True)
class _QpvList:
    """The ANCT list of QPV 2024 by commune, as validation needs it."""

    path: Path
    communes: dict[str, set[str]]  # QPV code -> INSEE codes of its communes
    names: dict[str, str]  # QPV code -> name


def _qpv_list(folder: Path) -> _QpvList:
    from geo.reference.qpv import qpv_list

    path = folder / QPV_LIST_CSV
    if not path.is_file():
        path = DATA_DIR / QPV_LIST_CSV
    table = qpv_list(path)
    communes: dict[str, set[str]] = {}
    for code, commune in zip(table["code_qp"], table["insee_com"], strict=True):
        communes.setdefault(code, set()).add(commune)
    names = dict(zip(table["code_qp"], table["nom_qp"], strict=True))
    return _QpvList(path, communes, names)


# --- validation ---------------------------------------------------------------


def _check_common(table: _Table, cog: _Cog, problems: list[str]) -> None:
    """Check what both tables share: ids, confidence, département, région."""
    frame = table.frame
    counts = Counter(frame["id"])
    for i, row in frame.iterrows():
        where = table.where(i)
        if not row["id"]:
            problems.append(f"line {row['_line']}: empty id")
        elif counts[row["id"]] > 1:
            lines = frame.loc[frame["id"] == row["id"], "_line"].tolist()
            problems.append(f"{where}: duplicate id (lines {', '.join(map(str, lines))})")
        elif not _SLUG.match(row["id"]):
            problems.append(f"{where}: id must be a lowercase slug like 'les-mureaux'")
        if not row["nom"]:
            problems.append(f"{where}: empty nom")
        if row["confiance"] not in CONFIANCES:
            problems.append(f"{where}: confiance {row['confiance']!r} not in {CONFIANCES}")
        for dep in _split(row["departement"]):
            if dep not in cog.departements:
                problems.append(f"{where}: unknown département code {dep!r}")
        if row["region_nom"]:
            key = without_article(name_key(row["region_nom"]))
            code = cog.region_by_key.get(key)
            if code is None:
                problems.append(
                    f"{where}: unknown région {row['region_nom']!r}; use an official name "
                    f"such as {sorted(cog.region_names.values())[:3]}..."
                )
            else:
                deps = [d for d in _split(row["departement"]) if d in cog.region_of_dep]
                if deps and cog.region_of_dep[deps[0]] != code:
                    problems.append(
                        f"{where}: région {row['region_nom']!r} does not contain département "
                        f"{deps[0]} (région {cog.region_names[cog.region_of_dep[deps[0]]]})"
                    )


def _check_codes(
    where: str, codes: Iterable[str], names: str, field: str, cog: _Cog, problems: list[str]
) -> bool:
    """Check INSEE codes and, when given, their names. Return True when all codes exist."""
    codes = list(codes)
    ok = True
    for code in codes:
        problem = _code_problem(cog, code, field)
        if problem:
            problems.append(f"{where}: {problem}")
            ok = False
    if len(set(codes)) != len(codes):
        problems.append(f"{where}: duplicate codes in {field}")
    name_list = _split(names)
    if ok and name_list:
        if len(name_list) != len(codes):
            problems.append(
                f"{where}: {len(codes)} code(s) in {field} but {len(name_list)} name(s); "
                "give one official name per code, or leave the names empty"
            )
        else:
            for code, name in zip(codes, name_list, strict=True):
                official = cog.located.at[code, "nom"]
                if not _names_match(name, official):
                    problems.append(
                        f"{where}: name {name!r} does not match code {code} ({official}); "
                        "fix the code or the name"
                    )
    return ok


def _check_qpv_codes(
    where: str, row: pd.Series, codes: list[str], qpv: _QpvList, problems: list[str]
) -> None:
    """Check ``qpv_codes``: known QPV 2024 codes, each in one of the row's communes."""
    wanted = _split(row["qpv_codes"])
    if not wanted:
        return
    if row["precision"] != "infra-communal":
        problems.append(
            f"{where}: qpv_codes are given but precision is {row['precision']!r}; a territory "
            "made of QPV has precision 'infra-communal' (the build draws it as 'qpv' when "
            "given the QPV boundaries)"
        )
    if len(set(wanted)) != len(wanted):
        problems.append(f"{where}: duplicate codes in qpv_codes")
    communes = {PLM_PARENTS.get(c, c) for c in codes}
    for code in wanted:
        if not _QPV_CODE.match(code):
            problems.append(
                f"{where}: qpv_codes {code!r} is not a QPV code (like 'QN07819M': QN, "
                "département, number, letter)"
            )
        elif code not in qpv.communes:
            problems.append(
                f"{where}: unknown QPV code {code!r} in qpv_codes: not in the ANCT list of "
                f"QPV 2024 ({qpv.path.name}, {len(qpv.communes)} QPV)"
            )
        elif communes and not communes & qpv.communes[code]:
            where_qpv = ", ".join(sorted(qpv.communes[code]))
            problems.append(
                f"{where}: QPV {code} ({qpv.names[code]}) lies in commune(s) {where_qpv}, "
                f"none of codes_insee {';'.join(codes)!r}: fix the QPV code or the communes"
            )


def _validate_territories(table: _Table, cog: _Cog, qpv: _QpvList) -> list[str]:
    problems: list[str] = []
    _check_common(table, cog, problems)
    for i, row in table.frame.iterrows():
        where = table.where(i)
        if row["statut"] not in STATUTS:
            problems.append(f"{where}: statut {row['statut']!r} not in {STATUTS}")
        precision = row["precision"]
        if precision in ("adresse", "point", "mairie"):
            problems.append(
                f"{where}: precision {precision!r} is set when a user's file places a "
                "territory by an address or coordinates; the tables name communes, "
                "quartiers or an EPCI"
            )
        elif precision == "qpv":
            problems.append(
                f"{where}: precision 'qpv' is set by the build, not in the table: write "
                "'infra-communal' and the qpv_codes"
            )
        elif precision not in TERRITORY_PRECISIONS:
            problems.append(f"{where}: precision {precision!r} not in {TERRITORY_PRECISIONS}")
        codes = _split(row["codes_insee"])
        codes_ok = _check_codes(where, codes, row["communes"], "codes_insee", cog, problems)
        _check_qpv_codes(where, row, codes if codes_ok else [], qpv, problems)
        if codes_ok and codes and row["departement"]:
            deps = set(_split(row["departement"]))
            for code in codes:
                dep = cog.located.at[code, "departement"]
                if dep not in deps:
                    problems.append(
                        f"{where}: commune {code} is in département {dep}, not in "
                        f"departement {row['departement']!r}"
                    )
        siren = row["epci_siren"]
        if siren and (not _SIREN.match(siren) or siren not in cog.epci_members):
            problems.append(
                f"{where}: epci_siren {siren!r} is not an EPCI of the COG 2025; "
                "leave it empty when the EPCI no longer exists and say so in notes"
            )
        if precision in ("communes", "infra-communal") and not codes:
            problems.append(f"{where}: precision {precision!r} needs codes_insee")
        if precision == "epci" and not codes and not siren:
            problems.append(f"{where}: precision 'epci' needs epci_siren (or codes_insee)")
        if precision == "inconnu" and (codes or siren):
            problems.append(
                f"{where}: precision 'inconnu' but codes_insee/epci_siren are given; "
                "set precision to 'communes', 'infra-communal' or 'epci'"
            )
        if row["date_habilitation"] and not _DATE.match(row["date_habilitation"]):
            problems.append(
                f"{where}: date_habilitation {row['date_habilitation']!r} is not "
                "AAAA, AAAA-MM, AAAA-MM-JJ or AAAA-MM/MM"
            )
        if row["statut"] == "PE" and row["date_habilitation"]:
            problems.append(f"{where}: a projet émergent (PE) has no date_habilitation")
        if row["statut_detail"] and row["statut_detail"] not in STATUT_DETAILS:
            problems.append(
                f"{where}: statut_detail {row['statut_detail']!r} not in {STATUT_DETAILS} "
                "(leave it empty for an active territory)"
            )
        _check_population(where, row, problems)
    return problems


def _check_population(where: str, row: pd.Series, problems: list[str]) -> None:
    """Check that a stated population is a whole number with the URL stating it."""
    figure, url = row["population_citee"], row["population_url"]
    if figure and not figure.isdigit():
        problems.append(
            f"{where}: population_citee {figure!r} is not a whole number of inhabitants "
            "(write 7500 for « ≈ 7 500 hab. »)"
        )
    if figure and not url:
        problems.append(
            f"{where}: population_citee {figure} has no population_url: give the URL of "
            "the page that states it"
        )
    if url and not _URL.match(url):
        problems.append(f"{where}: population_url {url!r} is not an http(s) URL")
    if url and not figure:
        problems.append(f"{where}: population_url is given without population_citee")


def _validate_ptce(table: _Table, cog: _Cog) -> list[str]:
    problems: list[str] = []
    _check_common(table, cog, problems)
    for i, row in table.frame.iterrows():
        where = table.where(i)
        precision = row["precision"]
        if precision not in PTCE_PRECISIONS:
            problems.append(f"{where}: precision {precision!r} not in {PTCE_PRECISIONS}")
        seat = row["siege_insee"]
        if seat:
            if _check_codes(where, [seat], row["siege_commune"], "siege_insee", cog, problems):
                dep = cog.located.at[seat, "departement"]
                if row["departement"] and dep not in _split(row["departement"]):
                    problems.append(
                        f"{where}: seat {seat} is in département {dep}, not {row['departement']!r}"
                    )
        elif row["siege_commune"]:
            problems.append(
                f"{where}: siege_commune {row['siege_commune']!r} has no siege_insee; "
                "add its INSEE code"
            )
        codes = _split(row["codes_insee"])
        _check_codes(where, codes, "", "codes_insee", cog, problems)
        if precision in ("communes", "epci") and not codes:
            problems.append(f"{where}: precision {precision!r} needs codes_insee")
        if precision == "siege" and not seat:
            problems.append(f"{where}: precision 'siege' needs siege_insee")
        if precision == "departement" and not row["departement"]:
            problems.append(f"{where}: precision 'departement' needs departement")
        if precision == "inconnu" and (codes or seat):
            problems.append(f"{where}: precision 'inconnu' but a seat or codes_insee is given")
    return problems


def read_tables(
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate ``tz_territories.csv`` and ``ptce.csv``.

    Parameters
    ----------
    data_dir
        Folder holding the two tables; :data:`DATA_DIR` when omitted.

    Returns
    -------
    tuple of DataFrame
        Territories and PTCE, all columns as strings (empty string = no
        value), plus ``_line`` (line of the row in its file). The files may
        be UTF-8 (with or without BOM) or Windows-1252, as spreadsheets save
        them; columns ``geo.schema.field_names(table, derived=False)``.

    Raises
    ------
    DataSourceError
        A table is missing or cannot be read.
    SchemaError
        Undecodable or malformed CSV, missing columns, or invalid rows:
        duplicate or malformed ids, unknown INSEE codes, EPCI SIREN,
        départements or régions, names that do not match their code, values
        outside the allowed lists. All problems of
        both tables are listed in one message. Missing sources are *not* an
        error: :func:`data_report` lists them.
    """
    folder = _data_dir(data_dir)
    territories = _read_csv(folder / TERRITORIES_CSV, field_names("territories", derived=False))
    ptce = _read_csv(folder / PTCE_CSV, field_names("ptce", derived=False))
    cog = _cog()
    qpv = _qpv_list(folder)
    problems = [
        f"{territories.path.name} {p}" for p in _validate_territories(territories, cog, qpv)
    ]
    problems += [f"{ptce.path.name} {p}" for p in _validate_ptce(ptce, cog)]
    if problems:
        raise SchemaError(
            format_problems(
                f"{len(problems)} problem(s) in the data tables of {folder}; fix the rows "
                "and run `python -m geo data build` again",
                problems,
            ),
            problems,
        )
    return territories.frame, ptce.frame


_COG_CACHE: dict[str, _Cog] = {}
register_cache(_COG_CACHE.clear)


def _cog() -> _Cog:
    if "cog" not in _COG_CACHE:
        _COG_CACHE["cog"] = _load_cog()
    return _COG_CACHE["cog"]


# --- geometry ---------------------------------------------------------------


def _boundaries() -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        # The 4 Cantal communes without boundary are reported per row instead.
        warnings.simplefilter("ignore", MissingGeometryWarning)
        table = load_communes(types=("COM", "ARM"))
    return table.set_index("code_insee")


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


def _territory_perimeter(row: pd.Series, cog: _Cog) -> list[str]:
    if row["precision"] == "inconnu":
        return []
    codes = _split(row["codes_insee"])
    if codes:
        return codes
    return list(cog.epci_members.get(row["epci_siren"], []))


#: ``notes`` sentence of a territory with QPV codes built without QPV boundaries.
QPV_NOT_DRAWN = (
    "Contour QPV non tracé : données construites sans les contours QPV 2024 de l'ANCT "
    "(`python -m geo data build --qpv FICHIER_OU_URL`) ; périmètre approché par la "
    "commune entière."
)


def _qpv_shapes(qpv: str | os.PathLike[str] | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the QPV boundaries from a loaded table, a URL or a local file."""
    from geo.reference.qpv import load_qpv

    if isinstance(qpv, gpd.GeoDataFrame):
        return qpv
    text = os.fspath(qpv)
    if re.match(r"^https?://", text, re.IGNORECASE):
        return load_qpv(url=text)
    return load_qpv(path=text)


def _qpv_perimeter(
    row: pd.Series,
    perimeter: list[str],
    parts: gpd.GeoDataFrame,
    shapes: gpd.GeoDataFrame | None,
    qpv_list: _QpvList,
) -> tuple[BaseGeometry | None, str] | None:
    """Return ``(geometry, note)`` of a territory drawn from its QPV, or ``None`` and why.

    ``None`` with a note means: keep the communes (no boundaries, or a code
    missing from them). The geometry is the union of the QPV polygons and of
    the whole communes of ``codes_insee`` holding none of the QPV (the sources
    name those communes without a quartier).
    """
    codes = _split(row["qpv_codes"])
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
    qpv_list: _QpvList | None,
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
    qpv_list: _QpvList | None,
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
            _split(row["qpv_codes"]), perimeter, parts, qpv_population, qpv_list
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


def _territory_records(
    frame: pd.DataFrame,
    cog: _Cog,
    boundaries: gpd.GeoDataFrame,
    tolerance: float,
    shapes: gpd.GeoDataFrame | None = None,
    qpv_list: _QpvList | None = None,
    qpv_population: dict[str, int] | None = None,
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    records, geometries = [], []
    for _, row in frame.sort_values("id").iterrows():
        perimeter = _territory_perimeter(row, cog)
        deps = _split(row["departement"])
        parts = boundaries.loc[perimeter] if perimeter else boundaries.iloc[:0]
        drawn = None
        if row["qpv_codes"] and qpv_list is not None:
            drawn, qpv_note = _qpv_perimeter(row, perimeter, parts, shapes, qpv_list)  # type: ignore[misc]
            row = row.copy()
            row["notes"] = _append_note(row["notes"], qpv_note)
            if drawn is not None:
                row["precision"] = "qpv"
        first = perimeter[0] if perimeter else (deps[0] if deps else "")
        region = (
            str(boundaries.at[perimeter[0], "region"])
            if perimeter
            else _region_code(cog, deps, row["region_nom"])
        )
        record = {column: row[column] for column in field_names("territories", derived=False)}
        record.update(
            region=region,
            region_nom=row["region_nom"] or cog.region_names.get(region, ""),
            codes_insee=";".join(perimeter),
            communes=";".join(parts["nom"].astype(str)),
            date_precision=date_precision(row["date_habilitation"]),
            population_citee=int(row["population_citee"]) if row["population_citee"] else None,
            **_population_fields(row, perimeter, parts, qpv_population, qpv_list),
            zone=zone_of_code(first) if first else _zone_of_region(cog, region),
        )
        records.append(record)
        if drawn is not None:
            geometries.append(drawn)
        else:
            geometries.append(_union(list(parts.geometry), tolerance) if perimeter else None)
    return records, geometries


def _ptce_records(
    frame: pd.DataFrame, cog: _Cog, boundaries: gpd.GeoDataFrame
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    records, geometries = [], []
    for _, row in frame.sort_values("id").iterrows():
        seat = row["siege_insee"]
        codes = _split(row["codes_insee"])
        deps = _split(row["departement"])
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
        if seat:
            region = str(boundaries.at[seat, "region"])
        else:
            region = _region_code(cog, deps, row["region_nom"])
        first = seat or (codes[0] if codes else (deps[0] if deps else ""))
        record = {column: row[column] for column in field_names("ptce", derived=False)}
        record.update(
            region=region,
            region_nom=row["region_nom"] or cog.region_names.get(region, ""),
            siege_commune=(
                str(boundaries.at[seat, "nom"])
                if seat and not row["siege_commune"]
                else row["siege_commune"]
            ),
            precision_siege=method,
            zone=zone_of_code(first) if first else _zone_of_region(cog, region),
        )
        records.append(record)
        geometries.append(point)
    return records, geometries


def _frame(
    records: list[dict[str, Any]], geometries: list[BaseGeometry | None], columns: list[str]
) -> gpd.GeoDataFrame:
    table = pd.DataFrame(records, columns=columns)
    for column in ("population", "population_communes", "population_citee"):
        if column in table:
            table[column] = table[column].astype("Int64")
    return gpd.GeoDataFrame(
        table, geometry=gpd.GeoSeries(geometries, crs=WGS84, index=table.index), crs=WGS84
    )


def _qpv_populations(
    source: str | os.PathLike[str] | dict[str, int] | None,
) -> dict[str, int] | None:
    if source is None or isinstance(source, dict):
        return source
    from geo.reference.qpv import load_qpv_population

    return load_qpv_population(source)


def build_frames(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    tolerance: float = 0.0,
    qpv: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    qpv_population: str | os.PathLike[str] | dict[str, int] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Build the territories and PTCE GeoDataFrames from the two tables.

    Parameters
    ----------
    data_dir
        Folder holding the tables; :data:`DATA_DIR` when omitted.
    tolerance
        Simplification of each commune boundary (degrees, topology kept with
        ``shapely.coverage_simplify``) before the union; 0 keeps them as the
        embedded source gives them.
    qpv
        The ANCT QPV 2024 boundaries (the QP2024 GeoJSON, a ZIP holding it,
        or any file :func:`geo.reference.qpv.load_qpv` reads; a path, an ``http(s)``
        URL, or the loaded table). A territory with ``qpv_codes`` is then the
        union of its QPV polygons (and of the whole communes of its
        ``codes_insee`` holding none of them), with precision ``"qpv"``; when a
        code is missing from the file it keeps its communes, and ``notes``
        says why. Without it, such territories keep their communes and
        ``notes`` says so (:data:`QPV_NOT_DRAWN`).
    qpv_population
        INSEE's QPV 2024 population table (a path, an ``http(s)`` URL, or the
        mapping read by :func:`geo.reference.qpv.load_qpv_population`). A
        quartier whose QPV codes all have a population gets their sum as
        ``population`` (``population_source="qpv"``). Without it, a quartier's
        population is the figure its source states (``population_citee``) or
        unknown, never its commune's.

    Returns
    -------
    tuple of GeoDataFrame
        Territories (fields ``geo.schema.field_names("territories")``,
        MultiPolygon or None) and PTCE (``field_names("ptce")``, seat Point or
        None), EPSG:4326, sorted by ``id``. Text fields are strings, empty when unknown.

    Raises
    ------
    SchemaError, DataSourceError
        See :func:`read_tables`; for ``qpv``, :func:`geo.reference.qpv.load_qpv`.
    """
    territories, ptce = read_tables(data_dir)
    cog = _cog()
    boundaries = _boundaries()
    shapes = _qpv_shapes(qpv) if qpv is not None else None
    populations = _qpv_populations(qpv_population)
    qpv_list = _qpv_list(_data_dir(data_dir))
    t_records, t_geoms = _territory_records(
        territories, cog, boundaries, tolerance, shapes, qpv_list, populations
    )
    p_records, p_geoms = _ptce_records(ptce, cog, boundaries)
    return (
        _frame(t_records, t_geoms, field_names("territories")),
        _frame(p_records, p_geoms, field_names("ptce")),
    )


# --- GeoJSON writing ----------------------------------------------------------


def _coord(value: float) -> float:
    return round(float(value), COORD_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _ring(ring: BaseGeometry) -> list[list[float]]:
    return [[_coord(x), _coord(y)] for x, y in ring.coords]


def _geometry_json(geometry: BaseGeometry | None) -> dict[str, Any] | None:
    if geometry is None or geometry.is_empty:
        return None
    if geometry.geom_type == "Point":
        return {"type": "Point", "coordinates": [_coord(geometry.x), _coord(geometry.y)]}
    if geometry.geom_type == "MultiPolygon":
        polygons = [[_ring(p.exterior), *(_ring(r) for r in p.interiors)] for p in geometry.geoms]
        return {"type": "MultiPolygon", "coordinates": polygons}
    raise ValueError(f"unexpected geometry type {geometry.geom_type}")  # pragma: no cover


def _property(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _geojson_text(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> str:
    """One feature per line, properties in schema order: stable, diff-friendly text."""
    lines = []
    for row, geometry in zip(
        frame[list(columns)].itertuples(index=False, name=None), frame.geometry, strict=True
    ):
        feature = {
            "type": "Feature",
            "properties": {c: _property(v) for c, v in zip(columns, row, strict=True)},
            "geometry": _geometry_json(geometry),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    body = ",\n".join(lines)
    return '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"


def build_data(
    data_dir: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    qpv: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    qpv_population: str | os.PathLike[str] | dict[str, int] | None = None,
) -> dict[str, Path]:
    """Validate the tables and write ``territories.geojson`` and ``ptce.geojson``.

    Parameters
    ----------
    data_dir
        Folder holding ``tz_territories.csv`` and ``ptce.csv``;
        :data:`DATA_DIR` (the checkout's ``data/``) when omitted.
    out_dir
        Where to write the GeoJSON files; ``data_dir`` when omitted.
    qpv
        The ANCT QPV 2024 boundaries, to draw the territories with QPV codes
        as their QPV (see :func:`build_frames`). The shipped files are built
        without them; a build with them is for local use (the test of the
        committed files compares them with a build without).
    qpv_population
        INSEE's QPV 2024 population table (see :func:`build_frames`).

    Returns
    -------
    dict of str to Path
        ``{"territories": ..., "ptce": ...}``: the written files.

    Raises
    ------
    SchemaError, DataSourceError
        See :func:`read_tables` and, for ``qpv``, :func:`geo.reference.qpv.load_qpv`;
        nothing is written then. Also when ``data_dir`` and ``out_dir`` are
        omitted outside a source checkout: the installed data are read-only.

    Notes
    -----
    Territory geometry is the union of the boundaries of its perimeter: the
    communes or arrondissements of ``codes_insee``, or, when only the EPCI is
    known (``precision="epci"`` and no codes), every member commune of
    ``epci_siren`` in the COG 2025. PTCE geometry is the town hall of the
    seat commune (``precision_siege="mairie"``), else a point on the surface
    of the seat commune, of the area of action (a set of communes) or, for
    ``precision="departement"``, of the département (``"point-sur-surface"``:
    a marker for maps, not a place a source gave; for an area, the point of
    the commune nearest to the area's centre), else None (``"inconnu"``:
    only the région, or nothing, is known).

    The output is deterministic: features sorted by ``id``, properties in
    schema order, coordinates snapped to a 10⁻⁵ degree grid; rebuilding
    unchanged tables gives byte-identical files. When the two files would
    exceed :data:`MAX_GEOJSON_BYTES`, boundaries are simplified with
    :data:`SIMPLIFY_TOLERANCE_DEG` before the union.

    Examples
    --------
    >>> paths = build_data()  # doctest: +SKIP
    >>> paths["territories"].name  # doctest: +SKIP
    'territories.geojson'
    """
    folder = _data_dir(data_dir)
    if (
        data_dir is None
        and out_dir is None
        and checkout_data_dir() is None
        and not os.environ.get(DATA_DIR_ENV)
    ):
        raise DataSourceError(
            f"no source checkout: the data installed with the package ({installed_data_dir()}) "
            "are read-only; pass out_dir=... (--out) to build elsewhere, or run from a "
            "checkout of the project"
        )
    target = Path(out_dir) if out_dir is not None else folder
    populations = _qpv_populations(qpv_population)
    territories, ptce = build_frames(folder, qpv=qpv, qpv_population=populations)
    texts = {
        "territories": _geojson_text(territories, field_names("territories")),
        "ptce": _geojson_text(ptce, field_names("ptce")),
    }
    if sum(len(t.encode("utf-8")) for t in texts.values()) > MAX_GEOJSON_BYTES:
        territories, _ = build_frames(
            folder, tolerance=SIMPLIFY_TOLERANCE_DEG, qpv=qpv, qpv_population=populations
        )
        texts["territories"] = _geojson_text(territories, field_names("territories"))
    target.mkdir(parents=True, exist_ok=True)
    paths = {"territories": target / TERRITORIES_GEOJSON, "ptce": target / PTCE_GEOJSON}
    for key, path in paths.items():
        with atomic_path(path) as tmp:
            tmp.chmod(0o644)  # a data file of the checkout, not a private one
            tmp.write_bytes(texts[key].encode("utf-8"))
    if target.resolve() != folder.resolve():
        # A complete data folder: the tables it was built from and the QPV list, so
        # that TZPTCE_DATA_DIR (or --data-dir) can point every command at it.
        qpv_list = folder / QPV_LIST_CSV
        for source in (
            folder / TERRITORIES_CSV,
            folder / PTCE_CSV,
            qpv_list if qpv_list.is_file() else DATA_DIR / QPV_LIST_CSV,
        ):
            with atomic_path(target / source.name) as tmp:
                tmp.chmod(0o644)
                tmp.write_bytes(source.read_bytes())
    return paths


def _features(path: Path) -> dict[str, dict[str, Any]]:
    """Properties (and geometry, as JSON text) of each feature of a GeoJSON file, by id."""
    if not path.is_file():
        return {}
    try:
        document = json.loads(read_text(path, str(path)))
    except ValueError as exc:
        raise SchemaError(f"{path}: not a GeoJSON file ({exc})") from exc
    out = {}
    for feature in document.get("features", []):
        props = dict(feature.get("properties") or {})
        props["_geometry"] = json.dumps(feature.get("geometry"), sort_keys=True)
        out[str(props.get("id"))] = props
    return out


def data_diff(
    old_dir: str | os.PathLike[str], new_dir: str | os.PathLike[str]
) -> dict[str, list[str]]:
    """Compare two built data folders: what a new décret or a table edit changed.

    Parameters
    ----------
    old_dir, new_dir
        Folders holding ``territories.geojson`` and ``ptce.geojson`` (the
        shipped data and a user's rebuild, for instance).

    Returns
    -------
    dict of str to list of str
        Keys ``territories_added``, ``territories_removed``,
        ``perimeters_changed`` (codes or geometry), ``statuses_changed``
        (``statut``, ``statut_detail`` or ``date_habilitation``, with old and
        new values), ``populations_changed``, ``ptce_added``, ``ptce_removed``,
        ``ptce_changed`` (seat, area or precision); each a sorted list of
        French lines naming the id.

    Examples
    --------
    >>> from geo.shipped.build import DATA_DIR
    >>> sum(map(len, data_diff(DATA_DIR, DATA_DIR).values()))
    0
    """
    old_t, new_t = (_features(Path(d) / TERRITORIES_GEOJSON) for d in (old_dir, new_dir))
    old_p, new_p = (_features(Path(d) / PTCE_GEOJSON) for d in (old_dir, new_dir))
    diff: dict[str, list[str]] = {
        "territories_added": [f"{i} ({new_t[i].get('nom')})" for i in new_t if i not in old_t],
        "territories_removed": [f"{i} ({old_t[i].get('nom')})" for i in old_t if i not in new_t],
        "perimeters_changed": [],
        "statuses_changed": [],
        "populations_changed": [],
        "ptce_added": [f"{i} ({new_p[i].get('nom')})" for i in new_p if i not in old_p],
        "ptce_removed": [f"{i} ({old_p[i].get('nom')})" for i in old_p if i not in new_p],
        "ptce_changed": [],
    }
    for i in sorted(set(old_t) & set(new_t)):
        old, new = old_t[i], new_t[i]
        if (
            old.get("codes_insee") != new.get("codes_insee")
            or old["_geometry"] != new["_geometry"]
        ):
            diff["perimeters_changed"].append(
                f"{i} : {old.get('precision')} ({len(_split(old.get('codes_insee') or ''))} "
                f"communes) -> {new.get('precision')} "
                f"({len(_split(new.get('codes_insee') or ''))} communes)"
            )
        for field in ("statut", "statut_detail", "date_habilitation"):
            if (old.get(field) or "") != (new.get(field) or ""):
                before, after = old.get(field) or "(vide)", new.get(field) or "(vide)"
                diff["statuses_changed"].append(f"{i} : {field} {before} -> {after}")
        if (old.get("population"), old.get("population_source")) != (
            new.get("population"),
            new.get("population_source"),
        ):
            diff["populations_changed"].append(
                f"{i} : {old.get('population')} ({old.get('population_source') or '?'}) -> "
                f"{new.get('population')} ({new.get('population_source') or '?'})"
            )
    for i in sorted(set(old_p) & set(new_p)):
        old, new = old_p[i], new_p[i]
        changed = [
            f for f in ("siege_insee", "codes_insee", "precision") if old.get(f) != new.get(f)
        ]
        if changed or old["_geometry"] != new["_geometry"]:
            diff["ptce_changed"].append(f"{i} : {', '.join(changed) or 'point'}")
    return {key: sorted(lines) for key, lines in diff.items()}


_DIFF_LABELS = {
    "territories_added": "territoires ajoutés",
    "territories_removed": "territoires retirés",
    "perimeters_changed": "périmètres modifiés",
    "statuses_changed": "statuts ou dates modifiés",
    "populations_changed": "populations modifiées",
    "ptce_added": "PTCE ajoutés",
    "ptce_removed": "PTCE retirés",
    "ptce_changed": "PTCE modifiés",
}


def diff_report(diff: dict[str, list[str]], old_name: str, new_name: str) -> str:
    """Write :func:`data_diff` in French, one section per kind of change.

    Examples
    --------
    >>> print(diff_report({"territories_added": ["x (X)"]}, "livrées", "nouvelles"))
    Différences entre les données livrées et les données nouvelles :
      territoires ajoutés (1) :
        - x (X)
    """
    lines = [f"Différences entre les données {old_name} et les données {new_name} :"]
    for key, label in _DIFF_LABELS.items():
        items = diff.get(key, [])
        if items:
            lines.append(f"  {label} ({len(items)}) :")
            lines.extend(f"    - {item}" for item in items)
    if len(lines) == 1:
        lines.append("  aucune.")
    return "\n".join(lines)


def qpv_summary(territories: str | os.PathLike[str] | gpd.GeoDataFrame) -> str:
    """Say, in French, how the territories with QPV codes were drawn.

    Parameters
    ----------
    territories
        A built ``territories.geojson`` or the territories of :func:`build_frames`.

    Returns
    -------
    str
        A count line; then, when built without QPV boundaries, how to get
        them; then one line per territory whose codes are missing from the
        boundaries given, with the codes.

    Examples
    --------
    >>> print(qpv_summary(DATA_DIR / "territories.geojson").splitlines()[0])
    QPV : 33 territoires avec codes QPV ; 0 tracés d'après leurs contours, 33 par la commune.
    """
    if isinstance(territories, gpd.GeoDataFrame):
        rows = territories[["id", "qpv_codes", "precision", "notes"]].to_dict("records")
    else:
        with open(territories, encoding="utf-8") as handle:
            rows = [f["properties"] for f in json.load(handle)["features"]]
    with_codes = [r for r in rows if r.get("qpv_codes")]
    drawn = sum(r.get("precision") == "qpv" for r in with_codes)
    lines = [
        f"QPV : {len(with_codes)} territoires avec codes QPV ; {drawn} tracés d'après leurs "
        f"contours, {len(with_codes) - drawn} par la commune."
    ]
    if any(QPV_NOT_DRAWN in (r.get("notes") or "") for r in with_codes):
        lines.append(
            "  Construit sans les contours QPV 2024 de l'ANCT : pour les tracer, "
            "`python -m geo data build --qpv FICHIER_OU_URL` (voir data/README.md)."
        )
    for row in with_codes:
        notes = row.get("notes") or ""
        if row.get("precision") != "qpv" and QPV_NOT_DRAWN not in notes:
            reason = re.search(r"Contour QPV non tracé : ([^.;]*)", notes)
            lines.append(f"  - {row['id']} : {reason.group(1) if reason else 'raison inconnue'}")
    return "\n".join(lines)


# --- report -------------------------------------------------------------------


def _has_public_source(sources: str, notes: str = "") -> bool:
    if NO_SOURCE_MARKER in sources or NO_SOURCE_MARKER in notes:
        return False
    return any(_URL.match(item) for item in _source_items(sources))


def _no_source_reason(sources: str, notes: str = "") -> str:
    if NO_SOURCE_MARKER in sources or NO_SOURCE_MARKER in notes:
        return f"marqueur {NO_SOURCE_MARKER}"
    if not sources:
        return "aucune source"
    return "aucune URL publique"


def _without_public_source(frame: pd.DataFrame) -> pd.DataFrame:
    pairs = list(zip(frame["sources"], frame["notes"], strict=True))
    keep = [not _has_public_source(s, n) for s, n in pairs]
    reasons = [_no_source_reason(s, n) for s, n in pairs]
    return frame.assign(raison=reasons)[keep]


def _internal_remarks(frame: pd.DataFrame, public: Sequence[str]) -> pd.DataFrame:
    """Rows whose public fields hold a remark meant for maintainers (and which fields)."""
    fields = []
    for _, row in frame.iterrows():
        found = []
        for column in public:
            value = row.get(column)
            if not isinstance(value, str) or not value:
                continue
            if _INTERNAL_REMARK.search(value):
                found.append(column)
            elif column == "sources" and any(
                not re.fullmatch(r"https?://\S+", item) for item in _source_items(value)
            ):
                found.append(column)  # a remark beside the URLs: it belongs in notes
        fields.append(", ".join(found))
    return frame.assign(champs=fields)[[bool(f) for f in fields]]


def _counts(values: pd.Series, order: Sequence[str]) -> dict[str, int]:
    counts = Counter(values)
    result = {key: counts.get(key, 0) for key in order}
    result.update({key: n for key, n in sorted(counts.items()) if key not in result})
    return result


def _listing(frame: pd.DataFrame, **extra: str) -> list[dict[str, str]]:
    rows = []
    for _, row in frame.sort_values("id").iterrows():
        item = {"id": row["id"], "nom": row["nom"]}
        item.update({key: str(row[column]) for key, column in extra.items()})
        rows.append(item)
    return rows


def report_numbers(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    frames: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None = None,
) -> dict[str, Any]:
    """Return the data-quality figures of :func:`data_report` as a dict.

    Parameters
    ----------
    data_dir
        Folder holding the tables; :data:`DATA_DIR` when omitted.
    frames
        Already built ``(territories, ptce)`` (from :func:`build_frames`),
        to avoid building twice.

    Returns
    -------
    dict
        ``{"territories": {...}, "ptce": {...}}``. Both hold ``total``,
        ``by_precision``, ``by_confiance`` (counts), ``unlocated`` and
        ``without_public_source`` (lists of ``{"id", "nom", ...}``).
        Both hold ``internal_remarks``: rows whose public fields
        (``geo.schema.field_names(table, public=True)``) still hold a remark meant for
        the maintainers (a reference remark, a no-source marker, a text
        beside the URLs of ``sources``), with the fields (``champs``).
        Territories add ``by_statut``, ``infra_communal``, ``epci``,
        ``partial_perimeter`` (precision ``communes`` with a ``sous_zone``:
        only part of the communes are coded), ``pe_unknown_status``,
        ``with_qpv_codes`` and ``qpv_drawn`` (count of precision ``qpv``);
        PTCE add ``by_precision_siege``.
    """
    territories, ptce = frames if frames is not None else build_frames(data_dir)
    t, p = territories, ptce
    t_unlocated = t[t.geometry.isna()]
    t_nosource = _without_public_source(t)
    p_nosource = _without_public_source(p)
    with_qpv = t[t["qpv_codes"] != ""].assign(
        n_qpv=lambda f: f["qpv_codes"].map(lambda v: f"{len(_split(v))} QPV")
    )
    pe_unknown = t[(t["statut"] == "PE") & ~t["notes"].str.contains(_STATUS_CHECKED)].assign(
        date_source=lambda f: f["notes"].map(
            lambda n: m.group(1) if (m := _SOURCE_DATE.search(n)) else "inconnue"
        )
    )
    epci = t[t["precision"] == "epci"].assign(
        siren=lambda f: f["epci_siren"].where(f["epci_siren"] != "", "non actuel / inconnu")
    )
    return {
        "territories": {
            "total": len(t),
            "by_statut": _counts(t["statut"], STATUTS),
            "by_precision": _counts(t["precision"], TERRITORY_PRECISIONS),
            "by_confiance": _counts(t["confiance"], CONFIANCES),
            "unlocated": _listing(t_unlocated, departement="departement"),
            "without_public_source": _listing(t_nosource, raison="raison"),
            "infra_communal": _listing(
                t[t["precision"] == "infra-communal"], sous_zone="sous_zone"
            ),
            "epci": _listing(epci, epci_nom="epci_nom", epci_siren="siren"),
            "partial_perimeter": _listing(
                t[(t["precision"] == "communes") & (t["sous_zone"] != "")],
                sous_zone="sous_zone",
            ),
            "pe_unknown_status": _listing(pe_unknown, date_source="date_source"),
            "with_qpv_codes": _listing(with_qpv, qpv_codes="n_qpv"),
            "qpv_drawn": int((t["precision"] == "qpv").sum()),
            "population_by_source": _population_by_source(t),
            "stopped": _listing(t[t["statut_detail"] != ""], statut_detail="statut_detail"),
            "internal_remarks": _listing(
                _internal_remarks(t, field_names("territories", public=True)), champs="champs"
            ),
        },
        "ptce": {
            "total": len(p),
            "by_precision": _counts(p["precision"], PTCE_PRECISIONS),
            "by_precision_siege": _counts(
                p["precision_siege"], ("adresse", "mairie", "point-sur-surface", "inconnu")
            ),
            "by_confiance": _counts(p["confiance"], CONFIANCES),
            "unlocated": _listing(
                p[p.geometry.isna()], departement="departement", region_nom="region_nom"
            ),
            "without_public_source": _listing(p_nosource, raison="raison"),
            "departement_only": _listing(
                p[(p["precision"] == "departement") & p.geometry.notna()],
                departement="departement",
            ),
            "internal_remarks": _listing(
                _internal_remarks(p, field_names("ptce", public=True)), champs="champs"
            ),
        },
    }


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {n}" for key, n in counts.items())


_LABELS = {
    "departement": "dép. ",
    "epci_siren": "SIREN ",
    "date_source": "source : ",
    "champs": "champs : ",
}


def _format_list(items: list[dict[str, str]], empty: str = "aucun") -> list[str]:
    if not items:
        return [f"  ({empty})"]
    lines = []
    for item in items:
        details = [
            f"{_LABELS.get(k, '')}{v}" for k, v in item.items() if k not in ("id", "nom") and v
        ]
        suffix = f" — {' ; '.join(details)}" if details else ""
        lines.append(f"  - {item['id']} : {item['nom']}{suffix}")
    return lines


def _qpv_sentence(with_codes: int, drawn: int) -> str:
    if not with_codes:
        return "  (aucun code QPV)"
    if drawn == with_codes:
        return "  Contours : tous tracés d'après les contours QPV 2024 de l'ANCT (précision qpv)."
    return (
        f"  Contours : {drawn} tracés d'après les contours QPV 2024 de l'ANCT (précision qpv), "
        f"{with_codes - drawn} approchés par la commune entière (données construites sans "
        "ces contours, ou codes absents du fichier : `python -m geo data build --qpv "
        "FICHIER_OU_URL`)."
    )


_POPULATION_SOURCE_FR = {
    "communes": "communes entières (INSEE)",
    "qpv": "somme des QPV 2024 (INSEE)",
    "source": "chiffre cité par la source du territoire",
    "inconnue": "inconnue",
}


def _population_by_source(frame: pd.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """Per statut (and ``ensemble``), per ``population_source``: rows and population sum."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    values = pd.to_numeric(frame["population"], errors="coerce")
    for statut in [*STATUTS, "ensemble"]:
        rows = frame if statut == "ensemble" else frame[frame["statut"] == statut]
        out[statut] = {}
        for source in POPULATION_SOURCES:
            chosen = rows["population_source"] == source
            exact = chosen & (rows["precision"] == "communes")
            out[statut][source] = {
                "n": int(chosen.sum()),
                "population": int(values[rows.index][chosen].fillna(0).sum()),
                "n_exact": int(exact.sum()) if source == "communes" else 0,
            }
    return out


def _population_lines(by_source: dict[str, dict[str, dict[str, int]]]) -> list[str]:
    lines = ["  population par source (TH ; ensemble TH et PE) :"]
    for source in POPULATION_SOURCES:
        th, every = by_source["TH"][source], by_source["ensemble"][source]
        count = f"{th['population']:,}".replace(",", "\u202f")
        text = (
            f"    {_POPULATION_SOURCE_FR[source]} : {th['n']} TH"
            + (f", {count} habitants" if th["n"] and source != "inconnue" else "")
            + f" ; {every['n']} territoires"
        )
        if source == "communes":
            text += f" (périmètre exact pour {th['n_exact']} TH ; les autres : EPCI, approché)"
        if source == "inconnue":
            text += " (quartiers sans population QPV ni chiffre cité : jamais leur commune)"
        lines.append(text)
    return lines


def data_report(data_dir: str | os.PathLike[str] | None = None) -> str:
    """Describe the quality of the shipped data, in French.

    Parameters
    ----------
    data_dir
        Folder holding the tables; :data:`DATA_DIR` when omitted.

    Returns
    -------
    str
        Counts by statut, precision and confidence (territories and PTCE);
        entries without a location; entries without a public source;
        approximate perimeters (infra-communal, EPCI, partial; PTCE known
        only at département level, which the analysis never measures); projets
        émergents whose current status is unknown.

    Raises
    ------
    SchemaError, DataSourceError
        See :func:`read_tables`.
    """
    numbers = report_numbers(data_dir)
    t, p = numbers["territories"], numbers["ptce"]
    lines = [
        "Rapport de qualité des données (territoires TZCLD et PTCE)",
        "",
        f"Territoires TZCLD : {t['total']}",
        f"  par statut (TH habilité, PE projet émergent) : {_format_counts(t['by_statut'])}",
        f"  par précision du périmètre : {_format_counts(t['by_precision'])}",
        f"  par confiance : {_format_counts(t['by_confiance'])}",
        f"  avec codes QPV : {len(t['with_qpv_codes'])} (contours QPV tracés : {t['qpv_drawn']})",
        *_population_lines(t["population_by_source"]),
        f"  projets bloqués ou arrêtés (statut_detail, non dessinés comme actifs) : "
        f"{len(t['stopped'])}",
        "",
        f"PTCE : {p['total']}",
        f"  par précision de la zone d'action : {_format_counts(p['by_precision'])}",
        f"  par précision du siège : {_format_counts(p['by_precision_siege'])}",
        f"  par confiance : {_format_counts(p['by_confiance'])}",
        "",
        f"Territoires non localisés (sans géométrie) : {len(t['unlocated'])}",
        *_format_list(t["unlocated"]),
        f"PTCE non localisés (sans point) : {len(p['unlocated'])}",
        *_format_list(p["unlocated"]),
        "",
        f"Territoires sans source publique : {len(t['without_public_source'])}",
        *_format_list(t["without_public_source"]),
        f"PTCE sans source publique : {len(p['without_public_source'])}",
        *_format_list(p["without_public_source"]),
        "",
        "Périmètres approchés :",
        f"  infra-communaux (quartier ou QPV, approché par la commune entière) : "
        f"{len(t['infra_communal'])}",
        *_format_list(t["infra_communal"]),
        f"  au niveau de l'EPCI (communes membres en 2025) : {len(t['epci'])}",
        *_format_list(t["epci"]),
        f"  partiels (seules certaines communes du périmètre sont codées) : "
        f"{len(t['partial_perimeter'])}",
        *_format_list(t["partial_perimeter"]),
        f"  PTCE connus seulement au niveau du département (point placé dans le "
        f"département pour la carte, jamais mesuré dans les synergies) : "
        f"{len(p['departement_only'])}",
        *_format_list(p["departement_only"]),
        "",
        f"Projets émergents au statut actuel inconnu : {len(t['pe_unknown_status'])}",
        *_format_list(t["pe_unknown_status"]),
        "",
        f"Territoires avec codes QPV 2024 : {len(t['with_qpv_codes'])}",
        *_format_list(t["with_qpv_codes"]),
        _qpv_sentence(len(t["with_qpv_codes"]), t["qpv_drawn"]),
        "",
        "Champs publics contenant des remarques internes (à déplacer dans notes ou alias) :",
        f"  territoires : {len(t['internal_remarks'])}",
        *_format_list(t["internal_remarks"]),
        f"  PTCE : {len(p['internal_remarks'])}",
        *_format_list(p["internal_remarks"]),
    ]
    return "\n".join(lines) + "\n"


# --- one-off import from the reference tables ---------------------------------


def _append_note(notes: str, note: str) -> str:
    return f"{notes} {note}".strip() if notes else note
