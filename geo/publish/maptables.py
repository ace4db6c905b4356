"""The data tables of a map page: territories, PTCE and links as plain rows.

:func:`territory_table`, :func:`ptce_table` and :func:`link_table` turn the
public fields of each table (those marked shown in :mod:`geo.schema`, plus the
``popup_columns`` asked for) into the display rows the map runtime reads:
texts as strings, geometry simplified and rounded. :mod:`geo.publish.maps`
assembles them into the page's data; this module draws nothing and writes
nothing.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.publish.frtext import CERTAINTY_LABELS, population_text, safe_url
from geo.publish.frtext import date_fr as _date_fr
from geo.publish.frtext import text as _text
from geo.reference.outlines import is_present, simplify_polygons
from geo.schema import field_names

__all__ = [
    "MAX_LINKS",
    "PTCE_PRECISIONS",
    "TOLERANCE",
    "geometry_json",
    "link_table",
    "ptce_table",
    "split",
    "territory_table",
]


_APPROX_TERRITORY = ("infra-communal", "epci")


#: French labels of PTCE area-of-action precisions, and the PTCE symbol that
#: tells them apart without colour: a filled point when the area is known, a
#: hollow ring when only the seat (or nothing) is known.
PTCE_PRECISIONS = {
    "communes": ("zone d'action connue par communes", "filled"),
    "epci": ("zone d'action connue par EPCI", "filled"),
    "departement": ("zone d'action départementale", "filled"),
    "siege": ("seule la commune du siège est connue", "hollow"),
    "inconnu": ("zone d'action inconnue", "hollow"),
}


_PRECISION_LABELS = {
    "communes": "communes",
    "qpv": "quartiers prioritaires (contours QPV 2024)",
    "infra-communal": "infra-communal (quartiers) : contour approximatif",
    "epci": "EPCI : contour approximatif",
    "inconnu": "inconnue",
    "siege": "commune du siège seulement",
    "departement": "département",
}


TOLERANCE = {"national": 0.004, "region": 0.0015, "territory": 0.0003}


#: Links kept per territory (the closest relations first).
MAX_LINKS = 12


def split(value: Any, sep: str) -> list[str]:
    """Return the non-blank parts of a ``sep``-separated cell, stripped."""
    return [part.strip() for part in _text(value).split(sep) if part.strip()]


def _urls(value: Any) -> list[str]:
    text = _text(value)
    for sep in (" | ", " ; ", "|", ";"):
        if sep in text:
            return split(text, sep)
    return [text] if text else []


def _dep_names(code: str, dep_names: dict[str, str]) -> str:
    """Name of a département code, or names of a ``;``-separated list ("Ain, Aisne")."""
    names = [dep_names.get(part.strip(), "") for part in _text(code).split(";")]
    return ", ".join(names) if all(names) else ""


def geometry_json(geom: Any) -> dict[str, Any] | None:
    """Return a geometry as a GeoJSON mapping, ``None`` when missing or empty."""
    if geom is None or shapely.is_empty(geom):
        return None
    return shapely.geometry.mapping(geom)


def _point(geom: Any) -> list[float] | None:
    if geom is None or shapely.is_empty(geom):
        return None
    return [round(geom.x, 5), round(geom.y, 5)]


def _sources(value: Any) -> list[list[str | None]]:
    """Each source as ``[url or None, text]``: a link only for a safe http(s) URL."""
    out: list[list[str | None]] = []
    for text in _urls(value):
        good = safe_url(text)
        out.append([good, (urlsplit(good).netloc or good) if good else text])
    return out


def _column_values(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return [""] * len(frame)
    return [_text(v) for v in frame[column].tolist()]


def _extra(frame: pd.DataFrame, columns: list[str]) -> list[list[list[str]]]:
    present = [c for c in columns if c in frame.columns]
    values = [_column_values(frame, c) for c in present]
    return [
        [[column, vals[i]] for column, vals in zip(present, values, strict=True) if vals[i]]
        for i in range(len(frame))
    ]


def territory_table(
    t_show: gpd.GeoDataFrame,
    scale: str,
    extra: list[str],
    admin: tuple[dict[str, str], dict[str, str], dict[str, str]],
) -> dict[str, Any]:
    """Return the territories as the page's ``{"cols", "rows"}`` table (shown fields)."""
    dep_names, dep_region, region_names = admin
    geoms = t_show.geometry.values.to_numpy()
    present = is_present(geoms)
    simplified = np.full(len(geoms), None, dtype=object)
    simplified[present] = simplify_polygons(geoms[present], TOLERANCE[scale])
    points = np.full(len(geoms), None, dtype=object)
    if present.any():
        points[present] = shapely.point_on_surface(simplified[present])
    # The page shows the fields marked shown in geo.schema (plus popup_columns).
    columns = {c: _column_values(t_show, c) for c in field_names("territories", shown=True)}
    deps, regions = columns["departement"], columns["region"]
    region_noms, precisions = columns["region_nom"], columns["precision"]
    communes = [
        split(v, ";") for v in (t_show["communes"] if "communes" in t_show else [""] * len(t_show))
    ]
    populations = [population_text(r) for r in t_show.drop(columns="geometry").to_dict("records")]
    dates = [
        _date_fr(v)
        for v in (
            t_show["date_habilitation"] if "date_habilitation" in t_show else [""] * len(t_show)
        )
    ]
    sources = [_sources(v) for v in _column_values(t_show, "sources")]
    extras = _extra(t_show, extra)
    rows = []
    for i in range(len(t_show)):
        dep = deps[i]
        region = regions[i] or dep_region.get(dep, "")
        rows.append(
            [
                columns["id"][i],
                columns["nom"][i],
                columns["statut"][i],
                columns["statut_detail"][i],
                dep,
                _dep_names(dep, dep_names),
                region,
                region_noms[i] or region_names.get(region, ""),
                communes[i],
                columns["sous_zone"][i],
                columns["epci_nom"][i],
                precisions[i],
                _PRECISION_LABELS.get(precisions[i], precisions[i]),
                columns["precision_note"][i],
                precisions[i] in _APPROX_TERRITORY,
                populations[i],
                columns["ebe"][i],
                dates[i],
                columns["texte_legal"][i],
                sources[i],
                extras[i],
                geometry_json(simplified[i]),
                _point(points[i]),
            ]
        )
    return {"cols": list(_T_COLS), "rows": rows}


_T_COLS = (
    "id",
    "nom",
    "statut",
    "statut_detail",
    "departement",
    "departement_nom",
    "region",
    "region_nom",
    "communes",
    "sous_zone",
    "epci_nom",
    "precision",
    "precision_label",
    "precision_note",
    "approx",
    "population",
    "ebe",
    "date_habilitation",
    "texte_legal",
    "sources",
    "extra",
    "geometry",
    "point",
)


_P_COLS = (
    "id",
    "nom",
    "porteur",
    "siege_commune",
    "departement",
    "departement_nom",
    "region",
    "region_nom",
    "zone_action",
    "precision",
    "thematiques",
    "soutien_etat",
    "site_web",
    "sources",
    "extra",
    "point",
)


def _themes(value: Any) -> list[str]:
    return [t for t in (part.strip() for part in re.split(r"[;|]", _text(value))) if t]


def ptce_table(
    p_show: gpd.GeoDataFrame,
    extra: list[str],
    admin: tuple[dict[str, str], dict[str, str], dict[str, str]],
) -> dict[str, Any]:
    """Return the PTCE as the page's ``{"cols", "rows"}`` table (shown fields)."""
    dep_names, dep_region, region_names = admin
    geoms = p_show.geometry.values.to_numpy()
    present = is_present(geoms)
    seats = np.full(len(geoms), None, dtype=object)
    if present.any():
        seats[present] = shapely.point_on_surface(geoms[present])
    values = {c: _column_values(p_show, c) for c in field_names("ptce", shown=True)}
    extras = _extra(p_show, extra)
    rows = []
    for i in range(len(p_show)):
        dep = values["departement"][i]
        region = values["region"][i] or dep_region.get(dep, "")
        site = values["site_web"][i]
        good = safe_url(site)
        precision = values["precision"][i]
        rows.append(
            [
                values["id"][i],
                values["nom"][i],
                values["porteur"][i],
                values["siege_commune"][i],
                dep,
                _dep_names(dep, dep_names),
                region,
                values["region_nom"][i] or region_names.get(region, ""),
                values["zone_action"][i],
                precision if precision in PTCE_PRECISIONS else (precision or "inconnu"),
                _themes(values["thematiques"][i]),
                values["soutien_etat"][i],
                [good, site] if site else None,
                _sources(values["sources"][i]),
                extras[i],
                _point(seats[i]),
            ]
        )
    return {"cols": list(_P_COLS), "rows": rows}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, 2) if np.isfinite(number) else None


def link_table(links: pd.DataFrame, t_ids: list[str], p_ids: list[str]) -> list[list[Any]]:
    """Return the links as rows, closest relations first.

    Each is ``[territory row, PTCE row, relation, distance_km,
    seat_distance_km, shared communes, overlap share %, approximate,
    certainty in French ("" when sure)]``.
    """
    t_index = {tid: i for i, tid in enumerate(t_ids)}
    p_index = {pid: i for i, pid in enumerate(p_ids)}
    ordered = links.sort_values("_order", kind="stable")
    # beyond the closest few per territory, links are noise on a map (and weight)
    ordered = ordered[ordered.groupby("territory_id", sort=False).cumcount() < MAX_LINKS]

    def column(name: str) -> list[Any]:
        return ordered[name].tolist() if name in ordered else [None] * len(ordered)

    out = []
    for tid, pid, relation, dist, seat, shared, share, approx, certainty in zip(
        ordered["territory_id"].tolist(),
        ordered["ptce_id"].tolist(),
        ordered["relation"].tolist(),
        column("distance_km"),
        column("seat_distance_km"),
        column("shared_communes"),
        column("overlap_share_pct"),
        column("approximate"),
        column("certainty"),
        strict=True,
    ):
        ti, pi = t_index.get(tid), p_index.get(pid)
        if ti is None or pi is None:
            continue
        out.append(
            [
                ti,
                pi,
                relation,
                _number(dist),
                _number(seat),
                len(split(shared, ";")),
                _number(share),
                _text(approx).lower() in ("true", "1"),
                CERTAINTY_LABELS.get(_text(certainty), ""),
            ]
        )
    return out
