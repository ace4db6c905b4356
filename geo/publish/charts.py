"""Charts of the observatory tables (SVG/PNG), with their data as text alternative.

The only module that imports matplotlib, an optional dependency (the ``plot``
extra: ``pip install 'tzptce-geo[plot]'``), imported when a chart is drawn.
Charts use French labels and stay readable in grey scale: every series has
its own marker, line style or hatching, never a colour alone. Nothing here
computes: the tables come from :mod:`geo.analysis.observatory`. Files are written
atomically (:func:`geo._core.files.atomic_path`).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

from geo._core.files import atomic_path
from geo.errors import ArgumentError, SchemaError

__all__ = ["CHART_FORMATS", "plot_timeline", "timeline_text"]

#: File extensions :func:`plot_timeline` writes.
CHART_FORMATS = (".svg", ".png")

_LINES = (  # column, label, marker, line style, grey
    ("th_total", "TH habilités (cumul)", "o", "-", "0.0"),
    ("pe_total", "PE connus (cumul)", "s", "--", "0.35"),
    ("ptce_total", "PTCE reconnus par l'État (cumul)", "^", ":", "0.55"),
)
_BARS = (  # column, label, hatch, face grey
    ("pairs_colocated_total", "Paires co-localisées (cumul)", "////", "0.25"),
    ("pairs_near_total", "Paires proches (cumul)", "....", "0.85"),
)
_REQUIRED = ["year", "period", *(c for c, *_ in _LINES), *(c for c, *_ in _BARS)]


def _matplotlib() -> Any:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ModuleNotFoundError(
            "charts need matplotlib, an optional dependency: install it with "
            "pip install 'tzptce-geo[plot]' (or pip install matplotlib)",
            name="matplotlib",
        ) from exc
    return matplotlib, Figure


def timeline_text(table: pd.DataFrame) -> str:
    """Describe a :func:`geo.timeline` table in French plain text, one line per year.

    This is the text alternative of :func:`plot_timeline`'s chart.

    Parameters
    ----------
    table
        A table from :func:`geo.timeline`.

    Returns
    -------
    str
        A title line, then ``"2023 : 57 TH habilités, 25 PE connus, ..."`` per
        row, the ``"date inconnue"`` row last.
    """
    _check(table)
    radius = table.attrs.get("radius_km")
    within = f" à {radius:g} km ou moins" if radius is not None else ""
    lines = [f"Évolution des TH, PE, PTCE et de leurs paires{within}, par année (cumuls)."]
    for row in table.itertuples(index=False):
        if pd.isna(row.year):
            lines.append(
                f"{row.period} (non réparti sur les années) : {row.th_new} TH, {row.pe_new} PE, "
                f"{row.ptce_new} PTCE, {row.pairs_colocated_new} paires co-localisées, "
                f"{row.pairs_near_new} paires proches"
            )
        else:
            lines.append(
                f"{row.period} : {row.th_total} TH habilités, {row.pe_total} PE connus, "
                f"{row.ptce_total} PTCE reconnus, {row.pairs_colocated_total} paires "
                f"co-localisées, {row.pairs_near_total} paires proches"
            )
    return "\n".join(lines)


def _check(table: pd.DataFrame) -> None:
    if not isinstance(table, pd.DataFrame):
        raise SchemaError(f"expected a table from geo.timeline(), got {type(table).__name__}")
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise SchemaError(
            f"the timeline table has no {', '.join(map(repr, missing))} column: "
            "pass a table from geo.timeline()"
        )


def plot_timeline(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    title: str = "TZCLD et PTCE : territoires, pôles et co-localisation depuis 2016",
) -> Path:
    """Draw a :func:`geo.timeline` table as a chart and write it as SVG or PNG.

    The upper panel shows the cumulative TH, PE and PTCE (distinct markers and
    line styles), the lower one the cumulative co-located and near pairs
    (hatched bars); the counts without a date are written under the chart,
    never spread over the years. The chart's text alternative is
    :func:`timeline_text`: the SVG carries it as ``<title>``/``<desc>``
    (``role="img"``), the PNG as its ``Description`` text chunk.

    Parameters
    ----------
    table
        A table from :func:`geo.timeline`.
    path
        Target file, ``.svg`` or ``.png``; written to a temporary file and
        renamed once complete, its directory created when missing.
    title
        Title of the chart.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ArgumentError
        An extension other than ``.svg`` or ``.png``.
    SchemaError
        ``table`` is not a timeline table.
    ModuleNotFoundError
        matplotlib is not installed (the ``plot`` extra).

    Examples
    --------
    >>> import tempfile
    >>> import geo
    >>> table = geo.timeline(geo.load_territories(), geo.load_ptce())
    >>> path = geo.plot_timeline(table, Path(tempfile.mkdtemp()) / "evolution.svg")
    >>> path.name
    'evolution.svg'
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in CHART_FORMATS:
        raise ArgumentError(
            f"cannot draw {path.name!r}: unknown chart extension {ext or '(none)'!r}; "
            f"use one of {', '.join(CHART_FORMATS)}"
        )
    _check(table)
    matplotlib, figure_class = _matplotlib()
    text = timeline_text(table)
    dated = table[table["year"].notna()]
    unknown = table[table["year"].isna()]
    years = dated["year"].astype(int).to_numpy()

    fig = figure_class(figsize=(9, 6.5), dpi=100)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    _draw_totals(top, years, dated, title)
    _draw_pairs(bottom, years, dated, table.attrs.get("radius_km"))
    if len(unknown):
        row = unknown.iloc[0]
        fig.text(
            0.01,
            0.01,
            f"Date inconnue (non réparties sur les années) : {row['th_new']} TH, "
            f"{row['pe_new']} PE, {row['ptce_new']} PTCE, {row['pairs_colocated_new']} "
            f"paires co-localisées, {row['pairs_near_new']} paires proches.",
            fontsize=8,
        )
    fig.subplots_adjust(left=0.08, right=0.98, top=0.94, bottom=0.12, hspace=0.08)

    buffer = io.BytesIO()
    if ext == ".svg":
        # A fixed salt: the same table gives the same file (matplotlib salts ids at random).
        with matplotlib.rc_context({"svg.hashsalt": "tzptce-geo"}):
            fig.savefig(buffer, format="svg", metadata={"Title": title, "Date": None})
        payload = _accessible_svg(buffer.getvalue().decode("utf-8"), title, text).encode("utf-8")
    else:
        fig.savefig(buffer, format="png", metadata={"Title": title, "Description": text})
        payload = buffer.getvalue()
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return path


def _draw_totals(axes: Any, years: Any, dated: pd.DataFrame, title: str) -> None:
    """Draw the upper panel: cumulative TH, PE and PTCE, one line style and marker each."""
    for column, label, marker, style, grey in _LINES:
        axes.plot(
            years,
            dated[column].astype(float),
            marker=marker,
            linestyle=style,
            color=grey,
            markerfacecolor="white" if marker == "s" else grey,
            markeredgecolor="0.0",
            linewidth=2,
            label=label,
        )
    axes.set_ylabel("Nombre (cumul)")
    axes.set_title(title)
    axes.grid(True, axis="y", color="0.85", linewidth=0.8)
    axes.legend(loc="upper left", frameon=False)


def _draw_pairs(axes: Any, years: Any, dated: pd.DataFrame, radius: float | None) -> None:
    """Draw the lower panel: cumulative co-located and near pairs, hatched bars."""
    width = 0.38
    for shift, (column, label, hatch, grey) in zip((-width / 2, width / 2), _BARS, strict=True):
        axes.bar(
            years + shift,
            dated[column].astype(float),
            width=width,
            color=grey,
            edgecolor="0.0",
            hatch=hatch,
            label=label,
        )
    axes.set_ylabel("Paires TZ–PTCE")
    axes.set_xlabel("Année")
    axes.set_xticks(years, [str(y) for y in years])
    axes.grid(True, axis="y", color="0.85", linewidth=0.8)
    axes.legend(
        loc="upper left",
        frameon=False,
        title=f"rayon {radius:g} km" if radius is not None else None,
    )


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def _accessible_svg(svg: str, title: str, text: str) -> str:
    """Give the SVG root ``role="img"``, a ``<title>`` and the data as ``<desc>``."""
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
