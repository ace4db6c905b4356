"""Run every benchmark of this folder, one after the other, and print their numbers.

Run: ``python benchmarks/run_all.py`` (needs the ``bench`` extra for the
``explore()`` comparison of the map benchmark: ``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    failed = 0
    for script in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        print(f"=== {script.name}", flush=True)
        done = subprocess.run([sys.executable, str(script)], check=False)
        failed += done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
