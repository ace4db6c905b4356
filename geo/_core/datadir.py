"""Where the shipped data live: the checkout's ``data/`` or the installed package's copy.

The tables and GeoJSON files of ``data/`` are the project's truth and stay in
the checkout (``<checkout>/data``, written by ``python -m geo data build``).
Built as a wheel, setuptools installs the same files as the package data of
``geo._data`` (``pyproject.toml`` maps that package to ``data/``), so an
installed copy finds them next to its modules. An editable install of the
checkout has no ``geo/_data`` folder: it reads the checkout's ``data/``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["checkout_data_dir", "data_dir", "installed_data_dir"]

_PACKAGE = Path(__file__).resolve().parent.parent  # the geo package


def installed_data_dir() -> Path | None:
    """Return the data installed with the package (``geo/_data``), if any."""
    folder = _PACKAGE / "_data"
    return folder if folder.is_dir() else None


def checkout_data_dir() -> Path | None:
    """Return the ``data/`` folder of the source checkout holding ``geo``, if any."""
    folder = _PACKAGE.parent / "data"
    marker = _PACKAGE.parent / "pyproject.toml"
    return folder if folder.is_dir() and marker.is_file() else None


def data_dir() -> Path:
    """Return the folder of the shipped tables and GeoJSON files.

    The installed package data when present (a wheel install), else the
    checkout's ``data/``; the checkout's path (which may not exist) when
    neither is found, so that error messages name it.
    """
    return installed_data_dir() or checkout_data_dir() or _PACKAGE.parent / "data"
