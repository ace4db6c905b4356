"""Which rows of a table lie in a région or a département: the one filter.

The command line (``--region``, ``--departement``), the maps (``region=``,
``departement=``, ``focus="region:..."``) and any other caller select rows
with :func:`in_area`, so they accept the same values: INSEE codes in any case
(``"2a"``, ``"974"``, ``"11"``) and official names with or without accents or
article (``"Yvelines"``, ``"Réunion"``, ``"la reunion"``,
``"hauts de france"``).

This module reads the COG from :mod:`geo.cog` and nothing else; it computes
no geometry and reads no file.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"region": ["04", "11;32"], "departement": ["974", "78;60"]})
>>> in_area(rows, region="Réunion").tolist()
[True, False]
>>> in_area(rows, departement="yvelines").tolist()
[False, True]
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from . import cog
from .errors import ArgumentError, SchemaError

__all__ = ["UnknownAreaError", "area_code", "in_area"]


class UnknownAreaError(ArgumentError, SchemaError):
    """A région or département that the COG does not know (the message suggests one).

    An :class:`~geo.errors.ArgumentError`; also a
    :class:`~geo.errors.SchemaError`, which was raised for it before.
    """


def area_code(value: object, kind: str) -> str:
    """Return the INSEE code of a région (``kind="region"``) or a département.

    Parameters
    ----------
    value
        A code in any case (``"2a"``, ``"974"``, ``"32"``) or a name with or
        without accents and article (``"Yvelines"``, ``"Réunion"``).
    kind
        ``"region"`` or ``"departement"``.

    Returns
    -------
    str
        The INSEE code (``"2A"``, ``"974"``, ``"04"``).

    Raises
    ------
    UnknownAreaError
        ``value`` is no région or département, with the closest name.

    Examples
    --------
    >>> area_code("Réunion", "region"), area_code("réunion", "departement")
    ('04', '974')
    """
    if kind not in ("region", "departement"):
        raise ArgumentError(f"kind must be 'region' or 'departement', not {kind!r}")
    to_code = cog.region_code if kind == "region" else cog.departement_code
    try:
        return to_code(value)
    except SchemaError as exc:
        raise UnknownAreaError(str(exc)) from None


def _codes(values: str | Iterable[str] | None, kind: str) -> set[str] | None:
    if values is None:
        return None
    items = [values] if isinstance(values, str) else list(values)
    items = [str(v) for v in items if str(v).strip()]
    if not items:
        return None
    codes, problems = set(), []
    for item in items:
        try:
            codes.add(area_code(item, kind))
        except UnknownAreaError as exc:
            problems.append(str(exc))
    if problems:
        raise UnknownAreaError("; ".join(problems), problems)
    return codes


def _cell_codes(column: pd.Series) -> pd.Series:
    """Each cell as its set of codes: ``"78;60"`` -> ``{"78", "60"}``; blank -> empty."""
    return column.map(
        lambda v: (
            {p.strip().upper() for p in str(v).split(";") if p.strip()}
            if isinstance(v, str)
            else set()
        )
    )


def in_area(
    frame: pd.DataFrame,
    *,
    region: str | Iterable[str] | None = None,
    departement: str | Iterable[str] | None = None,
) -> pd.Series:
    """Return which rows of ``frame`` lie in a région and/or a département.

    Parameters
    ----------
    frame
        A table with a ``region`` and/or a ``departement`` column of INSEE
        codes, one per cell or ``;``-separated for rows across several (the
        tables of :func:`geo.load_territories`, :func:`geo.load_ptce` and
        :func:`geo.load_communes`).
    region, departement
        One value or several, codes or names (see the module documentation);
        ``None`` does not filter.

    Returns
    -------
    Series of bool
        Same index as ``frame``: ``True`` where one of the row's codes is
        one of the given ones (both filters when both are given).

    Raises
    ------
    UnknownAreaError
        A value names no région or département.
    geo.errors.SchemaError
        ``frame`` lacks the column to filter on.
    """
    keep = pd.Series(True, index=frame.index)
    for column, values in (("region", region), ("departement", departement)):
        wanted = _codes(values, column)
        if wanted is None:
            continue
        if column not in frame.columns:
            raise SchemaError(
                f"cannot select by {column}: the table has no {column!r} column "
                f"(its columns: {', '.join(map(str, frame.columns))})"
            )
        keep &= _cell_codes(frame[column]).map(lambda cell, w=wanted: bool(cell & w))
    return keep
