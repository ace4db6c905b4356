"""Progress bars on stderr and progress notes on the ``geo`` logger (private).

Shown when :data:`geo.settings.progress` says so: ``None`` (default) on a
terminal only, so pipes, logs and notebooks' captured output stay clean;
``False`` never (the command line's ``--quiet``); ``True`` always. Notes are
``INFO`` records of ``logging.getLogger("geo")``: the command line prints them
on stderr, a program decides with its own logging configuration. Nothing here
prints.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from geo import settings

log = logging.getLogger("geo")


def shown() -> bool:
    """Return whether progress is shown now (:data:`geo.settings.progress`, else a terminal)."""
    if settings.progress is not None:
        return bool(settings.progress)
    return sys.stderr.isatty()


def bar(total: int | None, label: str, unit: str = "étape") -> Any:
    """Return a tqdm bar (a context manager) for ``total`` steps of ``label``."""
    from tqdm import tqdm

    disable = None if settings.progress is None else not settings.progress
    return tqdm(total=total, desc=label, unit=unit, disable=disable, leave=False, file=sys.stderr)


def note(text: str) -> None:
    """Log one line about long work (sizes, row counts) when progress is shown."""
    if shown():
        log.info(text)


def step(progress: Any, text: str) -> None:
    """Mark one step of ``progress`` done, naming the next one."""
    progress.set_postfix_str(text)
    progress.update(1)
