"""Close-name search for "did you mean" suggestions (private).

:class:`NameIndex` answers the question ``rapidfuzz.process.extract(query,
keys, scorer=fuzz.ratio, limit=..., score_cutoff=...)`` asks, with the same
result, without scoring every key: a key can only reach the cut-off when its
letter counts are close to the query's, and that is checked for all keys at
once on a small count matrix before rapidfuzz scores the few that remain.

Why the filter is exact: ``fuzz.ratio`` is ``100 * (1 - d / (m + n))`` where
``d`` is the insertion/deletion distance of the two strings (lengths ``m`` and
``n``). Each insertion or deletion changes one character count by one, so
``d`` is at least the L1 distance between the two strings' character counts
(counting several characters in one bin only lowers that distance). A key with
``L1 > (1 - cutoff / 100) * (m + n)`` therefore scores below the cut-off.
The survivors keep their order in ``keys``, so rapidfuzz breaks ties as it
would on the whole list.

This module only searches strings; it knows nothing about communes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["NameIndex"]

# Bins of the count matrix: a-z, space, digits; anything else in one more bin.
_BINS = 29
_TABLE = np.full(256, 28, dtype=np.intp)
_TABLE[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)] = np.arange(26)
_TABLE[ord(" ")] = 26
_TABLE[np.frombuffer(b"0123456789", dtype=np.uint8)] = 27


def _counts(text: str) -> np.ndarray:
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return np.bincount(_TABLE[raw], minlength=_BINS)


def _popcount(values: np.ndarray) -> np.ndarray:
    """Number of bits set in each ``uint32``."""
    if hasattr(np, "bitwise_count"):  # numpy >= 2
        return np.bitwise_count(values)
    as_bytes = values.astype("<u4").view(np.uint8).reshape(-1, 4)
    return _BYTE_BITS[as_bytes].sum(axis=1)


_BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class NameIndex:
    """Character-count index of a fixed list of keys, for fuzzy search.

    Parameters
    ----------
    keys
        The strings to search, in the order ties are broken.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        counts = np.zeros((len(self.keys), _BINS), dtype=np.int16)
        for row, key in enumerate(self.keys):
            counts[row] = _counts(key)
        self._counts = counts
        weights = np.left_shift(np.uint32(1), np.arange(_BINS, dtype=np.uint32))
        self._masks = ((counts > 0) * weights).sum(axis=1, dtype=np.uint32)
        self._lengths = np.array([len(k) for k in self.keys], dtype=np.int32)
        self._ascii = all(k.isascii() for k in self.keys)

    def candidates(self, query: str, score_cutoff: float) -> np.ndarray:
        """Positions of the keys that may score ``>= score_cutoff`` with ``fuzz.ratio``.

        Every key that reaches the cut-off is among them, in increasing position.
        """
        if not self._ascii or not query.isascii():
            return np.arange(len(self.keys))  # counts in bytes would not bound the distance
        q = _counts(query)
        # Integer distances: the bound's floor (a tiny margin against rounding).
        budget = np.floor((1.0 - score_cutoff / 100.0) * (len(query) + self._lengths) + 1e-9)
        # First a cheaper lower bound of the L1 distance: the number of bins
        # used by one string and not the other (each costs at least 1).
        q_mask = np.uint32(sum(1 << int(b) for b in np.flatnonzero(q)))
        rows = np.flatnonzero(_popcount(self._masks ^ q_mask) <= budget)
        distance = np.abs(self._counts[rows] - q.astype(np.int16)).sum(axis=1)
        return rows[distance <= budget[rows]]

    def extract(
        self,
        query: str,
        *,
        limit: int,
        score_cutoff: float,
        keep: Callable[[str], bool] | None = None,
    ) -> list[tuple[str, float]]:
        """Return what ``process.extract(query, keys, scorer=fuzz.ratio, ...)`` returns.

        Parameters
        ----------
        query
            The string to match.
        limit, score_cutoff
            As in :func:`rapidfuzz.process.extract`.
        keep
            Restrict the search to the keys for which this is true (as if the
            list held only those, in the same order).

        Returns
        -------
        list of (key, score)
            Best first; equal scores in the order of the keys.
        """
        from rapidfuzz import fuzz, process

        rows = self.candidates(query, score_cutoff)
        choices = [self.keys[i] for i in rows]
        if keep is not None:
            choices = [k for k in choices if keep(k)]
        found = process.extract(
            query, choices, scorer=fuzz.ratio, limit=limit, score_cutoff=score_cutoff
        )
        return [(key, score) for key, score, _ in found]
