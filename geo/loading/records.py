"""The frozen records the loading steps pass along, and the one raise of a file's problems.

A loading step is a pure function: it takes the :class:`Source` (one input as
read) and the :class:`Rows` frame (what is known of each row so far), and
returns a new frame (made with :func:`dataclasses.replace`, never changed in
place) with a :class:`Report` of what it found. Reports add up
(``report + found``); :func:`raise_problems` raises the problems of a whole
file at once, as one :class:`~geo.errors.GeoError` subclass naming the file,
the rows, the values and why.

This module reads no file and resolves no commune: it only holds the records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd
from shapely.geometry import MultiPolygon, Point

from geo._core.columns import is_blank
from geo._core.tables import Input
from geo.errors import (
    AmbiguousCommuneError,
    CRSError,
    InvalidGeometryError,
    SchemaError,
    UnknownCommuneError,
    format_problems,
)
from geo.schema import Table

__all__ = ["Report", "Rows", "Source", "Step", "raise_problems"]


@dataclass(frozen=True, eq=False)  # a frame has no equality to speak of
class Source:
    """One input as read: the table it becomes, its file, cells, own geometries, columns.

    Attributes
    ----------
    kind
        The table the rows become: ``"territories"`` or ``"ptce"``.
    file
        How messages name the input: a file name, ``"the DataFrame"``...
    frame
        The input's cells (text or numbers), one row per data row; never changed.
    labels
        How messages name each row: ``"row 4"``, ``"feature 3"``, ``"index 7"``.
    roles
        The header of the input that plays each role (``"nom"``, ``"codes"``...).
    geometry
        The input's own geometry per row (``None`` for a row without one), or
        ``None`` for an input without geometries.
    note
        Appended to messages about missing columns (which XLSX sheet was read).
    """

    kind: Table
    file: str
    frame: pd.DataFrame
    labels: tuple[str, ...]
    roles: Mapping[str, str]
    geometry: tuple[Any, ...] | None = None
    note: str = ""

    @classmethod
    def of(cls, kind: Table, data: Input, roles: Mapping[str, str]) -> Source:
        """Return the source of an input read by :func:`geo._core.tables.read_input`."""
        geometry = None if data.geometry is None else tuple(data.geometry)
        return cls(kind, data.source, data.frame, tuple(data.labels), roles, geometry, data.note)

    def __len__(self) -> int:
        return len(self.frame)

    def cells(self, role: str) -> list[str]:
        """Return the stripped cells of the column playing ``role`` (``""``: blank or absent)."""
        header = self.roles.get(role)
        if header is None:
            return [""] * len(self)
        return ["" if is_blank(v) else str(v).strip() for v in self.frame[header]]


@dataclass(frozen=True)
class Rows:
    """What the steps have found of the rows so far: a frame of one tuple per field.

    Item ``i`` of every field is about row ``i`` of the source (named
    ``source.labels[i]`` in messages). A step returns a new frame
    (:func:`dataclasses.replace` with the fields it finds), never changes one.

    Attributes
    ----------
    id, name, statut
        The row's id (given or made from its name), name and statut (TH/PE).
    departement
        The département code its cell gives, if any.
    area_codes
        INSEE codes of the communes the row covers (territory) or acts in (PTCE).
    epci
        Whether ``area_codes`` are the members of an EPCI.
    seat_code
        INSEE code of a PTCE's seat commune.
    seat_point
        The point given (coordinates, a point geometry) or geocoded.
    point_given
        Whether ``seat_point`` was given, not geocoded.
    placed
        Whether a territory is located by its point only.
    geocoded_precision
        How the geocoder placed ``seat_point`` (``"adresse"``, ``"mairie"``...).
    own_area
        The row's own polygon (its geometry, or its QPV outlines) and the share
        of its communes' union it fills.
    qpv_codes
        The QPV codes its cell gives, upper case.
    """

    id: tuple[str, ...]
    name: tuple[str | None, ...]
    statut: tuple[str | None, ...]
    departement: tuple[str | None, ...]
    area_codes: tuple[tuple[str, ...], ...]
    epci: tuple[bool, ...]
    seat_code: tuple[str | None, ...]
    seat_point: tuple[Point | None, ...]
    point_given: tuple[bool, ...]
    placed: tuple[bool, ...]
    geocoded_precision: tuple[str | None, ...]
    own_area: tuple[tuple[MultiPolygon, float] | None, ...]
    qpv_codes: tuple[tuple[str, ...], ...]

    @classmethod
    def new(
        cls,
        ids: Sequence[str],
        names: Sequence[str | None],
        statuts: Sequence[str | None],
    ) -> Rows:
        """Return the frame of rows known by their id, name and statut only."""
        n = len(ids)
        nothing: tuple[None, ...] = (None,) * n
        no: tuple[bool, ...] = (False,) * n
        empty: tuple[tuple[str, ...], ...] = ((),) * n
        return cls(
            id=tuple(ids),
            name=tuple(names),
            statut=tuple(statuts),
            departement=nothing,
            area_codes=empty,
            epci=no,
            seat_code=nothing,
            seat_point=nothing,
            point_given=no,
            placed=no,
            geocoded_precision=nothing,
            own_area=nothing,
            qpv_codes=empty,
        )

    def __len__(self) -> int:
        return len(self.id)


@dataclass(frozen=True)
class Report:
    """What the steps found: problems (raised once, at the end) and notes (warned).

    Each field holds one line per problem or note, starting with the row's
    label. ``ambiguous`` repeats those of ``communes`` that are ambiguous;
    ``fallbacks`` pairs each approximate location with the geocoder's reason.
    """

    schema: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    coordinates: tuple[str, ...] = ()
    geometry: tuple[str, ...] = ()
    old_codes: tuple[str, ...] = ()
    mismatches: tuple[str, ...] = ()
    unlocated: tuple[str, ...] = ()
    fallbacks: tuple[tuple[str, str | None], ...] = ()

    def __add__(self, other: Report) -> Report:
        return Report(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


#: What a step returns: the new frame of rows and what it found.
Step = tuple[Rows, Report]


def raise_problems(report: Report, file: str) -> None:
    """Raise the problems of ``report`` at once, sorted by row; do nothing without any.

    Raises
    ------
    UnknownCommuneError
        When every problem is a commune not found
        (:class:`~geo.errors.AmbiguousCommuneError` when all are ambiguous).
    CRSError
        When every problem is bad coordinates.
    InvalidGeometryError
        When every problem is an invalid geometry.
    SchemaError
        Otherwise.
    """
    every = sorted(
        report.schema + report.communes + report.coordinates + report.geometry, key=_row_order
    )
    if not every:
        return
    n = len(every)
    exc: Exception
    if report.communes and n == len(report.communes):
        header = f"{n} commune{'s' if n > 1 else ''} not found in {file}"
        message = format_problems(header, every)
        if len(report.ambiguous) == n:
            exc = AmbiguousCommuneError(message, every)
        else:
            exc = UnknownCommuneError(message, every)
    elif report.coordinates and n == len(report.coordinates):
        header = f"{n} row{'s' if n > 1 else ''} with bad coordinates in {file}"
        exc = CRSError(format_problems(header, every))
    elif report.geometry and n == len(report.geometry):
        header = f"{n} invalid geometr{'ies' if n > 1 else 'y'} in {file}"
        exc = InvalidGeometryError(
            format_problems(header, every)
            + " — pass make_valid=True to repair them with shapely.make_valid"
        )
    else:
        header = f"{n} problem{'s' if n > 1 else ''} in {file}"
        exc = SchemaError(format_problems(header, every), every)
    exc.problems = every
    raise exc


_ROW_NUMBER = re.compile(r"^(?:row|feature|index) (\d+)")


def _row_order(problem: str) -> int:
    """Sort key: the row number a problem starts with (others first)."""
    found = _ROW_NUMBER.match(problem)
    return int(found.group(1)) if found else -1
