"""Export territories, PTCE and their synergy links as a uMap file (``.umap``).

uMap (https://umap.openstreetmap.fr, also run as Framacarte) imports a whole map from one
JSON document: a ``"type": "umap"`` object with the map options (``properties``), its
default centre (``geometry``, a GeoJSON Point) and its data layers (``layers``), each a
GeoJSON FeatureCollection whose ``_umap_options`` hold the layer's name, caption text and
style, or a ``remoteData`` address from which uMap reads the layer's features. This module
holds the public entry points (:func:`to_umap`, :func:`write_umap`, :func:`make_umap`) and
writes that document for uMap 3.8 (``umap/static/umap/js/modules/app.js``: ``importRaw``;
``schema.js``; ``filters.js``): the map's settings, title and caption, and the file.

The rest is done by one module a job:

- :mod:`geo.publish.umap_inputs`: the inputs checked, in WGS 84, cut to the asked area;
- :mod:`geo.publish.umap_features`: the features, their properties and popups;
- :mod:`geo.publish.umap_layers`: the layers (the legend), their style and fields;
- :mod:`geo.publish.umap_view`: the geometries and the first view;
- :mod:`geo.publish.umap_syntax`: uMap's description syntax, where data stays text.

What a visitor gets:

- **a first view where the data is** (:mod:`geo.publish.umap_view`);
- **a legend in the layers** (:mod:`geo.publish.umap_layers`), written in the reverse of
  their reading order, since uMap lists the last imported layer first;
- **filters and fields of uMap 3.8** (``filters``/``fields``, not the legacy ``facetKey``):
  "Catégorie" and "Région", two properties every feature has (no "[vide]" choice that hides
  the PTCE or the links);
- **popups that show data as typed**: the caption and every description go through
  :func:`geo.publish.umap_syntax.umap_text`.

Updating a published map without duplicates: uMap's import panel only adds layers for this
format. :func:`write_umap` with ``data_url=`` writes the layers' features to GeoJSON files
next to the ``.umap`` file (``carte-th.geojson``...), and the ``.umap`` file's layers read
them from ``data_url`` (uMap's remote data). Import that ``.umap`` once; publishing new
files at the same address updates the map.

Output is deterministic: same data, same bytes. This module computes no synergy itself
(:mod:`geo.analysis.synergies` does) and draws nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import pandas as pd

from geo._core.files import atomic_path
from geo.errors import ArgumentError
from geo.publish.frtext import DEFAULT_TITLE, safe_url
from geo.publish.frtext import text as _text
from geo.publish.umap_features import layer_features
from geo.publish.umap_inputs import prepare_inputs
from geo.publish.umap_layers import (
    LINK_KEYS,
    TERRITORY_KEYS,
    UMAP_LAYERS,
    layer_collection,
    radius_text,
)
from geo.publish.umap_syntax import URL_SAFE, umap_text
from geo.publish.umap_view import first_view

__all__ = [
    "make_umap",
    "to_umap",
    "umap_json",
    "umap_layer_paths",
    "write_umap",
]


_TITLE = DEFAULT_TITLE


def _plural(count: int, singular: str, plural: str) -> str:
    """French agreement: 0 and 1 take the singular."""
    return f"{count} {singular if count < 2 else plural}"


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


def _build(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None,
    selection: dict[str, Any],
    *,
    keep_empty: bool,
) -> tuple[dict[str, dict[str, Any]], _Context]:
    """Return the layers (by key) and the map's context; ``selection``: see ``prepare_inputs``."""
    data = prepare_inputs(territories, ptce, synergies, **selection)
    radius_km = float(selection["radius_km"])
    region, departement, territory = (
        selection.get(k) for k in ("region", "departement", "territory")
    )
    found = layer_features(data)
    layers = {
        key: layer_collection(key, features, radius_km)
        for key, features in found.groups.items()
        if features or keep_empty or key == "ptce"
    }
    view, zones = first_view(data, found.shown, found.lines, region, departement, territory)
    context = _Context(
        radius_km,
        {key: len(features) for key, features in found.groups.items()},
        _area_name(region, departement),
        region is not None,
        data.t_names.get(_text(territory)) if territory is not None else None,
        zones,
        view,
    )
    return layers, context


def _caption(context: _Context) -> str:
    counts = context.counts
    n_t = sum(counts[k] for k in TERRITORY_KEYS)
    n_links = sum(counts[k] for k in LINK_KEYS)
    statuts = [
        _plural(counts[key], *words)
        for key, words in (
            ("TH", ("habilité", "habilités")),
            ("PE", ("projet émergent", "projets émergents")),
            ("autre", ("d'un autre statut", "d'autres statuts")),
        )
        if counts[key]
    ]
    radius = radius_text(context.radius_km)
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


def _compact(value: Any) -> str:
    """JSON on one line: UTF-8 text, no spaces, no NaN."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def umap_json(document: dict[str, Any]) -> str:
    """Serialise a uMap document: UTF-8 text, stable key order, one line per layer.

    ``document`` is what :func:`to_umap` returns; the result is the text of the
    ``.umap`` file, ending with a newline.

    Examples
    --------
    >>> print(umap_json({"type": "umap", "name": "Été", "layers": [{"a": 1}, {}]}), end="")
    {"type":"umap","name":"Été","layers":[
    {"a":1},
    {}
    ]}
    """
    head = {k: v for k, v in document.items() if k != "layers"}
    layers = ",\n".join(_compact(layer) for layer in document["layers"])
    return _compact(head)[:-1] + ',"layers":[\n' + layers + "\n]}\n"


def _geojson_text(features: list[dict[str, Any]]) -> str:
    lines = ",\n".join(_compact(f) for f in features)
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
        document = to_umap(territories, ptce, synergies, **kwargs)
    else:
        document = _remote_document(path, territories, ptce, synergies, data_url, kwargs)
    with atomic_path(path) as tmp:
        tmp.write_text(umap_json(document), encoding="utf-8")
    return path


def _remote_document(
    path: Path,
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None,
    data_url: str,
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """Write the layer files next to ``path``; return the document whose layers read them."""
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
        layers[key] = _remote_layer(layers[key], quote(base + file.name, safe=URL_SAFE))
    return _document(
        layers,
        context,
        title=kwargs.get("title"),
        description=kwargs.get("description"),
        uri=kwargs.get("uri"),
    )


def _remote_layer(layer: dict[str, Any], url: str) -> dict[str, Any]:
    """Return ``layer`` without its features, reading them from ``url`` (uMap's remote data)."""
    return {
        **layer,
        "features": [],
        "_umap_options": {
            **layer["_umap_options"],
            "remoteData": {"url": url, "format": "geojson"},
        },
    }


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
