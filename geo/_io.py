"""Atomic file writes and checked cache files (private).

Everything ``geo`` writes goes through :func:`atomic_path`: a temporary file
in the target directory, renamed over the target only once complete, so a
crash never leaves half a file and a user's file is never touched in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd

__all__ = ["atomic_path", "file_sha256", "read_checked_parquet", "write_checked_parquet"]


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path that replaces ``target`` when the block succeeds.

    Parameters
    ----------
    target
        Final file path. Its directory is created when missing.

    Yields
    ------
    Path
        A fresh temporary path beside ``target``; write the whole file there.
        On error it is deleted and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():  # mkstemp makes 0600 files: give the usual permissions
            tmp.chmod(0o666 & ~_current_umask())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_checked_parquet(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``gdf`` as GeoParquet (zstd) with a SHA-256 sidecar, atomically.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        gdf.to_parquet(tmp, compression="zstd", index=False)
        digest = file_sha256(tmp)
    with atomic_path(_sidecar(path)) as tmp:
        tmp.write_text(digest + "\n", encoding="ascii")
    return path


def read_checked_parquet(
    path: str | os.PathLike[str], *, filters: list[tuple] | None = None
) -> gpd.GeoDataFrame | None:
    """Read a cache file written by :func:`write_checked_parquet`.

    Parameters
    ----------
    path
        The GeoParquet file.
    filters
        Optional pyarrow row filters, e.g. ``[("departement", "in", ["78"])]``:
        only the matching rows are decoded.

    Returns
    -------
    GeoDataFrame or None
        ``None`` when the file or its checksum is missing, when the bytes do
        not match the checksum (corrupt or truncated), or when it cannot be
        parsed: the caller then rebuilds it.
    """
    path = Path(path)
    sidecar = _sidecar(path)
    if not path.is_file() or not sidecar.is_file():
        return None
    expected = sidecar.read_text(encoding="ascii", errors="replace").strip()
    if file_sha256(path) != expected:
        return None
    try:
        return gpd.read_parquet(path, filters=filters)
    except Exception:
        return None
