"""Relevance over arrays: Whoosh's BM25F for a term's postings at once, and the top hits.

The formula and its operations are those of `whoosh.scoring.bm25` in the same order, so each
score is Whoosh's to the bit; a query's score is the sum of its parts' as Whoosh's matchers add them.
"""
from __future__ import annotations

import threading

import numpy as np
from whoosh.scoring import BM25FScorer, WeightScorer

# Whoosh's readers seek and read shared files: segments evaluated in threads (search.py) ask them
# one at a time. Everything else the engine reads is memory-mapped arrays.
WHOOSH_LOCK = threading.RLock()


class Unsupported(Exception):
    """A query part the arrays cannot evaluate; the caller uses Whoosh's matchers instead."""


def term_scores(searcher, fieldname: str, btext: bytes, docs: np.ndarray, weights: np.ndarray,
                lengths: np.ndarray | None, scorers: dict | None = None) -> np.ndarray:
    """The score of each posting of a term (docs, weights) as Whoosh's weighting gives it.
    `scorers` keeps each term's scorer for the other segments of one search: its idf and average
    length are the whole index's, and Whoosh computes them by asking every segment."""
    key = (fieldname, btext)
    scorer = scorers.get(key) if scorers is not None else None
    if scorer is None:
        with WHOOSH_LOCK:
            scorer = searcher.weighting.scorer(searcher, fieldname, btext)
        if scorers is not None:
            scorers[key] = scorer
    w = weights.astype(np.float64)
    if isinstance(scorer, WeightScorer):
        return w
    if not isinstance(scorer, BM25FScorer) or lengths is None:
        raise Unsupported(f"scoring {type(scorer).__name__}")
    idf, avgfl, B, K1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
    return idf * ((w * (K1 + 1)) / (w + K1 * ((1 - B) + B * lengths[docs] / avgfl)))


def best(keys: np.ndarray, docnums: np.ndarray, wanted: int, *, descending: bool) -> np.ndarray:
    """Positions (into keys/docnums) of the `wanted` best keys, equal keys in docnum order."""
    n = len(keys)
    if wanted <= 0 or n == 0:
        return np.zeros(0, np.int64)
    order_keys = -keys if descending else keys
    if n > wanted:
        threshold = np.partition(order_keys, wanted - 1)[wanted - 1]
        inside = np.flatnonzero(order_keys < threshold)
        tied = np.flatnonzero(order_keys == threshold)
        tied = tied[np.argsort(docnums[tied], kind="stable")][:wanted - len(inside)]
        chosen = np.concatenate([inside, tied])
    else:
        chosen = np.arange(n)
    return chosen[np.lexsort((docnums[chosen], order_keys[chosen]))]
