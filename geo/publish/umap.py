"""Export territories, PTCE and their synergy links as a uMap file (``.umap``).

uMap (https://umap.openstreetmap.fr, also run as Framacarte) imports a whole
map from one JSON document: a ``"type": "umap"`` object with the map options
(``properties``), its default centre (``geometry``, a GeoJSON Point) and its
data layers (``layers``), each a GeoJSON FeatureCollection whose
``_umap_options`` hold the layer's name and style. Features carry ``name``
and ``description`` (shown by uMap's default popup) and, per feature,
``_umap_options`` for their own colour or dash pattern. This module writes
that document; it reads the structure that uMap's importer
(``umap/static/umap/js/modules/umap.js``: ``importRaw``, and
``data/layer.js``: ``fromUmapGeoJSON``) expects.

Layers: one per territory statut (TH, PE), the PTCE, the synergy links. Only
public fields (``geo.schema.field_names(table, public=True)``) leave the
library; sources are kept as
their ``http(s)`` links only. Output is deterministic: same data, same bytes.

This module computes no synergy itself (:mod:`geo.analysis.synergies` does) and draws
nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    number,
    public_urls,
    safe_url,
)
from geo.publish.frtext import population_fr as _population_fr
from geo.publish.frtext import text as _text
from geo.schema import field_names

__all__ = ["UMAP_LAYERS", "make_umap", "to_umap", "umap_json", "umap_text", "write_umap"]

#: Layer key -> (layer name, colour, icon shape or dash pattern). Colours are
#: the maps' ones where they exist; every category also differs by a second
#: channel (icon shape for points, dash pattern for lines).
UMAP_LAYERS: dict[str, tuple[str, str, str]] = {
    "TH": ("Territoires habilités (TH)", "#d95f02", ""),
    "PE": ("Projets émergents (PE)", "#7570b3", "6,4"),
    "autre": ("Territoires (autre statut)", "#777777", "2,4"),
    "ptce": ("PTCE", "#1f78b4", "Circle"),
    "links": ("Liens territoire – PTCE", "#555555", ""),
}

#: Relation -> (French label, colour, weight, dash pattern) of the link lines.
_RELATIONS = {
    "overlap": (RELATION_LABELS["overlap"], "#c51b29", 4, ""),
    "adjacent": (RELATION_LABELS["adjacent"], "#f08c00", 3, "8,5"),
    "near": (RELATION_LABELS["near"], "#555555", 2, "2,6"),
}

_DEFAULT_TITLE = "Territoires zéro chômeur et PTCE"
_DECIMALS = 5
_FRANCE_CENTRE = (2.4, 46.6)  # lon, lat


# --------------------------------------------------------------------------- text


def umap_text(value: Any) -> str:
    """Return data text that uMap's text formatting shows as typed.

    uMap turns ``[[url|label]]`` into links and ``{{url}}`` into images in
    names and descriptions; a zero-width space between doubled brackets
    keeps such sequences from data inert (real names never hold them).

    Parameters
    ----------
    value
        A cell from the data.

    Returns
    -------
    str
        The text, stripped; ``""`` for missing values.

    Examples
    --------
    >>> umap_text("{{https://x.example/p.png}}")
    '{\u200b{https://x.example/p.png}\u200b}'
    """
    result = _text(value)
    for pair in ("[[", "]]", "{{", "}}"):
        result = result.replace(pair, pair[0] + "\u200b" + pair[1])
    return result


def _link(url: str) -> str:
    host = urlsplit(url).netloc or url
    return f"[[{url}|{host}]]"


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


# --------------------------------------------------------------------------- features


def _line(label: str, value: str) -> str:
    return f"**{label}** : {value}" if value else ""


def _territory_description(row: pd.Series, partners: list[str]) -> str:
    statut = _text(row.get("statut"))
    communes = umap_text(row.get("communes")).replace(";", ", ")
    lines = [
        _line("Statut", STATUT_LABELS.get(statut, umap_text(statut))),
        _line("Région", umap_text(row.get("region_nom"))),
        _line("Département", umap_text(row.get("departement"))),
        _line("Communes", communes),
        _line("Quartiers", umap_text(row.get("sous_zone"))),
        _line("Date d'habilitation", umap_text(date_fr(row.get("date_habilitation")))),
        _line("Population", _population_fr(row.get("population"))),
        _line("EBE", umap_text(row.get("ebe"))),
        _line("Périmètre", PRECISION_LABELS.get(_text(row.get("precision")), "")),
        _line("PTCE proches", " ; ".join(partners)),
        _line("Sources", " ".join(_link(u) for u in public_urls(row.get("sources")))),
    ]
    return "\n".join(line for line in lines if line)


def _ptce_description(row: pd.Series, partners: list[str]) -> str:
    site = safe_url(_text(row.get("site_web")))
    lines = [
        _line("Porteur", umap_text(row.get("porteur"))),
        _line("Siège", umap_text(row.get("siege_commune"))),
        _line("Région", umap_text(row.get("region_nom"))),
        _line("Zone d'action", umap_text(row.get("zone_action"))),
        _line("Thématiques", umap_text(row.get("thematiques"))),
        _line("Soutien de l'État", umap_text(row.get("soutien_etat"))),
        _line("Précision", PRECISION_LABELS.get(_text(row.get("precision")), "")),
        _line("Territoires proches", " ; ".join(partners)),
        _line("Site web", _link(site) if site else ""),
        _line("Sources", " ".join(_link(u) for u in public_urls(row.get("sources")))),
    ]
    return "\n".join(line for line in lines if line)


def _partner_text(name: str, relation: str, distance: Any) -> str:
    label = _RELATIONS.get(relation, (relation,))[0]
    km = km_fr(distance) if relation != "overlap" else ""
    return f"{umap_text(name)} ({label}{', ' + km if km else ''})"


def _feature(geometry: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _layer(key: str, features: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    name, color, shape = UMAP_LAYERS[key]
    umap_options: dict[str, Any] = {
        "name": name,
        "displayOnLoad": True,
        "browsable": True,
        "inCaption": True,
        "color": color,
        "labelKey": "name",
        "popupContentTemplate": "# {name}\n{description}",
    }
    if key == "ptce":
        umap_options["iconClass"] = shape
    elif key != "links":
        umap_options.update(fillColor=color, fillOpacity=0.35, weight=2)
        if shape:
            umap_options["dashArray"] = shape
    umap_options.update(options)
    return {"type": "FeatureCollection", "features": features, "_umap_options": umap_options}


def _links_of(synergies: pd.DataFrame) -> pd.DataFrame:
    links = pd.DataFrame(synergies).copy()
    for column in ("territory_id", "ptce_id", "relation"):
        links[column] = links[column].map(_text)
    links = links[links["relation"].isin(list(_RELATIONS))]
    rank = links["relation"].map({r: i for i, r in enumerate(_RELATIONS)})
    distance = (
        pd.to_numeric(links["distance_km"], errors="coerce").fillna(0.0)
        if "distance_km" in links.columns
        else pd.Series(0.0, index=links.index)
    )
    order = np.lexsort((links["ptce_id"], links["territory_id"], distance.to_numpy(), rank))
    return links.iloc[order]


def _select(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    links: pd.DataFrame,
    region: str | None,
    departement: str | None,
    territory: str | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Territories of an area (or one), the PTCE of that area and those linked to them."""
    from geo.reference.areas import area_masks

    if territory is not None:
        t_keep = territories["id"] == _text(territory)
        if not t_keep.any():
            raise SchemaError(
                f"territory={territory!r}: no territory with this id (see the id column of "
                "geo.load_territories())"
            )
        p_keep = pd.Series(False, index=ptce.index)
    else:
        t_keep, p_keep = area_masks(territories, ptce, region=region, departement=departement)
    t_ids = set(territories.loc[t_keep, "id"])
    links = links[links["territory_id"].isin(t_ids)]
    p_ids = set(ptce.loc[p_keep, "id"]) | set(links["ptce_id"])
    return territories[t_keep], ptce[ptce["id"].isin(p_ids)], links


def to_umap(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    radius_km: float = 20.0,
    title: str = _DEFAULT_TITLE,
    description: str | None = None,
    uri: str | None = None,
    region: str | None = None,
    departement: str | None = None,
    territory: str | None = None,
) -> dict[str, Any]:
    """Build a uMap document of territories (one layer per statut), PTCE and links.

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
        point of the territory).
    radius_km
        Radius of the synergy computation when ``synergies`` is ``None``.
    title, description
        Map name and caption text shown by uMap.
    uri
        Absolute ``http(s)`` address where the map is published, written as
        the file's ``uri`` (uMap resolves relative icon paths against it);
        left out when ``None``.
    region, departement, territory
        Keep only the territories of a région or a département (code or
        name), or one territory (its id), with the PTCE of the same area and
        those linked to them; at most one.

    Returns
    -------
    dict
        ``{"type": "umap", "properties": ..., "geometry": ..., "layers": [...]}``
        (plus ``"uri"`` when given), ready for :func:`json.dumps`.

    Raises
    ------
    SchemaError
        Inputs that are not GeoDataFrames or lack ``id``/``nom``/``statut``;
        an unknown territory id.
    CRSError
        Inputs without a CRS.
    ArgumentError
        A ``uri`` that is not an absolute ``http(s)`` URL.

    Examples
    --------
    >>> import geo
    >>> doc = to_umap(geo.load_territories(), geo.load_ptce())  # doctest: +SKIP
    >>> [layer["_umap_options"]["name"] for layer in doc["layers"]]  # doctest: +SKIP
    ['Territoires habilités (TH)', 'Projets émergents (PE)', 'PTCE', 'Liens territoire – PTCE']
    """
    problems = _check_frame(territories, ("id", "nom", "statut"), "territories")
    problems += _check_frame(ptce, ("id", "nom"), "ptce")
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
    if region is not None or departement is not None or territory is not None:
        territories, ptce, links = _select(
            territories, ptce, links, region, departement, territory
        )

    by_territory: dict[str, list[str]] = {}
    by_ptce: dict[str, list[str]] = {}
    for tid, pid, relation, distance in zip(
        links["territory_id"],
        links["ptce_id"],
        links["relation"],
        links["distance_km"] if "distance_km" in links else [None] * len(links),
        strict=True,
    ):
        by_territory.setdefault(tid, []).append(_partner_text(p_names[pid], relation, distance))
        by_ptce.setdefault(pid, []).append(_partner_text(t_names[tid], relation, distance))

    groups: dict[str, list[dict[str, Any]]] = {"TH": [], "PE": [], "autre": []}
    for _, row in territories.iterrows():
        geometry = _geometry(row.geometry)
        if geometry is None:
            continue
        props = {
            "name": umap_text(row["nom"]),
            "description": _territory_description(row, by_territory.get(row["id"], [])),
            **_properties(row, field_names("territories", public=True)),
        }
        statut = _text(row["statut"])
        groups[statut if statut in ("TH", "PE") else "autre"].append(_feature(geometry, props))

    ptce_features = []
    for _, row in ptce.iterrows():
        geom = row.geometry
        if not isinstance(geom, shapely.Geometry) or geom.is_empty:
            continue
        seat = geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)
        props = {
            "name": umap_text(row["nom"]),
            "description": _ptce_description(row, by_ptce.get(row["id"], [])),
            **_properties(row, field_names("ptce", public=True)),
        }
        ptce_features.append(_feature(_geometry(seat), props))  # type: ignore[arg-type]

    link_features = []
    if len(links):
        from geo.analysis.synergies import link_lines

        lines = link_lines(links, territories, ptce)
        for (_, link), line in zip(links.iterrows(), lines, strict=True):
            geometry = _geometry(line)
            if geometry is None:
                continue
            label, color, weight, dash = _RELATIONS[link["relation"]]
            distance = km_fr(link.get("distance_km")) if link["relation"] != "overlap" else ""
            lines_text = [_line("Relation", label), _line("Distance", distance)]
            props = {
                "name": f"{umap_text(t_names[link['territory_id']])} – "
                f"{umap_text(p_names[link['ptce_id']])}",
                "description": "\n".join(x for x in lines_text if x),
                "territory_id": link["territory_id"],
                "ptce_id": link["ptce_id"],
                "relation": label,
            }
            km = number(link.get("distance_km"))
            if km is not None:
                props["distance_km"] = round(float(km), 2)
            style: dict[str, Any] = {"color": color, "weight": weight}
            if dash:
                style["dashArray"] = dash
            props["_umap_options"] = style
            link_features.append(_feature(geometry, props))

    layers = [_layer(key, groups[key]) for key in ("TH", "PE", "autre") if groups[key]]
    layers.append(_layer("ptce", ptce_features))
    if link_features:
        layers.append(_layer("links", link_features, weight=2))

    n_t = sum(len(groups[k]) for k in groups)
    caption = description or (
        f"{n_t} territoires zéro chômeur de longue durée et {len(ptce_features)} PTCE, "
        f"{len(link_features)} liens (chevauchement ou distance de {radius_km:g} km au plus). "
        "Carte exportée par tzptce-geo."
    )
    properties: dict[str, Any] = {
        "name": umap_text(title),
        "description": umap_text(caption),
        "zoom": 6,
        "defaultView": "data",
        "onLoadPanel": "caption",
        "captionBar": True,
        "scaleControl": True,
        "scrollWheelZoom": False,
        "slugKey": "id",
        "facetKey": "statut|Statut,region_nom|Région",
        "shortCredit": "Données : tzptce-geo (TZCLD, PTCE) ; communes : IGN ADMIN EXPRESS COG",
    }
    document: dict[str, Any] = {"type": "umap"}
    if uri is not None:
        document["uri"] = uri
    document.update(
        properties=properties,
        geometry={"type": "Point", "coordinates": list(_FRANCE_CENTRE)},
        layers=layers,
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


def write_umap(
    path: str | os.PathLike[str],
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    **kwargs: Any,
) -> Path:
    """Write a ``.umap`` file (see :func:`to_umap`) atomically.

    Parameters
    ----------
    path
        Target file; its directory is created when missing.
    territories, ptce, synergies
        As for :func:`to_umap`.
    **kwargs
        Keyword arguments of :func:`to_umap` (``radius_km``, ``title``,
        ``description``, ``uri``).

    Returns
    -------
    Path
        The written file: import it in uMap or Framacarte with "Importer des
        données", format ``umap``.
    """
    text = umap_json(to_umap(territories, ptce, synergies, **kwargs))
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
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
) -> Path:
    """Load territories and PTCE (files or the shipped data) and write a ``.umap`` file.

    The one call behind ``python -m geo map --umap F.umap``.

    Parameters
    ----------
    path
        Target ``.umap`` file.
    territories, ptce
        A file for :func:`geo.load_territories` / :func:`geo.load_ptce`, or a
        GeoDataFrame; the shipped data when omitted.
    radius_km, region, departement, territory
        As for :func:`to_umap`.

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
        radius_km=radius_km,
        region=region,
        departement=departement,
        territory=territory,
    )
