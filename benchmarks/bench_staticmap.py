"""Print map benchmark, side by side with a plain ``GeoDataFrame.plot`` in the same run.

Like for like: the peer draws the same four layers as :func:`geo.static_map`
(département outlines, territories, PTCE, links) with ``GeoDataFrame.plot`` on
one axes in Lambert-93, and saves a PNG of the same size at the same 300 dpi.
``static_map`` also splits the overseas départements into five insets (each
in its own CRS, with its scale bar), draws the symbols, legend, title and
sources. Rows printed: build + PNG, build + PDF; and the committed README
image (``maps/static_synergies.png``) is redrawn with ``--write``.

Run: ``python benchmarks/bench_staticmap.py [--write]``.
"""

from __future__ import annotations

import io
import sys
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import shapely
from _timing import paired, row

import geo
from geo.reference.outlines import departement_outlines

ROOT = Path(__file__).resolve().parent.parent


def _links(territories, ptce, table) -> gpd.GeoDataFrame:
    t_point = dict(
        zip(territories["id"], territories.geometry.representative_point(), strict=True)
    )
    p_point = dict(zip(ptce["id"], ptce.geometry, strict=True))
    lines = [
        shapely.LineString([p_point[p], t_point[t]])
        for t, p in zip(table["territory_id"], table["ptce_id"], strict=True)
        if t in t_point and p in p_point and p_point[p] is not None
    ]
    return gpd.GeoDataFrame(geometry=lines, crs="EPSG:4326")


def main() -> int:
    from matplotlib.figure import Figure

    warnings.simplefilter("ignore")
    territories, ptce = geo.load_territories(), geo.load_ptce()
    table = geo.synergies(territories, ptce)
    outlines = departement_outlines(tolerance=0.002)
    links = _links(territories, ptce, table)
    layers = [
        (outlines, {"facecolor": "#f7f5ef", "edgecolor": "#8a8a8a", "linewidth": 0.3}),
        (territories, {"column": "statut", "alpha": 0.5}),
        (links, {"color": "#555555", "linewidth": 0.7}),
        (ptce[ptce.geometry.notna()], {"color": "#6A3D9A", "markersize": 12}),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for ext in ("png", "pdf"):

            def ours(ext: str = ext) -> None:
                fig = geo.static_map(territories, ptce, table, date="2026-12-05")
                geo.write_static_map(fig, Path(tmp) / f"carte.{ext}")

            def peer(ext: str = ext) -> None:
                fig = Figure(figsize=(190 / 25.4, 200 / 25.4))
                ax = fig.add_subplot()
                for frame, style in layers:
                    frame.to_crs(2154).plot(ax=ax, **style)
                ax.set_axis_off()
                fig.savefig(io.BytesIO(), format=ext, dpi=300)

            project, plain = paired(ours, peer)
            row(
                f"print map, shipped data, build + {ext.upper()}"
                + (" at 300 dpi" if ext == "png" else ""),
                project,
                "GeoDataFrame.plot of the same 4 layers, one axes",
                plain,
                target="report",
            )
    if "--write" in sys.argv[1:]:
        fig = geo.static_map(territories, ptce, table)
        out = geo.write_static_map(fig, ROOT / "maps" / "static_synergies.png", dpi=150)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
