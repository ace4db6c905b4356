"""French labels for result tables: one function for reports, spreadsheets and notebooks.

:func:`labels_fr` turns any result table of the package (synergies, nearest
PTCE, opportunities, summaries, timeline, places around a point) into what a
French report shows: French column headers with no two alike, French values
for relations and yes/no flags, distances and shares rounded. Column names
stay English snake_case in the API; this is a view for people. It computes
nothing and never modifies its input.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.observatory import LABELS_FR as _OBSERVATORY_LABELS
from geo.analysis.relations import LABELS_FR as _SYNERGY_LABELS
from geo.analysis.relations import RELATIONS

__all__ = ["COLUMN_LABELS", "VALUE_LABELS", "labels_fr"]

#: French headers of result columns (both analysis tables' labels, and the fields
#: of the territory and PTCE tables a result keeps).
COLUMN_LABELS: dict[str, str] = {
    **{k: v for k, v in _SYNERGY_LABELS.items() if k not in (*RELATIONS, "far", "ensemble")},
    **_OBSERVATORY_LABELS,
    "region": "Code région",
    "region_nom": "Région",
    "departement": "Département",
    "id": "Identifiant",
    "nom": "Nom",
    "porteur": "Structure porteuse",
    "siege_commune": "Commune du siège",
    "siege_insee": "Code INSEE du siège",
    "communes": "Communes",
    "codes_insee": "Codes INSEE",
    "thematiques": "Thématiques",
    "soutien_etat": "Soutien de l'État",
    "site_web": "Site web",
    "sources": "Sources",
    "precision": "Précision",
    "date_habilitation": "Date d'habilitation",
}

#: French values of the columns that hold English words.
VALUE_LABELS: dict[str, dict[Any, str]] = {
    "relation": {
        "overlap": "chevauchement",
        "adjacent": "communes voisines",
        "near": "à proximité",
        "far": "éloigné",
    },
}

_ROUNDING = (("_km2", 2), ("_km", 1), ("_pct", 1))
_DROPPED = ("category_en",)  # the English copy of ``category``


def _rounded(column: pd.Series, name: str) -> pd.Series:
    for suffix, decimals in _ROUNDING:
        if name.endswith(suffix) and pd.api.types.is_float_dtype(column):
            return column.round(decimals)
    return column


def _french_values(column: pd.Series, name: str) -> pd.Series:
    if name in VALUE_LABELS:
        words = VALUE_LABELS[name]
        return column.map(lambda v: words.get(v, v) if isinstance(v, str) else v)
    if pd.api.types.is_bool_dtype(column):
        return column.map({True: "oui", False: "non"})
    if column.dtype == object and column.map(lambda v: isinstance(v, bool | np.bool_)).any():
        return column.map(
            lambda v: ("oui" if v else "non") if isinstance(v, bool | np.bool_) else v
        )
    return column


def _holds_names(column: pd.Series) -> bool:
    """Whether a ``region`` column holds région names (the summaries') rather than codes."""
    values = column.dropna().astype(str)
    return bool(len(values)) and not values.str.fullmatch(r"\d{2,3}").all()


def _headers(columns: list[str], keep: str | None, named: set[str]) -> dict[str, str]:
    """French headers, made unique: a second column with the same label names its field."""
    headers: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        if column == keep:
            headers[column] = column
            continue
        label = "Région" if column in named else COLUMN_LABELS.get(column, column)
        if label in used:
            label = f"{label} ({column})"
        used.add(label)
        headers[column] = label
    return headers


def labels_fr(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of a result table with French headers and values, for people.

    Headers come from :data:`COLUMN_LABELS` (the column name where none is
    known) and are unique: ``region`` is "Code région" beside ``region_nom``
    "Région" (and "Région" where it holds names, as in the summaries by
    région), and any other collision gets its field name in parentheses.
    ``relation`` values become "chevauchement", "communes voisines", "à
    proximité"; yes/no flags "oui"/"non"; ``category_en`` is left out (the
    French ``category`` stays). Distances (``*_km``) and shares (``*_pct``)
    are rounded to 0.1, areas (``*_km2``) to 0.01. A GeoDataFrame stays one,
    its geometry column unchanged; ``attrs`` are kept.

    Parameters
    ----------
    frame
        A result table of the package (or any table).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A new table; ``frame`` is not modified.

    Examples
    --------
    >>> import geo
    >>> t, p = geo.load_territories(), geo.load_ptce()
    >>> table = geo.labels_fr(geo.synergies(t, p))
    >>> sorted(set(table["Relation"]))
    ['chevauchement', 'à proximité']
    >>> table.columns.is_unique
    True
    """
    geometry = frame.active_geometry_name if isinstance(frame, gpd.GeoDataFrame) else None
    if geometry not in frame.columns:
        geometry = None
    out = frame.drop(columns=[c for c in _DROPPED if c in frame.columns]).copy()
    for column in out.columns:
        if column == geometry:
            continue
        name = str(column)
        out[column] = _french_values(_rounded(out[column], name), name)
    named = {c for c in ("region",) if c in out.columns and _holds_names(out[c])}
    out = out.rename(columns=_headers([str(c) for c in out.columns], geometry, named))
    out.attrs = dict(frame.attrs)
    return out
