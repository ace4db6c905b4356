"""Which rows of a table lie in a région or a département: the one filter.

The command line (``--region``, ``--departement``), the maps (``region=``,
``departement=``, ``focus="region:..."``) and any other caller select rows
with :func:`in_area`, so they accept the same values: INSEE codes in any case
(``"2a"``, ``"974"``, ``"11"``) and official names with or without accents or
article (``"Yvelines"``, ``"Réunion"``, ``"la reunion"``,
``"hauts de france"``).

This module reads the COG from :mod:`geo.reference.cog` and nothing else; it computes
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

from geo._core.text import name_key
from geo.errors import ArgumentError, SchemaError
from geo.reference import cog

__all__ = ["EmptyAreaError", "UnknownAreaError", "area_code", "area_name", "in_area"]


class UnknownAreaError(ArgumentError, SchemaError):
    """A région or département that the COG does not know (the message suggests one).

    An :class:`~geo.errors.ArgumentError`; also a
    :class:`~geo.errors.SchemaError`, which was raised for it before.
    """


class EmptyAreaError(UnknownAreaError):
    """A région or département where the tables given have no row.

    A kind of :class:`UnknownAreaError`: the one error of an area that selects nothing.
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


def _items(values: str | Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    items = [values] if isinstance(values, str) else list(values)
    items = [str(v) for v in items if str(v).strip()]
    return items or None


def _cell_keys(column: pd.Series) -> pd.Series:
    """Each cell as its set of keys: ``"78;60"`` -> ``{"78", "60"}``; blank -> empty."""
    return column.map(
        lambda v: (
            {name_key(p) for p in str(v).split(";") if p.strip()} if isinstance(v, str) else set()
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
        one of the given ones (both filters when both are given). A value
        the COG does not know matches the rows that write it so in their
        own column (``region``, ``region_nom`` or ``departement``).

    Raises
    ------
    UnknownAreaError
        A value names no région or département, and no row writes it so.
    geo.errors.SchemaError
        ``frame`` lacks the column to filter on.
    """
    keep = pd.Series(True, index=frame.index)
    for column, values in (("region", region), ("departement", departement)):
        items = _items(values)
        if items is None:
            continue
        if column not in frame.columns:
            raise SchemaError(
                f"cannot select by {column}: the table has no {column!r} column "
                f"(its columns: {', '.join(map(str, frame.columns))})"
            )
        cells = _cell_keys(frame[column])
        if column == "region" and "region_nom" in frame.columns:
            names = _cell_keys(frame["region_nom"])
            both = [a | b for a, b in zip(cells, names, strict=True)]
            cells = pd.Series(both, index=cells.index)
        hit = pd.Series(False, index=frame.index)
        problems = []
        for item in items:
            try:
                wanted = {name_key(area_code(item, column))}
            except UnknownAreaError as exc:
                # Not in the COG: rows that spell it so in their own column still match.
                wanted = {name_key(item)}
                if not cells.map(lambda cell, w=wanted: bool(cell & w)).any():
                    problems.append(str(exc))
                    continue
            hit |= cells.map(lambda cell, w=wanted: bool(cell & w))
        if problems:
            raise UnknownAreaError("; ".join(problems), problems)
        keep &= hit
    return keep


def area_name(value: object, kind: str) -> str:
    """Return a région or département as people read it: its code and official name.

    A value that the COG does not know is returned quoted, as given.

    Examples
    --------
    >>> area_name("2a", "departement"), area_name("Réunion", "region")
    ('département 2A (Corse-du-Sud)', 'région 04 (La Réunion)')
    """
    label = "région" if kind == "region" else "département"
    try:
        code = area_code(value, kind)
    except UnknownAreaError:
        return f"{label} {str(value)!r}"
    table = cog.regions() if kind == "region" else cog.departements()
    return f"{label} {code} ({table.set_index('code').at[code, 'nom']})"
