"""The layers of the uMap export: their keys, style, caption and declared fields.

uMap lists the layers, each with a swatch of its style, as the map's legend: one layer per
territory statut, the PTCE, and one layer per kind of link (chevauchement, contiguïté,
proximité), each with its own colour *and* dash pattern or symbol, and a caption sentence
saying what it shows. Strokes are drawn at full opacity (uMap's default is 0.5) in colours
with a contrast of at least 3:1 on the land colour of uMap's default background. Each layer
declares the types of its fields (``population`` and ``distance_km`` as numbers), since uMap
3.8 infers "String" for a field its layer does not declare (``data/layer.js``,
``data/fields.js``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from geo.publish.umap_syntax import umap_text
from geo.schema import field_names

__all__ = [
    "CATEGORY",
    "LINK_KEYS",
    "TERRITORY_KEYS",
    "UMAP_LAYERS",
    "UmapLayer",
    "layer_collection",
    "radius_text",
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

TERRITORY_KEYS = ("TH", "PE", "autre")
LINK_KEYS = ("overlap", "adjacent", "near")
CATEGORY = {
    "TH": "Territoire habilité (TH)",
    "PE": "Projet émergent (PE)",
    "autre": "Territoire (autre statut)",
    "ptce": "PTCE",
    "overlap": "Lien : chevauchement",
    "adjacent": "Lien : contigu",
    "near": "Lien : à proximité",
}
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


def radius_text(radius_km: float) -> str:
    """Return a radius as people write it.

    Parameters
    ----------
    radius_km
        A distance in kilometres.

    Returns
    -------
    str
        French decimal comma, no trailing zero.

    Examples
    --------
    >>> radius_text(20.0), radius_text(7.5)
    ('20 km', '7,5 km')
    """
    return f"{radius_km:g}".replace(".", ",") + " km"


def layer_collection(key: str, features: list[dict[str, Any]], radius_km: float) -> dict[str, Any]:
    """Return layer ``key`` of the document: its features and its ``_umap_options``.

    Parameters
    ----------
    key
        A key of :data:`UMAP_LAYERS`.
    features
        The layer's GeoJSON features (empty when they are read from remote data).
    radius_km
        The distance the "à proximité" caption names.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection with uMap's ``_umap_options``: name, caption, style,
        a popup that shows only the feature's ``description``, and the field types.
    """
    spec = UMAP_LAYERS[key]
    caption = spec.caption.replace("{radius}", radius_text(radius_km))
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
        # Only the description the export writes; never a raw property.
        "popupContentTemplate": "{description}",
    }
    if key == "ptce":
        options.update(iconClass="Circle", iconOpacity=1)
    elif key in TERRITORY_KEYS:
        options.update(fill=True, fillColor=spec.color, fillOpacity=0.2)
    else:
        options["fill"] = False
    if spec.dash:
        options["dashArray"] = spec.dash
    # Field types declared on the layer itself: uMap infers "String" for any field the
    # layer does not declare, before it reads the map's own field list.
    if key in TERRITORY_KEYS:
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
