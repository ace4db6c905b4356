"""Time commune lookup: index build, then 10,000 mixed values in one batch.

Run: python benchmarks/bench_lookup.py
"""

from __future__ import annotations

import random
import re
import time

import geo
from geo import lookup
from geo._text import name_key

N = 10_000


def sample_values(n: int, seed: int = 0) -> list[object]:
    table = geo.commune_attributes()
    com = table[table["type"] == "COM"]
    # Names that resolve without a département: unique among current communes.
    keys = com["nom"].map(name_key)
    unique = com[~keys.duplicated(keep=False)]
    rng = random.Random(seed)
    names = unique["nom"].tolist()
    codes = com["code_insee"].tolist()
    old = table[table["type"] == "COMD"]
    old = old[~old["code_insee"].isin(codes)]["code_insee"].tolist()
    values: list[object] = []
    for _ in range(n):
        pick = rng.random()
        if pick < 0.35:
            values.append(rng.choice(codes))
        elif pick < 0.60:
            values.append(rng.choice(names))
        elif pick < 0.80:
            values.append(re.sub(r"\bsaint\b", "st", rng.choice(names).lower().replace("-", " ")))
        elif pick < 0.90:
            values.append(rng.choice(old))
        elif pick < 0.97:
            values.append(f"Paris {rng.randint(1, 20)}e")
        else:
            values.append("CC Cœur de Savoie")
    return values


def main() -> None:
    t0 = time.perf_counter()
    geo.commune_attributes()
    t1 = time.perf_counter()
    lookup._CACHE.clear()
    geo.find_commune("78440")
    t2 = time.perf_counter()
    print(f"load COG table (warm parquet cache):   {t1 - t0:6.3f} s")
    print(f"build name index (once per process):    {t2 - t1:6.3f} s")

    values = sample_values(N)
    t3 = time.perf_counter()
    table = geo.resolve_communes(values)
    t4 = time.perf_counter()
    print(f"resolve_communes, {N} mixed values:     {t4 - t3:6.3f} s -> {len(table)} rows")

    unique = [f"{v}" for v in values[: N // 2]] + [f"{v} " for v in values[N // 2 :]]
    t5 = time.perf_counter()
    geo.resolve_communes(unique)
    t6 = time.perf_counter()
    print(f"resolve_communes, {N} values, no reuse: {t6 - t5:6.3f} s")

    t7 = time.perf_counter()
    for v in values[:1000]:
        if v != "CC Cœur de Savoie":
            geo.find_commune(v)
    t8 = time.perf_counter()
    print(f"find_commune, per call:                 {(t8 - t7) / 1000 * 1e6:6.1f} µs")

    bad = ["Muraux", "Saint-Denis", "Xyzzy", "Villers St Pol"] * 25
    t9 = time.perf_counter()
    try:
        geo.resolve_communes(bad)
    except geo.UnknownCommuneError as exc:
        problems = len(exc.problems)
    t10 = time.perf_counter()
    print(f"100 bad values -> error ({problems} problems): {t10 - t9:6.3f} s")


if __name__ == "__main__":
    main()
