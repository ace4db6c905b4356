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
from typing import Any

from . import errors, settings
from .errors import (
    AmbiguousCommuneError,
    CRSError,
    DataSourceError,
    GeoError,
    InvalidGeometryError,
    SchemaError,
    UnknownCommuneError,
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

__all__ = [
    "AmbiguousCommuneError",
    "CRSError",
    "DataSourceError",
    "GeoError",
    "InvalidGeometryError",
    "SchemaError",
    "UnknownCommuneError",
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
