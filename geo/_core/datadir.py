"""Where the shipped data live: the checkout's ``data/`` or the installed package's copy.

The tables and GeoJSON files of ``data/`` are the project's truth and stay in
the checkout (``<checkout>/data``, written by ``python -m geo data build``).
Built as a wheel, setuptools installs the same files as the package data of
``geo._data`` (``pyproject.toml`` maps that package to ``data/``), so an
installed copy finds them next to its modules. An editable install of the
checkout has no ``geo/_data`` folder: it reads the checkout's ``data/``.

A user's own data folder (built by ``python -m geo data build --tables DIR --out
OUT``) replaces both when the environment variable ``TZPTCE_DATA_DIR`` names it
(the command line's ``--data-dir`` sets it for one command).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DATA_DIR_ENV",
    "checkout_data_dir",
    "data_dir",
    "installed_data_dir",
    "shipped_data_dir",
]

#: Environment variable naming a data folder to use instead of the shipped one.
DATA_DIR_ENV = "TZPTCE_DATA_DIR"

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


def shipped_data_dir() -> Path:
    """Return the folder of the data shipped with the library (never ``TZPTCE_DATA_DIR``).

    The installed package data when present (a wheel install), else the
    checkout's ``data/``; the checkout's path (which may not exist) when
    neither is found, so that error messages name it.
    """
    return installed_data_dir() or checkout_data_dir() or _PACKAGE.parent / "data"


def data_dir() -> Path:
    """Return the folder of the tables and GeoJSON files every command reads.

    The folder named by ``TZPTCE_DATA_DIR`` when set, else the shipped data
    (:func:`shipped_data_dir`).
    """
    chosen = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(chosen).expanduser() if chosen else shipped_data_dir()
