"""Searching the index: one shared Whoosh searcher, kept per segment state, and result pages.

Readers take no lock; one searcher is kept and renewed when another commit has landed. Each
segment's matches are found and scored over its postings arrays (cablesearch.engine); its arrays,
facet codes and sort keys are loaded once and kept until the segment goes. Records and snippets are
made for the hits of the page only.
"""
from __future__ import annotations

import threading
import time
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from whoosh import index as whoosh_index, query as wq
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from . import _whoosh_reading  # noqa: F401 - Whoosh's term dictionaries opened with fewer reads
from ._whoosh import LengthsInMemory, retry
from .engine.facets import CombinedColumn, Vocabulary
from .engine.search import (SegmentMatches, SegmentState, body_positions, count_facets, match_segments,
                            paragraphs_of_hits, top_hits)
from .errors import CablesearchError, InvalidSearchError
from .fields import FACETS, Kind, facet_name, field_named
from .model import Cable, parse_utc
from .query.citations import resolve_cited_by
from .query.paragraph import SameParagraph, matched_paragraphs, walk
from .records import cable_from_record, decode_record, decode_rest
from .results import (DEFAULT_FACETS, SORTS, Citation, Hit, IndexStats, Results, analysed_positions, hit_snippets,
                      paragraph_texts_of, paragraph_words, phrase_positions)


class CableSearcher:
    """Searches, reads records and counts values of the index in folder `path`. Thread-safe."""

    def __init__(self, path: Path, ix: whoosh_index.Index):
        self.path = Path(path)
        self._ix = ix
        self.schema = ix.schema
        self._lock = threading.RLock()
        self._searcher = None
        self._generation = -1
        self._segment_readers: dict[tuple[str, int], Any] = {}
        self._states: dict[tuple[str, int], SegmentState] = {}  # (segment id, deletions) -> arrays, facets, sort keys
        self._vocabularies: dict[str, Vocabulary] = {}           # facet -> its values' codes, for all segments
        self._combined: dict[str, CombinedColumn] = {}           # facet -> its columns joined over the segments
        self._totals: dict[tuple[int, str], list[tuple[str, int]]] = {}

    def close(self) -> None:
        with self._lock:
            for reader in self._segment_readers.values():
                reader.close()
            self._segment_readers.clear()
            self._searcher = None
            for state in self._states.values():
                state.close()
            self._states.clear()

    def searcher(self) -> Searcher:
        """The shared Whoosh searcher, renewed when another commit has landed. Hold self._lock.

        Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps segments that a merge removed
        and reuses a segment's reader after its deletions changed, so replaced cables show twice.
        Here a segment reader is reused only while its segment and deletions are unchanged.
        """
        if self._searcher is None or self._ix.latest_generation() != self._generation:
            self._searcher = retry(self._open_searcher)
        return self._searcher

    def _open_searcher(self) -> Searcher:
        toc = self._ix._read_toc()
        readers, kept = [], {}
        for segment in toc.segments:
            key = (segment.segment_id(), segment.deleted_count())
            reader = self._segment_readers.get(key)
            if reader is None:
                reader = SegmentReader(self._ix.storage, toc.schema, segment, generation=toc.generation)
                reader._perdoc = LengthsInMemory(reader._perdoc)  # scoring reads lengths from memory
            kept[key] = reader
            readers.append(reader)
        self._segment_readers = kept  # readers left out close when collected
        if not readers:
            reader = EmptyReader(toc.schema)
        elif len(readers) == 1:
            reader = readers[0]
        else:
            reader = MultiReader(readers, generation=toc.generation)
        self._generation = toc.generation
        return Searcher(reader, fromindex=self._ix)

    def search(self, query: Any, *, limit: int = 10, offset: int = 0, sort: str = "relevance",
               facets: Sequence[str] = DEFAULT_FACETS,
               cited_ids: Callable[[str], list[str]] | None = None) -> Results:
        """One page of cables matching `query` (query text, AST node or whoosh Query), with facets.

        Hits `offset`+1 .. `offset`+`limit` of the sorted matches; limit=0 gives only the total and
        facets. `cited_ids` gives the ids a cable cites, for cited-by:ID.
        """
        for name, value in (("offset", offset), ("limit", limit)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidSearchError(f"{name} must be a whole number >= 0, not {value!r}")
        if sort not in SORTS:
            raise InvalidSearchError(f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}")
        if isinstance(facets, str):
            raise InvalidSearchError(f"facets must be a sequence of names, not the string {facets!r}")
        unknown = [name for name in facets if facet_name(name) is None]
        if unknown:
            raise InvalidSearchError(f"no facet {unknown[0]!r}; facets: {', '.join(sorted(FACETS))}")
        start = time.perf_counter()
        text, compiled, warnings = _compile(query, self.schema)
        if cited_ids is not None:
            compiled = resolve_cited_by(compiled, cited_ids)  # cited-by:ID needs ID's REF line
        with self._lock:
            return retry(lambda: self._search(text, compiled, warnings, limit, offset, sort,
                                               facets, start))

    def _search(self, text, compiled, warnings, limit, offset, sort, facets, start) -> Results:
        searcher = self.searcher()
        q = _with_archive_ids(compiled)
        wanted = offset + limit
        scored = sort == "relevance"
        expansions: dict[int, set[bytes]] = {}
        scorers: dict = {}
        segments = self._segments(searcher)
        matches = match_segments(q, [(leaf, state) for leaf, _, state in segments], scored=scored,
                                 expansions=expansions, scorers=scorers)
        parts = [SegmentMatches(leaf, base, state, match) for (leaf, base, state), match in zip(segments, matches)]
        top = top_hits(parts, wanted, sort)
        facet_counts = count_facets(parts, facets, self._vocabularies, facet_name, self._combined)
        hits = self._hits(searcher, parts, q, top[offset:wanted], offset, scored=scored, expansions=expansions)
        return Results(query=text, total=sum(int(np.count_nonzero(p.match.mask)) for p in parts),
                       hits=tuple(hits), facets=facet_counts, elapsed=time.perf_counter() - start,
                       offset=offset, limit=limit, sort=sort, warnings=tuple(warnings))

    def _segments(self, searcher: Searcher) -> list[tuple[Searcher, int, SegmentState]]:
        """(searcher of one segment, its docnum offset, its kept state) per segment; none for an
        empty index. State is kept while the segment and its deletions are unchanged."""
        out, kept = [], {}
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            if reader.segment() is None:
                continue
            key = (reader.segment().segment_id(), reader.segment().deleted_count())
            state = self._states.get(key)
            if state is None or state.reader is not reader:
                state = SegmentState.load(reader, self._ix.storage)
            kept[key] = state
            out.append((leaf, offset, state))
        for key, state in self._states.items():
            if key not in kept and all(state is not s for s in kept.values()):
                state.close()
        self._states = kept
        return out

    def _hits(self, searcher, parts, q, top, offset, *, scored: bool, expansions) -> list[Hit]:
        if not top:
            return []
        terms = _query_words(q, searcher.reader(), expansions)
        located = {docnum: _locate([(p.base, p.state) for p in parts], docnum) for _, docnum in top}
        docs = {}
        for docnum, (state, local) in located.items():
            head = state.record(local)
            docs[docnum] = record = decode_record(head)
            if not record.get("paragraphs"):  # the body is the snippets' one paragraph
                record.update(decode_rest(head, state.record(local, "record_rest")))
        exact = {}
        if any(isinstance(node, SameParagraph) for node in walk(q)):
            exact = paragraphs_of_hits(q, parts, list(docs))
            if exact is None:
                exact = matched_paragraphs(q, searcher, list(docs))
        hits = []
        for rank, (score, docnum) in enumerate(top, start=offset + 1):
            record = docs[docnum]
            snippets = hit_snippets(record, terms.body, terms.subject, exact.get(docnum, ()), terms.para,
                                    self._marked_words(record, *located[docnum], terms),
                                    self._marked_subject_words(record, terms))
            hits.append(_hit(record, rank, float(score) if scored else 0.0, snippets))
        return hits

    @staticmethod
    def _marked_words(record, state, docnum: int, terms: "QueryWords") -> dict[str, dict[int, list[int]]]:
        """The body words a hit's snippets mark, per term and paragraph: found by the index's
        positions, or by analysing the paragraphs where the segment has no postings arrays."""
        wanted = terms.body | terms.para
        positions = body_positions(state, docnum, wanted)
        if positions is None:
            positions = analysed_positions(paragraph_texts_of(record), wanted)
        return paragraph_words(phrase_positions(positions, terms.phrases["body"], terms.only_in_phrases["body"]))

    @staticmethod
    def _marked_subject_words(record, terms: "QueryWords") -> list[tuple[int, str]] | None:
        """The subject words to mark (word number, term) where the query has subject phrases."""
        if not terms.only_in_phrases["subject"]:
            return None
        positions = analysed_positions([record.get("subject") or ""], terms.subject)
        kept = phrase_positions(positions, terms.phrases["subject"], terms.only_in_phrases["subject"])
        return [(word, term) for term, found in kept.items() for word in found]

    def get(self, reference_id: str) -> Cable | None:
        """The cable with this reference id, exactly as indexed, or None."""
        record = self._record(reference_id)
        return cable_from_record(record) if record is not None else None

    def _record(self, reference_id: str) -> dict[str, Any] | None:
        with self._lock:
            def find():
                searcher = self.searcher()
                for field in ("id", "archive_id"):  # the archive's malformed id finds the repaired cable
                    for rid in dict.fromkeys((reference_id, reference_id.upper())):
                        docnum = searcher.document_number(**{field: rid})
                        if docnum is not None:
                            segments = [(base, state) for _, base, state in self._segments(searcher)]
                            state, local = _locate(segments, docnum)
                            return decode_record(state.record(local), state.record(local, "record_rest"))
                return None
            return retry(find)

    def __contains__(self, reference_id: str) -> bool:
        return self._record(reference_id) is not None

    def cites(self, reference_id: str) -> list[Citation] | None:
        """The items of the cable's REF line, each saying whether the cited cable is indexed."""
        record = self._record(reference_id)
        if record is None:
            return None
        out = []
        for ref in record.get("references") or ():
            cited = self._record(ref["id"]) if ref.get("id") else None
            out.append(Citation(label=ref.get("label", ""), text=ref.get("text", ""), id=ref.get("id"),
                                in_index=cited is not None,
                                date=_parse_date(cited.get("created")) if cited else None,
                                subject=cited.get("subject", "") if cited else ""))
        return out

    def cited_by(self, reference_id: str, *, limit: int = 1000) -> list[Hit]:
        """Cables whose REF line names this reference id, oldest first."""
        q = wq.Term("refs", reference_id.lower())
        return list(self.search(q, limit=limit, sort="date", facets=()).hits)

    def values(self, field: str, prefix: str = "", limit: int = 50) -> list[tuple[str, int]]:
        """Indexed values of a keyword/id field starting with `prefix` (any case), most cables first."""
        name = facet_name(field)
        f = field_named(field)
        with self._lock:
            if name is not None:
                folded = prefix.casefold()
                counts = retry(lambda: self._all_values(name))
                return [(v, n) for v, n in counts if v.casefold().startswith(folded)][:limit]
            if f is not None and f.kind is Kind.ID:  # reference ids: one cable each
                searcher = self.searcher()
                found = (t.decode("utf-8") if isinstance(t, bytes) else t
                         for t in searcher.reader().expand_prefix(f.name, prefix.upper()))
                live = (rid for rid in found if searcher.document_number(id=rid) is not None)
                return [(rid, 1) for rid in islice(live, limit)]
        raise CablesearchError(f"no values to list for field {field!r}")

    def _all_values(self, name: str) -> list[tuple[str, int]]:
        """Counts of every value of a facet over all live cables (cached until the next commit)."""
        self.searcher()
        key = (self._generation, name)
        counts = self._totals.get(key)
        if counts is None:
            counts = self._search("*", wq.Every(), [], 0, 0, "date", (name,), 0.0).facets[name]
            self._totals = {k: v for k, v in self._totals.items() if k[0] == self._generation}
            self._totals[key] = counts
        return counts

    def stats(self) -> IndexStats:
        """How many cables, their date span, counts per classification and the size on disk."""
        with self._lock:
            def compute():
                searcher = self.searcher()
                count = searcher.doc_count()
                # Undated cables sort last both ways, so these are dated unless all are undated.
                first, last = (self._search("*", wq.Every(), [], 1, 0, sort, (), 0.0).hits for sort in ("date", "-date"))
                return IndexStats(path=self.path, cables=count, first_date=first[0].date if first else None,
                                  last_date=last[0].date if last else None,
                                  classifications=self._all_values("classification"),
                                  size_bytes=sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file()),
                                  segments=len(self._segments(searcher)))
            return retry(compute)


def _locate(segments: list[tuple[int, SegmentState]], docnum: int) -> tuple[SegmentState, int]:
    """The segment (given as docnum offset, state) holding top-level document `docnum`, and its
    docnum there."""
    base, state = segments[bisect_right([b for b, _ in segments], docnum) - 1]
    return state, docnum - base


def _with_archive_ids(q: wq.Query) -> wq.Query:
    """`q` with each id term or prefix also matching the archive id of cables whose id was repaired."""
    if isinstance(q, (wq.Term, wq.Prefix)) and q.fieldname == "id":
        return wq.Or([q, q.__class__("archive_id", q.text, boost=q.boost)])
    if q.is_leaf() or isinstance(q, SameParagraph):  # paragraphs carry no ids
        return q
    return q.apply(_with_archive_ids)


def _compile(query: Any, schema) -> tuple[str, wq.Query, list[str]]:
    """(query text, whoosh query, warnings) for a query string, AST node or whoosh Query."""
    if isinstance(query, wq.Query):
        return str(query), query, []
    from .query import QueryError, compile_query, parse_query_with_warnings
    if not isinstance(query, str):
        return str(query), compile_query(query, schema), []
    try:
        node, warnings = parse_query_with_warnings(query)
        return query, compile_query(node, schema), list(warnings)
    except QueryError as error:
        error.query = query  # compiled from the AST, the error does not know the text for its caret
        raise


@dataclass(frozen=True)
class QueryWords:
    """The analysed words of a query that snippets mark, per text field; the body words of
    para:(...) apart, as `para` (they mark only the paragraphs that para: matched). Per field,
    `phrases` are its phrases (words side by side) and `only_in_phrases` the words that stand in
    no other part of the query: those are marked only where a phrase stands."""
    body: frozenset[str]
    subject: frozenset[str]
    para: frozenset[str]
    phrases: dict[str, tuple[tuple[str, ...], ...]]
    only_in_phrases: dict[str, frozenset[str]]


def _query_words(q: wq.Query, reader, expansions: dict[int, set[bytes]] | None = None) -> QueryWords:
    """The query's words (see QueryWords), with prefixes/wildcards expanded as the search expanded
    them, where it says."""
    # Not Query.existing_terms: it reuses its `fieldname` argument as a loop variable and so
    # drops every leaf after the first one of another field.
    found: dict[str, set[str]] = {"body": set(), "subject": set(), "para": set()}
    phrases: dict[str, list[tuple[str, ...]]] = {"body": [], "subject": []}
    loose: dict[str, set[str]] = {"body": set(), "subject": set()}

    def collect(node: wq.Query, in_para: bool) -> None:
        if not node.is_leaf():
            for child in node.children():
                collect(child, in_para or isinstance(node, SameParagraph))
            return
        if expansions is not None and id(node) in expansions:
            pairs = [(node.fieldname, word) for word in expansions[id(node)]]
        else:
            pairs = node.expanded_terms(reader, phrases=True)
        words = [(fieldname, text.decode("utf-8") if isinstance(text, bytes) else text) for fieldname, text in pairs]
        for fieldname, text in words:
            key = "para" if in_para and fieldname == "body" else fieldname
            if key in found:
                found[key].add(text)
        if isinstance(node, wq.Phrase) and node.fieldname in phrases and node.slop == 1 and len(node.words) > 1:
            phrases[node.fieldname].append(tuple(node.words))
        else:
            for fieldname, text in words:
                loose.get(fieldname, set()).add(text)
    collect(q, False)
    return QueryWords(**{k: frozenset(v) for k, v in found.items()},
                      phrases={field: tuple(found) for field, found in phrases.items()},
                      only_in_phrases={field: frozenset(w for words in phrases[field] for w in words) - loose[field]
                                       for field in phrases})


def _hit(record: dict[str, Any], rank: int, score: float, snippets) -> Hit:
    return Hit(rank=rank, id=record["reference_id"], date=_parse_date(record.get("created")),
               origin=record.get("origin", ""), origin_name=record.get("origin_name", ""),
               classification=record.get("classification", ""), tags=tuple(record.get("tags") or ()),
               subject=record.get("subject", ""), score=score, snippets=snippets)


def _parse_date(value: str | None) -> datetime | None:
    return parse_utc(value) if value else None
