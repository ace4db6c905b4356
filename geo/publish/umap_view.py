"""Where things are on the uMap map: feature geometries and the map's first view.

Geometries are written as GeoJSON in WGS 84, rounded to five decimals (about a metre).
The first view is ``defaultView: "center"`` with a centre and a zoom computed here so that
the data fit a 1100 x 700 pixel map (a 1280 x 800 window less uMap's bars): metropolitan
France for a national export (the overseas territories are in the same layers, listed in
the data browser, and the caption names them), the area's own territories and PTCE for a
région or a département, the territory and its partners with a margin for a territory.
(uMap's ``"data"`` view fits every feature, overseas included, with no margin.)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely

from geo.crs import ZONES
from geo.publish.umap_inputs import Inputs

__all__ = ["first_view", "geojson_geometry"]


_DECIMALS = 5
#: Nominal map size (pixels) the initial view is computed for.
_VIEW_PX = (1100.0, 700.0)
_ZOOMS = (2, 13)


def geojson_geometry(geom: Any) -> dict[str, Any] | None:
    """Return a geometry as GeoJSON rounded to ``_DECIMALS``; ``None`` if missing or empty.

    Examples
    --------
    >>> geojson_geometry(shapely.Point(2.3522219, 48.856614))
    {'type': 'Point', 'coordinates': [2.35222, 48.85661]}
    >>> geojson_geometry(shapely.Point()) is None
    True
    """
    if not isinstance(geom, shapely.Geometry) or geom.is_empty:
        return None
    rounded = shapely.transform(geom, lambda xy: np.round(xy, _DECIMALS))
    mapped = shapely.geometry.mapping(rounded)
    return json.loads(json.dumps(mapped))  # tuples -> lists, plain floats


def _mercator_y(lat: float) -> float:
    """Latitude -> Web Mercator y as a share of the world's height (0 north, 1 south)."""
    lat = max(min(lat, 85.0), -85.0)
    return (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2


def _view(box: tuple[float, float, float, float], margin: float) -> tuple[float, float, int]:
    """Centre (lon, lat) and zoom showing ``box`` plus ``margin`` (share of its size)."""
    west, south, east, north = box
    x0, x1 = (west + 180) / 360, (east + 180) / 360
    y0, y1 = _mercator_y(north), _mercator_y(south)
    width = max(x1 - x0, 1e-5) * (1 + 2 * margin)
    height = max(y1 - y0, 1e-5) * (1 + 2 * margin)
    fit = min(_VIEW_PX[0] / (256 * width), _VIEW_PX[1] / (256 * height))
    zoom = int(min(max(math.floor(math.log2(fit)), _ZOOMS[0]), _ZOOMS[1]))
    cy = (y0 + y1) / 2
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * cy))))
    return round((west + east) / 2, _DECIMALS), round(lat, _DECIMALS), zoom


def _bounds(geometries: Iterable[Any]) -> tuple[float, float, float, float] | None:
    shapes = [g for g in geometries if isinstance(g, shapely.Geometry) and not g.is_empty]
    if not shapes:
        return None
    return tuple(float(v) for v in shapely.total_bounds(shapes))  # type: ignore[return-value]


def _in_mainland(geometries: Iterable[Any]) -> list[Any]:
    west, south, east, north = ZONES["metropole"].bounds
    envelope = shapely.box(west, south, east, north)
    return [
        g
        for g in geometries
        if isinstance(g, shapely.Geometry) and not g.is_empty and envelope.contains(g.centroid)
    ]


def first_view(
    data: Inputs,
    shown: list[Any],
    lines: list[Any],
    region: str | None,
    departement: str | None,
    territory: str | None,
) -> tuple[tuple[float, float, int], tuple[str, ...]]:
    """Return the initial centre and zoom, and the overseas zones left out of a national view.

    Parameters
    ----------
    data
        The prepared inputs (their rows give a région's or a département's own extent).
    shown
        Territory shapes and PTCE seats drawn.
    lines
        Link lines drawn (a territory's view shows its partners).
    region, departement, territory
        The asked area, at most one.

    Returns
    -------
    tuple
        ``((lon, lat, zoom), zones)``: ``zones`` names the overseas zones that have data
        when a national view opens on metropolitan France, else ``()``.
    """
    if territory is not None:  # the territory and its partners, with a margin
        box = _bounds([*shown, *lines])
        return _view(box or ZONES["metropole"].bounds, 0.12), ()
    if region is not None or departement is not None:  # the area's own rows
        from geo.reference.areas import in_area

        column, value = ("region", region) if region is not None else ("departement", departement)
        own = [
            g
            for frame in (data.territories, data.ptce)
            if column in frame.columns
            for g in frame.geometry[in_area(frame, **{column: value}).to_numpy()]
        ]
        box = _bounds(own) or _bounds(shown)
        return _view(box or ZONES["metropole"].bounds, 0.08), ()
    zones = tuple(
        zone.label.split(" (")[0]
        for name, zone in ZONES.items()
        if name != "metropole"
        and any(shapely.box(*zone.bounds).contains(g.centroid) for g in shown)
    )
    if _in_mainland(shown) or not shown:
        return _view(ZONES["metropole"].bounds, 0.0), zones
    return _view(_bounds(shown), 0.08), ()  # type: ignore[arg-type]
