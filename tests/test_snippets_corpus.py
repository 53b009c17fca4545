"""Snippets cut without Whoosh's highlighter pick the same passage and marks it would.

results.excerpt ports Whoosh's ContextFragmenter and fragment scoring over cheap tokens (its
highlighter built token objects for every word of every paragraph of every hit: most of the time
of a search's top hits). Checked against whoosh.highlight on real paragraphs with words of each.
"""
from __future__ import annotations

import random

import pytest
from whoosh.highlight import ContextFragmenter, highlight

from cablesearch import results
from cablesearch.fields import TEXT_ANALYZER, analyse_words
from cablesearch.model import Cable
from cablesearch.readers import read_cables
from conftest import CABLES_DIR


class _Fragments:
    def __call__(self, text, fragments):
        return fragments


def whoosh_excerpt(text: str, terms: frozenset[str]):
    fragmenter = ContextFragmenter(maxchars=results.SNIPPET_CHARS, surround=results.SNIPPET_CONTEXT)
    found = highlight(text, terms, TEXT_ANALYZER, fragmenter, _Fragments(), top=1)
    if not found:
        return None
    f = found[0]
    return results._snippet(text, f.startchar, f.endchar, [(m.startchar, m.endchar) for m in f.matches], None, None)


def test_excerpts_equal_whoosh_highlighting_on_real_paragraphs():
    if not CABLES_DIR.is_dir():
        pytest.skip(f"the real corpus folder {CABLES_DIR} is absent")
    rng = random.Random(3)
    files = rng.sample(sorted(CABLES_DIR.glob("*.txt")), 300)
    checked = 0
    for cable in read_cables(files):
        if not isinstance(cable, Cable):
            continue
        for paragraph in cable.paragraphs[:6]:
            words = analyse_words(paragraph.text)
            if not words:
                continue
            terms = frozenset(rng.sample(words, min(2, len(words))) + ["iran", "nuclear"])
            assert results.excerpt(paragraph.text, terms) == whoosh_excerpt(paragraph.text, terms), paragraph.text
            checked += 1
    assert checked > 1000


def test_an_excerpt_without_matches_is_none_and_ties_take_the_last_passage():
    text = "Iran said one thing. " + "filler words here " * 30 + "Iran said another."
    assert results.excerpt(text, frozenset({"belaru"})) is None
    assert results.excerpt(text, frozenset({"iran"})) == whoosh_excerpt(text, frozenset({"iran"}))


def test_words_whose_stem_changes_early_are_excerpted():
    """"days" stems to "dai": the quick test for texts without any match must not skip it."""
    text = "They stayed three days in Baku."
    assert results.excerpt(text, frozenset({"dai"})) == whoosh_excerpt(text, frozenset({"dai"})) is not None
    assert results._count_matches(text, frozenset({"dai"})) == 1


def test_every_stem_keeps_the_start_the_quick_test_looks_for():
    """Each distinct word of 300 real cables holds its stem's start, as results._may_hold assumes."""
    if not CABLES_DIR.is_dir():
        pytest.skip(f"the real corpus folder {CABLES_DIR} is absent")
    words = set()
    for cable in read_cables(sorted(CABLES_DIR.glob("*.txt"))[:300]):
        if isinstance(cable, Cable):
            words.update(w.lower() for p in cable.paragraphs for w in p.text.split())
    failing = [w for w in words if analyse_words(w) and not results._may_hold(w, frozenset(analyse_words(w)[:1]))]
    assert len(words) > 5000 and failing == []
