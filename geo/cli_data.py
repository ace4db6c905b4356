"""Command-line commands for the data"s maintainers: boundaries, shipped data, map assets.

``communes`` (summary, find, fetch, cache), ``data`` (build, report, ids) and
``assets fetch``. Called by :mod:`geo.cli`, which parses the arguments and
turns library errors into one line and an exit code; nothing here computes:
each command calls the package"s public functions and prints their result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo import settings

__all__ = [
    "cmd_assets_fetch",
    "cmd_communes_cache",
    "cmd_communes_fetch",
    "cmd_communes_find",
    "cmd_communes_summary",
    "cmd_data_build",
    "cmd_data_ids",
    "cmd_data_report",
]


# --- communes -----------------------------------------------------------------


def cmd_communes_summary(args: argparse.Namespace) -> int:
    """Run ``communes summary``: count the communes, their boundaries and population."""
    from geo.reference.communes import EMBEDDED_VINTAGE, load_communes, without_boundary

    table = load_communes(departements=args.departement, regions=args.region)
    with_geometry = int(table.geometry.notna().sum())
    print(f"{len(table)} communes (COG {EMBEDDED_VINTAGE}), {with_geometry} with a boundary")
    missing = without_boundary(table)
    if len(missing):
        listed = ", ".join(
            f"{c} {n}" for c, n in zip(missing["code_insee"], missing["nom"], strict=True)
        )
        print(f"without boundary in this source: {listed}")
    population = int(table["population"].fillna(0).sum())
    print(f"population: {population:,}".replace(",", " "))
    print(f"{table['region'].nunique()} régions, {table['departement'].nunique()} départements")
    return 0


def cmd_communes_find(args: argparse.Namespace) -> int:
    """Run ``communes find``: resolve INSEE codes, names or EPCI to communes."""
    from geo.reference.lookup import resolve_communes

    table = resolve_communes(args.values, departement=args.departement)
    columns = ["value", "code_insee", "nom", "type", "departement", "matched_by", "note"]
    print(table[columns].fillna("").to_string(index=False))
    return 0


def cmd_communes_fetch(args: argparse.Namespace) -> int:
    """Run ``communes fetch``: download and cache the boundaries of a source."""
    from geo.reference.communes import load_communes

    table = load_communes(
        source=args.source,
        resolution=args.resolution,
        departements=args.departement,
        regions=args.region,
        refresh=args.refresh,
    )
    print(
        f"{len(table)} communes from source {args.source!r} cached in "
        f"{settings.default_cache_dir()}"
    )
    return 0


def cmd_communes_cache(args: argparse.Namespace) -> int:
    """Run ``communes cache``: list (``info``) or empty (``clear``) the boundary cache."""
    from geo.reference.communes import cache_info, clear_cache

    if args.action == "clear":
        print(f"{clear_cache()} files removed from {settings.default_cache_dir()}")
        return 0
    rows = cache_info()
    print(f"cache: {settings.default_cache_dir()}")
    for row in rows:
        state = "ok" if row["valid"] else "CORRUPT (rebuilt on next load)"
        print(f"  {row['path']}  {row['size_bytes'] / 1e6:.1f} MB  {state}")
    if not rows:
        print("  (empty)")
    return 0


# --- data ---------------------------------------------------------------------


def cmd_data_build(args: argparse.Namespace) -> int:
    """Run ``data build``: write the GeoJSON from the tables, then the QPV summary and the diff."""
    import shutil
    import tempfile

    from geo._core.datadir import data_dir, shipped_data_dir
    from geo.shipped.build import build_data
    from geo.shipped.diff import data_diff, diff_report
    from geo.shipped.report import qpv_summary
    from geo.shipped.tables import PTCE_GEOJSON, TERRITORIES_GEOJSON

    tables = args.tables or getattr(args, "data_dir", None)
    target = Path(args.out or tables or data_dir())
    shipped = shipped_data_dir()
    with tempfile.TemporaryDirectory(prefix="tzptce-before-") as before:
        reference, name = shipped, "livrées"
        if target.resolve() == shipped.resolve() or not (shipped / TERRITORIES_GEOJSON).is_file():
            # Rebuilding the shipped data itself: compare with what was there.
            reference, name = Path(before), f"précédentes de {target}"
            for file in (TERRITORIES_GEOJSON, PTCE_GEOJSON):
                if (target / file).is_file():
                    shutil.copy2(target / file, reference / file)
        written = build_data(
            data_dir=tables,
            out_dir=args.out,
            qpv=args.qpv,
            qpv_population=args.qpv_population,
        )
        for path in written.values():
            print(f"wrote {path}")
        print(qpv_summary(written["territories"]))
        print(diff_report(data_diff(reference, target), name, f"de {target}"))
    if target.resolve() != shipped.resolve():
        print(f"use them with: --data-dir {target} (or TZPTCE_DATA_DIR={target})")
    return 0


def cmd_data_ids(args: argparse.Namespace) -> int:
    """Run ``data ids``: list the ids and names of the territories (or PTCE)."""
    from geo.loading.entities import load_ptce, load_territories

    load = load_ptce if args.kind == "ptce" else load_territories
    table = load(args.file)
    width = max((len(str(i)) for i in table["id"]), default=0)
    for ident, nom, dep in zip(table["id"], table["nom"], table["departement"], strict=True):
        where = f" ({dep})" if isinstance(dep, str) and dep else ""
        print(f"{ident:<{width}}  {nom}{where}")
    return 0


def cmd_data_report(args: argparse.Namespace) -> int:
    """Run ``data report``: print the data-quality report."""
    from geo.shipped.report import data_report

    print(data_report(data_dir=getattr(args, "data_dir", None)))
    return 0


# --- assets -------------------------------------------------------------------


def cmd_assets_fetch(args: argparse.Namespace) -> int:
    """Run ``assets fetch``: download the map's JS/CSS once, for ``map --offline``."""
    from geo.publish.assets import default_assets, fetch_assets

    urls = [*default_assets(), *args.url] if args.url else None
    written = fetch_assets(args.dir, urls, refresh=args.refresh)
    print(f"{len(written)} asset files in {args.dir} (for: python -m geo map --offline --assets)")
    return 0
