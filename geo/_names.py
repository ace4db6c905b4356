"""Parsing of the ways people write communes, EPCI and départements (private).

Pure string functions used by :mod:`geo.lookup`: split a trailing
``"(hint)"``, read ``"Paris 13e"`` as an arrondissement, read ``"CC Cœur de
Savoie"`` as an EPCI type and core name, normalise a département code. No
data access here.
"""

from __future__ import annotations

import re

from ._text import name_key

#: Cities split into arrondissements municipaux: key -> (commune code, first ARM code).
PLM = {"paris": ("75056", 75100), "marseille": ("13055", 13200), "lyon": ("69123", 69380)}
#: Number of arrondissements of each.
PLM_COUNT = {"paris": 20, "marseille": 16, "lyon": 9}

_HINT = re.compile(r"^(?P<main>.*?[^\s(\[])\s*[(\[](?P<hint>[^()\[\]]*)[)\]]\s*$")
_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3}|\d{4})$", re.IGNORECASE)
_CODE_THEN_NAME = re.compile(r"^(?P<code>\d{5}|2[AB]\d{3})\s*[-–—:,/]?\s+(?P<name>\D.*)$", re.I)
_SIREN = re.compile(r"^\d{9}$")

_ROMAN = {"i": 1, "v": 5, "x": 10}
_ORDINAL = r"(?P<n>\d{1,2}|[ivx]{1,5}?)\s?(?:e|er|ere|eme|ieme|em|me)?"
_ARR_WORD = r"(?:arr|arrt|ardt|arrond|arrondissement)"
_CITY = r"(?P<city>paris|lyon|marseille)"
_ARRONDISSEMENT = [
    re.compile(rf"^{_CITY} (?:{_ARR_WORD} )?{_ORDINAL}(?: {_ARR_WORD})?$"),
    re.compile(rf"^{_ORDINAL} {_ARR_WORD} (?:de |d )?{_CITY}$"),
]
_ORDINAL_ONLY = re.compile(rf"^(?:{_ARR_WORD} )?{_ORDINAL}(?: {_ARR_WORD})?$")

# EPCI: written prefixes (as name keys) -> COG type; longest first.
_EPCI_PREFIXES = [
    ("communaute de communes", "CC"),
    ("communaute d agglomeration", "CA"),
    ("communaute agglomeration", "CA"),
    ("communaute urbaine", "CU"),
    ("metropole europeenne", "ME"),
    ("com com", "CC"),
    ("comcom", "CC"),
    ("cdc", "CC"),
    ("c c", "CC"),
    ("cc", "CC"),
    ("c a", "CA"),
    ("ca", "CA"),
    ("c u", "CU"),
    ("cu", "CU"),
    ("agglomeration", "CA"),
    ("agglo", "CA"),
    ("eurometropole", "ME"),
    ("metropole", "ME"),
    ("communaute", None),
    ("epci", None),
]
_EPCI_SUFFIXES = [
    ("metropole", "ME"),
    ("agglomeration", "CA"),
    ("agglo", "CA"),
    ("communaute", None),
]
_LINKS = ("de la ", "de l ", "des ", "du ", "de ", "d ", "la ", "le ", "les ", "l ")


def split_hint(text: str) -> tuple[str, str | None]:
    """Split ``"Le Port (Réunion)"`` into ``("Le Port", "Réunion")``.

    A value that is nothing but a parenthesis, or has none, is returned whole
    with ``None``.
    """
    match = _HINT.match(text.strip())
    if match is None:
        return text.strip(), None
    return match["main"].strip(), match["hint"].strip()


def as_code(text: str) -> str | None:
    """Return ``text`` as a 5-character INSEE code, or ``None``.

    ``"2a004"`` -> ``"2A004"``; a 4-digit ``"1001"`` (leading zero lost in a
    spreadsheet) -> ``"01001"``.
    """
    text = text.strip()
    if not _CODE.match(text):
        return None
    return text.upper().zfill(5)


def split_code_and_name(text: str) -> tuple[str, str] | None:
    """Split ``"78440 Les Mureaux"`` / ``"78440 - Les Mureaux"`` into code and name."""
    match = _CODE_THEN_NAME.match(text.strip())
    if match is None:
        return None
    return match["code"].upper(), match["name"].strip()


def as_siren(text: str) -> str | None:
    """Return a 9-digit SIREN (spaces and dots allowed) or ``None``."""
    compact = re.sub(r"[\s.]", "", text)
    return compact if _SIREN.match(compact) else None


def _ordinal(n: str) -> int | None:
    if n.isdigit():
        return int(n)
    total, previous = 0, 0
    for ch in reversed(n):
        value = _ROMAN[ch]
        total += -value if value < previous else value
        previous = max(previous, value)
    return total


def plm_city(key: str) -> str | None:
    """Return ``"paris"``/``"lyon"``/``"marseille"`` when ``key`` is written like an
    arrondissement of that city, whatever its number, else ``None``."""
    for pattern in _ARRONDISSEMENT:
        found = pattern.match(key)
        if found is not None:
            return found["city"]
    return None


def arrondissement(key: str, hint: str | None = None) -> str | None:
    """Return the INSEE code of an arrondissement written ``key``, or ``None``.

    ``key`` is a :func:`name_key`: ``"paris 13e"``, ``"lyon 8e arrondissement"``,
    ``"marseille 1er"``, ``"13e arrondissement de paris"``, ``"paris xiiie"``.
    With ``hint`` (the text of a parenthesis), ``("paris", "13e")`` works too.
    A number out of range returns ``None``.
    """
    match = None
    if hint is not None and key in PLM:
        found = _ORDINAL_ONLY.match(name_key(hint))
        if found is not None:
            city, n = key, found["n"]
            match = True
    if match is None:
        for pattern in _ARRONDISSEMENT:
            found = pattern.match(key)
            if found is not None:
                city, n = found["city"], found["n"]
                break
        else:
            return None
    number = _ordinal(n)
    if number is None or not 1 <= number <= PLM_COUNT[city]:
        return None
    return str(PLM[city][1] + number)


def _strip_links(core: str) -> str:
    changed = True
    while changed and core:
        changed = False
        for link in _LINKS:
            if core.startswith(link) and len(core) > len(link):
                core = core[len(link) :]
                changed = True
                break
    return core


def epci_parts(key: str) -> tuple[bool, str | None, str]:
    """Read an EPCI name key as ``(has_marker, type, core)``.

    ``has_marker`` says whether a prefix or suffix such as ``"CC"``,
    ``"Communauté d'agglomération"`` or ``"Métropole"`` was written; ``type`` is
    the COG EPCI type it implies (``"CC"``, ``"CA"``, ``"CU"``, ``"ME"`` or
    ``None``); ``core`` is the rest without linking words.

    Examples
    --------
    >>> epci_parts("cc coeur de savoie")
    (True, 'CC', 'coeur savoie')
    >>> epci_parts("rennes metropole")
    (True, 'ME', 'rennes')
    """
    marked, kind, core = False, None, key
    for prefix, prefix_type in _EPCI_PREFIXES:
        if core.startswith(prefix + " "):
            marked, kind, core = True, prefix_type, core[len(prefix) + 1 :]
            break
    core = _strip_links(core)
    for suffix, suffix_type in _EPCI_SUFFIXES:
        if core.endswith(" " + suffix):
            marked, kind = True, kind or suffix_type
            core = core[: -len(suffix) - 1]
            break
    # Linking words inside the core vary as much as at its start:
    # "Cœur de Savoie", "Cœur Savoie".
    words = [w for w in core.split() if w not in {"de", "du", "des", "d", "la", "le", "les", "l"}]
    return marked, kind, " ".join(words) or core


def departement_code(text: str) -> str | None:
    """Normalise a written département code: ``"1"`` -> ``"01"``, ``"2a"`` -> ``"2A"``."""
    text = text.strip().upper()
    if re.fullmatch(r"\d{1,2}|2[AB]|97\d", text):
        return text.zfill(2)
    return None
