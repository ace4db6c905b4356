"""The features of the uMap export: properties, popup descriptions and link lines.

Each territory and PTCE becomes a GeoJSON feature whose properties are its public fields
(``geo.schema.field_names(table, public=True)``; sources kept as their ``http(s)`` links
only, ``population`` as a number), plus ``name``, ``categorie`` and ``region_nom``, the two
filter fields every feature has, and a ``description``, the only text its popup shows,
written with :mod:`geo.publish.umap_syntax`. Each territory-PTCE pair becomes a line from
the PTCE seat to the nearest point of the territory, in the layer of its relation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import shapely

from geo.publish.frtext import (
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
from geo.publish.umap_inputs import Inputs
from geo.publish.umap_layers import CATEGORY, UMAP_LAYERS
from geo.publish.umap_syntax import umap_line, umap_link, umap_popup, umap_text
from geo.publish.umap_view import geojson_geometry
from geo.schema import field_names

__all__ = ["LayerFeatures", "layer_features"]

_NO_REGION = "Région non renseignée"


@dataclass(frozen=True)
class LayerFeatures:
    """The features of one export, by layer, and the shapes the first view must show."""

    #: GeoJSON features by key of :data:`geo.publish.umap_layers.UMAP_LAYERS`, in reading
    #: order, every key present (an empty list for an empty layer).
    groups: dict[str, list[dict[str, Any]]]
    #: Territory shapes and PTCE seats that made a feature.
    shown: list[Any]
    #: Link lines that made a feature.
    lines: list[Any]


def layer_features(data: Inputs) -> LayerFeatures:
    """Return the features of territories (by statut), PTCE and links (by relation).

    Rows and links without a geometry make no feature. Each feature has a ``name``, a
    ``description`` (its popup), a ``categorie`` and a ``region_nom`` (the map's two
    filters), and the row's public fields.

    Parameters
    ----------
    data
        The prepared inputs (:func:`geo.publish.umap_inputs.prepare_inputs`).

    Returns
    -------
    LayerFeatures
        The features by layer, and what they draw.
    """
    by_territory, by_ptce = _partners(data)
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in UMAP_LAYERS}
    shown: list[Any] = []
    region_of = _territory_features(data, by_territory, groups, shown)
    _ptce_features(data, by_ptce, groups, shown)
    lines = _link_features(data, region_of, groups)
    return LayerFeatures(groups, shown, lines)


def _territory_features(
    data: Inputs,
    by_territory: dict[str, list[str]],
    groups: dict[str, list[dict[str, Any]]],
    shown: list[Any],
) -> dict[str, str]:
    """Add each territory to the layer of its statut; return the région of each one."""
    region_of: dict[str, str] = {}
    for _, row in data.territories.iterrows():
        geometry = geojson_geometry(row.geometry)
        if geometry is None:
            continue
        statut = _text(row["statut"])
        key = statut if statut in ("TH", "PE") else "autre"
        region_of[row["id"]] = _text(row.get("region_nom")) or _NO_REGION
        props = {
            "name": data.t_names[row["id"]],
            "description": _territory_description(row, by_territory.get(row["id"], [])),
            "categorie": CATEGORY[key],
            **_properties(row, field_names("territories", public=True)),
            "region_nom": region_of[row["id"]],
        }
        groups[key].append(_feature(geometry, props))
        shown.append(row.geometry)
    return region_of


def _ptce_features(
    data: Inputs,
    by_ptce: dict[str, list[str]],
    groups: dict[str, list[dict[str, Any]]],
    shown: list[Any],
) -> None:
    """Add each PTCE, drawn at its seat (a point on its surface for an area), to its layer."""
    for _, row in data.ptce.iterrows():
        geom = row.geometry
        if not isinstance(geom, shapely.Geometry) or geom.is_empty:
            continue
        seat = geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)
        props = {
            "name": data.p_names[row["id"]],
            "description": _ptce_description(row, by_ptce.get(row["id"], [])),
            "categorie": CATEGORY["ptce"],
            **_properties(row, field_names("ptce", public=True)),
            "region_nom": _text(row.get("region_nom")) or _NO_REGION,
        }
        groups["ptce"].append(_feature(geojson_geometry(seat), props))  # type: ignore[arg-type]
        shown.append(seat)


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


def _territory_description(row: pd.Series, partners: list[str]) -> str:
    """Return the popup of a territory: its fields, its partner PTCE and its source links."""
    statut = _text(row.get("statut"))
    communes = ", ".join(c.strip() for c in _text(row.get("communes")).split(";") if c.strip())
    sources = " ".join(umap_link(u) for u in public_urls(row.get("sources")))
    return umap_popup(
        umap_text(row.get("nom")),
        [
            umap_line("Statut", umap_text(STATUT_LABELS.get(statut, statut))),
            umap_line("Région", umap_text(row.get("region_nom"))),
            umap_line("Département", umap_text(row.get("departement"))),
            umap_line("Communes", umap_text(communes)),
            umap_line("Quartiers", umap_text(row.get("sous_zone"))),
            umap_line("Date d'habilitation", umap_text(date_fr(row.get("date_habilitation")))),
            umap_line("Population", umap_text(population_text(row))),
            umap_line("EBE", umap_text(row.get("ebe"))),
            umap_line(
                "Périmètre", umap_text(PRECISION_LABELS.get(_text(row.get("precision")), ""))
            ),
            umap_line("PTCE proches", umap_text(" ; ".join(partners))),
            umap_line("Sources", sources),
        ],
    )


def _ptce_description(row: pd.Series, partners: list[str]) -> str:
    """Return the popup of a PTCE: its fields, its partner territories and its links."""
    sources = " ".join(umap_link(u) for u in public_urls(row.get("sources")))
    return umap_popup(
        umap_text(row.get("nom")),
        [
            umap_line("Porteur", umap_text(row.get("porteur"))),
            umap_line("Siège", umap_text(row.get("siege_commune"))),
            umap_line("Région", umap_text(row.get("region_nom"))),
            umap_line("Zone d'action", umap_text(row.get("zone_action"))),
            umap_line("Thématiques", umap_text(row.get("thematiques"))),
            umap_line("Soutien de l'État", umap_text(row.get("soutien_etat"))),
            umap_line(
                "Précision", umap_text(PRECISION_LABELS.get(_text(row.get("precision")), ""))
            ),
            umap_line("Territoires proches", umap_text(" ; ".join(partners))),
            umap_line("Site web", umap_link(_text(row.get("site_web")))),
            umap_line("Sources", sources),
        ],
    )


def _partner_text(name: str, relation: str, distance: Any, certainty: Any = None) -> str:
    """``Pôle Un (à proximité, 3,2 km)``: raw text, encoded with the line it goes in."""
    label = relation_fr(relation, certainty)
    km = km_fr(distance) if relation != "overlap" else ""
    return f"{name} ({label}{', ' + km if km else ''})"


def _feature(geometry: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """Return a GeoJSON feature."""
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _partners(data: Inputs) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
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
    data: Inputs, region_of: dict[str, str], groups: dict[str, list[dict[str, Any]]]
) -> list[Any]:
    """Add each link to the layer of its relation; return the lines drawn."""
    if not len(data.links):
        return []
    from geo.analysis.links import link_lines

    drawn = []
    lines = link_lines(data.links, data.territories, data.ptce)
    for (_, link), line in zip(data.links.iterrows(), lines, strict=True):
        geometry = geojson_geometry(line)
        if geometry is None:
            continue
        relation = link["relation"]
        label = RELATION_LABELS[relation]
        name = f"{data.t_names[link['territory_id']]} – {data.p_names[link['ptce_id']]}"
        distance = km_fr(link.get("distance_km")) if relation != "overlap" else ""
        props: dict[str, Any] = {
            "name": name,
            "description": umap_popup(
                umap_text(name),
                [
                    umap_line("Relation", umap_text(relation_fr(relation, link.get("certainty")))),
                    umap_line("Distance", umap_text(distance)),
                ],
            ),
            "categorie": CATEGORY[relation],
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
