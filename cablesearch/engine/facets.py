"""Facet counts and sort keys over arrays: each segment's facet values as integer codes.

A facet column holds, per document, its values (tags, origin, year ...). Each segment's column is
read once into codes of one vocabulary shared by all segments (so counts add up as arrays) and
offsets per document; counting the matches of a query is then one bincount per segment.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .postings import facet_codes



class Vocabulary:
    """Facet values and their codes, shared by every segment of an index, growing as segments come."""

    def __init__(self):
        self.values: list[str] = []
        self._codes: dict[bytes, int] = {}  # utf-8 value -> code

    def code(self, value: bytes) -> int:
        found = self._codes.get(value)
        if found is None:
            found = self._codes[value] = len(self.values)
            self.values.append(value.decode("utf-8"))
        return found


@dataclass(frozen=True)
class FacetColumn:
    """One facet of one segment: document d's values are codes[starts[d]:starts[d + 1]]."""
    starts: np.ndarray
    codes: np.ndarray

    @classmethod
    def from_codes(cls, values: list[str], starts: np.ndarray, codes: np.ndarray,
                   vocabulary: Vocabulary) -> "FacetColumn":
        """A segment's column as its postings file keeps it (its own codes), in the shared codes."""
        mapping = np.array([vocabulary.code(v.encode("utf-8")) for v in values], np.int32)
        return cls(starts.astype(np.int64), mapping[codes] if len(codes) else np.zeros(0, np.int32))

    @classmethod
    def build(cls, raw_values: list[bytes], vocabulary: Vocabulary) -> "FacetColumn":
        """A segment's column from its raw values (a segment written without them in its postings file)."""
        values, starts, codes = facet_codes(raw_values)
        text = values.decode("utf-8")
        return cls.from_codes(text.split("\n") if text else [], starts, codes, vocabulary)

    def count(self, mask: np.ndarray, size: int) -> np.ndarray:
        """Counts per code (an array of `size`) over the documents of `mask`."""
        lengths = np.diff(self.starts)
        matches = int(np.count_nonzero(mask))
        if matches * 8 < len(mask):  # a few matches: gather their values only
            docs = np.flatnonzero(mask)
            counts = lengths[docs]
            firsts = np.cumsum(counts) - counts
            index = np.repeat(self.starts[docs] - firsts, counts) + np.arange(int(counts.sum()))
            chosen = self.codes[index]
        else:
            chosen = self.codes[np.repeat(mask, lengths)]
        return np.bincount(chosen, minlength=size)


def ranked_counts(counts: np.ndarray, vocabulary: Vocabulary) -> list[tuple[str, int]]:
    """(value, count) for every value counted, most frequent first, ties by value."""
    codes = np.flatnonzero(counts)
    pairs = [(vocabulary.values[c], int(n)) for c, n in zip(codes.tolist(), counts[codes].tolist())]
    pairs.sort(key=lambda kv: (-kv[1], kv[0]))
    return pairs
