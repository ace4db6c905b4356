"""Command-line commands for analysts: print maps, places around a point, GIS exports.

Called by :mod:`geo.cli` (which parses the arguments and turns library errors
into one line and an exit code). Like it, nothing here computes: each
command loads the inputs, calls one public function and prints what it wrote.
:func:`usage_problem` checks what argparse cannot (options that exclude each
other, the folder of an output file) before any command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._core.progress import bar as _progress_bar
from geo._core.progress import step as _step

__all__ = [
    "OUTPUT_OPTIONS",
    "add_commands",
    "add_csv_fr",
    "dialect",
    "export_layers",
    "is_gis",
    "links_layer",
    "opportunity_layer",
    "timeline_format_problem",
    "usage_problem",
    "write_result",
    "write_static",
]

#: Options naming a file to write (``dest``, option): its folder must exist.
OUTPUT_OPTIONS = (
    ("out", "--out"),
    ("static", "--static"),
    ("umap", "--umap"),
    ("screenshot", "--screenshot"),
    ("out_dir", "OUT"),
)

_NEAR_SHOWN = {
    "ptce": [("distance_km", "km"), ("id", "id"), ("nom", "nom"), ("siege_commune", "siège")],
    "territories": [("distance_km", "km"), ("id", "id"), ("nom", "nom"), ("statut", "statut")],
}


def timeline_format_problem(out: str) -> str | None:
    """Say why ``timeline --out`` cannot write ``out``, listing what it writes; else ``None``."""
    from geo.publish.charts import CHART_FORMATS
    from geo.publish.export import TABLE_FORMATS

    if Path(out).suffix.lower() in (*CHART_FORMATS, *TABLE_FORMATS):
        return None
    return (
        f"cannot write {Path(out).name!r}: use a table ({', '.join(TABLE_FORMATS)}) "
        f"or a chart ({', '.join(CHART_FORMATS)})"
    )


def usage_problem(args: argparse.Namespace) -> str | None:
    """Return a sentence saying what is wrong with the options, or ``None``."""
    if args.command == "map":
        given = [
            f"--{name}" for name in ("region", "departement", "territory") if getattr(args, name)
        ]
        if len(given) > 1:
            return (
                f"{' and '.join(given)} both given: a map shows one région, one département "
                "or one territory; give only one of them"
            )
    for dest, option in OUTPUT_OPTIONS:
        value = getattr(args, dest, None)
        if not isinstance(value, str) or not value:
            continue
        folder = Path(value).expanduser().parent
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            return f"{option} {value}: the folder {folder} {what}; create it first"
    return None


def write_static(args: argparse.Namespace) -> Path:
    """Draw ``python -m geo map --static FILE``, say so and return the written file."""
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
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB, carte imprimable)")
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
        written = write_result(table, args.out, "autour", dialect(args)) if args.out else None
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


def is_gis(out: str) -> bool:
    """Whether ``out`` names a GIS file (written, or refused with a reason, by write_gis)."""
    from geo.publish.gis import GIS_FORMATS, REFUSED_FORMATS

    return Path(out).suffix.lower() in {*GIS_FORMATS, *REFUSED_FORMATS}


def dialect(args: argparse.Namespace) -> str:
    """Return the CSV dialect asked for: ``"fr"`` with ``--csv-fr``, else ``"standard"``."""
    return "fr" if getattr(args, "csv_fr", False) else "standard"


def add_csv_fr(*parsers: argparse.ArgumentParser) -> None:
    """Give commands that write tables the ``--csv-fr`` option."""
    for parser in parsers:
        parser.add_argument(
            "--csv-fr",
            action="store_true",
            help="CSV for French spreadsheets: ';', decimal comma, UTF-8 with BOM",
        )


def write_result(table: Any, out: str, layer: str, csv_dialect: str = "standard") -> Path:
    """Write a result table: GIS formats with its geometry, spreadsheets without."""
    from geo.publish.export import write_table
    from geo.publish.gis import write_gis

    if is_gis(out):
        return write_gis(table, out, layer=layer)
    if isinstance(table, gpd.GeoDataFrame):
        table = pd.DataFrame(table.drop(columns=table.geometry.name))
    return write_table(table, out, sheet_name=layer, dialect=csv_dialect)


def links_layer(pairs: Any, territories: Any, ptce: Any) -> gpd.GeoDataFrame:
    """Return a synergy table with its link lines (PTCE seat -> territory) as geometry."""
    from geo.analysis.links import link_lines

    lines = link_lines(pairs, territories, ptce).to_numpy()
    return gpd.GeoDataFrame(pairs, geometry=lines, crs="EPSG:4326")


def opportunity_layer(table: Any, territories: Any, ptce: Any) -> gpd.GeoDataFrame:
    """Return an opportunities table with the territory's outline, or the PTCE's point."""
    by_ptce = "ptce_id" in table.columns and "territory_id" not in table.columns
    source, key = (ptce, "ptce_id") if by_ptce else (territories, "territory_id")
    shapes = source.set_index(source["id"].astype(str)).geometry.to_crs("EPSG:4326")
    geometry = shapes.reindex(table[key].astype(str)).to_numpy()
    return gpd.GeoDataFrame(table, geometry=geometry, crs="EPSG:4326")


def export_layers(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, radius_km: float
) -> dict[str, Any]:
    """Return the layers of ``python -m geo export``: territories, PTCE, links, opportunities."""
    from geo.analysis.observatory import opportunities
    from geo.analysis.synergies import synergies

    pairs = synergies(territories, ptce, radius_km=radius_km)
    table = opportunities(territories, ptce, pairs, radius_km=radius_km)
    return {
        "territoires": territories,
        "ptce": ptce,
        "liens": links_layer(pairs, territories, ptce),
        "opportunites": opportunity_layer(table, territories, ptce),
    }


def _cmd_export(args: argparse.Namespace) -> int:
    from geo.loading.entities import load_ptce, load_territories
    from geo.publish.gis import write_gis

    target = Path(args.out)
    with _progress_bar(4, "export SIG") as bar:
        territories = load_territories(args.territories)
        _step(bar, "territoires")
        ptce = load_ptce(args.ptce)
        _step(bar, "PTCE")
        layers = export_layers(territories, ptce, args.radius_km)
        _step(bar, "calcul")
        if target.suffix.lower() == ".gpkg":
            written = [write_gis(layers, target, internal=args.internal)]
        elif target.suffix:
            written = [write_gis(layers, target, internal=args.internal)]  # explains the refusal
        else:
            written = [write_gis(layers, target / "tzptce.gpkg", internal=args.internal)]
            written += [
                write_gis(frame, target / f"{name}.geojson", internal=args.internal)
                for name, frame in layers.items()
            ]
        _step(bar, "écrit")
    counts = ", ".join(f"{name} {len(frame)}" for name, frame in layers.items())
    fields = "all fields" if args.internal else "public fields"
    print(f"layers ({fields}, EPSG:4326, links within {args.radius_km:g} km): {counts}")
    for path in written:
        print(f"wrote {path}")
    return 0


def add_commands(
    commands: Any,
    *,
    common: argparse.ArgumentParser,
    kilometres: Callable[[str], float],
    examples: Callable[..., dict[str, Any]],
) -> None:
    """Add the analysts' commands (``near``, ``export``) to the subparsers of :mod:`geo.cli`."""
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
    near.add_argument(
        "--out", metavar="FILE", help="write the list: .csv, .xlsx, .gpkg or .geojson"
    )
    add_csv_fr(near)
    near.set_defaults(func=_cmd_near)

    export = commands.add_parser(
        "export",
        **examples(
            "python -m geo export tzptce.gpkg      # 4 layers in one GeoPackage",
            "python -m geo export sig/             # sig/tzptce.gpkg and one .geojson per layer",
            "python -m geo export tzptce.gpkg --internal --radius-km 30",
        ),
        parents=[common],
        help="GIS files: territories, PTCE, links and opportunities as GeoPackage/GeoJSON layers",
    )
    export.add_argument("out", metavar="DIR|FILE.gpkg", help="a .gpkg file or a folder")
    export.add_argument(
        "--internal",
        action="store_true",
        help="also the internal fields (notes, confiance, alias); public fields by default",
    )
    export.add_argument(
        "--radius-km", type=kilometres, default=20.0, help="proximity radius (default: 20)"
    )
    export.add_argument(
        "--territories", metavar="FILE", help="your territories (CSV, XLSX, GeoJSON)"
    )
    export.add_argument("--ptce", metavar="FILE", help="your PTCE (CSV, XLSX, GeoJSON)")
    export.set_defaults(func=_cmd_export)
