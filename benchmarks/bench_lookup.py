"""Time commune lookup: index build, 10,000 mixed values, 10,000 messy names.

Run: ``python benchmarks/bench_lookup.py``

Speed-table row: ``resolve_communes`` on 10,000 messy names (9 % unresolvable),
``errors="coerce"``: target <= 1 s. No other library resolves French commune
names, so the comparison in the same run is with what the function did before
(a rapidfuzz scan of all ~35k name keys for every miss, even when coercing),
and, for the raised error that shows suggestions, with that full scan.
"""

from __future__ import annotations

import random
import re
import time
import unicodedata

import pandas as pd
from _timing import paired, row
from rapidfuzz import fuzz, process

import geo
from geo._core.text import name_key, without_article
from geo.reference import commune_index as ci

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


def messy_names(n: int, seed: int = 1) -> list[str]:
    """``n`` values as people type them: codes, names in capitals, without accents or
    hyphens, "St" for "Saint"; 9 % have a typo that matches no commune."""
    table = geo.commune_attributes()
    com = table[table["type"] == "COM"]
    keys = com["nom"].map(name_key)
    unique = com[~keys.duplicated(keep=False)]
    rng = random.Random(seed)
    names = unique["nom"].tolist()
    codes = com["code_insee"].tolist()
    known = set(ci.commune_index().names)
    values: list[str] = []
    while len(values) < n:
        pick = rng.random()
        name = rng.choice(names)
        if pick < 0.09:
            i = rng.randrange(len(name))
            typo = name[:i] + "xq" + name[i + 1 :]
            if without_article(name_key(typo)) not in known:
                values.append(typo)
        elif pick < 0.40:
            values.append(rng.choice(codes))
        elif pick < 0.70:
            values.append(name.upper())
        elif pick < 0.85:  # accents and hyphens lost
            plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            values.append(plain.replace("-", " "))
        else:
            values.append(re.sub(r"\bsaint\b", "st", name.lower().replace("-", " ")))
    return values


def bench_messy() -> None:
    """The speed-table row: coerce without suggestions; raise with indexed ones."""
    values = messy_names(10_000)
    keys = list(ci.commune_index().names)
    geo.resolve_communes(values[:50], errors="coerce")  # warm the index

    def before() -> None:
        # What resolve_communes(errors="coerce") cost before: the same work plus a
        # full rapidfuzz scan of every name key for each value matching nothing.
        table = geo.resolve_communes(values, errors="coerce")
        for value in table.loc[table["code_insee"].isna(), "value"]:
            short = without_article(name_key(value))
            process.extract(short, keys, scorer=fuzz.ratio, limit=10, score_cutoff=75)

    coerce, old = paired(lambda: geo.resolve_communes(values, errors="coerce"), before)
    misses = int(geo.resolve_communes(values, errors="coerce")["code_insee"].isna().sum())
    row(
        f"resolve_communes, {len(values):,} messy names ({misses / len(values):.0%} "
        'unresolvable), errors="coerce"',
        coerce,
        "same + full-scan suggestions per miss (before)",
        old,
        target="<= 1 s",
    )
    # The floor: an exact pandas merge of the same values on the official names and
    # codes (it resolves only the values written exactly as in the COG).
    com = geo.commune_attributes()
    com = com[com["type"].isin(["COM", "ARM"])]
    by_text = pd.concat(
        [
            com[["nom", "code_insee"]].rename(columns={"nom": "value"}),
            com[["code_insee"]].assign(value=com["code_insee"]),
        ]
    ).drop_duplicates("value")

    def merge() -> None:
        pd.DataFrame({"value": values}).merge(by_text, on="value", how="left")

    coerce, exact = paired(lambda: geo.resolve_communes(values, errors="coerce"), merge)
    row(
        f"resolve_communes, {len(values):,} messy names, errors='coerce'",
        coerce,
        "exact pandas merge on names and codes",
        exact,
        target="<= 60x",
    )
    ci.commune_index().close_names = None  # the fuzzy index is built on first use

    def raised() -> None:
        try:
            geo.resolve_communes(values)
        except geo.UnknownCommuneError:
            pass

    start = time.perf_counter()
    raised()
    first = time.perf_counter() - start
    misses_text = [
        without_article(name_key(v))
        for v in geo.resolve_communes(values, errors="coerce").query("code_insee.isna()")["value"]
    ]
    index = ci.close_names(ci.commune_index())
    ours, scan = paired(
        lambda: [index.extract(q, limit=10, score_cutoff=75) for q in misses_text],
        lambda: [
            process.extract(q, keys, scorer=fuzz.ratio, limit=10, score_cutoff=75)
            for q in misses_text
        ],
    )
    row(
        f"close names of the {len(misses_text)} misses (errors='raise' shows them)",
        ours,
        "rapidfuzz full scan",
        scan,
        target="same suggestions, faster",
    )
    print(f"resolve_communes raising with {misses} suggestions: {first:.2f} s (index built)")


def main() -> None:
    t0 = time.perf_counter()
    geo.commune_attributes()
    t1 = time.perf_counter()
    ci.build_index(geo.commune_attributes())
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
    bench_messy()
