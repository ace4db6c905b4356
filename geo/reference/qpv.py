"""Quartiers prioritaires de la politique de la ville (QPV 2024) boundaries.

Optional source for territories whose perimeter is a neighbourhood rather
than whole communes. :func:`load_qpv` reads the national file published by
the ANCT on data.gouv.fr (:data:`geo.settings.qpv_url`: a ZIP archive holding
``GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson``, properties
``code_qp``, ``lib_qp``, ``insee_com``, ``lib_com``, ``insee_dep``...), or any
GeoJSON/GeoPackage/shapefile/ZIP given by ``url=`` or ``path=``; it converts
it once to GeoParquet in the cache. Common property variants (``CODE_QP``,
``Code_QP``, ``code_quartier``; ``nom_qp``, ``NOM_QP``, ``Lib_QP``) are
recognised too.

A QPV can cross commune boundaries: join it to communes by geometry.

Offline, :func:`qpv_list` and :func:`qpv_of_commune` read the list of QPV
2024 by commune shipped with the library (``data/qpv2024_communes.csv``: QPV
codes and names, no shapes; ANCT, Licence Ouverte 2.0, see ``data/README.md``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo import settings
from geo._core.datadir import data_dir
from geo._core.download import download, scratch_file, validate_geojson, validate_zip
from geo._core.files import CacheSchema, cache_key, read_checked_parquet, write_checked_parquet
from geo._core.tables import read_text
from geo._core.text import column_key
from geo.crs import WGS84
from geo.errors import ArgumentError, CRSError, DataSourceError, SchemaError, UnknownQPVError
from geo.reference.cog import register as register_cache
from geo.reference.names import PLM_PARENTS, normalise_code

__all__ = [
    "QPV_COLUMNS",
    "QPV_LIST_COLUMNS",
    "QPV_LIST_FILE",
    "load_qpv",
    "load_qpv_population",
    "qpv_geometry",
    "qpv_list",
    "qpv_of_commune",
]

#: Columns of the table returned by :func:`load_qpv`, in order.
QPV_COLUMNS = ["code_qp", "nom_qp", "communes", "communes_noms", "departement", "geometry"]

#: The shipped list of QPV 2024 by commune, in the data folder.
QPV_LIST_FILE = "qpv2024_communes.csv"

#: Columns of :data:`QPV_LIST_FILE` and of :func:`qpv_list`: one row per QPV and
#: commune (a QPV across two communes has two rows).
QPV_LIST_COLUMNS = ["code_qp", "nom_qp", "insee_com"]

#: A QPV 2024 code: ``QN`` + département (3 characters) + number + letter.
QPV_CODE = re.compile(r"^QN(?:\d{3}|0?2[AB])\d{2}[A-Z]$")

_CODE_KEYS = ("code_qp", "code_quartier", "codeqp", "code_qpv", "code")
_NAME_KEYS = ("lib_qp", "nom_qp", "nom_quartier", "libelle_qp", "nom_qpv", "lib_qpv", "nom")
_COMMUNE_KEYS = ("insee_com", "code_insee", "codes_insee", "insee_commune", "code_commune")
_COMMUNE_NAME_KEYS = ("lib_com", "nom_com", "noms_des_communes_concernees", "commune_qp")
_DEP_KEYS = ("insee_dep", "code_dep", "departement", "dep")
_INSEE = re.compile(r"\b(\d{5}|2[AB]\d{3})\b")
_HINT = "download the file yourself and pass path=<local file>, or url=<another copy>"


def load_qpv(
    *,
    url: str | None = None,
    path: str | os.PathLike[str] | None = None,
    refresh: bool = False,
) -> gpd.GeoDataFrame:
    """Load the QPV 2024 boundaries.

    Parameters
    ----------
    url
        Where to download them (GeoJSON, ``.geojson.gz`` or a ZIP holding a
        GeoJSON); default :data:`geo.settings.qpv_url`.
    path
        A local copy instead (GeoJSON, GeoPackage, shapefile or ZIP); not
        cached, never modified.
    refresh
        Download again even when the cache is valid.

    Returns
    -------
    GeoDataFrame
        :data:`QPV_COLUMNS`, EPSG:4326, one row per QPV: ``code_qp``
        (``"QN07801M"``), ``nom_qp``, ``communes`` (";"-joined INSEE codes,
        when the source gives them), ``communes_noms``, ``departement``.

    Raises
    ------
    DataSourceError
        Offline mode, unreachable URL, invalid file, or no URL configured.
    SchemaError
        No QPV code column in the file.
    CRSError
        The file has no CRS.
    """
    if path is not None:
        return _standardize(_read(Path(path)), str(path))
    url = url or settings.qpv_url
    if not url:
        raise DataSourceError(
            "no QPV source: geo.settings.qpv_url is not set; pass url=... or path=<local file>"
        )
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    cache = settings.default_cache_dir() / f"qpv-2024-{digest}.parquet"
    key = cache_key("qpv 2024", url)
    if not refresh:
        table = read_checked_parquet(cache, schema=CacheSchema.text(QPV_COLUMNS), key=key)
        if table is not None:
            return table
    with scratch_file(_suffix(url), f"qpv-2024-{digest}") as raw_path:
        download(url, raw_path, validate=_validate, description="QPV 2024 boundaries", hint=_HINT)
        table = _standardize(_read(raw_path), url)
    write_checked_parquet(table, cache, key=key)
    return table


#: Headers of INSEE's QPV 2024 population table (matched case-insensitively).
QPV_POPULATION_CODE = "codeqpv"
QPV_POPULATION_VALUE = "popmuniqpv"


def load_qpv_population(source: str | os.PathLike[str]) -> dict[str, int]:
    r"""Read INSEE's QPV 2024 population table: the municipal population of each QPV.

    The table has one row per QPV 2024 with, among other indicators, the
    columns ``codeQPV`` (``"QN07504M"``) and ``popMuniQPV`` (an integer);
    headers are matched whatever their case, the separator (``,`` ``;`` tab)
    is detected. A QPV across several communes has one population: it belongs
    to the QPV, never to one of its communes.

    Parameters
    ----------
    source
        A local file, or an ``http(s)`` URL downloaded with the library's
        timeouts, retries and offline switch (never cached: the file is small).

    Returns
    -------
    dict
        QPV code -> municipal population. Rows whose population is empty or
        secret (``"s"``, ``"nd"``) are left out: their population is unknown.

    Raises
    ------
    DataSourceError
        Offline mode, unreachable URL, missing or unreadable file.
    SchemaError
        No ``codeQPV`` or ``popMuniQPV`` column, a malformed QPV code or a
        population that is not a whole number (each with its line), or a code
        given twice with two populations.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "pop.csv").write_text("codeQPV;libQPV;popMuniQPV\nQN07504M;Oudiné;4321\n")
    >>> load_qpv_population(folder / "pop.csv")
    {'QN07504M': 4321}
    """
    text = os.fspath(source)
    if re.match(r"^https?://", text, re.IGNORECASE):
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
        with scratch_file(".csv", f"qpv-population-{digest}") as raw_path:
            download(text, raw_path, description="QPV 2024 population (INSEE)", hint=_HINT)
            return _read_population(raw_path, text)
    path = Path(text)
    if not path.is_file():
        raise DataSourceError(f"QPV population file not found: {path}")
    return _read_population(path, text)


_NOT_GIVEN = {"", "s", "nd", "n/a", "na", "-"}


def _read_population(path: Path, source: str) -> dict[str, int]:
    body = read_text(path, source)
    first = body.split("\n", 1)[0]
    delimiter = max((";", ",", "\t", "|"), key=first.count)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise SchemaError(f"{source}: the header line cannot be read as CSV: {exc}") from exc
    keys = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [k for k in (QPV_POPULATION_CODE, QPV_POPULATION_VALUE) if k not in keys]
    if missing:
        raise SchemaError(
            f"{source}: no column {', '.join(missing)} (case ignored) in the header "
            f"{header[:8]}; expected INSEE's QPV 2024 population table (codeQPV, popMuniQPV)"
        )
    at_code, at_pop = keys.index(QPV_POPULATION_CODE), keys.index(QPV_POPULATION_VALUE)
    out: dict[str, int] = {}
    problems: list[str] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            code = row[at_code].strip().upper() if at_code < len(row) else ""
            value = row[at_pop].strip() if at_pop < len(row) else ""
            if not QPV_CODE.match(code):
                problems.append(f"{source} line {line}: codeQPV {code!r} is not a QPV 2024 code")
                continue
            if value.lower() in _NOT_GIVEN:
                continue
            number = value.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
            if number.endswith(".0"):
                number = number[:-2]
            if not number.isdigit():
                problems.append(
                    f"{source} line {line}: popMuniQPV {value!r} of {code} is not a whole number"
                )
                continue
            if code in out and out[code] != int(number):
                problems.append(
                    f"{source} line {line}: {code} given twice ({out[code]} and {number})"
                )
                continue
            out[code] = int(number)
    except csv.Error as exc:
        raise SchemaError(
            f"{source}: line {reader.line_num + 1} cannot be read as CSV: {exc}"
        ) from exc
    if problems:
        raise SchemaError(f"{len(problems)} problem(s) in {source}", problems)
    return out


def qpv_geometry(
    codes: str | Iterable[str], *, qpv: gpd.GeoDataFrame | None = None
) -> shapely.Geometry:
    """Return the union of some QPV boundaries.

    Parameters
    ----------
    codes
        QPV codes, as a list or one ";"/","-separated string
        (``"QN07801M;QN07802M"``).
    qpv
        The QPV table (default :func:`load_qpv`).

    Returns
    -------
    shapely.Geometry
        A (Multi)Polygon in EPSG:4326 longitude/latitude.

    Raises
    ------
    UnknownQPVError
        Codes that match no QPV (all listed).
    ArgumentError
        No code given.
    """
    if isinstance(codes, str):
        codes = re.split(r"[;,\s]+", codes)
    wanted = [c.strip().upper() for c in codes if c and c.strip()]
    if not wanted:
        raise ArgumentError("qpv_geometry() needs at least one QPV code, e.g. 'QN07801M'")
    table = qpv if qpv is not None else load_qpv()
    found = table[table["code_qp"].str.upper().isin(wanted)]
    missing = sorted(set(wanted) - set(found["code_qp"].str.upper()))
    if missing:
        raise UnknownQPVError(
            f"{len(missing)} QPV codes not found among {len(table)} QPV: {', '.join(missing)} "
            f"(codes look like 'QN07801M')",
            [f"QPV {code!r} not found" for code in missing],
        )
    return shapely.make_valid(shapely.union_all(found.geometry.values.to_numpy()))


def _suffix(url: str) -> str:
    name = url.split("?", 1)[0].rsplit("/", 1)[-1].lower()
    for suffix in (".geojson.gz", ".geojson", ".json", ".zip", ".gpkg"):
        if name.endswith(suffix):
            return suffix
    return ".download"  # e.g. data.gouv.fr's /datasets/r/<id>: sniffed on read


def _validate(path: Path) -> None:
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK"):
        validate_zip(path)
    else:
        validate_geojson(path)


def _read(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise DataSourceError(f"QPV file not found: {path}")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    try:
        if magic.startswith(b"PK"):
            with zipfile.ZipFile(path) as archive:
                data = archive.read(_zip_member(path))
            return gpd.read_file(io.BytesIO(data))
        if magic.startswith(b"\x1f\x8b"):
            return gpd.read_file(f"/vsigzip/{path}")
        return gpd.read_file(path)
    except DataSourceError:
        raise
    except Exception as exc:
        raise DataSourceError(f"cannot read the QPV file {path}: {exc}") from exc


def _zip_member(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".geojson")]
    if not names:
        raise DataSourceError(f"the ZIP archive {path} holds no .geojson file")
    # Prefer the national WGS84 file when the archive holds several.
    names.sort(key=lambda n: ("wgs84" not in n.lower(), "france" not in n.lower(), len(n)))
    return names[0]


def _pick(columns: list[str], keys: tuple[str, ...]) -> str | None:
    by_key = {column_key(c): c for c in columns if c != "geometry"}
    return next((by_key[k] for k in keys if k in by_key), None)


def _standardize(raw: gpd.GeoDataFrame, where: str) -> gpd.GeoDataFrame:
    columns = list(raw.columns)
    code_col = _pick(columns, _CODE_KEYS)
    if code_col is None:
        raise SchemaError(
            f"{where}: no QPV code column among {[c for c in columns if c != 'geometry']}; "
            f"expected code_qp, CODE_QP or code_quartier"
        )
    if raw.crs is None:
        raise CRSError(f"{where} has no CRS: set it with geopandas' set_crs() and save again")
    raw = raw.to_crs(WGS84)
    name_col = _pick(columns, _NAME_KEYS)
    commune_col = _pick(columns, _COMMUNE_KEYS)
    commune_name_col = _pick(columns, _COMMUNE_NAME_KEYS)
    dep_col = _pick(columns, _DEP_KEYS)

    def text(column: str | None) -> pd.Series:
        if column is None:
            return pd.Series([None] * len(raw), index=raw.index, dtype=object)
        return raw[column].map(lambda v: str(v).strip() if pd.notna(v) else None)

    codes = text(commune_col).map(
        lambda v: ";".join(dict.fromkeys(_INSEE.findall(v))) if v else None
    )
    names = text(commune_name_col).map(
        lambda v: ";".join(p.strip() for p in re.split(r"[;,]", v) if p.strip()) if v else None
    )
    table = gpd.GeoDataFrame(
        {
            "code_qp": text(code_col).str.upper(),
            "nom_qp": text(name_col),
            "communes": codes.replace("", None),
            "communes_noms": names,
            "departement": text(dep_col),
        },
        geometry=gpd.GeoSeries(shapely.make_valid(raw.geometry.values.to_numpy()), crs=WGS84),
        crs=WGS84,
    )
    empty = table["code_qp"].isna()
    if empty.any():
        rows = ", ".join(str(i + 1) for i in range(len(table)) if empty.iloc[i])
        raise SchemaError(f"{where}: rows {rows} have no QPV code in column {code_col!r}")
    return table[QPV_COLUMNS].reset_index(drop=True)


# --- the shipped list of QPV 2024 by commune (offline) ---------------------------

_LIST_CACHE: dict[Path, pd.DataFrame] = {}
register_cache(_LIST_CACHE.clear)


def qpv_list(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Return the list of QPV 2024 by commune shipped with the library.

    Parameters
    ----------
    path
        Another copy of the list in the same layout; default
        ``qpv2024_communes.csv`` of the shipped data folder.

    Returns
    -------
    DataFrame
        :data:`QPV_LIST_COLUMNS`, strings, one row per QPV and commune (the
        commune of Paris, Lyon or Marseille, never an arrondissement: the
        ANCT list gives the commune), sorted by ``code_qp`` then ``insee_com``.

    Raises
    ------
    DataSourceError
        The file is missing or unreadable.
    SchemaError
        Missing columns, malformed QPV or INSEE codes (with the line).

    Examples
    --------
    >>> table = qpv_list()
    >>> table.columns.tolist()
    ['code_qp', 'nom_qp', 'insee_com']
    >>> int(table["code_qp"].nunique()) > 1000
    True
    """
    file = Path(path) if path is not None else data_dir() / QPV_LIST_FILE
    key = file.resolve()
    if key not in _LIST_CACHE:
        _LIST_CACHE[key] = _read_list(file)
    return _LIST_CACHE[key].copy()


def _read_list(file: Path) -> pd.DataFrame:
    if not file.is_file():
        raise DataSourceError(
            f"the QPV list {file} is missing: it ships with the library in its data folder "
            f"({QPV_LIST_FILE}); reinstall the package or pass path=..."
        )
    reader = csv.DictReader(io.StringIO(read_text(file, str(file)), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in QPV_LIST_COLUMNS if c not in header]
    if missing:
        raise SchemaError(f"{file}: missing column(s) {missing}; expected {QPV_LIST_COLUMNS}")
    rows, problems = [], []
    try:
        for record in reader:
            row = {c: (record.get(c) or "").strip() for c in QPV_LIST_COLUMNS}
            line = reader.line_num
            if not QPV_CODE.match(row["code_qp"]):
                problems.append(
                    f"{file} line {line}: code_qp {row['code_qp']!r} is not a QPV code"
                )
            if not _INSEE.fullmatch(row["insee_com"]):
                problems.append(
                    f"{file} line {line}: insee_com {row['insee_com']!r} is not an INSEE code"
                )
            rows.append(row)
    except csv.Error as exc:
        raise SchemaError(
            f"{file}: line {reader.line_num + 1} cannot be read as CSV: {exc}"
        ) from exc
    if problems:
        raise SchemaError(f"{len(problems)} problem(s) in {file}", problems)
    table = pd.DataFrame(rows, columns=QPV_LIST_COLUMNS, dtype=object)
    return table.sort_values(["code_qp", "insee_com"], ignore_index=True)


def qpv_of_commune(code: str) -> pd.DataFrame:
    """List the QPV 2024 of a commune, offline.

    Parameters
    ----------
    code
        INSEE code of a commune (``"78440"``; ``"2A004"``). An arrondissement
        of Paris, Lyon or Marseille (``"75113"``) gives the QPV of its whole
        commune: the ANCT list does not split them by arrondissement.

    Returns
    -------
    DataFrame
        ``code_qp``, ``nom_qp`` and ``communes`` (";"-joined INSEE codes of
        every commune the QPV lies in), one row per QPV, sorted by code;
        empty when the commune has no QPV.

    Raises
    ------
    ArgumentError
        ``code`` is not an INSEE code.

    Examples
    --------
    >>> qpv_of_commune("78440")["code_qp"].tolist()
    ['QN07819M', 'QN07820M']
    >>> qpv_of_commune("78440")["nom_qp"].tolist()
    ['Cinq Quartiers', 'Cité Renault - Centre Ville']
    >>> bool(qpv_of_commune("75113")["code_qp"].str.startswith("QN075").all())
    True
    """
    from geo.errors import ArgumentError

    normalised = normalise_code(code)
    if not _INSEE.fullmatch(normalised):
        raise ArgumentError(
            f"qpv_of_commune({code!r}): not an INSEE commune code (5 characters, "
            "e.g. '78440', '2A004', '75113')"
        )
    commune = PLM_PARENTS.get(normalised, normalised)
    table = qpv_list()
    codes = set(table.loc[table["insee_com"] == commune, "code_qp"])
    rows = table[table["code_qp"].isin(codes)]
    grouped = rows.groupby("code_qp", sort=True).agg(
        nom_qp=("nom_qp", "first"), communes=("insee_com", ";".join)
    )
    return grouped.reset_index()[["code_qp", "nom_qp", "communes"]]
