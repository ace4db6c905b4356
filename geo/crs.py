"""Which metric CRS measures which part of France.

Distances and areas are computed in the legal projected system of each zone
(décret 2000-1276 as amended by décret 2019-165): Lambert-93 on the mainland
and in Corsica, the local UTM systems overseas. Two geometries in different
zones are never measured against each other.

This module only knows codes, bounding boxes and EPSG numbers; it does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import CRSError

__all__ = [
    "WGS84",
    "ZONES",
    "Zone",
    "check_lonlat",
    "to_metric",
    "zone_of_code",
    "zone_of_geometry",
]

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Zone:
    """A measurement zone: a name, its legal metric EPSG and its extent.

    Attributes
    ----------
    name
        Short identifier used in result tables (``"metropole"``, ``"reunion"``...).
    label
        French display name.
    epsg
        EPSG code of the legal projected CRS.
    departements
        Département codes (3 characters overseas) that belong to the zone.
    bounds
        Rough (min lon, min lat, max lon, max lat) envelope in WGS84, used to
        place geometries that come without a commune code.
    """

    name: str
    label: str
    epsg: int
    departements: tuple[str, ...]
    bounds: tuple[float, float, float, float]


ZONES: dict[str, Zone] = {
    z.name: z
    for z in (
        Zone("metropole", "France métropolitaine", 2154, (), (-5.5, 41.2, 10.0, 51.3)),
        Zone(
            "antilles",
            "Antilles (Guadeloupe, Martinique, Saint-Martin, Saint-Barthélemy)",
            5490,
            ("971", "972", "977", "978"),
            (-63.3, 14.3, -60.7, 18.2),
        ),
        Zone("guyane", "Guyane", 2972, ("973",), (-54.7, 2.0, -51.5, 6.0)),
        Zone("reunion", "La Réunion", 2975, ("974",), (55.1, -21.5, 56.0, -20.8)),
        Zone("mayotte", "Mayotte", 4471, ("976",), (44.9, -13.1, 45.4, -12.5)),
        Zone(
            "saint-pierre-et-miquelon",
            "Saint-Pierre-et-Miquelon",
            4467,
            ("975",),
            (-56.6, 46.7, -56.0, 47.2),
        ),
    )
}

_ZONE_BY_DEP = {dep: z.name for z in ZONES.values() for dep in z.departements}


def zone_of_code(code_insee: str) -> str:
    """Return the zone name of a commune or département code.

    Parameters
    ----------
    code_insee
        A 5-character INSEE commune code (``"97407"``, ``"2A004"``) or a
        département code (``"974"``, ``"78"``).

    Returns
    -------
    str
        A key of :data:`ZONES`.

    Examples
    --------
    >>> zone_of_code("97407")
    'reunion'
    >>> zone_of_code("75113")
    'metropole'
    """
    code = str(code_insee).strip()
    return _ZONE_BY_DEP.get(code[:3], "metropole")


def zone_of_geometry(geometries: gpd.GeoSeries) -> pd.Series:
    """Return the zone of each geometry from its position (WGS84).

    Parameters
    ----------
    geometries
        Geometries with a CRS; they are reprojected to WGS84 when needed.

    Returns
    -------
    pandas.Series
        Zone names, index of ``geometries``; ``None`` for empty geometries and
        for geometries outside every zone.
    """
    geoms = _require_crs(geometries).to_crs(WGS84)
    points = shapely.point_on_surface(geoms.values.to_numpy())
    xs = shapely.get_x(points)
    ys = shapely.get_y(points)
    out = np.full(len(geoms), None, dtype=object)
    for zone in ZONES.values():
        minx, miny, maxx, maxy = zone.bounds
        inside = (xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy)
        out[inside & pd.isna(out)] = zone.name
    return pd.Series(out, index=geometries.index, name="zone", dtype=object)


def to_metric(data: gpd.GeoDataFrame | gpd.GeoSeries, zone: str):
    """Reproject to the legal metric CRS of ``zone``.

    Parameters
    ----------
    data
        Geometries with a CRS.
    zone
        A key of :data:`ZONES`.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A reprojected copy.

    Raises
    ------
    CRSError
        If ``data`` has no CRS or ``zone`` is unknown.
    """
    if zone not in ZONES:
        raise CRSError(f"unknown zone {zone!r}; expected one of {sorted(ZONES)}")
    return _require_crs(data).to_crs(epsg=ZONES[zone].epsg)


def check_lonlat(lon: float, lat: float, where: str = "") -> str | None:
    """Describe what is wrong with a longitude/latitude pair, if anything.

    Parameters
    ----------
    lon, lat
        Coordinates in degrees (WGS84).
    where
        Prefix for the message, e.g. ``"row 4"``.

    Returns
    -------
    str or None
        ``None`` when the point lies in a French zone; otherwise a message
        that says whether the values look swapped or lie outside France.
    """
    prefix = f"{where}: " if where else ""
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return f"{prefix}longitude/latitude missing or not numbers ({lon!r}, {lat!r})"
    if _in_any_zone(lon, lat):
        return None
    if _in_any_zone(lat, lon):
        return (
            f"{prefix}latitude/longitude look swapped ({lat}, {lon} is in France, "
            f"{lon}, {lat} is not): longitude is east-west, latitude north-south"
        )
    return f"{prefix}point ({lon}, {lat}) is outside metropolitan and overseas France"


def _in_any_zone(lon: float, lat: float) -> bool:
    return any(
        z.bounds[0] <= lon <= z.bounds[2] and z.bounds[1] <= lat <= z.bounds[3]
        for z in ZONES.values()
    )


def _require_crs(data):
    if data.crs is None:
        raise CRSError(
            "geometries have no CRS: declare it with .set_crs('EPSG:4326') for "
            "longitude/latitude (or the CRS they are really in) before calling geo"
        )
    return data
