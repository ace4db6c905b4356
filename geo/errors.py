"""Exceptions raised by the ``geo`` package.

Every error a user can trigger with bad input or an unreachable source is a
:class:`GeoError`. Each subclass also derives from the matching built-in
exception, so ``except LookupError`` or ``except OSError`` keep working.
Messages are one readable paragraph: which row or field, what was found, and
what to do instead.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AmbiguousCommuneError",
    "ArgumentError",
    "CRSError",
    "DataSourceError",
    "GeoError",
    "InvalidGeometryError",
    "SchemaError",
    "UnknownCommuneError",
]


class GeoError(Exception):
    """Base class of every error raised by ``geo``.

    Attributes
    ----------
    problems
        One human-readable line per problem found (rows, values, files); a
        single-problem error has its message as its only line.
    """

    def __init__(self, message: str = "", problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems) or [message]


class UnknownCommuneError(GeoError, LookupError):
    """A commune name or code matches nothing in the official table."""


class AmbiguousCommuneError(UnknownCommuneError):
    """A commune name matches several communes (e.g. ``"Saint-Denis"``).

    The message lists the candidates with their département. It subclasses
    :class:`UnknownCommuneError` so that one ``except`` catches both kinds of
    unresolved value.
    """

    def __init__(
        self,
        message: str,
        problems: Sequence[str] = (),
        candidates: Sequence[str] = (),
    ) -> None:
        super().__init__(message, problems)
        self.candidates = list(candidates)


class SchemaError(GeoError, ValueError):
    """Missing or invalid columns or values in a table, with row numbers."""


class CRSError(GeoError, ValueError):
    """A missing or unexpected CRS, or coordinates that look swapped."""


class InvalidGeometryError(GeoError, ValueError):
    """Invalid geometries; the message names the ids and how to repair them."""


class DataSourceError(GeoError, OSError):
    """A download or a source file failed: URL, HTTP status, offline alternative."""


class ArgumentError(GeoError, ValueError):
    """A bad option or argument value: says which one, and what is allowed."""


def format_problems(header: str, problems: Sequence[str], limit: int = 20) -> str:
    """Join a header and a list of problems into one readable message.

    Parameters
    ----------
    header
        First sentence, e.g. ``"2 communes not found in data/ptce.csv"``.
    problems
        One short description per problem.
    limit
        At most this many problems are spelled out; the rest are counted.

    Returns
    -------
    str
        ``"header: p1; p2; ... (and N more)"``.
    """
    shown = "; ".join(problems[:limit])
    more = len(problems) - limit
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"{header}: {shown}{suffix}"
