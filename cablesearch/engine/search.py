"""One search over every segment of an index: matches, the top hits, facet counts.

Each segment is evaluated over its postings arrays (matching.ArrayQuery); a segment without them
(built by an older version) or a query part they cannot evaluate (a phrase with slop) goes through
Whoosh's matchers instead (cablesearch.matching). The results of all segments meet as arrays:
counts add up, the top hits of each segment compete by (score, docnum), facet counts are summed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from whoosh import query as wq

from .._whoosh import bytes_column, numeric_column
from ..fields import facet_column
from .facets import CombinedColumn, FacetColumn, Vocabulary, ranked_counts
from ..query.paragraph import SameParagraph, walk
from .matching import ArrayQuery, Match, Segment
from .postings import open_segment_postings
from .scoring import WHOOSH_LOCK, Unsupported, best


@dataclass
class SegmentState:
    """What is kept of one segment between searches: its arrays, facet codes and sort keys."""
    reader: object
    arrays: Segment | None
    facets: dict[str, FacetColumn] = field(default_factory=dict)
    sort_keys: dict[str, np.ndarray] = field(default_factory=dict)
    _records: dict = field(default_factory=dict)

    @classmethod
    def load(cls, reader, storage) -> "SegmentState":
        postings = open_segment_postings(storage, reader.segment())
        return cls(reader, Segment.load(reader, postings) if postings is not None else None)

    def facet(self, name: str, vocabulary: Vocabulary) -> FacetColumn:
        column = self.facets.get(name)
        if column is None:
            kept = self.arrays.postings.facet(name) if self.arrays is not None else None
            if kept is not None:
                column = FacetColumn.from_codes(*kept, vocabulary)
            else:  # a segment written without them: read the column, a document at a time
                column = FacetColumn.build(bytes_column(self.reader, facet_column(name)), vocabulary)
            self.facets[name] = column
        return column

    def sort_key(self, column: str) -> np.ndarray:
        keys = self.sort_keys.get(column)
        if keys is None:
            keys = self.sort_keys[column] = np.asarray(numeric_column(self.reader, column))
        return keys

    def record(self, docnum: int, column: str = "record") -> bytes:
        """A document's stored record (JSON, see records.py): the `record` column or `record_rest`."""
        reader = self._records.get(column)
        if reader is None:
            reader = self._records[column] = self.reader.column_reader(column)
        return reader[docnum]

    def close(self) -> None:
        if self.arrays is not None:
            self.arrays.postings.close()


@dataclass
class SegmentMatches:
    """One segment's part of a search: its searcher, docnum offset and matches."""
    searcher: object
    base: int
    state: SegmentState
    match: Match


# Segments at least this large are evaluated in threads, one per core, for queries with phrases,
# para:(...) or expanding terms: NumPy releases the GIL in its large operations, which are most of
# such a query. Lighter queries take less time than starting and waking the threads.
THREADED_SEGMENT_DOCS = 20_000
_pool = None  # a concurrent.futures.ThreadPoolExecutor, made (and imported) at the first threaded search


def match_segments(q: wq.Query, segments: Sequence[tuple[object, SegmentState]], *, scored: bool,
                   expansions: dict[int, set[bytes]] | None = None, scorers: dict | None = None) -> list[Match]:
    """match_segment for each (searcher, state), in order; large segments side by side in threads."""
    def run(segment: tuple[object, SegmentState]) -> Match:
        return match_segment(q, segment[0], segment[1], scored=scored, expansions=expansions, scorers=scorers)

    large = [i for i, (_, state) in enumerate(segments) if state.arrays is not None
             and state.arrays.doc_count >= THREADED_SEGMENT_DOCS]
    workers = min(len(large), os.cpu_count() or 1)
    if workers < 2 or not any(isinstance(node, (wq.Phrase, wq.MultiTerm, SameParagraph)) for node in walk(q)):
        return [run(segment) for segment in segments]
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cablesearch-segment")
    futures = {i: _pool.submit(run, segments[i]) for i in large}
    matches = [None if i in futures else run(segment) for i, segment in enumerate(segments)]
    return [futures[i].result() if i in futures else match for i, match in enumerate(matches)]


def match_segment(q: wq.Query, searcher, state: SegmentState, *, scored: bool,
                  expansions: dict[int, set[bytes]] | None = None, scorers: dict | None = None) -> Match:
    """q's live matches in one segment, by its arrays where they can, else by Whoosh's matchers.
    `expansions` collects the terms each prefix, wildcard or fuzzy term stood for; `scorers` keeps
    term scorers for the other segments of the same search."""
    if state.arrays is not None:
        try:
            found = ArrayQuery(state.arrays, searcher, scored=scored, expansions=expansions,
                               scorers=scorers).run(q)
            found.values  # scored here, in the segment's thread where there is one
            return found
        except Unsupported:
            pass
    from ..matching import SegmentQuery  # the matchers' path: segments without arrays, unknown query types
    count = state.reader.doc_count_all()
    mask = np.zeros(count, bool)
    query = SegmentQuery(q, searcher)
    if not scored:
        with WHOOSH_LOCK:
            mask[np.asarray(query.docnums(), np.int64)] = True
        return Match(mask)
    with WHOOSH_LOCK:
        ids, values = query.scored_matches()
    ids = np.asarray(ids, np.intp)
    order = np.argsort(ids, kind="stable")
    mask[ids] = True
    return Match(mask, np.asarray(values, np.float64)[order], ids[order])


def top_hits(parts: Sequence[SegmentMatches], wanted: int, sort: str) -> list[tuple[float, int]]:
    """The `wanted` first matches over all segments as (score, global docnum): by score (ties by
    docnum) for relevance, else by the date column of `sort` (ties by docnum; score 0)."""
    if not wanted:
        return []
    keys, docnums = [], []
    for part in parts:
        docs = part.match.docs
        if sort == "relevance":
            values = part.match.values
        else:
            values = part.state.sort_key("date" if sort == "date" else "newest_first")[docs]
        chosen = best(values, docs, wanted, descending=sort == "relevance")
        keys.append(values[chosen])
        docnums.append(docs[chosen] + part.base)
    if not keys:
        return []
    keys_all, docs_all = np.concatenate(keys), np.concatenate(docnums)
    chosen = best(keys_all, docs_all, wanted, descending=sort == "relevance")
    scores = keys_all[chosen].tolist() if sort == "relevance" else [0.0] * len(chosen)
    return list(zip(scores, docs_all[chosen].tolist()))


def count_facets(parts: Sequence[SegmentMatches], names: Sequence[str], vocabularies: dict[str, Vocabulary],
                 facet_of: Callable[[str], str],
                 combined: dict[str, CombinedColumn] | None = None) -> dict[str, list[tuple[str, int]]]:
    """Facet counts over the matches of every segment, each as (value, count) most frequent first.
    `combined` keeps each facet's columns joined over the segments, for the next searches (it is
    rebuilt when the segments' columns change)."""
    combined = {} if combined is None else combined
    out = {}
    mask = docs = None
    for name in names:
        column_name = facet_of(name)
        vocabulary = vocabularies.setdefault(column_name, Vocabulary())
        columns = [part.state.facet(column_name, vocabulary) for part in parts]
        joined = combined.get(column_name)
        if joined is None or len(joined.columns) != len(columns) or \
                any(a is not b for a, b in zip(joined.columns, columns)):
            joined = combined[column_name] = CombinedColumn(columns)
        if mask is None:
            mask = np.concatenate([part.match.mask for part in parts]) if parts else np.zeros(0, bool)
            offsets = np.cumsum([0] + [len(part.match.mask) for part in parts])
            docs = np.concatenate([part.match.docs + offset for part, offset in zip(parts, offsets.tolist())]) \
                if parts else np.zeros(0, np.intp)
        out[name] = ranked_counts(joined.count(mask, docs, len(vocabulary.values)), vocabulary)
    return out


def paragraphs_of_hits(q: wq.Query, parts: Sequence[SegmentMatches], docnums: Sequence[int]) -> dict[int, set[int]] | None:
    """For top hits (global docnums), the paragraphs where q's para:(...) holds; None where a
    segment has no arrays or the arrays cannot say (the caller asks Whoosh's matchers)."""
    out: dict[int, set[int]] = {}
    wanted = np.asarray(sorted(docnums), np.int64)
    for part in parts:
        docs = wanted[(wanted >= part.base) & (wanted < part.base + len(part.match.mask))] - part.base
        if not len(docs):
            continue
        if part.state.arrays is None:
            return None
        try:
            found = ArrayQuery(part.state.arrays, part.searcher, scored=False).paragraphs(q, docs)
        except Unsupported:
            return None
        out.update({part.base + doc: paras for doc, paras in found.items()})
    return out


def body_positions(state: SegmentState, docnum: int, terms: frozenset[str]) -> dict[str, list[int]] | None:
    """For one document, the positions (paragraph << PARAGRAPH_SHIFT | word) of each body term it
    holds, from the arrays (a hit's snippets need not analyse its paragraphs to find its words);
    None without postings arrays."""
    if state.arrays is None:
        return None
    out = {}
    for term in terms:
        postings = state.arrays.postings.term("body", term.encode("utf-8"))
        at = int(np.searchsorted(postings.docs, docnum))
        if at < len(postings.docs) and postings.docs[at] == docnum:
            start = int(postings.ends[at - 1]) if at else 0
            out[term] = postings.positions[start:int(postings.ends[at])].tolist()
    return out
