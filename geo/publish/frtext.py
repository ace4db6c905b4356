"""French display text for published files and pages (private).

Small pure helpers shared by :mod:`geo.publish.umap` and :mod:`geo.publish.site`: a cell as
text, dates, distances and populations written the French way, the public
links of a ``sources`` cell, and French labels of statuts, relations and
precisions. No escaping here: each caller escapes for its own context.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from geo.analysis.relations import LABELS_FR as _SYNERGY_LABELS

#: The title of every output (map, site, uMap file, print map) that names no area.
DEFAULT_TITLE = "Territoires zéro chômeur et PTCE"

STATUT_LABELS = {"TH": "Territoire habilité", "PE": "Projet émergent"}

RELATION_LABELS = {
    "overlap": "chevauchement",
    "adjacent": "contigu",
    "near": "à proximité",
}

#: How a relation's certainty is written after its label (nothing for ``sûr``): the
#: words of the synergy tables' ``relation_fr`` column, written once in the analysis.
CERTAINTY_LABELS = {
    "sûr": "",
    "probable": _SYNERGY_LABELS["probable"],
    "non mesurable": _SYNERGY_LABELS["non mesurable"],
}


def left_out_fr(n_stopped: int, *, counted: bool = False) -> str | None:
    """Return what a map or summary says of the blocked PE it leaves out (``None``: none).

    The PE whose source says the project is blocked or stopped (``statut_detail``,
    :data:`geo.schema.STATUT_DETAILS`) are not drawn as active PE by default
    (:func:`geo.publish.area.area_view`), nor counted in the summaries
    (``counted=True`` words it for a table of figures).

    Examples
    --------
    >>> left_out_fr(5)
    'Non représentés : 5 projets émergents bloqués ou arrêtés (selon leur source).'
    >>> left_out_fr(1)
    'Non représenté : 1 projet émergent bloqué ou arrêté (selon sa source).'
    >>> left_out_fr(5, counted=True)
    'Non comptés : 5 projets émergents bloqués ou arrêtés (selon leur source).'
    >>> left_out_fr(0) is None
    True
    """
    if n_stopped <= 0:
        return None
    verb = "Non compté" if counted else "Non représenté"
    if n_stopped == 1:
        return f"{verb} : 1 projet émergent bloqué ou arrêté (selon sa source)."
    return f"{verb}s : {n_stopped} projets émergents bloqués ou arrêtés (selon leur source)."


def relation_fr(relation: Any, certainty: Any = None) -> str:
    """Write a relation in French with its certainty.

    Examples
    --------
    >>> relation_fr("overlap", "probable")
    'chevauchement probable — périmètre approché'
    >>> relation_fr("near", "sûr")
    'à proximité'
    """
    label = RELATION_LABELS.get(text(relation), text(relation))
    qualifier = CERTAINTY_LABELS.get(text(certainty), "")
    return f"{label} {qualifier}" if qualifier else label


PRECISION_LABELS = {
    "communes": "périmètre connu par communes",
    "infra-communal": "quartiers : périmètre approché par leurs communes",
    "qpv": "quartiers : contours des QPV 2024",
    "adresse": "adresse géocodée : un point, sa commune en contexte",
    "point": "coordonnées données : un point, sa commune en contexte",
    "mairie": "adresse non trouvée : placé à la mairie de sa commune",
    "point-sur-surface": "adresse non trouvée : un point dans sa commune",
    "epci": "seul l'EPCI est connu : périmètre approché",
    "siege": "seule la commune du siège est connue",
    "departement": "zone d'action départementale",
    "inconnu": "précision inconnue",
}

_ISO_DATE = re.compile(r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?")


def text(value: Any) -> str:
    """Return a cell as stripped text; ``""`` for missing values."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def number(value: Any) -> int | float | None:
    """Return a finite number (``int`` when whole), else ``None``."""
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(result):
        return None
    return int(result) if result.is_integer() else result


def date_fr(value: Any) -> str:
    """Write an ISO date at its own precision: ``2023``, ``07/2023``, ``01/07/2023``."""
    if isinstance(value, (pd.Timestamp, datetime.date)) and not pd.isna(value):
        return value.strftime("%d/%m/%Y")
    raw = text(value)
    match = _ISO_DATE.fullmatch(raw)
    if match is None:
        return raw
    year, month, day = match["y"], match["m"], match["d"]
    if (month and not 1 <= int(month) <= 12) or (day and not 1 <= int(day) <= 31):
        return raw
    return "/".join(part for part in (day, month, year) if part)


def population_fr(value: Any) -> str:
    """Write a count with a narrow no-break space every three digits; ``""`` when unusable."""
    count = number(value)
    return "" if count is None else f"{int(count):,}".replace(",", "\u202f")


def population_text(row: Any) -> str:
    """Write a territory's population with where it comes from, in French.

    ``row`` is a mapping (a record or a Series) with ``population`` and, when
    known, ``population_source``, ``population_communes`` and ``precision``.
    A figure is never shown without its provenance; an unknown population
    says so, with the whole-commune sum as an upper bound when there is one.

    Examples
    --------
    >>> population_text({"population": 33000, "population_source": "communes",
    ...                  "precision": "communes"})
    '33\u202f000 habitants (communes entières, INSEE)'
    >>> population_text({"population": 9500, "population_source": "source"})
    '≈ 9\u202f500 habitants (chiffre cité par la source du territoire)'
    >>> population_text({"population": None, "population_source": "inconnue",
    ...                  "population_communes": 254436})
    'inconnue (commune entière : 254\u202f436 habitants, un majorant)'
    """
    count = population_fr(row.get("population"))
    source = text(row.get("population_source"))
    if count:
        if source == "communes":
            if text(row.get("precision")) == "epci":
                return f"{count} habitants (communes de l'EPCI, périmètre approché)"
            return f"{count} habitants (communes entières, INSEE)"
        if source == "qpv":
            return f"{count} habitants (quartiers prioritaires 2024, INSEE)"
        if source == "source":
            return f"≈ {count} habitants (chiffre cité par la source du territoire)"
        return f"{count} habitants"
    if not source and not row.get("population_communes"):
        return ""
    whole = population_fr(row.get("population_communes"))
    return f"inconnue (commune entière : {whole} habitants, un majorant)" if whole else "inconnue"


def km_fr(value: Any) -> str:
    """Write a distance in km with one decimal and a decimal comma; ``""`` when unusable."""
    distance = number(value)
    return "" if distance is None else f"{float(distance):.1f}".replace(".", ",") + "\u00a0km"


#: Characters never allowed in a link: controls, and invisible or bidi marks
#: that would make a link read as another one.
_BAD_URL_CHARS = frozenset(
    [chr(c) for c in range(0x20)]
    + ["\x7f", '"', "'", "<", ">", " ", "`"]
    + [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\ufeff"]
)


# --------------------------------------------------------------------------- helpers


def safe_url(value: Any) -> str | None:
    """Return ``value`` when it is an absolute ``http``/``https`` URL, else ``None``.

    Parameters
    ----------
    value
        A URL from the data.

    Returns
    -------
    str or None
        The stripped URL, or ``None`` for ``javascript:``, ``data:``,
        relative or malformed URLs, and URLs holding control characters,
        quotes, spaces or invisible and bidirectional marks.
    """
    url = text(value)
    if not url or not _BAD_URL_CHARS.isdisjoint(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def public_urls(value: Any) -> list[str]:
    """Return the ``http(s)`` links of a ``sources`` cell, in order, without duplicates.

    Every part that is not a link (internal remarks, markers of missing
    sources) is left out.
    """
    parts = [text(value)]
    for sep in ("|", ";", " "):
        parts = [piece for part in parts for piece in part.split(sep)]
    out: list[str] = []
    for part in parts:
        url = safe_url(part.strip())
        if url and url not in out:
            out.append(url)
    return out
