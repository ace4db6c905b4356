"""Load times of geo.load_territories / geo.load_ptce (shipped tables and a user CSV)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import geo

ROOT = Path(__file__).resolve().parent.parent


def _timed(label: str, func, repeat: int = 3) -> None:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<55} {best * 1000:8.1f} ms  ({len(result)} rows)")


def main() -> None:
    start = time.perf_counter()
    geo.load_territories(ROOT / "tests" / "data" / "messy_territories.csv")
    print(
        f"{'first user load (commune index + boundaries, cold)':<55} "
        f"{(time.perf_counter() - start) * 1000:8.1f} ms"
    )
    if (ROOT / "data" / "territories.geojson").is_file():
        _timed("load_territories() shipped", geo.load_territories)
        _timed("load_ptce() shipped", geo.load_ptce)
    _timed(
        "messy_territories.csv (7 rows)",
        lambda: geo.load_territories(ROOT / "tests" / "data" / "messy_territories.csv"),
    )
    # A larger user file: 500 rows naming communes of the Yvelines, by name.
    communes = geo.load_communes(departements="78").head(500)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        lines = ["nom;commune;departement"]
        lines += [f"Territoire {i};{n.upper()};78" for i, n in enumerate(communes["nom"])]
        path.write_text("\n".join(lines) + "\n", encoding="cp1252")
        _timed(
            f"{len(communes)} rows by commune name (cp1252, ';')",
            lambda: geo.load_territories(path),
        )


def bench_polygons(n: int = 200) -> None:
    """A GeoDataFrame of ``n`` polygons (quartiers): communes found under each one."""
    import geopandas as gpd

    communes = geo.load_communes(departements=["78", "93", "69"]).head(n)
    metric = communes.to_crs(2154)
    quartiers = metric.geometry.representative_point().buffer(300).to_crs(4326)
    gdf = gpd.GeoDataFrame(
        {"nom": [f"Quartier {i}" for i in range(len(communes))]},
        geometry=quartiers.to_numpy(),
        crs=4326,
    )
    _timed(f"{len(gdf)} polygon rows (GeoDataFrame)", lambda: geo.load_territories(gdf))


if __name__ == "__main__":
    bench_polygons()
    main()
