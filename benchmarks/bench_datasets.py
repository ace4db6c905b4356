"""Benchmark of the shipped-data build.

Prints: the first build in a fresh process (commune table already converted in the
cache), the warm rebuild, the quality report, and the size of the two GeoJSON files.

Run: ``python benchmarks/bench_datasets.py`` (writes into a temporary directory; the
commune cache in force is used, converted first when missing).
Targets (2-core machine): warm build <= 3 s; GeoJSON files together <= 3 MB.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _timing import timed

from geo.shipped.build import build_data
from geo.shipped.report import data_report


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        first = timed(lambda: build_data(out_dir=out), repeat=1)
        warm = timed(lambda: build_data(out_dir=out))
        report = timed(data_report)
        sizes = {p.name: p.stat().st_size for p in out.glob("*.geojson")}
    print(f"first build (new process): {first:.2f} s")
    print(f"warm build:                {warm:.2f} s  (target <= 3 s)")
    print(f"data_report():             {report:.2f} s")
    for name, size in sorted(sizes.items()):
        print(f"{name:<22} {size / 1e3:8.1f} kB")
    total = sum(sizes.values())
    print(f"total GeoJSON:             {total / 1e6:.2f} MB  (target <= 3 MB)")


if __name__ == "__main__":
    main()
