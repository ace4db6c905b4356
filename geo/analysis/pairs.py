"""Find and measure the territory–PTCE pairs, zone by zone, in each zone's metric CRS.

Candidate pairs come from shared communes and from spatial indexes
(:class:`shapely.STRtree`: every pair within a distance, or each territory's
nearest PTCE; in a zone where territories and seats are all points, the
nearest from a grid over their coordinates, :mod:`geo._core.pointgrid`, with
the same pairs, ties and distances), never from an all-pairs loop; each pair
is then measured in the legal metric CRS of its zone (:data:`geo.crs.ZONES`)
and given its relation (see :mod:`geo.analysis.synergies`). Works on prepared
:class:`Side` arrays and returns arrays: building the tables is
:mod:`geo.analysis.synergies`' job.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely

from geo._core.geoarrays import has_geometry, metric, metric_xy
from geo._core.pointgrid import SiteGrid, point_distance
from geo.analysis.inputs import Side, ranks
from geo.analysis.relations import AREA_TOLERANCE_M2, TOUCH_TOLERANCE_M
from geo.crs import ZONES
from geo.reference.names import PLM_PARENTS

__all__ = ["measure_pairs"]


def _code_pairs(terr: Side, ptce: Side) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs sharing a commune: positions ``t``, ``p`` (sorted) and the shared codes.

    The same code on both sides, or an arrondissement on one side and its
    commune on the other; the shared codes are sorted and ";"-joined.
    """
    by_code: dict[str, list[int]] = {}
    by_parent: dict[str, list[tuple[int, str]]] = {}
    for j, codes in enumerate(ptce.codes):
        for code in codes:
            by_code.setdefault(code, []).append(j)
            parent = PLM_PARENTS.get(code)
            if parent is not None:
                by_parent.setdefault(parent, []).append((j, code))
    shared: dict[tuple[int, int], set[str]] = {}
    if by_code:
        for i, codes in enumerate(terr.codes):
            for code in codes:
                for j in by_code.get(code, ()):
                    shared.setdefault((i, j), set()).add(code)
                parent = PLM_PARENTS.get(code)
                if parent is not None:
                    for j in by_code.get(parent, ()):
                        shared.setdefault((i, j), set()).add(code)
                for j, own in by_parent.get(code, ()):
                    shared.setdefault((i, j), set()).add(own)
    keys = sorted(shared)
    t = np.fromiter((k[0] for k in keys), dtype=np.int64, count=len(keys))
    p = np.fromiter((k[1] for k in keys), dtype=np.int64, count=len(keys))
    text = np.array([";".join(sorted(shared[k])) for k in keys], dtype=object)
    return t, p, text


@dataclass
class _ZoneData:
    zone: str
    t_pos: np.ndarray
    p_pos: np.ndarray
    t_geom: np.ndarray  # metric, aligned with t_pos (prepared)
    p_area: np.ndarray
    p_seat: np.ndarray
    t_area: np.ndarray  # area of each t_geom (m²; NaN when missing)


@dataclass
class _ZonePoints:
    """A zone whose every footprint is a point: metric coordinates only (NaN when missing)."""

    zone: str
    t_pos: np.ndarray
    p_pos: np.ndarray
    tx: np.ndarray
    ty: np.ndarray
    sx: np.ndarray  # PTCE seats
    sy: np.ndarray
    grid: SiteGrid | None  # the located seats, over every territory point of the zone


#: Whether :func:`measure_pairs` matches zones of points by their coordinates
#: (tests turn it off to compare with the geometry path).
_POINT_GRID = True

#: Territories measured at once: bounds the memory of :func:`nearest_ptce` on
#: large inputs (their metric copies and measured pairs exist one chunk at a time).
_CHUNK = 1 << 16


def _only_points(*columns: np.ndarray) -> bool:
    """Whether every geometry of these WGS84 arrays is a 2D point (or missing)."""
    for geoms in columns:
        types = shapely.get_type_id(geoms)
        if (types > 0).any() or shapely.has_z(geoms[types == 0]).any():
            return False
    return True


def _zone_data(
    terr: Side, ptce: Side, chunk: int | None = None, *, points: bool = False
) -> Iterator[_ZoneData | _ZonePoints]:
    """Metric data of each zone, territories by chunks of ``chunk`` (all at once by default).

    With ``points``, a zone where territories and PTCE seats are all points and
    no PTCE has an area is given as coordinates (:class:`_ZonePoints`).
    """
    for zone in ZONES:
        t_all = np.flatnonzero(terr.zone == zone)
        p_pos = np.flatnonzero(ptce.zone == zone)
        if not len(t_all) or not len(p_pos):
            continue
        step = chunk or len(t_all)
        if (
            points
            and not has_geometry(ptce.geom[p_pos]).any()
            and _only_points(terr.geom[t_all], ptce.seat[p_pos])
        ):
            sx, sy = metric_xy(ptce.seat[p_pos], zone)
            tx, ty = metric_xy(terr.geom[t_all], zone)
            t_ok, p_ok = ~np.isnan(tx), ~np.isnan(sx)
            grid = None
            if t_ok.any() and p_ok.any():
                grid = SiteGrid(sx[p_ok], sy[p_ok], tx[t_ok], ty[t_ok])
            for start in range(0, len(t_all), step):
                at = slice(start, start + step)
                yield _ZonePoints(zone, t_all[at], p_pos, tx[at], ty[at], sx, sy, grid)
            continue
        n_p = len(p_pos)
        p_metric = metric(np.concatenate([ptce.geom[p_pos], ptce.seat[p_pos]]), zone)
        for start in range(0, len(t_all), step):
            t_pos = t_all[start : start + step]
            t_geom = metric(terr.geom[t_pos], zone)
            # Our own copies: prepared polygons (and lines) answer predicates faster.
            shapely.prepare(t_geom[has_geometry(t_geom) & (shapely.get_type_id(t_geom) != 0)])
            yield _ZoneData(
                zone,
                t_pos,
                p_pos,
                t_geom,
                p_metric[:n_p],
                p_metric[n_p:],
                shapely.area(t_geom),
            )


def _tree_pairs(z: _ZoneData, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Local ``(territory, PTCE)`` indices whose seat or area is within ``distance``."""
    tree_ok = np.flatnonzero(has_geometry(z.t_geom))
    items = np.concatenate([z.p_seat, z.p_area])
    owner = np.concatenate([np.arange(len(z.p_seat)), np.arange(len(z.p_area))])
    query_ok = np.flatnonzero(has_geometry(items))
    if not len(tree_ok) or not len(query_ok):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    tree = shapely.STRtree(z.t_geom[tree_ok])
    q, hit = tree.query(items[query_ok], predicate="dwithin", distance=distance)
    return tree_ok[hit], owner[query_ok[q]]


def _seat_inside(t: np.ndarray, seat: np.ndarray) -> np.ndarray:
    """Whether each seat meets the interior of its territory (DE-9IM ``T********``)."""
    inside = np.zeros(len(t), dtype=bool)
    both = has_geometry(t) & has_geometry(seat)
    points = both & (shapely.get_type_id(seat) == 0)
    # Two points: the interiors meet when the (x, y) are the same (as GEOS compares).
    two = points & (shapely.get_type_id(t) == 0)
    if two.any():
        inside[two] = (shapely.get_x(t[two]) == shapely.get_x(seat[two])) & (
            shapely.get_y(t[two]) == shapely.get_y(seat[two])
        )
    # A point meets the interior exactly when it lies in it: contains_properly,
    # which uses the prepared territory.
    points &= ~two
    inside[points] = shapely.contains_properly(t[points], seat[points])
    other = both & ~points & ~two
    if other.any():
        inside[other] = shapely.relate_pattern(t[other], seat[other], "T********")
    return inside


def _distance(a: np.ndarray, b: np.ndarray, zero: np.ndarray | None = None) -> np.ndarray:
    """Element-wise distance, NaN when either is missing; 0 where ``zero`` says so."""
    out = np.full(len(a), np.nan)
    todo = has_geometry(a) & has_geometry(b)
    if zero is not None:
        out[zero] = 0.0
        todo &= ~zero
    out[todo] = shapely.distance(a[todo], b[todo])
    return out


@dataclass
class _Measures:
    """What is measured of each pair, before naming its relation."""

    seat_in: np.ndarray  # the seat meets the territory's interior
    d_seat: np.ndarray  # territory to seat (m; NaN when either is missing)
    d_area: np.ndarray  # territory to area of action (m; NaN when either is missing)
    inter_area: np.ndarray  # common area (m²)
    area_in: np.ndarray  # the area of action overlaps the territory
    t_area: np.ndarray  # the territory's area (m²; NaN when missing)


def _measure_shapes(z: _ZoneData, ti: np.ndarray, pj: np.ndarray) -> _Measures:
    """Measure pairs of geometries (local indices in ``z``)."""
    t = z.t_geom[ti]
    area = z.p_area[pj]
    seat = z.p_seat[pj]
    seat_in = _seat_inside(t, seat)
    # A point inside a polygon is at distance 0 from it (GEOS says so exactly).
    d_seat = _distance(t, seat, seat_in & _is_polygonal(t))
    d_area = _distance(t, area)
    inter_area = np.zeros(len(ti))
    area_in = np.zeros(len(ti), dtype=bool)
    touching = np.flatnonzero(d_area <= TOUCH_TOLERANCE_M)
    if len(touching):
        ta, aa = t[touching], area[touching]
        inter_area[touching] = shapely.area(shapely.intersection(ta, aa))
        both_polygons = _is_polygonal(ta) & _is_polygonal(aa)
        interiors = np.asarray(shapely.relate_pattern(ta, aa, "T********"), dtype=bool)
        area_in[touching] = np.where(
            both_polygons, inter_area[touching] > AREA_TOLERANCE_M2, interiors
        )
    return _Measures(seat_in, d_seat, d_area, inter_area, area_in, z.t_area[ti])


def _measure_points(z: _ZonePoints, ti: np.ndarray, pj: np.ndarray) -> _Measures:
    """Measure pairs of points (local indices in ``z``) as :func:`_measure_shapes` would.

    Two points: the seat meets the territory's interior when they are the same
    point; the distance is the one GEOS gives; no area of action, no common
    area; a point's area is 0.
    """
    tx, ty, sx, sy = z.tx[ti], z.ty[ti], z.sx[pj], z.sy[pj]
    n = len(ti)
    return _Measures(
        seat_in=(tx == sx) & (ty == sy),
        d_seat=point_distance(tx, ty, sx, sy),
        d_area=np.full(n, np.nan),
        inter_area=np.zeros(n),
        area_in=np.zeros(n, dtype=bool),
        t_area=np.where(np.isnan(tx), np.nan, 0.0),
    )


def _classify(
    z: _ZoneData | _ZonePoints,
    ti: np.ndarray,
    pj: np.ndarray,
    has_shared: np.ndarray,
    radius_m: float,
) -> dict[str, np.ndarray]:
    """Measure pairs (local indices in ``z``) and name their relation."""
    m = _measure_points(z, ti, pj) if isinstance(z, _ZonePoints) else _measure_shapes(z, ti, pj)
    dist = np.fmin(m.d_seat, m.d_area)
    overlap = has_shared | m.seat_in | m.area_in
    adjacent = ~overlap & (dist <= TOUCH_TOLERANCE_M)
    near = ~overlap & ~adjacent & (dist <= radius_m)
    rank = np.where(overlap, 0, np.where(adjacent, 1, np.where(near, 2, 3)))
    # Evidence that only the seat gives (no shared commune, no common area).
    seat_only = np.where(
        overlap,
        ~has_shared & ~m.area_in,
        ~(m.d_area <= TOUCH_TOLERANCE_M) & (m.d_seat <= dist),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(m.t_area > 0, 100.0 * m.inter_area / m.t_area, np.nan)
    return {
        "rank": rank,
        "distance_km": np.where(overlap | adjacent, 0.0, dist / 1000.0),
        "seat_distance_km": m.d_seat / 1000.0,
        "overlap_area_km2": m.inter_area / 1e6,
        "overlap_share_pct": share,
        "_seat_only": seat_only,
        "_sort_distance": dist,
    }


def _is_polygonal(geoms: np.ndarray) -> np.ndarray:
    type_ids = shapely.get_type_id(geoms)
    return (type_ids == 3) | (type_ids == 6)


#: Columns of the measured pairs (:func:`measure_pairs`), as numpy arrays.
_PAIR_KEYS = (
    "t",
    "p",
    "zone",
    "rank",
    "distance_km",
    "seat_distance_km",
    "shared_communes",
    "overlap_area_km2",
    "overlap_share_pct",
    "_seat_only",
    "_sort_distance",
)

#: What :func:`measure_pairs` keeps of each territory's nearest pair (what the
#: nearest table says): less memory on large inputs.
_NEAREST_KEYS = ("t", "p", "zone", "rank", "distance_km", "seat_distance_km")


def measure_pairs(
    terr: Side, ptce: Side, radius_m: float, *, nearest: bool
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Measured pairs of all zones: within ``radius_m``, or each territory's nearest.

    ``t`` and ``p`` are positions in the inputs, ``zone`` an index in
    :data:`ZONES`, ``rank`` an index in :data:`RELATIONS`, ``shared_communes``
    an index in the second array returned (the shared codes); the pairs are in
    no particular order. With ``nearest``, one pair per territory that has one,
    and only the keys of :data:`_NEAREST_KEYS`; a zone where every footprint is a
    point is matched from coordinates (:class:`geo._core.pointgrid.SiteGrid`)
    when :data:`_POINT_GRID` is true: the same pairs and measures as through
    the geometries, faster.
    """
    n_p = max(len(ptce.id_array), 1)
    code_t, code_p, code_text = _code_pairs(terr, ptce)
    code_key = code_t * n_p + code_p  # sorted, as (t, p) are
    shared_values = np.append(code_text, "").astype(object)  # the last one: none shared
    zone_names = list(ZONES)
    parts: list[dict[str, np.ndarray]] = []
    in_chunk = np.zeros(len(terr.id_array), dtype=bool)
    for z in _zone_data(terr, ptce, _CHUNK if nearest else None, points=nearest and _POINT_GRID):
        if isinstance(z, _ZonePoints):
            ti, pj = _nearest_points(z)
        elif nearest:
            ti, pj = _nearest_pairs(z)
        else:
            ti, pj = _tree_pairs(z, radius_m)
        keys = z.t_pos[ti] * n_p + z.p_pos[pj]
        if len(code_key):
            in_chunk[z.t_pos] = True
            in_zone = (terr.zone[code_t] == z.zone) & (ptce.zone[code_p] == z.zone)
            keys = np.concatenate([keys, code_key[in_zone & in_chunk[code_t]]])
            in_chunk[z.t_pos] = False
        if not len(keys):
            continue
        keys.sort()
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]  # distinct pairs
        t, p = keys // n_p, keys % n_p
        shared = np.full(len(keys), len(code_key), dtype=np.int64)  # -> ""
        if len(code_key):
            at = np.minimum(np.searchsorted(code_key, keys), len(code_key) - 1)
            found = code_key[at] == keys
            shared[found] = at[found]
        # Positions in the zone's (sorted) arrays.
        local_t, local_p = np.searchsorted(z.t_pos, t), np.searchsorted(z.p_pos, p)
        measured = _classify(z, local_t, local_p, shared < len(code_key), radius_m)
        measured.update(
            t=t,
            p=p,
            shared_communes=shared,
            zone=np.full(len(keys), zone_names.index(z.zone), dtype=np.int64),
        )
        if nearest:  # keep each territory's best pair only (bounded memory)
            best = _best_per_territory(measured, ptce)
            measured = {key: measured[key][best] for key in _NEAREST_KEYS}
        parts.append(measured)
    keys = _NEAREST_KEYS if nearest else _PAIR_KEYS
    if not parts:
        # Nothing measured: the columns hold no type either (as the table always had).
        empty = {key: np.empty(0, dtype=object) for key in keys}
        ints = {"t", "p", "zone", "rank", "shared_communes"} & set(keys)
        empty.update({key: np.empty(0, dtype=np.int64) for key in ints})
        return empty, shared_values
    return {key: np.concatenate([part.pop(key) for part in parts]) for key in keys}, shared_values


def _best_per_territory(pairs: dict[str, np.ndarray], ptce: Side) -> np.ndarray:
    """Positions of each territory's best pair (one per territory, in no order).

    Strongest relation, then nearest, then larger common area, then smaller PTCE
    id. Most territories have one candidate: only the others are sorted.
    """
    t = pairs["t"]
    if not len(t):
        return np.empty(0, dtype=np.int64)
    _, first_at, counts = np.unique(t, return_index=True, return_counts=True)
    single = first_at[counts == 1]
    several = np.flatnonzero(np.isin(t, t[first_at[counts > 1]]))
    if not len(several):
        return single
    order = several[
        np.lexsort(
            (
                ranks(ptce.ids)[pairs["p"][several]],
                -pairs["overlap_area_km2"][several].astype(float),
                pairs["_sort_distance"][several].astype(float),
                pairs["rank"][several],
                t[several],
            )
        )
    ]
    t_sorted = t[order]
    return np.concatenate([single, order[np.r_[True, t_sorted[1:] != t_sorted[:-1]]]])


def _nearest_pairs(z: _ZoneData) -> tuple[np.ndarray, np.ndarray]:
    """Each territory's nearest PTCE footprint (seat or area), all ties kept."""
    items = np.concatenate([z.p_seat, z.p_area])
    owner = np.concatenate([np.arange(len(z.p_seat)), np.arange(len(z.p_area))])
    ok = has_geometry(items)
    t_ok = np.flatnonzero(has_geometry(z.t_geom))
    if not ok.any() or not len(t_ok):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    tree = shapely.STRtree(items[ok])
    q, hit = tree.query_nearest(z.t_geom[t_ok], all_matches=True)
    return t_ok[q], owner[ok][hit]


def _nearest_points(z: _ZonePoints) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_nearest_pairs` of a zone of points, from their coordinates."""
    t_ok = np.flatnonzero(~np.isnan(z.tx))
    if z.grid is None or not len(t_ok):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    ti, pj = z.grid.nearest(z.tx[t_ok], z.ty[t_ok])
    return t_ok[ti], np.flatnonzero(~np.isnan(z.sx))[pj]
