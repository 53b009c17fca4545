"""The engine (arrays) and SegmentQuery (sets of docnums, term-by-term scores) against Whoosh's own matchers.

Searches count matches with sets and sum scores term by term instead of stepping Whoosh's matchers;
both must give exactly the matchers' documents and, to rounding, their scores. Checked segment by
segment on the index of the real corpus (conftest.py), and on the small index of hand-written
fixtures so that it also runs where the corpus is absent.

Except the scores of prefixes, wildcards, fuzzy terms and ranges that expand to several terms: they
are constant-score queries, and SegmentQuery gives the documented constant (the boost) where
Whoosh's matchers give the boost or the sum of the terms' weights, by which kind of union they pick.
"""
from __future__ import annotations

import math

import pytest
from whoosh import query as wq

from cablesearch import CableIndex
from cablesearch.engine.matching import ArrayQuery
from cablesearch.engine.scoring import Unsupported
from cablesearch.matching import SegmentQuery
from cablesearch.searching import _with_archive_ids
from cablesearch.query import compile_query
from cablesearch.query.paragraph import walk

QUERIES = [
    "nuclear", "Iran AND (nuclear OR uranium)", "tag:PHUM from:BAKU", "-tag:PHUM", "Taliban -Pakistan",
    "bel*", "terror*", "Lukashenka~1", "b?larus", '"human rights"', '"prime minister" Iran',
    '"the the"', "para:(marking:S Iran)", 'para:("human rights" -Azerbaijan)', "para:(-marking:U)",
    "date:2007-01..2007-06 Iran", "class:>=SECRET", "subject:Belarus^2 Minsk", "(Chavez OR Medvedev)^3 oil",
    "id:07BAKU*", "07BAKU595", "to:STATE tag:PREL", '"human rights"~3 Belarus', "Lukashenko Belarus Minsk",
    '"the government of"', '"according to"', "China Taiwan arms", '"of the" -"in the"', '"human rights" tag:PREL',
    "para:(Iran nuclear)", 'para:("prime minister" Iran)', "para:(bel* OR Minsk) -tag:PHUM", "para:(Iran OR Iraq -marking:U)",
    "-(Iran OR Iraq)", "subject:(Iran nuclear)", "(Iran OR Iraq) AND NOT tag:PREL", "signer:DERSE",
    '"Aliyev Lukashenko"~10', '"nuclear program Iran"~4', 'para:("Iran nuclear"~3 -marking:U)',
    "signer:*", "caption:* -tag:PREL", "Iran -caption:*",
]
ARRAYS_CANNOT: set[str] = set()  # queries that go through Whoosh's matchers


def whoosh_matches(q, leaf) -> dict[int, float]:
    """docnum -> score, as Whoosh's matcher gives them."""
    matcher = q.matcher(leaf, leaf.context())
    found = {}
    while matcher.is_active():
        found[matcher.id()] = matcher.score()
        matcher.next()
    return found


def check_against_whoosh(index: CableIndex, text: str) -> int:
    """Assert SegmentQuery agrees with the matchers on every segment; returns the number of matches."""
    q = _with_archive_ids(compile_query(text))
    total = 0
    with index._lock:
        for leaf, _, state in index._segments(index.searcher()):
            expected = whoosh_matches(q, leaf)
            live = {d: s for d, s in expected.items() if not leaf.reader().is_deleted(d)}
            check_arrays(q, leaf, state, live, text)
            evaluated = SegmentQuery(q, leaf)
            assert evaluated.docnums() == sorted(live), text
            by_sets = evaluated.docnums_by_sets()
            assert by_sets is None or by_sets == sorted(live), text
            scores = SegmentQuery(q, leaf).scores() if by_sets is not None else None
            expands = any(isinstance(node, wq.MultiTerm) for node in walk(q))
            if scores is not None and not expands:
                wrong = [d for d, s in live.items() if not math.isclose(scores[d], s, rel_tol=1e-9, abs_tol=1e-12)]
                assert wrong == [], f"{text}: {len(wrong)} scores differ, e.g. {wrong[0]}: {scores[wrong[0]]} != {live[wrong[0]]}"
            total += len(live)
    return total


def check_arrays(q, leaf, state, live: dict[int, float], text: str) -> None:
    """The array engine finds exactly Whoosh's live matches, with its scores to 1e-6."""
    assert state.arrays is not None, "every segment written by this version has postings arrays"
    try:
        found = ArrayQuery(state.arrays, leaf).run(q)
    except Unsupported:
        assert text in ARRAYS_CANNOT, f"{text}: the arrays could not evaluate it"
        return
    assert text not in ARRAYS_CANNOT
    docs = found.mask.nonzero()[0].tolist()
    assert docs == sorted(live), text
    if not any(isinstance(node, wq.MultiTerm) for node in walk(q)):
        wrong = [d for d in docs if not math.isclose(found.scores[d], live[d], rel_tol=1e-6, abs_tol=1e-9)]
        assert wrong == [], f"{text}: {len(wrong)} scores differ, e.g. {wrong[0]}: {found.scores[wrong[0]]} != {live[wrong[0]]}"
    unscored = ArrayQuery(state.arrays, leaf, scored=False).run(q)
    assert unscored.mask.nonzero()[0].tolist() == docs


@pytest.mark.parametrize("text", QUERIES)
def test_sets_and_sums_agree_with_whoosh_on_the_real_corpus(reference_corpus, text):
    check_against_whoosh(reference_corpus.index, text)


def test_the_real_corpus_queries_are_not_vacuous(real_corpus):
    totals = {text: real_corpus.index.search(text, limit=0, facets=()).total for text in QUERIES}
    assert sum(1 for n in totals.values() if n > 0) >= len(QUERIES) - 2, totals


@pytest.mark.parametrize("text", QUERIES)
def test_sets_and_sums_agree_with_whoosh_on_the_fixtures(reference_small_index, text):
    with CableIndex.open(reference_small_index) as index:
        check_against_whoosh(index, text)


# Whoosh's matchers need Whoosh's positions, which indexes keep only in the arrays: the checks above
# run on reference indexes that keep both; these show the usual index answers exactly as they do.

def check_same_answers(index: CableIndex, reference: CableIndex, text: str) -> None:
    """The same matches, scores, snippets and facets. Equal scores rank in index order, which two
    builds with two processes need not share: the hits are compared as sets per score, and at
    the page's lowest score by their number. (Prefixes, wildcards and fuzzy terms expand per
    segment, so their scores depend on which cables share a segment: only their matches compare.)"""
    expected, found = reference.search(text, limit=50), index.search(text, limit=50)
    assert found.total == expected.total, text
    assert found.facets == expected.facets, text
    if any(isinstance(node, wq.MultiTerm) for node in walk(compile_query(text))):
        return

    def by_score(results) -> dict[float, dict[str, tuple]]:
        out: dict[float, dict[str, tuple]] = {}
        for hit in results.hits:
            out.setdefault(round(hit.score, 9), {})[hit.id] = hit.snippets
        return out

    ours, theirs = by_score(found), by_score(expected)
    assert sorted(ours) == sorted(theirs), text
    lowest = min(ours, default=None)
    for score in ours:
        if score == lowest:
            assert len(ours[score]) == len(theirs[score]), text
        else:
            assert ours[score] == theirs[score], text


@pytest.mark.parametrize("text", QUERIES)
def test_the_index_answers_as_the_reference_on_the_real_corpus(real_corpus, reference_corpus, text):
    check_same_answers(real_corpus.index, reference_corpus.index, text)


@pytest.mark.parametrize("text", QUERIES)
def test_the_index_answers_as_the_reference_on_the_fixtures(small_index, reference_small_index, text):
    with CableIndex.open(small_index) as index, CableIndex.open(reference_small_index) as reference:
        check_same_answers(index, reference, text)


def test_ranking_is_by_score_then_index_order(real_corpus):
    results = real_corpus.index.search("Iran AND (nuclear OR uranium)", limit=50, facets=())
    keys = [-hit.score for hit in results.hits]
    assert keys == sorted(keys) and results.total > 50


@pytest.mark.parametrize("text", QUERIES)
def test_segments_searched_in_threads_answer_as_one_by_one(real_corpus, monkeypatch, text):
    """Large segments are evaluated side by side in threads; the real corpus's segments are small
    enough to go one by one unless the threshold is lowered."""
    from cablesearch.engine import search
    index = real_corpus.index
    with index._lock:
        assert len(index._segments(index.searcher())) >= 2
    one_by_one = index.search(text, limit=30, sort="relevance")
    monkeypatch.setattr(search, "THREADED_SEGMENT_DOCS", 1)
    threaded = index.search(text, limit=30, sort="relevance")
    assert threaded.total == one_by_one.total
    assert [(h.id, h.score, h.snippets) for h in threaded.hits] == [(h.id, h.score, h.snippets) for h in one_by_one.hits]
    assert threaded.facets == one_by_one.facets
