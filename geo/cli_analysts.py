"""Command-line commands for analysts: print maps, places around a point, GIS exports.

Called by :mod:`geo.cli` (which parses the arguments and turns library errors
into one line and an exit code). Like it, nothing here computes: each
command loads the inputs, calls one public function and prints what it wrote.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo._core.progress import bar as _progress_bar
from geo._core.progress import step as _step

__all__ = ["write_static"]


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
