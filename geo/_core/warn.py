"""Warnings that point at the caller's line, not at a line inside ``geo`` (private).

``warnings.warn(..., stacklevel=N)`` needs N to match the call depth, which
changes whenever code moves between modules. :func:`warn` instead names the
first frame outside the package (``skip_file_prefixes`` on Python 3.12+, the
same walk done by hand on 3.11), whatever the path through ``geo``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

#: Files under this folder are geo's own: a warning never points at them.
PACKAGE_DIR = str(Path(__file__).resolve().parent.parent) + "/"


def caller_level() -> int:
    """Return the ``stacklevel`` of the first frame outside ``geo`` for a warn() called here."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the first caller outside the package."""
    if sys.version_info >= (3, 12):
        warnings.warn(message, category, skip_file_prefixes=(PACKAGE_DIR,))
    else:
        warnings.warn(message, category, stacklevel=caller_level())
