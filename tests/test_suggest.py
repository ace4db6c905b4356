"""Suggestions ("did you mean"): computed only when shown, from an index equal to a scan."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from geo._core import suggest as _suggest
from geo.errors import UnknownCommuneError
from geo.reference import commune_index
from geo.reference.lookup import resolve_communes


def _typos(keys: list[str], n: int, seed: int) -> list[str]:
    """``n`` keys with one character replaced, inserted or deleted (seeded)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        key = rng.choice(keys)
        i = rng.randrange(len(key))
        edit = rng.choice(["replace", "insert", "delete"])
        letter = rng.choice("aeiouxqz ")
        if edit == "replace":
            out.append(key[:i] + letter + key[i + 1 :])
        elif edit == "insert":
            out.append(key[:i] + letter + key[i:])
        else:
            out.append(key[:i] + key[i + 1 :])
    return out


def _full_scan(query: str, keys: list[str], cutoff: float) -> list[tuple[str, float]]:
    found = process.extract(query, keys, scorer=fuzz.ratio, limit=10, score_cutoff=cutoff)
    return [(key, score) for key, score, _ in found]


def test_index_equals_a_full_scan_of_the_commune_names() -> None:
    keys = list(commune_index.commune_index().names)
    index = _suggest.NameIndex(keys)
    queries = [*_typos(keys, 150, seed=14), "muraux", "xyzzy", "a", "", "saint denix"]
    for query in queries:
        assert index.extract(query, limit=10, score_cutoff=75) == _full_scan(query, keys, 75)


def test_index_equals_a_full_scan_with_a_filter_and_other_cutoffs() -> None:
    keys = list(commune_index.commune_index().names)
    index = _suggest.NameIndex(keys)

    def short(key: str) -> bool:
        return len(key) % 3 != 0

    kept = [k for k in keys if short(k)]
    for cutoff in (60, 75, 90):
        for query in _typos(keys, 40, seed=cutoff):
            expected = _full_scan(query, kept, cutoff)
            assert index.extract(query, limit=10, score_cutoff=cutoff, keep=short) == expected


def test_index_never_drops_a_key_that_reaches_the_cutoff() -> None:
    keys = ["abc", "abd", "cab", "zzzz", "ab c", "a1b2", "", "aabbcc"]
    index = _suggest.NameIndex(keys)
    for query in ["abc", "ab", "bca", "a1b", "zz z", "c"]:
        kept = set(index.candidates(query, 50).tolist())
        reaching = {i for i, k in enumerate(keys) if fuzz.ratio(query, k) >= 50}
        assert reaching <= kept


def test_index_of_non_ascii_keys_scans_them_all() -> None:
    keys = ["île", "ile", "ïle", "élan"]
    index = _suggest.NameIndex(keys)
    assert index.candidates("ile", 75).tolist() == [0, 1, 2, 3]
    assert index.extract("île", limit=3, score_cutoff=60) == _full_scan("île", keys, 60)[:3]


def test_popcount_without_numpy_bitwise_count_agrees() -> None:
    values = np.array([0, 1, 3, 255, 256, 2**29 - 1, 2**31 + 5], dtype=np.uint32)
    expected = [bin(int(v)).count("1") for v in values]
    as_bytes = values.astype("<u4").view(np.uint8).reshape(-1, 4)
    assert _suggest._BYTE_BITS[as_bytes].sum(axis=1).tolist() == expected
    assert np.asarray(_suggest._popcount(values)).tolist() == expected


def test_coerced_misses_do_not_compute_suggestions() -> None:
    index = commune_index.commune_index()
    index.close_names = None  # forget any index an earlier test built
    table = resolve_communes(["Mureaux", "Muraux", "Xyzzy"], errors="coerce")
    assert index.close_names is None
    assert table["note"].iloc[1] == 'row 2 "Muraux" matches no commune name, INSEE code or EPCI'
    assert "did you mean" not in " ".join(table["note"].dropna())
    assert table["code_insee"].tolist() == ["78440", None, None]


def test_coerced_misses_with_suggest_true_get_them() -> None:
    table = resolve_communes(["Muraux"], errors="coerce", suggest=True)
    assert 'did you mean "Les Mureaux" (78440)' in table["note"].iloc[0]


def test_raised_errors_still_show_suggestions() -> None:
    index = commune_index.commune_index()
    index.close_names = None
    with pytest.raises(UnknownCommuneError, match=r'did you mean "Les Mureaux" \(78440\)'):
        resolve_communes(["Mureaux", "Muraux"])
    assert index.close_names is not None
    with pytest.raises(UnknownCommuneError, match=r'did you mean "Les Mureaux" \(78440\)'):
        resolve_communes(["Muraux"], errors="raise", suggest=None)
    with pytest.raises(UnknownCommuneError, match=r'"Muraux" matches no commune name') as info:
        resolve_communes(["Muraux"], suggest=False)
    assert "did you mean" not in str(info.value)


def test_arrondissement_message_does_not_depend_on_suggest() -> None:
    for suggest in (True, False):
        table = resolve_communes(["Paris 25e"], errors="coerce", suggest=suggest)
        assert "Paris has no such arrondissement (1 to 20)" in table["note"].iloc[0]
