"""Command-line commands for analysts: print maps, places around a point, GIS exports.

Called by :mod:`geo.cli` (which parses the arguments and turns library errors
into one line and an exit code). Like it, nothing here computes: each
command loads the inputs, calls one public function and prints what it wrote.
The result writer (:func:`write_result`: a result's own geometry to GIS files,
its plain table to spreadsheets) also serves the observatory's commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo._core.progress import bar as _progress_bar
from geo._core.progress import step as _step
from geo.cli_args import dialect

__all__ = [
    "cmd_export",
    "cmd_near",
    "export_layers",
    "is_gis",
    "write_result",
    "write_static",
]

_NEAR_SHOWN = {
    "ptce": [("distance_km", "km"), ("id", "id"), ("nom", "nom"), ("siege_commune", "siège")],
    "territories": [("distance_km", "km"), ("id", "id"), ("nom", "nom"), ("statut", "statut")],
}


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


def cmd_near(args: argparse.Namespace) -> int:
    """Run ``near``: the PTCE (or territories) within a radius of a place."""
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


def write_result(table: Any, out: str, layer: str, csv_dialect: str = "standard") -> Path:
    """Write a result table: GIS formats with its geometry, spreadsheets without."""
    from geo.publish.export import plain_table, write_table
    from geo.publish.gis import write_gis

    if is_gis(out):
        return write_gis(table, out, layer=layer)
    return write_table(plain_table(table), out, sheet_name=layer, dialect=csv_dialect)


def export_layers(
    territories: gpd.GeoDataFrame, ptce: gpd.GeoDataFrame, radius_km: float
) -> dict[str, Any]:
    """Return the layers of ``python -m geo export``: territories, PTCE, links, opportunities."""
    from geo.analysis.observatory import opportunities
    from geo.analysis.synergies import synergies

    pairs = synergies(territories, ptce, radius_km=radius_km)  # with the link lines
    return {
        "territoires": territories,
        "ptce": ptce,
        "liens": pairs,
        "opportunites": opportunities(territories, ptce, pairs, radius_km=radius_km),
    }


def cmd_export(args: argparse.Namespace) -> int:
    """Run ``export``: the GIS layers, in one GeoPackage or a folder."""
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
