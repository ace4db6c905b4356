"""Synergy maps of TZCLD territories and PTCE: the data table and the page.

:func:`synergy_map` turns the territories, the PTCE and their synergy links
into **one compact data table** (:func:`map_data`): public fields only,
simplified geometry rounded to 5 decimals, display texts as plain strings.
The page's static JavaScript (``geo/publish/static/map.js``) builds everything a visitor
sees from that table in the browser: territory perimeters and symbols, PTCE
points (clustered when many), links, the details panel, tooltips, the search
box, filters, the list view and the legend, with ``textContent`` and DOM
calls only.

Safety: data reach the page only through :func:`geo.publish.pagedata.json_block`
(JSON with ``< > & { } % # '`` as unicode escapes), added to the folium page as
raw fragments that no template engine renders (see :mod:`geo.publish.foliummap`).
Links are made only for ``http``/``https`` URLs (:func:`safe_url`, checked
again in the browser).

This module computes nothing about synergies itself (see :mod:`geo.analysis.synergies`),
loads no data files except the département outlines' cache, and touches no
network. folium is imported only when a folium map is made or written.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._core.files import atomic_path
from geo.crs import WGS84
from geo.errors import ArgumentError, CRSError, SchemaError
from geo.publish import assets as _assets
from geo.publish import page as _mappage
from geo.publish import pagedata as _pagedata
from geo.publish.area import area_view
from geo.publish.frtext import DEFAULT_TITLE, left_out_fr
from geo.publish.frtext import text as _text
from geo.publish.maptables import (
    MAX_LINKS,
    PTCE_PRECISIONS,
    TOLERANCE,
    geometry_json,
    link_table,
    ptce_table,
    split,
    territory_table,
)
from geo.reference.cog import EMBEDDED_VINTAGE
from geo.reference.outlines import departement_outlines, is_present, simplify_polygons
from geo.schema import field_names

if TYPE_CHECKING:
    import folium
    import xyzservices

__all__ = [
    "departement_map",
    "map_data",
    "map_page",
    "region_map",
    "synergy_map",
    "territory_map",
    "write_map",
    "write_page",
]

# --------------------------------------------------------------------------- styles

#: French labels, colours (Okabe-Ito, safe for colour-blind readers) and
#: symbol shapes of territory statuts; the shape is the second channel.
STATUTS = {
    "TH": ("Territoire habilité (TH)", "#D55E00", "square"),
    "PE": ("Projet émergent (PE)", "#0072B2", "triangle"),
}
_OTHER_STATUT = ("autre statut", "#666666", "diamond")

_PTCE_COLOR = "#6A3D9A"

#: French labels and line styles (colour, width, dashes) of synergy relations.
RELATIONS = {
    "overlap": ("chevauchement", "#000000", 3.5, None),
    "adjacent": ("communes voisines", "#B35C00", 3.0, "8 5"),
    "near": ("à proximité", "#555555", 2.0, "2 6"),
}


#: One-click views: label, title, [[south, west], [north, east]].
OVERSEAS_VIEWS: tuple[tuple[str, str, tuple[tuple[float, float], tuple[float, float]]], ...] = (
    ("Métropole", "France métropolitaine et Corse", ((41.3, -5.2), (51.1, 9.6))),
    ("Guadeloupe", "Guadeloupe", ((15.83, -61.81), (16.52, -61.0))),
    ("Martinique", "Martinique", ((14.38, -61.24), (14.89, -60.8))),
    ("Guyane", "Guyane", ((2.1, -54.61), (5.78, -51.6))),
    ("La Réunion", "La Réunion", ((-21.39, 55.21), (-20.87, 55.84))),
    ("Mayotte", "Mayotte", ((-13.01, 44.98), (-12.63, 45.31))),
)

_DEP_TOLERANCE = {"national": 0.015, "region": 0.004, "territory": 0.002}
_CLUSTER_MIN = 25
#: Title of a national map; a région, département or territory map adds its area.

_CANVAS_MIN = 2000

_SYNERGY_COLUMNS = ("territory_id", "ptce_id", "relation")


def _km(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    if not np.isfinite(number):
        return ""
    return f"{number:.1f}".replace(".", ",") + " km"


def _require(gdf: Any, columns: Iterable[str], what: str) -> list[str]:
    if not isinstance(gdf, pd.DataFrame):
        return [f"{what} must be a (Geo)DataFrame, got {type(gdf).__name__}"]
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        return [f"{what} lacks columns {missing} (see geo.load_{what}())"]
    return []


def _as_wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise CRSError(
            f"{what} have no CRS: declare it with .set_crs('EPSG:4326') for longitude/latitude "
            "(or the CRS they are really in) before drawing the map"
        )
    return gdf.to_crs(WGS84) if not gdf.crs.equals(WGS84) else gdf


def _located(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep the rows whose geometry is present and not empty."""
    return gdf[is_present(gdf.geometry.values.to_numpy())]


def _seats(ptce: gpd.GeoDataFrame) -> np.ndarray:
    """One point per located PTCE (its seat; a point on the surface of an area)."""
    return shapely.point_on_surface(_located(ptce).geometry.values.to_numpy())


# --------------------------------------------------------------------------- focus


def _parse_focus(
    focus: str | None, region: str | None, departement: str | None, territory: str | None
) -> tuple[str, str | None]:
    given = [
        (k, v)
        for k, v in (("region", region), ("departement", departement), ("territory", territory))
        if v
    ]
    if focus and given:
        raise ArgumentError(
            f"focus={focus!r} and {given[0][0]}={given[0][1]!r} both given: pass only one of them"
        )
    if len(given) > 1:
        raise ArgumentError(
            f"only one of region=, departement=, territory= may be given, got {dict(given)}"
        )
    if given:
        return given[0][0], str(given[0][1]).strip()
    if not focus:
        return "national", None
    kind, sep, value = str(focus).partition(":")
    kind = {"région": "region", "département": "departement", "territoire": "territory"}.get(
        kind, kind
    )
    if not sep or kind not in ("region", "departement", "territory") or not value.strip():
        raise ArgumentError(
            f"focus={focus!r} is not understood: use 'region:<code or name>', "
            "'departement:<code>' or 'territory:<id>'"
        )
    return kind, value.strip()


def _radius_of(synergies: pd.DataFrame, default: float) -> float:
    """Return the radius ``synergies`` were computed with (``attrs``), else ``default``."""
    try:
        radius = float(synergies.attrs.get("radius_km", default))
    except (TypeError, ValueError):
        return float(default)
    return radius if np.isfinite(radius) and radius >= 0 else float(default)


def _prepare_links(synergies: pd.DataFrame) -> pd.DataFrame:
    """Links as text ids, sorted overlap, adjacent, near, then by distance when known."""
    links = pd.DataFrame(synergies).copy()
    for column in _SYNERGY_COLUMNS:
        links[column] = links[column].map(_text)
    order = {"overlap": 0, "adjacent": 1, "near": 2}
    rank = links["relation"].map(order).fillna(3).astype(float) * 1e6
    if "distance_km" in links.columns:
        rank += pd.to_numeric(links["distance_km"], errors="coerce").fillna(0).to_numpy()
    links["_order"] = rank
    return links.reset_index(drop=True)


def _bounds(
    t_show: gpd.GeoDataFrame, p_show: gpd.GeoDataFrame, kind: str
) -> list[list[float]] | None:
    if kind == "national":
        return [list(OVERSEAS_VIEWS[0][2][0]), list(OVERSEAS_VIEWS[0][2][1])]
    geoms = [*_located(t_show).geometry, *_located(p_show).geometry]
    if not geoms:
        return None
    minx, miny, maxx, maxy = shapely.bounds(shapely.union_all(geoms)).tolist()
    # at least ~15 km across, so that the surroundings show around a small territory
    half = 0.07
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    minx, maxx = min(minx, cx - half), max(maxx, cx + half)
    miny, maxy = min(miny, cy - half / 1.5), max(maxy, cy + half / 1.5)
    return [[miny, minx], [maxy, maxx]]


# --------------------------------------------------------------------------- the data table


def _tiles_config(tiles: Any) -> dict[str, Any] | None:
    """Return the tile layer's URL template, attribution and zoom range, or ``None``."""
    if tiles is False or tiles is None:
        return None
    import xyzservices

    if tiles is True:
        provider = xyzservices.providers.OpenStreetMap.France
    elif isinstance(tiles, str):
        try:
            provider = xyzservices.providers.query_name(tiles)
        except ValueError as exc:
            raise ArgumentError(
                f"tiles={tiles!r} is not an xyzservices provider name; try "
                "'OpenStreetMap.France' or 'OpenStreetMap.Mapnik'"
            ) from exc
    elif isinstance(tiles, xyzservices.TileProvider):
        provider = tiles
    else:
        raise ArgumentError(
            f"tiles={tiles!r}: give True, False, an xyzservices provider or its name"
        )
    return {
        "url": provider.build_url(fill_subdomain=False),
        "name": f"Fond de carte {provider.name}",
        "attribution": _text(provider.get("attribution")),
        "subdomains": provider.get("subdomains", "abc"),
        "maxZoom": int(provider.get("max_zoom", 19)),
    }


def _admin_names() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Département names, their région codes and région names, by INSEE code."""
    from geo.reference.cog import departements, regions

    deps, regs = departements(), regions()
    return (
        dict(zip(deps["code"], deps["nom"], strict=True)),
        dict(zip(deps["code"], deps["region"].fillna(""), strict=True)),
        dict(zip(regs["code"], regs["nom"], strict=True)),
    )


def _popup_columns(
    popup_columns: Sequence[str] | str | None,
    territories: pd.DataFrame,
    ptce: pd.DataFrame,
) -> list[str]:
    if popup_columns is None:
        return []
    columns = [popup_columns] if isinstance(popup_columns, str) else list(popup_columns)
    known = (set(territories.columns) | set(ptce.columns)) - {"geometry"}
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ArgumentError(
            f"popup_columns={unknown} not found in territories or ptce; columns available: "
            f"{sorted(map(str, known))}"
        )
    return list(dict.fromkeys(str(c) for c in columns))


def _isin(column: pd.Series, values: set[str]) -> np.ndarray:
    """Mask of the cells in ``values`` (a set lookup; pandas' isin is slow on text)."""
    return np.fromiter((v in values for v in column.tolist()), bool, len(column))


def _outline_table(
    communes: gpd.GeoDataFrame | None, scale: str, bounds: list[list[float]] | None
) -> list[list[Any]]:
    box = None
    if scale != "national" and bounds is not None:
        (s, w), (n, e) = bounds
        pad_x, pad_y = max(e - w, 0.3), max(n - s, 0.3)
        box = shapely.box(w - pad_x, s - pad_y, e + pad_x, n + pad_y)
    outlines = departement_outlines(tolerance=_DEP_TOLERANCE[scale], communes=communes, box=box)
    return [
        [str(code), geom]
        for code, geom in zip(
            outlines["departement"].tolist(),
            (geometry_json(g) for g in outlines.geometry.values.to_numpy()),
            strict=True,
        )
        if geom is not None
    ]


def _commune_table(communes: gpd.GeoDataFrame | None, codes: list[str]) -> list[list[Any]]:
    """Return the focused territory's communes as ``[name, INSEE code, geometry]``."""
    if not codes:
        return []
    if communes is None:
        from geo.reference.communes import load_communes

        table = load_communes(codes=codes, types=("COM", "ARM"))
    else:
        table = _as_wgs84(communes, "communes")
        table = table[table["code_insee"].astype(str).isin(codes)]
    if table.empty:
        return []
    geoms = simplify_polygons(table.geometry.values.to_numpy(), TOLERANCE["territory"])
    return [
        [_text(nom), _text(code), geometry_json(geom)]
        for nom, code, geom in zip(
            table["nom"].tolist(), table["code_insee"].tolist(), geoms, strict=True
        )
    ]


def _legend_labels() -> dict[str, Any]:
    return {
        "statuts": {k: list(v) for k, v in STATUTS.items()},
        "other": list(_OTHER_STATUT),
        "precisions": {k: list(v) for k, v in PTCE_PRECISIONS.items()},
        "ptceColor": _PTCE_COLOR,
        "relations": {k: list(v) for k, v in RELATIONS.items()},
    }


def _check_columns(
    territories: pd.DataFrame, ptce: pd.DataFrame, synergies: pd.DataFrame | None
) -> None:
    """Raise :class:`SchemaError` naming every required column the inputs lack."""
    problems = _require(territories, field_names("territories", required=True), "territories")
    problems += _require(ptce, field_names("ptce", required=True), "ptce")
    if synergies is not None:
        problems += _require(synergies, _SYNERGY_COLUMNS, "synergies")
    if problems:
        raise SchemaError("cannot draw the synergy map: " + "; ".join(problems), problems)


def _links_and_radii(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None,
    radius_km: float | None,
) -> tuple[pd.DataFrame, float, float]:
    """Return the links to draw (computed within 20 km when not given) and their radii.

    The radius of the links is the one they were computed with; the rings'
    is ``radius_km`` when given, else the links' radius.
    """
    if synergies is None:
        from geo.analysis.synergies import synergies as compute_synergies

        synergies = compute_synergies(
            territories, ptce, radius_km=20.0 if radius_km is None else radius_km, geometry=False
        )
    link_km = _radius_of(synergies, 20.0 if radius_km is None else radius_km)
    ring_km = link_km if radius_km is None else float(radius_km)
    return _prepare_links(synergies), link_km, ring_km


def _focus_codes(t_show: pd.DataFrame, kind: str) -> list[str]:
    """Return the INSEE codes of the focused territory's communes (none for other maps)."""
    if kind == "territory" and "codes_insee" in t_show:
        return split(t_show["codes_insee"].iloc[0], ";")
    return []


def _credit(communes: gpd.GeoDataFrame | None) -> str | None:
    """Return what the map credits beside the tiles: the boundaries of geo.load_communes."""
    if communes is None or "geometry_source" in communes.columns:
        return f"Contours : IGN ADMIN EXPRESS COG {EMBEDDED_VINTAGE}, INSEE"
    return None


def map_data(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    communes: gpd.GeoDataFrame | None = None,
    focus: str | None = None,
    region: str | None = None,
    departement: str | None = None,
    territory: str | None = None,
    radius_km: float | None = None,
    rings: bool = False,
    tiles: bool | str | xyzservices.TileProvider = True,
    title: str = DEFAULT_TITLE,
    embed: bool = False,
    popup_columns: Sequence[str] | str | None = None,
) -> dict[str, Any]:
    """Return the data table a synergy map page is built from.

    Parameters are those of :func:`synergy_map`. The table holds public
    fields only (plus ``popup_columns``), display texts as plain strings and
    simplified geometry; :func:`geo.publish.pagedata.page_json` serialises it.

    Returns
    -------
    dict
        JSON-compatible: ``t`` (territories) and ``p`` (PTCE) as
        ``{"cols": [...], "rows": [[...], ...]}``, ``l`` (links as row
        numbers), ``d`` (département outlines), ``c`` (communes of a focused
        territory), and the title, focus, bounds, radii, tiles and labels.

    Raises
    ------
    SchemaError
        Missing columns.
    ArgumentError
        A ``focus`` that matches nothing, unknown ``popup_columns`` or tiles.
    CRSError
        Inputs without a CRS.
    """
    _check_columns(territories, ptce, synergies)
    kind, value = _parse_focus(focus, region, departement, territory)
    extra = _popup_columns(popup_columns, territories, ptce)
    tiles_config = _tiles_config(tiles)
    territories = _as_wgs84(territories, "territories")
    ptce = _as_wgs84(ptce, "ptce")
    links, link_km, ring_km = _links_and_radii(territories, ptce, synergies, radius_km)

    territories = territories.assign(id=territories["id"].map(_text))
    ptce = ptce.assign(id=ptce["id"].map(_text))
    view = area_view(
        territories,
        ptce,
        links,
        region=value if kind == "region" else None,
        departement=value if kind == "departement" else None,
        territory=value if kind == "territory" else None,
    )
    t_sel, p_sel = set(view.territory_ids), set(view.ptce_ids)
    scale = kind if kind in ("national", "territory") else "region"
    links = view.links
    if title == DEFAULT_TITLE:  # a région or département map is titled with its area
        title = view.title(title)
    t_show = territories[_isin(territories["id"], t_sel)]
    p_show = ptce[_isin(ptce["id"], p_sel)]
    bounds = _bounds(t_show, p_show, kind)
    admin = _admin_names()
    t_table = territory_table(t_show, scale, extra, admin)
    p_table = ptce_table(p_show, extra, admin)
    n_features = len(t_table["rows"]) + len(p_table["rows"]) + len(links)
    return {
        "version": 1,
        "title": _text(title),
        "leftOut": left_out_fr(len(view.stopped_ids)),  # the blocked PE, not drawn
        "kind": kind,
        "focus": f"t:{value}" if kind == "territory" else None,
        "bounds": bounds,
        "views": [[label, name, [list(sw), list(ne)]] for label, name, (sw, ne) in OVERSEAS_VIEWS],
        "radiusKm": link_km,
        "ringKm": ring_km if rings else None,
        "tiles": tiles_config,
        "embed": bool(embed),
        "credit": _credit(communes),
        "cluster": len(p_table["rows"]) >= _CLUSTER_MIN,
        "canvas": n_features >= _CANVAS_MIN,
        "labels": _legend_labels(),
        "departements": [[code, name] for code, name in admin[0].items()],
        "regions": [[code, name] for code, name in admin[2].items()],
        "t": t_table,
        "p": p_table,
        "l": link_table(links, [r[0] for r in t_table["rows"]], [r[0] for r in p_table["rows"]]),
        "linksTotal": len(links),
        "linksPerTerritory": MAX_LINKS,
        "d": _outline_table(communes, scale, bounds),
        "c": _commune_table(communes, _focus_codes(t_show, kind)),
    }


# --------------------------------------------------------------------------- main entry


def synergy_map(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    m: folium.Map | None = None,
    communes: gpd.GeoDataFrame | None = None,
    focus: str | None = None,
    region: str | None = None,
    departement: str | None = None,
    territory: str | None = None,
    radius_km: float | None = None,
    rings: bool = False,
    offline_assets: str | os.PathLike[str] | None = None,
    tiles: bool | str | xyzservices.TileProvider = True,
    title: str = DEFAULT_TITLE,
    embed: bool = False,
    popup_columns: Sequence[str] | str | None = None,
) -> folium.Map:
    """Draw territories, PTCE and their synergy links on a Folium map.

    The page shows, beside the map, a search box, filters (statut, région,
    département, relation, PTCE theme and State support) and a list of every
    territory and PTCE drawn (the map's text alternative); selecting a
    feature opens its details in a panel (a bottom sheet on phones). Every
    text from the data is shown literally: it reaches the page as one JSON
    data table and is written with ``textContent`` in the browser.

    Parameters
    ----------
    territories
        TZ territories (schema of :func:`geo.load_territories`): at least
        ``id``, ``nom``, ``statut`` and a geometry, with a CRS.
    ptce
        PTCE (schema of :func:`geo.load_ptce`): at least ``id``, ``nom`` and
        a Point geometry (the seat), with a CRS.
    synergies
        Result of :func:`geo.synergies` (at least ``territory_id``,
        ``ptce_id``, ``relation``); computed with ``radius_km`` when ``None``.
    m
        An existing folium map to draw on (layers stack); a new one otherwise.
    communes
        Commune boundaries (schema of :func:`geo.load_communes`) for the
        département outlines and the communes of a focused territory;
        :func:`geo.load_communes` (cached) when ``None``.
    focus
        ``None`` (whole of France), ``"region:<INSEE code or name>"``,
        ``"departement:<code>"`` or ``"territory:<id>"``.
    region, departement, territory
        The same as ``focus``, as separate parameters; give at most one.
    radius_km
        Radius of the rings, and of the synergy computation when
        ``synergies`` is ``None`` (20 km by default). The legend states the
        radius the synergies were computed with (``synergies.attrs
        ["radius_km"]``, set by :func:`geo.synergies`).
    rings
        Add a layer of ``radius_km`` circles around the PTCE seats.
    offline_assets
        Asset directory remembered on the map: :func:`write_map` with
        ``offline=True`` inlines from it when no ``assets_dir`` is given.
    tiles
        ``True`` for OpenStreetMap France (French labels), ``False`` for none
        (the département outlines are the basemap), an xyzservices provider
        or its name (``"OpenStreetMap.Mapnik"``). When tiles fail to load the
        shipped outlines still show land and sea.
    title
        Page title and legend heading.
    embed
        For an ``<iframe>`` on another site: the wheel and one-finger swipes
        scroll the host page until the map is activated (click, tap or
        focus), and a link opens the map full screen.
    popup_columns
        Extra columns (of either table) to show in the details, e.g.
        ``["vague"]``; shown literally like every other field.

    Returns
    -------
    folium.Map
        ``m`` or the new map.

    Raises
    ------
    SchemaError
        Missing columns.
    ArgumentError
        A ``focus`` that matches nothing, unknown ``popup_columns`` or tiles.
    CRSError
        Inputs without a CRS.

    Examples
    --------
    >>> m = synergy_map(geo.load_territories(), geo.load_ptce())  # doctest: +SKIP
    >>> write_map(m, "maps/synergies.html")  # doctest: +SKIP
    """
    from geo.publish import foliummap as _mapfolium

    data = map_data(
        territories,
        ptce,
        synergies,
        communes=communes,
        focus=focus,
        region=region,
        departement=departement,
        territory=territory,
        radius_km=radius_km,
        rings=rings,
        tiles=tiles,
        title=title,
        embed=embed,
        popup_columns=popup_columns,
    )
    if m is None:
        m = _mapfolium.Map(location=(46.6, 2.4), zoom_start=6, tiles=None, zoom_control=False)
        m.get_root().title = _pagedata.html_text(data["title"])  # type: ignore[attr-defined]
    figure = _mapfolium.page_figure(m)
    if getattr(m, "control_scale", False):
        m.control_scale = False  # the page adds one metric scale bar itself
    if offline_assets is not None:
        m._geo_assets_dir = Path(offline_assets)  # type: ignore[attr-defined]
    data_id = f"geo-data-{secrets.token_hex(6)}"
    element = _mapfolium.PageElement(
        m.get_name(),
        _mappage.head_fragments(data_id, data),
        _mappage.start_script(m.get_name(), data_id),
        _mappage.body_fragments(data_id, data),
    )
    element._geo_data = data  # type: ignore[attr-defined]
    m.add_child(element)
    del figure
    return m


def map_tables(m: folium.Map) -> list[dict[str, Any]]:
    """Return the data tables drawn on ``m`` by :func:`synergy_map`, in order."""
    return [
        child._geo_data  # type: ignore[attr-defined]
        for child in m._children.values()
        if getattr(child, "_geo_data", None) is not None
    ]


# --------------------------------------------------------------------------- shortcuts


def region_map(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, region: str, **kwargs: Any
) -> folium.Map:
    """Draw one région (INSEE code or name) and the PTCE/territories linked to it.

    Keyword arguments are those of :func:`synergy_map`.
    """
    return synergy_map(territories, ptce, region=region, **kwargs)


def departement_map(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, departement: str, **kwargs: Any
) -> folium.Map:
    """Draw one département and the PTCE/territories linked to it.

    Keyword arguments are those of :func:`synergy_map`.
    """
    return synergy_map(territories, ptce, departement=departement, **kwargs)


def territory_map(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, territory: str, **kwargs: Any
) -> folium.Map:
    """Zoom on one territory: its communes outlined, the PTCE around it and the links.

    Keyword arguments are those of :func:`synergy_map`.
    """
    return synergy_map(territories, ptce, territory=territory, **kwargs)


# --------------------------------------------------------------------------- output


def write_map(
    m: folium.Map,
    path: str | os.PathLike[str],
    *,
    offline: bool = False,
    assets_dir: str | os.PathLike[str] | None = None,
    separate_assets: bool = False,
) -> Path:
    """Write a map as an HTML page, atomically.

    Parameters
    ----------
    m
        A map from :func:`synergy_map` (or any folium map).
    path
        Target ``.html`` file; its directory is created when missing.
    offline
        Inline every CDN JavaScript and CSS asset so that the single file
        works with no network (tiles excepted: the département outlines
        remain), those of the folium layers you added included. Assets
        missing from the asset directory are fetched into it first
        (:func:`geo.publish.assets.complete_assets`), unless offline mode
        is on.
    assets_dir
        Local asset directory for ``offline`` (see
        :func:`geo.publish.assets.fetch_assets`); defaults to the map's
        ``offline_assets``.
    separate_assets
        Write the page's own JavaScript and CSS as ``<name>.js`` and
        ``<name>.css`` next to the page, which then holds no inline script
        or style (serve it with ``Content-Security-Policy: script-src
        'self'``, plus the CDN hosts unless ``offline``).

    Returns
    -------
    Path
        The written page.

    Raises
    ------
    DataSourceError
        ``offline`` and assets missing from ``assets_dir`` that cannot be
        fetched (offline mode, network failure): the message names each URL
        and the ``python -m geo assets fetch`` command that fetches them.
    ArgumentError
        ``offline`` without any asset directory.
    """
    directory = assets_dir if assets_dir is not None else getattr(m, "_geo_assets_dir", None)
    return write_page(
        m.get_root().render(),
        path,
        offline=offline,
        assets_dir=directory,
        separate_assets=separate_assets,
    )


def map_page(data: dict[str, Any]) -> str:
    """Return the HTML page of one data table from :func:`map_data`, without folium.

    What ``python -m geo map`` writes: the same page as a
    :func:`synergy_map` map, with no folium or template engine involved.
    """
    return _mappage.render_page(data, f"geo-data-{secrets.token_hex(6)}")


def write_page(
    page: str,
    path: str | os.PathLike[str],
    *,
    offline: bool = False,
    assets_dir: str | os.PathLike[str] | None = None,
    separate_assets: bool = False,
) -> Path:
    """Write a rendered map page atomically; options as for :func:`write_map`.

    Parameters
    ----------
    page
        The page's HTML (:func:`map_page`, or a rendered folium map).
    path
        Target ``.html`` file; its directory is created when missing.
    offline, assets_dir, separate_assets
        As for :func:`write_map` (``assets_dir`` is required with ``offline``).

    Returns
    -------
    Path
        The written page.
    """
    if offline:
        if assets_dir is None:
            raise ArgumentError(
                "write_map(offline=True) needs assets_dir=: a directory filled once with "
                "geo.publish.assets.fetch_assets(dir) while online"
            )
        _assets.complete_assets(page, assets_dir)  # what the user's own layers load too
        page = _assets.inline_assets(page, assets_dir)
    path = Path(path)
    files: dict[Path, str] = {}
    if separate_assets:
        from urllib.parse import quote

        page, js, css = _mappage.split_assets(page, quote(path.stem))
        files = {path.with_suffix(".js"): js, path.with_suffix(".css"): css}
    files[path] = page
    for target, text in files.items():
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o644)  # a web page: readable by the web server, like a plain write
    return path
