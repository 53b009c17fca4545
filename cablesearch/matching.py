"""The matchers' path: a query on one segment evaluated with sets of docnums and Whoosh's matchers.

The engine (cablesearch/engine) evaluates queries over each segment's postings arrays. This module
serves what has no arrays: segments written by a version before them, and query objects the
arrays do not know (an API user's own whoosh.query types). Each term's postings are read once, a
block at a time; And/Or/Not, prefixes, wildcards, fuzzy terms and ranges become set operations,
exact phrases and para:(...) are checked by positions in the documents that hold all the words,
and what sets cannot evaluate goes through Whoosh's matchers. Scores are Whoosh's BM25F.
"""
from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from typing import AbstractSet, Callable, Sequence

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25FScorer, WeightScorer

from .fields import decode_positions, paragraph_of
from .query.paragraph import ParagraphTest, SameParagraph, paragraph_candidates, walk


class SegmentQuery:
    """A query on one segment, evaluated as sets of docnums and as term-by-term sums of scores.

    Each term's postings are read once, a block at a time, and And/Or/Not/prefix/wildcard/fuzzy/range
    become set operations, exact phrases and para:(...) checks of positions in the documents that hold
    the words; Whoosh's matchers step one document at a time through several Python calls, several
    times slower. What sets cannot evaluate (phrases with slop) keeps the matchers.
    """

    def __init__(self, q: wq.Query, searcher):
        self.q, self.searcher, self.reader = q, searcher, searcher.reader()
        self._postings: dict[tuple[str, bytes], _Postings | None] = {}
        self._matches: AbstractSet[int] | None = None

    def docnums(self) -> list[int]:
        """The matching docnums, ascending (sets where they can, else the matcher)."""
        found = self.docnums_by_sets()
        if found is None:
            matcher = self.q.matcher(self.searcher, self.searcher.boolean_context())
            return list(matcher.all_ids()) if matcher.is_active() else []
        return found

    def scored_matches(self) -> tuple[Sequence[int], Sequence[float]]:
        """Every matching docnum with its score: by sets and term-by-term sums where they can,
        else through Whoosh's matcher once."""
        found = self.docnums_by_sets()
        scores = self.scores() if found is not None else None
        if scores is not None:
            return found, [scores[docnum] for docnum in found]
        ids, values = array("i"), array("d")
        matcher = self.q.matcher(self.searcher, self.searcher.context())
        while matcher.is_active():
            ids.append(matcher.id())
            values.append(matcher.score())
            matcher.next()
        return ids, values

    def ranked(self, wanted: int) -> tuple[Sequence[int], list[tuple[float, int]]]:
        """Every matching docnum, and the `wanted` best as (score, docnum), equal scores in docnum order."""
        ids, values = self.scored_matches()
        best = heapq.nlargest(wanted, range(len(ids)), key=values.__getitem__)
        return ids, [(values[i], ids[i]) for i in best]

    def docnums_by_sets(self) -> list[int] | None:
        """The matching docnums by sets alone; None for a query that sets cannot evaluate."""
        matches = self._match_set()
        return None if matches is None else sorted(matches)

    def scores(self) -> dict[int, float] | None:
        """docnum -> score of each match, as Whoosh's BM25F matchers give them (to rounding: sums
        may add up in another order); None where a part of the query needs the matchers."""
        matches = self._match_set()
        return None if matches is None else self._scores(self.q, matches)

    def _match_set(self) -> AbstractSet[int] | None:
        """The live matches by sets, computed once; None where sets cannot say."""
        if self._matches is None:
            found = self._docset(self.q)
            if found is None:
                return None
            self._matches = found - self.reader.deleted_docs_set if self.reader.has_deletions() else found
        return self._matches

    def _read(self, fieldname: str, text) -> _Postings | None:
        """A term's postings, deleted documents included; None if not stored in blocks."""
        if isinstance(text, str):
            text = self.searcher.schema[fieldname].to_bytes(text)
        key = (fieldname, text)
        if key not in self._postings:
            self._postings[key] = _read_postings(self.reader, fieldname, text)
        return self._postings[key]

    def _docset(self, q: wq.Query, within: AbstractSet[int] | None = None) -> AbstractSet[int] | None:
        """Docnums matching `q` (deleted ones included), or None where sets cannot say. Positions
        are checked only in documents `within` (when given): the result may hold others only where
        no positions were needed."""
        if type(q) is wq.Term:
            postings = self._read(q.fieldname, q.text)
            return None if postings is None else postings.docs
        if type(q) is wq.Every and not q.fieldname:
            return set(range(self.reader.doc_count_all()))
        if self._exact_phrase(q):
            return self._phrase_docset(q, within)
        if isinstance(q, SameParagraph):
            candidates = self._docset(paragraph_candidates(q.child), within)
            if candidates and within is not None:
                candidates = candidates & within
            if not candidates:
                return candidates
            test = ParagraphTest(q.child, self.searcher, self._paragraphs_of)
            return {docnum for docnum in sorted(candidates) if test.holds(docnum)}
        if isinstance(q, wq.MultiTerm):  # prefix, wildcard, fuzzy, range: a union over its terms
            parts = [self._read(q.fieldname, text) for text in q._btexts(self.reader)]
            return None if None in parts else set().union(*(p.docs for p in parts))
        if type(q) is wq.Or:
            parts = [self._docset(sub, within) for sub in q.subqueries]
            return None if None in parts else set().union(*parts)
        if type(q) is wq.And:
            return self._intersection(q, within)
        return None

    def _intersection(self, q: wq.And, within: AbstractSet[int] | None) -> AbstractSet[int] | None:
        """An And: its parts without positions first, then those with positions, checked only in
        the documents that the others left; then the NOTs taken off."""
        included = [sub for sub in q.subqueries if not isinstance(sub, wq.Not)]
        if not included:
            return None
        included.sort(key=self._needs_positions)
        found = within
        for sub in included:
            part = self._docset(sub, found)
            if part is None:
                return None
            found = part if found is None else found & part
        for sub in q.subqueries:
            if isinstance(sub, wq.Not) and found:
                part = self._docset(sub.query, found)
                if part is None:
                    return None
                found = found - part
        return found

    def _needs_positions(self, q: wq.Query) -> bool:
        return any(isinstance(node, (wq.Phrase, SameParagraph)) for node in walk(q))

    def _scores(self, q: wq.Query, within: AbstractSet[int]) -> dict[int, float] | None:
        """The scores of q's matches among the documents `within`, as Whoosh's matchers give them."""
        if type(q) is wq.Term:
            return _boosted(self._term_scores(q.fieldname, q.text, within), q.boost)
        if type(q) is wq.Every and not q.fieldname:  # a constant, the boost
            return dict.fromkeys(within, q.boost)
        if self._exact_phrase(q):  # on the phrase's documents, the sum of its words' scores
            matches = self._docset(q, within)
            words = [self._term_scores(q.fieldname, word, matches or set()) for word in q.words]
            if matches is None or None in words:
                return None
            return _boosted({d: sum(word[d] for word in words) for d in matches}, q.boost)
        if isinstance(q, SameParagraph):  # the candidates' scores, as its matcher
            matches = self._docset(q, within)
            candidates = self._scores(paragraph_candidates(q.child), matches or set())
            if candidates is None or matches is None:
                return None
            return _boosted({d: candidates[d] for d in matches}, q.boost)
        if isinstance(q, wq.MultiTerm):  # a prefix, wildcard, fuzzy term, range ...
            words = [word for word in q._btexts(self.reader) if word]
            if len(words) == 1:  # as Whoosh: one term is scored as a Term, without the boost
                return self._term_scores(q.fieldname, words[0], within)
            if not q.constantscore:
                parts = [self._term_scores(q.fieldname, word, within) for word in words]
                return None if None in parts else _boosted(_summed(parts), q.boost)
            # Constant score, as documented: the boost. (Whoosh's own matchers give the boost or
            # the sum of the terms' weights, by which kind of union they pick.)
            matches = self._docset(q)
            return None if matches is None else dict.fromkeys(matches & within, q.boost)
        if type(q) is wq.Or:
            parts = [self._scores(sub, within) for sub in q.subqueries]
            if None in parts:
                return None
            return _boosted(_summed(parts), q.boost) if len(parts) > 1 else parts[0]
        if type(q) is wq.And:
            matches = self._docset(q, within)
            if matches is None:
                return None
            matches = matches & within
            parts = [self._scores(sub, matches) for sub in q.subqueries if not isinstance(sub, wq.Not)]
            if None in parts:
                return None
            if len(q.subqueries) == 1:  # as Whoosh: a one-part compound's boost is not applied
                return parts[0]
            negated = len(q.subqueries) - len(parts)  # Whoosh scores a NOT's inverse matcher 1.0
            return _boosted({d: sum(part[d] for part in parts) + negated for d in matches}, q.boost)
        return None

    def _exact_phrase(self, q: wq.Query) -> bool:
        return (type(q) is wq.Phrase and q.slop == 1 and q.fieldname in self.searcher.schema
                and self.searcher.schema[q.fieldname].format.supports("positions"))

    def _phrase_docset(self, q: wq.Phrase, within: AbstractSet[int] | None) -> set[int] | None:
        """Documents (of `within`) holding the words at consecutive positions (Whoosh's SpanNear2, slop 1)."""
        words = [self._read(q.fieldname, word) for word in q.words]
        if None in words:
            return None
        parts = [postings.docs for postings in words] + ([within] if within is not None else [])
        parts.sort(key=len)
        return {docnum for docnum in parts[0].intersection(*parts[1:]) if _phrase_starts(words, docnum)}

    def _phrase_starts(self, q: wq.Phrase, docnum: int) -> set[int]:
        """The positions where the phrase starts in document `docnum`."""
        words = [self._read(q.fieldname, word) for word in q.words]
        return set() if None in words else _phrase_starts(words, docnum)

    def _paragraphs_of(self, leaf: wq.Query) -> Callable[[int], set[int]] | None:
        """For ParagraphTest: the paragraphs a term or exact phrase matches, from positions read once."""
        if type(leaf) is wq.Term:
            def paragraphs(docnum: int) -> set[int]:
                positions = self._positions_at(leaf.fieldname, leaf.text, docnum)
                return {paragraph_of(p) for p in decode_positions(positions)} if positions else set()
            return paragraphs
        if self._exact_phrase(leaf):
            return lambda docnum: {paragraph_of(p) for p in self._phrase_starts(leaf, docnum)}
        return None

    def _positions_at(self, fieldname: str, text, docnum: int) -> bytes | None:
        """The encoded positions of a term in document `docnum` (None: not there)."""
        return self._read(fieldname, text).value_of(docnum)

    def _term_scores(self, fieldname: str, text, within: AbstractSet[int]) -> dict[int, float] | None:
        """docnum -> BM25F score (or weight, for unscored fields) of a term, in the documents `within`."""
        if fieldname not in self.searcher.schema:
            return {}
        postings = self._read(fieldname, text)
        if postings is None:
            return None
        ids, weights = postings.ids, postings.weights
        if not ids:
            return {}
        scorer = self.searcher.weighting.scorer(self.searcher, fieldname, text)
        if isinstance(scorer, WeightScorer):
            return {d: w for d, w in zip(ids, weights) if d in within}
        if not isinstance(scorer, BM25FScorer):
            return None
        idf, avgfl, B, K1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        lengths = self.reader._perdoc.lengths(fieldname)
        # scoring.bm25: the same operations in the same order, so the scores are Whoosh's to the bit
        return {d: idf * ((w * (K1 + 1)) / (w + K1 * ((1 - B) + B * lengths[d] / avgfl)))
                for d, w in zip(ids, weights) if d in within}


def _boosted(scores: dict[int, float] | None, boost: float) -> dict[int, float] | None:
    if scores is None or boost == 1.0:
        return scores
    return {docnum: score * boost for docnum, score in scores.items()}


def _summed(parts: list[dict[int, float]]) -> dict[int, float]:
    """The scores of a union: each document's scores summed over the parts it matches."""
    total = dict(parts[0]) if parts else {}
    get = total.get
    for part in parts[1:]:
        for docnum, score in part.items():
            total[docnum] = get(docnum, 0.0) + score
    return total


@dataclass
class _Postings:
    """One term's postings in one segment: docnums ascending, weights, encoded positions (or None)."""
    ids: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)

    @cached_property
    def docs(self) -> frozenset[int]:
        return frozenset(self.ids)

    def value_of(self, docnum: int) -> bytes | None:
        """The value (encoded positions) of the posting for `docnum`, None if there is none."""
        i = bisect_left(self.ids, docnum)
        return self.values[i] if i < len(self.ids) and self.ids[i] == docnum else None


def _phrase_starts(words: list[_Postings], docnum: int) -> set[int]:
    """The positions where the words start a phrase (consecutive positions) in document `docnum`."""
    starts = None
    for offset, postings in enumerate(words):
        value = postings.value_of(docnum)
        if value is None:
            return set()
        shifted = [p - offset for p in decode_positions(value)] if offset else decode_positions(value)
        starts = set(shifted) if starts is None else starts.intersection(shifted)
        if not starts:
            return set()
    return starts


def _read_postings(reader, fieldname: str, btext: bytes) -> _Postings | None:
    """Every posting of a term, a block at a time (a block's values come with its docnums)."""
    try:
        matcher = reader.postings(fieldname, btext)
    except TermNotFound:
        return _Postings()
    if isinstance(matcher, FilterMatcher):  # the deletions filter: SegmentQuery takes deletions off
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):
        return None
    postings = _Postings()
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        matcher._read_values()
        postings.ids.extend(matcher._ids)
        postings.weights.extend(matcher._weights)
        postings.values.extend(matcher._values)
        matcher._next_block()
    return postings
