"""Timing and reporting helpers shared by the benchmark scripts of this folder.

Every comparison of the speed table is printed by :func:`row` as one line
starting with ``[row]``: the path, the project's time, the peer measured in the
same run, and the ratio (project / peer: below 1 the project is faster).
``run_all.py`` collects these lines into one table at the end.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable

ROW_MARK = "[row]"


def timed(func: Callable[[], object], repeat: int = 3) -> float:
    """Return the median wall time of ``func()`` over ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired(
    project: Callable[[], object], peer: Callable[[], object], repeat: int = 3
) -> tuple[float, float]:
    """Median times of ``project()`` and ``peer()``, run alternately (same conditions).

    Alternating the two spreads the noise of a shared machine over both sides.
    """
    ours, theirs = [], []
    for _ in range(repeat):
        for func, times in ((project, ours), (peer, theirs)):
            gc.collect()
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(theirs)


def quick() -> bool:
    """Whether ``--quick`` was passed (smaller sizes, for a fast look)."""
    return "--quick" in sys.argv[1:]


def _seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def row(
    path: str,
    project: float,
    peer_name: str,
    peer: float,
    *,
    target: str = "",
    unit: str = "s",
) -> None:
    """Print one line of the speed table (``unit="MB"`` for memory rows)."""
    show = _seconds if unit == "s" else (lambda v: f"{v:.0f} {unit}")
    ratio = project / peer if peer > 0 else float("nan")
    print(
        f"{ROW_MARK} {path} | {show(project)} | {peer_name} {show(peer)} | "
        f"{ratio:.2f}x | {target}",
        flush=True,
    )
