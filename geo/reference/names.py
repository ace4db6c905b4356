"""Parsing of the ways people write communes, EPCI and départements (private).

Pure string functions used by :mod:`geo.reference.lookup`: split a trailing
``"(hint)"``, read ``"Paris 13e"`` as an arrondissement, read ``"CC Cœur de
Savoie"`` as an EPCI type and core name, normalise a département code or an
INSEE code. Also the one home of the Paris/Lyon/Marseille (PLM) constants. No
data access here.
"""

from __future__ import annotations

import re

from geo._core.text import name_key

#: Cities split into arrondissements municipaux: key -> (commune code, first ARM code).
PLM = {"paris": ("75056", 75100), "marseille": ("13055", 13200), "lyon": ("69123", 69380)}
#: Number of arrondissements of each.
PLM_COUNT = {"paris": 20, "marseille": 16, "lyon": 9}
#: INSEE codes of the three cities themselves (parents of their arrondissements).
PLM_CODES = frozenset(code for code, _ in PLM.values())
#: Arrondissement municipal code -> code of its city: ``"75113"`` -> ``"75056"``.
PLM_PARENTS: dict[str, str] = {
    str(first + n): code
    for city, (code, first) in PLM.items()
    for n in range(1, PLM_COUNT[city] + 1)
}

_HINT = re.compile(r"^(?P<main>.*?[^\s(\[])\s*[(\[](?P<hint>[^()\[\]]*)[)\]]\s*$")
_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3}|\d{4})$", re.IGNORECASE)
_CODE_THEN_NAME = re.compile(r"^(?P<code>\d{5}|2[AB]\d{3})\s*[-–—:,/]?\s+(?P<name>\D.*)$", re.I)
_SIREN = re.compile(r"^\d{9}$")

_ROMAN = {"i": 1, "v": 5, "x": 10}
# Roman numerals 1 to 39 written the standard way ("xiii", "iv", "xix"); the
# look-ahead rejects the empty match.
_ROMAN_NUMERAL = r"(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3})"
_ORDINAL = rf"(?P<n>\d{{1,2}}|{_ROMAN_NUMERAL})\s?(?:e|er|ere|eme|ieme|em|me)?"
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


_WHOLE_FLOAT_CODE = re.compile(r"^(\d{4,5})\.0+$")


def normalise_code(token: object) -> str:
    """Restore an INSEE code a spreadsheet mangled; leave any other text as it is.

    ``"1001"``, ``"1001.0"`` -> ``"01001"``; ``"2a004"`` -> ``"2A004"``; any
    other text (a name, a SIREN) is returned trimmed and unchanged.
    """
    text = str(token).strip()
    whole = _WHOLE_FLOAT_CODE.match(text)
    code = as_code(whole.group(1) if whole else text)
    return code if code is not None else text


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


def _ordinal(n: str) -> int:
    """``"13"`` -> 13, ``"xiii"`` -> 13 (``n`` is a validated numeral)."""
    if n.isdigit():
        return int(n)
    total, previous = 0, 0
    for ch in reversed(n):
        value = _ROMAN[ch]
        total += -value if value < previous else value
        previous = max(previous, value)
    return total


def plm_city(key: str) -> str | None:
    """Return the city whose arrondissement ``key`` is written like, else ``None``.

    ``"paris"``, ``"lyon"`` or ``"marseille"``, whatever the arrondissement's number.
    """
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
    if not 1 <= number <= PLM_COUNT[city]:
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


def departement_code(text: object) -> str | None:
    """Normalise a written département code, or return ``None``.

    ``"1"`` -> ``"01"``, ``"2a"`` -> ``"2A"``; a code a spreadsheet stored as a
    number, ``93.0`` or ``"93.0"``, -> ``"93"``. The code is not checked
    against the COG.
    """
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    value = str(text).strip().upper()
    whole = re.fullmatch(r"(\d{1,3})\.0+", value)
    if whole is not None:
        value = whole.group(1)
    if re.fullmatch(r"\d{1,2}|2[AB]|97\d", value):
        return value.zfill(2)
    return None
