"""Benchmarks of the observatory analyses (prints numbers; no assertion on time).

Run: python benchmarks/bench_observatory.py [--quick]

Targets
-------
- opportunities() on the shipped data, warm (communes in memory): <= 0.2 s;
  printed beside one synergies() call of the same data, and beside the
  synergies() + nearest_ptce() calls it wraps (its own overhead).
- radius_sensitivity() for 5 radii (one measurement at the largest radius, the
  others by filtering): <= 2x one synergies() call; printed beside 5 separate
  synergies() calls, the way one would do it without it.
- 10,000 synthetic territories x 10,000 PTCE (mainland France): time and peak
  memory of opportunities() and radius_sensitivity(), each in a fresh process,
  beside synergies() alone.

The peers are the plain tables (``geometry=False``), as opportunities() calls
them; opportunities() itself returns its default GeoDataFrame.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
import warnings
from collections.abc import Callable

import geopandas as gpd
import numpy as np
from _timing import paired, quick, row
from shapely.geometry import box

import geo
from geo.analysis.observatory import opportunities
from geo.analysis.summaries import radius_sensitivity
from geo.analysis.synergies import nearest_ptce, synergies

warnings.simplefilter("ignore")
RADII = (5, 10, 20, 30, 50)


def shipped() -> None:
    territories, ptce = geo.load_territories(), geo.load_ptce()
    opportunities(territories, ptce)  # warm: communes, PTCE areas
    ours, peer = paired(
        lambda: opportunities(territories, ptce),
        lambda: synergies(territories, ptce, geometry=False),
        repeat=7,
    )
    row(
        "opportunities, shipped data (warm)",
        ours,
        "synergies()",
        peer,
        target="<= 0.2 s",
    )
    ours, peer = paired(
        lambda: opportunities(territories, ptce),
        lambda: (
            synergies(territories, ptce, geometry=False),
            nearest_ptce(territories, ptce, geometry=False),
        ),
        repeat=7,
    )
    row(
        "opportunities, shipped data (warm)",
        ours,
        "synergies() + nearest_ptce()",
        peer,
        target="<= 1x (what it wraps)",
    )
    ours, peer = paired(
        lambda: opportunities(territories, ptce, by="ptce"),
        lambda: synergies(territories, ptce, geometry=False),
        repeat=7,
    )
    row("opportunities by='ptce', shipped data (warm)", ours, "synergies()", peer)
    ours, peer = paired(
        lambda: radius_sensitivity(territories, ptce, RADII),
        lambda: [synergies(territories, ptce, radius_km=r, geometry=False) for r in RADII],
        repeat=7,
    )
    row(
        "radius_sensitivity, 5 radii, shipped data",
        ours,
        "5 synergies() calls",
        peer,
        target="",
    )
    ours, peer = paired(
        lambda: radius_sensitivity(territories, ptce, RADII),
        lambda: synergies(territories, ptce, radius_km=max(RADII), geometry=False),
        repeat=7,
    )
    row(
        "radius_sensitivity, 5 radii, shipped data",
        ours,
        "1 synergies() call at 50 km",
        peer,
        target="<= 2x",
    )


def synthetic(n: int, seed: int = 20261201) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``n`` 1-km-square territories and ``n`` PTCE seats, uniform in mainland France."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(150_000, 1_050_000, (2, n))
    y = rng.uniform(6_200_000, 7_050_000, (2, n))
    squares = [box(a, b, a + 1000, b + 1000) for a, b in zip(x[0], y[0], strict=True)]
    statut = np.where(rng.random(n) < 0.75, "TH", "PE")
    territories = gpd.GeoDataFrame(
        {
            "id": [f"t{i}" for i in range(n)],
            "statut": statut,
            "region_nom": rng.choice(["A", "B", "C", "D"], n),
            "population": rng.integers(1000, 50_000, n),
            "zone": "metropole",
        },
        geometry=gpd.GeoSeries(squares, crs=2154).to_crs(4326),
    )
    ptce = gpd.GeoDataFrame(
        {"id": [f"p{i}" for i in range(n)], "precision": "siege", "zone": "metropole"},
        geometry=gpd.points_from_xy(x[1], y[1], crs=2154).to_crs(4326),
    )
    return territories, ptce


def _child(job: str, n: int, queue) -> None:
    territories, ptce = synthetic(n)
    calls: dict[str, Callable[[], object]] = {
        "opportunities": lambda: opportunities(territories, ptce, radius_km=20),
        "synergies-20": lambda: synergies(territories, ptce, radius_km=20, geometry=False),
        "radius_sensitivity": lambda: radius_sensitivity(territories, ptce, RADII),
        "synergies-50": lambda: synergies(territories, ptce, radius_km=50, geometry=False),
    }
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    calls[job]()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((seconds, (after - before) / 1024))  # ru_maxrss is in KiB on Linux


def in_fresh_process(job: str, n: int) -> tuple[float, float]:
    """Time and peak memory growth (MB) of one call, in a process of its own."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(job, n, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def large(n: int) -> None:
    label = f"{n:,} territories x {n:,} PTCE".replace(",", " ")
    for ours_job, peer_job, peer_name in (
        ("opportunities", "synergies-20", "synergies() at 20 km"),
        ("radius_sensitivity", "synergies-50", "synergies() at 50 km"),
    ):
        ours_s, ours_mb = in_fresh_process(ours_job, n)
        peer_s, peer_mb = in_fresh_process(peer_job, n)
        row(f"{ours_job}, {label}", ours_s, peer_name, peer_s)
        row(f"{ours_job} peak memory, {label}", ours_mb, peer_name, peer_mb, unit="MB")


if __name__ == "__main__":
    shipped()
    large(2_000 if quick() else 10_000)
