"""Synergy map benchmark, side by side with ``GeoDataFrame.explore()`` in the same run.

Like for like: ``explore()`` draws the same three data layers as the map
(territories, PTCE, links), without département outlines; the map also holds
its département basemap, list view, search and filters. Rows printed:

- national map (shipped data): HTML size and build+write time, vs explore();
- synthetic data, 100 to 5,000 territories x 1,000 to 10,000 PTCE: the same;
- ``python -m geo map`` end to end (a fresh process, warm cache) vs a script
  doing the same job with geopandas: read the two GeoJSON files, join within
  20 km in each zone's metric CRS, keep the 12 closest links per territory,
  draw the three layers with explore(), save;
- with ``--browser``: the 5,000 x 10,000 page in headless Chromium (load time,
  JS heap, one zoom), with the npm copies of the assets (tests/browser).

explore() is given the links the page keeps (the 12 closest per territory),
not every pair. It needs matplotlib and mapclassify, both in the ``bench``
extra (``pip install -e ".[bench]"``); without them its rows are skipped with a
message. Files are written to a temporary folder, removed at the end.
Run: ``python benchmarks/bench_maps.py [--quick] [--browser]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _timing import paired, quick, row

import geo
from geo.publish import maps

MB = 1_000_000
ROOT = Path(__file__).resolve().parent.parent
# The peer of `python -m geo map`: the same job (join within 20 km per zone, the
# 12 closest links per territory, three layers) written with geopandas alone.
NAIVE = """
import geopandas as gpd, pandas as pd, shapely
ZONES = {{"metropole": 2154, "antilles": 5490, "guyane": 2972, "reunion": 2975,
          "mayotte": 4471, "saint-pierre-et-miquelon": 4467}}
t = gpd.read_file({t!r}); p = gpd.read_file({p!r})
t = t[t.geometry.notna()]; p = p[p.geometry.notna()]
parts = []
for zone, epsg in ZONES.items():
    tz = t[t["zone"] == zone].to_crs(epsg)
    pz = p[p["zone"] == zone].to_crs(epsg)
    if tz.empty or pz.empty:
        continue
    pairs = gpd.sjoin(tz[["id", "geometry"]], pz[["id", "geometry"]],
                      predicate="dwithin", distance=20_000)
    right = pz.geometry.loc[pairs["index_right"]].values
    pairs["distance_km"] = shapely.distance(pairs.geometry.values, right) / 1000
    parts.append(pairs[["id_left", "id_right", "distance_km"]])
links = pd.concat(parts).sort_values("distance_km")
links = links[links.groupby("id_left").cumcount() < 12]
t_point = dict(zip(t["id"], t.geometry.representative_point()))
p_point = dict(zip(p["id"], p.geometry))
lines = [shapely.LineString([p_point[b], t_point[a]])
         for a, b in zip(links["id_left"], links["id_right"])]
links = gpd.GeoDataFrame(links, geometry=lines, crs="EPSG:4326")
m = t.explore(name="Territoires")
p.explore(m=m, name="PTCE", marker_type="circle_marker")
links.explore(m=m, name="Liens")
m.save({out!r})
"""


def _has_explore() -> bool:
    try:
        import mapclassify  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError:
        print("explore() rows skipped: pip install matplotlib mapclassify")
        return False
    return True


def _links(territories, ptce, table) -> gpd.GeoDataFrame:
    t_point = dict(
        zip(territories["id"], shapely.point_on_surface(territories.geometry.values), strict=True)
    )
    p_point = dict(zip(ptce["id"], ptce.geometry.values, strict=True))
    keep, lines = [], []
    for i, (tid, pid) in enumerate(zip(table["territory_id"], table["ptce_id"], strict=True)):
        a, b = p_point.get(pid), t_point.get(tid)
        if a is not None and b is not None and not a.is_empty and not b.is_empty:
            keep.append(i)
            lines.append(shapely.LineString([a, b]))
    frame = pd.DataFrame(table).iloc[keep][["territory_id", "ptce_id", "relation"]]
    return gpd.GeoDataFrame(frame, geometry=lines, crs="EPSG:4326")


def _explore(territories, ptce, table, path: Path) -> None:
    t = territories[territories.geometry.notna()]
    p = ptce[ptce.geometry.notna()]
    m = t.explore(name="Territoires")
    p.explore(m=m, name="PTCE", marker_type="circle_marker")
    _links(t, p, table).explore(m=m, name="Liens")
    m.save(path)


def _kept_links(territories, ptce, table) -> pd.DataFrame:
    """The pairs of ``table`` that the map page keeps (the closest 12 per territory)."""
    data = maps.map_data(territories, ptce, table)
    t_ids = [r[0] for r in data["t"]["rows"]]
    p_ids = [r[0] for r in data["p"]["rows"]]
    kept = {(t_ids[link[0]], p_ids[link[1]]) for link in data["l"]}
    pairs = zip(table["territory_id"], table["ptce_id"], strict=True)
    return table[[pair in kept for pair in pairs]]


def _ours(territories, ptce, table, path: Path, **kwargs) -> None:
    maps.write_page(maps.map_page(maps.map_data(territories, ptce, table, **kwargs)), path)


def _compare(label: str, territories, ptce, table, out: Path, explore: bool, **kwargs) -> None:
    ours_path, peer_path = out / "ours.html", out / "explore.html"
    if not explore:
        start = time.perf_counter()
        _ours(territories, ptce, table, ours_path, **kwargs)
        seconds = time.perf_counter() - start
        print(f"{label}: {ours_path.stat().st_size / MB:.3f} MB in {seconds:.2f} s")
        return
    kept = _kept_links(territories, ptce, table)  # explore() gets the links the page keeps
    ours_t, peer_t = paired(
        lambda: _ours(territories, ptce, table, ours_path, **kwargs),
        lambda: _explore(territories, ptce, kept, peer_path),
        repeat=2,
    )
    row(f"{label}: build + write", ours_t, "explore()", peer_t, target="<= 1.0x")
    row(
        f"{label}: HTML size",
        ours_path.stat().st_size / 1000,
        "explore()",
        peer_path.stat().st_size / 1000,
        target="<= 1.0x, <= 1 MB nationally",
        unit="KB",
    )


def _synthetic(n_t: int, n_p: int, seed: int = 0):
    """Square territories and point PTCE spread over mainland France."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 7.5, n_t)
    y = rng.uniform(43.5, 50.5, n_t)
    half = rng.uniform(0.02, 0.08, n_t)
    territories = gpd.GeoDataFrame(
        {
            "id": [f"t{i}" for i in range(n_t)],
            "nom": [f"Territoire {i}" for i in range(n_t)],
            "statut": rng.choice(["TH", "PE"], n_t),
            "departement": "78",
        },
        geometry=shapely.box(x - half, y - half, x + half, y + half),
        crs="EPSG:4326",
    )
    ptce = gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(n_p)],
            "nom": [f"PTCE {i}" for i in range(n_p)],
            "precision": "siege",
            "departement": "78",
        },
        geometry=shapely.points(rng.uniform(-1.5, 7.5, n_p), rng.uniform(43.5, 50.5, n_p)),
        crs="EPSG:4326",
    )
    return territories, ptce


def _end_to_end(out: Path) -> None:
    naive = out / "naive.py"
    naive.write_text(
        NAIVE.format(
            t=str(ROOT / "data" / "territories.geojson"),
            p=str(ROOT / "data" / "ptce.geojson"),
            out=str(out / "naive.html"),
        ),
        encoding="utf-8",
    )
    ours_cmd = [sys.executable, "-m", "geo", "map", "--quiet", "--out", str(out / "cli.html")]
    # Both sides with Python's bytecode cache on, as an installed package has it
    # (pip compiles on install; the peer's libraries are compiled): a shell
    # that sets PYTHONDONTWRITEBYTECODE would have `geo` recompiled at each run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    probe = subprocess.run(ours_cmd, capture_output=True, check=False, cwd=ROOT, env=env)
    if probe.returncode != 0:  # an older command line without --quiet
        ours_cmd.remove("--quiet")
    subprocess.run([sys.executable, str(naive)], capture_output=True, check=True, env=env)
    ours_t, peer_t = paired(
        lambda: subprocess.run(ours_cmd, capture_output=True, check=True, cwd=ROOT, env=env),
        lambda: subprocess.run(
            [sys.executable, str(naive)], capture_output=True, check=True, env=env
        ),
        repeat=3,
    )
    row(
        "python -m geo map, end to end (warm cache)",
        ours_t,
        "geopandas + explore() script",
        peer_t,
        target="<= 0.5x",
    )


def _browser(territories, ptce, table, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    node = ROOT / "tests" / "browser" / "node_modules"
    cdn = {
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/": node / "leaflet",
        "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/": node
        / "leaflet.markercluster"
        / "dist",
    }
    path = out / "big.html"
    _ours(territories, ptce, table, path, tiles=False)

    def route(r, request):
        for prefix, folder in cdn.items():
            if request.url.startswith(prefix):
                local = folder / request.url[len(prefix) :]
                kind = "text/css" if local.suffix == ".css" else "text/javascript"
                headers = {"Access-Control-Allow-Origin": "*", "Content-Type": kind}
                return r.fulfill(path=str(local), headers=headers)
        return r.continue_() if request.url.startswith("file:") else r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for width, height in ((1366, 768), (390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route("**/*", route)
            start = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function("() => document.querySelectorAll('.geo-table tr').length > 1")
            loaded = time.perf_counter() - start
            heap = page.evaluate(
                "() => performance.memory ? performance.memory.usedJSHeapSize : 0"
            )
            zoom = page.evaluate(
                """() => new Promise(done => {
                  const map = Object.values(window).find(v => v instanceof L.Map);
                  const t = performance.now();
                  map.once('zoomend',
                    () => requestAnimationFrame(() => done(performance.now() - t)));
                  map.setZoom(map.getZoom() + 1, {animate: false});
                })"""
            )
            print(
                f"Chromium {width}x{height}, {len(territories)} territories x {len(ptce)} PTCE: "
                f"load {loaded:.2f} s (target <= 5 s), heap {heap / MB:.0f} MB (<= 300), "
                f"zoom {zoom / 1000:.2f} s (<= 0.5)"
            )
            page.close()
        browser.close()


def main() -> None:
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="bench-maps-") as folder:
        _run(Path(folder))


def _run(out: Path) -> None:
    explore = _has_explore()
    territories, ptce = geo.load_territories(), geo.load_ptce()
    table = geo.synergies(territories, ptce, radius_km=20)
    _ours(territories, ptce, table, out / "warm.html")  # warm the département outline cache
    print(f"shipped data: {len(territories)} territories, {len(ptce)} PTCE, {len(table)} links")
    _compare("national map", territories, ptce, table, out, explore)
    first = territories.loc[territories.geometry.notna(), "id"].iloc[0]
    for label, kwargs in (
        ("région 11 map", {"region": "11"}),
        ("département 974 map", {"departement": "974"}),
        (f"territory {first} map", {"territory": first}),
    ):
        start = time.perf_counter()
        _ours(territories, ptce, table, out / "x.html", **kwargs)
        size = (out / "x.html").stat().st_size
        print(f"{label}: {size / MB:.3f} MB in {time.perf_counter() - start:.2f} s")
    sizes = [(100, 1000)] if quick() else [(100, 1000), (1000, 5000), (5000, 10000)]
    big = None
    for n_t, n_p in sizes:
        t, p = _synthetic(n_t, n_p)
        links = geo.synergies(t, p, radius_km=20)
        big = (t, p, links)
        _compare(f"synthetic {n_t} x {n_p} ({len(links)} links)", t, p, links, out, explore)
    _end_to_end(out)
    if "--browser" in sys.argv[1:] and big is not None:
        _browser(*big, out)


if __name__ == "__main__":
    main()
