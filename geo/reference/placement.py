"""Where a row goes: its seat point, the union of its communes, the commune under a point.

One rule for each, used by every path that places rows: the loaders of
users' tables (:mod:`geo.loading.entities`), the build of the shipped data
(:mod:`geo.shipped.build`), geocoding fallbacks (:mod:`geo.reference.geocoding`) and the
nearest commune (:func:`geo.reference.nearest.nearest_commune`). So the same row gets the same
point whichever path placed it.

Rules
-----
Seat of a PTCE (:func:`seat_point`)
    A point given or geocoded at the address wins (``"adresse"``); else the
    town hall of the seat commune (``"mairie"``); else a point on the surface
    of the seat commune; else, without seat commune, :func:`area_point` of
    its area of action or of its département (``"point-sur-surface"``); else
    none (``"inconnu"``). A PTCE whose area is one commune has that commune
    as seat commune (:func:`seat_commune`).
A point inside an area (:func:`area_point`)
    A point on the surface of the area's commune whose centroid is nearest to
    the area-weighted mean of the centroids: near the middle, always inside,
    and fast even for a whole département (no union needed).
An area made of communes (:func:`union_of`)
    The union of their polygons, as one MultiPolygon.
The commune under a point (:func:`commune_under`)
    The commune whose polygon intersects the point; on a shared boundary,
    the one with the smallest INSEE code.

Pure functions of geometries and codes: this module reads no table and
knows no CRS beyond "the same for all its inputs".

Examples
--------
>>> import shapely
>>> squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
>>> commune_under([shapely.Point(1, 0.5), shapely.Point(5, 5)], squares, ["78440", "60684"])
array([ 1, -1])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from geo.schema import PTCE_SEAT_PRECISIONS

__all__ = [
    "SEAT_METHODS",
    "area_point",
    "commune_under",
    "polygonal",
    "seat_commune",
    "seat_point",
    "union_of",
]

#: Values of ``precision_siege``: how a PTCE's seat point was placed.
SEAT_METHODS = PTCE_SEAT_PRECISIONS


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not np.isfinite(value))


def polygonal(geom: Any) -> MultiPolygon | None:
    """Keep the polygons of ``geom`` as one MultiPolygon (``None`` if none).

    Examples
    --------
    >>> polygonal(shapely.box(0, 0, 1, 1)).geom_type
    'MultiPolygon'
    >>> polygonal(shapely.Point(0, 0)) is None
    True
    """
    if geom is None or geom.is_empty:
        return None
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    parts = [
        p
        for g in shapely.get_parts(geom)
        for p in shapely.get_parts(g)
        if isinstance(p, Polygon) and not p.is_empty
    ]
    return MultiPolygon(parts) if parts else None


def union_of(geometries: Sequence[Any]) -> MultiPolygon | None:
    """Return the union of the polygons of some communes, as one MultiPolygon.

    Parameters
    ----------
    geometries
        Their geometries; missing and empty ones are skipped.

    Returns
    -------
    MultiPolygon or None
        ``None`` when none has a polygon.

    Examples
    --------
    >>> union_of([shapely.box(0, 0, 1, 1), None, shapely.box(1, 0, 2, 1)]).area
    2.0
    """
    present = [g for g in geometries if g is not None and not g.is_empty]
    if not present:
        return None
    return polygonal(shapely.union_all(np.asarray(present, dtype=object)))


def area_point(geometries: Sequence[Any]) -> Point | None:
    """Return a point inside an area made of communes (see the module's rules).

    Parameters
    ----------
    geometries
        Polygons of the area's communes (or the area's own polygon); missing
        and empty ones are skipped.

    Returns
    -------
    Point or None
        ``None`` when no polygon is given.

    Examples
    --------
    >>> area_point([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)])
    <POINT (1.5 0.5)>
    """
    values = np.asarray([g for g in geometries if g is not None and not g.is_empty], dtype=object)
    if not len(values):
        return None
    centroids = shapely.centroid(values)
    xs, ys = shapely.get_x(centroids), shapely.get_y(centroids)
    weights = shapely.area(values)
    if not weights.sum() > 0:
        weights = np.ones(len(values))
    mean_x, mean_y = np.average(xs, weights=weights), np.average(ys, weights=weights)
    nearest = int(np.argmin((xs - mean_x) ** 2 + (ys - mean_y) ** 2))
    return shapely.point_on_surface(values[nearest])


def seat_commune(seat: str | None, area_codes: Sequence[str]) -> str | None:
    """Return the seat commune of a PTCE: the one given, else the only commune of its area.

    Examples
    --------
    >>> seat_commune(None, ["78440"]), seat_commune("78440", ["78440", "78646"])
    ('78440', '78440')
    >>> seat_commune(None, ["78440", "78646"]) is None
    True
    """
    if seat:
        return seat
    return area_codes[0] if len(area_codes) == 1 else None


def seat_point(
    *,
    point: Point | None = None,
    point_method: str = "adresse",
    mairie: tuple[Any, Any] | None = None,
    seat_geometry: Any = None,
    area: Sequence[Any] | None = None,
) -> tuple[Point | None, str]:
    """Place the seat of a PTCE (see the module's rules).

    Parameters
    ----------
    point
        A point given in the input or geocoded.
    point_method
        The ``precision_siege`` of ``point`` (``"adresse"``, or a geocoder's
        fallback such as ``"mairie"``).
    mairie
        Longitude and latitude of the seat commune's town hall (missing
        values when unknown); ``None`` without seat commune.
    seat_geometry
        Polygon of the seat commune, when there is one.
    area
        Polygons of the area of action (its communes or its own polygon),
        or of the communes of its département, used without seat commune.

    Returns
    -------
    tuple
        The point (or ``None``) and its method, one of :data:`SEAT_METHODS`.

    Examples
    --------
    >>> seat_point(mairie=(2.35, 48.85))
    (<POINT (2.35 48.85)>, 'mairie')
    >>> seat_point(mairie=(None, None), seat_geometry=shapely.box(0, 0, 2, 2))
    (<POINT (1 1)>, 'point-sur-surface')
    >>> seat_point()
    (None, 'inconnu')
    """
    if point is not None and not point.is_empty:
        return point, point_method
    if mairie is not None or seat_geometry is not None:
        lon, lat = mairie if mairie is not None else (None, None)
        if not _missing(lon) and not _missing(lat):
            return Point(float(lon), float(lat)), "mairie"  # type: ignore[arg-type]
        if seat_geometry is not None and not seat_geometry.is_empty:
            return shapely.point_on_surface(seat_geometry), "point-sur-surface"
        return None, "inconnu"
    inside = area_point(area) if area is not None else None
    if inside is not None:
        return inside, "point-sur-surface"
    return None, "inconnu"


def commune_under(
    points: Sequence[Any] | np.ndarray,
    polygons: Sequence[Any] | np.ndarray,
    codes: Sequence[str] | np.ndarray,
    *,
    tree: Any = None,
) -> np.ndarray:
    """Return, for each point, the position of the commune polygon under it.

    Parameters
    ----------
    points
        Point geometries (missing ones get ``-1``).
    polygons
        Commune polygons, in the same CRS (missing ones are skipped).
    codes
        The INSEE code of each polygon: on a shared boundary the smallest
        code wins.
    tree
        A spatial index of ``polygons`` already built (a
        :class:`shapely.STRtree` or a GeoSeries' ``sindex``).

    Returns
    -------
    ndarray of int
        Position in ``polygons`` for each point; ``-1`` under no polygon.

    Examples
    --------
    >>> squares = [shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1, 1)]
    >>> commune_under([shapely.Point(1, 0.5)], squares, ["78646", "78440"])
    array([1])
    """
    points = np.asarray(points, dtype=object)
    out = np.full(len(points), -1, dtype=np.intp)
    if not len(points):
        return out
    present = np.flatnonzero(~shapely.is_missing(points))
    if tree is None:
        tree = shapely.STRtree(np.asarray(polygons, dtype=object))
    q, hit = tree.query(points[present], predicate="intersects")
    if not len(q):
        return out
    rank = np.argsort(np.argsort(np.asarray(codes, dtype=object), kind="stable"), kind="stable")
    order = np.lexsort((rank[hit], q))
    q, hit = q[order], hit[order]
    first = np.ones(len(q), dtype=bool)
    first[1:] = q[1:] != q[:-1]
    out[present[q[first]]] = hit[first]
    return out
