"""Timings of the data-source layer: Etalab download + conversion, cached load, file read.

Run: python benchmarks/bench_sources.py
Serves an Etalab-format ``communes-50m.geojson.gz`` (all communes, built from
the embedded table) on 127.0.0.1 and times the first (download + convert) and
second (GeoParquet cache) loads. Nothing leaves this machine.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import threading
import time
import warnings
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import shapely

import geo.settings
from geo.reference.communes import load_communes
from geo.reference.sources import read_boundary_file

ROOT = Path(__file__).resolve().parent.parent


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def etalab_file(directory: Path) -> Path:
    table = load_communes(types=("COM", "ARM"))
    table = table[table.geometry.notna()]
    geometries = shapely.to_geojson(table.geometry.values.to_numpy())
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(g),
            "properties": {"code": c, "nom": n, "departement": d, "region": r, "epci": e},
        }
        for g, c, n, d, r, e in zip(
            geometries,
            table["code_insee"],
            table["nom"],
            table["departement"],
            table["region"],
            table["epci_siren"],
            strict=True,
        )
    ]
    path = directory / "2025" / "geojson" / "communes-50m.geojson.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        gzip.compress(json.dumps({"type": "FeatureCollection", "features": features}).encode())
    )
    return path


def main() -> None:
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        served = tmp / "served"
        served.mkdir()
        start = time.perf_counter()
        body = etalab_file(served)
        print(
            f"built test body: {body.stat().st_size / 1e6:.1f} MB gzip "
            f"in {time.perf_counter() - start:.1f} s"
        )
        handler = partial(_QuietHandler, directory=str(served))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host, port = server.server_address[:2]
        geo.settings.etalab_url = (
            f"http://{host}:{port}/{{year}}/geojson/communes-{{resolution}}.geojson.gz"
        )
        cache = tmp / "cache"
        cache.mkdir()
        geo.settings.cache_dir = cache
        load_communes(codes="78440")  # embedded table converted outside the timings

        start = time.perf_counter()
        first = load_communes(source="etalab")
        print(
            f"etalab first load (download + validate + convert): "
            f"{time.perf_counter() - start:.2f} s, {len(first)} communes"
        )
        start = time.perf_counter()
        load_communes(source="etalab")
        print(f"etalab cached load: {time.perf_counter() - start:.2f} s")
        server.shutdown()

    yvelines = (
        ROOT.parent / "shared" / "data" / "france-geojson-2018" / "communes-78-yvelines.geojson"
    )
    if yvelines.is_file():
        start = time.perf_counter()
        table = read_boundary_file(yvelines)
        print(
            f"read_boundary_file(Yvelines 2018): "
            f"{time.perf_counter() - start:.2f} s, {len(table)} rows"
        )


if __name__ == "__main__":
    main()
