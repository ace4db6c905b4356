"""Package-wide settings: cache location, offline switch, network behaviour.

Plain, typed module globals in the manner of ``osmnx.settings``: change them
with ``geo.settings.offline = True``. Environment variables give the defaults
so that scripts and CI can set them without code:

``TZPTCE_CACHE_DIR``
    Where converted boundary files and download caches live.
``TZPTCE_OFFLINE``
    ``1``/``true``/``yes``: never open a network connection.

This module must not import anything heavy or touch the network.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "api_geo_url",
    "ban_url",
    "cache_dir",
    "default_cache_dir",
    "download_retries",
    "etalab_url",
    "offline",
    "qpv_url",
    "retry_backoff_s",
    "timeout_s",
    "vintage",
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

#: Vintage (COG year) of the commune boundaries.
vintage: str = "2025"

#: (connect, read) timeouts of HTTP requests, in seconds.
timeout_s: tuple[float, float] = (10.0, 60.0)

#: How many times a failed request (connection error, 429, 5xx) is retried.
download_retries: int = 3

#: Base delay of the exponential backoff between retries, in seconds.
retry_backoff_s: float = 1.0

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
