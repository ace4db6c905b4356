"""A static website of the territories, PTCE and their synergies: ``python -m geo site OUT/``.

:func:`build_site` writes a folder that any static host serves as is and that
also works opened from disk (``file://``): a national page with the key
figures, one page per région and per territory, a data page with the
downloads (GeoJSON, CSV, XLSX, the uMap file) and their sources and licences,
and the map pages drawn by :mod:`geo.publish.maps`, shown in frames. Every page has an
"Intégrer cette carte" block with its iframe snippet and a copy button.

Safety: pages are assembled from small functions that escape every text from
data with :func:`html.escape` for its context (text or attribute); links are
written only for ``http(s)`` URLs. No template engine sees the data, and the
pages carry no inline script (one shared ``assets/site.js``), so a site can
serve them under a strict Content-Security-Policy.

Determinism: the same data give the same bytes (sorted ids, fixed ZIP dates in
the XLSX files, stable element ids in the map pages, no build timestamp), so a
site repository shows readable diffs.

This module computes no synergy (see :mod:`geo.analysis.synergies`) and draws no map
itself (see :mod:`geo.publish.maps`).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._core.files import atomic_path
from geo.crs import WGS84
from geo.errors import ArgumentError, CRSError, SchemaError
from geo.publish.frtext import (
    PRECISION_LABELS,
    RELATION_LABELS,
    STATUT_LABELS,
    date_fr,
    km_fr,
    population_fr,
    public_urls,
    safe_url,
)
from geo.publish.frtext import text as _text
from geo.publish.sitefiles import MANIFEST, staged_site, write_manifest
from geo.publish.sitefiles import slug as _slug
from geo.publish.spreadsheet import write_spreadsheet
from geo.publish.static_files import static_text
from geo.schema import field_names

__all__ = ["MANIFEST", "SiteReport", "build_site"]

SITE_TITLE = "Territoires zéro chômeur et PTCE"

#: Random element ids of the map pages: folium's ``map_<32 hex>`` names and the
#: maps' ``geo-data-<12 hex>`` data blocks.
_RANDOM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-z])|(?<=geo-data-)[0-9a-f]{12}(?![0-9a-z])")
_DECIMALS = 5
_NUM = ' class="num"'


@dataclass(frozen=True)
class SiteReport:
    """What :func:`build_site` wrote.

    Attributes
    ----------
    out_dir
        The site folder.
    files, total_bytes
        Number and total size of the files written.
    pages
        Number of HTML pages.
    largest_page, largest_page_bytes
        The largest HTML page (path relative to ``out_dir``) and its size.
    largest_territory_page, largest_territory_page_bytes
        The largest territory page, with its map page when it has one of its
        own (shared files excluded).
    """

    out_dir: Path
    files: int
    total_bytes: int
    pages: int
    largest_page: str
    largest_page_bytes: int
    largest_territory_page: str
    largest_territory_page_bytes: int

    def __str__(self) -> str:
        return (
            f"{self.files} files, {self.total_bytes / 1e6:.1f} MB in {self.out_dir}; "
            f"{self.pages} pages, largest {self.largest_page} "
            f"({self.largest_page_bytes / 1024:.0f} KB); largest territory page "
            f"{self.largest_territory_page} ({self.largest_territory_page_bytes / 1024:.0f} KB)"
        )


# --------------------------------------------------------------------------- escaping


def _e(value: Any) -> str:
    """Escape a value from data for HTML text or a quoted attribute."""
    return html.escape(_text(value), quote=True)


def _href(url: str) -> str:
    return html.escape(url, quote=True)


def _external(url: Any, label: str | None = None) -> str:
    """Return a link to an ``http(s)`` URL from data; the escaped text otherwise."""
    good = safe_url(url)
    if good is None:
        return _e(url)
    shown = label if label is not None else re.sub(r"^https?://(www\.)?", "", good).rstrip("/")
    return f'<a href="{_href(good)}" rel="noopener noreferrer">{_e(shown)}</a>'


# --------------------------------------------------------------------------- page frame


@dataclass(frozen=True)
class _Context:
    """What every page needs: links, titles, the embed base."""

    base_url: str | None
    radius_km: float
    vintage: str
    regions: dict[str, str]  # code -> name, sorted by code


def _root(depth: int) -> str:
    return "../" * depth


def _page(
    ctx: _Context,
    *,
    title: str,
    depth: int,
    body: str,
    crumbs: Sequence[tuple[str, str | None]] = (),
    description: str = "",
    canonical: str | None = None,
) -> str:
    """Return a whole page: French, skip link, header and navigation, main, footer."""
    root = _root(depth)
    head_extra = ""
    if canonical and ctx.base_url:
        head_extra += f'<link rel="canonical" href="{_href(ctx.base_url + canonical)}">\n'
    if description:
        head_extra += f'<meta name="description" content="{_e(description)}">\n'
    trail = ""
    if crumbs:
        items = "".join(
            f'<li><a href="{_href(root + href)}">{_e(label)}</a></li>'
            if href is not None
            else f'<li aria-current="page">{_e(label)}</li>'
            for label, href in crumbs
        )
        trail = f'<nav class="breadcrumb" aria-label="Fil d\'Ariane"><ol>{items}</ol></nav>\n'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)} – {_e(SITE_TITLE)}</title>\n"
        f"{head_extra}"
        f'<link rel="stylesheet" href="{root}assets/site.css">\n'
        f'<script src="{root}assets/site.js" defer></script>\n'
        "</head>\n<body>\n"
        '<a class="skip" href="#contenu">Aller au contenu</a>\n'
        '<header class="site"><div class="inner">\n'
        f'<a class="brand" href="{root}index.html">{_e(SITE_TITLE)}</a>\n'
        '<nav aria-label="Navigation principale"><ul>\n'
        f'<li><a href="{root}index.html">Accueil</a></li>\n'
        f'<li><a href="{root}index.html#regions">Régions</a></li>\n'
        f'<li><a href="{root}donnees/index.html">Données et sources</a></li>\n'
        "</ul></nav>\n</div></header>\n"
        '<main id="contenu" tabindex="-1">\n'
        f"{trail}{body}"
        "</main>\n"
        '<footer class="site"><div class="inner">\n'
        "<p>Données : territoires TZCLD et PTCE compilés à partir des sources publiques citées "
        f"sur chaque page ; communes : IGN ADMIN EXPRESS COG {_e(ctx.vintage)} et INSEE, "
        "Licence Ouverte 2.0. "
        f'<a href="{root}donnees/index.html">Sources, millésimes et licences</a>.</p>\n'
        f"<p>Site produit par tzptce-geo {_e(version('tzptce-geo'))}.</p>\n"
        "</div></footer>\n</body>\n</html>\n"
    )


def _table(
    caption: str,
    headers: Sequence[tuple[str, bool]],
    rows: Iterable[Sequence[str]],
    *,
    empty: str,
) -> str:
    """Return a table in a scrollable region; cells are already-escaped HTML."""
    rows = list(rows)
    if not rows:
        return f"<p>{_e(empty)}</p>\n"
    head = "".join(
        f'<th scope="col"{_NUM if num else ""}>{_e(label)}</th>' for label, num in headers
    )
    lines = []
    for row in rows:
        cells = []
        for i, (cell, (_, num)) in enumerate(zip(row, headers, strict=True)):
            tag = "th" if i == 0 else "td"
            scope = ' scope="row"' if i == 0 else ""
            cls = _NUM if num else ""
            cells.append(f"<{tag}{scope}{cls}>{cell}</{tag}>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="table-wrap" role="region" aria-label="{_e(caption)}" tabindex="0">\n'
        f"<table>\n<caption>{_e(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n"
        "<tbody>\n" + "\n".join(lines) + "\n</tbody>\n</table>\n</div>\n"
    )


def _figures(items: Sequence[tuple[int, str]]) -> str:
    cells = "".join(
        f'<li><span class="n">{population_fr(n) or "0"}</span> {_e(label)}</li>'
        for n, label in items
    )
    return f'<ul class="figures">{cells}</ul>\n'


def _map_block(ctx: _Context, *, depth: int, src: str, title: str, heading_id: str) -> str:
    """Return the map frame, a full-screen link and the "Intégrer cette carte" block."""
    root = _root(depth)
    local = root + src
    if ctx.base_url:
        embed_src = ctx.base_url + src
    else:
        embed_src = src
    snippet = (
        f'<iframe src="{_href(embed_src)}" title="{_e(title)}" width="100%" height="500" '
        'style="border:0" loading="lazy" allowfullscreen></iframe>'
    )
    code_id = f"code-{heading_id}"
    status_id = f"copie-{heading_id}"
    where = (
        ""
        if ctx.base_url
        else "<p>Adresse relative à la racine du site : préfixez-la par l'adresse où le site "
        "est publié.</p>\n"
    )
    return (
        f'<iframe class="map" src="{_href(local)}" title="{_e(title)}" loading="lazy" '
        "allowfullscreen></iframe>\n"
        f'<p><a href="{_href(local)}">Ouvrir la carte en plein écran</a></p>\n'
        f'<section class="embed" aria-labelledby="{heading_id}">\n'
        f'<h2 id="{heading_id}">Intégrer cette carte</h2>\n'
        "<p>Copiez ce code dans une page de votre site (info-ptce.fr, tzcld.fr…) : la carte "
        "s'affiche dans un cadre, en mode intégré.</p>\n"
        f"{where}"
        f'<label for="{code_id}">Code d\'intégration (iframe)</label>\n'
        f'<textarea id="{code_id}" rows="4" readonly spellcheck="false">{_e(snippet)}</textarea>\n'
        f'<button type="button" data-copy="{code_id}" data-status="{status_id}" hidden>'
        "Copier le code d'intégration</button>\n"
        f'<p id="{status_id}" role="status" aria-live="polite"></p>\n'
        "</section>\n"
    )


# --------------------------------------------------------------------------- data


Record = dict[str, Any]


@dataclass(frozen=True)
class _Data:
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


def _check_inputs(territories: Any, ptce: Any) -> None:
    problems = []
    for frame, what, columns in (
        (territories, "territories", ("id", "nom", "statut")),
        (ptce, "ptce", ("id", "nom")),
    ):
        if not isinstance(frame, gpd.GeoDataFrame):
            problems.append(f"{what} must be a GeoDataFrame (see geo.load_{what}())")
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            problems.append(f"{what} lacks columns {missing} (see geo.load_{what}())")
        elif frame.crs is None:
            raise CRSError(
                f"{what} have no CRS: declare it with .set_crs('EPSG:4326') before building "
                "the site"
            )
    if problems:
        raise SchemaError("cannot build the site: " + "; ".join(problems), problems)


def _records(frame: pd.DataFrame) -> list[Record]:
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    geoms = frame.geometry.values.to_numpy()
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    for record, ok in zip(records, located, strict=True):
        record["located"] = bool(ok)
    return records


def _prepare(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, synergies: pd.DataFrame | None, radius
) -> _Data:
    _check_inputs(territories, ptce)
    territories = territories.to_crs(WGS84) if not territories.crs.equals(WGS84) else territories
    ptce = ptce.to_crs(WGS84) if not ptce.crs.equals(WGS84) else ptce
    territories = territories.assign(id=territories["id"].map(_text))
    ptce = ptce.assign(id=ptce["id"].map(_text))
    for frame, what in ((territories, "territories"), (ptce, "ptce")):
        slugs = frame["id"].map(_slug)
        if slugs.duplicated().any():
            dups = frame.loc[slugs.duplicated(keep=False)].groupby(slugs)["id"].agg(list)
            shown = "; ".join(f"{ids} -> {name}.html" for name, ids in dups.items())
            raise SchemaError(
                f"cannot build the site: {what} ids that give the same page file ({shown}): "
                "file names ignore case, accents and punctuation; make these ids differ "
                "by a letter or digit"
            )
    if synergies is None:
        from geo.analysis.synergies import synergies as compute

        synergies = compute(territories, ptce, radius_km=radius)
    links = pd.DataFrame(synergies).copy()
    for column in ("territory_id", "ptce_id", "relation"):
        links[column] = links[column].map(_text)
    links = links[links["relation"].isin(list(RELATION_LABELS))]
    distance = pd.to_numeric(links.get("distance_km"), errors="coerce")
    links = links.assign(_rank=links["relation"].map(list(RELATION_LABELS).index), _km=distance)
    links = links.sort_values(["_rank", "_km", "territory_id", "ptce_id"], kind="stable")
    links = links.drop(columns=["_rank", "_km"]).reset_index(drop=True)
    territories = territories.sort_values("id", kind="stable").reset_index(drop=True)
    ptce = ptce.sort_values("id", kind="stable").reset_index(drop=True)

    from geo.analysis.observatory import opportunities, timeline

    by_territory = opportunities(territories, ptce, synergies, radius_km=radius)
    by_ptce = opportunities(territories, ptce, synergies, radius_km=radius, by="ptce")
    years = timeline(territories, ptce, synergies, radius_km=radius)
    years = _trim_timeline(years)

    t_records = _records(territories)
    p_records = _records(ptce)
    link_records = links.astype(object).where(links.notna(), None).to_dict("records")
    links_of_t: dict[str, list[Record]] = {}
    links_of_p: dict[str, list[Record]] = {}
    for link in link_records:
        links_of_t.setdefault(link["territory_id"], []).append(link)
        links_of_p.setdefault(link["ptce_id"], []).append(link)
    t_of_region: dict[str, list[Record]] = {}
    p_of_region: dict[str, list[Record]] = {}
    for records, by_region in ((t_records, t_of_region), (p_records, p_of_region)):
        for record in records:
            by_region.setdefault(_text(record.get("region")), []).append(record)
    return _Data(
        territories,
        ptce,
        links,
        t_records,
        {r["id"]: r for r in p_records},
        links_of_t,
        links_of_p,
        t_of_region,
        p_of_region,
        by_territory,
        by_ptce,
        {r["territory_id"]: r for r in _plain_records(by_territory)},
        {r["ptce_id"]: r for r in _plain_records(by_ptce)},
        years,
    )


def _plain_records(table: pd.DataFrame) -> list[Record]:
    return table.astype(object).where(table.notna(), None).to_dict("records")


def _trim_timeline(table: pd.DataFrame) -> pd.DataFrame:
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


def _region_names(data: _Data) -> dict[str, str]:
    from geo.reference.cog import regions

    table = regions()
    official = dict(zip(table["code"].astype(str), table["nom"].astype(str), strict=True))
    names: dict[str, str] = {}
    for records in (data.t_records, list(data.p_by_id.values())):
        for record in records:
            code = _text(record.get("region"))
            if code:
                names.setdefault(
                    code, official.get(code) or _text(record.get("region_nom")) or code
                )
    return dict(sorted(names.items()))


# --------------------------------------------------------------------------- pages


def _statut_badge(statut: Any) -> str:
    code = _text(statut)
    label = STATUT_LABELS.get(code, code)
    cls = code.lower() if code in STATUT_LABELS else ""
    return f'<span class="badge {cls}">{_e(code)}</span> {_e(label.lower())}' if code else ""


def _territory_rows(data: _Data, records: list[Record], depth: int) -> list[list[str]]:
    root = _root(depth)
    rows = []
    for row in records:
        links = data.links_of_t.get(row["id"])
        link = links[0] if links else None
        partner = (
            f"{_e(link['ptce_nom'])} ({_e(RELATION_LABELS[link['relation']])})"
            if link is not None
            else "aucun dans le rayon"
        )
        distance = (
            _e(km_fr(link.get("distance_km")))
            if link is not None and link["relation"] != "overlap"
            else ""
        )
        rows.append(
            [
                f'<a href="{root}territoires/{_slug(row["id"])}.html">{_e(row["nom"])}</a>',
                _statut_badge(row["statut"]),
                _e(row.get("departement")),
                partner,
                distance,
            ]
        )
    return rows


_TERRITORY_HEADERS = (
    ("Territoire", False),
    ("Statut", False),
    ("Département", False),
    ("PTCE le plus proche", False),
    ("Distance", True),
)


def _counts(data: _Data, territories: list[Record], n_ptce: int) -> list[tuple[int, str]]:
    links = [link for t in territories for link in data.links_of_t.get(t["id"], [])]
    statuts = [_text(t.get("statut")) for t in territories]
    isolated = sum(
        1
        for t, statut in zip(territories, statuts, strict=True)
        if statut == "TH" and (data.category_of_t.get(t["id"]) or {}).get("category") == "isolé"
    )
    relations = [link["relation"] for link in links]
    return [
        (statuts.count("TH"), "territoires habilités (TH)"),
        (statuts.count("PE"), "projets émergents (PE)"),
        (n_ptce, "PTCE"),
        (relations.count("overlap"), "paires TZ–PTCE co-localisées (chevauchement)"),
        (
            relations.count("adjacent") + relations.count("near"),
            "paires TZ–PTCE proches (contiguës ou à proximité)",
        ),
        (isolated, "TH isolés (aucun PTCE dans le rayon)"),
    ]


def _index_page(ctx: _Context, data: _Data, chart: bool) -> str:
    regions_rows = []
    for code, name in ctx.regions.items():
        t = data.t_of_region.get(code, [])
        links = [link for row in t for link in data.links_of_t.get(row["id"], [])]
        statuts = [_text(row.get("statut")) for row in t]
        regions_rows.append(
            [
                f'<a href="regions/{_slug(code)}.html">{_e(name)}</a>',
                str(statuts.count("TH")),
                str(statuts.count("PE")),
                str(len(data.p_of_region.get(code, []))),
                str(sum(link["relation"] == "overlap" for link in links)),
                str(len(links)),
            ]
        )
    body = (
        f"<h1>{_e(SITE_TITLE)}</h1>\n"
        '<p class="lead">Où les territoires zéro chômeur de longue durée (TZCLD) et les pôles '
        "territoriaux de coopération économique (PTCE) se rencontrent : chevauchement de leurs "
        f"périmètres ou distance de {_e(f'{ctx.radius_km:g}')} km au plus.</p>\n"
        '<h2 id="chiffres">Chiffres clés</h2>\n'
        + _figures(_counts(data, data.t_records, len(data.p_by_id)))
        + '<h2 id="carte">Carte nationale</h2>\n'
        "<p>La carte donne aussi la liste de tous les territoires et PTCE, avec des filtres, "
        "comme alternative textuelle.</p>\n"
        + _map_block(
            ctx,
            depth=0,
            src="cartes/france.html",
            title="Carte des territoires zéro chômeur et des PTCE en France",
            heading_id="integrer",
        )
        + _timeline_section(data, chart)
        + '<h2 id="regions">Par région</h2>\n'
        + _table(
            "Territoires, PTCE et paires par région",
            (
                ("Région", False),
                ("TH", True),
                ("PE", True),
                ("PTCE", True),
                ("Paires co-localisées", True),
                ("Paires dans le rayon", True),
            ),
            regions_rows,
            empty="Aucune région.",
        )
        + '<h2 id="territoires">Tous les territoires</h2>\n'
        + _table(
            "Territoires zéro chômeur de longue durée",
            _TERRITORY_HEADERS,
            _territory_rows(data, data.t_records, 0),
            empty="Aucun territoire.",
        )
    )
    return _page(
        ctx,
        title="Accueil",
        depth=0,
        body=body,
        description="Carte et chiffres des territoires zéro chômeur et des PTCE en France.",
        canonical="index.html",
    )


def _region_page(ctx: _Context, data: _Data, code: str, name: str) -> str:
    t = data.t_of_region.get(code, [])
    p_region = data.p_of_region.get(code, [])
    n_links = sum(len(data.links_of_t.get(row["id"], [])) for row in t)
    ptce_rows = []
    for row in p_region:
        partners = data.links_of_p.get(row["id"], [])
        names = ", ".join(
            f'<a href="../territoires/{_slug(link["territory_id"])}.html">'
            f"{_e(link['territory_nom'])}</a>"
            for link in partners
        )
        ptce_rows.append(
            [
                _e(row["nom"]),
                _e(row.get("siege_commune")),
                _e(PRECISION_LABELS.get(_text(row.get("precision")), "")),
                _e((data.category_of_p.get(row["id"]) or {}).get("category")),
                names or "aucun dans le rayon",
            ]
        )
    slug = _slug(code)
    body = (
        f"<h1>{_e(name)}</h1>\n"
        '<h2 id="chiffres">Chiffres clés</h2>\n'
        + _figures(_counts(data, t, len(p_region)))
        + '<h2 id="carte">Carte de la région</h2>\n'
        + _map_block(
            ctx,
            depth=1,
            src=f"cartes/regions/{slug}.html",
            title=f"Carte des territoires zéro chômeur et des PTCE : {name}",
            heading_id="integrer",
        )
        + '<h2 id="territoires">Territoires</h2>\n'
        + _table(
            f"Territoires zéro chômeur : {name}",
            _TERRITORY_HEADERS,
            _territory_rows(data, t, 1),
            empty="Aucun territoire zéro chômeur connu dans cette région.",
        )
        + '<h2 id="ptce">PTCE</h2>\n'
        + _table(
            f"PTCE : {name}",
            (
                ("PTCE", False),
                ("Siège", False),
                ("Précision", False),
                ("Catégorie", False),
                (f"Territoires à {ctx.radius_km:g} km ou moins", False),
            ),
            ptce_rows,
            empty="Aucun PTCE connu dans cette région.",
        )
        + f"<p>{n_links} paires territoire–PTCE dans la région.</p>\n"
    )
    return _page(
        ctx,
        title=name,
        depth=1,
        body=body,
        crumbs=(("Accueil", "index.html"), (name, None)),
        description=f"Territoires zéro chômeur et PTCE : {name}.",
        canonical=f"regions/{slug}.html",
    )


_CATEGORY_TEXT = {
    "co-localisé": "co-localisé : le territoire chevauche la zone d'un PTCE",
    "proche": "proche : un PTCE à {r} km ou moins, sans chevauchement",
    "isolé": "isolé : aucun PTCE à {r} km ou moins",
    "non mesurable": "non mesurable",
}


def _category_facts(opportunity: Record | None, radius_km: float) -> list[tuple[str, str]]:
    """Return the territory's category of :func:`geo.opportunities`, with its caveats."""
    if not opportunity:
        return []
    category = _text(opportunity.get("category"))
    label = _CATEGORY_TEXT.get(category, category).format(r=f"{radius_km:g}")
    reason = _text(opportunity.get("reason"))
    facts = [("Catégorie (observatoire)", _e(label + (f" ({reason})" if reason else "")))]
    support = _text(opportunity.get("support_ptce_nom"))
    if support:
        facts.append(("PTCE d'appui possible", _e(support)))
    flags = _text(opportunity.get("flags"))
    if flags:
        facts.append(("Réserves", _e(flags)))
    return facts


_TIMELINE_HEADERS = (
    ("Année", False),
    ("TH (cumul)", True),
    ("PE connus (cumul)", True),
    ("PTCE reconnus (cumul)", True),
    ("Paires co-localisées (cumul)", True),
    ("Paires proches (cumul)", True),
)

TIMELINE_CHART = "assets/evolution.svg"


def _timeline_section(data: _Data, chart: bool) -> str:
    """Return the chart of :func:`geo.plot_timeline` (when written) and its data table."""
    rows = []
    for record in _plain_records(data.timeline):
        dated = record.get("year") is not None
        suffix = "total" if dated else "new"
        period = _text(record.get("period"))
        rows.append(
            [_e(period if dated else "date inconnue (non répartis)")]
            + [
                _e(population_fr(record.get(f"{kind}_{suffix}")) or "0")
                for kind in ("th", "pe", "ptce", "pairs_colocated", "pairs_near")
            ]
        )
    first = _text(data.timeline["period"].iloc[0]) if len(data.timeline) else ""
    figure = (
        '<figure class="chart">\n'
        f'<img src="{TIMELINE_CHART}" width="900" height="650" '
        "alt=\"Graphique de l'évolution des territoires, des PTCE et des paires co-localisées "
        'ou proches, année par année ; ses données sont dans le tableau qui suit.">\n'
        "<figcaption>Cumul par année ; les lignes sans date sont comptées à part, jamais "
        "réparties sur les années.</figcaption>\n</figure>\n"
    )
    return (
        '<h2 id="evolution">Évolution depuis '
        + _e(first)
        + "</h2>\n"
        + (figure if chart else "")
        + _table(
            "Évolution année par année (données du graphique)",
            _TIMELINE_HEADERS,
            rows,
            empty="Aucune date connue.",
        )
    )


def _write_chart(out: Path, data: _Data) -> Path | None:
    """Write the timeline chart with stable SVG ids (matplotlib salts them at random).

    ``None`` without matplotlib (the ``plot`` extra): the page keeps the table.
    """
    try:
        import matplotlib
    except ModuleNotFoundError:
        return None
    from geo.publish.charts import plot_timeline

    with matplotlib.rc_context({"svg.hashsalt": "tzptce-geo"}):
        return plot_timeline(data.timeline, out / TIMELINE_CHART)


def _list_text(value: Any) -> str:
    return ", ".join(part.strip() for part in _text(value).split(";") if part.strip())


def _territory_page(ctx: _Context, data: _Data, row: Record) -> str:
    tid = row["id"]
    name = _text(row["nom"])
    statut = _text(row["statut"])
    region = _text(row.get("region"))
    region_name = ctx.regions.get(region, _text(row.get("region_nom")))
    partners = data.links_of_t.get(tid, [])
    communes = _list_text(row.get("communes"))
    n_communes = len([c for c in _text(row.get("codes_insee")).split(";") if c.strip()])
    date = date_fr(row.get("date_habilitation"))
    population = population_fr(row.get("population"))
    # the French summary
    status_text = STATUT_LABELS.get(statut, statut or "territoire").lower()
    sentence = f"{_e(name)} est un {_e(status_text)}"
    if statut == "TH" and date:
        sentence += (
            f", habilité le {_e(date)}" if date.count("/") == 2 else f", habilité en {_e(date)}"
        )
    if region_name:
        sentence += f", en {_e(region_name)}"
    sentence += "."
    if communes:
        sentence += (
            f" Son périmètre compte {n_communes} commune{'s' if n_communes > 1 else ''} : "
            f"{_e(communes)}" + (f", soit {population} habitants" if population else "") + "."
        )
    if not partners:
        sentence += f" Aucun PTCE connu à {ctx.radius_km:g} km ou moins."
    else:
        n_over = sum(link["relation"] == "overlap" for link in partners)
        sentence += (
            f" {len(partners)} PTCE à {ctx.radius_km:g} km ou moins"
            + (f", dont {n_over} dont la zone chevauche le territoire" if n_over else "")
            + "."
        )
    facts = [
        ("Statut", _statut_badge(statut)),
        ("Date d'habilitation", _e(date)),
        ("Texte légal", _e(row.get("texte_legal"))),
        ("Étape de l'expérimentation", _e(row.get("vague"))),
        (
            "Région",
            f'<a href="../regions/{_slug(region)}.html">{_e(region_name)}</a>' if region else "",
        ),
        ("Département", _e(row.get("departement"))),
        ("Communes", _e(communes)),
        ("Quartiers", _e(row.get("sous_zone"))),
        ("Quartiers prioritaires (QPV)", _e(_list_text(row.get("qpv_codes")))),
        ("Intercommunalité (EPCI)", _e(row.get("epci_nom"))),
        ("Population", _e(population)),
        ("Entreprise à but d'emploi (EBE)", _e(row.get("ebe"))),
        ("Précision du périmètre", _e(PRECISION_LABELS.get(_text(row.get("precision")), ""))),
        *_category_facts(data.category_of_t.get(tid), ctx.radius_km),
    ]
    facts_html = "".join(
        f"<dt>{_e(label)}</dt><dd>{value}</dd>\n" for label, value in facts if value
    )
    partner_rows = []
    for link in partners:
        prow = data.p_by_id.get(link["ptce_id"])
        site = safe_url(prow.get("site_web")) if prow is not None else None
        label = _external(site, _text(link["ptce_nom"])) if site else _e(link["ptce_nom"])
        partner_rows.append(
            [
                label,
                _e(RELATION_LABELS[link["relation"]]),
                _e(km_fr(link.get("distance_km"))) if link["relation"] != "overlap" else "—",
                _e(PRECISION_LABELS.get(_text(link.get("ptce_precision")), "")),
            ]
        )
    sources = public_urls(row.get("sources"))
    sources_html = (
        '<ul class="sources">' + "".join(f"<li>{_external(u)}</li>" for u in sources) + "</ul>\n"
        if sources
        else "<p>Aucune source publique en ligne n'est citée pour ce territoire.</p>\n"
    )
    slug = _slug(tid)
    page_path = f"territoires/{slug}.html"
    permalink = (ctx.base_url or "") + page_path
    permalink_html = (
        f'<p>Lien permanent : <a href="{_href(permalink)}">{_e(permalink)}</a></p>\n'
        if ctx.base_url
        else f'<p>Lien permanent : <a href="{slug}.html">{_e(page_path)}</a></p>\n'
    )
    body = (
        f"<h1>{_e(name)}</h1>\n"
        f'<p class="lead">{sentence}</p>\n'
        + permalink_html
        + '<h2 id="fiche">Fiche du territoire</h2>\n'
        + f'<dl class="facts">\n{facts_html}</dl>\n'
        + '<h2 id="ptce">PTCE partenaires</h2>\n'
        + _table(
            f"PTCE à {ctx.radius_km:g} km ou moins : {name}",
            (("PTCE", False), ("Relation", False), ("Distance", True), ("Zone du PTCE", False)),
            partner_rows,
            empty=f"Aucun PTCE connu à {ctx.radius_km:g} km ou moins de ce territoire.",
        )
        + '<h2 id="carte">Carte</h2>\n'
        + _map_block(
            ctx,
            depth=1,
            src=f"cartes/france.html#territoire={quote(tid, safe='')}",
            title=f"Carte : {name} et les PTCE proches",
            heading_id="integrer",
        )
        + '<h2 id="sources">Sources</h2>\n'
        + sources_html
    )
    crumbs: list[tuple[str, str | None]] = [("Accueil", "index.html")]
    if region:
        crumbs.append((region_name, f"regions/{_slug(region)}.html"))
    crumbs.append((name, None))
    return _page(
        ctx,
        title=name,
        depth=1,
        body=body,
        crumbs=crumbs,
        description=f"{name} : territoire zéro chômeur, ses PTCE partenaires et ses sources.",
        canonical=page_path,
    )


# --------------------------------------------------------------------------- data files


def _public_frame(frame: gpd.GeoDataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """Return the public fields of a table, sources reduced to their links."""
    columns = [f for f in fields if f in frame.columns]
    table = pd.DataFrame(frame[columns]).copy()
    for column in columns:
        if column == "population":
            table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
        elif column == "sources":
            table[column] = table[column].map(lambda v: " | ".join(public_urls(v)))
        elif column == "site_web":
            table[column] = table[column].map(lambda v: safe_url(v) or "")
        else:
            table[column] = table[column].map(_text)
    return table


def _geojson_text(table: pd.DataFrame, geoms: np.ndarray) -> str:
    lines = []
    for (_, row), geom in zip(table.iterrows(), geoms, strict=True):
        geometry = None
        if isinstance(geom, shapely.Geometry) and not geom.is_empty:
            rounded = shapely.transform(geom, lambda xy: np.round(xy, _DECIMALS))
            geometry = json.loads(json.dumps(shapely.geometry.mapping(rounded)))
        props = {
            k: (None if pd.isna(v) else (int(v) if k == "population" else v))
            for k, v in row.items()
        }
        feature = {"type": "Feature", "properties": props, "geometry": geometry}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def _write_table(table: pd.DataFrame, path: Path, sheet: str) -> None:
    write_spreadsheet(table, path, sheet_name=sheet)


_DATA_FILES = (
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
)


def _write_data(out: Path, data: _Data, radius_km: float) -> dict[str, Path]:
    from geo.publish.umap import write_umap

    folder = out / "donnees"
    written: dict[str, Path] = {}
    territories = _public_frame(data.territories, field_names("territories", public=True))
    ptce = _public_frame(data.ptce, field_names("ptce", public=True))
    seats = data.ptce.geometry.values.to_numpy()
    seat_points = np.array(
        [
            (g if g.geom_type == "Point" else shapely.point_on_surface(g))
            if isinstance(g, shapely.Geometry) and not g.is_empty
            else None
            for g in seats
        ],
        dtype=object,
    )
    for name, table, geoms in (
        ("territoires", territories, data.territories.geometry.values.to_numpy()),
        ("ptce", ptce, seat_points),
    ):
        path = folder / f"{name}.geojson"
        with atomic_path(path) as tmp:
            tmp.write_text(_geojson_text(table, geoms), encoding="utf-8")
        written[path.name] = path
    ptce_csv = ptce.assign(
        longitude=[round(g.x, _DECIMALS) if g is not None else None for g in seat_points],
        latitude=[round(g.y, _DECIMALS) if g is not None else None for g in seat_points],
    )
    for name, table in (("territoires", territories), ("ptce", ptce_csv)):
        path = folder / f"{name}.csv"
        _write_table(table, path, name)
        written[path.name] = path
    for name, table in (
        ("synergies", data.synergies),
        ("opportunites", data.opportunities),
        ("opportunites-ptce", data.ptce_opportunities),
    ):
        for ext in (".csv", ".xlsx"):
            path = folder / f"{name}{ext}"
            _write_table(table, path, name[:31])
            written[path.name] = path
    path = folder / "evolution.csv"
    _write_table(data.timeline, path, "evolution")
    written[path.name] = path
    written["carte.umap"] = write_umap(
        folder / "carte.umap", data.territories, data.ptce, data.synergies, radius_km=radius_km
    )
    return written


def _data_page(ctx: _Context, data: _Data, files: dict[str, Path]) -> str:
    rows = []
    for name, what, fmt in _DATA_FILES:
        path = files[name]
        size = path.stat().st_size
        rows.append(
            [
                f'<a href="{_href(name)}" download>{_e(name)}</a>',
                _e(what),
                _e(fmt),
                _e(f"{size / 1024:.0f} Ko".replace(".", ",")),
            ]
        )
    n_t, n_p = len(data.territories), len(data.ptce)
    body = (
        "<h1>Données et sources</h1>\n"
        f'<p class="lead">Les {n_t} territoires et {n_p} PTCE de ce site, et leurs '
        f"{len(data.synergies)} paires, en téléchargement. Seuls les champs publics sont "
        "diffusés ; les sources sont les liens cités pour chaque ligne.</p>\n"
        '<h2 id="fichiers">Fichiers</h2>\n'
        + _table(
            "Fichiers téléchargeables",
            (("Fichier", False), ("Contenu", False), ("Format", False), ("Taille", True)),
            rows,
            empty="Aucun fichier.",
        )
        + '<h2 id="sources">Sources et millésimes</h2>\n'
        "<ul>\n"
        "<li>Territoires zéro chômeur de longue durée : textes d'habilitation (arrêtés et "
        "décrets), pages de TZCLD, du Fonds ETCLD et de la presse locale, citées sur chaque "
        "fiche.</li>\n"
        "<li>PTCE : lauréats des appels à projets et AMI de l'État, pages du Labo de l'ESS, "
        "d'Avise, de Coorace et des CRESS, citées pour chaque PTCE.</li>\n"
        f"<li>Limites des communes, populations municipales, EPCI et codes : IGN ADMIN EXPRESS "
        f"COG {_e(ctx.vintage)} et INSEE (Code officiel géographique {_e(ctx.vintage)}).</li>\n"
        f"<li>Paires : chevauchement des périmètres, ou distance de {ctx.radius_km:g} km au plus "
        "entre le siège du PTCE et le territoire, mesurée dans la projection légale de chaque "
        "zone (Lambert-93 en métropole).</li>\n"
        "</ul>\n"
        '<h2 id="licences">Licences</h2>\n'
        "<ul>\n"
        "<li>Limites et codes des communes : Licence Ouverte / Open Licence 2.0 (Etalab).</li>\n"
        "<li>Faits sur les territoires et les PTCE : publiés par les sources citées ; citez-les "
        "si vous réutilisez une ligne. La compilation n'a pas encore de licence propre.</li>\n"
        "<li>Fonds de carte : © les contributeurs d'OpenStreetMap (ODbL).</li>\n"
        "</ul>\n"
        '<h2 id="precision">Précision des périmètres</h2>\n'
        "<ul>\n"
        + "".join(
            f"<li><b>{_e(key)}</b> : {_e(label)}</li>\n" for key, label in PRECISION_LABELS.items()
        )
        + "</ul>\n"
    )
    return _page(
        ctx,
        title="Données et sources",
        depth=1,
        body=body,
        crumbs=(("Accueil", "index.html"), ("Données et sources", None)),
        description="Téléchargements, sources, millésimes et licences des données du site.",
        canonical="donnees/index.html",
    )


# --------------------------------------------------------------------------- maps


def _stable_ids(text: str, seen: dict[str, str]) -> str:
    """Replace the random element ids of a map file by ids numbered in order of appearance.

    ``seen`` carries the numbering from a page to its own ``.js`` and ``.css``.
    """

    def number_id(match: re.Match[str]) -> str:
        found = match.group(0)
        return seen.setdefault(found, f"{len(seen):0{len(found)}x}")

    return _RANDOM_ID.sub(number_id, text)


def _share_code(out: Path, pages: list[Path]) -> list[Path]:
    """Move the map pages' own ``.js``/``.css`` files to ``assets/``, one file per content.

    After :func:`_stable_ids` the pages load the same code: each distinct file
    is written once as ``assets/carte-<sha256 prefix>.<ext>`` (a new name when
    the code changes) and every page points to it.
    """
    import hashlib

    shared: dict[Path, str] = {}
    texts = {page: page.read_text(encoding="utf-8") for page in pages}
    for page in pages:
        for ext, attribute in ((".js", "src"), (".css", "href")):
            own = page.with_suffix(ext)
            reference = f'{attribute}="{quote(page.stem)}{ext}"'
            if not own.is_file() or reference not in texts[page]:
                continue
            code = own.read_text(encoding="utf-8")
            digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:12]
            target = out / "assets" / f"carte-{digest}{ext}"
            shared[target] = code
            relative = os.path.relpath(target, page.parent).replace(os.sep, "/")
            texts[page] = texts[page].replace(reference, f'{attribute}="{relative}"', 1)
            own.unlink()
    for page, text in texts.items():
        _write_page(page, text)
    return [_write_page(target, code) for target, code in sorted(shared.items())]


def _write_maps(
    out: Path,
    data: _Data,
    regions: dict[str, str],
    *,
    tiles: bool,
    offline: bool,
    assets_dir: str | os.PathLike[str] | None,
    separate_assets: bool,
) -> list[Path]:
    """Write the national map and one map per région (embed mode), with stable ids."""
    from geo.publish.maps import synergy_map, write_map

    jobs: list[tuple[Path, dict[str, Any]]] = [
        (out / "cartes" / "france.html", {"title": SITE_TITLE})
    ]
    for code, name in regions.items():
        jobs.append(
            (
                out / "cartes" / "regions" / f"{_slug(code)}.html",
                {"region": code, "title": f"{name} : territoires zéro chômeur et PTCE"},
            )
        )
    pages = []
    for path, options in jobs:
        m = synergy_map(
            data.territories, data.ptce, data.synergies, tiles=tiles, embed=True, **options
        )
        write_map(m, path, offline=offline, assets_dir=assets_dir, separate_assets=separate_assets)
        seen: dict[str, str] = {}
        for file in (path, path.with_suffix(".js"), path.with_suffix(".css")):
            if file == path or (separate_assets and file.is_file()):
                _write_page(file, _stable_ids(file.read_text(encoding="utf-8"), seen))
        pages.append(path)
    if separate_assets:
        return pages + _share_code(out, pages)
    return pages


# --------------------------------------------------------------------------- build


def _write_page(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def build_site(
    out_dir: str | os.PathLike[str],
    *,
    territories: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    ptce: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    synergies: pd.DataFrame | None = None,
    radius_km: float = 20.0,
    base_url: str | None = None,
    tiles: bool = True,
    offline: bool = False,
    assets_dir: str | os.PathLike[str] | None = None,
    separate_assets: bool = False,
) -> SiteReport:
    """Write the static site of territories, PTCE and synergies into ``out_dir``.

    Parameters
    ----------
    out_dir
        The site folder, created when missing. Files of a previous build that
        are no longer produced are removed (listed in ``.tzptce-site-manifest``);
        other files in the folder (a ``.git``, a CNAME...) are left alone.
    territories, ptce
        GeoDataFrames, or files for :func:`geo.load_territories` /
        :func:`geo.load_ptce`; the shipped data when omitted.
    synergies
        The pairs (:func:`geo.synergies`); computed with ``radius_km`` when
        ``None``.
    radius_km
        Proximity radius of the pairs.
    base_url
        The address where the site will be published
        (``"https://info-ptce.fr/carte/"``): used for the permalinks, the
        canonical links and the iframe snippets, which are relative to the
        site's root without it.
    tiles
        Draw the OpenStreetMap tile basemap on the maps (``False``: the
        département outlines only).
    offline, assets_dir
        Write map pages that load nothing from a CDN, with the local asset
        folder filled once by ``python -m geo assets fetch DIR``.
    separate_assets
        Map pages without inline script or style: their code goes to shared
        files under ``assets/`` (written once), so that the whole site can be
        served with ``Content-Security-Policy: script-src 'self'`` (plus the
        CDN hosts unless ``offline``).

    Returns
    -------
    SiteReport
        Counts and sizes of what was written (``str()`` gives a summary).

    Raises
    ------
    SchemaError
        Inputs without the required columns.
    CRSError
        Inputs without a CRS.
    ArgumentError
        A ``base_url`` that is not an absolute ``http(s)`` URL, or ``offline``
        without ``assets_dir``.

    Examples
    --------
    >>> report = build_site("site/")  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
    """
    if base_url is not None:
        if safe_url(base_url) is None:
            raise ArgumentError(
                f"base_url={base_url!r}: expected the absolute http(s) address of the site"
            )
        base_url = base_url if base_url.endswith("/") else base_url + "/"
    if offline and assets_dir is None:
        raise ArgumentError(
            "offline=True needs assets_dir=, a folder of the maps' JS/CSS files (fill it once, "
            "online, with: python -m geo assets fetch DIR)"
        )
    from geo.loading.entities import load_ptce, load_territories
    from geo.reference.cog import EMBEDDED_VINTAGE

    if not isinstance(territories, gpd.GeoDataFrame):
        territories = load_territories(territories)
    if not isinstance(ptce, gpd.GeoDataFrame):
        ptce = load_ptce(ptce)
    data = _prepare(territories, ptce, synergies, radius_km)
    regions = _region_names(data)
    ctx = _Context(base_url, float(radius_km), EMBEDDED_VINTAGE, regions)
    options = {
        "tiles": tiles,
        "offline": offline,
        "assets_dir": assets_dir,
        "separate_assets": separate_assets,
    }
    with staged_site(out_dir) as stage:
        report = _write_site(stage, Path(out_dir), ctx, data, regions, radius_km, options)
    return report


def _write_site(
    out: Path,
    final: Path,
    ctx: _Context,
    data: _Data,
    regions: dict[str, str],
    radius_km: float,
    options: dict[str, Any],
) -> SiteReport:
    """Write every file of the site into the empty folder ``out`` (swapped in as ``final``)."""
    written: list[Path] = []
    written.append(_write_page(out / "assets" / "site.css", static_text("site.css")))
    written.append(_write_page(out / "assets" / "site.js", static_text("site.js")))
    chart = _write_chart(out, data)
    if chart is not None:
        written.append(chart)
    files = _write_data(out, data, radius_km)
    written.extend(files.values())
    pages: list[Path] = [
        _write_page(out / "index.html", _index_page(ctx, data, chart is not None)),
        _write_page(out / "donnees" / "index.html", _data_page(ctx, data, files)),
    ]
    for code, name in regions.items():
        path = out / "regions" / f"{_slug(code)}.html"
        pages.append(_write_page(path, _region_page(ctx, data, code, name)))
    territory_pages = []
    for row in data.t_records:
        path = out / "territoires" / f"{_slug(row['id'])}.html"
        territory_pages.append(_write_page(path, _territory_page(ctx, data, row)))
    pages.extend(territory_pages)
    map_pages = _write_maps(out, data, regions, **options)
    written.extend(pages)
    written.extend(map_pages)
    write_manifest(out, written)

    sizes = {p: p.stat().st_size for p in written}
    html_pages = [p for p in written if p.suffix == ".html"]
    largest = max(html_pages, key=lambda p: sizes[p])
    largest_territory = max(territory_pages, key=lambda p: sizes[p], default=largest)
    return SiteReport(
        out_dir=final,
        files=len(written),
        total_bytes=sum(sizes.values()),
        pages=len(html_pages),
        largest_page=largest.relative_to(out).as_posix(),
        largest_page_bytes=sizes[largest],
        largest_territory_page=largest_territory.relative_to(out).as_posix(),
        largest_territory_page_bytes=sizes[largest_territory],
    )
