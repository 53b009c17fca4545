"""`cited-by:ID`: the cables that cable ID cites, a query form only the index can resolve.

Who cites whom is indexed on the citing cable (its `refs` field), so `cites:ID` is a plain term.
The other way round needs ID's own REF line, which only the index holds: the compiler leaves a
CitedBy placeholder, and `resolve_cited_by` (called by CableIndex.search) swaps it for an Or of the
cited ids before the query runs, so it combines with every other part of the language.
"""
from __future__ import annotations

from typing import Callable, Iterable

from whoosh import query as wq

from .paragraph import SameParagraph


class CitedBy(wq.Query):
    """Placeholder for `cited-by:ID` until resolved against an index (see resolve_cited_by)."""

    def __init__(self, reference_id: str, boost: float = 1.0):
        self.reference_id = reference_id
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return (type(other) is CitedBy and other.reference_id == self.reference_id
                and other.boost == self.boost)

    def __hash__(self) -> int:
        return hash((CitedBy, self.reference_id, self.boost))

    def __repr__(self) -> str:
        return f"CitedBy({self.reference_id!r})"

    def __str__(self) -> str:
        return f"cited-by:{self.reference_id}"

    def is_leaf(self) -> bool:
        return True

    def terms(self, phrases: bool = False):
        return iter(())

    def matcher(self, searcher, context=None):
        from .parser import QueryError
        raise QueryError(f"cited-by:{self.reference_id} is resolved by CableIndex.search; "
                         f"run the query through the index", 1)


def has_cited_by(q: wq.Query) -> bool:
    """Whether `q` holds a cited-by: placeholder."""
    if isinstance(q, CitedBy):
        return True
    return not q.is_leaf() and any(has_cited_by(child) for child in q.children())


def resolve_cited_by(q: wq.Query, cited_ids: Callable[[str], Iterable[str] | None]) -> wq.Query:
    """`q` with each CitedBy(ID) replaced by an Or of Term('id', ...) over `cited_ids(ID)`; a cable
    that is not indexed or cites nothing matches nothing. Queries without one come back unchanged."""
    if not has_cited_by(q):
        return q
    resolved = _resolve(q, cited_ids)
    return wq.NullQuery if resolved is None else resolved


def _resolve(q: wq.Query, cited_ids) -> wq.Query | None:
    """The resolved query, or None where it can match nothing (dropped from an Or, sinks an And)."""
    if isinstance(q, CitedBy):
        ids = list(dict.fromkeys(i.upper() for i in (cited_ids(q.reference_id) or ()) if i))
        if not ids:
            return None
        terms = [wq.Term("id", i) for i in ids]
        out = terms[0] if len(terms) == 1 else wq.Or(terms)
        out.boost = q.boost
        return out
    if q.is_leaf() or isinstance(q, SameParagraph) or not has_cited_by(q):
        return q
    if isinstance(q, wq.Not):
        inner = _resolve(q.query, cited_ids)
        return wq.Not(inner if inner is not None else wq.NullQuery)
    if isinstance(q, (wq.And, wq.Or)):
        parts = [_resolve(sub, cited_ids) for sub in q.subqueries]
        if isinstance(q, wq.Or):
            parts = [p for p in parts if p is not None]
            if not parts:
                return None
        else:
            if any(p is None for p, sub in zip(parts, q.subqueries) if not isinstance(sub, wq.Not)):
                return None
            # NOT (nothing) takes nothing away
            parts = [p for p in parts if not (isinstance(p, wq.Not) and p.query is wq.NullQuery)]
            if not parts:
                return wq.Every()
        out = parts[0] if len(parts) == 1 and isinstance(q, wq.Or) else type(q)(parts, boost=q.boost)
        return out
    return q.apply(lambda child: _resolve(child, cited_ids) or wq.NullQuery)
