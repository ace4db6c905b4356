"""The command line's options, read: checks argparse cannot make, and the inputs they name.

Shared by :mod:`geo.cli` and its command modules: the ``--radius-km`` type,
the checks run before any command (options that exclude each other, the
folder of an output file, the format of ``timeline --out``), the CSV dialect
asked for, and the territories and PTCE that ``--territories`` and ``--ptce``
name.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from geo._core.progress import step as _step

__all__ = [
    "OUTPUT_OPTIONS",
    "dialect",
    "kilometres",
    "load_inputs",
    "timeline_format_problem",
    "usage_problem",
]

#: Options naming a file to write (``dest``, option): its folder must exist.
OUTPUT_OPTIONS = (
    ("out", "--out"),
    ("static", "--static"),
    ("umap", "--umap"),
    ("screenshot", "--screenshot"),
    ("out_dir", "OUT"),
)


def kilometres(text: str) -> float:
    """Parse a distance in kilometres: a finite number >= 0 (argparse type)."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected kilometres >= 0, got {text!r}")
    return value


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


def dialect(args: argparse.Namespace) -> str:
    """Return the CSV dialect asked for: ``"fr"`` with ``--csv-fr``, else ``"standard"``."""
    return "fr" if getattr(args, "csv_fr", False) else "standard"


def load_inputs(args: argparse.Namespace, bar: Any) -> tuple[Any, Any]:
    """Load ``--territories`` and ``--ptce`` (the shipped data without them), a bar step each."""
    from geo.loading.entities import load_ptce, load_territories

    territories = load_territories(args.territories)
    _step(bar, "territoires")
    ptce = load_ptce(args.ptce)
    _step(bar, "PTCE")
    return territories, ptce
