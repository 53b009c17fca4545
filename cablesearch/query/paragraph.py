"""para:(...) as a Whoosh query: its parts must match inside one paragraph of a cable.

The index has no paragraph documents. The body is indexed paragraph by paragraph, paragraph i at
positions from i * PARAGRAPH_GAP, and the `marking` field holds each paragraph's markings at its
first position (fields.py); so two matches are in one paragraph when paragraph_of() of their
positions agree. The parts without their NOTs find candidate cables at the document level; each
candidate is then checked paragraph by paragraph, evaluating And/Or/Not over sets of paragraphs.
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Callable, Iterable

from whoosh import matching, query as wq

from ..fields import ANY_PARAGRAPH, paragraph_of

EVERY_PARAGRAPH = wq.Term("marking", ANY_PARAGRAPH)  # what a NOT inside para:(...) is taken from


class SameParagraph(wq.Query):
    """Matches cables with a paragraph in which `child` (And/Or/Not over body and marking) holds."""

    def __init__(self, child: wq.Query, boost: float = 1.0):
        self.child = child
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.child == self.child and other.boost == self.boost

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.child, self.boost))

    def __repr__(self) -> str:
        boost = f", boost={self.boost:g}" if self.boost != 1 else ""
        return f"{type(self).__name__}({self.child!r}{boost})"

    def __str__(self) -> str:
        return f"para:({self.child})"

    def is_leaf(self) -> bool:
        return False

    def children(self) -> list[wq.Query]:
        return [self.child]

    def apply(self, fn) -> "SameParagraph":
        return type(self)(fn(self.child), self.boost)

    def normalize(self) -> wq.Query:
        child = self.child.normalize()
        if child is wq.NullQuery:
            return wq.NullQuery
        return type(self)(child, self.boost)

    def estimate_size(self, ixreader) -> int:
        return paragraph_candidates(self.child).estimate_size(ixreader)

    def matcher(self, searcher, context=None):
        candidates = paragraph_candidates(self.child).matcher(searcher, context)
        if not candidates.is_active():
            return matching.NullMatcher()
        return _SameParagraphMatcher(candidates, ParagraphTest(self.child, searcher), self.boost)


def matched_paragraphs(q: wq.Query, searcher, docnums: Iterable[int]) -> dict[int, set[int]]:
    """For each (top-level) docnum, the paragraphs (0-based, in body order) where a para:(...) of
    `q` holds; docnums with none are left out. Used to pick the snippets of para: hits."""
    scopes = [node for node in walk(q) if isinstance(node, SameParagraph)]
    if not scopes:
        return {}
    leaves = searcher.leaf_searchers()
    offsets = [offset for _, offset in leaves]
    by_leaf: dict[int, list[int]] = {}
    for docnum in sorted(docnums):
        by_leaf.setdefault(bisect_right(offsets, docnum) - 1, []).append(docnum)
    out: dict[int, set[int]] = {}
    for i, docs in by_leaf.items():
        leaf, offset = leaves[i]
        for scope in scopes:
            paragraphs = ParagraphTest(scope.child, leaf)
            for docnum in docs:
                found = paragraphs.of(docnum - offset)
                if found:
                    out.setdefault(docnum, set()).update(found)
    return out


def walk(q: wq.Query):
    """`q` and every query inside it, depth first."""
    yield q
    for child in q.children():
        yield from walk(child)


def paragraph_candidates(q: wq.Query) -> wq.Query:
    """A document-level query that every cable matching `q` in one paragraph also matches."""
    positive = _positive(q)
    return wq.Term("marking", ANY_PARAGRAPH) if positive is None else positive


def _positive(q: wq.Query) -> wq.Query | None:
    """`q` without its NOTs (None: no constraint at the document level)."""
    if isinstance(q, wq.Not):
        return None
    if isinstance(q, wq.And):
        parts = [p for p in map(_positive, q.subqueries) if p is not None]
        return (parts[0] if len(parts) == 1 else wq.And(parts, boost=q.boost)) if parts else None
    if isinstance(q, wq.Or):
        parts = [_positive(p) for p in q.subqueries]
        return None if any(p is None for p in parts) else wq.Or(parts, boost=q.boost)
    return q


class ParagraphTest:
    """Evaluates a para:(...) query on one segment's cables, in increasing docnum order.

    `paragraphs_of(leaf)` may give, for a leaf query (term, phrase), a function from docnum to the
    paragraphs the leaf matches in that document; where it gives None, the leaf's matcher is read.
    """

    def __init__(self, q: wq.Query, searcher,
                 paragraphs_of: Callable[[wq.Query], Callable[[int], set[int]] | None] = lambda leaf: None):
        self.searcher = searcher
        self._paragraphs_of = paragraphs_of
        self._every = self._leaf(EVERY_PARAGRAPH)
        self._test = self._build(q)

    def of(self, docnum: int) -> set[int]:
        """The paragraphs of document `docnum` where the query holds."""
        self._docnum = docnum
        return self._test()

    def holds(self, docnum: int) -> bool:
        return bool(self.of(docnum))

    def _build(self, q: wq.Query):
        if isinstance(q, wq.And):
            included = [self._build(p) for p in q.subqueries if not isinstance(p, wq.Not)]
            excluded = [self._build(p.query) for p in q.subqueries if isinstance(p, wq.Not)]
            if not included:
                included = [self._all]

            def both() -> set[int]:
                found = included[0]()
                for test in included[1:]:
                    if not found:
                        return found
                    found &= test()
                for test in excluded:
                    if not found:
                        return found
                    found -= test()
                return found
            return both
        if isinstance(q, wq.Or):
            tests = [self._build(p) for p in q.subqueries]
            return lambda: set().union(*(test() for test in tests))
        if isinstance(q, wq.Not):
            test = self._build(q.query)
            return lambda: self._all() - test()
        if q is wq.NullQuery:
            return set
        simple = q.simplify(self.searcher.reader())  # prefix, wildcard, fuzzy -> Or of terms
        if simple is not q and not isinstance(simple, (wq.Term, wq.Phrase)):
            return self._build(simple)
        leaf = self._leaf(simple)
        return lambda: leaf(self._docnum)

    def _leaf(self, q: wq.Query) -> Callable[[int], set[int]]:
        return self._paragraphs_of(q) or _Positions(q, self.searcher).paragraphs

    def _all(self) -> set[int]:
        return self._every(self._docnum)


class _Positions:
    """One leaf query's matches in one segment, read forward: the paragraphs it matches in a doc."""

    def __init__(self, q: wq.Query, searcher):
        self.matcher = q.matcher(searcher, searcher.boolean_context())

    def paragraphs(self, docnum: int) -> set[int]:
        m = self.matcher
        if m.is_active() and m.id() < docnum:
            m.skip_to(docnum)
        if not m.is_active() or m.id() != docnum:
            return set()
        return {paragraph_of(span.start) for span in m.spans()}


class _SameParagraphMatcher(matching.WrappingMatcher):
    """The candidates' matches that pass the paragraph test; scored as the candidates are."""

    def __init__(self, child, paragraphs: ParagraphTest, boost: float = 1.0):
        super().__init__(child, boost)
        self.paragraphs = paragraphs
        self._find()

    def _find(self) -> None:
        child = self.child
        while child.is_active() and not self.paragraphs.holds(child.id()):
            child.next()

    def next(self):
        self.child.next()
        self._find()

    def skip_to(self, id):
        self.child.skip_to(id)
        self._find()

    def all_ids(self):
        while self.is_active():
            yield self.id()
            self.next()

    def replace(self, minquality=0):
        return self if self.is_active() else matching.NullMatcher()

    def supports_block_quality(self) -> bool:
        return False

    def copy(self):
        raise NotImplementedError("a paragraph matcher reads its leaves forward only")
