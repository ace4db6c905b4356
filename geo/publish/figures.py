"""Write matplotlib figures for print: PNG at a set resolution, deterministic SVG and PDF.

Shared by :mod:`geo.publish.charts` and :mod:`geo.publish.staticmap`. One
job: turn a drawn figure into file bytes that are the same for the same
drawing (no creation date, a fixed SVG id salt), with the fonts embedded
(TrueType "Type 42" in PDF, glyphs as paths in SVG so that no font is needed
to read it) and the text alternative carried by the file (SVG ``<title>``/
``<desc>`` with ``role="img"``, PNG ``Description`` chunk, PDF ``Subject``).
Files are written atomically. It draws nothing and imports matplotlib only
when called.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from geo._core.files import atomic_path
from geo.errors import ArgumentError

__all__ = ["FIGURE_FORMATS", "check_format", "matplotlib_modules", "write_figure"]

#: File extensions :func:`write_figure` writes.
FIGURE_FORMATS = (".svg", ".png", ".pdf")

#: The font every figure uses: shipped with matplotlib, so the same bytes on every machine.
FONT = "DejaVu Sans"

_SALT = "tzptce-geo"


def matplotlib_modules() -> tuple[Any, Any]:
    """Return ``(matplotlib, Figure)``, or explain how to install the ``plot`` extra."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ModuleNotFoundError(
            "charts and static maps need matplotlib, an optional dependency: install it "
            "with pip install 'tzptce-geo[plot]' (or pip install matplotlib)",
            name="matplotlib",
        ) from exc
    return matplotlib, Figure


def check_format(path: str | os.PathLike[str], what: str) -> str:
    """Return the lower-case extension of ``path``, or raise if it is not a figure format."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in FIGURE_FORMATS:
        raise ArgumentError(
            f"cannot draw {what} as {path.name!r}: unknown extension {ext or '(none)'!r}; "
            f"use one of {', '.join(FIGURE_FORMATS)}"
        )
    return ext


def rc_params() -> dict[str, Any]:
    """Matplotlib settings of every figure: embedded fonts, fixed ids, one font."""
    return {
        "svg.hashsalt": _SALT,
        "svg.fonttype": "path",
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "font.family": "sans-serif",
        "font.sans-serif": [FONT],
        "path.simplify": True,
    }


def write_figure(
    fig: Any,
    path: str | os.PathLike[str],
    *,
    title: str,
    description: str,
    dpi: int = 300,
) -> Path:
    """Write ``fig`` as SVG, PNG or PDF (by extension), atomically.

    Parameters
    ----------
    fig
        A matplotlib figure.
    path
        Target file; its directory is created when missing.
    title
        Title stored in the file's metadata (and the SVG ``<title>``).
    description
        Text alternative of the figure (SVG ``<desc>``, PNG ``Description``,
        PDF ``Subject``).
    dpi
        Resolution of a PNG (SVG and PDF are vector files).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ArgumentError
        An extension other than ``.svg``, ``.png`` or ``.pdf``, or ``dpi`` below 1.
    """
    path = Path(path)
    ext = check_format(path, "a figure")
    if not dpi >= 1:
        raise ArgumentError(f"dpi={dpi!r}: expected a resolution of 1 dot per inch or more")
    matplotlib, _ = matplotlib_modules()
    buffer = io.BytesIO()
    with matplotlib.rc_context(rc_params()):
        if ext == ".svg":
            fig.savefig(buffer, format="svg", metadata={"Title": title, "Date": None})
            svg = _accessible_svg(buffer.getvalue().decode("utf-8"), title, description)
            payload = svg.encode("utf-8")
        elif ext == ".pdf":
            fig.savefig(
                buffer,
                format="pdf",
                metadata={
                    "Title": title,
                    "Subject": description,
                    "Creator": "tzptce-geo",
                    "CreationDate": None,
                    "ModDate": None,
                },
            )
            payload = buffer.getvalue()
        else:
            fig.savefig(
                buffer,
                format="png",
                dpi=dpi,
                metadata={"Title": title, "Description": description},
            )
            payload = buffer.getvalue()
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return path


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def _accessible_svg(svg: str, title: str, text: str) -> str:
    """Give the SVG root ``role="img"``, a ``<title>`` and the text alternative as ``<desc>``."""
    match = _SVG_OPEN.search(svg)
    if match is None:  # pragma: no cover - matplotlib always writes an <svg> root
        raise RuntimeError("matplotlib wrote no <svg> element")
    tag = match.group(0)
    opened = tag[:-1].rstrip("/") + ' role="img" aria-labelledby="chart-title chart-desc">'
    inserted = (
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(text)}</desc>'
    )
    return svg[: match.start()] + opened + inserted + svg[match.end() :]
