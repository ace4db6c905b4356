"""Benchmarks of the synergy analysis (prints numbers; no assertion on time).

Run: python benchmarks/bench_analysis.py

Targets
-------
- synergies() on the shipped data (warm: communes table in memory): <= 0.2 s
- nearest commune of 30,000 random points in mainland France against all
  ~34.9k commune polygons: <= 1 s (geopandas' sjoin_nearest timed for comparison)
- the same on 300 points against a naive loop (no index): indexed >= 50x faster
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

import geo
from geo.analysis import nearest_commune, nearest_ptce, synergies, synergy_summary
from geo.crs import to_metric

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


def bench_shipped() -> None:
    paths = ROOT / "data" / "territories.geojson", ROOT / "data" / "ptce.geojson"
    if not all(p.is_file() for p in paths):
        print(
            "synergies on shipped data: skipped (data/territories.geojson or ptce.geojson missing)"
        )
        return
    territories, ptce = (gpd.read_file(p) for p in paths)
    start = time.perf_counter()
    table = synergies(territories, ptce)
    cold = time.perf_counter() - start
    warm, table = timed(lambda: synergies(territories, ptce))
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
    points, expected = random_points_on_communes(mainland, 30_000)
    nearest_commune(points.iloc[:10], communes)  # warm caches (none kept between calls)
    indexed, found = timed(lambda: nearest_commune(points, communes), repeat=3)
    agree = float((found["code_insee"].to_numpy() == expected).mean())
    print(
        f"nearest_commune, 30,000 points vs {len(communes)} communes: {indexed * 1000:.0f} ms "
        f"(target <= 1000 ms); {agree:.4%} equal to the commune drawn"
    )

    reproject, communes_m = timed(lambda: to_metric(communes, "metropole"), repeat=1)
    points_m = to_metric(points, "metropole")
    left = gpd.GeoDataFrame(geometry=points_m)
    right = communes_m[["code_insee", "geometry"]]
    sjoin, joined = timed(
        lambda: gpd.sjoin_nearest(left, right, max_distance=20_000, distance_col="distance_m"),
        repeat=3,
    )
    first = joined[~joined.index.duplicated()]
    agree_sj = float((first["code_insee"].to_numpy() == found["code_insee"].to_numpy()).mean())
    print(
        f"geopandas sjoin_nearest(max_distance=20 km) in Lambert-93: {sjoin * 1000:.0f} ms "
        f"+ {reproject * 1000:.0f} ms to reproject the communes; agrees on {agree_sj:.4%}"
    )

    subset = points.iloc[:300]
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
    print(
        f"300 points: indexed {fast * 1000:.1f} ms, naive loop {slow * 1000:.0f} ms "
        f"(projection not counted) -> {slow / fast:.0f}x (target >= 50x); same answer {same:.2%}"
    )


if __name__ == "__main__":
    start = time.perf_counter()
    geo.load_communes()
    print(f"(commune table load: {time.perf_counter() - start:.2f} s)")
    bench_shipped()
    bench_nearest_commune()
