"""Command-line interface: ``python -m geo ...`` and the ``tzptce`` script.

The only module that parses arguments. Each command calls the public
functions of the package and prints their result; library errors
(:class:`geo.errors.GeoError`) become one readable line on stderr and exit
code 1; usage errors exit 2. Nothing here computes: it reads options, calls,
prints.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from geo import settings
from geo._core.datadir import DATA_DIR_ENV
from geo._core.progress import bar as _progress_bar
from geo._core.progress import step as _step
from geo.errors import GeoError, visible

__all__ = ["main"]

_EPILOG = """\
exemples / examples:
  python -m geo map                                  # carte nationale -> maps/synergies.html
  python -m geo map --territory le-port --out maps/le-port.html
  python -m geo data ids                             # the ids for --territory
  python -m geo assets fetch ~/leaflet-assets          # once, online
  python -m geo map --offline --assets ~/leaflet-assets --out carte.html
  python -m geo synergies --radius-km 20 --out synergies.xlsx
  python -m geo synergies --territories mes_territoires.csv --ptce mes_ptce.xlsx
  python -m geo opportunities --by ptce --out ptce_sans_tz.csv
  python -m geo timeline --out evolution.svg
  python -m geo communes find "Villers St Paul" "Paris 13e" 2A004
  python -m geo communes fetch --source etalab --resolution 50m
  python -m geo communes cache info
  python -m geo data build && python -m geo data report
  python -m geo site site/ --base-url https://info-ptce.fr/carte/
"""


@contextlib.contextmanager
def _progress(total: int, label: str) -> Iterator:
    """Show a step progress bar on stderr (on a terminal only; never with --quiet)."""
    with _progress_bar(total, label) as bar:
        yield bar


# --- communes -----------------------------------------------------------------


def _cmd_communes_summary(args: argparse.Namespace) -> int:
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


def _cmd_communes_find(args: argparse.Namespace) -> int:
    from geo.reference.lookup import resolve_communes

    table = resolve_communes(args.values, departement=args.departement)
    columns = ["value", "code_insee", "nom", "type", "departement", "matched_by", "note"]
    print(table[columns].fillna("").to_string(index=False))
    return 0


def _cmd_communes_fetch(args: argparse.Namespace) -> int:
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


def _cmd_communes_cache(args: argparse.Namespace) -> int:
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


def _cmd_data_build(args: argparse.Namespace) -> int:
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


def _cmd_data_ids(args: argparse.Namespace) -> int:
    from geo.loading.entities import load_ptce, load_territories

    load = load_ptce if args.kind == "ptce" else load_territories
    table = load(args.file)
    width = max((len(str(i)) for i in table["id"]), default=0)
    for ident, nom, dep in zip(table["id"], table["nom"], table["departement"], strict=True):
        where = f" ({dep})" if isinstance(dep, str) and dep else ""
        print(f"{ident:<{width}}  {nom}{where}")
    return 0


def _cmd_data_report(args: argparse.Namespace) -> int:
    from geo.shipped.report import data_report

    print(data_report(data_dir=getattr(args, "data_dir", None)))
    return 0


# --- synergies and maps ---------------------------------------------------------


def _load_inputs(args: argparse.Namespace, bar):
    from geo.loading.entities import load_ptce, load_territories

    territories = load_territories(args.territories)
    _step(bar, "territoires")
    ptce = load_ptce(args.ptce)
    _step(bar, "PTCE")
    return territories, ptce


def _view(args: argparse.Namespace, territories, ptce, links=None):
    """Return the view of --region/--departement (national without one), as the maps do.

    See :func:`geo.publish.area.area_view`: the summaries count the area's own
    territories; PE whose source says the project is blocked are left out.
    """
    import pandas as pd

    from geo.publish.area import area_view

    if links is None:
        links = pd.DataFrame(columns=["territory_id", "ptce_id", "relation"])
    return area_view(territories, ptce, links, region=args.region, departement=args.departement)


def _own(rows, ids):
    return rows[rows["id"].astype(str).isin(ids)]


def _cmd_synergies(args: argparse.Namespace) -> int:
    from geo.analysis.summaries import synergy_summary
    from geo.analysis.synergies import synergies
    from geo.cli_analysts import is_gis, links_layer, write_result
    from geo.publish.export import write_synergies

    with _progress(4, "synergies") as bar:
        territories, ptce = _load_inputs(args, bar)
        table = synergies(territories, ptce, radius_km=args.radius_km)
        _step(bar, "calcul")
        view = _view(args, territories, ptce, table)
        table = view.links.reset_index(drop=True)
        territories = _own(territories, view.own_territory_ids)
        summary = synergy_summary(territories, ptce, table, radius_km=args.radius_km)
        if args.out and is_gis(args.out):  # the links as lines, for QGIS
            write_result(links_layer(table, territories, ptce), args.out, "liens")
        elif args.out and args.csv_fr and args.out.lower().endswith(".csv"):
            write_result(table, args.out, "synergies", "fr")
        elif args.out:
            write_synergies(table, args.out, territories=territories, ptce=ptce)
        _step(bar, "export")
    counts = table["relation"].value_counts()
    sure = table.loc[table["certainty"] == "sûr", "relation"].value_counts()
    print(
        f"{len(table)} paires territoire–PTCE à {args.radius_km:g} km ou moins: "
        + ", ".join(
            f"{rel} {int(counts.get(rel, 0))} (dont sûres {int(sure.get(rel, 0))})"
            for rel in ("overlap", "adjacent", "near")
        )
    )
    # Nationally, the France rows; for a région or département, its own rows.
    is_france = summary["region"] == "France"
    shown = summary[~is_france] if (args.region or args.departement) else summary[is_france]
    print(shown.to_string(index=False))
    every = shown[shown["statut"] == "ensemble"]
    if "population" in every and len(every):
        print(
            _population_sentence(
                int(every["population"].sum()),
                int(every["population_exact"].sum()),
                int(every["n_population_unknown"].sum()),
            )
        )
    if args.out:
        print(f"wrote {args.out}")
    return 0


def _filtered(args: argparse.Namespace, territories, ptce):
    """Return the territories and PTCE of --region/--departement (all active without one)."""
    view = _view(args, territories, ptce)
    return _own(territories, view.own_territory_ids), _own(ptce, view.own_ptce_ids)


_SUMMARY_SHOWN = [
    "region",
    "n_th",
    "n_th_with_ptce",
    "n_th_with_ptce_probable",
    "share_th_with_ptce_pct",
    "n_th_isolated",
    "population_th",
    "population_th_exact",
    "n_th_population_unknown",
    "population_th_with_ptce",
    "population_th_without_ptce",
    "n_pe_with_support_ptce",
    "n_ptce_without_tz",
]


def _population_sentence(known: int, exact: int, unknown: int) -> str:
    """Say, in French, what a population total holds and what it leaves out."""
    from geo.publish.frtext import population_fr

    text = (
        f"Population connue : {population_fr(known)} habitants, dont {population_fr(exact)} "
        f"exacts (communes entières) et {population_fr(known - exact)} approchés (EPCI, "
        "chiffres cités par les sources, QPV)"
    )
    if unknown:
        text += (
            f" ; {unknown} territoire{'s' if unknown > 1 else ''} de population inconnue "
            "non compté" + ("s" if unknown > 1 else "") + " (quartiers sans population QPV "
            "ni chiffre cité : `data build --qpv-population`)"
        )
    return text + "."


def _print_french(table, columns, labels) -> None:
    shown = table[columns].round(1).astype(object)
    shown = shown.where(shown.notna(), "").rename(columns=labels)
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.0f}"))


def _cmd_opportunities(args: argparse.Namespace) -> int:
    from geo.analysis.observatory import LABELS_FR, opportunities
    from geo.analysis.summaries import opportunity_summary
    from geo.analysis.synergies import synergies
    from geo.cli_analysts import dialect, is_gis, opportunity_layer, write_result
    from geo.publish.export import write_table

    with _progress(4, "opportunités") as bar:
        territories, ptce = _load_inputs(args, bar)
        # A région's territories (or PTCE) with their partners on both sides of its border.
        own_t, own_p = _filtered(args, territories, ptce)
        shown_t = own_t
        shown_p = own_p if args.by == "ptce" else ptce
        pairs = synergies(territories, ptce, radius_km=args.radius_km)
        table = opportunities(
            territories if args.by == "ptce" else shown_t,
            shown_p,
            pairs[pairs["territory_id"].isin(shown_t["id"]) & pairs["ptce_id"].isin(shown_p["id"])]
            if args.by == "territory"
            else pairs[pairs["ptce_id"].isin(shown_p["id"])],
            radius_km=args.radius_km,
            by=args.by,
        )
        _step(bar, "calcul")
        summary = opportunity_summary(
            shown_t,
            ptce,
            pairs[pairs["territory_id"].isin(shown_t["id"])],
            radius_km=args.radius_km,
        )
        if args.out and is_gis(args.out):  # territory outlines or PTCE points
            write_result(opportunity_layer(table, territories, ptce), args.out, "opportunites")
        elif args.out:
            write_table(table, args.out, sheet_name="opportunites", dialect=dialect(args))
        _step(bar, "export")
    counts = table["category"].value_counts()
    what = "territoires" if args.by == "territory" else "PTCE"
    print(
        f"{len(table)} {what}, PTCE à {args.radius_km:g} km ou moins : "
        + ", ".join(f"{name} {int(n)}" for name, n in counts.items())
    )
    if args.region or args.departement:  # the région(s) of the filtered rows, not France
        summary = summary[summary["region"].isin(set(table["region_nom"].dropna()))]
    _print_french(summary, _SUMMARY_SHOWN, LABELS_FR)
    last = summary.iloc[-1] if len(summary) else None
    if last is not None and summary["population_th"].notna().iloc[-1]:
        print(
            "TH — "
            + _population_sentence(
                int(last["population_th"]),
                int(last["population_th_exact"]),
                int(last["n_th_population_unknown"]),
            )
        )
    if args.out:
        print(f"wrote {args.out}")
    return 0


def _cmd_timeline(args: argparse.Namespace) -> int:
    from geo.analysis.observatory import LABELS_FR
    from geo.analysis.timeline import TIMELINE_COLUMNS, timeline
    from geo.cli_analysts import dialect, timeline_format_problem
    from geo.publish.charts import CHART_FORMATS, plot_timeline
    from geo.publish.export import write_table

    with _progress(4, "chronologie") as bar:
        territories, ptce = _load_inputs(args, bar)
        # A région's TH, PE and PTCE, and the pairs they form.
        table = timeline(*_filtered(args, territories, ptce), radius_km=args.radius_km)
        _step(bar, "calcul")
        written = []
        if args.out and timeline_format_problem(args.out):
            print(f"error: {timeline_format_problem(args.out)}", file=sys.stderr)
            return 2
        if args.out:
            out = Path(args.out)
            if out.suffix.lower() in CHART_FORMATS:
                try:
                    written.append(plot_timeline(table, out))
                except ModuleNotFoundError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 1
                written.append(write_table(table, out.with_suffix(".csv"), dialect=dialect(args)))
            else:
                written.append(
                    write_table(table, out, sheet_name="chronologie", dialect=dialect(args))
                )
        _step(bar, "export")
    _print_french(table, TIMELINE_COLUMNS[1:], LABELS_FR)
    for path in written:
        print(f"wrote {path}")
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    from geo.publish.mapfile import make_map

    if args.static:
        from geo.cli_analysts import write_static

        write_static(args)
        if args.out is None and args.umap is None:
            return 0
    if args.umap:
        from geo.publish.umap import make_umap, umap_layer_paths

        out = make_umap(
            args.umap,
            territories=args.territories,
            ptce=args.ptce,
            region=args.region,
            departement=args.departement,
            territory=args.territory,
            radius_km=args.radius_km,
            data_url=args.umap_data_url,
        )
        print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB, uMap: Importer des données)")
        if args.umap_data_url:
            names = ", ".join(p.name for p in umap_layer_paths(out))
            print(f"wrote its layer files ({names}): publish them with it at {args.umap_data_url}")
        if args.out is None:
            return 0
    args.out = args.out or "maps/synergies.html"
    inline = bool(args.offline and args.assets)  # a self-contained page
    if args.offline and not args.assets:
        print(
            "note: no --assets: the page loads Leaflet from its CDN when opened; for a "
            "self-contained file add --assets DIR (filled once, online, with: python -m geo "
            "assets fetch DIR)",
            file=sys.stderr,
        )
    if args.screenshot and settings.offline and not args.assets:
        print(
            "error: map --screenshot in offline mode (TZPTCE_OFFLINE or geo.settings.offline) "
            "needs --assets DIR: the browser cannot fetch the map's JS/CSS from the CDN, so "
            "the map would stay blank; fill the folder once, online, with: python -m geo "
            "assets fetch DIR",
            file=sys.stderr,
        )
        return 2
    with _progress(3, "carte") as bar:
        territories, ptce = _load_inputs(args, bar)
        out = make_map(
            args.out,
            territories=territories,
            ptce=ptce,
            region=args.region,
            departement=args.departement,
            territory=args.territory,
            radius_km=args.radius_km,
            rings=args.rings,
            tiles=not args.no_tiles,
            offline=inline,
            assets_dir=args.assets,
            embed=args.embed,
            popup_columns=args.popup_columns,
            separate_assets=args.separate_assets,
        )
        _step(bar, "écrite")
    size_kb = out.stat().st_size / 1024
    print(f"wrote {out} ({size_kb:.0f} KB){' — self-contained' if inline else ''}")
    if args.screenshot:
        from geo.publish.screenshot import screenshot

        # offline: the browser makes no request outside the local files
        offline = bool(args.offline or settings.offline or args.assets)
        screenshot(out, args.screenshot, assets_dir=args.assets, offline=offline)
        print(f"wrote {args.screenshot}")
    return 0


def _cmd_site(args: argparse.Namespace) -> int:
    from geo.publish.site import build_site

    if args.offline and not args.assets:
        print(
            "error: site --offline needs --assets DIR, a folder of the maps' JS/CSS files "
            "(fill it once, online, with: python -m geo assets fetch DIR)",
            file=sys.stderr,
        )
        return 2
    with _progress(1, "site") as bar:
        report = build_site(
            args.out_dir,
            territories=args.territories,
            ptce=args.ptce,
            radius_km=args.radius_km,
            base_url=args.base_url,
            tiles=not args.no_tiles,
            offline=args.offline,
            assets_dir=args.assets,
            separate_assets=args.separate_assets,
            templates=args.templates,
        )
        _step(bar, "écrit")
    print(f"wrote {report}")
    return 0


def _cmd_assets_fetch(args: argparse.Namespace) -> int:
    from geo.publish.assets import fetch_assets

    written = fetch_assets(args.dir, refresh=args.refresh)
    print(f"{len(written)} asset files in {args.dir} (for: python -m geo map --offline --assets)")
    return 0


# --- parser -----------------------------------------------------------------------


def _kilometres(text: str) -> float:
    """Parse a distance in kilometres: a finite number >= 0 (argparse type)."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected kilometres >= 0, got {text!r}")
    return value


def _examples(*lines: str) -> dict[str, Any]:
    """Keyword arguments that give a subcommand's --help an examples section."""
    return {
        "epilog": "examples:\n" + "\n".join(f"  {line}" for line in lines),
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


def _build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--offline",
        action="store_true",
        default=argparse.SUPPRESS,  # so a subcommand does not reset the global flag
        help="never use the network (also TZPTCE_OFFLINE=1); for 'map': one self-contained file",
    )
    common.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress bars (they show only on a terminal anyway)",
    )
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="read the territories and PTCE from this data folder (built by 'data build "
        "--out DIR') instead of the shipped data; also TZPTCE_DATA_DIR",
    )
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--region", help="région: INSEE code (e.g. 32) or name")
    where.add_argument(
        "--departement", help="département: code (e.g. 60, 2a, 974) or name (e.g. Yvelines)"
    )
    inputs = argparse.ArgumentParser(add_help=False)
    inputs.add_argument(
        "--territories", metavar="FILE", help="your territories (CSV, XLSX, GeoJSON)"
    )
    inputs.add_argument("--ptce", metavar="FILE", help="your PTCE (CSV, XLSX, GeoJSON)")
    inputs.add_argument(
        "--radius-km", type=_kilometres, default=20.0, help="proximity radius (default: 20)"
    )

    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description=(
            "TZCLD territories and PTCE on official commune boundaries: overlap, "
            "proximity, synergy maps."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('tzptce-geo')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    communes = commands.add_parser("communes", help="official commune boundaries")
    communes_sub = communes.add_subparsers(dest="communes_command", required=True)
    summary = communes_sub.add_parser(
        "summary",
        **_examples(
            "python -m geo communes summary",
            "python -m geo communes summary --region Hauts-de-France",
            "python -m geo communes summary --departement 974",
        ),
        parents=[common, where],
        help="load the boundaries and print a summary",
    )
    summary.set_defaults(func=_cmd_communes_summary)
    find = communes_sub.add_parser(
        "find",
        **_examples(
            'python -m geo communes find "Villers St Paul" "Paris 13e" 2A004',
            'python -m geo communes find Saint-Denis --departement "La Réunion"',
            'python -m geo communes find "CC Cœur de Savoie"',
        ),
        parents=[common],
        help="find communes by INSEE code, name or EPCI",
    )
    find.add_argument("values", nargs="+", metavar="VALUE")
    find.add_argument("--departement", help="département code or name to disambiguate")
    find.set_defaults(func=_cmd_communes_find)
    fetch = communes_sub.add_parser(
        "fetch",
        **_examples(
            "python -m geo communes fetch --source etalab --resolution 50m",
            "python -m geo communes fetch --source api-geo --departement 78",
        ),
        parents=[common, where],
        help="download and cache boundaries",
    )
    fetch.add_argument("--source", choices=["embedded", "etalab", "api-geo"], default="etalab")
    fetch.add_argument("--resolution", choices=["5m", "50m", "100m", "1000m"], default="50m")
    fetch.add_argument("--refresh", action="store_true", help="rebuild even if cached")
    fetch.set_defaults(func=_cmd_communes_fetch)
    cache = communes_sub.add_parser(
        "cache",
        **_examples("python -m geo communes cache info", "python -m geo communes cache clear"),
        parents=[common],
        help="inspect or clear the boundary cache",
    )
    cache.add_argument("action", choices=["info", "clear"])
    cache.set_defaults(func=_cmd_communes_cache)

    data = commands.add_parser("data", help="the shipped TZ/PTCE data")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    build = data_sub.add_parser(
        "build",
        **_examples("python -m geo data build", "python -m geo data build --out /tmp/data-check"),
        parents=[common],
        help="regenerate data/*.geojson from data/*.csv",
    )
    build.add_argument(
        "--tables",
        metavar="DIR",
        help="folder of your tz_territories.csv and ptce.csv (default: --data-dir, else the "
        "shipped data); with --out, the GeoJSON, the tables and the QPV list are written there",
    )
    build.add_argument("--out", help="write the GeoJSON here instead of --data-dir")
    build.add_argument(
        "--qpv",
        metavar="FILE_OR_URL",
        help="ANCT QPV 2024 boundaries (QP2024 GeoJSON, or a ZIP holding it): draw the "
        "territories with qpv_codes as their QPV (default: their communes)",
    )
    build.add_argument(
        "--qpv-population",
        metavar="FILE_OR_URL",
        help="INSEE QPV 2024 population table (codeQPV, popMuniQPV): the population of a "
        "quartier is the sum of its QPV (default: the figure its source states, or unknown)",
    )
    build.set_defaults(func=_cmd_data_build)
    report = data_sub.add_parser(
        "report",
        **_examples("python -m geo data report"),
        parents=[common],
        help="data-quality report",
    )
    report.set_defaults(func=_cmd_data_report)
    ids = data_sub.add_parser(
        "ids",
        **_examples(
            "python -m geo data ids",
            "python -m geo data ids --kind ptce",
            "python -m geo data ids --file mes_territoires.csv",
        ),
        parents=[common],
        help="list the ids of the territories (for map --territory) or of the PTCE",
    )
    ids.add_argument("--kind", choices=["territories", "ptce"], default="territories")
    ids.add_argument("--file", metavar="FILE", help="your own table instead of the shipped one")
    ids.set_defaults(func=_cmd_data_ids)

    syn = commands.add_parser(
        "synergies",
        **_examples(
            "python -m geo synergies --radius-km 20 --out synergies.csv",
            "python -m geo synergies --region Occitanie --out occitanie.xlsx",
            "python -m geo synergies --territories mes_territoires.csv --out liens.geojson",
        ),
        parents=[common, where, inputs],
        help="overlap and proximity of every territory and PTCE",
    )
    syn.add_argument(
        "--out",
        metavar="FILE",
        help="write the table: .csv, .xlsx, .parquet, or with the links as lines .gpkg, .geojson",
    )
    from geo.cli_analysts import add_commands, add_csv_fr

    add_csv_fr(syn)
    syn.set_defaults(func=_cmd_synergies)

    opp = commands.add_parser(
        "opportunities",
        **_examples(
            "python -m geo opportunities",
            "python -m geo opportunities --radius-km 30 --out opportunites.xlsx",
            "python -m geo opportunities --by ptce --region Occitanie --out ptce.csv",
        ),
        parents=[common, where, inputs],
        help="which territories have a PTCE within reach, which PTCE have no TZ",
    )
    opp.add_argument(
        "--by",
        choices=["territory", "ptce"],
        default="territory",
        help="one row per territory (default) or per PTCE",
    )
    opp.add_argument(
        "--out",
        metavar="FILE",
        help="write the table: .csv, .xlsx, or with territory outlines (PTCE points) .gpkg, "
        ".geojson",
    )
    add_csv_fr(opp)
    opp.set_defaults(func=_cmd_opportunities)

    tl = commands.add_parser(
        "timeline",
        **_examples(
            "python -m geo timeline",
            "python -m geo timeline --out evolution.pdf   # also writes evolution.csv",
            "python -m geo timeline --region Occitanie --out evolution.xlsx",
        ),
        parents=[common, where, inputs],
        help="TH, PE, PTCE and their pairs year after year since 2016",
    )
    tl.add_argument(
        "--out",
        metavar="FILE",
        help="write the table (.csv, .xlsx) or a chart (.pdf, .svg, .png at 300 dpi, with its "
        "table as .csv)",
    )
    add_csv_fr(tl)
    tl.set_defaults(func=_cmd_timeline)

    map_ = commands.add_parser(
        "map",
        **_examples(
            "python -m geo map",
            "python -m geo map --territory le-port --out maps/le-port.html",
            "python -m geo map --departement 974 --rings --out maps/reunion.html",
            "python -m geo map --offline --assets ~/leaflet-assets --no-tiles --out carte.html",
            "python -m geo map --umap carte.umap   # to import in uMap or Framacarte",
            "python -m geo map --static carte.pdf   # print map: metropole and overseas insets",
            "python -m geo map --static occitanie.png --region Occitanie",
        ),
        parents=[common, where, inputs],
        help="write an HTML synergy map",
    )
    map_.add_argument("--out", metavar="FILE", help="HTML page (default: maps/synergies.html)")
    map_.add_argument(
        "--static",
        metavar="FILE",
        help="also (or, without --out, only) write a print map: .pdf, .svg or .png (300 dpi)",
    )
    map_.add_argument(
        "--umap", metavar="FILE", help="also (or, without --out, only) write a uMap file (.umap)"
    )
    map_.add_argument(
        "--umap-data-url",
        metavar="URL",
        help="with --umap: write each layer to a GeoJSON file next to the .umap file, read by "
        "uMap from URL (where both are published): republishing updates the map",
    )
    map_.add_argument(
        "--territory", metavar="ID", help="zoom on one territory (its id: see 'data ids')"
    )
    map_.add_argument("--rings", action="store_true", help="draw radius rings around PTCE")
    map_.add_argument("--no-tiles", action="store_true", help="no tile basemap")
    map_.add_argument("--assets", metavar="DIR", help="local Leaflet assets for --offline")
    map_.add_argument("--screenshot", metavar="PNG", help="also save a screenshot (chromium)")
    map_.add_argument(
        "--embed",
        action="store_true",
        help="for an iframe: the wheel and swipes scroll the host page until the map is activated",
    )
    map_.add_argument(
        "--popup-columns",
        metavar="COL",
        nargs="+",
        help="extra columns to show in the details (shown as text, like every field)",
    )
    map_.add_argument(
        "--separate-assets",
        action="store_true",
        help="write the page's JS and CSS next to it (no inline script: CSP script-src 'self')",
    )
    map_.set_defaults(func=_cmd_map)

    add_commands(commands, common=common, kilometres=_kilometres, examples=_examples)

    site = commands.add_parser(
        "site",
        **_examples(
            "python -m geo site site/",
            "python -m geo site site/ --base-url https://info-ptce.fr/carte/",
            "python -m geo site site/ --offline --assets ~/leaflet-assets",
            "python -m geo site site/ --separate-assets   # for script-src 'self'",
            "python -m geo site site/ --templates my-templates/   # your base.html...",
        ),
        parents=[common, inputs],
        help="write a static website: national, région and territory pages, downloads",
    )
    site.add_argument("out_dir", metavar="OUT", help="the site folder")
    site.add_argument(
        "--base-url", metavar="URL", help="published address (permalinks, iframe snippets)"
    )
    site.add_argument("--no-tiles", action="store_true", help="no tile basemap on the maps")
    site.add_argument("--assets", metavar="DIR", help="local Leaflet assets for --offline")
    site.add_argument(
        "--separate-assets",
        action="store_true",
        help="no inline script: the maps' code in shared files (CSP script-src 'self')",
    )
    site.add_argument(
        "--templates",
        metavar="DIR",
        help="your own page templates (Jinja2, e.g. base.html), used before the shipped ones",
    )
    site.set_defaults(func=_cmd_site)

    assets = commands.add_parser("assets", help="local copies of the map's JS/CSS")
    assets_sub = assets.add_subparsers(dest="assets_command", required=True)
    fetch_assets = assets_sub.add_parser(
        "fetch",
        **_examples("python -m geo assets fetch ~/leaflet-assets"),
        parents=[common],
        help="download them once (online) for map --offline",
    )
    fetch_assets.add_argument("dir", metavar="DIR")
    fetch_assets.add_argument("--refresh", action="store_true", help="download again")
    fetch_assets.set_defaults(func=_cmd_assets_fetch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0 on success, 1 on a data or source error, 2 on a usage error.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    args.offline = getattr(args, "offline", False)
    from geo.cli_analysts import usage_problem

    problem = usage_problem(args)
    if problem:
        print(f"error: {visible(problem)}", file=sys.stderr)
        return 2
    offline_before, progress_before = settings.offline, settings.progress
    env_before = os.environ.get(DATA_DIR_ENV)
    if getattr(args, "data_dir", None):
        os.environ[DATA_DIR_ENV] = str(Path(args.data_dir).resolve())
    if args.offline:
        settings.offline = True
    if getattr(args, "quiet", False):
        settings.progress = False
    # Progress notes and diagnostics of the library (logging.getLogger("geo")) on stderr.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("geo")
    level_before = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            if args.command != "communes":
                # The 4 communes without a boundary matter when loading communes,
                # not for every map or table built on top of them.
                from geo.reference.communes import MissingGeometryWarning

                warnings.simplefilter("ignore", MissingGeometryWarning)
            return int(args.func(args))
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a folder as output, a read-only place, an unreadable input...
        if exc.filename2:  # os.replace(tmp, target) failed: the target cannot be written
            what = f"cannot write {exc.filename2}"
        else:
            what = f"cannot read or write {exc.filename}" if exc.filename else "input/output error"
        print(visible(f"error: {what}: {exc.strerror or exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        settings.offline, settings.progress = offline_before, progress_before
        if env_before is None:
            os.environ.pop(DATA_DIR_ENV, None)
        else:
            os.environ[DATA_DIR_ENV] = env_before
        logger.removeHandler(handler)
        logger.setLevel(level_before)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {visible(str(message))}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
