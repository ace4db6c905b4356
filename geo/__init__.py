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
from typing import TYPE_CHECKING, Any

from . import errors, settings
from .errors import (
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

__version__ = "0.1.0"

_LAZY = {
    "load_communes": "communes",
    "commune_attributes": "communes",
    "departement_code": "communes",
    "region_code": "communes",
    "find_commune": "lookup",
    "resolve_communes": "lookup",
    "commune_of_address": "lookup",
    "load_territories": "entities",
    "load_ptce": "entities",
    "geocode": "geocoding",
    "synergies": "analysis",
    "nearest_ptce": "analysis",
    "synergy_summary": "analysis",
    "nearest_commune": "analysis",
    "opportunities": "observatory",
    "radius_sensitivity": "observatory",
    "opportunity_summary": "observatory",
    "timeline": "observatory",
    "plot_timeline": "charts",
    "write_table": "export",
    "write_synergies": "export",
    "synergy_map": "maps",
    "write_map": "maps",
    "qpv_of_commune": "qpv",
    "to_umap": "umap",
    "write_umap": "umap",
    "build_site": "site",
}

if TYPE_CHECKING:  # what __getattr__ imports on first use, visible to type checkers
    from .analysis import nearest_commune as nearest_commune
    from .analysis import nearest_ptce as nearest_ptce
    from .analysis import synergies as synergies
    from .analysis import synergy_summary as synergy_summary
    from .charts import plot_timeline as plot_timeline
    from .communes import commune_attributes as commune_attributes
    from .communes import departement_code as departement_code
    from .communes import load_communes as load_communes
    from .communes import region_code as region_code
    from .entities import load_ptce as load_ptce
    from .entities import load_territories as load_territories
    from .export import write_synergies as write_synergies
    from .export import write_table as write_table
    from .geocoding import geocode as geocode
    from .lookup import commune_of_address as commune_of_address
    from .lookup import find_commune as find_commune
    from .lookup import resolve_communes as resolve_communes
    from .maps import synergy_map as synergy_map
    from .maps import write_map as write_map
    from .observatory import opportunities as opportunities
    from .observatory import opportunity_summary as opportunity_summary
    from .observatory import radius_sensitivity as radius_sensitivity
    from .observatory import timeline as timeline
    from .qpv import qpv_of_commune as qpv_of_commune
    from .site import build_site as build_site
    from .umap import to_umap as to_umap
    from .umap import write_umap as write_umap

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
