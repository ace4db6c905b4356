"""Atomic file writes and checked cache files (private).

Everything ``geo`` writes goes through :func:`atomic_path`: a temporary file
in the target directory, flushed to disk and renamed over the target only once
complete, so a crash never leaves half a file and a user's file is never
touched in place.

Temporary files have recognisable names (:func:`temporary_path`:
``.<name>.tzptce-<host>-<pid>-<token><suffix>``). When a process is killed in
the middle of a write its temporary file stays behind; the next write of the
same target removes it once it is stale (its process is gone, or it has not
changed for :data:`STALE_AFTER_S`).

Cache files (:func:`write_checked_parquet`, :func:`read_checked_parquet`)
carry a provenance sidecar (SHA-256, row count, and the key of the source and
versions that produced them), and a reader states the key, the schema
(:class:`CacheSchema`) and the fewest rows it expects: a file whose bytes
match their checksum but that another source or version produced, or whose
columns, types, CRS or row count are not the expected ones, is not used.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import socket
import stat
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import DataSourceError

__all__ = [
    "STALE_AFTER_S",
    "CacheSchema",
    "atomic_path",
    "cache_file_intact",
    "cache_key",
    "check_cache_file",
    "file_sha256",
    "read_checked_parquet",
    "remove_stale_temporaries",
    "schema_problems",
    "temporary_path",
    "write_checked_parquet",
    "write_error",
]

#: A temporary file of another host (or of a live process) unchanged for this
#: long is considered left behind by a killed write.
STALE_AFTER_S = 24 * 3600.0

_MARK = "tzptce"
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:6]
_TEMP_NAME = re.compile(rf"\.{_MARK}-(?P<host>[0-9a-f]{{6}})-(?P<pid>[0-9]+)-[0-9a-f]+")


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or we cannot tell: keep its file
    return True


def remove_stale_temporaries(stem: Path) -> list[Path]:
    """Remove the stale temporary files of ``stem`` (see :func:`temporary_path`).

    Parameters
    ----------
    stem
        The path the temporaries were made for (``cache/x.parquet``).

    Returns
    -------
    list of Path
        The files removed.
    """
    removed: list[Path] = []
    pattern = f".{_glob_escape(stem.name)}.{_MARK}-*"
    try:
        candidates = list(stem.parent.glob(pattern))
    except OSError:
        return removed
    now = time.time()
    for path in candidates:
        match = _TEMP_NAME.search(path.name[len(stem.name) + 1 :])
        if match is None:
            continue
        try:
            age = now - path.lstat().st_mtime
        except OSError:
            continue
        ours = match["host"] == _HOST
        if (ours and not _process_alive(int(match["pid"]))) or age > STALE_AFTER_S:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


@contextlib.contextmanager
def temporary_path(stem: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a new empty file beside ``stem`` with a recognisable name; remove it on exit.

    The name is ``.<stem name>.tzptce-<host>-<pid>-<token><suffix>``: another
    run recognises it, and removes it when its process is gone (killed in the
    middle of a write). Stale temporaries of ``stem`` are removed first.

    Parameters
    ----------
    stem
        Path the temporary file is for; its directory is created when missing.
    suffix
        End of the name (readers may pick their format by it).
    """
    stem = Path(stem)
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(stem, exc) from exc
    remove_stale_temporaries(stem)
    while True:
        name = f".{stem.name}.{_MARK}-{_HOST}-{os.getpid()}-{secrets.token_hex(4)}{suffix}"
        path = stem.parent / name
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
        except OSError as exc:
            raise write_error(stem, exc) from exc
        os.close(fd)
        break
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def write_error(target: Path, exc: OSError) -> DataSourceError:
    """Return the error of a file that cannot be written, naming it (not its temporary)."""
    from geo import settings

    why = exc.strerror or str(exc)
    if exc.errno == errno.ENAMETOOLONG:
        why = "its name is too long for the file system"
    folder = target.parent
    try:
        cache = Path(settings.default_cache_dir()).resolve()
        in_cache = (
            cache == Path(os.path.abspath(folder))
            or cache in Path(os.path.abspath(folder)).parents
        )
    except OSError:  # pragma: no cover - an unreadable home
        in_cache = False
    if in_cache:
        return DataSourceError(
            f"the cache folder {cache} cannot be used ({why}, writing {target.name}): point "
            "geo.settings.cache_dir (or the environment variable TZPTCE_CACHE_DIR) at a "
            "folder you can write, or make this one writable"
        )
    return DataSourceError(
        f"cannot write {target}: {why} (in {folder}); choose a path in a folder you can write"
    )


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - not on POSIX
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path that replaces ``target`` when the block succeeds.

    The file is flushed to disk (``fsync``) before it is renamed over
    ``target``, and the directory after, so that a power cut leaves either
    the old file or the new one.

    Parameters
    ----------
    target
        Final file path. Its directory is created when missing.
    suffix
        End of the temporary name (GDAL checks a GeoPackage's extension).

    Yields
    ------
    Path
        A fresh temporary path beside ``target``; write the whole file there.
        On error it is deleted and ``target`` is left as it was.
    """
    target = Path(target)
    with temporary_path(target, suffix=suffix) as tmp:
        yield tmp
        if tmp.exists():
            _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_directory(target.parent)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


#: Kinds of column a :class:`CacheSchema` can ask for.
KINDS = ("str", "int", "float", "bool", "geometry", "any")


@dataclass(frozen=True)
class CacheSchema:
    """The columns, column kinds and CRS a cache file must have to be used.

    Parameters
    ----------
    columns
        Column name -> kind: ``"str"`` (text; empty columns allowed),
        ``"int"``, ``"float"`` (any number), ``"bool"``, ``"geometry"`` (the
        active geometry column) or ``"any"`` (present). Other columns are
        allowed.
    crs
        The CRS the geometries must be in (``None``: not checked).

    Examples
    --------
    >>> CacheSchema({"code_insee": "str", "geometry": "geometry"}).columns["code_insee"]
    'str'
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    crs: str | None = "EPSG:4326"

    def __post_init__(self) -> None:
        unknown = sorted({k for k in self.columns.values() if k not in KINDS})
        if unknown:
            raise ValueError(f"unknown column kinds {unknown}; use {list(KINDS)}")

    @classmethod
    def text(
        cls,
        columns: Iterable[str],
        *,
        numbers: Iterable[str] = (),
        crs: str | None = "EPSG:4326",
    ) -> CacheSchema:
        """Return the schema of a table of text columns, some numbers and ``geometry``.

        Examples
        --------
        >>> CacheSchema.text(["code", "population", "geometry"], numbers=["population"]).columns
        {'code': 'str', 'population': 'float', 'geometry': 'geometry'}
        """
        numeric = set(numbers)
        kinds = {
            c: "geometry" if c == "geometry" else "float" if c in numeric else "str"
            for c in columns
        }
        return cls(kinds, crs)


def _kind_problem(series: pd.Series, kind: str) -> str | None:
    types = pd.api.types
    if kind == "any":
        return None
    if kind == "geometry":
        ok = isinstance(series.dtype, gpd.array.GeometryDtype)
    elif kind == "bool":
        ok = types.is_bool_dtype(series.dtype)
    elif kind == "int":
        ok = types.is_integer_dtype(series.dtype) and not types.is_bool_dtype(series.dtype)
    elif kind == "float":
        ok = types.is_numeric_dtype(series.dtype) and not types.is_bool_dtype(series.dtype)
    else:  # str
        ok = types.is_string_dtype(series.dtype) and types.infer_dtype(series, skipna=True) in (
            "string",
            "empty",
        )
    return None if ok else f"{series.name!r} is {series.dtype}, not {kind}"


def schema_problems(gdf: gpd.GeoDataFrame, schema: CacheSchema) -> list[str]:
    """List how ``gdf`` differs from ``schema`` (empty when it matches).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> gdf = gpd.GeoDataFrame({"code": [1]}, geometry=[shapely.Point(0, 0)], crs=4326)
    >>> schema_problems(gdf, CacheSchema({"code": "str", "nom": "str"}))
    ["'code' is int64, not str", "missing columns ['nom']"]
    """
    problems = []
    missing = [c for c in schema.columns if c not in gdf.columns]
    for name, kind in schema.columns.items():
        if name in gdf.columns:
            problem = _kind_problem(gdf[name], kind)
            if problem is None and kind == "geometry" and gdf.geometry.name != name:
                problem = f"{name!r} is not the active geometry column"
            if problem is not None:
                problems.append(problem)
    if missing:
        problems.append(f"missing columns {missing}")
    if schema.crs is not None:
        crs = getattr(gdf, "crs", None)
        if crs is None:
            problems.append(f"no CRS (expected {schema.crs})")
        elif not crs.equals(schema.crs):
            problems.append(f"CRS {crs.to_string()} (expected {schema.crs})")
    return problems


def check_cache_file(path: Path) -> bool:
    """Return whether the cache file ``path`` exists; raise when it cannot be one.

    Raises
    ------
    DataSourceError
        ``path`` is a directory, not a regular file, or unreadable.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.EACCES, errno.ELOOP):  # the folder is the problem
            raise write_error(path, exc) from exc
        raise _cache_error(path, exc.strerror or str(exc)) from exc
    if stat.S_ISDIR(mode):
        raise _cache_error(path, "it is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise _cache_error(path, "it is not a regular file")
    if not os.access(path, os.R_OK):
        raise _cache_error(path, "it cannot be read (permissions)")
    return True


def _cache_error(path: Path, why: str) -> DataSourceError:
    return DataSourceError(
        f"cache file {path} cannot be used: {why}; remove it, or point geo.settings.cache_dir "
        "(TZPTCE_CACHE_DIR) at another directory"
    )


def write_checked_parquet(
    gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], *, key: str = ""
) -> Path:
    """Write ``gdf`` as GeoParquet (zstd) with its provenance sidecar, atomically.

    The sidecar (``<name>.sha256``, JSON) records the SHA-256 of the bytes, the
    row count and ``key``, what produced the table (source, its version, the
    package version): :func:`read_checked_parquet` uses the file only when all
    three still match.

    Parameters
    ----------
    gdf
        The table.
    path
        The cache file.
    key
        What produced the table, e.g. ``"etalab 2025 50m geo 0.1.0"``.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    DataSourceError
        The path (or its sidecar's) is a directory or another non-file, or
        the cache folder cannot be written.
    """
    path = Path(path)
    check_cache_file(path)
    check_cache_file(_sidecar(path))
    with atomic_path(path) as tmp:
        gdf.to_parquet(tmp, compression="zstd", index=False)
        record = {"sha256": file_sha256(tmp), "rows": len(gdf), "key": key}
    with atomic_path(_sidecar(path)) as tmp:
        tmp.write_text(json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")
    return path


def cache_key(*parts: object) -> str:
    """Return the key of a cache file: what produced it, and the package version.

    Examples
    --------
    >>> cache_key("etalab", 2025, "50m").startswith("etalab 2025 50m geo ")
    True
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("tzptce-geo")
    except PackageNotFoundError:  # pragma: no cover - a checkout not installed
        package = "unknown"
    return " ".join(str(p) for p in parts) + f" geo {package}"


def _provenance(sidecar: Path) -> dict[str, object] | None:
    try:
        record = json.loads(sidecar.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise _cache_error(sidecar, exc.strerror or str(exc)) from exc
    except ValueError:
        return None  # a sidecar of an older version (a bare checksum) or damaged
    ok = isinstance(record, dict) and isinstance(record.get("rows"), int)
    return record if ok else None


def cache_file_intact(path: str | os.PathLike[str]) -> bool:
    """Return whether a cache file's bytes match the checksum its sidecar records.

    Examples
    --------
    >>> import tempfile, geopandas as gpd, shapely
    >>> folder = tempfile.mkdtemp()
    >>> gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4326)
    >>> cache_file_intact(write_checked_parquet(gdf, f"{folder}/c.parquet", key="k"))
    True
    """
    path = Path(path)
    sidecar = _sidecar(path)
    if not check_cache_file(path) or not check_cache_file(sidecar):
        return False
    record = _provenance(sidecar)
    return record is not None and record.get("sha256") == file_sha256(path)


def read_checked_parquet(
    path: str | os.PathLike[str],
    *,
    filters: list[tuple] | None = None,
    schema: CacheSchema | None = None,
    key: str = "",
    min_rows: int = 0,
) -> gpd.GeoDataFrame | None:
    """Read a cache file written by :func:`write_checked_parquet`, if it is still right.

    Parameters
    ----------
    path
        The GeoParquet file.
    filters
        Optional pyarrow row filters, e.g. ``[("departement", "in", ["78"])]``:
        only the matching rows are decoded (the row count is then not compared).
    schema
        What the table must hold (columns, kinds, CRS); a file that differs
        is not used.
    key
        What must have produced the table (see :func:`write_checked_parquet`).
    min_rows
        Fewest rows a whole table from this source can have (e.g. the
        communes of France): a smaller one is not used, even when its
        sidecar agrees.

    Returns
    -------
    GeoDataFrame or None
        ``None`` when the file or its sidecar is missing, when the bytes do
        not match the checksum (corrupt or truncated), when it was produced
        by another source or version (``key``), when its row count differs
        from the recorded one or is below ``min_rows``, when it cannot be
        parsed, or when it does not have the expected ``schema``: the caller
        then rebuilds it.

    Raises
    ------
    DataSourceError
        The path (or its sidecar's) is a directory, not a regular file, or
        cannot be read.
    """
    path = Path(path)
    sidecar = _sidecar(path)
    if not check_cache_file(path) or not check_cache_file(sidecar):
        return None
    record = _provenance(sidecar)
    if record is None or record.get("key") != key:
        return None
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise _cache_error(path, exc.strerror or str(exc)) from exc
    if actual != record.get("sha256"):
        return None
    try:
        table = gpd.read_parquet(path, filters=filters)
    except Exception:
        return None
    if filters is None and (len(table) != record["rows"] or len(table) < min_rows):
        return None
    if schema is not None and schema_problems(table, schema):
        return None
    return table
