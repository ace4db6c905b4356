"""Export territories, PTCE and their synergy links as a uMap file (``.umap``).

uMap (https://umap.openstreetmap.fr, also run as Framacarte) imports a whole map from one
JSON document: a ``"type": "umap"`` object with the map options (``properties``), its
default centre (``geometry``, a GeoJSON Point) and its data layers (``layers``), each a
GeoJSON FeatureCollection whose ``_umap_options`` hold the layer's name, caption text and
style, or a ``remoteData`` address from which uMap reads the layer's features. This module
writes that document for uMap 3.8 (``umap/static/umap/js/modules/app.js``: ``importRaw``;
``data/layer.js``; ``schema.js``; ``filters.js``; ``rendering/template.js``; ``utils.js``:
``greedyTemplate``, ``toHTML``).

What a visitor gets:

- **a first view where the data is**: ``defaultView: "center"`` with a centre and a zoom
  computed here so that the data fit a 1100 x 700 pixel map (a 1280 x 800 window less uMap's
  bars): metropolitan France for a national export (the overseas territories are in the same
  layers, listed in the data browser, and the caption says so), the area's own territories
  and PTCE for a région or a département, the territory and its partners with a margin for a
  territory. (uMap's ``"data"`` view fits every feature, overseas included, with no margin.)
- **a legend in the layers**: one layer per territory statut, the PTCE, and one layer per
  kind of link (chevauchement, contiguïté, proximité), each with its own colour *and* dash
  pattern or symbol, and a caption sentence saying what it shows. Layers are written in the
  reverse of their reading order, since uMap lists the last imported layer first. Strokes
  are drawn at full opacity (uMap's default is 0.5) in colours with a contrast of at least
  3:1 on the land colour of uMap's default background.
- **filters and fields of uMap 3.8** (``filters``/``fields``, not the legacy ``facetKey``):
  "Catégorie" and "Région", two properties every feature has (no "[vide]" choice that hides
  the PTCE or the links); ``population`` and ``distance_km`` typed as numbers.

Data is text in uMap too. uMap renders a popup by resolving ``{field}`` placeholders in the
feature's ``description``, then turning line starts, ``**``, ``[[...]]``, ``{{...}}``,
``{{{...}}}`` and bare ``http(s)://`` text into HTML, then parsing the result as HTML
(DOMPurify keeps ``a``, ``img``, ``iframe``). The popup template written here shows only
``description``, which this module builds: its structure (headings, bold labels, links to
the sources) is uMap syntax written by the export, and every value from the data goes
through :func:`umap_text`, which writes every character that is not a letter, a digit or a
space as an HTML character reference. None of uMap's patterns matches such text (they all
need literal punctuation), and the HTML parser turns the references back into the very
characters typed. Links are built only from ``http(s)`` URLs, percent-encoded so that they
cannot leave uMap's link syntax. The raw fields stay as feature properties (for the data
browser, filters, sorting and downloads), where uMap shows them as text.

Updating a published map without duplicates: uMap's import panel only adds layers for this
format. :func:`write_umap` with ``data_url=`` writes the layers' features to GeoJSON files
next to the ``.umap`` file (``carte-th.geojson``...), and the ``.umap`` file's layers read
them from ``data_url`` (uMap's remote data). Import that ``.umap`` once; publishing new
files at the same address updates the map.

Only public fields (``geo.schema.field_names(table, public=True)``) leave the library, typed
for uMap from the schema (``int`` fields as numbers); sources are kept as their
``http(s)`` links only. Output is deterministic: same data, same bytes.

This module computes no synergy itself (:mod:`geo.analysis.synergies` does) and draws
nothing.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._core.files import atomic_path
from geo.crs import WGS84, ZONES
from geo.errors import ArgumentError, CRSError, SchemaError
from geo.publish.area import area_view
from geo.publish.frtext import (
    DEFAULT_TITLE,
    PRECISION_LABELS,
    RELATION_LABELS,
    STATUT_LABELS,
    date_fr,
    km_fr,
    number,
    population_text,
    public_urls,
    relation_fr,
    safe_url,
)
from geo.publish.frtext import text as _text
from geo.schema import field_names

__all__ = [
    "UMAP_LAYERS",
    "UmapLayer",
    "make_umap",
    "to_umap",
    "umap_json",
    "umap_layer_paths",
    "umap_link",
    "umap_text",
    "write_umap",
]


@dataclass(frozen=True)
class UmapLayer:
    """How one layer of the export looks and what its caption says.

    Attributes
    ----------
    name
        Layer name (uMap lists it, with a swatch of its style, as the legend).
    file
        Suffix of its GeoJSON file when written for remote data.
    color
        Stroke (and fill) colour: contrast >= 3:1 on uMap's default background.
    dash
        SVG dash pattern (``""``: continuous), the second channel besides colour.
    weight
        Stroke width in pixels.
    caption
        What the layer shows, in French (its description in uMap's caption).
    """

    name: str
    file: str
    color: str
    dash: str
    weight: float
    caption: str


#: Layers in reading order (the legend's order): statuts, PTCE, kinds of link.
UMAP_LAYERS: dict[str, UmapLayer] = {
    "TH": UmapLayer(
        "Territoires habilités (TH)",
        "th",
        "#d95f02",
        "",
        2.5,
        "Contour orange continu : territoire habilité à expérimenter « Territoire zéro "
        "chômeur de longue durée ».",
    ),
    "PE": UmapLayer(
        "Projets émergents (PE)",
        "pe",
        "#7570b3",
        "6,4",
        2.5,
        "Contour violet tireté : projet émergent, territoire qui prépare son habilitation.",
    ),
    "autre": UmapLayer(
        "Territoires (autre statut)",
        "autres",
        "#666666",
        "2,4",
        2.5,
        "Contour gris pointillé : territoire d'un autre statut.",
    ),
    "ptce": UmapLayer(
        "PTCE",
        "ptce",
        "#1f78b4",
        "",
        2,
        "Disque bleu : siège d'un pôle territorial de coopération économique (PTCE).",
    ),
    "overlap": UmapLayer(
        "Liens : chevauchement",
        "liens-chevauchement",
        "#c51b29",
        "",
        4,
        "Trait rouge épais continu : le territoire et le PTCE se chevauchent (communes en "
        "commun, ou siège du PTCE dans le territoire).",
    ),
    "adjacent": UmapLayer(
        "Liens : contigus",
        "liens-contigus",
        "#8c510a",
        "8,5",
        3,
        "Trait brun tireté : le territoire et le PTCE sont contigus (leurs limites se touchent).",
    ),
    "near": UmapLayer(
        "Liens : à proximité",
        "liens-proximite",
        "#555555",
        "2,6",
        2,
        "Trait gris pointillé fin : le PTCE est à {radius} ou moins du territoire (de limite "
        "à limite).",
    ),
}

_TERRITORY_KEYS = ("TH", "PE", "autre")
_LINK_KEYS = ("overlap", "adjacent", "near")
_CATEGORY = {
    "TH": "Territoire habilité (TH)",
    "PE": "Projet émergent (PE)",
    "autre": "Territoire (autre statut)",
    "ptce": "PTCE",
    "overlap": "Lien : chevauchement",
    "adjacent": "Lien : contigu",
    "near": "Lien : à proximité",
}
_NO_REGION = "Région non renseignée"
#: uMap field types: the schema's whole numbers, the links' distance, the description.
_FIELD_TYPES = {
    "description": "Text",
    "distance_km": "Number",
    **{
        name: "Number"
        for table in ("territories", "ptce")
        for name in field_names(table, public=True, type="int")  # type: ignore[arg-type]
    },
}
_LINK_FIELDS = (
    "name",
    "description",
    "categorie",
    "territory_id",
    "ptce_id",
    "relation",
    "certainty",
    "region_nom",
    "distance_km",
)
_TITLE = DEFAULT_TITLE
_DECIMALS = 5
#: Nominal map size (pixels) the initial view is computed for.
_VIEW_PX = (1100.0, 700.0)
_ZOOMS = (2, 13)


# --------------------------------------------------------------------------- text


def umap_text(value: Any) -> str:
    """Return data text that uMap shows exactly as typed, whatever its content.

    Every character that is not a letter, a digit or a space is written as an HTML
    character reference (``&#123;`` for ``{``). uMap's popup and caption renderer
    resolves ``{field}`` placeholders and turns ``[[...]]``, ``{{...}}``, ``{{{...}}}``,
    ``**``, line starts (``# ``, ``* ``, ``---``) and bare ``http(s):`` text into markup,
    then parses the result as HTML: every one of those patterns needs a literal
    punctuation character, so none matches, and the HTML parser turns each reference back
    into the character typed. Use it for text placed in a ``description`` (popups, layer
    and map captions), never for plain properties (uMap shows those as text).

    Parameters
    ----------
    value
        A cell from the data.

    Returns
    -------
    str
        The encoded text, stripped; ``""`` for missing values.

    Examples
    --------
    >>> umap_text("{{https://x.example/p.png}}")
    '&#123;&#123;https&#58;&#47;&#47;x&#46;example&#47;p&#46;png&#125;&#125;'
    >>> umap_text("Saint-Denis (93)")
    'Saint&#45;Denis &#40;93&#41;'
    """
    return "".join(c if c == " " or c.isalnum() else f"&#{ord(c)};" for c in _text(value))


# Kept as they are in a link target: they cannot start or end uMap's link syntax
# (``[[url|label]]``), a placeholder, an image or emphasis. ``&`` is written ``&amp;``.
_URL_SAFE = "-.~:/?#@!$+,;=%&"


def umap_link(url: str, label: str | None = None) -> str:
    """Return uMap's link syntax for an ``http(s)`` URL, or ``""`` for anything else.

    The URL is percent-encoded except for the characters of :data:`_URL_SAFE`
    (percent-encoding any other character gives an equivalent URL), so that it cannot
    close the link or open another construct; the label goes through :func:`umap_text`.

    Parameters
    ----------
    url
        A URL from the data; only absolute ``http``/``https`` URLs make a link.
    label
        Text of the link; the URL's host when ``None``.

    Returns
    -------
    str
        ``[[url|label]]``, or ``""``.

    Examples
    --------
    >>> umap_link("https://ex.org/a?b=1&c=[2]")
    '[[https://ex.org/a?b=1&amp;c=%5B2%5D|ex&#46;org]]'
    >>> umap_link("javascript:alert(1)")
    ''
    """
    safe = safe_url(url)
    if safe is None:
        return ""
    # "_" too: uMap turns "h_t_t_p" into "http" (an unreserved character may always be
    # percent-encoded: RFC 3986, 2.3).
    target = quote(safe, safe=_URL_SAFE).replace("_", "%5F").replace("&", "&amp;")
    text = label if label is not None else (urlsplit(safe).hostname or safe)
    return f"[[{target}|{umap_text(text)}]]"


def _km(radius_km: float) -> str:
    """``20 km``, ``7,5 km``: a radius as people write it."""
    return f"{radius_km:g}".replace(".", ",") + " km"


def _plural(count: int, singular: str, plural: str) -> str:
    """French agreement: 0 and 1 take the singular."""
    return f"{count} {singular if count < 2 else plural}"


# --------------------------------------------------------------------------- geometry


def _check_frame(frame: Any, columns: Sequence[str], what: str) -> list[str]:
    if not isinstance(frame, gpd.GeoDataFrame):
        return [
            f"{what} must be a GeoDataFrame (see geo.load_{what}()), got {type(frame).__name__}"
        ]
    missing = [c for c in columns if c not in frame.columns]
    return [f"{what} lacks columns {missing} (see geo.load_{what}())"] if missing else []


def _wgs84(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise CRSError(
            f"{what} have no CRS: declare it with .set_crs('EPSG:4326') (or the CRS they are "
            "really in) before exporting to uMap"
        )
    return frame if frame.crs.equals(WGS84) else frame.to_crs(WGS84)


def _geometry(geom: Any) -> dict[str, Any] | None:
    if not isinstance(geom, shapely.Geometry) or geom.is_empty:
        return None
    rounded = shapely.transform(geom, lambda xy: np.round(xy, _DECIMALS))
    mapped = shapely.geometry.mapping(rounded)
    return json.loads(json.dumps(mapped))  # tuples -> lists, plain floats


def _properties(row: pd.Series, fields: Iterable[str]) -> dict[str, Any]:
    """Public fields of a row with a value, as JSON scalars (sources: links only)."""
    props: dict[str, Any] = {}
    for field in fields:
        if field not in row.index:
            continue
        value = row[field]
        if field == "sources":
            urls = public_urls(value)
            if urls:
                props[field] = " | ".join(urls)
            continue
        if field == "site_web":
            url = safe_url(_text(value))
            if url:
                props[field] = url
            continue
        if field == "population":
            count = number(value)
            if count is not None:
                props[field] = count
            continue
        text = _text(value)
        if text:
            props[field] = text
    return props


# --------------------------------------------------------------------------- view


def _mercator_y(lat: float) -> float:
    """Latitude -> Web Mercator y as a share of the world's height (0 north, 1 south)."""
    lat = max(min(lat, 85.0), -85.0)
    return (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2


def _view(box: tuple[float, float, float, float], margin: float) -> tuple[float, float, int]:
    """Centre (lon, lat) and zoom showing ``box`` plus ``margin`` (share of its size)."""
    west, south, east, north = box
    x0, x1 = (west + 180) / 360, (east + 180) / 360
    y0, y1 = _mercator_y(north), _mercator_y(south)
    width = max(x1 - x0, 1e-5) * (1 + 2 * margin)
    height = max(y1 - y0, 1e-5) * (1 + 2 * margin)
    fit = min(_VIEW_PX[0] / (256 * width), _VIEW_PX[1] / (256 * height))
    zoom = int(min(max(math.floor(math.log2(fit)), _ZOOMS[0]), _ZOOMS[1]))
    cy = (y0 + y1) / 2
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * cy))))
    return round((west + east) / 2, _DECIMALS), round(lat, _DECIMALS), zoom


def _bounds(geometries: Iterable[Any]) -> tuple[float, float, float, float] | None:
    shapes = [g for g in geometries if isinstance(g, shapely.Geometry) and not g.is_empty]
    if not shapes:
        return None
    return tuple(float(v) for v in shapely.total_bounds(shapes))  # type: ignore[return-value]


def _in_mainland(geometries: Iterable[Any]) -> list[Any]:
    west, south, east, north = ZONES["metropole"].bounds
    envelope = shapely.box(west, south, east, north)
    return [
        g
        for g in geometries
        if isinstance(g, shapely.Geometry) and not g.is_empty and envelope.contains(g.centroid)
    ]


# --------------------------------------------------------------------------- features


def _line(label: str, value: str) -> str:
    return f"**{label}** : {value}" if value else ""


def _lines(title: str, lines: Iterable[str]) -> str:
    return "\n".join([f"# {title}", *(line for line in lines if line)])


def _territory_description(row: pd.Series, partners: list[str]) -> str:
    statut = _text(row.get("statut"))
    communes = ", ".join(c.strip() for c in _text(row.get("communes")).split(";") if c.strip())
    sources = " ".join(umap_link(u) for u in public_urls(row.get("sources")))
    return _lines(
        umap_text(row.get("nom")),
        [
            _line("Statut", umap_text(STATUT_LABELS.get(statut, statut))),
            _line("Région", umap_text(row.get("region_nom"))),
            _line("Département", umap_text(row.get("departement"))),
            _line("Communes", umap_text(communes)),
            _line("Quartiers", umap_text(row.get("sous_zone"))),
            _line("Date d'habilitation", umap_text(date_fr(row.get("date_habilitation")))),
            _line("Population", umap_text(population_text(row))),
            _line("EBE", umap_text(row.get("ebe"))),
            _line("Périmètre", umap_text(PRECISION_LABELS.get(_text(row.get("precision")), ""))),
            _line("PTCE proches", umap_text(" ; ".join(partners))),
            _line("Sources", sources),
        ],
    )


def _ptce_description(row: pd.Series, partners: list[str]) -> str:
    sources = " ".join(umap_link(u) for u in public_urls(row.get("sources")))
    return _lines(
        umap_text(row.get("nom")),
        [
            _line("Porteur", umap_text(row.get("porteur"))),
            _line("Siège", umap_text(row.get("siege_commune"))),
            _line("Région", umap_text(row.get("region_nom"))),
            _line("Zone d'action", umap_text(row.get("zone_action"))),
            _line("Thématiques", umap_text(row.get("thematiques"))),
            _line("Soutien de l'État", umap_text(row.get("soutien_etat"))),
            _line("Précision", umap_text(PRECISION_LABELS.get(_text(row.get("precision")), ""))),
            _line("Territoires proches", umap_text(" ; ".join(partners))),
            _line("Site web", umap_link(_text(row.get("site_web")))),
            _line("Sources", sources),
        ],
    )


def _partner_text(name: str, relation: str, distance: Any, certainty: Any = None) -> str:
    """``Pôle Un (à proximité, 3,2 km)``: raw text, encoded with the line it goes in."""
    label = relation_fr(relation, certainty)
    km = km_fr(distance) if relation != "overlap" else ""
    return f"{name} ({label}{', ' + km if km else ''})"


def _feature(geometry: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _layer(key: str, features: list[dict[str, Any]], radius_km: float) -> dict[str, Any]:
    spec = UMAP_LAYERS[key]
    caption = spec.caption.replace("{radius}", _km(radius_km))
    options: dict[str, Any] = {
        "name": spec.name,
        "description": umap_text(caption),
        "displayOnLoad": True,
        "browsable": True,
        "inCaption": True,
        "color": spec.color,
        "opacity": 1,
        "weight": spec.weight,
        "labelKey": "name",
        "showLabel": False,
        "popupTemplate": "Default",
        # Only the description this module writes; never a raw property.
        "popupContentTemplate": "{description}",
    }
    if key == "ptce":
        options.update(iconClass="Circle", iconOpacity=1)
    elif key in _TERRITORY_KEYS:
        options.update(fill=True, fillColor=spec.color, fillOpacity=0.2)
    else:
        options["fill"] = False
    if spec.dash:
        options["dashArray"] = spec.dash
    # Field types declared on the layer itself: uMap infers "String" for any field the
    # layer does not declare, before it reads the map's own field list.
    if key in _TERRITORY_KEYS:
        keys: Iterable[str] = (
            "name",
            "description",
            "categorie",
            *field_names("territories", public=True),
        )
    elif key == "ptce":
        keys = ("name", "description", "categorie", *field_names("ptce", public=True))
    else:
        keys = _LINK_FIELDS
    options["fields"] = [
        {"key": k, "type": _FIELD_TYPES.get(k, "String")} for k in dict.fromkeys(keys)
    ]
    return {"type": "FeatureCollection", "features": features, "_umap_options": options}


def _links_of(synergies: pd.DataFrame) -> pd.DataFrame:
    links = pd.DataFrame(synergies).copy()
    for column in ("territory_id", "ptce_id", "relation"):
        links[column] = links[column].map(_text)
    links = links[links["relation"].isin(list(_LINK_KEYS))]
    rank = links["relation"].map({r: i for i, r in enumerate(_LINK_KEYS)})
    distance = (
        pd.to_numeric(links["distance_km"], errors="coerce").fillna(0.0)
        if "distance_km" in links.columns
        else pd.Series(0.0, index=links.index)
    )
    order = np.lexsort((links["ptce_id"], links["territory_id"], distance.to_numpy(), rank))
    return links.iloc[order]


def _area_name(region: str | None, departement: str | None) -> str | None:
    """French name of the asked région or département (``Isère (38)``), if the COG knows it."""
    from geo.reference import cog
    from geo.reference.areas import UnknownAreaError, area_code

    kind, value = ("region", region) if region is not None else ("departement", departement)
    if value is None:
        return None
    try:
        code = area_code(value, kind)
    except UnknownAreaError:
        return _text(value)  # a name the rows write themselves (see in_area)
    table = cog.regions() if kind == "region" else cog.departements()
    names = dict(zip(table["code"], table["nom"], strict=True))
    name = names.get(code, _text(value))
    return name if kind == "region" else f"{name} ({code})"


def to_umap(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    radius_km: float = 20.0,
    title: str | None = None,
    description: str | None = None,
    uri: str | None = None,
    region: str | None = None,
    departement: str | None = None,
    territory: str | None = None,
) -> dict[str, Any]:
    """Build a uMap document of territories (by statut), PTCE and links (by kind).

    Parameters
    ----------
    territories
        TZ territories (schema of :func:`geo.load_territories`), with a CRS.
    ptce
        PTCE (schema of :func:`geo.load_ptce`), with a CRS; a PTCE with an
        area is drawn at a point on its surface.
    synergies
        Result of :func:`geo.synergies`; computed with ``radius_km`` when
        ``None``. Its pairs become the link lines (PTCE seat to the nearest
        point of the territory), one layer per relation.
    radius_km
        Radius of the synergy computation when ``synergies`` is ``None``, and
        the distance named in the captions.
    title
        Map name; by default it names the area (``Territoires zéro chômeur et
        PTCE — Auvergne-Rhône-Alpes``, or the territory's name).
    description
        Caption text shown by uMap, written as text (uMap markup in it is not
        interpreted); by default the counts, the view and the overseas zones.
    uri
        Absolute ``http(s)`` address where the map is published, written as
        the file's ``uri`` (uMap resolves relative icon paths against it);
        left out when ``None``.
    region, departement, territory
        Keep only the territories of a région or a département (code or
        name), or one territory (its id), with the PTCE of the same area and
        those linked to them; at most one. The map opens on the area (the
        territory and its partners).

    Returns
    -------
    dict
        ``{"type": "umap", "properties": ..., "geometry": ..., "layers": [...]}``
        (plus ``"uri"`` when given), ready for :func:`umap_json`; layers in
        the reverse of their reading order (uMap lists the last one first).

    Raises
    ------
    SchemaError
        Inputs that are not GeoDataFrames or lack ``id``/``nom``/``statut``;
        an unknown territory id.
    CRSError
        Inputs without a CRS.
    ArgumentError
        A ``uri`` that is not an absolute ``http(s)`` URL; more than one of
        ``region``, ``departement``, ``territory``.

    Examples
    --------
    >>> import geo
    >>> doc = to_umap(geo.load_territories(), geo.load_ptce())  # doctest: +SKIP
    >>> [layer["_umap_options"]["name"] for layer in doc["layers"]][::-1]  # doctest: +SKIP
    ['Territoires habilités (TH)', 'Projets émergents (PE)', 'PTCE', 'Liens : chevauchement', \
'Liens : contigus', 'Liens : à proximité']
    """
    selection = {
        "radius_km": radius_km,
        "uri": uri,
        "region": region,
        "departement": departement,
        "territory": territory,
    }
    layers, context = _build(territories, ptce, synergies, selection, keep_empty=False)
    return _document(layers, context, title=title, description=description, uri=uri)


@dataclass(frozen=True)
class _Context:
    """What the map's title, caption and view are made of."""

    radius_km: float
    counts: dict[str, int]
    area: str | None  # région or département name
    area_is_region: bool
    territory_name: str | None
    zones: tuple[str, ...]  # overseas zones shown (French labels)
    view: tuple[float, float, int]


@dataclass(frozen=True)
class _Inputs:
    """The checked, reprojected, sorted and selected inputs of one export."""

    territories: gpd.GeoDataFrame
    ptce: gpd.GeoDataFrame
    links: pd.DataFrame
    t_names: dict[str, str]
    p_names: dict[str, str]


def _inputs(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None,
    *,
    radius_km: float,
    uri: str | None,
    region: str | None,
    departement: str | None,
    territory: str | None,
) -> _Inputs:
    problems = _check_frame(territories, field_names("territories", required=True), "territories")
    problems += _check_frame(ptce, field_names("ptce", required=True), "ptce")
    if synergies is not None:
        missing = [c for c in ("territory_id", "ptce_id", "relation") if c not in synergies]
        if missing:
            problems.append(f"synergies lack columns {missing} (see geo.synergies())")
    if problems:
        raise SchemaError("cannot export to uMap: " + "; ".join(problems), problems)
    if uri is not None and safe_url(uri) is None:
        raise ArgumentError(f"uri={uri!r}: expected an absolute http(s) URL, or None")
    if sum(x is not None for x in (region, departement, territory)) > 1:
        raise ArgumentError("give at most one of region=, departement=, territory=")
    territories = _wgs84(territories, "territories")
    ptce = _wgs84(ptce, "ptce")
    if synergies is None:
        from geo.analysis.synergies import synergies as compute

        synergies = compute(territories, ptce, radius_km=radius_km)

    territories = territories.assign(id=territories["id"].map(_text)).sort_values("id")
    ptce = ptce.assign(id=ptce["id"].map(_text)).sort_values("id")
    links = _links_of(synergies)
    t_names = dict(zip(territories["id"], territories["nom"].map(_text), strict=True))
    p_names = dict(zip(ptce["id"], ptce["nom"].map(_text), strict=True))
    links = links[links["territory_id"].isin(t_names) & links["ptce_id"].isin(p_names)]
    # One rule with the maps, the site and the command line (geo.publish.area).
    view = area_view(
        territories, ptce, links, region=region, departement=departement, territory=territory
    )
    territories, ptce, links = view.territories(territories), view.ptce(ptce), view.links
    return _Inputs(territories, ptce, links, t_names, p_names)


def _partners(data: _Inputs) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Partner lines of each territory and of each PTCE, closest relations first."""
    by_territory: dict[str, list[str]] = {}
    by_ptce: dict[str, list[str]] = {}
    links = data.links
    for tid, pid, relation, distance, certainty in zip(
        links["territory_id"],
        links["ptce_id"],
        links["relation"],
        links["distance_km"] if "distance_km" in links else [None] * len(links),
        links["certainty"] if "certainty" in links else [None] * len(links),
        strict=True,
    ):
        by_territory.setdefault(tid, []).append(
            _partner_text(data.p_names[pid], relation, distance, certainty)
        )
        by_ptce.setdefault(pid, []).append(
            _partner_text(data.t_names[tid], relation, distance, certainty)
        )
    return by_territory, by_ptce


def _link_features(
    data: _Inputs, region_of: dict[str, str], groups: dict[str, list[dict[str, Any]]]
) -> list[Any]:
    """Add each link to the layer of its relation; return the lines drawn."""
    if not len(data.links):
        return []
    from geo.analysis.links import link_lines

    drawn = []
    lines = link_lines(data.links, data.territories, data.ptce)
    for (_, link), line in zip(data.links.iterrows(), lines, strict=True):
        geometry = _geometry(line)
        if geometry is None:
            continue
        relation = link["relation"]
        label = RELATION_LABELS[relation]
        name = f"{data.t_names[link['territory_id']]} – {data.p_names[link['ptce_id']]}"
        distance = km_fr(link.get("distance_km")) if relation != "overlap" else ""
        props: dict[str, Any] = {
            "name": name,
            "description": _lines(
                umap_text(name),
                [
                    _line("Relation", umap_text(relation_fr(relation, link.get("certainty")))),
                    _line("Distance", umap_text(distance)),
                ],
            ),
            "categorie": _CATEGORY[relation],
            "territory_id": link["territory_id"],
            "ptce_id": link["ptce_id"],
            "relation": label,
            "region_nom": region_of.get(link["territory_id"], _NO_REGION),
        }
        if _text(link.get("certainty")):
            props["certainty"] = _text(link.get("certainty"))
        km = number(link.get("distance_km"))
        if km is not None:
            props["distance_km"] = round(float(km), 2)
        groups[relation].append(_feature(geometry, props))
        drawn.append(line)
    return drawn


def _first_view(
    data: _Inputs,
    shown: list[Any],
    lines: list[Any],
    region: str | None,
    departement: str | None,
    territory: str | None,
) -> tuple[tuple[float, float, int], tuple[str, ...]]:
    """Return the initial centre and zoom, and the overseas zones left out of a national view."""
    if territory is not None:  # the territory and its partners, with a margin
        box = _bounds([*shown, *lines])
        return _view(box or ZONES["metropole"].bounds, 0.12), ()
    if region is not None or departement is not None:  # the area's own rows
        from geo.reference.areas import in_area

        column, value = ("region", region) if region is not None else ("departement", departement)
        own = [
            g
            for frame in (data.territories, data.ptce)
            if column in frame.columns
            for g in frame.geometry[in_area(frame, **{column: value}).to_numpy()]
        ]
        box = _bounds(own) or _bounds(shown)
        return _view(box or ZONES["metropole"].bounds, 0.08), ()
    zones = tuple(
        zone.label.split(" (")[0]
        for name, zone in ZONES.items()
        if name != "metropole"
        and any(shapely.box(*zone.bounds).contains(g.centroid) for g in shown)
    )
    if _in_mainland(shown) or not shown:
        return _view(ZONES["metropole"].bounds, 0.0), zones
    return _view(_bounds(shown), 0.08), ()  # type: ignore[arg-type]


def _build(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None,
    selection: dict[str, Any],
    *,
    keep_empty: bool,
) -> tuple[dict[str, dict[str, Any]], _Context]:
    """Return the layers (by key) and the map's context; ``selection``: see :func:`_inputs`."""
    data = _inputs(territories, ptce, synergies, **selection)
    radius_km = float(selection["radius_km"])
    region, departement, territory = (
        selection.get(k) for k in ("region", "departement", "territory")
    )
    by_territory, by_ptce = _partners(data)
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in UMAP_LAYERS}
    region_of: dict[str, str] = {}
    shown = []
    for _, row in data.territories.iterrows():
        geometry = _geometry(row.geometry)
        if geometry is None:
            continue
        statut = _text(row["statut"])
        key = statut if statut in ("TH", "PE") else "autre"
        region_of[row["id"]] = _text(row.get("region_nom")) or _NO_REGION
        props = {
            "name": data.t_names[row["id"]],
            "description": _territory_description(row, by_territory.get(row["id"], [])),
            "categorie": _CATEGORY[key],
            **_properties(row, field_names("territories", public=True)),
            "region_nom": region_of[row["id"]],
        }
        groups[key].append(_feature(geometry, props))
        shown.append(row.geometry)

    for _, row in data.ptce.iterrows():
        geom = row.geometry
        if not isinstance(geom, shapely.Geometry) or geom.is_empty:
            continue
        seat = geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)
        props = {
            "name": data.p_names[row["id"]],
            "description": _ptce_description(row, by_ptce.get(row["id"], [])),
            "categorie": _CATEGORY["ptce"],
            **_properties(row, field_names("ptce", public=True)),
            "region_nom": _text(row.get("region_nom")) or _NO_REGION,
        }
        groups["ptce"].append(_feature(_geometry(seat), props))  # type: ignore[arg-type]
        shown.append(seat)

    lines = _link_features(data, region_of, groups)
    layers = {
        key: _layer(key, features, radius_km)
        for key, features in groups.items()
        if features or keep_empty or key == "ptce"
    }
    view, zones = _first_view(data, shown, lines, region, departement, territory)
    context = _Context(
        radius_km,
        {key: len(features) for key, features in groups.items()},
        _area_name(region, departement),
        region is not None,
        data.t_names.get(_text(territory)) if territory is not None else None,
        zones,
        view,
    )
    return layers, context


def _caption(context: _Context) -> str:
    counts = context.counts
    n_t = sum(counts[k] for k in _TERRITORY_KEYS)
    n_links = sum(counts[k] for k in _LINK_KEYS)
    statuts = [
        _plural(counts[key], *words)
        for key, words in (
            ("TH", ("habilité", "habilités")),
            ("PE", ("projet émergent", "projets émergents")),
            ("autre", ("d'un autre statut", "d'autres statuts")),
        )
        if counts[key]
    ]
    radius = _km(context.radius_km)
    lines = [
        f"{_plural(n_t, 'territoire', 'territoires')} zéro chômeur de longue durée"
        f"{' (' + ', '.join(statuts) + ')' if statuts else ''}, {counts['ptce']} PTCE et "
        f"{_plural(n_links, 'lien', 'liens')} territoire – PTCE (chevauchement, contiguïté "
        f"ou distance de {radius} au plus).",
    ]
    if context.territory_name is not None:
        lines.append(
            f"La carte s'ouvre sur le territoire {context.territory_name} et ses PTCE partenaires."
        )
    elif context.area is not None:
        kind = "la région" if context.area_is_region else "le département"
        lines.append(f"La carte s'ouvre sur {kind} {context.area}.")
    else:
        lines.append("La carte s'ouvre sur la France métropolitaine.")
        if context.zones:
            lines.append(
                f"Outre-mer ({', '.join(context.zones)}) : choisissez un territoire dans "
                "« Visualiser les données », ou dézoomez."
            )
    lines.append(
        "Légende : chaque calque a sa couleur et son trait (liste des calques ci-dessous). "
        "Cliquez sur un territoire, un PTCE ou un lien pour sa fiche et ses sources."
    )
    lines.append("Carte exportée par tzptce-geo.")
    return "\n".join(umap_text(line) for line in lines)


def _title(context: _Context) -> str:
    if context.territory_name is not None:
        return f"{context.territory_name} : territoire zéro chômeur et PTCE partenaires"
    if context.area is not None:
        return f"{_TITLE} — {context.area}"
    return f"{_TITLE} — France"


def _document(
    layers: dict[str, dict[str, Any]],
    context: _Context,
    *,
    title: str | None,
    description: str | None,
    uri: str | None,
) -> dict[str, Any]:
    lon, lat, zoom = context.view
    properties: dict[str, Any] = {
        # The map's name is shown as text by uMap (never parsed): written as is.
        "name": _text(title) if title is not None else _title(context),
        "description": umap_text(description) if description is not None else _caption(context),
        "zoom": zoom,
        "defaultView": "center",
        "onLoadPanel": "none",
        "captionBar": True,
        "scaleControl": True,
        "scrollWheelZoom": False,
        "slugKey": "id",
        # The filters' fields, which every feature has (no "[vide]" choice).
        "fields": [
            {"key": "categorie", "type": "String"},
            {"key": "region_nom", "type": "String"},
        ],
        "filters": [
            {"fieldKey": "categorie", "label": "Catégorie", "widget": "Checkbox"},
            {"fieldKey": "region_nom", "label": "Région", "widget": "Checkbox"},
        ],
        "shortCredit": "Données : tzptce-geo (TZCLD, PTCE) ; communes : IGN ADMIN EXPRESS COG",
    }
    document: dict[str, Any] = {"type": "umap"}
    if uri is not None:
        document["uri"] = uri
    # uMap lists (and draws on top) the last imported layer first.
    order = [key for key in UMAP_LAYERS if key in layers][::-1]
    document.update(
        properties=properties,
        geometry={"type": "Point", "coordinates": [lon, lat]},
        layers=[layers[key] for key in order],
    )
    return document


def umap_json(document: dict[str, Any]) -> str:
    """Serialise a uMap document: UTF-8 text, stable key order, one line per layer."""
    head = {k: v for k, v in document.items() if k != "layers"}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    layers = ",\n".join(
        json.dumps(layer, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        for layer in document["layers"]
    )
    return text[:-1] + ',"layers":[\n' + layers + "\n]}\n"


def _geojson_text(features: list[dict[str, Any]]) -> str:
    lines = ",\n".join(
        json.dumps(f, ensure_ascii=False, separators=(",", ":"), allow_nan=False) for f in features
    )
    return '{"type":"FeatureCollection","features":[\n' + lines + "\n]}\n"


_TO_UMAP_OPTIONS = (
    "radius_km",
    "title",
    "description",
    "uri",
    "region",
    "departement",
    "territory",
)


def umap_layer_paths(path: str | os.PathLike[str]) -> list[Path]:
    """Return the GeoJSON files that :func:`write_umap` writes next to ``path`` for ``data_url``.

    One per layer of :data:`UMAP_LAYERS`, empty ones included (a later export that
    fills a layer then shows in the same map): ``carte.umap`` -> ``carte-th.geojson``,
    ``carte-pe.geojson``... in reading order.

    Examples
    --------
    >>> [p.name for p in umap_layer_paths("donnees/carte.umap")][:2]
    ['carte-th.geojson', 'carte-pe.geojson']
    """
    path = Path(path)
    return [path.with_name(f"{path.stem}-{spec.file}.geojson") for spec in UMAP_LAYERS.values()]


def write_umap(
    path: str | os.PathLike[str],
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    data_url: str | None = None,
    **kwargs: Any,
) -> Path:
    """Write a ``.umap`` file (see :func:`to_umap`) atomically.

    Parameters
    ----------
    path
        Target file; its directory is created when missing.
    territories, ptce, synergies
        As for :func:`to_umap`.
    data_url
        Absolute ``http(s)`` address of the folder where ``path`` and its layer files
        will be published (``https://info-ptce.fr/carte/donnees/``). When given, the
        features go to one GeoJSON file per layer next to ``path``
        (:func:`umap_layer_paths`), and the layers of the ``.umap`` file read them from
        ``data_url`` (uMap's remote data): import the ``.umap`` file once, and
        publishing new files at that address updates the map, with no import and no
        duplicate. The host must let other sites read the files (the
        ``Access-Control-Allow-Origin: *`` header, as GitHub Pages sends), or each
        layer's remote data must be set to go through uMap's proxy. Without it, the
        features are inside the ``.umap`` file (a snapshot).
    **kwargs
        Keyword arguments of :func:`to_umap` (``radius_km``, ``title``,
        ``description``, ``uri``, ``region``, ``departement``, ``territory``).

    Returns
    -------
    Path
        The written file: import it in uMap or Framacarte with "Importer des
        données", format ``umap``, then save and publish the map ("Visibilité" :
        "Tout le monde").

    Raises
    ------
    ArgumentError
        A ``data_url`` that is not an absolute ``http(s)`` URL; see :func:`to_umap`.
    """
    path = Path(path)
    if data_url is None:
        text = umap_json(to_umap(territories, ptce, synergies, **kwargs))
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return path
    if safe_url(data_url) is None:
        raise ArgumentError(
            f"data_url={data_url!r}: expected the absolute http(s) address of the folder "
            "where the .umap file and its layer files are published"
        )
    extra = set(kwargs) - set(_TO_UMAP_OPTIONS)
    if extra:
        raise TypeError(f"write_umap() got unexpected keyword arguments {sorted(extra)}")
    base = data_url if data_url.endswith("/") else data_url + "/"
    selection = {k: kwargs.get(k) for k in ("uri", "region", "departement", "territory")}
    selection["radius_km"] = kwargs.get("radius_km", 20.0)
    layers, context = _build(territories, ptce, synergies, selection, keep_empty=True)
    for key, file in zip(UMAP_LAYERS, umap_layer_paths(path), strict=True):
        with atomic_path(file) as tmp:
            tmp.write_text(_geojson_text(layers[key]["features"]), encoding="utf-8")
        layers[key] = {
            **layers[key],
            "features": [],
            "_umap_options": {
                **layers[key]["_umap_options"],
                "remoteData": {
                    "url": quote(base + file.name, safe=_URL_SAFE),
                    "format": "geojson",
                },
            },
        }
    document = _document(
        layers,
        context,
        title=kwargs.get("title"),
        description=kwargs.get("description"),
        uri=kwargs.get("uri"),
    )
    with atomic_path(path) as tmp:
        tmp.write_text(umap_json(document), encoding="utf-8")
    return path


def make_umap(
    path: str | os.PathLike[str],
    *,
    territories: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    ptce: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    radius_km: float = 20.0,
    region: str | None = None,
    departement: str | None = None,
    territory: str | None = None,
    data_url: str | None = None,
) -> Path:
    """Load territories and PTCE (files or the shipped data) and write a ``.umap`` file.

    The one call behind ``python -m geo map --umap F.umap [--umap-data-url URL]``.

    Parameters
    ----------
    path
        Target ``.umap`` file.
    territories, ptce
        A file for :func:`geo.load_territories` / :func:`geo.load_ptce`, or a
        GeoDataFrame; the shipped data when omitted.
    radius_km, region, departement, territory
        As for :func:`to_umap`.
    data_url
        As for :func:`write_umap`.

    Returns
    -------
    Path
        The written file.
    """
    from geo.loading.entities import load_ptce, load_territories

    if not isinstance(territories, gpd.GeoDataFrame):
        territories = load_territories(territories)
    if not isinstance(ptce, gpd.GeoDataFrame):
        ptce = load_ptce(ptce)
    return write_umap(
        path,
        territories,
        ptce,
        data_url=data_url,
        radius_km=radius_km,
        region=region,
        departement=departement,
        territory=territory,
    )
