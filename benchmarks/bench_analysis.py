"""Benchmarks of the synergy analysis, each beside its peer in the same run.

Run: ``python benchmarks/bench_analysis.py [--quick]`` (``--quick``: smaller sizes).

Rows of the speed table (ratio = project / peer; below 1 the project is faster):

- ``synergies`` vs ``geopandas.sjoin(predicate="dwithin")`` doing the same
  relation, 1k x 1k to 10k x 10k: territories are real commune polygons, PTCE
  are seats (points) drawn inside communes, all in WGS84; the peer reprojects
  both to Lambert-93, joins within the radius, measures each pair's distance,
  tests whether the seat is inside, names the relation and sorts like
  ``synergies``. Target <= 1.0x at every size. Timed like for like with
  ``geometry=False`` (the plain table: the peer draws no line), and once more
  with the default GeoDataFrame and its link lines (reported, same peer).
- ``synergies`` on the shipped data (110 x 114) vs a naive double loop of
  shapely calls (reprojected geometries, one ``distance``/``contains`` per
  pair). Target <= 1.0x.
- ``nearest_commune``, points vs all communes, vs ``sjoin_nearest`` (its inputs
  already in Lambert-93); and 100 points vs a naive loop (no index).

``nearest_ptce`` on 1M points (time and memory) is in ``bench_nearest.py``.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _timing import paired, quick, row

import geo
from geo.analysis.summaries import synergy_summary
from geo.analysis.synergies import nearest_ptce, synergies
from geo.crs import to_metric
from geo.reference.nearest import nearest_commune

ROOT = Path(__file__).resolve().parent.parent
warnings.simplefilter("ignore")


def timed(func: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def random_points_on_communes(communes: gpd.GeoDataFrame, n: int, seed: int = 20250101):
    """``n`` uniform points inside randomly drawn communes (seeded), and their codes."""
    rng = np.random.default_rng(seed)
    geoms = communes.geometry.values.to_numpy()
    codes = communes["code_insee"].to_numpy()
    pick = rng.integers(0, len(geoms), n)
    bounds = shapely.bounds(geoms[pick])
    xs = np.empty(n)
    ys = np.empty(n)
    todo = np.arange(n)
    while len(todo):
        b = bounds[todo]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(geoms[pick[todo]], x, y)
        xs[todo[inside]] = x[inside]
        ys[todo[inside]] = y[inside]
        todo = todo[~inside]
    return gpd.GeoSeries(shapely.points(xs, ys), crs=4326), codes[pick]


def mainland(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Located communes of mainland France (Corsica included), positional index."""
    located = communes.geometry.notna() & ~communes.geometry.is_empty
    return communes[located & ~communes["departement"].str.startswith("97")].reset_index(drop=True)


def synergy_inputs(communes: gpd.GeoDataFrame, n: int, seed: int = 5):
    """``n`` commune polygons as territories and ``n`` seats drawn inside communes as PTCE."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(communes), n, replace=False)
    territories = gpd.GeoDataFrame(
        {
            "id": [f"T{i:05d}" for i in range(n)],
            "nom": communes["nom"].to_numpy()[pick],
            "codes_insee": communes["code_insee"].to_numpy()[pick],
        },
        geometry=communes.geometry.values[pick],
        crs=4326,
    )
    seats, _ = random_points_on_communes(communes, n, seed=seed + 1)
    ptce = gpd.GeoDataFrame(
        {"id": [f"P{i:05d}" for i in range(n)], "nom": [f"PTCE {i}" for i in range(n)]},
        geometry=seats.values,
        crs=4326,
    )
    return territories, ptce


def sjoin_synergies(territories, ptce, radius_km: float = 20) -> pd.DataFrame:
    """The peer: the same pairs, distances and relations with geopandas' sjoin."""
    t = territories[["id", "geometry"]].to_crs(2154)
    p = ptce[["id", "geometry"]].to_crs(2154)
    joined = gpd.sjoin(t, p, predicate="dwithin", distance=radius_km * 1000)
    t_geom = t.geometry.values[joined.index.to_numpy()]
    p_geom = p.geometry.values[joined["index_right"].to_numpy()]
    distance = shapely.distance(t_geom, p_geom)
    inside = shapely.contains_properly(t_geom, p_geom)
    relation = np.where(inside, "overlap", np.where(distance <= 1.0, "adjacent", "near"))
    out = pd.DataFrame(
        {
            "territory_id": joined["id_left"].to_numpy(),
            "ptce_id": joined["id_right"].to_numpy(),
            "relation": relation,
            "distance_km": np.where(inside | (distance <= 1.0), 0.0, distance / 1000),
            "seat_distance_km": distance / 1000,
            "_rank": np.where(inside, 0, np.where(distance <= 1.0, 1, 2)),
            "_d": distance,
        }
    )
    return out.sort_values(["territory_id", "_rank", "_d", "ptce_id"], ignore_index=True)


def bench_synergies_vs_sjoin(communes: gpd.GeoDataFrame) -> None:
    sizes = (1_000, 3_000) if quick() else (1_000, 3_000, 10_000)
    for n in sizes:
        territories, ptce = synergy_inputs(communes, n)
        ours = synergies(territories, ptce, geometry=False)
        theirs = sjoin_synergies(territories, ptce)
        same = (
            len(ours) == len(theirs)
            and (ours["ptce_id"].to_numpy() == theirs["ptce_id"].to_numpy()).all()
        )
        project, peer = paired(
            lambda t=territories, p=ptce: synergies(t, p, geometry=False),
            lambda t=territories, p=ptce: sjoin_synergies(t, p),
            repeat=3 if n < 10_000 else 2,
        )
        row(
            f"synergies(geometry=False) {n:,}x{n:,} (20 km, {len(ours):,} pairs"
            f"{', same pairs' if same else ', PAIRS DIFFER'})",
            project,
            "sjoin dwithin + distance",
            peer,
            target="<= 1.0x",
        )
        project, peer = paired(
            lambda t=territories, p=ptce: synergies(t, p),
            lambda t=territories, p=ptce: sjoin_synergies(t, p),
            repeat=3 if n < 10_000 else 2,
        )
        row(
            f"synergies with link lines (GeoDataFrame) {n:,}x{n:,}",
            project,
            "sjoin dwithin + distance (no lines)",
            peer,
            target="report",
        )


def ptce_areas_from_codes(ptce: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Areas of action as the union of the communes of ``codes_insee`` (outside timing)."""
    communes = geo.load_communes(types=("COM", "ARM"))
    by_code = dict(zip(communes["code_insee"], communes.geometry, strict=True))
    areas = []
    for codes in ptce["codes_insee"]:
        parts = [by_code.get(c.strip()) for c in str(codes or "").split(";") if c.strip()]
        parts = [g for g in parts if g is not None and not g.is_empty]
        areas.append(shapely.union_all(parts) if parts else None)
    return gpd.GeoSeries(areas, index=ptce.index, crs=4326)


def naive_synergies(territories, ptce, areas, radius_km: float = 20) -> list[tuple]:
    """The peer on small data: the same relation in a loop of shapely calls.

    Reproject (Lambert-93), then one Python loop over the territories; for
    each, shapely measures the distance to every PTCE seat and area of action
    at once, tests which seats are inside, and for each pair in reach, the
    shared communes and the common area (the strongest naive version: a loop
    over both sides is slower still).
    """
    t = territories.to_crs(2154)
    seats = ptce.geometry.to_crs(2154).values.to_numpy()
    area_m = areas.to_crs(2154).values.to_numpy()
    p_ids = ptce["id"].to_numpy()
    t_codes = [set(str(c).split(";")) if c else set() for c in t["codes_insee"]]
    p_codes = [set(str(c).split(";")) if c else set() for c in ptce["codes_insee"]]
    out = []
    for i, (tid, tg) in enumerate(zip(t["id"], t.geometry, strict=True)):
        shared = np.array([bool(t_codes[i] & codes) for codes in p_codes])
        if tg is None or tg.is_empty:
            d_seat = d_area = np.full(len(seats), np.nan)
            inside = np.zeros(len(seats), dtype=bool)
        else:
            d_seat = shapely.distance(tg, seats)
            d_area = shapely.distance(tg, area_m)
            inside = shapely.contains_properly(tg, seats)
        d = np.fmin(d_seat, d_area)
        for j in np.flatnonzero((d <= radius_km * 1000) | shared):
            common = tg.intersection(area_m[j]).area if d_area[j] <= 1 else 0.0
            if shared[j] or inside[j] or common > 1:
                relation = "overlap"
            else:
                relation = "adjacent" if d[j] <= 1 else "near"
            out.append((tid, p_ids[j], relation, d[j] / 1000, common))
    return sorted(out)


def bench_shipped() -> None:
    territories, ptce = geo.load_territories(), geo.load_ptce()  # the shipped data
    start = time.perf_counter()
    table = synergies(territories, ptce)
    cold = time.perf_counter() - start
    warm, table = timed(lambda: synergies(territories, ptce))
    areas = ptce_areas_from_codes(ptce)
    project, peer = paired(
        lambda: synergies(territories, ptce, geometry=False),
        lambda: naive_synergies(territories, ptce, areas),
        9,
    )
    row(
        f"synergies, shipped data ({len(territories)}x{len(ptce)}, warm)",
        project,
        "naive double loop of shapely calls",
        peer,
        target="<= 1.0x",
    )
    near, _ = timed(lambda: nearest_ptce(territories, ptce))
    summ, _ = timed(lambda: synergy_summary(territories, ptce, table))
    counts = table["relation"].value_counts().to_dict()
    print(
        f"synergies, shipped data ({len(territories)} territories x {len(ptce)} PTCE, "
        f"20 km): warm {warm * 1000:.0f} ms (target <= 200 ms); first call {cold * 1000:.0f} ms "
        f"(loads the commune table and builds PTCE areas); {len(table)} pairs {counts}"
    )
    print(
        f"nearest_ptce, shipped data: {near * 1000:.0f} ms; synergy_summary: {summ * 1000:.1f} ms"
    )


def bench_nearest_commune() -> None:
    communes = geo.load_communes()  # all ~34.9k COM polygons (incl. overseas)
    located = communes.geometry.notna() & ~communes.geometry.is_empty
    mainland = communes[located & ~communes["departement"].str.startswith("97")]
    nearest_commune(mainland.geometry.iloc[:10].centroid, communes)  # imports, not the work
    reproject, communes_m = timed(lambda: to_metric(communes, "metropole"), repeat=1)
    right = communes_m[["code_insee", "geometry"]]
    sizes = (3_000, 30_000) if quick() else (3_000, 30_000, 100_000)
    for n in sizes:
        points, expected = random_points_on_communes(mainland, n)
        left = gpd.GeoDataFrame(geometry=to_metric(points, "metropole"))
        found = nearest_commune(points, communes)
        joined = gpd.sjoin_nearest(left, right, max_distance=20_000, distance_col="distance_m")
        first = joined[~joined.index.duplicated()]
        agree = float((first["code_insee"].to_numpy() == found["code_insee"].to_numpy()).mean())
        drawn = float((found["code_insee"].to_numpy() == expected).mean())
        project, peer = paired(
            lambda p=points: nearest_commune(p, communes),
            lambda lf=left: gpd.sjoin_nearest(
                lf, right, max_distance=20_000, distance_col="distance_m"
            ),
            repeat=3 if n < 100_000 else 1,
        )
        row(
            f"nearest_commune, {n:,} points vs {len(communes):,} communes "
            f"({drawn:.2%} the commune drawn, {agree:.2%} as sjoin)",
            project,
            "sjoin_nearest (inputs already in Lambert-93)",
            peer,
            target="keep 0.13-0.16x",
        )
    print(f"(reprojecting the communes for sjoin_nearest, not counted: {reproject:.2f} s)")
    points, _ = random_points_on_communes(mainland, 100)

    subset = points
    fast, fast_found = timed(lambda: nearest_commune(subset, communes), repeat=5)
    all_m = communes_m.geometry.values.to_numpy()
    ok = ~shapely.is_missing(all_m) & ~shapely.is_empty(all_m)
    geoms_m, codes_m = all_m[ok], communes_m["code_insee"].to_numpy()[ok]
    sub_m = to_metric(subset, "metropole").values.to_numpy()

    def naive() -> list[str]:
        # One pass over every commune per point, no index (communes already projected).
        return [codes_m[int(np.argmin(shapely.distance(geoms_m, p)))] for p in sub_m]

    slow, naive_found = timed(naive, repeat=1)
    same = float((np.array(naive_found) == fast_found["code_insee"].to_numpy()).mean())
    row(
        f"nearest_commune, 100 points (same answer {same:.0%}; projection not counted)",
        fast,
        "naive loop, no index",
        slow,
        target="<= 0.02x",
    )


if __name__ == "__main__":
    start = time.perf_counter()
    geo.load_communes()
    print(f"(commune table load: {time.perf_counter() - start:.2f} s)")
    bench_shipped()
    bench_synergies_vs_sjoin(mainland(geo.load_communes()))
    bench_nearest_commune()
