"""Progress bars on stderr for long work (private).

Shown when :data:`geo.settings.progress` says so: ``None`` (default) on a
terminal only, so pipes, logs and notebooks' captured output stay clean;
``False`` never (the command line's ``--quiet``); ``True`` always.
"""

from __future__ import annotations

import sys
from typing import Any

from geo import settings


def bar(total: int | None, label: str, unit: str = "étape") -> Any:
    """Return a tqdm bar (a context manager) for ``total`` steps of ``label``."""
    from tqdm import tqdm

    disable = None if settings.progress is None else not settings.progress
    return tqdm(total=total, desc=label, unit=unit, disable=disable, leave=False, file=sys.stderr)


def step(progress: Any, text: str) -> None:
    """Mark one step of ``progress`` done, naming the next one."""
    progress.set_postfix_str(text)
    progress.update(1)
