"""Checks of downloaded bodies: gzip integrity, GeoJSON FeatureCollections, ZIP archives (private).

No network here (:mod:`geo._core.download` fetches, then calls these on the
complete temporary file); each check raises :class:`geo.errors.DataSourceError`
saying what is wrong with the body.
"""

from __future__ import annotations

import gzip
import json
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

from geo.errors import DataSourceError

__all__ = [
    "FULL_PARSE_MAX_BYTES",
    "check_gzip",
    "open_maybe_gzip",
    "validate_geojson",
    "validate_zip",
]

_CHUNK = 1 << 20


def check_gzip(path: Path) -> None:
    """Read a gzip file to its end; raise ``OSError``/``EOFError``/``zlib.error`` when broken."""
    with open(path, "rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            raise OSError("not a gzip file (bad magic number)")
    with gzip.open(path, "rb") as handle:
        while handle.read(_CHUNK):
            pass


def open_maybe_gzip(path: Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing it when it is gzip."""
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


#: Bodies up to this size (uncompressed) are fully parsed by :func:`validate_geojson`;
#: larger ones are checked from their start and left to the reader.
FULL_PARSE_MAX_BYTES = 20 * 1024 * 1024

_HEAD_BYTES = 64 * 1024


def validate_geojson(
    path: Path,
    *,
    required_properties: tuple[str | tuple[str, ...], ...] = (),
    min_features: int = 1,
) -> None:
    """Check that ``path`` (plain or gzip) holds a GeoJSON FeatureCollection.

    Bodies up to :data:`FULL_PARSE_MAX_BYTES` (uncompressed) are parsed
    entirely: every feature must be an object, the first one's
    ``properties`` an object carrying ``required_properties`` (an entry that
    is a tuple is satisfied by any one of its names). Larger bodies are not
    loaded in memory: their start must announce a FeatureCollection and a
    gzip body must decompress to its end; the reader that follows (pyogrio,
    whose errors callers turn into :class:`DataSourceError`) checks the rest.

    Raises
    ------
    DataSourceError
        Not JSON, not a FeatureCollection, malformed features or properties,
        too few features, missing properties, or a corrupt gzip stream.
    """
    try:
        size = _uncompressed_size(path)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataSourceError(f"truncated or corrupt gzip body ({exc})") from exc
    if size > FULL_PARSE_MAX_BYTES:
        with open_maybe_gzip(path) as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", errors="replace")
        if not head.lstrip().startswith("{") or '"FeatureCollection"' not in head:
            snippet = head[:60].replace("\n", " ")
            raise DataSourceError(
                f"the body is not a GeoJSON FeatureCollection (starts with {snippet!r})"
            )
        return
    with open_maybe_gzip(path) as handle:
        body = handle.read()
    try:
        document = json.loads(body)
    except ValueError as exc:
        snippet = body[:60].decode("utf-8", errors="replace").replace("\n", " ")
        raise DataSourceError(f"the body is not GeoJSON (starts with {snippet!r})") from exc
    _check_feature_collection(document, required_properties, min_features)


def _uncompressed_size(path: Path) -> int:
    """Size of the body once decompressed, streaming (checks gzip integrity)."""
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic != b"\x1f\x8b":
        return path.stat().st_size
    total = 0
    with gzip.open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            total += len(block)
    return total


def _check_feature_collection(
    document: Any, required_properties: tuple[str | tuple[str, ...], ...], min_features: int
) -> None:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        kind = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise DataSourceError(f"the body is not a GeoJSON FeatureCollection (type {kind!r})")
    features = document.get("features")
    if not isinstance(features, list):
        kind = type(features).__name__
        raise DataSourceError(f"the FeatureCollection has no list of features ({kind})")
    if len(features) < min_features:
        raise DataSourceError(f"the FeatureCollection has {len(features)} features")
    bad = [i for i, feature in enumerate(features) if not isinstance(feature, dict)]
    if bad:
        kind = type(features[bad[0]]).__name__
        raise DataSourceError(
            f"{len(bad)} features are not GeoJSON objects (feature {bad[0] + 1} is a {kind})"
        )
    if not required_properties or not features:
        return
    properties = features[0].get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise DataSourceError(
            f"the properties of feature 1 are a {type(properties).__name__}, not an object"
        )
    missing = [
        " or ".join(p) if isinstance(p, tuple) else p
        for p in required_properties
        if not any(name in properties for name in (p if isinstance(p, tuple) else (p,)))
    ]
    if missing:
        raise DataSourceError(
            f"the features lack the properties {missing} (found {sorted(properties)[:12]})"
        )


def validate_zip(path: Path, *, member_suffix: str = ".geojson") -> None:
    """Check that ``path`` is an intact ZIP archive holding a ``member_suffix`` file.

    Raises
    ------
    DataSourceError
        Not a ZIP, a corrupt member, or no member with that suffix.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise DataSourceError(f"not a valid ZIP archive ({exc})") from exc
    if broken is not None:
        raise DataSourceError(f"corrupt ZIP member {broken!r}")
    if not any(name.lower().endswith(member_suffix) for name in names):
        raise DataSourceError(f"the ZIP archive holds no {member_suffix} file (found {names[:8]})")
