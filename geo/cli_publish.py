"""Command-line commands that publish: the map page (with its uMap and print files), the site.

``map`` writes the HTML synergy map and, on request, its uMap file, print map
and screenshot; ``site`` writes the static website. Called by :mod:`geo.cli`,
which parses the arguments and turns library errors into one line and an
exit code; nothing here computes.
"""

from __future__ import annotations

import argparse
import sys

from geo import settings
from geo._core.progress import bar as _progress_bar
from geo._core.progress import step as _step
from geo.cli_args import load_inputs

__all__ = ["cmd_map", "cmd_site"]


def cmd_map(args: argparse.Namespace) -> int:
    """Run ``map``: the HTML map, and on request its uMap file, print map and screenshot."""
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
    with _progress_bar(3, "carte") as bar:
        territories, ptce = load_inputs(args, bar)
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


def cmd_site(args: argparse.Namespace) -> int:
    """Run ``site``: the static website."""
    from geo.publish.site import build_site

    if args.offline and not args.assets:
        print(
            "error: site --offline needs --assets DIR, a folder of the maps' JS/CSS files "
            "(fill it once, online, with: python -m geo assets fetch DIR)",
            file=sys.stderr,
        )
        return 2
    with _progress_bar(1, "site") as bar:
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
