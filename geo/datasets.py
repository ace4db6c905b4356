"""The project's shipped data: TZCLD territories and PTCE, with provenance.

Two human-editable tables in the checkout's ``data/`` folder are the truth:

``tz_territories.csv``
    One row per TZCLD territory (``statut`` TH = habilité, PE = projet
    émergent): INSEE codes of the perimeter, quartier text, EPCI, legal text,
    sources, confidence, and the ``precision`` of the perimeter.
``ptce.csv``
    One row per PTCE: seat commune, area of action, themes, State support,
    sources, confidence, and the ``precision`` of the area of action.

:func:`build_data` validates both tables, joins them to the official commune
boundaries (:func:`geo.communes.load_communes`, communes and arrondissements
municipaux) and writes ``territories.geojson`` and ``ptce.geojson``:
deterministic text (features sorted by ``id``, coordinates rounded to
:data:`COORD_DECIMALS` decimals, one feature per line), written atomically,
so that a rebuild of unchanged tables is byte-identical. :func:`data_report`
describes the quality of the data in French. :func:`import_reference` created
the two tables once from the reference tables of ``shared/reference``.

This module reads and writes local files only; it never touches the network.
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

from ._io import atomic_path
from ._tables import read_text
from ._text import name_key, without_article
from .cog import register as register_cache
from .communes import MissingGeometryWarning, commune_attributes, load_communes
from .crs import WGS84, zone_of_code
from .errors import DataSourceError, SchemaError, format_problems
from .placement import seat_commune, seat_point
from .schema import (
    CONFIANCES,
    PTCE_FIELDS,
    PTCE_PRECISIONS,
    STATUTS,
    TERRITORY_FIELDS,
    TERRITORY_PRECISIONS,
)

__all__ = [
    "COORD_DECIMALS",
    "DATA_DIR",
    "NO_SOURCE_MARKER",
    "PTCE_CSV_COLUMNS",
    "PTCE_DERIVED_FIELDS",
    "PTCE_PROPERTIES",
    "TERRITORY_CSV_COLUMNS",
    "TERRITORY_DERIVED_FIELDS",
    "TERRITORY_PROPERTIES",
    "build_data",
    "build_frames",
    "data_report",
    "import_reference",
    "read_tables",
    "report_numbers",
]

#: The checkout's ``data/`` folder (``<checkout>/data``). The tables are not
#: installed with the package: outside a source checkout this folder does not
#: exist, and every function here needs an explicit ``data_dir``.
DATA_DIR: Path = Path(__file__).resolve().parent.parent / "data"

TERRITORIES_CSV = "tz_territories.csv"
PTCE_CSV = "ptce.csv"
TERRITORIES_GEOJSON = "territories.geojson"
PTCE_GEOJSON = "ptce.geojson"

#: Fields of :data:`geo.schema.TERRITORY_FIELDS` that :func:`build_data`
#: computes from the COG instead of reading them from ``tz_territories.csv``.
TERRITORY_DERIVED_FIELDS = ("region", "population", "zone")

#: Fields of :data:`geo.schema.PTCE_FIELDS` computed by :func:`build_data`.
PTCE_DERIVED_FIELDS = ("region", "precision_siege", "zone")

#: Columns of ``tz_territories.csv``, in order: the schema minus derived fields.
TERRITORY_CSV_COLUMNS = [f for f in TERRITORY_FIELDS if f not in TERRITORY_DERIVED_FIELDS]

#: Columns of ``ptce.csv``, in order: the schema minus derived fields.
PTCE_CSV_COLUMNS = [f for f in PTCE_FIELDS if f not in PTCE_DERIVED_FIELDS]

#: Properties of each feature of ``territories.geojson``, in order.
TERRITORY_PROPERTIES = TERRITORY_FIELDS

#: Properties of each feature of ``ptce.geojson``, in order.
PTCE_PROPERTIES = PTCE_FIELDS

#: Literal marker of the rows that exist without any public source.
NO_SOURCE_MARKER = "NO-PUBLIC-SOURCE-FOUND"

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
_SOURCE_DATE = re.compile(r"Date de la source\s*:\s*(.+?)\.(?:\s|$)")


# --- paths and reading --------------------------------------------------------


def _data_dir(data_dir: str | os.PathLike[str] | None) -> Path:
    return Path(data_dir) if data_dir is not None else DATA_DIR


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
    from .communes import departements, regions

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


def _validate_territories(table: _Table, cog: _Cog) -> list[str]:
    problems: list[str] = []
    _check_common(table, cog, problems)
    for i, row in table.frame.iterrows():
        where = table.where(i)
        if row["statut"] not in STATUTS:
            problems.append(f"{where}: statut {row['statut']!r} not in {STATUTS}")
        precision = row["precision"]
        if precision not in TERRITORY_PRECISIONS:
            problems.append(f"{where}: precision {precision!r} not in {TERRITORY_PRECISIONS}")
        codes = _split(row["codes_insee"])
        codes_ok = _check_codes(where, codes, row["communes"], "codes_insee", cog, problems)
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
    return problems


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
        them; columns :data:`TERRITORY_CSV_COLUMNS` and :data:`PTCE_CSV_COLUMNS`.

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
    territories = _read_csv(folder / TERRITORIES_CSV, TERRITORY_CSV_COLUMNS)
    ptce = _read_csv(folder / PTCE_CSV, PTCE_CSV_COLUMNS)
    cog = _cog()
    problems = [f"{territories.path.name} {p}" for p in _validate_territories(territories, cog)]
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


def _territory_records(
    frame: pd.DataFrame, cog: _Cog, boundaries: gpd.GeoDataFrame, tolerance: float
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    records, geometries = [], []
    for _, row in frame.sort_values("id").iterrows():
        perimeter = _territory_perimeter(row, cog)
        deps = _split(row["departement"])
        parts = boundaries.loc[perimeter] if perimeter else boundaries.iloc[:0]
        population = parts["population"].dropna()
        first = perimeter[0] if perimeter else (deps[0] if deps else "")
        region = (
            str(boundaries.at[perimeter[0], "region"])
            if perimeter
            else _region_code(cog, deps, row["region_nom"])
        )
        record = {column: row[column] for column in TERRITORY_CSV_COLUMNS}
        record.update(
            region=region,
            region_nom=row["region_nom"] or cog.region_names.get(region, ""),
            codes_insee=";".join(perimeter),
            communes=";".join(parts["nom"].astype(str)),
            population=int(population.sum()) if len(population) else None,
            zone=zone_of_code(first) if first else _zone_of_region(cog, region),
        )
        records.append(record)
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
        placed_at = seat_commune(seat, area_codes)  # one rule with the loader (geo.placement)
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
        record = {column: row[column] for column in PTCE_CSV_COLUMNS}
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
    if "population" in table:
        table["population"] = table["population"].astype("Int64")
    return gpd.GeoDataFrame(
        table, geometry=gpd.GeoSeries(geometries, crs=WGS84, index=table.index), crs=WGS84
    )


def build_frames(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    tolerance: float = 0.0,
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

    Returns
    -------
    tuple of GeoDataFrame
        Territories (:data:`TERRITORY_PROPERTIES`, MultiPolygon or None) and
        PTCE (:data:`PTCE_PROPERTIES`, seat Point or None), EPSG:4326, sorted
        by ``id``. Text fields are strings, empty when unknown.

    Raises
    ------
    SchemaError, DataSourceError
        See :func:`read_tables`.
    """
    territories, ptce = read_tables(data_dir)
    cog = _cog()
    boundaries = _boundaries()
    t_records, t_geoms = _territory_records(territories, cog, boundaries, tolerance)
    p_records, p_geoms = _ptce_records(ptce, cog, boundaries)
    return (
        _frame(t_records, t_geoms, TERRITORY_PROPERTIES),
        _frame(p_records, p_geoms, PTCE_PROPERTIES),
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
) -> dict[str, Path]:
    """Validate the tables and write ``territories.geojson`` and ``ptce.geojson``.

    Parameters
    ----------
    data_dir
        Folder holding ``tz_territories.csv`` and ``ptce.csv``;
        :data:`DATA_DIR` (the checkout's ``data/``) when omitted.
    out_dir
        Where to write the GeoJSON files; ``data_dir`` when omitted.

    Returns
    -------
    dict of str to Path
        ``{"territories": ..., "ptce": ...}``: the written files.

    Raises
    ------
    SchemaError, DataSourceError
        See :func:`read_tables`; nothing is written then.

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
    target = Path(out_dir) if out_dir is not None else folder
    territories, ptce = build_frames(folder)
    texts = {
        "territories": _geojson_text(territories, TERRITORY_PROPERTIES),
        "ptce": _geojson_text(ptce, PTCE_PROPERTIES),
    }
    if sum(len(t.encode("utf-8")) for t in texts.values()) > MAX_GEOJSON_BYTES:
        territories, _ = build_frames(folder, tolerance=SIMPLIFY_TOLERANCE_DEG)
        texts["territories"] = _geojson_text(territories, TERRITORY_PROPERTIES)
    paths = {"territories": target / TERRITORIES_GEOJSON, "ptce": target / PTCE_GEOJSON}
    for key, path in paths.items():
        with atomic_path(path) as tmp:
            tmp.chmod(0o644)  # a data file of the checkout, not a private one
            tmp.write_bytes(texts[key].encode("utf-8"))
    return paths


# --- report -------------------------------------------------------------------


def _has_public_source(sources: str) -> bool:
    if NO_SOURCE_MARKER in sources:
        return False
    return any(_URL.match(item) for item in _source_items(sources))


def _no_source_reason(sources: str) -> str:
    if not sources:
        return "aucune source"
    if NO_SOURCE_MARKER in sources:
        return f"marqueur {NO_SOURCE_MARKER}"
    return "aucune URL publique"


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
        Territories add ``by_statut``, ``infra_communal``, ``epci``,
        ``partial_perimeter`` (precision ``communes`` with a ``sous_zone``:
        only part of the communes are coded) and ``pe_unknown_status``;
        PTCE add ``by_precision_siege``.
    """
    territories, ptce = frames if frames is not None else build_frames(data_dir)
    t, p = territories, ptce
    t_unlocated = t[t.geometry.isna()]
    t_nosource = t[~t["sources"].map(_has_public_source)].assign(
        raison=lambda f: f["sources"].map(_no_source_reason)
    )
    p_nosource = p[~p["sources"].map(_has_public_source)].assign(
        raison=lambda f: f["sources"].map(_no_source_reason)
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
        },
    }


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {n}" for key, n in counts.items())


_LABELS = {"departement": "dép. ", "epci_siren": "SIREN ", "date_source": "source : "}


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
    ]
    return "\n".join(lines) + "\n"


# --- one-off import from the reference tables ---------------------------------

#: Per-row decisions taken when importing the reference tables (id -> changed
#: fields); the text of ``"note"`` is appended to ``notes``.
_TERRITORY_DECISIONS: dict[str, dict[str, str]] = {
    "entre-nievre-et-forets": {
        "precision": "epci",
        "note": (
            "Précision « epci » : le territoire est l’EPCI de 2016, dissous depuis (pas de "
            "SIREN actuel) ; la géométrie se limite à Prémery, seule commune connue. "
            "L’ancien périmètre est inclus dans la CC Les Bertranges (200068088), plus large."
        ),
    },
    "blere-val-de-cher": {
        "sous_zone": "",
        "note": "Périmètre selon la source : commune entière de Bléré (« tout demandeur "
        "d’emploi … qui habite à Bléré »).",
    },
    "saint-girons": {
        "sous_zone": "",
        "note": "Périmètre selon la source : Saint-Girons et les 6 communes de "
        "l’ex-agglomération (toutes codées).",
    },
    "oust-a-broceliande": {
        "sous_zone": "",
        "note": "Périmètre : phase 1 = 4 communes (codées) ; phase 2 prévue : La Gacilly "
        "(56061), Cournon (56044), non codées.",
    },
    # A wider perimeter of which the sources name only the main commune: the
    # geometry is that commune; sous_zone keeps the description.
    **{
        tid: {"precision": "communes"}
        for tid in (
            "moulins-engilbert",
            "pays-luzycois",
            "portes-du-morvan",
            "clamecy-vaux-d-yonne",
            "tournus",
        )
    },
    "toulouse-metropole": {
        "precision": "epci",
        "epci_nom": "Toulouse Métropole",
        "epci_siren": "243100518",
        "note": (
            "Précision « epci » : la source ne nomme que l’EPCI (« un territoire de Toulouse "
            "métropole ») ; SIREN d’après le COG 2025. Le périmètre réel, plus petit, n’est pas "
            "défini."
        ),
    },
}

#: The projet émergent of the TZCLD × Coorace webinar found in no other table.
_SUD_OISE = {
    "id": "sud-oise-villers-saint-paul",
    "nom": "Sud Oise – Villers-Saint-Paul",
    "statut": "PE",
    "departement": "60",
    "region_nom": "Hauts-de-France",
    "codes_insee": "60684",
    "communes": "Villers-Saint-Paul",
    "sous_zone": "",
    "qpv_codes": "",
    "epci_nom": "Communauté d'agglomération Creil Sud Oise",
    "epci_siren": "200068047",
    "date_habilitation": "",
    "texte_legal": "",
    "vague": "",
    "ebe": "",
    "sources": (
        f"{NO_SOURCE_MARKER} (nommé seulement par la page du webinaire Observatoire TZCLD × "
        "Coorace « TZCLD, PTCE : Coopération territoriale – expérimentations », recensement "
        "TZ–PTCE : « PE Sud Oise > Villers Saint Paul – PTCE Oise Ouest » ; copie du texte : "
        "shared/reference/webinaire-tz-ptce.txt)"
    ),
    "confiance": "low",
    "notes": (
        "Paire témoin n° 1 de seed_pairs.csv (PE « Sud Oise > Villers Saint Paul » × PTCE "
        "Oise Ouest, tz_id vide dans la table de référence). Date de la source : 2024. "
        "Aucune page publique décrivant ce projet n’a été trouvée (tz_SOURCES.md). Commune "
        "Villers-Saint-Paul (60684, vérifiée dans le COG 2025) ; « Sud Oise » est rapproché "
        "de la CA Creil Sud Oise (200068047, EPCI de la commune dans le COG 2025), sans "
        "source. Statut actuel inconnu."
    ),
    "precision": "communes",
}

_EPCI_WORDS = re.compile(
    r"\b(?:communaut[ée]|agglom[ée]ration|m[ée]tropole|eurom[ée]tropole|CC|CA)\b",
    re.IGNORECASE,
)


def _territory_precision(row: dict[str, str]) -> str:
    if not row["codes_insee"]:
        return "epci" if row["epci_siren"] else "inconnu"
    return "infra-communal" if row["sous_zone"] else "communes"


def _ptce_precision(row: dict[str, str], dep_name: str) -> str:
    if row["codes_insee"]:
        text = f"{row['zone_action']} {row['notes']}"
        return "epci" if _EPCI_WORDS.search(text) else "communes"
    area = name_key(row["zone_action"])
    dep = name_key(dep_name) if dep_name else ""
    if dep and (area == dep or (area.startswith("departement") and area.endswith(dep))):
        return "departement"
    if row["siege_insee"]:
        return "siege"
    return "departement" if row["departement"] else "inconnu"


def _append_note(notes: str, note: str) -> str:
    return f"{notes} {note}".strip() if notes else note


def _write_csv(path: Path, rows: list[dict[str, str]], columns: Sequence[str]) -> None:
    with atomic_path(path) as tmp:
        tmp.chmod(0o644)
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
            writer.writeheader()
            for row in rows:  # one line per row: no line breaks inside cells
                writer.writerow({c: " ".join(str(row.get(c, "")).split()) for c in columns})


def import_reference(
    reference_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Create ``tz_territories.csv`` and ``ptce.csv`` from the reference tables.

    Run once to create the shipped tables; afterwards the CSV files in
    ``data/`` are the truth and are edited by hand. Every reference row is
    kept with all its source URLs (TZ cells ``" ; "`` become ``" | "``), the
    columns are renamed to the French schema, the projet émergent Sud Oise /
    Villers-Saint-Paul of the webinar is added, and a ``precision`` is set:

    territories
        ``communes`` when codes are given without quartier, ``infra-communal``
        when a quartier/QPV is named (``sous_zone``), ``epci`` when only the
        EPCI is known, ``inconnu`` otherwise; plus the documented per-row
        decisions of :data:`_TERRITORY_DECISIONS`.
    PTCE
        ``epci``/``communes`` when the area is a set of communes (an EPCI or
        a list), ``departement`` when the area is a whole département or only
        the département is known, ``siege`` when only the seat is known,
        ``inconnu`` otherwise.

    Parameters
    ----------
    reference_dir
        Folder with ``tz_territories.csv``, ``tz_emergents.csv`` and
        ``ptce.csv`` in the reference layout.
    out_dir
        Where to write; :data:`DATA_DIR` when omitted.
    overwrite
        Replace existing tables (hand edits are lost). Off by default.

    Returns
    -------
    dict of str to Path
        ``{"territories": ..., "ptce": ...}``.

    Raises
    ------
    FileExistsError
        A table exists and ``overwrite`` is false.
    DataSourceError
        A reference table is missing.
    """
    source = Path(reference_dir)
    target = Path(out_dir) if out_dir is not None else DATA_DIR
    paths = {"territories": target / TERRITORIES_CSV, "ptce": target / PTCE_CSV}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{', '.join(existing)} already exist and are edited by hand; "
            "pass overwrite=True to replace them"
        )
    for name in ("tz_territories.csv", "tz_emergents.csv", "ptce.csv"):
        if not (source / name).is_file():
            raise DataSourceError(f"reference table {source / name} not found")

    territories = []
    for name in ("tz_territories.csv", "tz_emergents.csv"):
        raw = pd.read_csv(source / name, dtype=str, keep_default_na=False)
        for ref in raw.to_dict("records"):
            row = {
                "id": ref["id"],
                "nom": ref["name"],
                "statut": ref["status"],
                "departement": ref["departement"],
                "region_nom": ref["region"],
                "codes_insee": ref["communes_insee"],
                "communes": ref["communes_noms"],
                "sous_zone": ref["sub_area"],
                "qpv_codes": ref["qpv_codes"],
                "epci_nom": ref["epci"],
                "epci_siren": ref["epci_siren"],
                "date_habilitation": ref["habilitation_date"],
                "texte_legal": ref["legal_text"],
                "vague": ref["wave"],
                "ebe": ref["ebe"],
                "sources": " | ".join(_split(ref["source_urls"], " ; ")),
                "confiance": ref["confidence"],
                "notes": ref["notes"],
            }
            decision = dict(_TERRITORY_DECISIONS.get(row["id"], {}))
            note = decision.pop("note", "")
            row.update(decision)
            if note:
                row["notes"] = _append_note(row["notes"], note)
            row.setdefault("precision", _territory_precision(row))
            territories.append(row)
    territories.append(dict(_SUD_OISE))

    ptce = []
    raw = pd.read_csv(source / "ptce.csv", dtype=str, keep_default_na=False)
    for ref in raw.to_dict("records"):
        row = {
            "id": ref["id"],
            "nom": ref["name"],
            "porteur": ref["carrier"],
            "siege_insee": ref["seat_insee"],
            "siege_commune": ref["seat_commune"],
            "departement": ref["dep_code"],
            "region_nom": ref["region"],
            "zone_action": ref["area"],
            "codes_insee": ref["area_communes"],
            "thematiques": ref["themes"],
            "soutien_etat": ref["state_support"],
            "site_web": ref["website"],
            "sources": " | ".join(_source_items(ref["sources"])),
            "confiance": ref["confidence"],
            "notes": ref["confidence_note"],
        }
        row["precision"] = _ptce_precision(row, ref["dep_name"])
        ptce.append(row)

    _write_csv(paths["territories"], territories, TERRITORY_CSV_COLUMNS)
    _write_csv(paths["ptce"], ptce, PTCE_CSV_COLUMNS)
    return paths
