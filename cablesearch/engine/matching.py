"""A compiled `whoosh.query` evaluated over one segment's postings arrays.

Matches are boolean masks over the segment's documents (And/Or/Not are mask operations, a term
sets its docnums); scores are kept only for the matching documents and summed as Whoosh's
matchers sum them, so a term's scores cost its postings, not the segment's size. Phrases start
from the word with the fewest positions among the documents that hold every word and probe the
others at their offsets (binary searches over the probed word's positions); para:(...) works on
(document, paragraph) keys: And/Or/Not of its parts become intersections, unions and differences
of sorted key arrays. Python runs once per query part, NumPy per posting.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from ..fields import ANY_PARAGRAPH, PARAGRAPH_SHIFT, keeps_positions
from ..query.paragraph import SameParagraph, paragraph_candidates
from .postings import EMPTY_TERM, SegmentPostings, TermPostings
from .scoring import WHOOSH_LOCK, Unsupported, term_scores

_LENGTHS = np.array([byte_to_length(b) if b else 0 for b in range(256)], np.float64)  # Whoosh's length byte
PARAGRAPH_BITS = 12                 # (docnum << PARAGRAPH_BITS) | paragraph: one key per paragraph
_EVERY_PARAGRAPH = ("marking", ANY_PARAGRAPH.encode("utf-8"))


@dataclass
class Segment:
    """What searches need of one segment, loaded once: its postings arrays, which documents are
    live, and the field lengths BM25F divides by."""
    reader: object
    postings: SegmentPostings
    live: np.ndarray                 # bool per docnum: False for deleted documents
    _lengths: dict
    has_deletions: bool = False

    @classmethod
    def load(cls, reader, postings: SegmentPostings) -> "Segment":
        count = reader.doc_count_all()
        live = np.ones(count, bool)
        deleted = reader.has_deletions()
        if deleted:
            live[np.fromiter(reader.deleted_docs_set, np.int64)] = False
        return cls(reader, postings, live, {}, deleted)

    @property
    def doc_count(self) -> int:
        return len(self.live)

    def lengths(self, fieldname: str) -> np.ndarray | None:
        """Each document's length in a scored field (as Whoosh stores it: one byte, approximate)."""
        if fieldname not in self._lengths:
            with WHOOSH_LOCK:
                stored = self.reader._perdoc.length_bytes(fieldname)
            self._lengths[fieldname] = None if stored is None else _LENGTHS[np.frombuffer(stored, np.uint8)]
        return self._lengths[fieldname]


class Match:
    """A query part's matches in a segment: a mask over docnums (`docs`: the same, ascending; a
    term inside a prefix or wildcard has only `docs`) and, for a scored search, a way to score
    any of them. Scores are computed only for the documents asked about: an AND of common words
    scores the few documents it keeps, not every posting of each word."""
    __slots__ = ("mask", "_docs", "_values", "_score")

    def __init__(self, mask: np.ndarray | None, values: np.ndarray | None = None, docs: np.ndarray | None = None,
                 score: Callable[[np.ndarray], np.ndarray] | None = None):
        self.mask, self._docs, self._values, self._score = mask, docs, values, score

    @property
    def docs(self) -> np.ndarray:
        if self._docs is None:
            self._docs = np.flatnonzero(self.mask)
        return self._docs

    @property
    def values(self) -> np.ndarray | None:
        """The scores of `docs`, or None for an unscored search."""
        if self._values is None and self._score is not None:
            self._values = self._score(self.docs)
        return self._values

    @property
    def scores(self) -> np.ndarray | None:
        """The scores as a dense array over the segment's docnums (zero where nothing matched)."""
        if self.values is None:
            return None
        dense = np.zeros(len(self.mask))
        dense[self.docs] = self.values
        return dense

    def holds(self, docs: np.ndarray) -> np.ndarray:
        """Which of `docs` (docnums ascending) match."""
        if self.mask is not None:
            return self.mask[docs]
        if not len(self.docs):
            return np.zeros(len(docs), bool)
        at = np.minimum(np.searchsorted(self.docs, docs), len(self.docs) - 1)
        return self.docs[at] == docs

    def values_at(self, docs: np.ndarray) -> np.ndarray:
        """The scores of `docs`, docnums ascending that this match holds."""
        if self._values is None:
            return self._score(docs) if len(docs) != len(self.docs) else self.values
        if len(docs) == len(self._values):
            return self._values
        return self._values[_indexes(self.docs, docs, len(self.mask) if self.mask is not None else 0)]


_LOOKUP_RATIO = 16  # fewer than 1/16 of the docnums are found by binary search, more by spreading indexes out
_SPREAD_RATIO = 64  # a sum over fewer than 1/64 of a segment's documents is made where they are, else spread out


def _indexes(ordered: np.ndarray, docs: np.ndarray, n: int) -> np.ndarray:
    """Where each of `docs` stands in `ordered` (docnums ascending, holding them all, below n): by
    binary search for a few, else by spreading the indexes over the docnums once."""
    if len(docs) * _LOOKUP_RATIO < len(ordered) or not n:
        return np.searchsorted(ordered, docs)
    where = np.empty(n, np.intp)
    where[ordered] = np.arange(len(ordered))
    return where[docs]


class ArrayQuery:
    """Evaluates a compiled query on one segment; raises Unsupported for what it cannot."""

    def __init__(self, segment: Segment, searcher, *, scored: bool = True,
                 expansions: dict[int, set[bytes]] | None = None, scorers: dict | None = None):
        self.segment, self.searcher, self.scored = segment, searcher, scored
        self.expansions, self.scorers = expansions, scorers
        self.n = segment.doc_count
        self._schema = searcher.schema

    # -- entry points ---------------------------------------------------------------------------
    def run(self, q: wq.Query) -> Match:
        """The live documents matching q, with their scores if the query was made `scored`."""
        found = self._eval(q, None)
        if not self.segment.has_deletions:
            return found
        live = self.segment.live
        if not self.scored:
            return Match(found.mask & live)
        return Match(found.mask & live, docs=found.docs[live[found.docs]], score=found.values_at)

    def paragraphs(self, q: wq.Query, docnums: np.ndarray) -> dict[int, set[int]]:
        """For the documents `docnums`, the paragraphs where a para:(...) of q holds (for snippets)."""
        within = self._mask(docnums)
        keys = [self._paragraph_keys(node.child, within) for node in _walk(q) if isinstance(node, SameParagraph)]
        out: dict[int, set[int]] = {}
        if keys:
            found = _union(keys)
            for doc, para in zip((found >> PARAGRAPH_BITS).tolist(), (found & ((1 << PARAGRAPH_BITS) - 1)).tolist()):
                out.setdefault(doc, set()).add(para)
        return out

    # -- matches and scores ---------------------------------------------------------------------
    def _eval(self, q: wq.Query, within: np.ndarray | None) -> Match:
        """q's matches (deleted documents included); positions are read only in `within`."""
        kind = type(q)
        if kind is wq.Term:
            return self._term(q.fieldname, q.text, q.boost)
        if kind is wq.Every:  # every cable, or (field:*) every cable with a value in the field
            mask = self._mask(self.segment.postings.field_docs(q.fieldname)) if q.fieldname else np.ones(self.n, bool)
            return self._constant(mask, q.boost)
        if q is wq.NullQuery or kind is type(wq.NullQuery):
            return self._empty()
        if kind is wq.Phrase and self._positional(q.fieldname):
            return self._phrase(q, within)
        if isinstance(q, SameParagraph):
            return self._same_paragraph(q, within)
        if isinstance(q, wq.MultiTerm):
            return self._multiterm(q)
        if kind is wq.Or:
            return self._or(q, within)
        if kind is wq.And:
            return self._and(q, within)
        raise Unsupported(kind.__name__)

    def _empty(self) -> Match:
        return Match(np.zeros(self.n, bool), np.zeros(0) if self.scored else None, np.zeros(0, np.intp))

    def _constant(self, mask: np.ndarray, boost: float) -> Match:
        """Every document of the mask scored `boost`."""
        if not self.scored:
            return Match(mask)
        return Match(mask, score=lambda docs: np.full(len(docs), float(boost)))

    def _mask(self, docnums: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.n, bool)
        mask[docnums] = True
        return mask

    def _postings(self, fieldname: str, text) -> TermPostings:
        if fieldname not in self._schema:
            return EMPTY_TERM
        if isinstance(text, str):
            text = self._schema[fieldname].to_bytes(text)
        return self.segment.postings.term(fieldname, text)

    def _positional(self, fieldname: str) -> bool:
        return fieldname in self._schema and keeps_positions(self._schema[fieldname])

    def _term_values(self, fieldname: str, text, postings: TermPostings,
                     docs: np.ndarray | None = None) -> np.ndarray:
        """One term's scores for its postings, or only for `docs` (docnums ascending, all among them)."""
        docnums, frequencies = postings.docnums, postings.frequencies
        if docs is not None and len(docs) < len(docnums):
            at = _indexes(docnums, docs, self.n)
            docnums, frequencies = docnums[at], frequencies[at]
        if not len(docnums):
            return np.zeros(0)
        btext = text if isinstance(text, bytes) else self._schema[fieldname].to_bytes(text)
        weights = frequencies * self._schema[fieldname].format.field_boost
        return term_scores(self.searcher, fieldname, btext, docnums, weights,
                           self.segment.lengths(fieldname), self.scorers)

    def _term(self, fieldname: str, text, boost: float = 1.0) -> Match:
        postings = self._postings(fieldname, text)
        mask = self._mask(postings.docnums)
        if not self.scored:
            return Match(mask)
        return Match(mask, docs=postings.docnums,
                     score=lambda docs: _boosted(self._term_values(fieldname, text, postings, docs), boost))

    def _sum(self, parts: list[Match], docs: np.ndarray, boost: float) -> np.ndarray:
        """The scores of `docs` (each in some part) summed over the parts that hold them, in order,
        as Whoosh's union matchers add them, times the boost."""
        if len(docs) * _SPREAD_RATIO < self.n:
            values = np.zeros(len(docs))
            for part in parts:
                inside = part.holds(docs)
                if inside.all():
                    values += part.values_at(docs)
                elif inside.any():
                    values[inside] += part.values_at(docs[inside])
        else:
            dense = np.zeros(self.n)
            for part in parts:
                dense[part.docs] += part.values
            values = dense[docs]
        return _boosted(values, boost)

    def _expand(self, q: wq.MultiTerm) -> list[bytes]:
        """The terms a prefix, wildcard, fuzzy term or range stands for in this segment (noted in
        `expansions` too, for highlighting)."""
        if type(q) is wq.FuzzyTerm and q.fieldname in self._schema:
            words = self.segment.postings.terms_near(q.fieldname, q.text, q.maxdist, q.prefixlength)
        else:
            with WHOOSH_LOCK:
                words = [word for word in q._btexts(self.segment.reader) if word]
        if self.expansions is not None:
            self.expansions.setdefault(id(q), set()).update(words)
        return words

    def _multiterm(self, q: wq.MultiTerm) -> Match:
        """A prefix, wildcard, fuzzy term or range: the union of the terms it expands to."""
        words = self._expand(q)
        lists = [self._postings(q.fieldname, word) for word in words]
        mask = self._mask(np.concatenate([p.docs for p in lists])) if lists else np.zeros(self.n, bool)
        if not self.scored:
            return Match(mask)
        if len(words) == 1:  # as Whoosh: one term is scored as a Term, without the boost
            return Match(mask, docs=lists[0].docnums,
                         score=lambda docs: self._term_values(q.fieldname, words[0], lists[0], docs))
        if q.constantscore:  # as documented: the boost (Whoosh's matchers vary by union type)
            return self._constant(mask, q.boost)

        def term(word: bytes, postings: TermPostings) -> Match:
            return Match(None, docs=postings.docnums,
                         score=lambda docs: self._term_values(q.fieldname, word, postings, docs))
        parts = [term(word, postings) for word, postings in zip(words, lists)]
        return Match(mask, score=lambda docs: self._sum(parts, docs, q.boost))

    def _or(self, q: wq.Or, within: np.ndarray | None) -> Match:
        parts = [self._eval(sub, within) for sub in q.subqueries]
        if not parts:
            return self._empty()
        mask = parts[0].mask.copy()
        for part in parts[1:]:
            mask |= part.mask
        if not self.scored:
            return Match(mask)
        if len(parts) == 1:
            return Match(mask, docs=parts[0].docs, score=parts[0].values_at)
        return Match(mask, score=lambda docs: self._sum(parts, docs, q.boost))

    def _and(self, q: wq.And, within: np.ndarray | None) -> Match:
        """Its parts without positions first, then those with positions, read only where the
        others left documents; then the NOTs taken off."""
        included = [sub for sub in q.subqueries if not isinstance(sub, wq.Not)]
        excluded = [sub.query for sub in q.subqueries if isinstance(sub, wq.Not)]
        if not included:
            raise Unsupported("a NOT alone")
        included.sort(key=_needs_positions)
        mask = None if within is None else within.copy()
        parts = []
        for sub in included:
            part = self._eval(sub, mask)
            parts.append(part)
            mask = part.mask.copy() if mask is None else mask & part.mask
            if not mask.any():  # nothing left for the other parts to keep (common in small segments)
                return self._empty()
        for sub in excluded:
            if mask.any():
                mask &= ~self._eval_unscored(sub, mask).mask
        if not self.scored:
            return Match(mask)
        rarest = min(parts, key=lambda part: len(part.docs)).docs
        docs = rarest[mask[rarest]]
        if len(q.subqueries) == 1:  # as Whoosh: a one-part compound's boost is not applied
            return Match(mask, docs=docs, score=parts[0].values_at)

        def score(docs: np.ndarray) -> np.ndarray:
            values = np.zeros(len(docs))
            for part in parts:
                values += part.values_at(docs)
            values += len(excluded)  # Whoosh scores a NOT's inverse matcher 1.0
            return _boosted(values, q.boost)
        return Match(mask, docs=docs, score=score)

    def _eval_unscored(self, q: wq.Query, within: np.ndarray | None) -> Match:
        scored, self.scored = self.scored, False
        try:
            return self._eval(q, within)
        finally:
            self.scored = scored

    # -- phrases --------------------------------------------------------------------------------
    def _phrase(self, q: wq.Phrase, within: np.ndarray | None) -> Match:
        """Documents where the words stand at consecutive positions (Whoosh's Phrase, slop 1);
        scored as Whoosh does: the sum of the words' scores, times the boost."""
        starts, _ = self._phrase_starts(q.fieldname, q.words, within, q.slop)
        mask = self._mask(starts)
        if not self.scored:
            return Match(mask)
        def score(docs: np.ndarray) -> np.ndarray:
            values = np.zeros(len(docs))
            for word in q.words:
                values += self._term_values(q.fieldname, word, self._postings(q.fieldname, word), docs)
            return _boosted(values, q.boost)
        return Match(mask, docs=_distinct(starts), score=score)

    def _phrase_starts(self, fieldname: str, words, within: np.ndarray | None,
                       slop: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(docnum, start position) of every occurrence of the phrase, sorted, in documents `within`."""
        lists = [self._postings(fieldname, word) for word in words]
        candidates = np.ones(self.n, bool) if within is None else within.copy()
        for postings in lists:
            candidates &= self._mask(postings.docnums)
        if not candidates.any():
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if slop != 1:
            return _near(lists, candidates, slop)
        # The anchor: the word with the fewest positions in the candidates.
        counts = [int(np.sum(p.frequencies[candidates[p.docnums]])) for p in lists]
        anchor = int(np.argmin(counts))
        docs, positions = _gather(lists[anchor], candidates)
        starts = positions - anchor
        for offset in sorted(range(len(words)), key=counts.__getitem__):
            if offset == anchor or not len(docs):
                continue
            keep = _holds_at(lists[offset], docs, starts + offset)
            docs, starts = docs[keep], starts[keep]
        return docs, starts

    # -- para:(...) -----------------------------------------------------------------------------
    def _same_paragraph(self, q: SameParagraph, within: np.ndarray | None) -> Match:
        """Cables with a paragraph where q's child holds; scored as its candidates are."""
        candidates = self._eval(paragraph_candidates(q.child), within)
        mask = candidates.mask if within is None else candidates.mask & within
        keys = self._paragraph_keys(q.child, mask)
        docs = _distinct((keys >> PARAGRAPH_BITS).astype(np.intp))
        mask = self._mask(docs)
        if not self.scored:
            return Match(mask)
        return Match(mask, docs=docs, score=lambda docs: _boosted(candidates.values_at(docs), q.boost))

    def _paragraph_keys(self, q: wq.Query, within: np.ndarray) -> np.ndarray:
        """Sorted unique (docnum << 12 | paragraph) keys where q holds, in documents `within`."""
        kind = type(q)
        if kind is wq.And:
            included = [sub for sub in q.subqueries if not isinstance(sub, wq.Not)]
            excluded = [sub.query for sub in q.subqueries if isinstance(sub, wq.Not)]
            keys = self._every_paragraph(within) if not included else None
            for sub in sorted(included, key=_needs_positions):
                part = self._paragraph_keys(sub, within)
                keys = part if keys is None else np.intersect1d(keys, part, assume_unique=True)
                if not len(keys):
                    return keys
                within = within & self._mask((keys >> PARAGRAPH_BITS).astype(np.int64))
            for sub in excluded:
                keys = np.setdiff1d(keys, self._paragraph_keys(sub, within), assume_unique=True)
            return keys
        if kind is wq.Or:
            parts = [self._paragraph_keys(sub, within) for sub in q.subqueries]
            return _union(parts)
        if kind is wq.Not:
            return np.setdiff1d(self._every_paragraph(within), self._paragraph_keys(q.query, within),
                                assume_unique=True)
        if q is wq.NullQuery or kind is type(wq.NullQuery):
            return _NO_KEYS
        if kind is wq.Term and self._positional(q.fieldname):
            docs, positions = _gather(self._postings(q.fieldname, q.text), within)
            return _keys(docs, positions)
        if kind is wq.Phrase and self._positional(q.fieldname):
            return _keys(*self._phrase_starts(q.fieldname, q.words, within, q.slop))
        if isinstance(q, wq.MultiTerm) and self._positional(q.fieldname):
            words = self._expand(q)
            parts = [_keys(*_gather(self._postings(q.fieldname, word), within)) for word in words]
            return _union(parts)
        raise Unsupported(f"{kind.__name__} inside para:")

    def _every_paragraph(self, within: np.ndarray) -> np.ndarray:
        return _keys(*_gather(self._postings(*_EVERY_PARAGRAPH), within))


_NO_KEYS = np.zeros(0, np.int64)


def _keys(docs: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The distinct (docnum << 12 | paragraph) keys of positions in docnum, then position, order."""
    return _distinct((docs.astype(np.int64) << PARAGRAPH_BITS) | (positions.astype(np.int64) >> PARAGRAPH_SHIFT))


def _distinct(ordered: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array. (numpy.unique hashes them first since NumPy 2.3:
    over ten times slower on the millions of keys of a common word.)"""
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _union(parts: list[np.ndarray]) -> np.ndarray:
    """The sorted distinct values of all the arrays."""
    if not parts:
        return _NO_KEYS
    return _distinct(np.sort(np.concatenate(parts)))


def _gather(postings: TermPostings, within: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(docnum, position) of every position of a term in the documents `within`, in posting order."""
    chosen = within[postings.docnums]
    if chosen.all():
        return np.repeat(postings.docnums, postings.frequencies), postings.positions.astype(np.int64)
    chosen = np.flatnonzero(chosen)
    counts = postings.frequencies[chosen]
    firsts = np.cumsum(counts, dtype=np.int64) - counts   # where each posting's run starts in the output
    index = np.repeat(postings.starts[chosen].astype(np.int64) - firsts, counts) + np.arange(int(counts.sum()))
    return np.repeat(postings.docnums[chosen], counts), postings.positions[index].astype(np.int64)


def _owners(counts: np.ndarray) -> np.ndarray:
    """For runs of counts[i] items each, end to end, the run of each item."""
    return np.repeat(np.arange(len(counts)), counts)


def _near(lists: list[TermPostings], candidates: np.ndarray, slop: int) -> tuple[np.ndarray, np.ndarray]:
    """(docnum, start) of the spans where each word follows the previous one within `slop`
    positions, in order (Whoosh's Phrase with slop: SpanNear2, ordered, mindist 1)."""
    docs, starts = _gather(lists[0], candidates)
    ends = starts
    for postings in lists[1:]:
        if not len(docs):
            break
        word_docs, word_positions = _gather(postings, candidates)
        keys = (word_docs << 32) | word_positions
        lo = np.searchsorted(keys, (docs << 32) | (ends + 1))
        hi = np.searchsorted(keys, (docs << 32) | (ends + slop), side="right")
        counts = hi - lo
        firsts = np.cumsum(counts) - counts
        owner = _owners(counts)
        index = (lo - firsts)[owner] + np.arange(len(owner))
        docs, starts, ends = docs[owner], starts[owner], word_positions[index]
        order = np.lexsort((ends, starts, docs))  # the same span reached twice counts once
        docs, starts, ends = docs[order], starts[order], ends[order]
        first = np.ones(len(docs), bool)
        first[1:] = (docs[1:] != docs[:-1]) | (starts[1:] != starts[:-1]) | (ends[1:] != ends[:-1])
        docs, starts, ends = docs[first], starts[first], ends[first]
    return docs, starts


def _holds_at(postings: TermPostings, docs: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For each (docnum, position) probe, sorted and distinct: does the term stand there? (The
    probed documents must hold the term.) Where the term has fewer positions in the probed
    documents than probes times search steps, they are read and merged with the probes (or, many
    more, searched); else each probe is found by binary search within its document's positions,
    all probes at once."""
    if not len(docs):
        return np.zeros(0, bool)
    probed = np.zeros(int(postings.docs[-1]) + 1, bool)
    probed[docs] = True
    chosen = probed[postings.docnums]
    frequencies = postings.frequencies[chosen]
    steps = int(frequencies.max()).bit_length()
    if int(frequencies.sum()) <= steps * len(docs):
        keep = np.zeros(len(docs), bool)
        valid = np.flatnonzero(positions >= 0)  # a phrase cannot start before a document does
        word_docs, word_positions = _gather(postings, probed)
        keys = (word_docs << 32) | word_positions
        probes = (docs[valid].astype(np.int64) << 32) | positions[valid].astype(np.int64)
        if len(keys) <= _MERGE_RATIO * len(probes):
            # Merge the two sorted runs (a stable sort does), probes marked by a low bit set: a
            # probe found is one right after its key; odd entries before it count its index.
            merged = np.sort(np.concatenate([keys << 1, (probes << 1) | 1]), kind="stable")
            odd = merged & 1
            found = np.flatnonzero((merged[1:] - merged[:-1] == 1) & (odd[1:] == 1)) + 1
            keep[valid[(np.cumsum(odd) - 1)[found]]] = True
        else:
            found = np.searchsorted(keys, probes)
            keep[valid] = (found < len(keys)) & (keys[np.minimum(found, len(keys) - 1)] == probes)
        return keep
    at = np.searchsorted(postings.docs, docs)
    lo = postings.starts[at].astype(np.int64)
    hi = postings.ends[at].astype(np.int64)
    end = hi.copy()
    values = postings.positions
    last = len(values) - 1
    for _ in range(steps):
        open_ = lo < hi
        mid = (lo + hi) >> 1
        less = open_ & (values[np.minimum(mid, last)] < positions)
        lo = np.where(less, mid + 1, lo)
        hi = np.where(open_ & ~less, mid, hi)
    return (lo < end) & (values[np.minimum(lo, last)] == positions)


_MERGE_RATIO = 1  # a stable sort merges sorted keys and probes faster than searching them only up to this ratio


def _boosted(scores: np.ndarray, boost: float) -> np.ndarray:
    return scores * boost if boost != 1.0 else scores


def _walk(q: wq.Query):
    yield q
    for child in q.children():
        yield from _walk(child)


def _needs_positions(q: wq.Query) -> bool:
    return any(isinstance(node, (wq.Phrase, SameParagraph)) for node in _walk(q))
