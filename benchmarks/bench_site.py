"""Static site benchmark: whole site of the shipped data, and the page sizes.

Targets (issue #13): the whole site built in <= 20 s from a warm cache; a
territory page <= 150 KB without the shared files.

Peer, in the same run: what a webmaster does without the site, one
``synergy_map(territory=...)`` + ``write_map`` page per territory (the
``python -m geo map --territory ID`` loop). ``--quick`` limits the peer to
20 territories and reports its time per page.

Run: ``python benchmarks/bench_site.py [--quick]``.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from pathlib import Path

from _timing import quick, row, timed

import geo
from geo.publish import maps
from geo.publish.site import build_site

KB = 1024


def main() -> None:
    warnings.simplefilter("ignore")
    territories = geo.load_territories()
    ptce = geo.load_ptce()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        start = time.perf_counter()
        report = build_site(out, territories=territories, ptce=ptce)
        cold = time.perf_counter() - start
        cpu_start = time.process_time()
        warm = timed(
            lambda: build_site(out, territories=territories, ptce=ptce),
            repeat=1 if quick() else 2,
        )
        cpu = (time.process_time() - cpu_start) / (1 if quick() else 2)
        table = geo.synergies(territories, ptce)
        ids = list(territories["id"])[: 20 if quick() else None]
        peer_dir = Path(tmp) / "peer"
        peer_bytes = []

        def peer() -> None:
            for tid in ids:
                m = maps.synergy_map(territories, ptce, table, territory=tid)
                path = maps.write_map(m, peer_dir / f"{tid}.html")
                peer_bytes.append(path.stat().st_size)

        peer_time = timed(peer, repeat=1)
        per_page = peer_time / len(ids)
        peer_total = per_page * len(territories)
        territory_pages = sorted((out / "territoires").glob("*.html"))
        sizes = [p.stat().st_size for p in territory_pages]
    print(f"shipped data: {len(territories)} territories, {len(ptce)} PTCE, {len(table)} pairs")
    print(f"site: {report}")
    print(f"first build (cache warm, fresh process memory): {cold:.2f} s")
    print(
        f"warm build: {warm:.2f} s wall, {cpu:.2f} s CPU of this process "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    row(
        "site: whole site, shipped data, warm",
        warm,
        f"one synergy_map page per territory ({len(ids)} pages"
        + (", scaled to all)" if quick() else ")"),
        peer_total,
        target="<= 20 s",
    )
    row(
        "site: one territory page (HTML)",
        max(sizes) / KB,
        "its synergy_map page",
        max(peer_bytes) / KB,
        target="<= 150 KB",
        unit="KB",
    )
    row(
        "site: whole site, all files",
        report.total_bytes / KB,
        f"{len(ids)} synergy_map pages",
        sum(peer_bytes[: len(ids)]) / KB,
        unit="KB",
    )
    print(
        f"largest page: {report.largest_page} {report.largest_page_bytes / KB:.0f} KB; "
        f"largest territory page: {report.largest_territory_page} "
        f"{report.largest_territory_page_bytes / KB:.0f} KB (its map: the shared national "
        "map page, opened on the territory); median territory page "
        f"{sorted(sizes)[len(sizes) // 2] / KB:.1f} KB"
    )


if __name__ == "__main__":
    main()
