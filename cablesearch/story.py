"""Following a story across cables: similar cables, the citation graph, and threads.

Everything here goes through CableIndex's public methods (search, get, cites, cited_by) and the
searcher's document frequencies, so it does not depend on how the index executes a search.
"""
from __future__ import annotations

import copy
import math
import re
import time
import weakref
from collections import Counter
from typing import TYPE_CHECKING, Any, Iterable

from whoosh import query as wq

from .errors import CablesearchError
from .fields import FIELDS, analyse_words, keyword_value, paragraph_texts
from .results import DIRECTIONS, SNIPPET_CONTEXT, Snippet, _snippet
from .story_results import (CitationGraph, GraphEdge, GraphNode, Similar, SimilarHit, SimilarTerm, Thread, ThreadEntry,
                            ThreadLink)

if TYPE_CHECKING:
    from .index import CableIndex
    from .model import Cable

# --- similar cables ------------------------------------------------------------------------------

SIMILAR_TERMS = 25       # characteristic terms of the source that the search uses
MAX_DF_SHARE = 0.05      # terms (and tags) in more of the index's cables than this tell little, and cost
TAG_BOOST = 0.5          # a shared rare tag weighs as much as a middling characteristic term
BM25_K1 = 1.2            # term-frequency saturation, as the ranking's BM25F uses
MIN_TERM_FREQUENCY = 2   # a long cable's candidate terms (subject words count double), see characteristic_terms
_SUBJECT_BOOST = next(f.boost for f in FIELDS if f.name == "subject")
_WORD = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")  # fields.WORD_PATTERN: the words the analyzer sees
_STOP_WORDS = frozenset("""a an and are as at be by can for from have if in is it may not of on or that the
this to us we when will with yet you your he she they his her their its was were been has had which who
would should could also said says but there than then these those into about after over such other""".split())


def cited_ids(index: "CableIndex", reference_id: str) -> list[str]:
    """The reference ids on a cable's REF line (what `cited-by:ID` matches); [] when not indexed."""
    cable = index.get(reference_id)
    if cable is None:
        return []
    return list(dict.fromkeys(ref.id for ref in cable.references if ref.id))


def characteristic_terms(index: "CableIndex", cable: "Cable",
                         limit: int = SIMILAR_TERMS) -> list[SimilarTerm]:
    """The cable's most characteristic terms: tf (subject words count double, as ranked) saturated
    as BM25 does, times the index's idf; only terms some other cable has, and not too common."""
    frequency: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = {}
    for text, boost in ((cable.subject, _SUBJECT_BOOST), *((p, 1.0) for p in paragraph_texts(cable))):
        for word in _WORD.findall(text or ""):
            lowered = word.lower()
            if len(lowered) < 3 or lowered in _STOP_WORDS or any(ch.isdigit() for ch in lowered) \
                    or set(lowered) <= {"x", "*"}:
                continue
            term = analyse_words(lowered)[0]
            frequency[term] += boost
            surface.setdefault(term, Counter())[lowered] += 1
    if not frequency:
        return []
    searcher = index.searcher()
    cables = max(1, searcher.doc_count())
    most = max(2, int(cables * MAX_DF_SHARE))
    frequencies = _df_cache(searcher)
    # As Lucene's MoreLikeThis: words said once tell little of a long cable (and each look-up costs).
    repeated = [term for term, tf in frequency.items() if tf >= MIN_TERM_FREQUENCY]
    candidates = repeated if len(repeated) >= limit * 2 else list(frequency)
    weighed = []
    for term in candidates:
        tf = frequency[term]
        df = frequencies.get(term)
        if df is None:
            df = frequencies[term] = searcher.doc_frequency("body", term) or searcher.doc_frequency("subject", term)
        if df < 2 or df > most:
            continue
        idf = math.log(cables / (df + 1)) + 1  # Whoosh's idf, as its BM25F weighs terms
        weighed.append((tf * (BM25_K1 + 1) / (tf + BM25_K1) * idf, term))
    weighed = sorted(weighed, key=lambda wt: (-wt[0], wt[1]))[:limit]
    if not weighed:
        return []
    top = weighed[0][0]
    return [SimilarTerm(term, surface[term].most_common(1)[0][0], round(weight / top, 4))
            for weight, term in weighed]


_DF_CACHES: "weakref.WeakKeyDictionary[Any, dict[str, int]]" = weakref.WeakKeyDictionary()


def _df_cache(searcher) -> dict[str, int]:
    """Body document frequencies already looked up, per reader (a new commit brings a new reader)."""
    reader = searcher.reader()
    try:
        return _DF_CACHES.setdefault(reader, {})
    except TypeError:  # a reader that takes no weak reference: no cache
        return {}


def _telling_tags(index: "CableIndex", cable: "Cable") -> list[str]:
    """The cable's tags that are rare enough to say something (as indexed: lower case)."""
    searcher = index.searcher()
    most = max(2, int(max(1, searcher.doc_count()) * MAX_DF_SHARE))
    out = []
    for tag in dict.fromkeys(keyword_value(t).lower() for t in cable.tags if t.strip()):
        if 2 <= searcher.doc_frequency("tags", tag) <= most:
            out.append(tag)
    return out


def _restriction(index: "CableIndex", query: Any) -> wq.Query | None:
    """A query (text, AST or whoosh Query) as a whoosh Query; None for no restriction."""
    if query is None or (isinstance(query, str) and not query.strip()):
        return None
    if isinstance(query, wq.Query):
        return query
    from .query import compile_query
    return compile_query(query, index.schema)


def similar(index: "CableIndex", reference_id: str, query: Any = None, *, limit: int = 10) -> Similar | None:
    """Cables most like `reference_id`: an Or of its characteristic terms, weighted, and its rare
    tags, within `query` if given (which restricts but does not rank); None if it is not indexed."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise CablesearchError(f"limit must be a whole number >= 0, not {limit!r}")
    start = time.perf_counter()
    cable = index.get(reference_id)
    if cable is None:
        return None
    restrict = _restriction(index, query)
    terms = characteristic_terms(index, cable)
    tags = _telling_tags(index, cable)
    in_subject = set(analyse_words(cable.subject or ""))  # a body word rarely is a subject word elsewhere
    likeness = [wq.Term(name, t.term, boost=t.weight) for t in terms
                for name in (("subject", "body") if t.term in in_subject else ("body",))]
    likeness += [wq.Term("tags", tag, boost=TAG_BOOST) for tag in tags]
    text = query if isinstance(query, str) and query.strip() else (str(query) if query is not None else None)
    if not likeness:
        return Similar(cable.reference_id, cable.subject, (), (), text, 0, (), time.perf_counter() - start)
    parts: list[wq.Query] = [wq.Or(likeness)]
    if restrict is not None:
        restrict = copy.copy(restrict)
        restrict.boost = 0.0  # the restriction selects; the likeness alone ranks
        parts.append(restrict)
    parts.append(wq.Not(wq.Term("id", cable.reference_id)))
    results = index.search(wq.And(parts), limit=limit, facets=())
    words_of = {t.term: t.word for t in terms}
    source_tags = {keyword_value(t).lower() for t in cable.tags}
    hits = []
    for hit in results.hits:
        found = index.get(hit.id)
        held = _terms_held(found, words_of) if found is not None else set()
        hits.append(SimilarHit(hit, tuple(words_of[t.term] for t in terms if t.term in held),
                               tuple(tag for tag in hit.tags if keyword_value(tag).lower() in source_tags)))
    return Similar(cable.reference_id, cable.subject, tuple(terms), tuple(tags), text, results.total,
                   tuple(hits), time.perf_counter() - start)


def _terms_held(cable: "Cable", terms: Iterable[str]) -> set[str]:
    """Which of `terms` (analysed) a cable's subject or body holds."""
    held = set(analyse_words(cable.subject or ""))
    for text in paragraph_texts(cable):
        held.update(analyse_words(text))
    return held.intersection(terms)


# --- the citation graph --------------------------------------------------------------------------

def graph(index: "CableIndex", reference_id: str, *, depth: int = 1, direction: str = "both",
          query: Any = None, max_nodes: int = 2000) -> CitationGraph:
    """Breadth-first walk of the references from `reference_id`, `depth` hops: what each cable cites
    (direction "cites"), what cites it ("cited-by"), or both. With `query`, only cables matching it
    are kept and followed (dangling references cannot match and are left out). Each cable is visited
    once, so cycles end; references to cables the index lacks are nodes with in_index False."""
    if direction not in DIRECTIONS:
        raise CablesearchError(f"unknown direction {direction!r}; use one of: {', '.join(DIRECTIONS)}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise CablesearchError(f"depth must be a whole number >= 0, not {depth!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise CablesearchError(f"max_nodes must be a whole number >= 1, not {max_nodes!r}")
    restrict = _restriction(index, query)
    root_cable = index.get(reference_id)
    root_id = root_cable.reference_id if root_cable is not None else reference_id.strip().upper()
    nodes: dict[str, GraphNode] = {root_id: _node_of_cable(root_cable, root_id, 0)}
    labels: dict[tuple[str, str], list[str]] = {}
    frontier = [root_id]
    truncated = False
    for level in range(1, depth + 1):
        if not frontier:
            break
        found: dict[str, list[tuple[str, str, str]]] = {}  # neighbour -> edges (source, target, label)
        dangling: set[str] = set()
        for current in frontier:
            for source, target, label, in_index in _neighbours(index, current, direction, max_nodes):
                other = target if source == current else source
                found.setdefault(other, []).append((source, target, label))
                if not in_index:
                    dangling.add(other)
        new = [other for other in found if other not in nodes]
        kept = _indexed_nodes(index, [o for o in new if o not in dangling], restrict, level)
        if restrict is None:
            kept.update((o, GraphNode(o, False, level)) for o in new if o in dangling)
        frontier = []
        for other in found:
            if other not in nodes:
                if other not in kept:
                    continue
                if len(nodes) >= max_nodes:
                    truncated = True
                    continue
                nodes[other] = kept[other]
                frontier.append(other)
            for source, target, label in found[other]:
                labels.setdefault((source, target), [])
                if label and label not in labels[(source, target)]:
                    labels[(source, target)].append(label)
    edges = tuple(GraphEdge(s, t, ",".join(sorted(ls))) for (s, t), ls in labels.items()
                  if s in nodes and t in nodes)
    text = query if isinstance(query, str) and query.strip() else (str(query) if query is not None else None)
    return CitationGraph(root_id, depth, direction, text, tuple(nodes.values()), edges, truncated)


def _node_of_cable(cable: "Cable | None", reference_id: str, depth: int) -> GraphNode:
    if cable is None:
        return GraphNode(reference_id, False, depth)
    return GraphNode(cable.reference_id, True, depth, cable.created, cable.origin, cable.classification,
                     cable.subject)


def _neighbours(index: "CableIndex", reference_id: str, direction: str,
                limit: int) -> Iterable[tuple[str, str, str, bool]]:
    """(citing, cited, REF label, other end indexed) for each reference to or from a cable."""
    if direction in ("cites", "both"):
        for citation in index.cites(reference_id) or ():
            if citation.id:
                yield reference_id, citation.id.upper(), citation.label, citation.in_index
    if direction in ("cited-by", "both"):
        for hit in index.cited_by(reference_id, limit=limit):
            yield hit.id, reference_id, "", True


def _indexed_nodes(index: "CableIndex", ids: list[str], restrict: wq.Query | None,
                   depth: int) -> dict[str, GraphNode]:
    """Nodes for indexed cables `ids` that match `restrict` (all of them without one): one search."""
    out: dict[str, GraphNode] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        wanted: wq.Query = wq.Or([wq.Term("id", i) for i in chunk])
        if restrict is not None:
            wanted = wq.And([wanted, restrict])
        for hit in index.search(wanted, limit=len(chunk) * 2, facets=()).hits:
            out[hit.id] = GraphNode(hit.id, True, depth, hit.date, hit.origin, hit.classification, hit.subject)
    # A REF line may name a cable by the archive's malformed id; the index finds it under its own id.
    for missing in [i for i in ids if i not in out and restrict is None]:
        cable = index.get(missing)
        if cable is not None:
            out[missing] = GraphNode(missing, True, depth, cable.created, cable.origin, cable.classification,
                                     cable.subject)
    return out


# --- threads -------------------------------------------------------------------------------------

THREAD_DEPTH = 3
_REF_WORD = re.compile(r"\b(?:refs?|reftels?|references?|reftel)\b\.?:?", re.IGNORECASE)
_LABEL = re.compile(r"\s*\(?\s*([A-Za-z])(?![A-Za-z0-9])")
_SEPARATOR = re.compile(r"\s*(-|–|,|&|/|\band\b|\bthrough\b|\bthru\b)\s*", re.IGNORECASE)
_RANGE_WORDS = {"-", "–", "through", "thru"}
_ID_PARTS = re.compile(r"(\d{2})([A-Z]+?)(\d+)")


def thread(index: "CableIndex", reference_id: str, *, depth: int = THREAD_DEPTH,
           max_cables: int = 200) -> Thread:
    """The cables citing one another around `reference_id` (both directions, `depth` hops, at most
    `max_cables`), oldest first; each with the earlier-or-other thread cables it cites and, where its
    text says so, the paragraph that cites them."""
    g = graph(index, reference_id, depth=depth, direction="both", max_nodes=max_cables)
    indexed = {n.id: n for n in g.nodes if n.in_index}
    entries = []
    for node in sorted(indexed.values(), key=lambda n: (n.date is None, n.date or 0, n.id)):
        cable = index.get(node.id)
        if cable is None:
            continue
        links = []
        cited = dict.fromkeys(r.id.upper() for r in cable.references if r.id)  # edges at the walk's rim too
        for target in cited:
            if target in indexed and target != node.id:
                labels = [r.label for r in cable.references if r.id and r.id.upper() == target and r.label]
                links.append(ThreadLink(target, ",".join(labels), citing_paragraph(cable, target, labels)))
        links.sort(key=lambda link: _date_key(indexed[link.id]))
        entries.append(ThreadEntry(cable.reference_id, cable.created, cable.origin, cable.origin_name,
                                   cable.classification, cable.subject, tuple(links)))
    missing = tuple(sorted(n.id for n in g.nodes if not n.in_index))
    return Thread(g.root, tuple(entries), missing, g.truncated)


def _date_key(node: GraphNode) -> tuple:
    return (node.date is None, node.date.isoformat() if node.date else "", node.id)


def citing_paragraph(cable: "Cable", cited_id: str, labels: Iterable[str] = ()) -> Snippet | None:
    """The first paragraph of `cable` that names the cited cable: by its REF letter ("REF A", "REFS
    B AND C", "(ref a)"), as "REFTEL" when it is the only reference, by station and number
    ("BAKU 595") or by its id; None when no paragraph says so."""
    letters = {label.upper() for label in labels if len(label) == 1 and label.isalpha()}
    only_one = len({r.id or r.text for r in cable.references}) == 1
    patterns = [re.compile(rf"\b{re.escape(cited_id)}\b", re.IGNORECASE)]
    parts = _ID_PARTS.fullmatch(cited_id.upper())
    if parts:
        patterns.append(re.compile(rf"\b{parts.group(2)}\s+0*{int(parts.group(3))}\b", re.IGNORECASE))
    for paragraph in cable.paragraphs:
        span = _mentions(paragraph.text, letters, only_one, patterns)
        if span is not None:
            return _excerpt(paragraph.text, span, paragraph.number, paragraph.marking)
    if not cable.paragraphs and cable.body:
        span = _mentions(cable.body, letters, only_one, patterns)
        if span is not None:
            return _excerpt(cable.body, span, None, None)
    return None


def _mentions(text: str, letters: set[str], only_one: bool, patterns) -> tuple[int, int] | None:
    """The span of the first mention of the cited cable in `text`, else None."""
    best = None
    for match in _REF_WORD.finditer(text):
        named, end = _labels_after(text, match.end())
        bare = not named and not match.group().lower().startswith("reference")  # the English word
        if named & letters or (only_one and bare):
            best = (match.start(), end if named else match.end())
            break
    for pattern in patterns:
        found = pattern.search(text)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), found.end())
    return best


def _labels_after(text: str, pos: int) -> tuple[set[str], int]:
    """The REF letters listed at `pos` ("A", "B AND C", "A-G", "B, C, AND D") and where they end."""
    named: set[str] = set()
    match = _LABEL.match(text, pos)
    while match:
        letter = match.group(1).upper()
        named.add(letter)
        pos = match.end()
        separator = _SEPARATOR.match(text, pos)
        if not separator:
            break
        following = _LABEL.match(text, separator.end())
        if following is None:
            break
        if separator.group(1).lower() in _RANGE_WORDS:
            last = following.group(1).upper()
            named.update(chr(c) for c in range(ord(letter), ord(last) + 1))
        match = following
    return named, pos


def _excerpt(text: str, span: tuple[int, int], number: int | None, marking: str | None) -> Snippet:
    start = max(0, span[0] - SNIPPET_CONTEXT)
    end = min(len(text), span[1] + SNIPPET_CONTEXT * 2)
    if start > 0:
        space = text.find(" ", start, span[0])
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", span[1], end)
        end = space if space > 0 else end
    return _snippet(text, start, end, [span], number, marking)
