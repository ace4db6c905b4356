"""How territories, PTCE and their co-location grew year after year: the timeline and its dates.

:func:`timeline` counts, per year, the TH habilitated, the PE known, the PTCE
recognised by the State and the co-located or near pairs (from a synergy
table); its dates come from the data only (:func:`recognition_year` for a
PTCE's ``soutien_etat``, ``date_habilitation`` for a TH, ``Date de la source``
in a PE's ``notes``), never guessed. Pure functions on (Geo)DataFrames; the
chart lives in :mod:`geo.publish.charts`.
"""

from __future__ import annotations

import datetime as _dt
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.measured import check_ids, check_radius, column_text, linked_pairs, pair_table
from geo.errors import ArgumentError

__all__ = [
    "TIMELINE_COLUMNS",
    "TIMELINE_START",
    "UNKNOWN_DATE",
    "recognition_year",
    "timeline",
]

#: First year of :func:`timeline` (the first TZCLD habilitations, November 2016).
TIMELINE_START = 2016

#: Label of the :func:`timeline` row of rows without a usable date.
UNKNOWN_DATE = "date inconnue"

#: Columns of :func:`timeline`, in order.
TIMELINE_COLUMNS = [
    "year",
    "period",
    "th_new",
    "th_total",
    "pe_new",
    "pe_total",
    "ptce_new",
    "ptce_total",
    "pairs_colocated_new",
    "pairs_colocated_total",
    "pairs_near_new",
    "pairs_near_total",
]

_LEADING_YEAR = re.compile(r"^\s*[~≈]?\s*((?:19|20)\d{2})(?!\d)")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_SOURCE_DATE = re.compile(r"date de la source\s*:\s*[~≈]?\s*((?:19|20)\d{2})(?!\d)", re.I)


def _year(value: object, *, trailing: bool = True) -> int | None:
    """Return the year of a number, a date, or a text that starts with a year."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, _dt.date):
        return value.year
    if isinstance(value, int | float | np.integer | np.floating):
        if not math.isfinite(float(value)) or float(value) != int(value):
            return None
        year = int(value)
        return year if 1900 <= year <= 2099 else None
    text = str(value).strip()
    if not text:
        return None
    match = _LEADING_YEAR.match(text)
    if match:
        return int(match.group(1))
    if trailing:
        # "24/04/2024", "avril 2024": a date whose year comes last, nothing else before it.
        found = _ANY_YEAR.findall(text)
        if len(found) == 1 and re.fullmatch(r"[\d\s/.\-a-zéûèôA-Z]*", text):
            return int(found[0])
    return None


def recognition_year(value: object) -> int | None:
    """Year a PTCE was recognised by the State, from its ``soutien_etat`` text.

    Only a text that opens with the year counts (``"2021 (AMI « PTCE
    émergents », lauréat phase 1)"`` -> 2021, ``"2014"`` -> 2014, a number or a
    date too); a candidature, a result not found or an empty cell give
    ``None`` (date unknown), never a guess.

    Parameters
    ----------
    value
        A cell of the ``soutien_etat`` column.

    Returns
    -------
    int or None
        The year, or ``None`` when the text does not say it.

    Examples
    --------
    >>> recognition_year("2023 (AMI PTCE, 15 lauréats le 17 oct. 2023) ; candidat AMI 2021")
    2023
    >>> recognition_year("candidature au 2e appel à projets national PTCE (2015), non retenue")
    """
    return _year(value, trailing=False)


def _territory_years(frame: pd.DataFrame) -> np.ndarray:
    """TH: year of ``date_habilitation``; PE: ``Date de la source`` of ``notes``."""
    statut = column_text(frame, "statut")
    habilitation = (
        frame["date_habilitation"].astype(object).to_numpy()
        if "date_habilitation" in frame.columns
        else np.full(len(frame), None, dtype=object)
    )
    notes = column_text(frame, "notes")
    years = np.full(len(frame), None, dtype=object)
    for i in range(len(frame)):
        if statut[i] == "PE":
            match = _SOURCE_DATE.search(notes[i] or "")
            years[i] = int(match.group(1)) if match else None
        else:
            years[i] = _year(habilitation[i])
    return years


def timeline(
    territories: gpd.GeoDataFrame,
    ptce: gpd.GeoDataFrame,
    synergies: pd.DataFrame | None = None,
    *,
    radius_km: float = 20,
    start: int = TIMELINE_START,
    end: int | None = None,
) -> pd.DataFrame:
    """Count territories, PTCE and their co-located or near pairs year after year.

    Dates come from the data: a TH from the year of ``date_habilitation``; a
    PE is "known" from the ``Date de la source : YYYY`` its ``notes`` give
    (the shipped data's convention); a PTCE is recognised in the year that
    opens its ``soutien_etat`` text (:func:`recognition_year`: State support,
    AMI). A pair (from :func:`geo.synergies` within ``radius_km``) counts
    from the year both sides existed. Rows without a usable date are counted
    once, in the last row ``"date inconnue"``, never spread over the years.

    Parameters
    ----------
    territories, ptce, synergies, radius_km
        As in :func:`opportunities`.
    start
        First year shown; its row also counts what happened before (e.g. the
        PTCE recognised in 2014 are in the 2016 row of ``ptce_new``).
    end
        Last year shown; by default the current year, or the latest year of
        the data when later (nothing dated is ever dropped).

    Returns
    -------
    DataFrame
        Columns :data:`TIMELINE_COLUMNS`: one row per year ``start..end``
        (``year``, ``period`` its text) then one row ``period="date
        inconnue"`` (``year`` missing, ``*_new`` the counts without a date,
        ``*_total`` missing). ``*_new`` count what appeared that year,
        ``*_total`` the cumulative counts; ``pairs_colocated_*`` count
        overlapping pairs, ``pairs_near_*`` the adjacent or near ones.

    Raises
    ------
    ArgumentError
        ``end`` earlier than ``start`` or than the latest dated row, a bad
        radius, a ``synergies`` table computed with a smaller radius.

    Examples
    --------
    >>> import geo
    >>> table = geo.timeline(geo.load_territories(), geo.load_ptce())
    >>> table["period"].iloc[[0, -1]].tolist()
    ['2016', 'date inconnue']
    """
    radius = check_radius(radius_km)
    check_ids(territories, "territories")
    check_ids(ptce, "ptce")
    table = pair_table(territories, ptce, synergies, radius)
    frame = pd.DataFrame(territories).reset_index(drop=True)
    p_frame = pd.DataFrame(ptce).reset_index(drop=True)
    statut = column_text(frame, "statut")
    t_year = _territory_years(frame)
    soutien = (
        p_frame["soutien_etat"].astype(object).to_numpy()
        if "soutien_etat" in p_frame.columns
        else np.full(len(p_frame), None, dtype=object)
    )
    p_year = np.array([recognition_year(v) for v in soutien], dtype=object)
    t_of = dict(zip(frame["id"].astype(str).str.strip(), t_year, strict=True))
    p_of = dict(zip(p_frame["id"].astype(str).str.strip(), p_year, strict=True))
    measured = linked_pairs(territories, table)
    pairs = measured.pairs[measured.within(radius)]
    pair_year = np.array(
        [
            None if t_of.get(t) is None or p_of.get(p) is None else max(t_of[t], p_of[p])
            for t, p in zip(
                pairs["territory_id"].astype(str), pairs["ptce_id"].astype(str), strict=True
            )
        ],
        dtype=object,
    )
    colocated = (pairs["relation"] == "overlap").to_numpy()
    series = {
        "th": t_year[statut == "TH"],
        "pe": t_year[statut == "PE"],
        "ptce": p_year,
        "pairs_colocated": pair_year[colocated],
        "pairs_near": pair_year[~colocated],
    }
    known = [int(y) for values in series.values() for y in values if y is not None]
    current = _dt.date.today().year
    if end is None:
        end = max([current, *known])
    start, end = int(start), int(end)
    if end < start:
        raise ArgumentError(f"end ({end}) is earlier than start ({start})")
    if known and max(known) > end:
        raise ArgumentError(
            f"end={end} would drop rows dated up to {max(known)}: leave end out or raise it"
        )
    years = list(range(start, end + 1))
    out: dict[str, list] = {"year": [*years, None], "period": [*map(str, years), UNKNOWN_DATE]}
    for name, values in series.items():
        dated = np.array([max(int(y), start) for y in values if y is not None], dtype=int)
        new = [int((dated == y).sum()) for y in years]
        out[f"{name}_new"] = [*new, int(sum(y is None for y in values))]
        out[f"{name}_total"] = [*np.cumsum(new).tolist(), None]
    result = pd.DataFrame(out)
    for column in result.columns:
        if column != "period":
            result[column] = result[column].astype("Int64")
    result.attrs["radius_km"] = radius
    return result[TIMELINE_COLUMNS]
