"""``nearest_ptce`` on 1M territory points vs ``geopandas.sjoin_nearest``: time and memory.

Run: ``python benchmarks/bench_nearest.py [--quick]`` (``--quick``: 300,000 points).

Each side runs in its own fresh subprocess on the same seeded inputs (points
drawn uniformly over mainland France, 1,000 PTCE seats), so that its peak
resident memory (``ru_maxrss``) is its own: the row prints the time and the
memory added over the inputs. The peer reprojects both sides to Lambert-93 and
calls ``sjoin_nearest(..., distance_col=...)``, which gives each point its
nearest seat and the distance, as ``nearest_ptce`` does (``nearest_ptce`` also
names the relation and says why a territory has none). Both sides are points:
``nearest_ptce`` then matches them from their coordinates (a grid, exact and
with every tie, :mod:`geo._core.pointgrid`), the peer through its STRtree.
Targets: time <= 1.0x, memory <= 1.5x of the peer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _timing import quick, row

N_PTCE = 1_000


def inputs(n: int, seed: int = 14):
    """``n`` territory points and ``N_PTCE`` PTCE seats over mainland France (WGS84)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)

    def points(count: int):
        return shapely.points(rng.uniform(-4.5, 8.0, count), rng.uniform(43.0, 50.8, count))

    territories = gpd.GeoDataFrame(
        {"id": np.char.add("T", np.arange(n).astype(str)).astype(object)},
        geometry=points(n),
        crs=4326,
    )
    ptce = gpd.GeoDataFrame(
        {"id": [f"P{i:04d}" for i in range(N_PTCE)], "nom": [f"PTCE {i}" for i in range(N_PTCE)]},
        geometry=points(N_PTCE),
        crs=4326,
    )
    return territories, ptce


def _rss_mb() -> float:
    """Current resident memory of this process, in MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _child(side: str, n: int) -> None:
    """Run one side once in this (fresh) process; print time and memory as JSON."""
    import gc
    import resource
    import time
    import warnings

    warnings.simplefilter("ignore")
    import geopandas as gpd

    from geo.analysis.synergies import nearest_ptce

    territories, ptce = inputs(n)
    if side == "project":
        nearest_ptce(territories.iloc[:100], ptce, geometry=False)  # imports, caches
    else:
        gpd.sjoin_nearest(territories.iloc[:100].to_crs(2154), ptce.to_crs(2154))
    gc.collect()
    before = _rss_mb()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    start = time.perf_counter()
    if side == "project":
        result = nearest_ptce(territories, ptce, geometry=False)  # like sjoin: no lines
        found = int(result["ptce_id"].notna().sum())
    else:
        joined = gpd.sjoin_nearest(
            territories.to_crs(2154), ptce.to_crs(2154), distance_col="distance_m"
        )
        found = int(joined.index.nunique())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    added = peak - max(before, peak_before) if peak > peak_before else 0.0
    print(json.dumps({"seconds": seconds, "added_mb": max(added, 0.0), "found": found}))


def _run(side: str, n: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", side, str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    n = 300_000 if quick() else 1_000_000
    ours, theirs = [], []
    for _ in range(2):  # alternate, so that both sides see the same machine load
        ours.append(_run("project", n))
        theirs.append(_run("peer", n))
    best_ours = min(r["seconds"] for r in ours)
    best_theirs = min(r["seconds"] for r in theirs)
    row(
        f"nearest_ptce, {n:,} points x {N_PTCE:,} PTCE (time, best of 2 fresh processes)",
        best_ours,
        "sjoin_nearest",
        best_theirs,
        target="<= 1.0x",
    )
    row(
        f"nearest_ptce, {n:,} points (peak memory added)",
        max(r["added_mb"] for r in ours),
        "sjoin_nearest",
        max(r["added_mb"] for r in theirs),
        target="<= 1.5x",
        unit="MB",
    )
    print(
        f"points given a PTCE: {ours[0]['found']:,} (nearest_ptce), {theirs[0]['found']:,} (sjoin)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
