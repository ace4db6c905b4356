"""Commune boundaries from files and from the network (Etalab, API Géo).

Used by :func:`geo.reference.communes.load_communes`; each function returns the standard
commune table (:data:`geo.reference.communes.COLUMNS` plus ``mairie_lon``/``mairie_lat``)
in EPSG:4326, with the COG attributes (département, région, EPCI,
population) joined by code from :func:`geo.reference.cog.cog_lookup`.

Sources
-------
``read_boundary_file``
    Any file pyogrio reads (GeoJSON, GeoPackage, ADMIN EXPRESS shapefile...).
    Codes that are no longer communes of the current COG (files of an older
    vintage) are kept, typed from the COMD/COMA table when the old code
    survives there, and listed in an :class:`OutdatedCodeWarning`.
``load_remote("etalab")``
    The Etalab "contours administratifs" bulk file
    ``communes-{resolution}.geojson.gz`` (properties ``code``, ``nom``,
    ``departement``, ``region``, ``epci``, ``plm``, ``commune``; the layer
    holds communes and arrondissements municipaux).
``load_remote("api-geo")``, :func:`load_epci_communes`
    API Géo, one request per département or EPCI
    (``format=geojson&geometry=contour``).

Downloads are converted once to GeoParquet in
:func:`geo.settings.default_cache_dir` (``communes-etalab-2025-50m.parquet``,
``communes-api-geo-2025-78.parquet``...) and read from there afterwards.
All network access goes through :mod:`geo._core.download`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._core.download import download, scratch_file, validate_geojson
from geo._core.files import CacheSchema, cache_key, read_checked_parquet, write_checked_parquet
from geo._core.text import column_key
from geo._core.warn import warn
from geo.crs import WGS84
from geo.errors import CRSError, DataSourceError, GeoWarning, SchemaError, format_problems
from geo.reference.cog import BOUNDARY_COLUMNS as COLUMNS
from geo.reference.cog import EMBEDDED_VINTAGE, cog_lookup, departement_code, departements
from geo.reference.names import PLM, PLM_COUNT, as_code, normalise_code

__all__ = [
    "RESOLUTIONS",
    "MergedBoundaryWarning",
    "OutdatedCodeWarning",
    "cog_lookup",
    "load_epci_communes",
    "load_remote",
    "read_boundary_file",
]

#: Simplification levels of the Etalab bulk files.
RESOLUTIONS = ("5m", "50m", "100m", "1000m")

#: Header keys (see :func:`geo._core.text.column_key`) recognised as the INSEE code.
CODE_COLUMNS = (
    "code_insee",
    "insee_com",
    "code_commune",
    "code_com",
    "codgeo",
    "code_geo",
    "depcom",
    "insee",
    "code",
    "com",
    "insee_arm",
)
#: Header keys recognised as the commune name.
NAME_COLUMNS = ("nom", "nom_com", "nom_commune", "name", "libelle", "libgeo", "lib_com", "label")

_TYPE_PRIORITY = {"COM": 0, "ARM": 1, "COMD": 2, "COMA": 3}
#: Département -> code of its commune split into arrondissements (75 -> 75056).
_PLM_BY_DEPARTEMENT = {code[:2]: code for code, _ in PLM.values()}


class MergedBoundaryWarning(GeoWarning):
    """A boundary file holds a commune on several rows: their parts were merged."""


class OutdatedCodeWarning(GeoWarning):
    """A boundary file uses codes that are not communes of the current COG."""


# --- local files -------------------------------------------------------------


def read_boundary_file(
    path: str | os.PathLike[str],
    *,
    code_column: str | None = None,
    name_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a commune boundary file into the standard commune table.

    Parameters
    ----------
    path
        Any file pyogrio reads (GeoJSON, GeoPackage, shapefile, ``.geojson.gz``).
    code_column, name_column
        Columns holding the INSEE code and the name. Detected when omitted
        (code: ``code``, ``insee``, ``INSEE_COM``, ``code_insee``, ``codgeo``,
        ``com``...; name: ``nom``, ``NOM``, ``name``, ``libelle``...).

    Returns
    -------
    GeoDataFrame
        :data:`geo.reference.communes.COLUMNS` plus ``mairie_lon``/``mairie_lat``,
        EPSG:4326, one row per code of the file. Names are the COG names for
        current communes and the file's own names for other codes.

    Raises
    ------
    DataSourceError
        The file is missing or unreadable.
    SchemaError
        No code column, or codes that are not INSEE commune codes.
    CRSError
        The file has no CRS.

    Warns
    -----
    OutdatedCodeWarning
        Codes that are not current communes (older vintages): each one is
        listed with what it is today.
    """
    path = Path(path)
    if not path.is_file():
        raise DataSourceError(f"boundary file not found: {path}")
    try:
        raw = gpd.read_file(_ogr_path(path))
    except Exception as exc:
        raise DataSourceError(f"cannot read boundary file {path}: {exc}") from exc
    return standardize(
        raw,
        where=str(path),
        code_column=code_column,
        name_column=name_column,
        geometry_source=f"file:{path.name}",
    )


def _ogr_path(path: Path) -> str:
    return f"/vsigzip/{path}" if path.name.endswith(".gz") else str(path)


def _pick_column(
    columns: Sequence[str], wanted: str | None, candidates: Sequence[str], what: str, where: str
) -> str | None:
    if wanted is not None:
        if wanted not in columns:
            raise SchemaError(
                f"{where}: no column {wanted!r} for the {what}; columns are {list(columns)}"
            )
        return wanted
    by_key = {column_key(c): c for c in columns if c != "geometry"}
    for key in candidates:
        if key in by_key:
            return by_key[key]
    return None


def _insee_code(value: object) -> str | None:
    """``78440``, ``"1001"``, ``1001.0``, ``"2a004"`` -> the code; ``None`` when not one."""
    return as_code(normalise_code(value))


def _normalise_codes(values: pd.Series, where: str, column: str) -> pd.Series:
    codes = pd.Series([_insee_code(v) for v in values], index=values.index, dtype=object)
    bad = codes.isna()
    if bad.any():
        problems = [
            f"row {i + 1} {column}={values.iloc[i]!r}" for i in np.flatnonzero(bad.to_numpy())
        ]
        raise SchemaError(
            format_problems(
                f"{len(problems)} values of {where} are not 5-character INSEE commune codes "
                f"(e.g. '01001', '2A004', '97407'); pass code_column= if the column is wrong",
                problems,
            ),
            problems,
        )
    return codes


def _infer_arm_parent(code: str) -> str | None:
    if not code.isdigit():
        return None
    number = int(code)
    for city, (parent, base) in PLM.items():
        if base < number <= base + PLM_COUNT[city]:
            return parent
    return None


def _departement_of(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def standardize(
    raw: gpd.GeoDataFrame,
    *,
    where: str,
    code_column: str | None = None,
    name_column: str | None = None,
    geometry_source: str,
    parent_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Turn a boundary table of any origin into the standard commune table.

    Parameters
    ----------
    raw
        Boundaries with a code column and a CRS.
    where
        File or URL, for messages.
    code_column, name_column
        As for :func:`read_boundary_file`.
    geometry_source
        Value of the ``geometry_source`` column.
    parent_column
        Column holding the parent commune of arrondissements (Etalab
        ``commune``), used for codes unknown to the COG.

    Returns
    -------
    GeoDataFrame
        See :func:`read_boundary_file`.
    """
    columns = list(raw.columns)
    code_col = _pick_column(columns, code_column, CODE_COLUMNS, "INSEE code", where)
    if code_col is None:
        raise SchemaError(
            f"{where}: no INSEE code column among {[c for c in columns if c != 'geometry']}; "
            f"expected one of code, insee, INSEE_COM, code_insee, codgeo, com, or pass "
            f"code_column=..."
        )
    name_col = _pick_column(columns, name_column, NAME_COLUMNS, "name", where)
    if raw.crs is None:
        raise CRSError(
            f"{where} has no CRS: add its .prj (shapefile) or set it with "
            f"geopandas' set_crs() and save again, e.g. gdf.set_crs('EPSG:2154')"
        )
    raw = raw.to_crs(WGS84) if raw.crs.to_epsg() != 4326 else raw
    codes = _normalise_codes(raw[code_col], where, code_col)
    names = (
        raw[name_col].astype(object).where(raw[name_col].notna(), None)
        if name_col
        else pd.Series(None, index=raw.index, dtype=object)
    )
    geometry = shapely.make_valid(raw.geometry.values.to_numpy())
    table = gpd.GeoDataFrame(
        {"code_insee": codes.to_numpy(), "file_nom": names.to_numpy()},
        geometry=gpd.GeoSeries(geometry, crs=WGS84),
        crs=WGS84,
    )
    if parent_column is not None and parent_column in raw.columns:
        table["file_parent"] = raw[parent_column].astype(object).to_numpy()
    else:
        table["file_parent"] = None
    table = _merge_duplicates(table, where)

    attrs = cog_lookup()
    known = table["code_insee"].isin(attrs.index)
    joined = attrs.reindex(table["code_insee"]).reset_index(drop=True)
    out = pd.DataFrame(index=table.index)
    out["code_insee"] = table["code_insee"]
    current = known & joined["type"].isin(["COM", "ARM"]).to_numpy()
    out["nom"] = np.where(current, joined["nom"], table["file_nom"].fillna(joined["nom"]))
    out["type"] = joined["type"].to_numpy()
    out["parent"] = joined["parent"].to_numpy()
    for column in ("departement", "region", "epci_siren", "epci_nom", "population"):
        out[column] = joined[column].to_numpy()
    out["population"] = pd.array(out["population"], dtype="Int64")
    out["geometry_source"] = geometry_source
    out["mairie_lon"] = joined["mairie_lon"].to_numpy()
    out["mairie_lat"] = joined["mairie_lat"].to_numpy()

    unknown = ~known.to_numpy()
    for idx in np.flatnonzero(unknown):
        code = out.at[idx, "code_insee"]
        parent = table.at[idx, "file_parent"] or _infer_arm_parent(code)
        out.at[idx, "type"] = "ARM" if parent else "COM"
        out.at[idx, "parent"] = parent if parent else None
        out.at[idx, "departement"] = _departement_of(code)
    _fill_region_from_departement(out)
    _warn_outdated(out, unknown, where)
    result = gpd.GeoDataFrame(out, geometry=table.geometry.values, crs=WGS84)
    ordered = [*COLUMNS[:-1], "mairie_lon", "mairie_lat", "geometry"]
    return result[ordered].reset_index(drop=True)


def _merge_duplicates(table: gpd.GeoDataFrame, where: str) -> gpd.GeoDataFrame:
    duplicated = table["code_insee"].duplicated(keep=False)
    if not duplicated.any():
        return table
    codes = sorted(table.loc[duplicated, "code_insee"].unique())
    warn(
        f"{where}: {len(codes)} codes appear on several rows; their parts are merged into "
        f"one boundary each: {', '.join(codes[:20])}",
        MergedBoundaryWarning,
    )
    merged = table.dissolve(by="code_insee", aggfunc="first", as_index=False)
    return merged[table.columns]


def _fill_region_from_departement(out: pd.DataFrame) -> None:
    missing = out["region"].isna() & out["departement"].notna()
    if not missing.any():
        return
    region_of = departements().set_index("code")["region"]
    out.loc[missing, "region"] = out.loc[missing, "departement"].map(region_of)


def _warn_outdated(out: pd.DataFrame, unknown: np.ndarray, where: str) -> None:
    problems = []
    delegated = out["type"].isin(["COMD", "COMA"])
    for idx in np.flatnonzero(delegated.to_numpy()):
        row = out.iloc[idx]
        kind = "commune déléguée" if row["type"] == "COMD" else "commune associée"
        problems.append(
            f"{row['code_insee']} {row['nom']} is now a {kind} of {row['parent']} "
            f"(kept with type {row['type']})"
        )
    for idx in np.flatnonzero(unknown):
        row = out.iloc[idx]
        problems.append(
            f"{row['code_insee']} {row['nom']} is unknown to the COG {EMBEDDED_VINTAGE} "
            f"(kept as {row['type']} of département {row['departement']}, without attributes)"
        )
    # Current communes whose former parts also appear as separate rows: the
    # file predates the merger and their boundary covers only part of them.
    parents_present = set(out.loc[delegated, "parent"].dropna())
    partial = out["type"].eq("COM") & out["code_insee"].isin(parents_present)
    for idx in np.flatnonzero(partial.to_numpy()):
        row = out.iloc[idx]
        problems.append(
            f"{row['code_insee']} {row['nom']}: its former communes are separate rows, so its "
            f"boundary here covers only part of today's commune"
        )
    if problems:
        warn(
            format_problems(
                f"{where} is older than the COG {EMBEDDED_VINTAGE}: "
                f"{len(problems)} codes are not current communes as such (kept, not dropped; "
                f"load_communes(types=('COM', 'COMD', 'COMA')) returns the communes déléguées "
                f"too)",
                problems,
                limit=50,
            ),
            OutdatedCodeWarning,
        )


# --- network sources -----------------------------------------------------------


def load_remote(
    source: str,
    *,
    resolution: str = "50m",
    departements: str | Sequence[str] | None = None,
    refresh: bool = False,
) -> gpd.GeoDataFrame:
    """Load commune boundaries from Etalab or API Géo, through the cache.

    Parameters
    ----------
    source
        ``"etalab"`` (bulk file for all of France) or ``"api-geo"`` (one
        request per département; ``departements`` is then required).
    resolution
        Etalab simplification: ``"5m"``, ``"50m"``, ``"100m"`` or ``"1000m"``.
    departements
        Départements, as one code or name (``"78"``, ``"Yvelines"``) or a
        list of them; Etalab downloads all of France anyway (the caller
        filters), API Géo fetches only these.
    refresh
        Download again even when the cache is valid.

    Returns
    -------
    GeoDataFrame
        The standard commune table (communes and, for Etalab and the
        départements of Paris, Lyon, Marseille, arrondissements municipaux).

    Raises
    ------
    DataSourceError
        Offline mode, unreachable or invalid source.
    SchemaError
        Unknown source, resolution or département, API Géo without
        départements, or a :data:`geo.settings.vintage` that is not a year.
    """
    if source == "etalab":
        if resolution not in RESOLUTIONS:
            raise SchemaError(f"unknown resolution {resolution!r}; use one of {RESOLUTIONS}")
        return _load_etalab(resolution, refresh=refresh)
    if source == "api-geo":
        if not departements:
            raise SchemaError(
                "source='api-geo' needs departements=... (e.g. departements='78'): API Géo "
                "answers HTTP 400 to an unfiltered request for contours; use "
                "source='etalab' for all of France"
            )
        codes = _check_departements(departements)
        tables = [_load_api_geo_departement(code, refresh=refresh) for code in codes]
        return pd.concat(tables, ignore_index=True)
    raise SchemaError(f"unknown remote source {source!r}: use 'etalab' or 'api-geo'")


def _check_departements(wanted: str | Sequence[str]) -> list[str]:
    values = [wanted] if isinstance(wanted, str) else list(wanted)
    codes, problems = [], []
    for value in values:
        try:
            codes.append(departement_code(value))
        except SchemaError as exc:
            problems.append(str(exc))
    if problems:
        raise SchemaError("; ".join(problems), problems)
    return list(dict.fromkeys(codes))


#: What a cached boundary table must hold to be used (else it is rebuilt).
_CACHE_SCHEMA = CacheSchema.text(COLUMNS, numbers=("population",))


def _cached(
    name: str,
    build: Callable[[], gpd.GeoDataFrame],
    *,
    refresh: bool,
    schema: CacheSchema = _CACHE_SCHEMA,
) -> gpd.GeoDataFrame:
    path = settings.default_cache_dir() / name
    key = cache_key(name)  # the name says the source, its vintage and area
    if not refresh:
        table = read_checked_parquet(path, schema=schema, key=key)
        if table is not None:
            return table
    table = build()
    write_checked_parquet(table, path, key=key)
    return table


def _load_etalab(resolution: str, *, refresh: bool) -> gpd.GeoDataFrame:
    year = settings.checked_vintage()
    name = f"communes-etalab-{year}-{resolution}"
    url = settings.etalab_url.format(year=year, resolution=resolution)

    def build() -> gpd.GeoDataFrame:
        with scratch_file(".geojson.gz", name) as raw_path:
            download(
                url,
                raw_path,
                # The bulk files name the code "code"; some mirrors say "insee".
                validate=lambda p: validate_geojson(
                    p, required_properties=(("code", "insee"), "nom")
                ),
                description=f"Etalab communes {year} {resolution}",
            )
            try:
                raw = gpd.read_file(_ogr_path(raw_path))
            except Exception as exc:
                raise DataSourceError(
                    f"Etalab communes from {url} cannot be read ({exc}); use "
                    f"source='embedded' (no network) or path=<local file>"
                ) from exc
        return standardize(
            raw,
            where=url,
            code_column="code" if "code" in raw.columns else "insee",
            name_column="nom",
            geometry_source=f"etalab-{year}-{resolution}",
            parent_column="commune" if "commune" in raw.columns else None,
        )

    return _cached(f"{name}.parquet", build, refresh=refresh)


def _api_geo_get(path: str, params: dict[str, str], description: str) -> gpd.GeoDataFrame:
    url = settings.api_geo_url.rstrip("/") + path
    with scratch_file(".geojson", "api-geo") as raw_path:
        download(
            url,
            raw_path,
            params=params,
            validate=lambda p: validate_geojson(
                p, required_properties=("code", "nom"), min_features=0
            ),
            description=description,
        )
        try:
            raw = gpd.read_file(raw_path)
        except Exception as exc:
            raise DataSourceError(
                f"{description}: the answer of {url} cannot be read ({exc}); use "
                f"source='embedded' (no network) or path=<local file>"
            ) from exc
    if raw.crs is None:
        raw = raw.set_crs(WGS84)
    return raw


def _from_api_geo(raw: gpd.GeoDataFrame, where: str) -> gpd.GeoDataFrame:
    if raw.empty:
        columns = [*COLUMNS[:-1], "mairie_lon", "mairie_lat"]
        return gpd.GeoDataFrame(
            pd.DataFrame(columns=columns), geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84
        )
    return standardize(
        raw,
        where=where,
        code_column="code",
        name_column="nom",
        geometry_source="api-geo",
        parent_column="codeParent" if "codeParent" in raw.columns else None,
    )


def _load_api_geo_departement(code: str, *, refresh: bool) -> gpd.GeoDataFrame:
    def build() -> gpd.GeoDataFrame:
        params = {"codeDepartement": code, "format": "geojson", "geometry": "contour"}
        raw = _api_geo_get("/communes", params, f"API Géo communes of département {code}")
        if raw.empty:
            raise DataSourceError(
                f"API Géo returned no commune for département {code} "
                f"({settings.api_geo_url}/communes); use source='embedded' (no network) "
                f"or path=<local file>"
            )
        tables = [_from_api_geo(raw, f"API Géo département {code}")]
        parent = _PLM_BY_DEPARTEMENT.get(code)
        if parent is not None:
            arm_params = {
                "type": "arrondissement-municipal",
                "codeParent": parent,
                "format": "geojson",
                "geometry": "contour",
            }
            arm = _api_geo_get("/communes", arm_params, f"API Géo arrondissements of {parent}")
            tables.append(_from_api_geo(arm, f"API Géo arrondissements of {parent}"))
        return pd.concat(tables, ignore_index=True)

    vintage = settings.checked_vintage()
    return _cached(f"communes-api-geo-{vintage}-{code}.parquet", build, refresh=refresh)


def load_epci_communes(siren: str, *, refresh: bool = False) -> gpd.GeoDataFrame:
    """Load the communes of an EPCI from API Géo, through the cache.

    Parameters
    ----------
    siren
        The 9-digit SIREN of the EPCI (``"200058519"``).
    refresh
        Download again even when the cache is valid.

    Returns
    -------
    GeoDataFrame
        The standard commune table of the EPCI's member communes.

    Raises
    ------
    SchemaError
        ``siren`` is not 9 digits.
    DataSourceError
        Offline mode, unknown EPCI (HTTP 404) or unreachable API.
    """
    siren = str(siren).strip()
    if not re.fullmatch(r"\d{9}", siren):
        raise SchemaError(f"EPCI SIREN must be 9 digits, got {siren!r}")

    def build() -> gpd.GeoDataFrame:
        params = {"format": "geojson", "geometry": "contour"}
        raw = _api_geo_get(f"/epcis/{siren}/communes", params, f"API Géo communes of EPCI {siren}")
        return _from_api_geo(raw, f"API Géo EPCI {siren}")

    vintage = settings.checked_vintage()
    return _cached(f"communes-api-geo-{vintage}-epci-{siren}.parquet", build, refresh=refresh)
