"""Map territorial cooperation in France: TZCLD territories and PTCE.

``geo`` joins TZCLD territories ("Territoires zéro chômeur de longue durée")
and PTCE ("Pôles territoriaux de coopération économique") to official commune
boundaries, measures their overlap and proximity in the legal metric CRS of
each zone, and draws Folium maps of these synergies.

Public functions are imported lazily, so ``import geo`` stays fast and the
command line does not load folium unless it draws a map.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

from geo import errors, settings
from geo.errors import (
    AmbiguousCommuneError,
    ArgumentError,
    CRSError,
    DataSourceError,
    GeoError,
    InvalidGeometryError,
    SchemaError,
    UnknownCommuneError,
    UnknownQPVError,
)

__version__ = _version("tzptce-geo")

_LAZY = {
    "load_communes": "reference.communes",
    "commune_attributes": "reference.communes",
    "departement_code": "reference.communes",
    "region_code": "reference.communes",
    "find_commune": "reference.lookup",
    "resolve_communes": "reference.lookup",
    "commune_of_address": "reference.postcodes",
    "load_territories": "loading.entities",
    "load_ptce": "loading.entities",
    "geocode": "reference.geocoding",
    "synergies": "analysis.synergies",
    "nearest_ptce": "analysis.synergies",
    "synergy_summary": "analysis.summaries",
    "nearest_commune": "reference.nearest",
    "ptce_near": "analysis.near",
    "territories_near": "analysis.near",
    "opportunities": "analysis.observatory",
    "radius_sensitivity": "analysis.summaries",
    "opportunity_summary": "analysis.summaries",
    "timeline": "analysis.timeline",
    "plot_timeline": "publish.charts",
    "static_map": "publish.staticmap",
    "write_static_map": "publish.staticmap",
    "write_table": "publish.export",
    "write_synergies": "publish.export",
    "write_gis": "publish.gis",
    "labels_fr": "publish.labels",
    "synergy_map": "publish.maps",
    "write_map": "publish.maps",
    "qpv_of_commune": "reference.qpv",
    "to_umap": "publish.umap",
    "write_umap": "publish.umap",
    "build_site": "publish.site",
}

if TYPE_CHECKING:  # what __getattr__ imports on first use, visible to type checkers
    from geo.analysis.near import ptce_near as ptce_near
    from geo.analysis.near import territories_near as territories_near
    from geo.analysis.observatory import opportunities as opportunities
    from geo.analysis.summaries import opportunity_summary as opportunity_summary
    from geo.analysis.summaries import radius_sensitivity as radius_sensitivity
    from geo.analysis.summaries import synergy_summary as synergy_summary
    from geo.analysis.synergies import nearest_ptce as nearest_ptce
    from geo.analysis.synergies import synergies as synergies
    from geo.analysis.timeline import timeline as timeline
    from geo.loading.entities import load_ptce as load_ptce
    from geo.loading.entities import load_territories as load_territories
    from geo.publish.charts import plot_timeline as plot_timeline
    from geo.publish.export import write_synergies as write_synergies
    from geo.publish.export import write_table as write_table
    from geo.publish.gis import write_gis as write_gis
    from geo.publish.labels import labels_fr as labels_fr
    from geo.publish.maps import synergy_map as synergy_map
    from geo.publish.maps import write_map as write_map
    from geo.publish.site import build_site as build_site
    from geo.publish.staticmap import static_map as static_map
    from geo.publish.staticmap import write_static_map as write_static_map
    from geo.publish.umap import to_umap as to_umap
    from geo.publish.umap import write_umap as write_umap
    from geo.reference.communes import commune_attributes as commune_attributes
    from geo.reference.communes import departement_code as departement_code
    from geo.reference.communes import load_communes as load_communes
    from geo.reference.communes import region_code as region_code
    from geo.reference.geocoding import geocode as geocode
    from geo.reference.lookup import find_commune as find_commune
    from geo.reference.lookup import resolve_communes as resolve_communes
    from geo.reference.nearest import nearest_commune as nearest_commune
    from geo.reference.postcodes import commune_of_address as commune_of_address
    from geo.reference.qpv import qpv_of_commune as qpv_of_commune

__all__ = [
    "AmbiguousCommuneError",
    "ArgumentError",
    "CRSError",
    "DataSourceError",
    "GeoError",
    "InvalidGeometryError",
    "SchemaError",
    "UnknownCommuneError",
    "UnknownQPVError",
    "__version__",
    "errors",
    "settings",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
