"""Command-line interface: ``python -m geo ...`` and the ``tzptce`` script.

The only module that parses arguments. Each command calls one public
function and prints its result; library errors (:class:`geo.errors.GeoError`)
become one readable line on stderr and exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from . import __version__, settings
from .errors import GeoError

__all__ = ["main"]

_EPILOG = """\
examples:
  python -m geo communes summary
  python -m geo communes find "Villers St Paul"
  python -m geo communes cache info
"""


def _cmd_communes_summary(args: argparse.Namespace) -> int:
    from .communes import load_communes

    table = load_communes(departements=args.departement, regions=args.region)
    with_geometry = int(table.geometry.notna().sum())
    print(f"{len(table)} communes (COG {settings.vintage}), {with_geometry} with a boundary")
    population = int(table["population"].fillna(0).sum())
    print(f"population: {population:,}".replace(",", " "))
    by_region = table.groupby("region").size()
    print(f"{by_region.size} régions, {table['departement'].nunique()} départements")
    return 0


def _cmd_communes_cache(args: argparse.Namespace) -> int:
    from .communes import cache_info, clear_cache

    if args.action == "clear":
        print(f"{clear_cache()} files removed from {settings.default_cache_dir()}")
        return 0
    rows = cache_info()
    print(f"cache: {settings.default_cache_dir()}")
    for row in rows:
        state = "ok" if row["valid"] else "CORRUPT (rebuilt on next load)"
        print(f"  {row['path']}  {int(row['size_bytes']) / 1e6:.1f} MB  {state}")
    if not rows:
        print("  (empty)")
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="TZCLD territories and PTCE on official commune boundaries.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--offline", action="store_true", help="never use the network (also TZPTCE_OFFLINE=1)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    communes = commands.add_parser("communes", help="official commune boundaries")
    communes_sub = communes.add_subparsers(dest="communes_command", required=True)
    summary = communes_sub.add_parser("summary", help="load the boundaries and print a summary")
    summary.add_argument("--departement", help="département code, e.g. 78, 2A, 974")
    summary.add_argument("--region", help="région INSEE code, e.g. 11")
    summary.set_defaults(func=_cmd_communes_summary)
    cache = communes_sub.add_parser("cache", help="inspect or clear the boundary cache")
    cache.add_argument("action", choices=["info", "clear"])
    cache.set_defaults(func=_cmd_communes_cache)
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
    if args.offline:
        settings.offline = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return int(args.func(args))
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
