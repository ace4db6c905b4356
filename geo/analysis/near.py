"""Around a place: the PTCE and the territories within a radius, with their distances.

A place is a commune (INSEE code or name), a postal address, a point or a
territory id (:func:`resolve_place`); :func:`ptce_near` and
:func:`territories_near` return the rows of the PTCE or territory table
within ``radius_km`` of it, closest first, as a GeoDataFrame in EPSG:4326
with a ``distance_km`` column. Distances are measured in the legal metric CRS
of the place's zone (Lambert-93 in metropolitan France, the UTM zone of each
overseas département: :mod:`geo.crs`), from the place's outline (a commune or
territory: 0 inside it) to each PTCE seat or territory outline.

This module reads the shipped tables when none are given and the commune
boundaries of a named commune; it asks the BAN only for an address (through
:func:`geo.reference.geocoding.geocode`, which falls back to the town hall
offline). It draws nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WGS84, ZONES, check_lonlat, to_metric, zone_of_geometry
from geo.errors import ArgumentError, CRSError, UnknownCommuneError

__all__ = ["Place", "ptce_near", "resolve_place", "territories_near"]

_POSTCODE = re.compile(r"\b\d{5}\b")
_LONLAT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)\s*$")
_CODE = re.compile(r"^\s*(\d{5}|2[AB]\d{3})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """A place to measure from.

    Attributes
    ----------
    label
        French description (``"commune Les Mureaux (78440)"``).
    kind
        ``"commune"``, ``"adresse"``, ``"point"`` or ``"territoire"``.
    geometry
        Point or polygon in EPSG:4326.
    zone
        The zone of :data:`geo.crs.ZONES` the distances are measured in.
    """

    label: str
    kind: str
    geometry: Any
    zone: str


def _zone(geometry: Any, label: str) -> str:
    zone = zone_of_geometry(gpd.GeoSeries([geometry], crs=WGS84)).iloc[0]
    if zone is None:
        raise ArgumentError(f"{label} is outside metropolitan and overseas France")
    return str(zone)


def _from_point(place: Any) -> Place:
    if isinstance(place, gpd.GeoSeries | gpd.GeoDataFrame):
        if place.crs is None:
            raise CRSError("the place has no CRS: declare it with .set_crs('EPSG:4326')")
        geoms = place.geometry if isinstance(place, gpd.GeoDataFrame) else place
        if len(geoms) != 1:
            raise ArgumentError(f"expected one place, got a table of {len(geoms)} geometries")
        geometry = geoms.to_crs(WGS84).iloc[0]
    elif isinstance(place, shapely.Geometry):
        geometry = place
    else:
        lon, lat = (float(v) for v in place)
        geometry = shapely.Point(lon, lat)
    if geometry is None or geometry.is_empty:
        raise ArgumentError("the place has an empty geometry")
    point = geometry.representative_point()
    problem = check_lonlat(point.x, point.y, "place")
    if problem:
        raise ArgumentError(problem + " (a point is (longitude, latitude) in EPSG:4326)")
    kind = "point" if geometry.geom_type == "Point" else "géométrie"
    label = f"point ({point.x:.5f}, {point.y:.5f})" if kind == "point" else "géométrie donnée"
    return Place(label, kind, geometry, _zone(geometry, label))


def _commune(code: str, label: str) -> Place:
    from geo.reference.communes import load_communes

    table = load_communes(codes=[code], types=("COM", "ARM"))
    table = table[table.geometry.notna() & ~table.geometry.is_empty]
    if table.empty:
        raise UnknownCommuneError(f"{label}: no boundary for commune {code} in this source")
    geometry = table.to_crs(WGS84).geometry.iloc[0]
    return Place(label, "commune", geometry, _zone(geometry, label))


def _address(text: str) -> Place:
    from geo.reference.geocoding import geocode
    from geo.reference.postcodes import commune_of_address

    code = commune_of_address(text)
    found = geocode(text, citycodes=code).iloc[0]
    if found["precision"] == "inconnu" or pd.isna(found["lon"]):
        raise UnknownCommuneError(
            f"address {text!r} could not be located ({found['reason']}); give its commune "
            "or a point (longitude, latitude) instead"
        )
    label = f"adresse {found['label'] or text}"
    if found["precision"] != "adresse":
        label += f" (position approchée : {found['precision']})"
    geometry = shapely.Point(float(found["lon"]), float(found["lat"]))
    return Place(label, "adresse", geometry, _zone(geometry, label))


def resolve_place(
    place: Any,
    *,
    territories: gpd.GeoDataFrame | None = None,
    departement: str | None = None,
) -> Place:
    """Turn a commune, an address, a point or a territory id into a :class:`Place`.

    Parameters
    ----------
    place
        A territory id of ``territories`` (``"les-mureaux"``), an INSEE code
        (``"78440"``), a commune name (``"Les Mureaux"``), a postal address
        (``"Place de l'Hôtel de Ville 78130 Les Mureaux"``), a shapely
        geometry or ``(longitude, latitude)`` in EPSG:4326 (also as the text
        ``"2.35,48.85"``), or a one-row
        GeoSeries/GeoDataFrame with a CRS.
    territories
        Where to look for territory ids (the shipped territories by default).
    departement
        Département (code or name) of a commune name that several share.

    Returns
    -------
    Place
        Its label, kind, geometry (EPSG:4326) and zone.

    Raises
    ------
    AmbiguousCommuneError
        A commune name several communes share (the message lists them): add
        ``departement``.
    UnknownCommuneError
        Nothing matches, or an address the BAN and the offline lookup cannot place.
    ArgumentError
        A point outside France or with swapped coordinates.

    Examples
    --------
    >>> resolve_place("78440").label
    'commune Les Mureaux (78440)'
    >>> resolve_place((55.29, -20.94)).zone
    'reunion'
    """
    if not isinstance(place, str):
        return _from_point(place)
    text = place.strip()
    if not text:
        raise ArgumentError("empty place: give a commune, an address, a point or a territory id")
    lonlat = _LONLAT.match(text)
    if lonlat:
        return _from_point((float(lonlat[1]), float(lonlat[2])))
    if territories is None:
        from geo.loading.entities import load_territories

        territories = load_territories()
    hit = territories[territories["id"].astype(str) == text]
    if len(hit):
        geometry = hit.to_crs(WGS84).geometry.iloc[0]
        if geometry is None or geometry.is_empty:
            raise ArgumentError(f"territory {text!r} has no geometry (it is not located)")
        label = f"territoire {hit['nom'].iloc[0]} ({text})"
        return Place(label, "territoire", geometry, _zone(geometry, label))
    from geo.reference.lookup import find_commune

    is_address = bool(_POSTCODE.search(text)) and not _CODE.match(text)
    if not is_address:
        try:
            match = find_commune(text, departement=departement)
        except UnknownCommuneError:
            if not re.search(r"\d", text) or _CODE.match(text):
                raise
            is_address = True
        else:
            return _commune(match.code_insee, f"commune {match.nom} ({match.code_insee})")
    return _address(text)


def _within(place: Place, table: gpd.GeoDataFrame, radius_km: float, what: str):
    if not (isinstance(radius_km, int | float) and np.isfinite(radius_km) and radius_km >= 0):
        raise ArgumentError(f"radius_km={radius_km!r}: expected a number of kilometres >= 0")
    if table.crs is None:
        raise CRSError(f"{what} have no CRS: declare it with .set_crs('EPSG:4326')")
    located = table[table.geometry.notna() & ~table.geometry.is_empty]
    zones = zone_of_geometry(located.geometry)
    same = located[(zones == place.zone).to_numpy()]
    metric = to_metric(same.geometry, place.zone)
    origin = to_metric(gpd.GeoSeries([place.geometry], crs=WGS84), place.zone).iloc[0]
    distance_m = shapely.distance(metric.values.to_numpy(), origin)
    keep = distance_m <= radius_km * 1000
    out = same[keep].to_crs(WGS84).copy()
    out["distance_km"] = np.round(distance_m[keep] / 1000, 2)
    out = out.sort_values(["distance_km", "id"], kind="stable")
    out.attrs = {
        "place": place.label,
        "place_kind": place.kind,
        "radius_km": float(radius_km),
        "metric_crs": f"EPSG:{ZONES[place.zone].epsg}",
        "distance": (
            "from the place's outline (0 inside it)"
            if place.kind in ("commune", "territoire")
            else "from the place's point"
        )
        + (" to each PTCE seat" if what == "PTCE" else " to each territory's outline"),
    }
    return out


def ptce_near(
    place: Any,
    radius_km: float = 10.0,
    *,
    ptce: gpd.GeoDataFrame | None = None,
    territories: gpd.GeoDataFrame | None = None,
    departement: str | None = None,
) -> gpd.GeoDataFrame:
    """Return the PTCE whose seat is within ``radius_km`` of a place, closest first.

    Parameters
    ----------
    place
        A commune (code or name), an address, a point or a territory id: see
        :func:`resolve_place`.
    radius_km
        Search radius in kilometres (10 by default).
    ptce
        The PTCE (schema of :func:`geo.load_ptce`); the shipped ones by default.
    territories
        Where to look for a territory id; the shipped territories by default.
    departement
        Département of a commune name that several share.

    Returns
    -------
    geopandas.GeoDataFrame
        The PTCE rows (every column kept, EPSG:4326) plus ``distance_km``
        (rounded to 10 m; 0 for a seat inside the commune or territory),
        sorted by distance. ``attrs`` holds ``place``, ``place_kind``,
        ``radius_km``, ``metric_crs`` (where distances were measured) and
        ``distance`` (from what to what).

    Raises
    ------
    AmbiguousCommuneError, UnknownCommuneError, ArgumentError
        As for :func:`resolve_place`; ``ArgumentError`` also for a negative radius.

    Examples
    --------
    >>> import geo
    >>> near = geo.ptce_near("Les Mureaux", radius_km=10)
    >>> near.attrs["metric_crs"], near.crs.to_string()
    ('EPSG:2154', 'EPSG:4326')
    >>> bool((near["distance_km"] <= 10).all())
    True
    """
    found = resolve_place(place, territories=territories, departement=departement)
    if ptce is None:
        from geo.loading.entities import load_ptce

        ptce = load_ptce()
    return _within(found, ptce, radius_km, "PTCE")


def territories_near(
    place: Any,
    radius_km: float = 10.0,
    *,
    territories: gpd.GeoDataFrame | None = None,
    departement: str | None = None,
) -> gpd.GeoDataFrame:
    """Return the territories within ``radius_km`` of a place, closest first.

    Parameters
    ----------
    place
        A commune (code or name), an address, a point or a territory id: see
        :func:`resolve_place`. A territory is its own nearest (distance 0).
    radius_km
        Search radius in kilometres (10 by default).
    territories
        The territories (schema of :func:`geo.load_territories`); the shipped
        ones by default.
    departement
        Département of a commune name that several share.

    Returns
    -------
    geopandas.GeoDataFrame
        The territory rows (every column kept, EPSG:4326) plus ``distance_km``
        between outlines (0 when they touch or overlap, rounded to 10 m),
        sorted by distance; ``attrs`` as for :func:`ptce_near`.

    Raises
    ------
    AmbiguousCommuneError, UnknownCommuneError, ArgumentError
        As for :func:`resolve_place`.

    Examples
    --------
    >>> import geo
    >>> near = geo.territories_near("78440", radius_km=5)
    >>> near["distance_km"].iloc[0]
    np.float64(0.0)
    """
    if territories is None:
        from geo.loading.entities import load_territories

        territories = load_territories()
    found = resolve_place(place, territories=territories, departement=departement)
    return _within(found, territories, radius_km, "territories")
