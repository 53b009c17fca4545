"""What the index hands back: search results, hits, snippets, summaries and statistics.

Plain frozen dataclasses so every front end (REPL, CLI text/JSON/CSV, Python callers) renders
the same objects. Snippets carry character spans of the matched words, never markup.
Whoosh is imported only when a snippet is cut, so the CLI can import SORTS and DEFAULT_FACETS
(and the result types) at start-up for free. What following a story returns (similar cables, the
citation graph, threads) is in story_results.py, also importable from here.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections import deque
from itertools import islice
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

SORTS = ("relevance", "date", "-date")                  # CableIndex.search(sort=...): oldest / newest first
QUERY_FORMATS = ("text", "json", "jsonl", "csv")        # how the CLI and the REPL print search results
GRAPH_FORMATS = ("text", "json", "dot", "graphml")      # how `refs` prints a citation graph
DIRECTIONS = ("cites", "cited-by", "both")              # which references a citation graph follows
DEFAULT_FACETS = ("tag", "origin", "year", "classification")  # CableIndex.search(facets=...) default
SNIPPETS_PER_HIT = 3
SNIPPET_CHARS = 240     # longest excerpt of one paragraph
SNIPPET_CONTEXT = 70    # characters of context around the matched words
ELLIPSIS = "…"


@dataclass(frozen=True)
class Snippet:
    """An excerpt of one paragraph (or of the subject, paragraph=None) with matched-word spans."""
    paragraph: int | None
    marking: str | None
    text: str
    matches: tuple[tuple[int, int], ...] = ()   # (start, end) character offsets into `text`


@dataclass(frozen=True)
class Hit:
    """One matching cable as a result line shows it."""
    rank: int                   # 1-based, counting from the first result of the whole search
    id: str
    date: datetime | None
    origin: str
    origin_name: str
    classification: str
    tags: tuple[str, ...]
    subject: str
    score: float                # relevance score; 0.0 when sorted by date
    snippets: tuple[Snippet, ...] = ()


@dataclass(frozen=True)
class Results:
    """One page of a search: the hits, the total, and facet counts over all matching cables."""
    query: str
    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, list[tuple[str, int]]]
    elapsed: float
    offset: int = 0
    limit: int = 10
    sort: str = "relevance"
    warnings: tuple[str, ...] = ()

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


@dataclass(frozen=True)
class Citation:
    """One item of a cable's REF line, resolved against the index."""
    label: str
    text: str
    id: str | None              # canonical reference id, None when the REF item names no cable
    in_index: bool              # the cited cable is in this index
    date: datetime | None = None
    subject: str = ""


@dataclass
class IndexProgress:
    """Passed to the `progress` callback of CableIndex.add after every input and every commit.

    One object, updated in place during a run: copy it (dataclasses.replace) to keep a snapshot.
    """
    event: str                  # "read" (one more input consumed) or "commit" (a batch is durable)
    read: int = 0               # inputs consumed so far (cables and rejected inputs)
    total: int | None = None    # expected number of inputs, when known (for rate and ETA)
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    rejected: int = 0
    committed: int = 0          # cables whose outcome is committed (added + replaced + unchanged)
    batches: int = 0            # commits so far
    elapsed: float = 0.0


@dataclass(frozen=True)
class IndexSummary:
    """What one `add` run did. Rejected inputs are listed here and in `log_path`."""
    added: int
    replaced: int
    unchanged: int
    rejected: int
    errors: tuple[Any, ...] = ()        # ReadError items (source, reason)
    batches: int = 0
    elapsed: float = 0.0
    log_path: Path | None = None        # rejected.log beside the index, when anything was rejected

    @property
    def read(self) -> int:
        return self.added + self.replaced + self.unchanged + self.rejected

    def __str__(self) -> str:
        text = (f"{self.added} added, {self.replaced} replaced, {self.unchanged} unchanged, "
                f"{self.rejected} rejected in {self.elapsed:.1f}s")
        if self.rejected and self.log_path:
            text += f" (reasons in {self.log_path})"
        return text


@dataclass(frozen=True)
class IndexStats:
    """Size and shape of an index, for `cablesearch stats` and the REPL banner."""
    path: Path
    cables: int
    first_date: datetime | None
    last_date: datetime | None
    classifications: list[tuple[str, int]] = field(default_factory=list)
    size_bytes: int = 0
    segments: int = 0


# --- facets ------------------------------------------------------------------------------------

# --- snippets ----------------------------------------------------------------------------------

def excerpt(text: str, terms: frozenset[str], *, paragraph: int | None = None,
            marking: str | None = None, words: Iterable[tuple[int, str]] | None = None) -> Snippet | None:
    """The best excerpt of `text` around the words whose analysed form is in `terms`, else None.
    `words`, where known (from the index's positions), are those words as (word number, term)."""
    if not terms or not text:
        return None
    hits = _hits_at(text, words) if words is not None else None
    if hits is None:
        if not _may_hold(text, terms):
            return None
    elif not hits:
        return None
    best = None
    for fragment in _fragments(text, terms, hits):
        score = len(fragment[2]) * (len({term for _, _, term in fragment[2]}) * 100 or 1)
        if best is None or score >= best[0]:  # as Whoosh: of equal scores, the last passage
            best = (score, fragment)
    if best is None:
        return None
    start, end, matches = best[1]
    return _snippet(text, start, end, [(s, e) for s, e, _ in matches], paragraph, marking)


def _may_hold(text: str, terms: frozenset[str]) -> bool:
    """False where no word of `text` can have its analysed form in `terms`. Porter stemming changes
    at most the last two letters of what it keeps ("days" -> "dai", "sensibility" -> "sensibl"), so
    a word holding a stem holds the stem's start up to those two letters."""
    lowered = text.lower()
    return any(term[:min(3, len(term) - 2)] in lowered for term in terms)


def _count_matches(text: str, terms: frozenset[str]) -> int:
    """How many words of `text` have their analysed form in `terms`."""
    if not terms or not text:
        return 0
    if not _may_hold(text, terms):
        return 0
    from .fields import analyse_words
    return sum(1 for term in analyse_words(text) if term in terms)


def _fragments(text: str, terms: frozenset[str], hits: dict[int, str] | None = None):
    """(start, end, matched tokens) of each passage around matched words: Whoosh's
    ContextFragmenter (SNIPPET_CHARS long at most, SNIPPET_CONTEXT characters of context) over the
    tokens of fields.TEXT_ANALYZER, without building its token objects. Between passages, the
    words that cannot be context of the next possible match are skipped unread (see _resume_at).
    `hits` (the matched words by where they start, with their terms) spares analysing words."""
    from .fields import _stems, term_of, word_matches
    maxchars, surround = SNIPPET_CHARS, SNIPPET_CONTEXT
    first, firsts, countdown, matched, current, endchar = None, deque(), -1, [], 0, None
    if hits is not None:
        source, next_match, plain = text, _next_known(hits), True  # words are not read, only located
    else:
        plain = text.isascii()  # then lower-casing keeps every offset: words are found in the lowered text
        source = text.lower() if plain else text
        next_match = _next_possible(terms) if plain else None
    position = 0
    while position is not None:
        if next_match is not None:  # idle: start reading shortly before the next possible match
            found = next_match(source, position)
            if found is None:
                break
            resume = _resume_at(source, found, surround)
            if resume > position:
                position = resume
                firsts.clear()  # what it held was too far from any match to come
        words, position = word_matches(source, position), None
        for match in words:
            startchar, endchar = match.span()
            if hits is not None:
                term = hits.get(startchar)
                hit = term is not None
            else:
                word = match.group() if plain else match.group().lower()
                term = _stems.get(word) or term_of(word)  # the cache inline: this runs per word of a hit
                hit = term in terms
            length = endchar - startchar
            if countdown < 0 and not hit:
                firsts.append(startchar)
                while firsts and endchar - firsts[0] > surround:
                    firsts.popleft()
            elif current + length > maxchars:
                countdown = 0
            elif hit:
                countdown = surround
                if first is None:
                    if firsts:
                        first = firsts[0]
                    else:
                        first = startchar
                        countdown += surround
                matched.append((startchar, endchar, term))
            if countdown >= 0:
                current += length
                countdown -= length
                if countdown <= 0:
                    yield first, endchar, matched
                    first, firsts, matched, current = None, deque(), [], 0
                    if next_match is not None and countdown < 0:  # at 0, the next word ends a passage too
                        position = endchar
                        break
    if matched:
        yield first, endchar, matched


def _hits_at(text: str, words: Iterable[tuple[int, str]]) -> dict[int, str] | None:
    """{where the word starts: its term} for the given (word number, term), or None where a
    number is past the text's words (a text other than the one indexed)."""
    from .fields import PARAGRAPH_GAP, word_matches
    wanted = dict(words)
    if not wanted:
        return {}
    last = max(wanted)
    if last >= PARAGRAPH_GAP - 1:  # the index gives every later word the paragraph's last number
        return None
    found = list(islice(word_matches(text), last + 1))
    if len(found) <= last:
        return None
    return {found[number].start(): term for number, term in wanted.items()}


def _next_known(hits: dict[int, str]) -> Callable[[str, int], int | None]:
    """Where the next matched word starts, from a position on (None after the last)."""
    starts = sorted(hits)

    def find(source: str, position: int) -> int | None:
        at = bisect_left(starts, position)
        return starts[at] if at < len(starts) else None
    return find


def _next_possible(terms: frozenset[str]) -> Callable[[str, int], int | None] | None:
    """Where the next word that may match starts (see _possible_matches), or None where a term
    is too short to tell."""
    pattern = _possible_matches(terms)
    if pattern is None:
        return None

    def find(source: str, position: int) -> int | None:
        found = pattern.search(source, position)
        return None if found is None else found.start()
    return find


def _possible_matches(terms: frozenset[str]) -> re.Pattern | None:
    """A pattern for the lower-cased words that may have their analysed form in `terms` (they start
    with the start _may_hold looks for), or None where some term is too short to tell."""
    starts = {term[:len(term) - 2] for term in terms}
    if not all(starts):
        return None
    return re.compile(r"(?<![\w*])(?:" + "|".join(map(re.escape, sorted(starts, key=len, reverse=True))) + ")")


def _resume_at(source: str, candidate: int, surround: int) -> int:
    """Where reading can start so that the words kept as context before a match at `candidate`
    are those a reading from the start keeps: `surround` characters before the end of the word
    preceding it, moved back to a space (no word runs across one)."""
    end = candidate
    while end > 0 and not (source[end - 1].isalnum() or source[end - 1] in "_*"):
        end -= 1
    limit = end - surround - 1
    if limit <= 0:
        return 0
    return max(source.rfind(" ", 0, limit), source.rfind("\n", 0, limit)) + 1


def lead(text: str, *, paragraph: int | None = None, marking: str | None = None) -> Snippet:
    """The opening of `text`, cut at a word boundary: the snippet when no words matched."""
    end = len(text)
    if end > SNIPPET_CHARS:
        end = text.rfind(" ", 0, SNIPPET_CHARS)
        end = SNIPPET_CHARS if end <= 0 else end
    return _snippet(text, 0, end, [], paragraph, marking)


def _snippet(text, start, end, spans, paragraph, marking) -> Snippet:
    # Trim whitespace at the cut, mark cuts with an ellipsis, and shift spans to the excerpt.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not any(ch.isalnum() for ch in text[end:]):  # only punctuation left: keep it
        end = len(text.rstrip())
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text.rstrip()) else ""
    shift = len(prefix) - start
    body = text[start:end].replace("\n", " ")  # same length, so spans stay valid
    matches = tuple((s + shift, e + shift) for s, e in spans if start <= s and e <= end)
    return Snippet(paragraph, marking, prefix + body + suffix, matches)


def hit_snippets(record: Mapping[str, Any], text_terms: frozenset[str],
                 subject_terms: frozenset[str], exact_paragraphs: Iterable[int] = (),
                 para_terms: frozenset[str] = frozenset(),
                 words: Mapping[str, Mapping[int, list[int]]] | None = None,
                 subject_words: Iterable[tuple[int, str]] | None = None) -> tuple[Snippet, ...]:
    """Snippets for one hit: the paragraphs that matched, best first by number of matched words.

    `exact_paragraphs` are paragraphs (0-based, in body order) a para:(...) query matched; they
    come first, highlighted with `para_terms` too. Other paragraphs qualify when they contain body
    words of the query. When none matched, the subject (if its words matched) or else the first
    paragraph stands in. `words` (term -> paragraph -> the numbers of the words where it stands,
    from the index) spares analysing every paragraph to rank them, and the words of those cut;
    `subject_words` (word number, term), where given, are the subject's words to mark.
    """
    paragraphs = _paragraphs(record)
    exact = set(exact_paragraphs)
    # A passage holds at most its paragraph's matches, so paragraphs are cut in order of their
    # counts, and cutting stops once no paragraph left can beat the best SNIPPETS_PER_HIT.
    bounds = []
    if words is not None:
        counts = _paragraph_counts(words, text_terms, para_terms, exact)
        orders = sorted(order for order in set(counts) | exact if order < len(paragraphs))
    else:
        orders = range(len(paragraphs))
    for order in orders:
        terms = text_terms | para_terms if order in exact else text_terms
        count = counts.get(order, 0) if words is not None else _count_matches(paragraphs[order][2], terms)
        if count or order in exact:
            bounds.append((order not in exact, -count, order, terms))
    bounds.sort(key=lambda b: b[:3])
    candidates = []
    for not_exact, most, order, terms in bounds:
        if len(candidates) >= SNIPPETS_PER_HIT and (not_exact, most, order) > candidates[SNIPPETS_PER_HIT - 1][:3]:
            break
        number, marking, text = paragraphs[order]
        known = None if words is None else \
            [(word, term) for term in terms for word in words.get(term, {}).get(order, ())]
        snippet = excerpt(text, terms, paragraph=number, marking=marking, words=known)
        if snippet is None and not not_exact:
            snippet = lead(text, paragraph=number, marking=marking)
        if snippet is not None:
            candidates.append((not_exact, -len(snippet.matches), order, snippet))
            candidates.sort(key=lambda c: c[:3])
    if candidates:
        best = candidates[:SNIPPETS_PER_HIT]
        return tuple(c[3] for c in sorted(best, key=lambda c: c[2]))
    subject = record.get("subject") or ""
    snippet = excerpt(subject, subject_terms, words=subject_words)
    if snippet is not None:
        return (snippet,)
    if paragraphs:
        number, marking, text = paragraphs[0]
        return (lead(text, paragraph=number, marking=marking),)
    return (lead(subject),) if subject else ()


def phrase_positions(positions: Mapping[str, Iterable[int]], phrases: Iterable[tuple[str, ...]] = (),
                     only_in_phrases: frozenset[str] = frozenset()) -> dict[str, list[int]]:
    """The positions of each term to mark, sorted: a term of `only_in_phrases` only where one of
    `phrases` (terms at consecutive positions) stands, so that `"one of the"` marks that phrase,
    not every "the"."""
    kept = {term: sorted(found) for term, found in positions.items() if term not in only_in_phrases}
    for words in phrases:
        starts = set(positions.get(words[0], ()))
        for offset, word in enumerate(words[1:], start=1):
            starts &= {position - offset for position in positions.get(word, ())}
        for offset, word in enumerate(words):
            if word in only_in_phrases and word in positions:
                kept[word] = sorted(set(kept.get(word, ())) | {start + offset for start in starts})
    return kept


def paragraph_words(positions: Mapping[str, Iterable[int]]) -> dict[str, dict[int, list[int]]]:
    """Per term, the words (0-based, in their paragraph) where it stands in each paragraph, from
    its positions in the body (paragraph << PARAGRAPH_SHIFT | word)."""
    from .fields import PARAGRAPH_GAP, PARAGRAPH_SHIFT
    out: dict[str, dict[int, list[int]]] = {}
    for term, found in positions.items():
        by_paragraph = out[term] = {}
        for position in found:
            by_paragraph.setdefault(position >> PARAGRAPH_SHIFT, []).append(position & (PARAGRAPH_GAP - 1))
    return out


def analysed_positions(texts: Iterable[str], terms: frozenset[str]) -> dict[str, list[int]]:
    """The positions of `terms` in paragraphs `texts`, found by analysing them as the index numbers
    their words (paragraph << PARAGRAPH_SHIFT | word)."""
    from .fields import PARAGRAPH_GAP, PARAGRAPH_SHIFT, analyse_words
    out: dict[str, list[int]] = {}
    for order, text in enumerate(texts):
        base = order << PARAGRAPH_SHIFT
        for word, term in enumerate(analyse_words(text)):
            if term in terms:
                out.setdefault(term, []).append(base + min(word, PARAGRAPH_GAP - 1))
    return out


def paragraph_texts_of(record: Mapping[str, Any]) -> list[str]:
    """The texts of a record's paragraphs, as the index numbers them."""
    return [text for _, _, text in _paragraphs(record)]


def _paragraph_counts(words: Mapping[str, Mapping[int, list[int]]], text_terms: frozenset[str],
                      para_terms: frozenset[str], exact: set[int]) -> dict[int, int]:
    """Matched words per paragraph: of text_terms, and of para_terms too in the exact paragraphs."""
    counts: dict[int, int] = {}
    for term, by_paragraph in words.items():
        in_text = term in text_terms
        if not in_text and term not in para_terms:
            continue
        for order, found in by_paragraph.items():
            if in_text or order in exact:
                counts[order] = counts.get(order, 0) + len(found)
    return counts


def _paragraphs(record: Mapping[str, Any]) -> list[tuple[int | None, str | None, str]]:
    """(number, marking, text) per paragraph, in the order fields.paragraph_texts indexes them."""
    paragraphs = [(p["number"], p.get("marking"), p["text"]) for p in record.get("paragraphs") or ()]
    if not paragraphs and record.get("body"):
        paragraphs = [(None, None, record["body"])]
    return paragraphs


# The types of following a story live in story_results.py, imported when one is first asked for here.
_STORY_RESULTS = ("SimilarTerm", "SimilarHit", "Similar", "GraphNode", "GraphEdge", "CitationGraph",
                  "ThreadLink", "ThreadEntry", "Thread")


def __getattr__(name: str):
    if name in _STORY_RESULTS:
        from . import story_results
        return getattr(story_results, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
