"""The official referential the shipped tables are checked against and joined to.

The COG 2025 as validation and the build need it (codes of communes and
arrondissements, communes déléguées, EPCI members, départements and régions),
the commune boundaries (:func:`geo.reference.communes.load_communes`) and the
ANCT list of QPV 2024 by commune. The COG view is read once per process
(cleared with the other caches of :mod:`geo.reference.cog`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo._core.text import name_key, without_article
from geo.crs import zone_of_code
from geo.reference.cog import register as register_cache
from geo.reference.communes import MissingGeometryWarning, commune_attributes, load_communes
from geo.shipped.tables import DATA_DIR, QPV_LIST_CSV

__all__ = [
    "Cog",
    "QpvList",
    "code_problem",
    "commune_boundaries",
    "load_cog",
    "load_qpv_list",
    "names_match",
    "region_code",
    "zone_of_region",
]


@dataclass(frozen=True)
class Cog:
    """What validation and the build need from the COG 2025: codes, names, EPCI, régions."""

    attributes: pd.DataFrame  # all types, indexed by position
    located: pd.DataFrame  # COM + ARM, indexed by code_insee
    delegated_parent: dict[str, str]  # COMD/COMA code -> parent code
    epci_members: dict[str, list[str]]  # SIREN -> sorted COM codes
    epci_names: dict[str, str]
    departements: set[str]
    region_of_dep: dict[str, str]
    region_names: dict[str, str]  # region code -> official name
    region_by_key: dict[str, str]  # name key -> region code


def _read_cog() -> Cog:
    from geo.reference.communes import departements, regions

    attributes = commune_attributes()
    located = attributes[attributes["type"].isin(["COM", "ARM"])].set_index("code_insee")
    com = attributes[attributes["type"] == "COM"]
    delegated = attributes[attributes["type"].isin(["COMD", "COMA"])]
    delegated_parent = dict(zip(delegated["code_insee"], delegated["parent"], strict=True))
    members: dict[str, list[str]] = {}
    for siren, code in zip(com["epci_siren"], com["code_insee"], strict=True):
        if isinstance(siren, str):
            members.setdefault(siren, []).append(code)
    epci_names = dict(
        com.dropna(subset=["epci_siren"])
        .drop_duplicates("epci_siren")[["epci_siren", "epci_nom"]]
        .itertuples(index=False, name=None)
    )
    deps = departements()
    region_of_dep = dict(zip(deps["code"], deps["region"], strict=True))
    regions_table = regions()
    region_names = dict(zip(regions_table["code"], regions_table["nom"], strict=True))
    region_by_key = {without_article(name_key(n)): c for c, n in region_names.items()}
    return Cog(
        attributes=attributes,
        located=located,
        delegated_parent=delegated_parent,
        epci_members={s: sorted(c) for s, c in members.items()},
        epci_names=epci_names,
        departements=set(region_of_dep),
        region_of_dep=region_of_dep,
        region_names=region_names,
        region_by_key=region_by_key,
    )


def code_problem(cog: Cog, code: str, field: str) -> str | None:
    """Return why ``code`` cannot be used in ``field``, or ``None``.

    Parameters
    ----------
    cog
        The referential (:func:`load_cog`).
    code
        An INSEE code from a table.
    field
        The table's field, named in the message.

    Returns
    -------
    str or None
        ``None`` for a commune or arrondissement of the COG 2025; else why
        not, with the parent's code for a commune déléguée or associée.

    Examples
    --------
    >>> code_problem(load_cog(), "78440", "codes_insee") is None
    True
    >>> code_problem(load_cog(), "99999", "codes_insee")[:30]
    "unknown INSEE code '99999' in "
    """
    if code in cog.located.index:
        return None
    parent = cog.delegated_parent.get(code)
    if parent is not None:
        parent_name = cog.located.at[parent, "nom"] if parent in cog.located.index else "?"
        return (
            f"{field} {code!r} is a commune déléguée/associée of {parent} {parent_name} "
            f"(COG 2025): use the code {parent}"
        )
    return (
        f"unknown INSEE code {code!r} in {field}: not a commune or arrondissement of the "
        "COG 2025 (5 characters, e.g. 01001, 2A004, 97407, 75113)"
    )


def names_match(given: str, official: str) -> bool:
    """Tell whether a commune name given in a table is the official one.

    Case, accents, hyphens and a leading article are not counted.

    Parameters
    ----------
    given
        The name in the table.
    official
        The COG name of the code.

    Returns
    -------
    bool
        True when they are the same name.

    Examples
    --------
    >>> names_match("les mureaux", "Les Mureaux"), names_match("Mureaux", "Meulan")
    (True, False)
    """
    return without_article(name_key(given)) == without_article(name_key(official))


def region_code(cog: Cog, departements: Sequence[str], region_nom: str) -> str:
    """Return the région code of a row: by its first known département, else by name.

    Parameters
    ----------
    cog
        The referential (:func:`load_cog`).
    departements
        The row's département codes.
    region_nom
        The row's région name (official, article and case not counted).

    Returns
    -------
    str
        The région code, or ``""`` when neither is known.
    """
    for dep in departements:
        if dep in cog.region_of_dep:
            return cog.region_of_dep[dep]
    return cog.region_by_key.get(without_article(name_key(region_nom)), "") if region_nom else ""


def zone_of_region(cog: Cog, region: str) -> str:
    """Return the map zone (:func:`geo.crs.zone_of_code`) of a région's départements.

    Parameters
    ----------
    cog
        The referential (:func:`load_cog`).
    region
        A région code.

    Returns
    -------
    str
        The zone of its first département, or ``""`` for an unknown région.
    """
    for dep, reg in sorted(cog.region_of_dep.items()):
        if reg == region:
            return zone_of_code(dep)
    return ""


@dataclass(frozen=True)
class QpvList:
    """The ANCT list of QPV 2024 by commune, as validation needs it."""

    path: Path
    communes: dict[str, set[str]]  # QPV code -> INSEE codes of its communes
    names: dict[str, str]  # QPV code -> name


def load_qpv_list(folder: Path) -> QpvList:
    """Read the ANCT list of QPV 2024 by commune beside the tables.

    Parameters
    ----------
    folder
        The tables' folder; its ``qpv2024_communes.csv``, else the shipped one.

    Returns
    -------
    QpvList
        The communes and the name of each QPV code.
    """
    from geo.reference.qpv import qpv_list

    path = folder / QPV_LIST_CSV
    if not path.is_file():
        path = DATA_DIR / QPV_LIST_CSV
    table = qpv_list(path)
    communes: dict[str, set[str]] = {}
    for code, commune in zip(table["code_qp"], table["insee_com"], strict=True):
        communes.setdefault(code, set()).add(commune)
    names = dict(zip(table["code_qp"], table["nom_qp"], strict=True))
    return QpvList(path, communes, names)


_COG_CACHE: dict[str, Cog] = {}
register_cache(_COG_CACHE.clear)


def load_cog() -> Cog:
    """Return the COG 2025 as validation and the build need it, read once per process.

    Returns
    -------
    Cog
        Codes, names, EPCI members, départements and régions.
    """
    if "cog" not in _COG_CACHE:
        _COG_CACHE["cog"] = _read_cog()
    return _COG_CACHE["cog"]


def commune_boundaries() -> gpd.GeoDataFrame:
    """Return the boundaries of the communes and arrondissements, by INSEE code.

    The communes without a boundary are not warned about here: the build
    reports them per row.

    Returns
    -------
    GeoDataFrame
        :func:`geo.reference.communes.load_communes` of types ``COM`` and
        ``ARM``, indexed by ``code_insee``.
    """
    with warnings.catch_warnings():
        # The 4 Cantal communes without boundary are reported per row instead.
        warnings.simplefilter("ignore", MissingGeometryWarning)
        table = load_communes(types=("COM", "ARM"))
    return table.set_index("code_insee")
