"""Command-line interface: ``python -m geo ...`` and the ``tzptce`` script.

The only module that parses arguments: the table of commands and options
(:func:`_build_parser`) and :func:`main`, which checks the options
(:mod:`geo.cli_args`), runs the command and turns library errors
(:class:`geo.errors.GeoError`) into one readable line on stderr and exit
code 1; usage errors exit 2. The commands live in modules by audience:
:mod:`geo.cli_data` (boundaries, shipped data, assets),
:mod:`geo.cli_observatory` (synergies, opportunities, timeline),
:mod:`geo.cli_publish` (map, site) and :mod:`geo.cli_analysts` (near,
export). Nothing here computes.
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
from geo.cli_args import kilometres, usage_problem
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


def _examples(*lines: str) -> dict[str, Any]:
    """Keyword arguments that give a subcommand's --help an examples section."""
    return {
        "epilog": "examples:\n" + "\n".join(f"  {line}" for line in lines),
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


def _add_csv_fr(*parsers: argparse.ArgumentParser) -> None:
    """Give commands that write tables the ``--csv-fr`` option."""
    for parser in parsers:
        parser.add_argument(
            "--csv-fr",
            action="store_true",
            help="CSV for French spreadsheets: ';', decimal comma, UTF-8 with BOM",
        )


def _build_parser() -> argparse.ArgumentParser:
    """Return the parser: every command, its options and its handler (``func``)."""
    # Imported with the parser, not with geo.cli (cli_analysts imports geopandas).
    from geo import cli_analysts, cli_data, cli_observatory, cli_publish

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
    files = argparse.ArgumentParser(add_help=False)
    files.add_argument(
        "--territories", metavar="FILE", help="your territories (CSV, XLSX, GeoJSON)"
    )
    files.add_argument("--ptce", metavar="FILE", help="your PTCE (CSV, XLSX, GeoJSON)")
    inputs = argparse.ArgumentParser(add_help=False, parents=[files])
    inputs.add_argument(
        "--radius-km", type=kilometres, default=20.0, help="proximity radius (default: 20)"
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
    summary.set_defaults(func=cli_data.cmd_communes_summary)
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
    find.set_defaults(func=cli_data.cmd_communes_find)
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
    fetch.set_defaults(func=cli_data.cmd_communes_fetch)
    cache = communes_sub.add_parser(
        "cache",
        **_examples("python -m geo communes cache info", "python -m geo communes cache clear"),
        parents=[common],
        help="inspect or clear the boundary cache",
    )
    cache.add_argument("action", choices=["info", "clear"])
    cache.set_defaults(func=cli_data.cmd_communes_cache)

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
    build.set_defaults(func=cli_data.cmd_data_build)
    report = data_sub.add_parser(
        "report",
        **_examples("python -m geo data report"),
        parents=[common],
        help="data-quality report",
    )
    report.set_defaults(func=cli_data.cmd_data_report)
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
    ids.set_defaults(func=cli_data.cmd_data_ids)

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
    _add_csv_fr(syn)
    syn.set_defaults(func=cli_observatory.cmd_synergies)

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
    _add_csv_fr(opp)
    opp.set_defaults(func=cli_observatory.cmd_opportunities)

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
    _add_csv_fr(tl)
    tl.set_defaults(func=cli_observatory.cmd_timeline)

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
    map_.set_defaults(func=cli_publish.cmd_map)

    near = commands.add_parser(
        "near",
        **_examples(
            'python -m geo near "Les Mureaux" --radius-km 10',
            "python -m geo near 78440 --kind territories",
            'python -m geo near "Saint-Denis" --departement 974 --out autour.xlsx',
            "python -m geo near le-port --radius-km 15   # a territory id",
            'python -m geo near "2.35,48.85"   # longitude,latitude',
        ),
        parents=[common, files],
        help="the PTCE (or territories) within a radius of a commune, address, point or territory",
    )
    near.add_argument(
        "place",
        metavar="PLACE",
        help="commune name or INSEE code, postal address, territory id, or 'longitude,latitude'",
    )
    near.add_argument(
        "--radius-km", type=kilometres, default=10.0, help="search radius (default: 10)"
    )
    near.add_argument(
        "--kind",
        choices=["ptce", "territories"],
        default="ptce",
        help="what to list (default: ptce)",
    )
    near.add_argument("--departement", help="département of a commune name several communes share")
    near.add_argument(
        "--out", metavar="FILE", help="write the list: .csv, .xlsx, .gpkg or .geojson"
    )
    _add_csv_fr(near)
    near.set_defaults(func=cli_analysts.cmd_near)

    export = commands.add_parser(
        "export",
        **_examples(
            "python -m geo export tzptce.gpkg      # 4 layers in one GeoPackage",
            "python -m geo export sig/             # sig/tzptce.gpkg and one .geojson per layer",
            "python -m geo export tzptce.gpkg --internal --radius-km 30",
        ),
        parents=[common, inputs],
        help="GIS files: territories, PTCE, links and opportunities as GeoPackage/GeoJSON layers",
    )
    export.add_argument("out", metavar="DIR|FILE.gpkg", help="a .gpkg file or a folder")
    export.add_argument(
        "--internal",
        action="store_true",
        help="also the internal fields (notes, confiance, alias); public fields by default",
    )
    export.set_defaults(func=cli_analysts.cmd_export)

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
    site.set_defaults(func=cli_publish.cmd_site)

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
    fetch_assets.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="URL",
        help="also this file (a folium plugin's JS/CSS an offline page asks for); repeatable",
    )
    fetch_assets.set_defaults(func=cli_data.cmd_assets_fetch)
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
    problem = usage_problem(args)
    if problem:
        print(f"error: {visible(problem)}", file=sys.stderr)
        return 2
    try:
        with _global_options(args), _library_log(), _warnings_shown(args.command):
            return int(args.func(args))
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a folder as output, a read-only place, an unreadable input...
        print(visible(f"error: {_io_problem(exc)}: {exc.strerror or exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _global_options(args: argparse.Namespace) -> Iterator[None]:
    """Apply ``--data-dir``, ``--offline`` and ``--quiet`` while the command runs, then undo."""
    offline_before, progress_before = settings.offline, settings.progress
    env_before = os.environ.get(DATA_DIR_ENV)
    try:
        if getattr(args, "data_dir", None):
            os.environ[DATA_DIR_ENV] = str(Path(args.data_dir).resolve())
        if args.offline:
            settings.offline = True
        if getattr(args, "quiet", False):
            settings.progress = False
        yield
    finally:
        settings.offline, settings.progress = offline_before, progress_before
        if env_before is None:
            os.environ.pop(DATA_DIR_ENV, None)
        else:
            os.environ[DATA_DIR_ENV] = env_before


@contextlib.contextmanager
def _library_log() -> Iterator[None]:
    """Print the library's progress notes and diagnostics (``logging.getLogger("geo")``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("geo")
    level_before = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level_before)


@contextlib.contextmanager
def _warnings_shown(command: str) -> Iterator[None]:
    """Print the library's warnings as one ``warning:`` line each while the command runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        if command != "communes":
            # The 4 communes without a boundary matter when loading communes,
            # not for every map or table built on top of them.
            from geo.reference.communes import MissingGeometryWarning

            warnings.simplefilter("ignore", MissingGeometryWarning)
        yield


def _io_problem(exc: OSError) -> str:
    """Say which file an input/output error is about, and whether it was written or read."""
    if exc.filename2:  # os.replace(tmp, target) failed: the target cannot be written
        return f"cannot write {exc.filename2}"
    return f"cannot read or write {exc.filename}" if exc.filename else "input/output error"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {visible(str(message))}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
