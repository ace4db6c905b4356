"""Run every benchmark of this folder, one after the other, then print the speed table.

Run: ``python benchmarks/run_all.py [--quick]`` (``--quick`` is passed on to the
scripts that take it: smaller sizes for a fast look; the default sizes are the
issue's). The
map comparison needs the ``bench`` extra (``pip install -e ".[bench]"``).

Each script prints its own numbers; the lines it prints with
``_timing.row`` (``[row] path | project | peer | ratio | target``) are
collected into one table at the end: every row has the project's time, the
peer measured in the same run, and their ratio (below 1: the project is faster).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _timing import ROW_MARK


def main() -> int:
    args = [a for a in sys.argv[1:] if a == "--quick"]
    failed: list[str] = []
    rows: list[str] = []
    start = time.perf_counter()
    for script in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        print(f"=== {script.name}", flush=True)
        passed = args if "quick()" in script.read_text(encoding="utf-8") else []
        with subprocess.Popen(
            [sys.executable, str(script), *passed], stdout=subprocess.PIPE, text=True, bufsize=1
        ) as child:
            assert child.stdout is not None
            for line in child.stdout:
                print(line, end="", flush=True)
                if line.startswith(ROW_MARK):
                    rows.append(line[len(ROW_MARK) :].strip())
        if child.returncode != 0:
            failed.append(script.name)
    print(f"\n=== speed table ({time.perf_counter() - start:.0f} s in all)")
    print("| path | project | peer (same run) | ratio | target |")
    print("|---|---|---|---|---|")
    for line in rows:
        print(f"| {line} |")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
