"""What each page of the static site shows: the context of its template.

:mod:`geo.publish.site` checks and indexes the inputs once (:class:`SiteData`); the
functions here turn them into the context of one page template
(``geo/publish/templates/*.html``): plain strings, numbers, lists and dicts, with
French labels, dates, distances and populations already written out.

This module writes no HTML and escapes nothing: the templates are rendered with
autoescape on (:mod:`geo.publish.site_templates`), so every text here is data. A
table cell or a fact is either a text or a small dict the ``cell`` macro of
``macros.html`` knows: a link ``{"href", "text"[, "rel", "download"]}``, a statut
badge ``{"badge", "cls", "label"}`` or a list of links ``{"links", "none"}``. Links
to data URLs are kept only for ``http(s)`` addresses (:func:`~geo.publish.frtext.safe_url`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import pandas as pd
import shapely

from geo.publish.area import area_view
from geo.publish.frtext import (
    DEFAULT_TITLE,
    PRECISION_LABELS,
    STATUT_LABELS,
    date_fr,
    km_fr,
    number,
    population_fr,
    population_text,
    public_urls,
    relation_fr,
    safe_url,
)
from geo.publish.frtext import text as _text

__all__ = [
    "SITE_TITLE",
    "TIMELINE_CHART",
    "Record",
    "SiteContext",
    "SiteData",
    "data_page",
    "index_page",
    "plain_records",
    "records",
    "region_names",
    "region_page",
    "territory_page",
    "trim_timeline",
]

SITE_TITLE = DEFAULT_TITLE
TIMELINE_CHART = "assets/evolution.svg"

Record = dict[str, Any]
Cell = str | dict[str, Any]


@dataclass(frozen=True)
class SiteData:
    """The inputs, checked and indexed once for every page."""

    territories: gpd.GeoDataFrame  # WGS84, text ids, sorted by id
    ptce: gpd.GeoDataFrame
    synergies: pd.DataFrame  # relation order, then distance, then ids
    t_records: list[Record]  # territories as dicts, with "located"
    p_by_id: dict[str, Record]
    links_of_t: dict[str, list[Record]]  # pairs of a territory, strongest first
    links_of_p: dict[str, list[Record]]
    t_of_region: dict[str, list[Record]]
    p_of_region: dict[str, list[Record]]
    opportunities: pd.DataFrame  # geo.opportunities, one row per territory
    ptce_opportunities: pd.DataFrame  # one row per PTCE
    category_of_t: dict[str, Record]
    category_of_p: dict[str, Record]
    timeline: pd.DataFrame  # geo.timeline, up to the data's last dated year


@dataclass(frozen=True)
class SiteContext:
    """What every page needs: links, titles, the embed base, the pages' file names."""

    base_url: str | None
    radius_km: float
    vintage: str
    regions: dict[str, str]  # code -> name, sorted by code
    page_name: Callable[[Any], str]  # an id -> its page's file name, without ".html"


# --------------------------------------------------------------------------- records


def records(frame: gpd.GeoDataFrame) -> list[Record]:
    """Return the rows of a GeoDataFrame as dicts (``None`` for missing), with ``located``."""
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    found = table.astype(object).where(table.notna(), None).to_dict("records")
    geoms = frame.geometry.values.to_numpy()
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    for record, ok in zip(found, located, strict=True):
        record["located"] = bool(ok)
    return found


def plain_records(table: pd.DataFrame) -> list[Record]:
    """Return the rows of a table as dicts, ``None`` for missing values."""
    return table.astype(object).where(table.notna(), None).to_dict("records")


def trim_timeline(table: pd.DataFrame) -> pd.DataFrame:
    """Stop the yearly rows at the last year something happened (not at today's year).

    The same data then give the same site whatever the year of the build.
    """
    new = [c for c in table.columns if c.endswith("_new")]
    dated = table["year"].notna()
    active = dated & (table[new].fillna(0).sum(axis=1) > 0)
    if not active.any():
        return table
    last = table.loc[active, "year"].max()
    return table[~dated | (table["year"] <= last)].reset_index(drop=True)


def region_names(data: SiteData) -> dict[str, str]:
    """Return the régions of the data, code -> official name, sorted by code."""
    from geo.reference.cog import regions

    table = regions()
    official = dict(zip(table["code"].astype(str), table["nom"].astype(str), strict=True))
    names: dict[str, str] = {}
    for found in (data.t_records, list(data.p_by_id.values())):
        for record in found:
            code = _text(record.get("region"))
            if code:
                names.setdefault(
                    code, official.get(code) or _text(record.get("region_nom")) or code
                )
    return dict(sorted(names.items()))


# --------------------------------------------------------------------------- cells


def _link(href: str, text: Any, **extra: Any) -> dict[str, Any]:
    return {"href": href, "text": _text(text), **extra}


def _external(url: Any, label: str | None = None) -> Cell:
    """Return a link to an ``http(s)`` URL from data; its text otherwise."""
    good = safe_url(url)
    if good is None:
        return _text(url)
    shown = label if label is not None else re.sub(r"^https?://(www\.)?", "", good).rstrip("/")
    return _link(good, shown, rel="noopener noreferrer")


def _statut_badge(statut: Any) -> Cell:
    code = _text(statut)
    if not code:
        return ""
    label = STATUT_LABELS.get(code, code)
    cls = code.lower() if code in STATUT_LABELS else ""
    return {"badge": code, "cls": cls, "label": label.lower()}


def _headers(*items: tuple[str, bool]) -> list[dict[str, Any]]:
    return [{"label": label, "num": num} for label, num in items]


def _table(
    caption: str, headers: list[dict[str, Any]], rows: list[list[Cell]], empty: str
) -> dict[str, Any]:
    return {"caption": caption, "headers": headers, "rows": rows, "empty": empty}


# --------------------------------------------------------------------------- page parts


def _root(depth: int) -> str:
    return "../" * depth


def _frame(
    ctx: SiteContext,
    *,
    title: str,
    depth: int,
    description: str,
    canonical: str,
    crumbs: Sequence[tuple[str, str | None]] = (),
) -> dict[str, Any]:
    """Return the context of ``base.html``: head, header, breadcrumb and footer."""
    return {
        "site_title": SITE_TITLE,
        "title": title,
        "root": _root(depth),
        "description": description,
        "canonical": ctx.base_url + canonical if ctx.base_url else None,
        "crumbs": [{"label": label, "href": href} for label, href in crumbs],
        "vintage": ctx.vintage,
        "version": version("tzptce-geo"),
    }


def _map_block(ctx: SiteContext, *, depth: int, src: str, title: str) -> dict[str, Any]:
    """Return the map frame, its full-screen link and the "Intégrer cette carte" snippet."""
    return {
        "local": _root(depth) + src,
        "embed_src": ctx.base_url + src if ctx.base_url else src,
        "title": title,
        "absolute": bool(ctx.base_url),
        "heading_id": "integrer",
    }


def _territory_rows(
    ctx: SiteContext, data: SiteData, found: list[Record], depth: int
) -> list[list[Cell]]:
    root = _root(depth)
    rows: list[list[Cell]] = []
    for row in found:
        links = data.links_of_t.get(row["id"])
        link = links[0] if links else None
        partner = (
            f"{_text(link['ptce_nom'])} ({relation_fr(link['relation'], link.get('certainty'))})"
            if link is not None
            else "aucun dans le rayon"
        )
        distance = (
            km_fr(link.get("distance_km"))
            if link is not None and link["relation"] != "overlap"
            else ""
        )
        page = f"{root}territoires/{ctx.page_name(row['id'])}.html"
        rows.append(
            [
                _link(page, row["nom"]),
                _statut_badge(row["statut"]),
                _text(row.get("departement")),
                partner,
                distance,
            ]
        )
    return rows


_TERRITORY_HEADERS = _headers(
    ("Territoire", False),
    ("Statut", False),
    ("Département", False),
    ("PTCE le plus proche", False),
    ("Distance", True),
)


def _counts(data: SiteData, territories: list[Record], n_ptce: int) -> list[dict[str, str]]:
    """Return the key figures of some territories: counts with their French labels."""
    links = [link for t in territories for link in data.links_of_t.get(t["id"], [])]
    statuts = [_text(t.get("statut")) for t in territories]
    isolated = sum(
        1
        for t, statut in zip(territories, statuts, strict=True)
        if statut == "TH" and (data.category_of_t.get(t["id"]) or {}).get("category") == "isolé"
    )
    relations = [link["relation"] for link in links]
    sure = [link["relation"] for link in links if _text(link.get("certainty")) in ("", "sûr")]
    th = [t for t, statut in zip(territories, statuts, strict=True) if statut == "TH"]
    known = [t for t in th if number(t.get("population")) is not None]
    exact = [
        t
        for t in known
        if _text(t.get("population_source")) == "communes"
        and _text(t.get("precision")) == "communes"
    ]
    total = sum(int(number(t["population"]) or 0) for t in known)
    exact_total = sum(int(number(t["population"]) or 0) for t in exact)
    unknown = len(th) - len(known)
    population_label = (
        f"habitants connus dans les TH, dont {population_fr(exact_total) or '0'} exacts "
        "(communes entières) et le reste approché (EPCI, chiffres cités par les sources)"
        + (f" ; {unknown} TH de population inconnue non comptés (quartiers)" if unknown else "")
    )
    counts = [
        (statuts.count("TH"), "territoires habilités (TH)"),
        (statuts.count("PE"), "projets émergents (PE)"),
        (n_ptce, "PTCE"),
        (sure.count("overlap"), "paires TZ–PTCE co-localisées sûres (chevauchement mesuré)"),
        (
            relations.count("overlap") - sure.count("overlap"),
            "paires TZ–PTCE co-localisées probables — périmètre approché",
        ),
        (
            relations.count("adjacent") + relations.count("near"),
            "paires TZ–PTCE proches (contiguës ou à proximité)",
        ),
        (isolated, "TH isolés (aucun PTCE dans le rayon)"),
        (total, population_label),
    ]
    return [{"n": population_fr(n) or "0", "label": label} for n, label in counts]


_TIMELINE_HEADERS = _headers(
    ("Année", False),
    ("TH (cumul)", True),
    ("PE connus (cumul)", True),
    ("PTCE reconnus (cumul)", True),
    ("Paires co-localisées (cumul)", True),
    ("Paires proches (cumul)", True),
)


def _timeline(data: SiteData, chart: bool) -> dict[str, Any]:
    """Return the chart of :func:`geo.plot_timeline` (when written) and its data table."""
    rows: list[list[Cell]] = []
    for record in plain_records(data.timeline):
        dated = record.get("year") is not None
        suffix = "total" if dated else "new"
        period = _text(record.get("period"))
        row: list[Cell] = [period if dated else "date inconnue (non répartis)"]
        row += [
            population_fr(record.get(f"{kind}_{suffix}")) or "0"
            for kind in ("th", "pe", "ptce", "pairs_colocated", "pairs_near")
        ]
        rows.append(row)
    return {
        "first": _text(data.timeline["period"].iloc[0]) if len(data.timeline) else "",
        "chart": TIMELINE_CHART if chart else None,
        "table": _table(
            "Évolution année par année (données du graphique)",
            _TIMELINE_HEADERS,
            rows,
            "Aucune date connue.",
        ),
    }


# --------------------------------------------------------------------------- pages


def index_page(ctx: SiteContext, data: SiteData, chart: bool) -> dict[str, Any]:
    """Return the context of ``index.html``: figures, map, timeline, régions, territories."""
    regions_rows: list[list[Cell]] = []
    for code, name in ctx.regions.items():
        t = data.t_of_region.get(code, [])
        links = [link for row in t for link in data.links_of_t.get(row["id"], [])]
        statuts = [_text(row.get("statut")) for row in t]
        regions_rows.append(
            [
                _link(f"regions/{ctx.page_name(code)}.html", name),
                str(statuts.count("TH")),
                str(statuts.count("PE")),
                str(len(data.p_of_region.get(code, []))),
                str(sum(link["relation"] == "overlap" for link in links)),
                str(len(links)),
            ]
        )
    return {
        **_frame(
            ctx,
            title="Accueil",
            depth=0,
            description="Carte et chiffres des territoires zéro chômeur et des PTCE en France.",
            canonical="index.html",
        ),
        "radius": f"{ctx.radius_km:g}",
        "figures": _counts(data, data.t_records, len(data.p_by_id)),
        "map": _map_block(
            ctx,
            depth=0,
            src="cartes/france.html",
            title="Carte des territoires zéro chômeur et des PTCE en France",
        ),
        "timeline": _timeline(data, chart),
        "regions": _table(
            "Territoires, PTCE et paires par région",
            _headers(
                ("Région", False),
                ("TH", True),
                ("PE", True),
                ("PTCE", True),
                ("Paires co-localisées", True),
                ("Paires dans le rayon", True),
            ),
            regions_rows,
            "Aucune région.",
        ),
        "territories": _table(
            "Territoires zéro chômeur de longue durée",
            _TERRITORY_HEADERS,
            _territory_rows(ctx, data, data.t_records, 0),
            "Aucun territoire.",
        ),
    }


def region_page(ctx: SiteContext, data: SiteData, code: str, name: str) -> dict[str, Any]:
    """Return the context of ``region.html``: the région's figures, map, territories, PTCE.

    The lists are those of the région's map and uMap export (one rule,
    :func:`geo.publish.area.area_view`): the région's own territories and PTCE,
    then the partners across its border, marked "hors région".
    """
    view = area_view(data.territories, data.ptce, data.synergies, region=code)
    own_t = [r for r in data.t_records if r["id"] in view.own_territory_ids]
    t = own_t + [
        {**r, "nom": f"{_text(r['nom'])} (hors région, partenaire)"}
        for r in data.t_records
        if r["id"] in view.territory_ids - view.own_territory_ids
    ]
    own_p = [r for r in data.p_by_id.values() if r["id"] in view.own_ptce_ids]
    p_region = own_p + [
        {**r, "nom": f"{_text(r['nom'])} (hors région, partenaire)"}
        for r in data.p_by_id.values()
        if r["id"] in view.ptce_ids - view.own_ptce_ids
    ]
    shown = set(zip(view.links["territory_id"], view.links["ptce_id"], strict=True))
    ptce_rows: list[list[Cell]] = []
    for row in p_region:
        partners = [
            _link(
                f"../territoires/{ctx.page_name(link['territory_id'])}.html", link["territory_nom"]
            )
            for link in data.links_of_p.get(row["id"], [])
            if (link["territory_id"], row["id"]) in shown
        ]
        ptce_rows.append(
            [
                _text(row["nom"]),
                _text(row.get("siege_commune")),
                PRECISION_LABELS.get(_text(row.get("precision")), ""),
                _text((data.category_of_p.get(row["id"]) or {}).get("category")),
                {"links": partners, "none": "aucun dans le rayon"},
            ]
        )
    page = ctx.page_name(code)
    radius = f"{ctx.radius_km:g}"
    return {
        **_frame(
            ctx,
            title=name,
            depth=1,
            description=f"Territoires zéro chômeur et PTCE : {name}.",
            canonical=f"regions/{page}.html",
            crumbs=(("Accueil", "index.html"), (name, None)),
        ),
        "name": name,
        "figures": _counts(data, own_t, len(own_p)),
        "map": _map_block(
            ctx,
            depth=1,
            src=f"cartes/regions/{page}.html",
            title=f"Carte des territoires zéro chômeur et des PTCE : {name}",
        ),
        "territories": _table(
            f"Territoires zéro chômeur : {name}",
            _TERRITORY_HEADERS,
            _territory_rows(ctx, data, t, 1),
            "Aucun territoire zéro chômeur connu dans cette région.",
        ),
        "ptce": _table(
            f"PTCE : {name}",
            _headers(
                ("PTCE", False),
                ("Siège", False),
                ("Précision", False),
                ("Catégorie", False),
                (f"Territoires à {radius} km ou moins", False),
            ),
            ptce_rows,
            "Aucun PTCE connu dans cette région.",
        ),
        "n_links": len(view.links),
    }


_CATEGORY_TEXT = {
    "co-localisé": "co-localisé : le territoire chevauche la zone d'un PTCE",
    "proche": "proche : un PTCE à {r} km ou moins, sans chevauchement",
    "isolé": "isolé : aucun PTCE à {r} km ou moins",
    "non mesurable": "non mesurable",
}


def _category_facts(opportunity: Record | None, radius_km: float) -> list[tuple[str, Cell]]:
    """Return the territory's category of :func:`geo.opportunities`, with its caveats."""
    if not opportunity:
        return []
    category = _text(opportunity.get("category"))
    label = _CATEGORY_TEXT.get(category, category).format(r=f"{radius_km:g}")
    reason = _text(opportunity.get("reason"))
    facts: list[tuple[str, Cell]] = [
        ("Catégorie (observatoire)", label + (f" ({reason})" if reason else ""))
    ]
    support = _text(opportunity.get("support_ptce_nom"))
    if support:
        facts.append(("PTCE d'appui possible", support))
    flags = _text(opportunity.get("flags"))
    if flags:
        facts.append(("Réserves", flags))
    return facts


def _list_text(value: Any) -> str:
    return ", ".join(part.strip() for part in _text(value).split(";") if part.strip())


def _summary(ctx: SiteContext, row: Record, region_name: str, n_partners: int, n_over: int) -> str:
    """Return the French sentence that opens a territory's page."""
    name = _text(row["nom"])
    statut = _text(row["statut"])
    date = date_fr(row.get("date_habilitation"))
    population = population_text(row)
    communes = _list_text(row.get("communes"))
    n_communes = len([c for c in _text(row.get("codes_insee")).split(";") if c.strip()])
    radius = f"{ctx.radius_km:g}"
    sentence = f"{name} est un {STATUT_LABELS.get(statut, statut or 'territoire').lower()}"
    if statut == "TH" and date:
        sentence += f", habilité le {date}" if date.count("/") == 2 else f", habilité en {date}"
    if region_name:
        sentence += f", en {region_name}"
    sentence += "."
    if communes:
        sentence += (
            f" Son périmètre compte {n_communes} commune{'s' if n_communes > 1 else ''} : "
            f"{communes}."
        )
    if population:
        sentence += f" Population : {population}."
    if not n_partners:
        sentence += f" Aucun PTCE connu à {radius} km ou moins."
    else:
        sentence += (
            f" {n_partners} PTCE à {radius} km ou moins"
            + (f", dont {n_over} dont la zone chevauche le territoire" if n_over else "")
            + "."
        )
    return sentence


def _territory_facts(
    ctx: SiteContext, data: SiteData, row: Record, region_name: str, region_page_name: str
) -> list[tuple[str, Cell]]:
    """Return the facts of a territory's page as (label, value); the page drops empty ones."""
    region = _text(row.get("region"))
    return [
        ("Statut", _statut_badge(row["statut"])),
        ("Date d'habilitation", date_fr(row.get("date_habilitation"))),
        ("Texte légal", _text(row.get("texte_legal"))),
        ("Étape de l'expérimentation", _text(row.get("vague"))),
        ("Région", _link("../" + region_page_name, region_name) if region else ""),
        ("Département", _text(row.get("departement"))),
        ("Communes", _list_text(row.get("communes"))),
        ("Quartiers", _text(row.get("sous_zone"))),
        ("Quartiers prioritaires (QPV)", _list_text(row.get("qpv_codes"))),
        ("Intercommunalité (EPCI)", _text(row.get("epci_nom"))),
        ("Situation", _text(row.get("statut_detail"))),
        ("Population", population_text(row)),
        ("Entreprise à but d'emploi (EBE)", _text(row.get("ebe"))),
        ("Précision du périmètre", PRECISION_LABELS.get(_text(row.get("precision")), "")),
        ("Périmètre approché", _text(row.get("precision_note"))),
        *_category_facts(data.category_of_t.get(row["id"]), ctx.radius_km),
    ]


def _partner_rows(data: SiteData, partners: list[Record]) -> list[list[Cell]]:
    """Return the rows of a territory's PTCE table: name (linked), relation, distance, zone."""
    partner_rows: list[list[Cell]] = []
    for link in partners:
        prow = data.p_by_id.get(link["ptce_id"])
        site = safe_url(prow.get("site_web")) if prow is not None else None
        partner_rows.append(
            [
                _external(site, _text(link["ptce_nom"])) if site else _text(link["ptce_nom"]),
                relation_fr(link["relation"], link.get("certainty")),
                km_fr(link.get("distance_km")) if link["relation"] != "overlap" else "—",
                PRECISION_LABELS.get(_text(link.get("ptce_precision")), ""),
            ]
        )
    return partner_rows


def territory_page(ctx: SiteContext, data: SiteData, row: Record) -> dict[str, Any]:
    """Return the context of ``territory.html``: summary, facts, partners, map, sources."""
    tid = row["id"]
    name = _text(row["nom"])
    region = _text(row.get("region"))
    region_name = ctx.regions.get(region, _text(row.get("region_nom")))
    partners = data.links_of_t.get(tid, [])
    region_page_name = f"regions/{ctx.page_name(region)}.html"
    facts = _territory_facts(ctx, data, row, region_name, region_page_name)
    page = ctx.page_name(tid)
    page_path = f"territoires/{page}.html"
    radius = f"{ctx.radius_km:g}"
    crumbs: list[tuple[str, str | None]] = [("Accueil", "index.html")]
    if region:
        crumbs.append((region_name, region_page_name))
    crumbs.append((name, None))
    n_over = sum(link["relation"] == "overlap" for link in partners)
    return {
        **_frame(
            ctx,
            title=name,
            depth=1,
            description=f"{name} : territoire zéro chômeur, ses PTCE partenaires et ses sources.",
            canonical=page_path,
            crumbs=crumbs,
        ),
        "name": name,
        "summary": _summary(ctx, row, region_name, len(partners), n_over),
        "permalink": (
            _link(ctx.base_url + page_path, ctx.base_url + page_path)
            if ctx.base_url
            else _link(f"{page}.html", page_path)
        ),
        "facts": [{"label": label, "value": value} for label, value in facts if value],
        "partners": _table(
            f"PTCE à {radius} km ou moins : {name}",
            _headers(
                ("PTCE", False), ("Relation", False), ("Distance", True), ("Zone du PTCE", False)
            ),
            _partner_rows(data, partners),
            f"Aucun PTCE connu à {radius} km ou moins de ce territoire.",
        ),
        # a map of its own, opened on it (33-131 KB for the shipped data, against 403 KB for
        # France and up to 477 KB for a région); France when it has no perimeter to draw
        "map": _map_block(
            ctx,
            depth=1,
            src=(f"cartes/territoires/{page}.html" if row.get("located") else "cartes/france.html")
            + f"#territoire={quote(tid, safe='')}",
            title=f"Carte : {name} et les PTCE proches",
        ),
        "sources": [_external(u) for u in public_urls(row.get("sources"))],
    }


#: The downloads of ``donnees/``: file name, what it holds, its format.
DATA_FILES = (
    ("territoires.geojson", "Territoires (périmètres)", "GeoJSON, WGS84"),
    ("territoires.csv", "Territoires (sans géométrie)", "CSV UTF-8, virgule"),
    ("ptce.geojson", "PTCE (points du siège)", "GeoJSON, WGS84"),
    ("ptce.csv", "PTCE, avec longitude et latitude", "CSV UTF-8, virgule"),
    ("synergies.csv", "Paires territoire–PTCE (chevauchement, contiguïté, proximité)", "CSV"),
    ("synergies.xlsx", "Paires territoire–PTCE", "Excel"),
    ("opportunites.csv", "Catégorie de chaque territoire (co-localisé, proche, isolé)", "CSV"),
    ("opportunites.xlsx", "Catégorie de chaque territoire", "Excel"),
    ("opportunites-ptce.csv", "Catégorie de chaque PTCE (dont PTCE sans TZ)", "CSV"),
    ("opportunites-ptce.xlsx", "Catégorie de chaque PTCE", "Excel"),
    ("evolution.csv", "Évolution année par année (données du graphique)", "CSV"),
    ("carte.umap", "Carte complète à importer dans uMap ou Framacarte", "uMap (JSON)"),
    (
        "carte-en-ligne.umap",
        "Carte à importer une fois dans uMap : ses calques lisent les fichiers "
        "carte-en-ligne-*.geojson publiés ici, et chaque nouvelle publication du site la met à "
        "jour",
        "uMap (JSON) et GeoJSON",
    ),
)


def data_page(ctx: SiteContext, data: SiteData, files: dict[str, Path]) -> dict[str, Any]:
    """Return the context of ``data.html``: downloads, sources, licences, precisions."""
    rows: list[list[Cell]] = []
    for name, what, fmt in DATA_FILES:
        if name not in files:  # carte-en-ligne.umap needs the site's address (base_url)
            continue
        size = files[name].stat().st_size
        rows.append(
            [
                _link(name, name, download=True),
                what,
                fmt,
                f"{size / 1024:.0f} Ko".replace(".", ","),
            ]
        )
    return {
        **_frame(
            ctx,
            title="Données et sources",
            depth=1,
            description="Téléchargements, sources, millésimes et licences des données du site.",
            canonical="donnees/index.html",
            crumbs=(("Accueil", "index.html"), ("Données et sources", None)),
        ),
        "n_territories": len(data.territories),
        "n_ptce": len(data.ptce),
        "n_pairs": len(data.synergies),
        "radius": f"{ctx.radius_km:g}",
        "files": _table(
            "Fichiers téléchargeables",
            _headers(("Fichier", False), ("Contenu", False), ("Format", False), ("Taille", True)),
            rows,
            "Aucun fichier.",
        ),
        "precisions": [{"key": k, "label": v} for k, v in PRECISION_LABELS.items()],
    }
