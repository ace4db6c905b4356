"""The lookup index of the communes: names, codes, EPCI and départements of the COG.

Built once per process from :func:`geo.reference.cog.commune_attributes` (about
a second) and reused; :func:`geo.reference.cog.clear` drops it. Only
:mod:`geo.reference.lookup` reads it: this module resolves nothing and reads
no file or network itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geo._core.suggest import NameIndex
from geo._core.text import name_key, without_article
from geo.reference import cog
from geo.reference import names as _names

__all__ = [
    "CURRENT_TYPES",
    "CommuneIndex",
    "Entry",
    "Epci",
    "build_index",
    "close_names",
    "commune_index",
]

#: COG types of today's communes and arrondissements municipaux.
CURRENT_TYPES = ("COM", "ARM")


@dataclass(frozen=True, slots=True)
class Entry:
    """A name in the index, and the current commune it stands for."""

    full_key: str
    target: str
    source_code: str
    source_nom: str
    source_type: str


@dataclass(frozen=True, slots=True)
class Epci:
    """An EPCI: SIREN, name, type (CC, CA...), member communes and their départements."""

    siren: str
    nom: str
    type: str
    members: tuple[str, ...]
    departements: frozenset[str]


@dataclass
class CommuneIndex:
    """Every table :mod:`geo.reference.lookup` resolves values with, by key or code."""

    current: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # nom, type, dep
    old: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # nom, type, parent
    commune_epci: dict[str, str] = field(default_factory=dict)  # COM code -> SIREN
    population: dict[str, int] = field(default_factory=dict)  # COM/ARM code -> population
    names: dict[str, list[Entry]] = field(default_factory=dict)
    epci: dict[str, Epci] = field(default_factory=dict)
    epci_full: dict[str, list[str]] = field(default_factory=dict)
    epci_core: dict[str, list[str]] = field(default_factory=dict)
    epci_core_of: dict[str, str] = field(default_factory=dict)  # SIREN -> core name key
    departements: dict[str, frozenset[str]] = field(default_factory=dict)
    departement_names: dict[str, str] = field(default_factory=dict)
    region_departements: dict[str, frozenset[str]] = field(default_factory=dict)
    close_names: NameIndex | None = None  # built on the first suggestion


def close_names(index: CommuneIndex) -> NameIndex:
    """Return the fuzzy index of the name keys, built on first use (about 0.1 s)."""
    if index.close_names is None:
        index.close_names = NameIndex(list(index.names))
    return index.close_names


_CACHE: dict[str, Any] = {}
cog.register(_CACHE.clear)


def commune_index() -> CommuneIndex:
    """Return the lookup index of the COG tables, built once per process."""
    index = _CACHE.get("index")
    if index is None:
        index = _CACHE["index"] = build_index(cog.commune_attributes())
    return index


def build_index(table: pd.DataFrame) -> CommuneIndex:
    """Return the lookup index of a table of :func:`geo.reference.cog.commune_attributes`."""
    index = CommuneIndex()
    codes = table["code_insee"].to_numpy(dtype=object)
    noms = table["nom"].to_numpy(dtype=object)
    types = table["type"].to_numpy(dtype=object)
    parents = table["parent"].to_numpy(dtype=object)
    deps = table["departement"].to_numpy(dtype=object)
    keys: dict[str, str] = {}
    for code, nom, kind, parent, dep in zip(codes, noms, types, parents, deps, strict=True):
        if kind in CURRENT_TYPES:
            index.current[code] = (nom, kind, dep)
            target = code
        else:
            if code not in index.old:
                index.old[code] = (nom, kind, parent)
            target = parent
        full = keys.get(nom)
        if full is None:
            full = keys[nom] = name_key(nom)
        index.names.setdefault(without_article(full), []).append(
            Entry(full, target, code, nom, kind)
        )
    current = table[table["type"].isin(CURRENT_TYPES) & table["population"].notna()]
    index.population = dict(
        zip(current["code_insee"], current["population"].astype(int), strict=True)
    )
    # Old codes that are also current codes (commune déléguée with its parent's
    # code) resolve to the current commune directly.
    for code in list(index.old):
        if code in index.current:
            del index.old[code]
    _add_epci(index, table)
    _add_areas(index)
    return index


def _add_epci(index: CommuneIndex, table: pd.DataFrame) -> None:
    """EPCI by SIREN and by name key; members are today's communes (not arrondissements)."""
    codes = table["code_insee"].to_numpy(dtype=object)
    types = table["type"].to_numpy(dtype=object)
    deps = table["departement"].to_numpy(dtype=object)
    members: dict[str, list[str]] = {}
    member_deps: dict[str, set[str]] = {}
    epci_names: dict[str, str] = {}
    sirens = table["epci_siren"].to_numpy(dtype=object)
    epci_noms = table["epci_nom"].to_numpy(dtype=object)
    for code, kind, dep, siren, epci_nom in zip(
        codes, types, deps, sirens, epci_noms, strict=True
    ):
        if kind == "COM" and isinstance(siren, str):
            index.commune_epci[code] = siren
            members.setdefault(siren, []).append(code)
            member_deps.setdefault(siren, set()).add(dep)
            epci_names[siren] = epci_nom
    for siren, codes_of in members.items():
        index.epci[siren] = Epci(
            siren, epci_names[siren], "", tuple(codes_of), frozenset(member_deps[siren])
        )
    epci_types = cog.epcis()
    for siren, kind in zip(epci_types["code"], epci_types["type"], strict=True):
        if siren in index.epci:
            e = index.epci[siren]
            index.epci[siren] = Epci(e.siren, e.nom, kind, e.members, e.departements)
    for siren, epci in index.epci.items():
        full = name_key(epci.nom)
        index.epci_full.setdefault(full, []).append(siren)
        core = _names.epci_parts(full)[2]
        index.epci_core_of[siren] = core
        index.epci_core.setdefault(core, []).append(siren)


def _add_areas(index: CommuneIndex) -> None:
    """Départements and régions, by code and by name (with and without article)."""
    departements = cog.departements()
    regions = cog.regions()
    by_region: dict[str, set[str]] = {}
    for code, nom, region in zip(
        departements["code"], departements["nom"], departements["region"], strict=True
    ):
        index.departement_names[code] = nom
        index.departements[code] = frozenset([code])
        by_region.setdefault(region, set()).add(code)
    index.departements["20"] = frozenset(["2A", "2B"])
    names: dict[str, set[str]] = {}
    for code, nom in index.departement_names.items():
        for key in {name_key(nom), without_article(name_key(nom))}:
            names.setdefault(key, set()).add(code)
    for code, nom in zip(regions["code"], regions["nom"], strict=True):
        index.region_departements[code] = frozenset(by_region.get(code, ()))
        for key in {name_key(nom), without_article(name_key(nom))}:
            names.setdefault(key, set()).update(by_region.get(code, ()))
    for key, found in names.items():
        index.departements.setdefault(key, frozenset(found))
