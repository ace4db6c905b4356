"""Synergy map benchmark: HTML size, build time, and GeoDataFrame.explore() side by side.

Targets: the national map's HTML <= 1 MB, built from a warm cache in <= 2 s,
at most a third of the size of ``explore()`` drawing the same layers.

Run: ``python benchmarks/bench_maps.py [--screenshot maps/synergies.png
--assets DIR]`` (the screenshot needs Chromium and an asset directory; see
``geo._assets.fetch_assets``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import folium
import geopandas as gpd
import shapely

import geo
from geo import maps

MB = 1_000_000


def _explore_same_layers(territories, ptce, table, communes) -> folium.Map:
    """The naive map: explore() on the same four layers, full geometry and properties."""
    deps = communes.dissolve("departement").reset_index()[["departement", "geometry"]]
    m = deps.explore(name="Départements", style_kwds={"fill": False, "weight": 0.8})
    territories[territories.geometry.notna()].explore(m=m, column="statut", name="Territoires")
    ptce[ptce.geometry.notna()].explore(
        m=m, column="precision", name="PTCE", marker_type="circle_marker"
    )
    t_geom = dict(zip(territories["id"], territories.geometry, strict=True))
    p_geom = dict(zip(ptce["id"], ptce.geometry, strict=True))
    lines = []
    for row in table.itertuples():
        tg, pg = t_geom.get(row.territory_id), p_geom.get(row.ptce_id)
        if tg is not None and pg is not None:
            lines.append(shapely.LineString([pg, shapely.point_on_surface(tg)]))
    links = gpd.GeoDataFrame(
        table[
            [
                t_geom.get(i) is not None and p_geom.get(j) is not None
                for i, j in zip(table.territory_id, table.ptce_id, strict=True)
            ]
        ],
        geometry=lines,
        crs="EPSG:4326",
    )
    links.explore(m=m, column="relation", name="Liens")
    folium.LayerControl().add_to(m)
    return m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--screenshot", help="save a PNG of the national map here")
    parser.add_argument("--assets", help="asset directory for the screenshot and offline page")
    parser.add_argument(
        "--no-tiles", action="store_true", help="screenshot without tiles (outlines as basemap)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    territories, ptce = geo.load_territories(), geo.load_ptce()
    communes = geo.load_communes()
    table = geo.synergies(territories, ptce, radius_km=20)
    maps.synergy_map(territories, ptce, table)  # warm the département outline cache

    out = Path(tempfile.mkdtemp(prefix="bench-maps-"))
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        m = maps.synergy_map(territories, ptce, table)
        path = maps.write_map(m, out / "synergies.html")
        timings.append(time.perf_counter() - start)
    size = path.stat().st_size
    start = time.perf_counter()
    m2 = maps.synergy_map(territories, ptce)
    maps.write_map(m2, out / "synergies-with-analysis.html")
    with_analysis = time.perf_counter() - start

    start = time.perf_counter()
    naive = _explore_same_layers(territories, ptce, table, communes)
    naive_path = out / "explore.html"
    naive.save(naive_path)
    naive_time = time.perf_counter() - start
    naive_size = naive_path.stat().st_size

    first = territories["id"].iloc[0]
    sizes = {}
    for label, kwargs in (
        ("region 11", {"region": "11"}),
        ("departement 974", {"departement": "974"}),
        (f"territory {first}", {"territory": first}),
    ):
        start = time.perf_counter()
        p = maps.write_map(maps.synergy_map(territories, ptce, table, **kwargs), out / "x.html")
        sizes[label] = (p.stat().st_size, time.perf_counter() - start)

    print(f"data: {len(territories)} territories, {len(ptce)} PTCE, {len(table)} synergy links")
    print(f"national map HTML: {size / MB:.3f} MB (target <= 1 MB)")
    print(
        f"build + write from warm cache: best {min(timings):.2f} s, "
        f"runs {', '.join(f'{t:.2f}' for t in timings)} (target <= 2 s)"
    )
    print(f"with synergies computed inside: {with_analysis:.2f} s")
    print(
        f"explore() with the same layers: {naive_size / MB:.3f} MB in {naive_time:.2f} s; "
        f"ratio {size / naive_size:.3f} (target <= 0.333)"
    )
    for label, (bytes_, seconds) in sizes.items():
        print(f"{label} map: {bytes_ / MB:.3f} MB in {seconds:.2f} s")
    if args.assets:
        offline = maps.write_map(m, out / "offline.html", offline=True, assets_dir=args.assets)
        print(f"offline single-file map: {offline.stat().st_size / MB:.3f} MB")
    if args.screenshot:
        from geo._screenshot import screenshot

        shown = path
        if args.no_tiles:
            bare = maps.synergy_map(territories, ptce, table, tiles=False)
            shown = maps.write_map(bare, out / "synergies-no-tiles.html")
        shot = screenshot(
            shown, args.screenshot, assets_dir=args.assets, offline=bool(args.assets)
        )
        print(f"screenshot: {shot}")
    print(f"files in {out}")


if __name__ == "__main__":
    main()
