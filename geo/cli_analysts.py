"""Command-line commands for analysts: print maps, places around a point, GIS exports.

Called by :mod:`geo.cli` (which parses the arguments and turns library errors
into one line and an exit code). Like it, nothing here computes: each
command loads the inputs, calls one public function and prints what it wrote.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geo._core.progress import bar as _progress_bar
from geo._core.progress import step as _step

__all__ = ["add_commands", "write_static"]

_NEAR_SHOWN = {
    "ptce": [("distance_km", "km"), ("id", "id"), ("nom", "nom"), ("siege_commune", "siège")],
    "territories": [("distance_km", "km"), ("id", "id"), ("nom", "nom"), ("statut", "statut")],
}


def write_static(args: argparse.Namespace) -> Path:
    """Draw ``python -m geo map --static FILE`` and return the written file."""
    from geo.loading.entities import load_ptce, load_territories
    from geo.publish.staticmap import static_map, write_static_map

    with _progress_bar(4, "carte imprimable") as bar:
        territories = load_territories(args.territories)
        _step(bar, "territoires")
        ptce = load_ptce(args.ptce)
        _step(bar, "PTCE")
        fig = static_map(
            territories,
            ptce,
            region=args.region,
            departement=args.departement,
            territory=args.territory,
            radius_km=args.radius_km,
        )
        _step(bar, "dessin")
        out = write_static_map(fig, args.static)
        _step(bar, "écrite")
    return out


def _cmd_near(args: argparse.Namespace) -> int:
    from geo.analysis.near import ptce_near, territories_near
    from geo.loading.entities import load_ptce, load_territories

    with _progress_bar(2, "autour d'un lieu") as bar:
        territories = load_territories(args.territories)
        if args.kind == "ptce":
            table = ptce_near(
                args.place,
                args.radius_km,
                ptce=load_ptce(args.ptce),
                territories=territories,
                departement=args.departement,
            )
        else:
            table = territories_near(
                args.place, args.radius_km, territories=territories, departement=args.departement
            )
        _step(bar, "calcul")
        written = _write_result(table, args.out, "autour") if args.out else None
        _step(bar, "export")
    what = "PTCE" if args.kind == "ptce" else "territoires"
    radius = f"{args.radius_km:g}".replace(".", ",")
    print(
        f"{len(table)} {what} à {radius} km ou moins de {table.attrs['place']} "
        f"(distances en {table.attrs['metric_crs']})"
    )
    if len(table):
        columns = [(c, label) for c, label in _NEAR_SHOWN[args.kind] if c in table.columns]
        shown = table[[c for c, _ in columns]].rename(columns=dict(columns))
        print(shown.fillna("").to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if written:
        print(f"wrote {written}")
    return 0


def _write_result(table: Any, out: str, layer: str) -> Path:
    """Write a result table: spreadsheet formats without geometry."""
    from geo.publish.export import write_table

    return write_table(table.drop(columns=table.geometry.name), out, sheet_name=layer)


def add_commands(
    commands: Any,
    *,
    common: argparse.ArgumentParser,
    kilometres: Callable[[str], float],
    examples: Callable[..., dict[str, Any]],
) -> None:
    """Add the analysts' commands (``near``) to the subparsers of :mod:`geo.cli`."""
    near = commands.add_parser(
        "near",
        **examples(
            'python -m geo near "Les Mureaux" --radius-km 10',
            "python -m geo near 78440 --kind territories",
            'python -m geo near "Saint-Denis" --departement 974 --out autour.xlsx',
            "python -m geo near le-port --radius-km 15   # a territory id",
            'python -m geo near "2.35,48.85"   # longitude,latitude',
        ),
        parents=[common],
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
        "--territories", metavar="FILE", help="your territories (CSV, XLSX, GeoJSON)"
    )
    near.add_argument("--ptce", metavar="FILE", help="your PTCE (CSV, XLSX, GeoJSON)")
    near.add_argument("--out", metavar="FILE", help="write the list: .csv or .xlsx")
    near.set_defaults(func=_cmd_near)
