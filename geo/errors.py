r"""Exceptions raised by the ``geo`` package.

Every error a user can trigger with bad input or an unreachable source is a
:class:`GeoError`. Each subclass also derives from the matching built-in
exception, so ``except LookupError`` or ``except OSError`` keep working.
Messages are one readable paragraph: which row or field, what was found, and
what to do instead. Values from data are quoted in messages as they are,
except control characters (ANSI escape sequences, carriage returns, bidi
overrides...), which :func:`visible` shows as escapes (``\x1b``): a cell
cannot repaint the user's terminal or hide part of a message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "AmbiguousCommuneError",
    "ArgumentError",
    "CRSError",
    "DataSourceError",
    "GeoError",
    "GeoWarning",
    "InvalidGeometryError",
    "NoNetworkError",
    "SchemaError",
    "UnknownCommuneError",
    "visible",
]

# C0 and C1 controls, DEL, and the invisible format characters that reorder or
# hide text (bidi marks, embeddings, overrides and isolates; zero-width signs).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str) -> str:
    r"""Return ``text`` with control and invisible format characters as escapes.

    Parameters
    ----------
    text
        A message that may quote values from data.

    Returns
    -------
    str
        The same text where ESC reads ``\x1b``, a newline ``\n``, a
        right-to-left override ``\u202e``...; everything else is unchanged.

    Examples
    --------
    >>> print(visible("row 2 \x1b[31mRed\x1b[0m"))
    row 2 \x1b[31mRed\x1b[0m
    >>> print(visible("a\tb\u202ec"), visible("Saint-Étienne"))
    a\tb\u202ec Saint-Étienne
    """
    return _INVISIBLE.sub(_escape, str(text))


class GeoError(Exception):
    """Base class of every error raised by ``geo``.

    The message and the problems are passed through :func:`visible`: data
    quoted in them cannot send control characters to a terminal.

    Attributes
    ----------
    problems
        One human-readable line per problem found (rows, values, files); a
        single-problem error has its message as its only line.
    """

    def __init__(self, message: str = "", problems: Sequence[str] = ()) -> None:
        message = visible(message)
        super().__init__(message)
        self.problems = list(problems) or [message]

    @property
    def problems(self) -> list[str]:
        """One line per problem, control characters shown as escapes."""
        return self._problems

    @problems.setter
    def problems(self, lines: Sequence[str]) -> None:
        self._problems = [visible(line) for line in lines]


class GeoWarning(UserWarning):
    """Base class of every warning of ``geo``: something kept but worth a look.

    Warnings name the caller's line (not a line inside ``geo``) and list the
    rows concerned; ``warnings.simplefilter("error", GeoWarning)`` turns them
    all into errors (the test suite does).
    """


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


class UnknownQPVError(GeoError, LookupError):
    """A QPV code (``"QN07801M"``) matches no quartier prioritaire of the table."""


class SchemaError(GeoError, ValueError):
    """Missing or invalid columns or values in a table, with row numbers."""


class CRSError(GeoError, ValueError):
    """A missing or unexpected CRS, or coordinates that look swapped."""


class InvalidGeometryError(GeoError, ValueError):
    """Invalid geometries; the message names the ids and how to repair them."""


class DataSourceError(GeoError, OSError):
    """A download or a source file failed: URL, HTTP status, offline alternative."""


class NoNetworkError(DataSourceError):
    """No network: a host name does not resolve. Raised at once, never retried."""


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
