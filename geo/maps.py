"""Folium maps of TZCLD territories, PTCE and their synergies.

The only module that imports folium. :func:`synergy_map` draws, on one
Leaflet map, the territories (filled by statut), the PTCE (one clustered
point layer), the synergy links with their distances, optional radius rings
and light département outlines that serve as a basemap when tiles cannot
load; with a French legend, a search box, one-click overseas views, a
fullscreen button and a metric scale bar. :func:`write_map` writes the page
atomically, optionally as one self-contained file with every asset inlined.

Safety: every text that comes from data is HTML-escaped in Python before it
reaches the page, links are rendered only for ``http``/``https`` URLs, and
data reach JavaScript as JSON with ``<``, ``>``, ``&`` and ``'`` escaped.
Size: geometry is simplified with its topology kept, coordinates are rounded
to 5 decimals and only displayed properties are exported.

This module computes nothing about synergies itself (see :mod:`geo.analysis`)
and touches no network; :mod:`geo._assets` fetches assets on request.
"""

from __future__ import annotations

import datetime
import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xyzservices
from folium import plugins
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from . import _assets, _mapjs, settings
from ._io import atomic_path, read_checked_parquet, write_checked_parquet
from ._text import closest
from .areas import in_area
from .cog import EMBEDDED_VINTAGE
from .cog import register as register_cache
from .crs import WGS84
from .errors import ArgumentError, CRSError, SchemaError

__all__ = [
    "departement_map",
    "make_map",
    "national_map",
    "region_map",
    "synergy_map",
    "territory_map",
    "write_map",
]

# --------------------------------------------------------------------------- styles

#: French labels and colours of territory statuts.
STATUTS = {
    "TH": ("Territoire habilité (TH)", "#d95f02"),
    "PE": ("Projet émergent (PE)", "#7570b3"),
}
_OTHER_STATUT = ("autre statut", "#777777")
_APPROX_TERRITORY = ("infra-communal", "epci")

#: French labels and colours of PTCE area-of-action precisions.
PTCE_PRECISIONS = {
    "communes": ("zone d'action connue par communes", "#1f78b4"),
    "epci": ("zone d'action connue par EPCI", "#33a02c"),
    "departement": ("zone d'action départementale", "#6a3d9a"),
    "siege": ("seule la commune du siège est connue", "#e7298a"),
    "inconnu": ("zone d'action inconnue", "#8c8c8c"),
}

#: French labels and line styles of synergy relations.
RELATIONS = {
    "overlap": ("chevauchement", "#c51b29", 3.5, None),
    "adjacent": ("communes voisines", "#f08c00", 3.0, "8 5"),
    "near": ("à proximité", "#555555", 2.0, "2 6"),
}

_PRECISION_LABELS = {
    "communes": "communes",
    "infra-communal": "infra-communal (quartiers) : contour approximatif",
    "epci": "EPCI : contour approximatif",
    "inconnu": "inconnue",
    "siege": "commune du siège seulement",
    "departement": "département",
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

_TOLERANCE = {"national": 0.004, "region": 0.0015, "territory": 0.0003}
_DEP_TOLERANCE = {"national": 0.015, "region": 0.004, "territory": 0.002}
_CLUSTER_MIN = 25
_MAX_COMMUNES_LISTED = 15

_TERRITORY_COLUMNS = ("id", "nom", "statut")
_PTCE_COLUMNS = ("id", "nom")
_SYNERGY_COLUMNS = ("territory_id", "ptce_id", "relation")

#: Dissolved département polygons by vintage, and their simplified outlines by
#: (vintage, tolerance); both hold only the default communes' results.
_DISSOLVED_MEMORY: dict[str, gpd.GeoDataFrame] = {}
_OUTLINES_MEMORY: dict[tuple[str, float], gpd.GeoDataFrame] = {}
register_cache(_DISSOLVED_MEMORY.clear)
register_cache(_OUTLINES_MEMORY.clear)

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


# --------------------------------------------------------------------------- folium classes


class _Map(folium.Map):
    """A folium map that loads Leaflet only (no jQuery, Bootstrap, icon fonts)."""

    default_js = [("leaflet", _assets.LEAFLET_JS)]  # noqa: RUF012 (folium's own attribute)
    default_css = [("leaflet_css", _assets.LEAFLET_CSS)]  # noqa: RUF012


class _Fullscreen(plugins.Fullscreen):
    """folium's fullscreen button, its assets taken from :mod:`geo._assets`."""

    default_js = [("Control.Fullscreen.js", _assets.FULLSCREEN_JS)]  # noqa: RUF012
    default_css = [("Control.FullScreen.css", _assets.FULLSCREEN_CSS)]  # noqa: RUF012


class _Runtime(folium.MacroElement):
    """The page's shared JavaScript helpers and CSS (static, no data)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        {% macro script(this, kwargs) %}{{ this.js }}{% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "GeoTzptceRuntime"
        self.css = _mapjs.CSS
        self.js = _mapjs.RUNTIME_JS


class _DataLayer(JSCSSMixin, Layer):
    """A GeoJSON layer whose popups and tooltips were escaped in Python."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoTzptce.layer({{ this.map_name }},
            {{ this.data_js }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: dict[str, Any],
        *,
        name: str,
        styles: Mapping[str, Mapping[str, Any]],
        map_name: str,
        cluster: bool = False,
        ring_m: float | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True)
        self._name = "GeoTzptceLayer"
        self.map_name = map_name
        self.data_js = _js(data)
        options: dict[str, Any] = {"styles": styles}
        if cluster:
            options["cluster"] = {
                "showCoverageOnHover": False,
                "maxClusterRadius": 40,
                "disableClusteringAtZoom": 11,
            }
            self.default_js = [("markercluster", _assets.CLUSTER_JS)]
            self.default_css = [
                ("markerclustercss", _assets.CLUSTER_CSS[0]),
                ("markerclusterdefaultcss", _assets.CLUSTER_CSS[1]),
            ]
        if ring_m:
            options["ringM"] = ring_m
        self.options_js = _js(options)


class _Control(folium.MacroElement):
    """Search box, overseas views and legend (static labels, escaped data)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        geoTzptce.search({{ this.map_name }}, {{ this.entries_js }}, {{ this.search_js }});
        geoTzptce.views({{ this.map_name }}, {{ this.views_js }});
        geoTzptce.legend({{ this.map_name }}, {{ this.legend_js }});
        {% if this.scale %}L.control.scale({imperial: false}).addTo({{ this.map_name }});
        {% endif %}
        {% if this.notiles %}{{ this.map_name }}.getContainer().classList.add("geo-notiles");
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self, map_name: str, entries: list[list[str]], legend: str, *, notiles: bool, scale: bool
    ) -> None:
        super().__init__()
        self._name = "GeoTzptceControls"
        self.map_name = map_name
        self.entries_js = _js(entries)
        self.search_js = _js(
            {
                "placeholder": "Rechercher un territoire, un PTCE, une commune",
                "none": "Aucun résultat",
            }
        )
        self.views_js = _js(
            [[label, title, [list(sw), list(ne)]] for label, title, (sw, ne) in OVERSEAS_VIEWS]
        )
        self.legend_js = _js(legend)
        self.notiles = notiles
        self.scale = scale


# --------------------------------------------------------------------------- helpers


def _js(value: Any) -> str:
    """JSON for a ``<script>`` block: no ``</script>``, no HTML comment, no line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def _text(value: Any) -> str:
    """Return a cell as stripped text; ``""`` for missing values."""
    if value is None:
        return ""
    if isinstance(value, float) and not np.isfinite(value):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def _esc(value: Any) -> str:
    return html.escape(_text(value), quote=True)


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
    url = _text(value)
    if not url or not _BAD_URL_CHARS.isdisjoint(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _link(url: Any, label: str | None = None) -> str:
    """Return an escaped ``<a>`` for an http(s) URL, the escaped text otherwise."""
    good = safe_url(url)
    if good is None:
        return _esc(url)
    text = label if label is not None else (urlsplit(good).netloc or good)
    return (
        f'<a href="{html.escape(good, quote=True)}" target="_blank" '
        f'rel="noopener noreferrer">{html.escape(text, quote=True)}</a>'
    )


def _split(value: Any, sep: str) -> list[str]:
    return [part.strip() for part in _text(value).split(sep) if part.strip()]


def _urls(value: Any) -> list[str]:
    text = _text(value)
    for sep in (" | ", " ; ", "|", ";"):
        if sep in text:
            return _split(text, sep)
    return [text] if text else []


def _km(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    if not np.isfinite(number):
        return ""
    return f"{number:.1f}".replace(".", ",") + " km"


_ISO_DATE = re.compile(r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?")


def _date_fr(value: Any) -> str:
    """Write a date ``dd/mm/yyyy`` at the precision given, by pattern only (no parsing).

    ``2023`` stays ``2023``, ``2023-07`` is ``07/2023``, ``2023-07-01`` is
    ``01/07/2023``, ``01/07/2023`` is kept; anything else is returned as text.
    """
    if isinstance(value, (pd.Timestamp, datetime.date)) and not pd.isna(value):
        return value.strftime("%d/%m/%Y")
    text = _text(value)
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return text
    year, month, day = match["y"], match["m"], match["d"]
    if (month and not 1 <= int(month) <= 12) or (day and not 1 <= int(day) <= 31):
        return text
    return "/".join(part for part in (day, month, year) if part)


def _population(value: Any) -> str:
    """Write a population with a narrow no-break space every three digits; ``""`` when unusable."""
    text = _text(value)
    if not text:
        return ""
    try:
        number = float(text)
        return f"{int(number):,}".replace(",", "\u202f")
    except ValueError:  # text, or nan
        return "" if text.lower() == "nan" else html.escape(text)
    except OverflowError:  # inf, 1e999
        return ""


def _row(label: str, value_html: str) -> str:
    return f"<p><b>{html.escape(label)} :</b> {value_html}</p>" if value_html else ""


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


def _round_geometry(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, 5))


def _simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify polygons; shared edges stay shared when they form a valid coverage."""
    if len(geoms) == 0 or tolerance <= 0:
        return _round_geometry(geoms)
    present = _present(geoms)
    out = geoms.copy()
    subset = geoms[present]
    try:
        coverage_ok = bool(shapely.coverage_is_valid(subset))
    except shapely.errors.GEOSException:
        coverage_ok = False
    if coverage_ok:
        simplified = shapely.coverage_simplify(subset, tolerance)
    else:
        simplified = shapely.simplify(subset, tolerance, preserve_topology=True)
    simplified = shapely.make_valid(_round_geometry(simplified))
    # rounding can leave slivers as GeometryCollections: keep the polygonal part
    polygonal = shapely.get_type_id(simplified) == 7
    if polygonal.any():
        simplified[polygonal] = [
            shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type.endswith("Polygon")])
            for g in simplified[polygonal]
        ]
    out[present] = simplified
    return out


def _features(geoms: np.ndarray, props: list[dict[str, Any]]) -> dict[str, Any]:
    features = []
    for geom, prop in zip(geoms, props, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        features.append(
            {"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": prop}
        )
    return {"type": "FeatureCollection", "features": features}


def _present(geoms: np.ndarray) -> np.ndarray:
    """Mask of the geometries that are present and not empty."""
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _located(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep the rows whose geometry is present and not empty."""
    return gdf[_present(gdf.geometry.values.to_numpy())]


def _seats(ptce: gpd.GeoDataFrame) -> np.ndarray:
    """One point per located PTCE (its seat; a point on the surface of an area)."""
    return shapely.point_on_surface(_located(ptce).geometry.values.to_numpy())


# --------------------------------------------------------------------------- département outlines


def _departement_outlines(
    communes: gpd.GeoDataFrame | None, tolerance: float, box: Any = None
) -> gpd.GeoDataFrame:
    """Simplified département polygons, optionally only those meeting ``box``."""
    key = (settings.vintage, tolerance)
    if communes is None and box is None and key in _OUTLINES_MEMORY:
        return _OUTLINES_MEMORY[key]
    table = _departements_dissolved(communes)
    if box is not None:
        table = table[table.intersects(box)]
    min_area = 20 * tolerance**2
    cleaned = np.array([_drop_specks(g, min_area) for g in table.geometry.values], dtype=object)
    simplified = _simplify(cleaned, tolerance)
    out = gpd.GeoDataFrame(
        {"departement": table["departement"].to_numpy()}, geometry=list(simplified), crs=WGS84
    )
    if communes is None and box is None:
        _OUTLINES_MEMORY[key] = out
    return out


def _departements_dissolved(communes: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Département polygons dissolved from communes (cached when loaded here)."""
    if communes is not None:
        return _dissolve_departements(communes)
    cached = _DISSOLVED_MEMORY.get(settings.vintage)
    if cached is not None:
        return cached
    path = settings.default_cache_dir() / f"departements-cog{EMBEDDED_VINTAGE}.parquet"
    table = read_checked_parquet(path)
    if table is None:
        from .communes import load_communes

        table = _dissolve_departements(load_communes())
        write_checked_parquet(table, path)
    _DISSOLVED_MEMORY[settings.vintage] = table
    return table


def _dissolve_departements(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    communes = _as_wgs84(communes, "communes")
    if "type" in communes.columns:
        communes = communes[communes["type"].fillna("COM") == "COM"]
    communes = _located(communes)
    geoms = communes.geometry.values.to_numpy()
    codes, parts = [], []
    for dep, idx in communes.groupby("departement").indices.items():
        try:
            merged = shapely.coverage_union_all(geoms[idx])
        except shapely.errors.GEOSException:  # a few touching communes overlap slightly
            merged = shapely.union_all(shapely.make_valid(geoms[idx]), grid_size=1e-7)
        codes.append(str(dep))
        parts.append(merged)
    return gpd.GeoDataFrame({"departement": codes}, geometry=parts, crs=WGS84)


def _drop_specks(geom: Any, min_area: float) -> Any:
    """Remove holes and islands smaller than ``min_area`` (slivers between communes)."""
    polygons = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.area < min_area:
            continue
        holes = [r for r in part.interiors if shapely.Polygon(r).area >= min_area]
        polygons.append(shapely.Polygon(part.exterior, holes))
    return shapely.MultiPolygon(polygons) if polygons else geom


# --------------------------------------------------------------------------- popups


def _territory_popup(row: pd.Series, links: pd.DataFrame, ptce_names: Mapping[str, str]) -> str:
    statut = _text(row.get("statut"))
    communes = _split(row.get("communes"), ";")
    shown = ", ".join(html.escape(c) for c in communes[:_MAX_COMMUNES_LISTED])
    if len(communes) > _MAX_COMMUNES_LISTED:
        shown += f" et {len(communes) - _MAX_COMMUNES_LISTED} autres"
    parts = [
        f'<div class="geo-popup"><h4>{_esc(row.get("nom"))}</h4>',
        _row("Statut", html.escape(STATUTS.get(statut, (statut, ""))[0])),
        _row("Département", _esc(row.get("departement"))),
        _row("Communes", shown),
        _row("Quartiers", _esc(row.get("sous_zone"))),
        _row("EPCI", _esc(row.get("epci_nom"))),
        _row(
            "Précision du contour",
            html.escape(
                _PRECISION_LABELS.get(_text(row.get("precision")), _text(row.get("precision")))
            ),
        ),
        _row("Population", _population(row.get("population"))),
        _row("EBE", _esc(row.get("ebe"))),
        _row("Date d'habilitation", html.escape(_date_fr(row.get("date_habilitation")))),
        _row("Texte", _esc(row.get("texte_legal"))),
        _synergy_list(links, "ptce_id", ptce_names, "PTCE en synergie"),
        _row("Sources", ", ".join(_link(u) for u in _urls(row.get("sources")))),
        "</div>",
    ]
    return "".join(parts)


def _ptce_popup(row: pd.Series, links: pd.DataFrame, territory_names: Mapping[str, str]) -> str:
    precision = _text(row.get("precision"))
    themes = _text(row.get("thematiques"))
    parts = [
        f'<div class="geo-popup"><h4>{_esc(row.get("nom"))}</h4>',
        "<p>Pôle territorial de coopération économique (PTCE)</p>",
        _row("Porteur", _esc(row.get("porteur"))),
        _row("Siège", _esc(row.get("siege_commune"))),
        _row("Zone d'action", _esc(row.get("zone_action"))),
        _row("Précision", html.escape(PTCE_PRECISIONS.get(precision, (precision, ""))[0])),
        _row("Thématiques", html.escape(themes)),
        _row("Soutien de l'État", _esc(row.get("soutien_etat"))),
        _row("Site web", _link(row.get("site_web"), _text(row.get("site_web")) or None)),
        _synergy_list(links, "territory_id", territory_names, "Territoires en synergie"),
        _row("Sources", ", ".join(_link(u) for u in _urls(row.get("sources")))),
        "</div>",
    ]
    return "".join(parts)


def _synergy_list(links: pd.DataFrame, other: str, names: Mapping[str, str], title: str) -> str:
    if links.empty:
        return f"<p><b>{html.escape(title)} :</b> aucun</p>"
    items = []
    for _, link in links.sort_values("_order").iterrows():
        name = names.get(str(link[other]), str(link[other]))
        items.append(f"<li>{html.escape(name)} — {html.escape(_link_text(link))}</li>")
    return f"<p><b>{html.escape(title)} :</b></p><ul>{''.join(items)}</ul>"


def _link_text(link: pd.Series) -> str:
    label = RELATIONS.get(_text(link.get("relation")), (_text(link.get("relation")),))[0]
    bits = [label]
    distance = _km(link.get("distance_km"))
    if distance and _text(link.get("relation")) != "overlap":
        bits.append(f"à {distance}")
    seat = _km(link.get("seat_distance_km"))
    if seat:
        bits.append(f"siège à {seat}")
    shared = len(_split(link.get("shared_communes"), ";"))
    if shared:
        bits.append(f"{shared} commune{'s' if shared > 1 else ''} en commun")
    share = link.get("overlap_share_pct")
    try:
        if share is not None and np.isfinite(float(share)) and float(share) > 0:
            bits.append(f"{float(share):.0f} % du territoire".replace(".", ","))
    except (TypeError, ValueError):
        pass
    text = ", ".join(bits)
    if _text(link.get("approximate")).lower() in ("true", "1"):
        text += " (approximatif)"
    return text


# --------------------------------------------------------------------------- legend


def _count(drawn: int, total: int) -> str:
    return str(total) if drawn == total else f"{drawn} sur {total} localisés"


def _line_swatch(color: str, weight: float, dash: str | None, opacity: float = 0.9) -> str:
    """Draw a short line like the map's links (same colour, width and dashes)."""
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        '<svg width="24" height="10" aria-hidden="true">'
        f'<line x1="1" y1="5" x2="23" y2="5" stroke="{color}" stroke-width="{weight}" '
        f'stroke-opacity="{opacity}"{dashes}/></svg>'
    )


def _legend(
    title: str,
    *,
    territories: Iterable[str],
    ptce: Iterable[str],
    links: Iterable[str],
    totals: tuple[int, int],
    radius_km: float,
    ring_km: float | None,
    communes: bool,
    territory_focus: bool,
) -> str:
    """Return the legend's HTML: only the entries of what is drawn (style keys given).

    ``territories``, ``ptce`` and ``links`` are the style keys of the drawn
    features (``"~"`` marks the approximate ones); ``totals`` the numbers of
    territories and PTCE selected, located or not.
    """

    def sw(color: str, *, border: str = "#333", dash: bool = False, fill: bool = True) -> str:
        style = f"border:2px {'dashed' if dash else 'solid'} {border};"
        style += f"background:{color if fill else 'transparent'}"
        return f'<i style="{style}"></i>'

    t_keys, p_keys, l_keys = list(territories), list(ptce), list(links)
    radius = html.escape(_km(radius_km))
    lines = [f"<details open><summary>{html.escape(title)}</summary>"]
    lines.append(f"<h4>Territoires zéro chômeur ({_count(len(t_keys), totals[0])})</h4>")
    statuts = {k.rstrip("~") for k in t_keys}
    for code, (label, color) in [*STATUTS.items(), ("X", _OTHER_STATUT)]:
        if code in statuts:
            lines.append(f"{sw(color + 'aa', border=color)}{html.escape(label)}<br>")
    if any(k.endswith("~") for k in t_keys):
        lines.append(
            f"{sw('#ffffff', border='#555', dash=True)}contour approximatif (quartiers, EPCI)<br>"
        )
    lines.append(f"<h4>PTCE ({_count(len(p_keys), totals[1])})</h4>")
    if not p_keys and territory_focus:
        lines.append(f"aucun PTCE à moins de {radius}<br>")
    for code, (label, color) in PTCE_PRECISIONS.items():
        if code in p_keys:
            lines.append(f'<i class="dot" style="background:{color}"></i>{html.escape(label)}<br>')
    if p_keys:
        lines.append("point : siège du PTCE<br>")
    if len(t_keys) < totals[0] or len(p_keys) < totals[1]:
        lines.append(
            '<span class="geo-note">non localisés : voir <code>python -m geo data report</code>'
            "</span><br>"
        )
    lines.append("<h4>Liens de synergie (siège – territoire)</h4>")
    relations = {k.rstrip("~") for k in l_keys}
    for code, (label, color, weight, dash) in RELATIONS.items():
        if code in relations:
            lines.append(f"{_line_swatch(color, weight, dash)}{html.escape(label)}<br>")
    if any(k.endswith("~") for k in l_keys):
        lines.append(f"{_line_swatch('#555555', 2.5, None, 0.45)}trait pâle : approximatif<br>")
    if l_keys:
        lines.append(f"distance ≤ {radius} ; survoler un lien pour la distance<br>")
    else:
        lines.append(f"aucun lien (distance ≤ {radius})<br>")
    if ring_km is not None:
        ring = sw("transparent", border="#1f78b4", fill=False)
        lines.append(f"{ring}rayon de {html.escape(_km(ring_km))} autour des PTCE<br>")
    if communes:
        lines.append(f"{sw('transparent', border='#222', fill=False)}communes du territoire<br>")
    lines.append(f"{sw('#f7f5ef', border='#8a8a8a')}départements<br>")
    lines.append("</details>")
    return "".join(lines)


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
    title: str = "Territoires zéro chômeur et PTCE",
) -> folium.Map:
    """Draw territories, PTCE and their synergy links on a Folium map.

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
        An existing map to draw on (layers stack); a new one otherwise.
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
        or its name (``"OpenStreetMap.Mapnik"``; CartoDB now needs an API key).
    title
        Page title and legend heading.

    Returns
    -------
    folium.Map
        ``m`` or the new map, with a layer control, legend, search box,
        overseas views, fullscreen button and metric scale bar.

    Raises
    ------
    SchemaError
        Missing columns, or a ``focus`` that matches nothing.
    CRSError
        Inputs without a CRS.

    Examples
    --------
    >>> m = synergy_map(geo.load_territories(), geo.load_ptce())  # doctest: +SKIP
    >>> write_map(m, "maps/synergies.html")  # doctest: +SKIP
    """
    problems = _require(territories, _TERRITORY_COLUMNS, "territories")
    problems += _require(ptce, _PTCE_COLUMNS, "ptce")
    if synergies is not None:
        problems += _require(synergies, _SYNERGY_COLUMNS, "synergies")
    if problems:
        raise SchemaError("cannot draw the synergy map: " + "; ".join(problems), problems)
    kind, value = _parse_focus(focus, region, departement, territory)
    territories = _as_wgs84(territories, "territories")
    ptce = _as_wgs84(ptce, "ptce")
    if synergies is None:
        from .analysis import synergies as compute_synergies

        synergies = compute_synergies(
            territories, ptce, radius_km=20.0 if radius_km is None else radius_km
        )
    link_km = _radius_of(synergies, 20.0 if radius_km is None else radius_km)
    ring_km = link_km if radius_km is None else float(radius_km)
    links = _prepare_links(synergies)

    territories = territories.assign(id=territories["id"].map(_text))
    ptce = ptce.assign(id=ptce["id"].map(_text))
    t_sel, p_sel, scale = _select(territories, ptce, links, kind, value)
    links = links[links["territory_id"].isin(t_sel) & links["ptce_id"].isin(p_sel)]
    t_show = territories[territories["id"].isin(t_sel)]
    p_show = ptce[ptce["id"].isin(p_sel)]

    if m is None:
        m = _Map(
            location=(46.6, 2.4),
            zoom_start=6,
            tiles=None,
            control_scale=False,
            prefer_canvas=False,
        )
        m.get_root().title = html.escape(title)
    # one metric scale bar (folium's own one shows miles too)
    add_scale = bool(getattr(m, "control_scale", False)) or not getattr(m, "_geo_scale", False)
    m.control_scale = False
    m._geo_scale = True  # type: ignore[attr-defined]
    map_name = m.get_name()
    m.add_child(_Runtime())
    tile_layer = _tile_layer(tiles)
    if tile_layer is not None:
        m.add_child(tile_layer)
    if offline_assets is not None:
        m._geo_assets_dir = Path(offline_assets)  # type: ignore[attr-defined]

    focus_codes = []
    if kind == "territory":
        focus_codes = _split(t_show["codes_insee"].iloc[0], ";") if "codes_insee" in t_show else []
    bounds = _bounds(t_show, p_show, kind)
    _add_departements(m, map_name, communes, scale, bounds, filled=tile_layer is None)
    t_names = dict(zip(territories["id"], territories["nom"].map(_text), strict=True))
    p_names = dict(zip(ptce["id"], ptce["nom"].map(_text), strict=True))
    t_keys = _add_territories(m, map_name, t_show, links, p_names, scale)
    if focus_codes:
        _add_focus_communes(m, map_name, communes, focus_codes, f"t:{value}")
    p_keys = _add_ptce(m, map_name, p_show, links, t_names)
    l_keys = _add_links(m, map_name, links, t_show, p_show, t_names, p_names)
    if rings:
        _add_rings(m, map_name, p_show, ring_km)

    entries = _search_entries(t_show, p_show)
    legend = _legend(
        title,
        territories=t_keys,
        ptce=p_keys,
        links=l_keys,
        totals=(len(t_show), len(p_show)),
        radius_km=link_km,
        ring_km=ring_km if rings else None,
        communes=bool(focus_codes),
        territory_focus=kind == "territory",
    )
    m.add_child(_Control(map_name, entries, legend, notiles=tile_layer is None, scale=add_scale))
    _Fullscreen(
        position="topleft", title="Plein écran", title_cancel="Quitter le plein écran"
    ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if bounds is not None:
        m.fit_bounds(bounds)
    return m


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


def _select(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    links: pd.DataFrame,
    kind: str,
    value: str | None,
) -> tuple[set[str], set[str], str]:
    if kind == "national":
        return set(territories["id"]), set(ptce["id"]), "national"
    if kind == "territory":
        hit = territories["id"] == value
        if not hit.any():
            close = closest(str(value), territories["id"])
            hint = f"; did you mean {close}?" if close else " (see the id column of territories)"
            raise ArgumentError(f"focus: no territory with id {value!r}{hint}")
        t_sel = {value}
        p_sel = set(links.loc[links["territory_id"] == value, "ptce_id"])
        return t_sel, p_sel & set(ptce["id"]), "territory"
    columns = ("region", "region_nom") if kind == "region" else ("departement",)
    t_hit = territories["id"][in_area(territories, **{kind: value})]
    p_hit = ptce["id"][in_area(ptce, **{kind: value})]
    if t_hit.empty and p_hit.empty:
        label = "région" if kind == "region" else "département"
        raise ArgumentError(
            f"focus: no territory or PTCE in {label} {value!r}; use the INSEE code "
            f"(e.g. {'11' if kind == 'region' else '78, 2A, 974'}) as in the {columns[0]} column"
        )
    t_sel, p_sel = set(t_hit), set(p_hit)
    linked = links[links["territory_id"].isin(t_sel) | links["ptce_id"].isin(p_sel)]
    return t_sel | set(linked["territory_id"]), p_sel | set(linked["ptce_id"]), "region"


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


def _tile_layer(tiles: bool | str | xyzservices.TileProvider) -> folium.TileLayer | None:
    if tiles is False or tiles is None:
        return None
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
    else:
        provider = tiles
    return folium.TileLayer(tiles=provider, name=f"Fond de carte {provider.name}", overlay=False)


def _add_departements(
    m: folium.Map,
    map_name: str,
    communes: gpd.GeoDataFrame | None,
    scale: str,
    bounds: list[list[float]] | None,
    *,
    filled: bool,
) -> None:
    box = None
    if scale != "national" and bounds is not None:
        (s, w), (n, e) = bounds
        pad_x, pad_y = max(e - w, 0.3), max(n - s, 0.3)
        box = shapely.box(w - pad_x, s - pad_y, e + pad_x, n + pad_y)
    outlines = _departement_outlines(communes, _DEP_TOLERANCE[scale], box)
    props = [{"s": "d"} for _ in range(len(outlines))]
    style = {
        "color": "#8a8a8a",
        "weight": 0.8,
        "fill": filled,
        "fillColor": "#f7f5ef",
        "fillOpacity": 1 if filled else 0,
        "interactive": False,
        "className": "geo-departement",
    }
    data = _features(outlines.geometry.values.to_numpy(), props)
    m.add_child(_DataLayer(data, name="Départements", styles={"d": style}, map_name=map_name))


def _add_territories(
    m: folium.Map,
    map_name: str,
    t_show: gpd.GeoDataFrame,
    links: pd.DataFrame,
    p_names: Mapping[str, str],
    scale: str,
) -> list[str]:
    """Draw the located territories; return their style keys."""
    t_show = _located(t_show)
    geoms = _simplify(t_show.geometry.values.to_numpy(), _TOLERANCE[scale])
    by_territory = dict(tuple(links.groupby("territory_id"))) if len(links) else {}
    empty = links.iloc[0:0]
    props = []
    for _, row in t_show.iterrows():
        statut = _text(row.get("statut"))
        approx = _text(row.get("precision")) in _APPROX_TERRITORY
        style_key = ("TH" if statut == "TH" else "PE" if statut == "PE" else "X") + (
            "~" if approx else ""
        )
        popup = _territory_popup(row, by_territory.get(row["id"], empty), p_names)
        tip = f"<b>{_esc(row.get('nom'))}</b> ({html.escape(statut)})"
        props.append({"s": style_key, "key": f"t:{row['id']}", "popup": popup, "tip": tip})
    styles = {}
    for code, (_, color) in [*STATUTS.items(), ("X", _OTHER_STATUT)]:
        base = {
            "color": color,
            "weight": 2,
            "fillColor": color,
            "fillOpacity": 0.35,
            "className": "geo-territory",
        }
        styles[code] = base
        styles[code + "~"] = {**base, "dashArray": "6 4", "fillOpacity": 0.2}
    data = _features(geoms, props)
    m.add_child(
        _DataLayer(data, name="Territoires zéro chômeur (TZ)", styles=styles, map_name=map_name)
    )
    return [f["properties"]["s"] for f in data["features"]]


def _add_focus_communes(
    m: folium.Map,
    map_name: str,
    communes: gpd.GeoDataFrame | None,
    codes: list[str],
    territory_key: str,
) -> None:
    """Outline the focused territory's communes; a click opens the territory's popup."""
    if communes is None:
        from .communes import load_communes

        table = load_communes(codes=codes, types=("COM", "ARM"))
    else:
        table = _as_wgs84(communes, "communes")
        table = table[table["code_insee"].astype(str).isin(codes)]
    if table.empty:
        return
    geoms = _simplify(table.geometry.values.to_numpy(), _TOLERANCE["territory"])
    props = [
        {
            "s": "c",
            "tip": f"{_esc(row.get('nom'))} ({_esc(row.get('code_insee'))})",
            "open": territory_key,
        }
        for _, row in table.iterrows()
    ]
    style = {
        "color": "#222222",
        "weight": 1.2,
        "fill": True,
        "fillOpacity": 0,
        "className": "geo-commune",
    }
    m.add_child(
        _DataLayer(
            _features(geoms, props),
            name="Communes du territoire",
            styles={"c": style},
            map_name=map_name,
        )
    )


def _add_ptce(
    m: folium.Map,
    map_name: str,
    p_show: gpd.GeoDataFrame,
    links: pd.DataFrame,
    t_names: Mapping[str, str],
) -> list[str]:
    """Draw the located PTCE at their seats; return their style keys."""
    points = _seats(p_show)
    p_show = _located(p_show)
    by_ptce = dict(tuple(links.groupby("ptce_id"))) if len(links) else {}
    empty = links.iloc[0:0]
    props = []
    for _, row in p_show.iterrows():
        precision = _text(row.get("precision"))
        popup = _ptce_popup(row, by_ptce.get(row["id"], empty), t_names)
        tip = f"<b>{_esc(row.get('nom'))}</b> (PTCE)"
        key = precision if precision in PTCE_PRECISIONS else "inconnu"
        props.append({"s": key, "key": f"p:{row['id']}", "popup": popup, "tip": tip})
    styles = {
        k: {"fillColor": color, "className": "geo-ptce"}
        for k, (_, color) in PTCE_PRECISIONS.items()
    }
    data = _features(_round_geometry(points), props)
    count = len(data["features"])
    m.add_child(
        _DataLayer(
            data,
            name="PTCE (siège)",
            styles=styles,
            map_name=map_name,
            cluster=count >= _CLUSTER_MIN,
        )
    )
    return [f["properties"]["s"] for f in data["features"]]


def _add_links(
    m: folium.Map,
    map_name: str,
    links: pd.DataFrame,
    t_show: gpd.GeoDataFrame,
    p_show: gpd.GeoDataFrame,
    t_names: Mapping[str, str],
    p_names: Mapping[str, str],
) -> list[str]:
    """Draw a line from each PTCE seat to its territory; return the style keys."""
    t_located = _located(t_show)
    t_point = dict(
        zip(
            t_located["id"],
            shapely.point_on_surface(t_located.geometry.values.to_numpy()),
            strict=True,
        )
    )
    p_point = dict(zip(_located(p_show)["id"], _seats(p_show), strict=True))
    lines, props = [], []
    for _, link in links.sort_values("_order", ascending=False).iterrows():
        target, seat = t_point.get(link["territory_id"]), p_point.get(link["ptce_id"])
        if target is None or seat is None:
            continue
        lines.append(shapely.LineString([seat, target]))
        relation = link["relation"] if link["relation"] in RELATIONS else "near"
        approx = _text(link.get("approximate")).lower() in ("true", "1")
        tip = (
            f"<b>{html.escape(p_names.get(link['ptce_id'], ''))}</b> ↔ "
            f"<b>{html.escape(t_names.get(link['territory_id'], ''))}</b><br>"
            f"{html.escape(_link_text(link))}"
        )
        props.append({"s": relation + ("~" if approx else ""), "tip": tip})
    styles = {}
    for code, (_, color, weight, dash) in RELATIONS.items():
        base = {"color": color, "weight": weight, "opacity": 0.9, "className": "geo-link"}
        if dash:
            base["dashArray"] = dash
        styles[code] = base
        styles[code + "~"] = {**base, "opacity": 0.55}
    data = _features(_round_geometry(np.array(lines, dtype=object)), props)
    m.add_child(_DataLayer(data, name="Liens de synergie", styles=styles, map_name=map_name))
    return [prop["s"] for prop in props]


def _add_rings(m: folium.Map, map_name: str, p_show: gpd.GeoDataFrame, radius_km: float) -> None:
    points = _round_geometry(_seats(p_show))
    props = [{"s": "r"} for _ in range(len(points))]
    style = {
        "color": "#1f78b4",
        "weight": 1,
        "fill": False,
        "interactive": False,
        "className": "geo-ring",
    }
    m.add_child(
        _DataLayer(
            _features(points, props),
            name=f"Rayon de {_km(radius_km)} autour des PTCE",
            styles={"r": style},
            map_name=map_name,
            ring_m=float(radius_km) * 1000,
        )
    )


def _search_entries(t_show: gpd.GeoDataFrame, p_show: gpd.GeoDataFrame) -> list[list[str]]:
    entries: list[list[str]] = []
    t_drawn, p_drawn = _located(t_show), _located(p_show)
    for _, row in t_drawn.iterrows():
        statut = _text(row.get("statut"))
        entries.append([_text(row.get("nom")), f"territoire {statut}".strip(), f"t:{row['id']}"])
    for _, row in p_drawn.iterrows():
        entries.append([_text(row.get("nom")), "PTCE", f"p:{row['id']}"])
    for _, row in t_drawn.iterrows():
        for commune in _split(row.get("communes"), ";"):
            entries.append([commune, f"commune de {_text(row.get('nom'))}", f"t:{row['id']}"])
    for _, row in p_drawn.iterrows():
        seat = _text(row.get("siege_commune"))
        if seat:
            entries.append([seat, f"siège de {_text(row.get('nom'))}", f"p:{row['id']}"])
    return entries


# --------------------------------------------------------------------------- shortcuts


def national_map(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, **kwargs: Any
) -> folium.Map:
    """Draw the whole of France (mainland view, overseas one click away).

    Keyword arguments are those of :func:`synergy_map`.
    """
    return synergy_map(territories, ptce, **kwargs)


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
) -> Path:
    """Write a map as an HTML page, atomically.

    Parameters
    ----------
    m
        A map from :func:`synergy_map` (or any folium map).
    path
        Target ``.html`` file; its directory is created when missing.
    offline
        Inline every JavaScript and CSS asset so that the single file works
        with no network (tiles excepted: the département outlines remain).
    assets_dir
        Local asset directory for ``offline`` (see
        :func:`geo._assets.fetch_assets`); defaults to the map's
        ``offline_assets``.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    DataSourceError
        ``offline`` and assets missing from ``assets_dir``.
    SchemaError
        ``offline`` without any asset directory.
    """
    page = m.get_root().render()
    if offline:
        directory = assets_dir if assets_dir is not None else getattr(m, "_geo_assets_dir", None)
        if directory is None:
            raise ArgumentError(
                "write_map(offline=True) needs assets_dir=: a directory filled once with "
                "geo._assets.fetch_assets(dir) while online"
            )
        page = _assets.inline_assets(page, directory)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
        os.chmod(tmp, 0o644)  # a web page: readable by the web server, like a plain write
    return path


def make_map(
    path: str | os.PathLike[str],
    *,
    territories: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    ptce: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    region: str | None = None,
    departement: str | None = None,
    territory: str | None = None,
    radius_km: float = 20,
    rings: bool = False,
    tiles: bool | str = True,
    offline: bool = False,
    assets_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Load territories and PTCE, draw the synergy map and write it.

    The one call behind ``python -m geo map``.

    Parameters
    ----------
    path
        Target ``.html`` file.
    territories, ptce
        A file for :func:`geo.load_territories` / :func:`geo.load_ptce`, or a
        GeoDataFrame; the shipped data when omitted.
    region, departement, territory
        Focus (at most one); the whole of France when none is given.
    radius_km, rings, tiles
        As for :func:`synergy_map`.
    offline, assets_dir
        As for :func:`write_map`.

    Returns
    -------
    Path
        The written file.
    """
    from .entities import load_ptce, load_territories

    if not isinstance(territories, gpd.GeoDataFrame):
        territories = load_territories(territories)
    if not isinstance(ptce, gpd.GeoDataFrame):
        ptce = load_ptce(ptce)
    title = "Territoires zéro chômeur et PTCE"
    if territory:
        hit = territories.loc[territories["id"].map(_text) == str(territory).strip(), "nom"]
        if len(hit):
            title = f"{_text(hit.iloc[0])} : PTCE et synergies"
    m = synergy_map(
        territories,
        ptce,
        region=region,
        departement=departement,
        territory=territory,
        radius_km=radius_km,
        rings=rings,
        tiles=tiles,
        title=title,
    )
    return write_map(m, path, offline=offline, assets_dir=assets_dir)
