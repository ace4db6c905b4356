"""Charts of the observatory tables (SVG, PDF, PNG), with their data as text alternative.

matplotlib is an optional dependency (the ``plot`` extra: ``pip install
'tzptce-geo[plot]'``), imported when a chart is drawn.
Charts use French labels and stay readable in grey scale: every series has
its own marker, line style or hatching, never a colour alone. Nothing here
computes: the tables come from :mod:`geo.analysis.timeline`. Files are written
by :func:`geo.publish.figures.write_figure` (atomic, deterministic, fonts embedded).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import SchemaError
from geo.publish.figures import (
    FIGURE_FORMATS,
    check_format,
    matplotlib_modules,
    rc_params,
    write_figure,
)

__all__ = ["CHART_FORMATS", "plot_timeline", "timeline_text"]

#: File extensions :func:`plot_timeline` writes.
CHART_FORMATS = FIGURE_FORMATS

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
    dpi: int = 300,
) -> Path:
    """Draw a :func:`geo.timeline` table as a chart and write it as SVG, PDF or PNG.

    The upper panel shows the cumulative TH, PE and PTCE (distinct markers and
    line styles), the lower one the cumulative co-located and near pairs
    (hatched bars); the counts without a date are written under the chart,
    never spread over the years. The chart's text alternative is
    :func:`timeline_text`: the SVG carries it as ``<title>``/``<desc>``
    (``role="img"``), the PNG as its ``Description`` text chunk, the PDF as
    its ``Subject``. SVG and PDF are the same bytes for the same table, with
    their fonts embedded; the PNG is 9 × 6.5 inches at ``dpi`` (2700 × 1950
    pixels at 300 dpi, for print).

    Parameters
    ----------
    table
        A table from :func:`geo.timeline`.
    path
        Target file, ``.svg``, ``.pdf`` or ``.png``; written to a temporary
        file and renamed once complete, its directory created when missing.
    title
        Title of the chart.
    dpi
        Resolution of a PNG (dots per inch).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ArgumentError
        An extension other than ``.svg``, ``.pdf`` or ``.png``.
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
    check_format(path, "a chart")
    _check(table)
    matplotlib, figure_class = matplotlib_modules()
    with matplotlib.rc_context(rc_params()):
        fig = _draw(table, figure_class, title)
    return write_figure(fig, path, title=title, description=timeline_text(table), dpi=dpi)


def _draw(table: pd.DataFrame, figure_class: type, title: str) -> Any:
    """Draw the timeline chart on a new figure."""
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
            fontsize=9,  # 12.5 px at the chart's 900 px (never shown smaller: see site.css)
        )
    fig.subplots_adjust(left=0.08, right=0.98, top=0.94, bottom=0.12, hspace=0.08)

    return fig


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
