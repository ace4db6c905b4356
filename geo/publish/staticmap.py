"""Print-quality static maps of the territories, the PTCE and their links (matplotlib).

:func:`static_map` draws what the web map of :func:`geo.synergy_map` shows,
from the same data table (:func:`geo.publish.maps.map_data`: public fields,
simplified geometry, the same symbols, colours and link styles), as a figure
for reports: metropolitan France with the overseas départements as insets
(the usual layout of French official maps), each drawn in its legal metric
CRS (:mod:`geo.crs`) with its own scale bar; or one région, département or
territory. The basemap is the shipped land (département outlines on a sea
colour), never tiles. A legend, a title, the sources and the date come with
it. :func:`write_static_map` writes it (PNG at 300 dpi, deterministic SVG
and PDF with embedded fonts) through :func:`geo.publish.figures.write_figure`.

This module draws; it computes nothing about synergies and reads no files
itself. matplotlib (the ``plot`` extra) is imported when a map is drawn.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.crs import WGS84, ZONES
from geo.errors import ArgumentError
from geo.publish.figures import matplotlib_modules, rc_params, write_figure
from geo.publish.frtext import DEFAULT_TITLE, date_fr
from geo.publish.maps import OVERSEAS_VIEWS, RELATIONS, STATUTS, map_data
from geo.publish.maptables import PTCE_PRECISIONS
from geo.reference.cog import EMBEDDED_VINTAGE
from geo.reference.outlines import departement_outlines

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["LAYOUT", "STATIC_FORMATS", "static_map", "write_static_map"]

#: File extensions :func:`write_static_map` writes.
STATIC_FORMATS = (".png", ".svg", ".pdf")

#: Where each panel of the national map sits, as figure fractions
#: ``(left, bottom, width, height)``; a focused map has only ``"focus"``.
LAYOUT: dict[str, tuple[float, float, float, float]] = {
    "metropole": (0.235, 0.14, 0.75, 0.76),
    "guadeloupe": (0.015, 0.768, 0.2, 0.132),
    "martinique": (0.015, 0.611, 0.2, 0.132),
    "guyane": (0.015, 0.454, 0.2, 0.132),
    "reunion": (0.015, 0.297, 0.2, 0.132),
    "mayotte": (0.015, 0.14, 0.2, 0.132),
    "focus": (0.02, 0.14, 0.96, 0.76),
}

_SEA = "#dfe8ee"
_LAND = "#f7f5ef"
_OUTLINE = "#8a8a8a"
_PTCE_COLOR = "#6A3D9A"
_OTHER = ("autre statut", "#666666", "diamond")
_MARKERS = {"square": "s", "triangle": "^", "diamond": "D", "circle": "o"}
_VIEW_KEYS = {
    "Guadeloupe": "guadeloupe",
    "Martinique": "martinique",
    "Guyane": "guyane",
    "La Réunion": "reunion",
    "Mayotte": "mayotte",
}
_VIEW_ZONES = {
    "guadeloupe": "antilles",
    "martinique": "antilles",
    "guyane": "guyane",
    "reunion": "reunion",
    "mayotte": "mayotte",
}


@dataclass(frozen=True)
class _Panel:
    key: str
    label: str
    epsg: int
    box: tuple[float, float, float, float]  # lon/lat: features whose point falls in it


def _panels(data: dict[str, Any]) -> list[_Panel]:
    """Return the panels: metropole and the overseas insets, or one focused view."""
    if data["kind"] == "national":
        metro = ZONES["metropole"]
        panels = [_Panel("metropole", "France métropolitaine", metro.epsg, metro.bounds)]
        for label, _name, ((s, w), (n, e)) in OVERSEAS_VIEWS[1:]:
            key = _VIEW_KEYS[label]
            zone = ZONES[_VIEW_ZONES[key]]
            pad = max(e - w, n - s) * 0.15
            panels.append(_Panel(key, label, zone.epsg, (w - pad, s - pad, e + pad, n + pad)))
        return panels
    (s, w), (n, e) = data["bounds"]
    cx, cy = (w + e) / 2, (s + n) / 2
    zone = next(
        (
            z
            for z in ZONES.values()
            if z.bounds[0] <= cx <= z.bounds[2] and z.bounds[1] <= cy <= z.bounds[3]
        ),
        ZONES["metropole"],
    )
    pad_x, pad_y = (e - w) * 0.08, (n - s) * 0.08
    return [_Panel("focus", "", zone.epsg, (w - pad_x, s - pad_y, e + pad_x, n + pad_y))]


def _inside(box: tuple[float, float, float, float], point: Any) -> bool:
    return bool(point) and box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _rows(table: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(table["rows"], columns=table["cols"])


def _series(geometries: list[Any], epsg: int, index: Any = None) -> gpd.GeoSeries:
    shapes = [shapely.geometry.shape(g) if g else None for g in geometries]
    return gpd.GeoSeries(shapes, index=index, crs=WGS84).to_crs(epsg)


def _nice_km(span_km: float) -> float:
    """Return a round length near a fifth of ``span_km`` (1, 2 or 5 times a power of 10)."""
    target = max(span_km / 5, 0.1)
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def _limits(panel: _Panel, land: gpd.GeoSeries, fig: Figure) -> tuple[float, ...]:
    """Metric limits of ``panel`` with the axes' own width/height ratio (no distortion)."""
    if panel.key == "metropole" and len(land):
        minx, miny, maxx, maxy = land.total_bounds
    else:
        w, s, e, n = panel.box
        corners = shapely.box(w, s, e, n).segmentize(0.05)
        minx, miny, maxx, maxy = (
            gpd.GeoSeries([corners], crs=WGS84).to_crs(panel.epsg).total_bounds
        )
        if panel.key != "focus":  # an inset: the island without its padding box
            shrink = 0.15 / 1.3
            dx, dy = (maxx - minx) * shrink, (maxy - miny) * shrink
            minx, maxx, miny, maxy = minx + dx, maxx - dx, miny + dy, maxy - dy
    pad = 0.05 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    width_in, height_in = fig.get_size_inches()
    _, _, fw, fh = LAYOUT[panel.key]
    ratio = (fw * width_in) / (fh * height_in)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w, half_h = (maxx - minx) / 2, (maxy - miny) / 2
    if half_w / half_h < ratio:
        half_w = half_h * ratio
    else:
        half_h = half_w / ratio
    return cx - half_w, cx + half_w, cy - half_h, cy + half_h


def _scale_bar(ax: Axes, limits: tuple[float, ...], fontsize: float) -> None:
    """Draw a black and white bar of a round length, bottom left, in kilometres."""
    from matplotlib.patches import Rectangle

    x0, x1, y0, y1 = limits
    km = _nice_km((x1 - x0) / 1000)
    length = km * 1000
    left, bottom = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    height = (y1 - y0) * 0.012
    for i in range(2):
        ax.add_patch(
            Rectangle(
                (left + i * length / 2, bottom),
                length / 2,
                height,
                facecolor="#1a1a1a" if i == 0 else "white",
                edgecolor="#1a1a1a",
                linewidth=0.5,
                zorder=10,
            )
        )
    label = f"{km:g} km".replace(".", ",")
    ax.text(
        left + length / 2,
        bottom + height * 1.6,
        label,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        zorder=10,
    )


def _draw_land(ax: Axes, land: gpd.GeoSeries) -> None:
    if len(land):
        land.plot(ax=ax, facecolor=_LAND, edgecolor=_OUTLINE, linewidth=0.3, zorder=1)


def _statut_style(statut: str) -> tuple[str, str, str]:
    return STATUTS.get(statut, _OTHER)


def _draw_territories(ax: Axes, rows: pd.DataFrame, epsg: int, symbols: bool, size: float) -> None:
    if rows.empty:
        return
    shapes = _series(rows["geometry"].tolist(), epsg, rows.index)
    for approx in (False, True):
        for statut, group in rows[rows["approx"] == approx].groupby("statut"):
            _, color, _ = _statut_style(str(statut))
            part = shapes[group.index]
            part = part[part.notna() & ~part.is_empty]
            if part.empty:
                continue
            part.plot(
                ax=ax,
                facecolor=color,
                alpha=0.15 if approx else 0.3,
                edgecolor="none",
                zorder=2,
            )
            part.boundary.plot(
                ax=ax,
                color=color,
                linewidth=0.6,
                linestyle=(0, (4, 2.5)) if approx else "-",
                zorder=2.1,
            )
    if not symbols:
        return
    for (statut, approx), group in rows.groupby(["statut", "approx"]):
        _, color, shape = _statut_style(str(statut))
        xy = _points(group["point"], epsg)
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            marker=_MARKERS[shape],
            s=size**2,
            facecolor="white" if approx else color,
            edgecolor=color if approx else "#222222",
            linewidth=1.0 if approx else 0.4,
            zorder=6,
        )


@functools.lru_cache(maxsize=16)
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(WGS84, epsg, always_xy=True)


def _points(points: pd.Series, epsg: int) -> np.ndarray:
    present = [p for p in points.tolist() if p]
    if not present:
        return np.empty((0, 2))
    xs, ys = _transformer(epsg).transform([p[0] for p in present], [p[1] for p in present])
    return np.column_stack([xs, ys])


def _draw_ptce(ax: Axes, rows: pd.DataFrame, epsg: int, size: float) -> None:
    if rows.empty:
        return
    hollow = rows["precision"].map(lambda p: PTCE_PRECISIONS.get(p, ("", "hollow"))[1] == "hollow")
    for is_hollow in (False, True):
        xy = _points(rows.loc[hollow == is_hollow, "point"], epsg)
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            marker="o",
            s=size**2,
            facecolor="white" if is_hollow else _PTCE_COLOR,
            edgecolor=_PTCE_COLOR if is_hollow else "#222222",
            linewidth=1.0 if is_hollow else 0.4,
            zorder=7,
        )


def _link_style(relation: str) -> dict[str, Any]:
    _, color, width, dashes = RELATIONS.get(relation, ("", "#555555", 2.0, None))
    style: dict[str, Any] = {"color": color, "linewidth": width * 0.35}
    if dashes:
        pattern = tuple(float(v) / width for v in dashes.split())
        style["linestyle"] = (0, pattern)
    return style


def _draw_links(
    ax: Axes, links: list[list[Any]], t_rows: pd.DataFrame, p_rows: pd.DataFrame, epsg: int
) -> None:
    from matplotlib.collections import LineCollection

    ends: dict[tuple[str, bool], list[Any]] = {}
    for ti, pi, relation, *_rest, approx in links:
        if ti not in t_rows.index or pi not in p_rows.index:
            continue
        t_point, p_point = t_rows.at[ti, "point"], p_rows.at[pi, "point"]
        if t_point and p_point:
            ends.setdefault((relation, bool(approx)), []).append((p_point, t_point))
    order = {"near": 0, "adjacent": 1, "overlap": 2}  # closest relations drawn on top
    for (relation, approx), pairs in sorted(ends.items(), key=lambda kv: order.get(kv[0][0], 0)):
        starts = _points(pd.Series([a for a, _ in pairs]), epsg)
        stops = _points(pd.Series([b for _, b in pairs]), epsg)
        segments = list(np.stack([starts, stops], axis=1))
        style = _link_style(relation)
        ax.add_collection(
            LineCollection(
                segments,
                colors=style["color"],
                linewidths=style["linewidth"],
                linestyles=style.get("linestyle", "solid"),
                alpha=0.55 if approx else 0.9,
                zorder=5,
            )
        )


def _legend_handles(data: dict[str, Any]) -> list[Any]:
    """Return the legend's entries: territories, PTCE, links, then the basemap."""
    from matplotlib.patches import Patch

    return [
        *_territory_handles(data),
        *_ptce_handles(),
        *_link_handles(data),
        Patch(facecolor=_LAND, edgecolor=_OUTLINE, linewidth=0.5, label="département"),
    ]


def _territory_handles(data: dict[str, Any]) -> list[Any]:
    """Return one entry per territory status drawn, and the approximate outline."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    statuts = {row[2] for row in data["t"]["rows"]}
    for key, (label, color, shape) in STATUTS.items():
        if key in statuts:
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=_MARKERS[shape],
                    markersize=6,
                    markerfacecolor=color,
                    markeredgecolor="#222222",
                    markeredgewidth=0.4,
                    label=label,
                )
            )
    if any(s not in STATUTS for s in statuts):
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="D",
                markersize=5,
                markerfacecolor=_OTHER[1],
                label=_OTHER[0],
            )
        )
    if any(row[12] for row in data["t"]["rows"]):
        handles.append(
            Patch(
                facecolor="#bbbbbb",
                alpha=0.5,
                edgecolor="#444444",
                linestyle="--",
                label="symbole creux, contour tireté : contour approximatif",
            )
        )
    return handles


def _ptce_handles() -> list[Any]:
    """Return the two PTCE symbols: action zone known (filled) or not (hollow)."""
    from matplotlib.lines import Line2D

    handles: list[Any] = []
    handles.append(
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=5.5,
            markerfacecolor=_PTCE_COLOR,
            markeredgecolor="#222222",
            markeredgewidth=0.4,
            label="PTCE, zone d'action connue",
        )
    )
    handles.append(
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=5.5,
            markerfacecolor="white",
            markeredgecolor=_PTCE_COLOR,
            markeredgewidth=1.0,
            label="PTCE, siège seul ou zone inconnue",
        )
    )
    return handles


def _link_handles(data: dict[str, Any]) -> list[Any]:
    """Return one line style per relation, with the distance for ``near``."""
    from matplotlib.lines import Line2D

    handles: list[Any] = []
    radius = f"{data['radiusKm']:g}".replace(".", ",")
    for key, (label, *_style) in RELATIONS.items():
        style = _link_style(key)
        handles.append(
            Line2D(
                [],
                [],
                color=style["color"],
                linewidth=style["linewidth"] * 1.4,
                linestyle=style.get("linestyle", "-"),
                label=f"lien : {label}" + (f" (≤ {radius} km)" if key == "near" else ""),
            )
        )
    return handles


def _subtitle(data: dict[str, Any]) -> str:
    t_rows, p_rows = data["t"]["rows"], data["p"]["rows"]
    statuts = pd.Series([r[2] for r in t_rows], dtype=object).value_counts()
    parts = [f"{int(n)} {s}" for s, n in statuts.items()]
    located = sum(1 for r in p_rows if r[-1])
    drawn, total = len(data["l"]), data["linksTotal"]
    plural = "s" if total > 1 else ""
    links = f"{total} lien{plural}" if drawn == total else f"{drawn} liens dessinés sur {total}"
    left_out = data.get("leftOut")
    return (
        f"{len(t_rows)} territoire{'s' if len(t_rows) > 1 else ''} ({', '.join(parts)}) ; "
        f"{located} PTCE localisés sur {len(p_rows)} ; {links} territoire–PTCE "
        "(chevauchement, communes voisines ou distance "
        f"≤ {data['radiusKm']:g} km)".replace(".", ",")
    ) + (f". {left_out}" if left_out else "")


def _sources(when: dt.date, national: bool) -> str:
    overseas = (
        " Outre-mer à des échelles différentes (barre d'échelle de chaque carte)."
        if national
        else ""
    )
    return (
        "Sources : territoires TZCLD et PTCE publiés (sources de chaque ligne dans les "
        "données de tzptce-geo) ; contours des communes IGN ADMIN EXPRESS, COG "
        f"{EMBEDDED_VINTAGE}.{overseas} Carte tzptce-geo {version('tzptce-geo')}, "
        f"{date_fr(when.isoformat())}."
    )


def static_map(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    communes: gpd.GeoDataFrame | None = None,
    region: str | None = None,
    departement: str | None = None,
    territory: str | None = None,
    radius_km: float | None = None,
    title: str | None = None,
    width_mm: float = 190.0,
    height_mm: float = 200.0,
    date: dt.date | str | None = None,
) -> Figure:
    """Draw a print-quality map of territories, PTCE and their synergy links.

    Without a focus: metropolitan France (Lambert-93) with Guadeloupe,
    Martinique, Guyane, La Réunion and Mayotte as insets (each in its legal
    metric CRS, at its own scale, with its own scale bar). With ``region``,
    ``departement`` or ``territory``: that area and what is linked to it. The
    symbols, colours and link styles are those of :func:`geo.synergy_map`
    (square TH, triangle PE, a filled or hollow circle per PTCE, one line
    style per relation), on the shipped land and sea basemap (no tiles), with
    a legend, a scale bar, the title, the counts, the sources and the date.

    Parameters
    ----------
    territories, ptce, synergies, communes, region, departement, territory, radius_km
        As for :func:`geo.synergy_map`.
    title
        Title printed above the map; by default the title of the area
        (:meth:`geo.publish.area.AreaView.title`): "Territoires zéro chômeur
        et PTCE", followed by the région or département, or "<territory> :
        PTCE et synergies" for a territory.
    width_mm, height_mm
        Size of the figure in millimetres (190 × 200 mm by default, an A4
        page's width inside its margins).
    date
        Date printed with the sources (default: today).

    Returns
    -------
    matplotlib.figure.Figure
        The figure; write it with :func:`write_static_map` (or show it in a
        notebook).

    Raises
    ------
    ArgumentError
        A size of zero or less, or a focus that matches nothing.
    SchemaError, CRSError
        As for :func:`geo.synergy_map`.
    ModuleNotFoundError
        matplotlib is not installed (the ``plot`` extra).

    Examples
    --------
    >>> import geo
    >>> fig = geo.static_map(geo.load_territories(), geo.load_ptce(), date="2026-01-05")
    >>> [round(v) for v in fig.get_size_inches() * 25.4]
    [190, 200]
    """
    if not (width_mm > 0 and height_mm > 0):
        raise ArgumentError(f"width_mm={width_mm!r}, height_mm={height_mm!r}: sizes must be > 0")
    when = _date(date)
    data = map_data(
        territories,
        ptce,
        synergies,
        communes=communes,
        region=region,
        departement=departement,
        territory=territory,
        radius_km=radius_km,
        tiles=False,
        title=title or DEFAULT_TITLE,
    )
    matplotlib, figure_class = matplotlib_modules()
    with matplotlib.rc_context(rc_params()):
        fig = figure_class(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=100)
        _draw(fig, data, when, communes)
    fig._geo_description = _subtitle(data)  # type: ignore[attr-defined]
    fig._geo_title = data["title"]  # type: ignore[attr-defined]
    return fig


def _date(value: dt.date | str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ArgumentError(f"date={value!r}: expected a date like '2026-01-05'") from None


_PRINT_TOLERANCE = {"metropole": 0.002, "overseas": 0.0005, "region": 0.001, "territory": 0.0002}


def _land(panel: _Panel, data: dict[str, Any], communes: gpd.GeoDataFrame | None) -> gpd.GeoSeries:
    """Département polygons of ``panel``, simplified for print, in its metric CRS."""
    if panel.key == "focus":
        kind = "territory" if data["kind"] == "territory" else "region"
        w, s, e, n = panel.box
        box = shapely.box(w, s, e, n).buffer(max(e - w, n - s))
        table = departement_outlines(tolerance=_PRINT_TOLERANCE[kind], communes=communes, box=box)
    else:
        kind = "metropole" if panel.key == "metropole" else "overseas"
        table = departement_outlines(tolerance=_PRINT_TOLERANCE[kind], communes=communes)
        table = table[[_dep_in(panel, str(code)) for code in table["departement"]]]
    table = table[table.geometry.notna() & ~table.geometry.is_empty]
    return gpd.GeoSeries(table.geometry.to_numpy(), crs=WGS84).to_crs(panel.epsg)


def _draw(
    fig: Figure, data: dict[str, Any], when: dt.date, communes: gpd.GeoDataFrame | None
) -> None:
    scale = fig.get_size_inches()[0] / (190 / 25.4)  # symbols grow with the page
    for panel in _panels(data):
        _draw_panel(fig, panel, data, communes, scale)
    fig.text(
        0.5, 0.975, data["title"], ha="center", va="top", fontsize=13 * scale, fontweight="bold"
    )
    fig.text(0.5, 0.935, _subtitle(data), ha="center", va="top", fontsize=7 * scale, wrap=True)
    fig.legend(
        handles=_legend_handles(data),
        loc="upper center",
        bbox_to_anchor=(0.5, 0.13),
        ncol=3,
        fontsize=6.5 * scale,
        frameon=False,
        handlelength=2.6,
        columnspacing=1.2,
    )
    fig.text(
        0.015,
        0.01,
        _sources(when, data["kind"] == "national"),
        ha="left",
        va="bottom",
        fontsize=5.2 * scale,
        color="#333333",
        wrap=True,
    )


def _draw_panel(
    fig: Figure,
    panel: _Panel,
    data: dict[str, Any],
    communes: gpd.GeoDataFrame | None,
    scale: float,
) -> None:
    """Draw one panel: land, territories, communes of a focus, links, PTCE, scale bar."""
    national = data["kind"] == "national"
    t_rows, p_rows = _rows(data["t"]), _rows(data["p"])
    ax = fig.add_axes(LAYOUT[panel.key])
    ax.set_facecolor(_SEA)
    land = _land(panel, data, communes)
    limits = _limits(panel, land, fig)
    _draw_land(ax, land)
    t_in = t_rows[[_inside(panel.box, p) for p in t_rows["point"]]]
    p_in = p_rows[[_inside(panel.box, p) for p in p_rows["point"]]]
    symbols = data["kind"] != "territory"
    _draw_territories(ax, t_in, panel.epsg, symbols, (5.0 if national else 6.5) * scale)
    if data["c"]:
        outlines = _series([c[2] for c in data["c"]], panel.epsg)
        outlines.boundary.plot(ax=ax, color="#222222", linewidth=0.5, zorder=3)
    _draw_links(ax, data["l"], t_in, p_in, panel.epsg)
    _draw_ptce(ax, p_in, panel.epsg, (4.2 if national else 5.5) * scale)
    ax.set_xlim(limits[0], limits[1])
    ax.set_ylim(limits[2], limits[3])
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.5)
        spine.set_color("#444444")
    _scale_bar(ax, limits, (6 if panel.key != "metropole" else 7) * scale)
    if panel.label and panel.key != "metropole":
        ax.set_title(panel.label, loc="left", fontsize=7 * scale, fontweight="bold", pad=2)


def _dep_in(panel: _Panel, code: str) -> bool:
    if panel.key == "focus":
        return True
    zone = _VIEW_ZONES.get(panel.key, "metropole")
    if zone == "metropole":
        return not code.startswith("97")
    wanted = {
        "guadeloupe": "971",
        "martinique": "972",
        "guyane": "973",
        "reunion": "974",
        "mayotte": "976",
    }[panel.key]
    return code == wanted


def write_static_map(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 300) -> Path:
    """Write a :func:`static_map` figure as PNG, SVG or PDF, atomically.

    SVG and PDF are the same bytes for the same map (no creation date,
    fixed ids), with their fonts embedded (PDF TrueType, SVG glyphs as
    paths); the PNG is at ``dpi`` (300 by default: 2244 × 2362 pixels for
    the default 190 × 200 mm). The counts line is the file's text
    alternative (SVG ``<desc>``, PNG ``Description``, PDF ``Subject``).

    Parameters
    ----------
    fig
        A figure from :func:`static_map`.
    path
        Target ``.png``, ``.svg`` or ``.pdf`` file.
    dpi
        Resolution of a PNG.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ArgumentError
        Another extension.

    Examples
    --------
    >>> import tempfile
    >>> import geo
    >>> fig = geo.static_map(geo.load_territories(), geo.load_ptce(), region="Occitanie")
    >>> geo.write_static_map(fig, Path(tempfile.mkdtemp()) / "occitanie.pdf").suffix
    '.pdf'
    """
    title = getattr(fig, "_geo_title", "Carte")
    description = getattr(fig, "_geo_description", title)
    return write_figure(fig, path, title=title, description=description, dpi=dpi)
