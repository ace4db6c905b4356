"""The map's text alternative written into the page (private; used by :mod:`geo.publish.page`).

A map page must say what it shows without JavaScript, with Leaflet blocked or
tampered with, and before the map has loaded on a slow connection. So the key
facts and the list of every territory and PTCE of a data table (from
:func:`geo.publish.maps.map_data`) are written here as plain HTML, plus a
``<noscript>`` note. When the map starts, ``map.js`` replaces this section by
its interactive list (the same entries, with buttons that open the details).

Every text from the data goes through :func:`geo.publish.pagedata.html_text`
(which also escapes ``{``, ``}``, ``%`` and ``#``, so that no template engine
could read it as code); the section is added to a folium page as raw text that
no template renders again. Nothing here imports folium.
"""

from __future__ import annotations

from typing import Any

from geo.publish.pagedata import html_text

__all__ = ["description", "list_id", "text_section"]

_RELATION_ORDER = ("overlap", "adjacent", "near")


def list_id(data_id: str) -> str:
    """Return the element id of the static list of the data block ``data_id``."""
    return f"{data_id}-liste"


def _records(table: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(table["cols"], row, strict=True)) for row in table["rows"]]


def _km(value: Any) -> str:
    if isinstance(value, (int, float)) and value == value:
        return f"{value:.1f}".replace(".", ",") + "\u00a0km"
    return ""


def _plural(n: int, one: str, many: str) -> str:
    return f"{n}\u00a0{one if n == 1 else many}"


def _dep_text(item: dict[str, Any]) -> str:
    code, name = item.get("departement") or "", item.get("departement_nom") or ""
    if not code:
        return ""
    codes = ", ".join(part.strip() for part in str(code).split(";"))
    return f"{name} ({codes})" if name else codes


def _counts(data: dict[str, Any]) -> tuple[int, int, int, int]:
    statuts = [row["statut"] for row in _records(data["t"])]
    return len(statuts), statuts.count("TH"), statuts.count("PE"), len(data["p"]["rows"])


def description(data: dict[str, Any]) -> str:
    r"""Return the page's one-sentence description (plain text, not escaped).

    Examples
    --------
    >>> t = {"cols": ["statut"], "rows": [["TH"], ["PE"]]}
    >>> text = description({"t": t, "p": {"cols": [], "rows": [[]]}, "l": [], "radiusKm": 20})
    >>> text.split(" et de ")[0].replace("\xa0", " ")
    'Carte et liste de 2 territoires zéro chômeur (1 habilité, 1 projet émergent)'
    """
    n_t, n_th, n_pe, n_p = _counts(data)
    status = []
    if n_th:
        status.append(f"{n_th} habilité" + ("s" if n_th > 1 else ""))
    if n_pe:
        many = "s" if n_pe > 1 else ""
        status.append(f"{n_pe} projet{many} émergent{many}")
    statut_text = f" ({', '.join(status)})" if status else ""
    left_out = data.get("leftOut")
    return (
        f"Carte et liste de {_plural(n_t, 'territoire zéro chômeur', 'territoires zéro chômeur')}"
        f"{statut_text} et de {_plural(n_p, 'PTCE', 'PTCE')}, avec leurs "
        f"{data.get('linksTotal', len(data['l']))} liens "
        f"de synergie à {_km(data.get('radiusKm'))} au plus."
    ) + (f" {left_out}" if left_out else "")


def _entries(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(name, kind, facts)`` of every territory and PTCE, sorted by name."""
    territories, ptce = _records(data["t"]), _records(data["p"])
    relation_labels = data["labels"]["relations"]
    statuts = data["labels"]["statuts"]
    best: dict[tuple[str, int], tuple[int, float, str]] = {}
    for ti, pi, relation, distance, *_ in data["l"]:
        rank = _RELATION_ORDER.index(relation) if relation in _RELATION_ORDER else 3
        known = isinstance(distance, (int, float))
        d = 0.0 if relation == "overlap" else (distance if known else 1e9)
        for key, other in ((("t", ti), ptce[pi]["nom"]), (("p", pi), territories[ti]["nom"])):
            candidate = (rank, d, str(other))
            if key not in best or candidate[:2] < best[key][:2]:
                best[key] = candidate
    out = []
    for kind, rows in (("t", territories), ("p", ptce)):
        for i, item in enumerate(rows):
            if kind == "t":
                what = statuts.get(item["statut"], [f"Territoire, statut {item['statut']}"])[0]
            else:
                what = "PTCE"
            facts = [what, _dep_text(item)]
            near = best.get((kind, i))
            if near is None:
                facts.append("sans partenaire à moins de " + _km(data.get("radiusKm")))
            else:
                relation = _RELATION_ORDER[near[0]] if near[0] < 3 else "near"
                distance = "" if relation == "overlap" or near[1] >= 1e9 else f", {_km(near[1])}"
                label = relation_labels[relation][0]
                facts.append(f"partenaire le plus proche : {near[2]} ({label}{distance})")
            name = str(item.get("nom") or item.get("id"))
            out.append((name, kind, " ; ".join(f for f in facts if f)))
    return sorted(out, key=lambda e: (e[0].casefold(), e[1]))


def text_section(data: dict[str, Any], data_id: str) -> str:
    """Return the HTML section with the title, key facts and list of one data table.

    Parameters
    ----------
    data
        A table from :func:`geo.publish.maps.map_data`.
    data_id
        The id of its JSON block (made by the caller, never from data); the
        section carries it in ``data-geo-static`` so that ``map.js`` finds it.

    Returns
    -------
    str
        The section's HTML, every data text escaped by :func:`html_text`.
    """
    entries = _entries(data)
    heading = f"{data_id}-liste-titre"
    items = "\n".join(
        f'<li><b class="geo-sname">{html_text(name)}</b>'
        f'<span class="geo-sfacts">{html_text(facts)}</span></li>'
        for name, _kind, facts in entries
    )
    return (
        f'<section class="geo-static" data-geo-static="{data_id}" aria-labelledby="{heading}">\n'
        f'<h1 class="geo-title">{html_text(data.get("title", ""))}</h1>\n'
        '<noscript><p class="geo-noscript">La carte interactive a besoin de JavaScript. '
        "Sans lui, cette page donne la liste de tout ce que montre la carte.</p></noscript>\n"
        f'<p class="geo-facts">{html_text(description(data))}</p>\n'
        f'<h2 id="{heading}">Liste des territoires et PTCE ({len(entries)})</h2>\n'
        f'<ul class="geo-slist" id="{list_id(data_id)}">\n{items}\n</ul>\n</section>'
    )
