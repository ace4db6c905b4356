"""Normalisation of French place names for matching (private).

``"Villers St Paul"``, ``"villers-saint-paul"`` and ``"VILLERS SAINT PAUL"``
share one key; so do ``"Coeur"`` and ``"Cœur"``. Pure string functions only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ARTICLES = ("l", "le", "la", "les", "aux", "las", "los")

#: COG "type de nom" (TNCC) -> article written before the name.
ARTICLES_BY_TNCC = {
    "0": "",
    "1": "",
    "2": "Le ",
    "3": "La ",
    "4": "Les ",
    "5": "L'",
    "6": "Aux ",
    "7": "Las ",
    "8": "Los ",
}


def strip_accents(text: str) -> str:
    """Return ``text`` without diacritics, ligatures expanded (``œ`` -> ``oe``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_key(text: str) -> str:
    """Return the matching key of a place name.

    Lower case, no accents, ligatures expanded, punctuation (hyphens,
    apostrophes, dots) as spaces, ``St``/``Ste`` expanded.

    Examples
    --------
    >>> name_key("Villers St Paul")
    'villers saint paul'
    >>> name_key("L'Île-Saint-Denis")
    'l ile saint denis'
    """
    words = _NON_ALNUM.sub(" ", strip_accents(str(text)).lower()).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def without_article(key: str) -> str:
    """Drop a leading article from a :func:`name_key` (``"les mureaux"`` -> ``"mureaux"``)."""
    first, _, rest = key.partition(" ")
    return rest if first in _ARTICLES and rest else key


def column_key(text: str) -> str:
    """Return the key of a column header: ``"Code INSEE"`` -> ``"code_insee"``."""
    return "_".join(name_key(text).split())


def closest(value: str, choices: Iterable[str], limit: int = 3, cutoff: float = 60) -> list[str]:
    """Return the choices closest to ``value`` (by :func:`name_key`), best first.

    Examples
    --------
    >>> closest("les-muraux", ["le-port", "les-mureaux", "pays-de-colombey"])
    ['les-mureaux']
    """
    from rapidfuzz import fuzz, process

    options = list(dict.fromkeys(str(c) for c in choices))
    keys = [name_key(c) for c in options]
    found = process.extract(name_key(value), keys, scorer=fuzz.WRatio, limit=limit * 3)
    best = found[0][1] if found else 0.0
    return list(
        dict.fromkeys(options[i] for _, score, i in found if score >= max(cutoff, best - 15))
    )[:limit]
