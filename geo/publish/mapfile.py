"""Load data and write a synergy map file: the one call behind ``python -m geo map``.

Drawing code (:mod:`geo.publish.maps`) takes frames; this module is where the
command line's files become frames (:func:`geo.load_territories`,
:func:`geo.load_ptce`) before :func:`geo.publish.maps.map_data`. The page is written
by :func:`geo.publish.maps.map_page` without folium, so the command never imports or
compiles folium's templates.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd

__all__ = ["make_map"]


def make_map(
    path: str | os.PathLike[str],
    *,
    territories: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    ptce: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    region: str | None = None,
    departement: str | None = None,
    territory: str | None = None,
    radius_km: float = 20,
    rings: bool = False,
    tiles: bool | str = True,
    offline: bool = False,
    assets_dir: str | os.PathLike[str] | None = None,
    embed: bool = False,
    popup_columns: Sequence[str] | None = None,
    separate_assets: bool = False,
) -> Path:
    """Load territories and PTCE, draw the synergy map and write it.

    Parameters
    ----------
    path
        Target ``.html`` file.
    territories, ptce
        A file for :func:`geo.load_territories` / :func:`geo.load_ptce`, or a
        GeoDataFrame; the shipped data when omitted.
    region, departement, territory
        Focus (at most one); the whole of France when none is given.
    radius_km, rings, tiles, embed, popup_columns
        As for :func:`geo.publish.maps.synergy_map`.
    offline, assets_dir, separate_assets
        As for :func:`geo.publish.maps.write_map`.

    Returns
    -------
    Path
        The written file.
    """
    from geo.loading.entities import load_ptce, load_territories
    from geo.publish.frtext import DEFAULT_TITLE
    from geo.publish.maps import map_data, map_page, write_page

    if not isinstance(territories, gpd.GeoDataFrame):
        territories = load_territories(territories)
    if not isinstance(ptce, gpd.GeoDataFrame):
        ptce = load_ptce(ptce)
    data = map_data(
        territories,
        ptce,
        region=region,
        departement=departement,
        territory=territory,
        radius_km=radius_km,
        rings=rings,
        tiles=tiles,
        title=DEFAULT_TITLE,  # titled with the area or territory by map_data
        embed=embed,
        popup_columns=popup_columns,
    )
    # the page without folium: no template engine to import, compile or feed
    return write_page(
        map_page(data),
        path,
        offline=offline,
        assets_dir=assets_dir,
        separate_assets=separate_assets,
    )
