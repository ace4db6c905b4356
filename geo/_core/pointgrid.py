"""Nearest neighbours among points in a plane, exact and with every tie, from coordinates.

:func:`nearest_sites` gives each query point its nearest site (all sites at
the same smallest distance) from plain coordinate arrays: no point geometry is
built for the queries, which is what costs most when millions of points are
matched against a few thousand sites. The distances compared are
``sqrt(dx * dx + dy * dy)``, the very value GEOS gives for two points
(:func:`shapely.distance`), so the sites found and the ties kept are those of
``shapely.STRtree.query_nearest(..., all_matches=True)``. Pure numpy and a
small :class:`shapely.STRtree` over the sites; no I/O.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["SiteGrid", "nearest_sites", "point_distance"]

#: Grid cells per site: finer cells mean fewer candidates per query, more cells to bound.
_CELLS_PER_SITE = 4

#: Candidate pairs (query, site) measured at once: bounds the memory.
_PAIRS = 1 << 19


def point_distance(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Euclidean distance of points given by coordinates, as GEOS computes it for two points."""
    dx = ax - bx
    dy = ay - by
    return np.sqrt(dx * dx + dy * dy)


class SiteGrid:
    """The sites, and for each cell of a grid over the queries, the sites that may be nearest.

    For a point of a cell, the nearest site is no farther than the site nearest
    to the cell's centre plus half the cell's diagonal (the cell's ``reach``):
    a site farther than that from the whole cell is nobody's nearest there.
    The bound is widened a little so that rounding never drops a candidate (a
    candidate too many only costs one distance). Built once over all the
    queries (``qx``, ``qy``: finite, at least one) and asked for them by parts:
    the bound holds only inside the grid, so every query asked must be one of
    those (or inside their bounds).
    """

    def __init__(self, sx: np.ndarray, sy: np.ndarray, qx: np.ndarray, qy: np.ndarray) -> None:
        minx, miny, maxx, maxy = float(qx.min()), float(qy.min()), float(qx.max()), float(qy.max())
        width, height = maxx - minx, maxy - miny
        cells = max(1, min(len(qx) // 4, _CELLS_PER_SITE * len(sx)))
        # about ``cells`` square cells, never more than 3 * cells + 1 (a thin strip of queries)
        side = max(float(np.sqrt(width * height / cells)), max(width, height) / cells)
        if not side > 0:  # every query at the same place
            side = 1.0
        self.sx, self.sy = sx, sy
        self.origin, self.side = (minx, miny), side
        self.nx, self.ny = int(width // side) + 1, int(height // side) + 1
        cell = np.arange(self.nx * self.ny)
        x0 = minx + (cell // self.ny) * side
        y0 = miny + (cell % self.ny) * side
        tree = shapely.STRtree(shapely.points(sx, sy))
        _, to_centre = tree.query_nearest(
            shapely.points(x0 + side / 2, y0 + side / 2), return_distance=True, all_matches=False
        )
        reach = (to_centre + side * 0.7072) * (1 + 1e-9) + side * 1e-6
        box_at, site_at = tree.query(
            shapely.box(x0, y0, x0 + side, y0 + side), predicate="dwithin", distance=reach
        )
        order = np.lexsort((site_at, box_at))
        self.site_at = site_at[order]
        self.count = np.bincount(box_at, minlength=len(cell))
        self.first = np.cumsum(self.count) - self.count

    def cells(self, qx: np.ndarray, qy: np.ndarray) -> np.ndarray:
        """The cell of each query (clipped to the grid)."""
        ix = np.clip((qx - self.origin[0]) // self.side, 0, self.nx - 1).astype(np.int64)
        iy = np.clip((qy - self.origin[1]) // self.side, 0, self.ny - 1).astype(np.int64)
        return ix * self.ny + iy

    def nearest(self, qx: np.ndarray, qy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:func:`nearest_sites` of these queries (inside the grid: see the class)."""
        at_all = self.cells(qx, qy)
        k_all = self.count[at_all]
        queries, found = [], []
        for start, stop in _runs(k_all):
            at, k = at_all[start:stop], k_all[start:stop]
            begin = np.cumsum(k) - k  # each query's first candidate
            site = self.site_at[np.repeat(self.first[at] - begin, k) + np.arange(int(k.sum()))]
            query = np.repeat(np.arange(start, stop), k)
            d = point_distance(qx[query], qy[query], self.sx[site], self.sy[site])
            keep = d == np.repeat(np.minimum.reduceat(d, begin), k)
            # a cell's candidates are in site order: each query's ties come out sorted
            queries.append(query[keep])
            found.append(site[keep])
        if not queries:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(queries), np.concatenate(found)


def _runs(counts: np.ndarray) -> list[tuple[int, int]]:
    """Split queries into runs of about :data:`_PAIRS` candidate pairs (at least one query each).

    Bounds the memory whatever the layout: queries far from every site, with
    many sites at nearly the same distance, have many candidates each.
    """
    ends = np.cumsum(counts)
    runs, start = [], 0
    while start < len(counts):
        done = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, done + _PAIRS, side="right")), start + 1)
        runs.append((start, stop))
        start = stop
    return runs


def nearest_sites(
    qx: np.ndarray, qy: np.ndarray, sx: np.ndarray, sy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each query point's nearest sites, every tie kept.

    Parameters
    ----------
    qx, qy
        Finite coordinates of the query points (a metric CRS: distances are
        Euclidean).
    sx, sy
        Finite coordinates of the sites.

    Returns
    -------
    tuple of arrays
        ``(query, site)`` positions of the pairs, by query then site order:
        for each query, every site at its smallest distance.

    Examples
    --------
    >>> import numpy as np
    >>> q, s = nearest_sites(np.array([0.0, 5.0]), np.array([0.0, 0.0]),
    ...                      np.array([1.0, -1.0, 9.0]), np.array([0.0, 0.0, 0.0]))
    >>> q.tolist(), s.tolist()  # 0 is 1 from sites 0 and 1; 5 is 4 from sites 0 and 2
    ([0, 0, 1, 1], [0, 1, 0, 2])
    """
    if not len(qx) or not len(sx):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return SiteGrid(sx, sy, qx, qy).nearest(qx, qy)
