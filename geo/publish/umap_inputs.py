"""The inputs of one uMap export: checked, in WGS 84, sorted and cut to the asked area.

Territories and PTCE must be GeoDataFrames with the schema's required fields and a CRS;
synergies (computed when not given) keep the link kinds the export draws, closest first.
The area (a région, a département or one territory with its partners) is chosen by the one
rule the maps, the site and the command line share (:func:`geo.publish.area.area_view`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import WGS84
from geo.errors import ArgumentError, CRSError, SchemaError
from geo.publish.area import area_view
from geo.publish.frtext import safe_url
from geo.publish.frtext import text as _text
from geo.publish.umap_layers import LINK_KEYS
from geo.schema import field_names

__all__ = ["Inputs", "prepare_inputs"]


def _check_frame(frame: Any, columns: Sequence[str], what: str) -> list[str]:
    if not isinstance(frame, gpd.GeoDataFrame):
        return [
            f"{what} must be a GeoDataFrame (see geo.load_{what}()), got {type(frame).__name__}"
        ]
    missing = [c for c in columns if c not in frame.columns]
    return [f"{what} lacks columns {missing} (see geo.load_{what}())"] if missing else []


def _check(territories: Any, ptce: Any, synergies: pd.DataFrame | None) -> None:
    """Raise a :class:`SchemaError` naming every missing table or column at once."""
    problems = _check_frame(territories, field_names("territories", required=True), "territories")
    problems += _check_frame(ptce, field_names("ptce", required=True), "ptce")
    if synergies is not None:
        missing = [c for c in ("territory_id", "ptce_id", "relation") if c not in synergies]
        if missing:
            problems.append(f"synergies lack columns {missing} (see geo.synergies())")
    if problems:
        raise SchemaError("cannot export to uMap: " + "; ".join(problems), problems)


def _wgs84(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise CRSError(
            f"{what} have no CRS: declare it with .set_crs('EPSG:4326') (or the CRS they are "
            "really in) before exporting to uMap"
        )
    return frame if frame.crs.equals(WGS84) else frame.to_crs(WGS84)


def _links_of(synergies: pd.DataFrame) -> pd.DataFrame:
    links = pd.DataFrame(synergies).copy()
    for column in ("territory_id", "ptce_id", "relation"):
        links[column] = links[column].map(_text)
    links = links[links["relation"].isin(list(LINK_KEYS))]
    rank = links["relation"].map({r: i for i, r in enumerate(LINK_KEYS)})
    distance = (
        pd.to_numeric(links["distance_km"], errors="coerce").fillna(0.0)
        if "distance_km" in links.columns
        else pd.Series(0.0, index=links.index)
    )
    order = np.lexsort((links["ptce_id"], links["territory_id"], distance.to_numpy(), rank))
    return links.iloc[order]


@dataclass(frozen=True)
class Inputs:
    """The checked, reprojected, sorted and selected inputs of one export.

    Attributes
    ----------
    territories, ptce
        The rows of the asked area, in WGS 84, sorted by ``id`` (a text).
    links
        The pairs of the area whose relation is drawn, closest relation first.
    t_names, p_names
        Name of every territory and every PTCE of the inputs, by id (the links of a
        territory name partners outside the area).
    """

    territories: gpd.GeoDataFrame
    ptce: gpd.GeoDataFrame
    links: pd.DataFrame
    t_names: dict[str, str]
    p_names: dict[str, str]


def prepare_inputs(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None,
    *,
    radius_km: float,
    uri: str | None,
    region: str | None,
    departement: str | None,
    territory: str | None,
) -> Inputs:
    """Check, reproject, sort and select the inputs of one export.

    Parameters
    ----------
    territories, ptce, synergies, radius_km, uri, region, departement, territory
        As for :func:`geo.publish.umap.to_umap`; ``synergies`` is computed with
        ``radius_km`` when ``None``.

    Returns
    -------
    Inputs
        The inputs, ready for the features and the view.

    Raises
    ------
    SchemaError, CRSError, ArgumentError
        As :func:`geo.publish.umap.to_umap` says.
    """
    _check(territories, ptce, synergies)
    if uri is not None and safe_url(uri) is None:
        raise ArgumentError(f"uri={uri!r}: expected an absolute http(s) URL, or None")
    if sum(x is not None for x in (region, departement, territory)) > 1:
        raise ArgumentError("give at most one of region=, departement=, territory=")
    territories = _wgs84(territories, "territories")
    ptce = _wgs84(ptce, "ptce")
    if synergies is None:
        from geo.analysis.synergies import synergies as compute

        synergies = compute(territories, ptce, radius_km=radius_km, geometry=False)

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
    return Inputs(territories, ptce, links, t_names, p_names)
