"""Paragraph scope over the real corpus: the fast body indexer makes exactly the analyzer's terms,
and para:(...) queries return exactly the cables that a per-paragraph Python filter selects.

The filter reads the parsed records' paragraphs through Whoosh's own analyzer (fields.TEXT_ANALYZER,
what queries use), not through the indexer under test.
"""
from __future__ import annotations

from array import array
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from cablesearch.fields import TEXT_ANALYZER, CableText, analyse_words, keeps_positions, paragraph_of, paragraph_texts
from cablesearch.model import Cable

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not (CORPUS / "cables").is_dir(),
                                  reason=f"the real corpus is absent ({CORPUS}/cables not found)")


def analyzer_terms(text: str) -> list[str]:
    return [t.text for t in TEXT_ANALYZER(text)]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
@settings(max_examples=300, deadline=None)
def test_fast_terms_equal_the_analyzers_for_any_text(text):
    assert analyse_words(text) == analyzer_terms(text)


@pytest.mark.parametrize("whoosh_positions", [False, True])
def test_paragraphs_start_at_their_own_range_of_positions(whoosh_positions):
    field = CableText(whoosh_positions)
    decode = field.format.decode_positions if whoosh_positions else (lambda value: array("I", value).tolist())
    postings = {term.decode(): decode(value) for term, _, _, value in field.index(["Belarus and Minsk.", "Minsk again"])}
    assert [paragraph_of(p) for p in postings["minsk"]] == [0, 1]
    assert postings["belaru"] == [0]
    assert postings["again"] == [(1 << 20) + 1]


def test_whoosh_postings_keep_no_positions_unless_asked():
    assert not CableText().format.supports("positions") and keeps_positions(CableText())
    assert CableText(whoosh_positions=True).format.supports("positions")
    assert CableText().format.fixed_value_size() == 0  # Whoosh's writer stores no value per posting


@pytest.fixture(scope="module")
def records(real_corpus) -> dict[str, Cable]:
    return real_corpus.latest()


@needs_corpus
def test_fast_terms_equal_the_analyzers_on_every_real_paragraph(records):
    mismatched = [rid for rid, cable in records.items()
                  if any(analyse_words(text) != analyzer_terms(text) for text in paragraph_texts(cable))]
    assert mismatched == []


def _paragraphs(cable: Cable) -> list[tuple[list[str], set[str]]]:
    """(terms, marking terms) per paragraph, in index order."""
    if not cable.paragraphs:
        return [(analyzer_terms(cable.body), set())] if cable.body else []
    out = []
    for p in cable.paragraphs:
        marks = {p.marking.lower(), p.marking.split("/")[0].lower()} if p.marking else set()
        out.append((analyzer_terms(p.text), marks))
    return out


def has(*words):
    return lambda terms, marks: all(w in terms for w in words)


def phrase(*words):
    n = len(words)
    return lambda terms, marks: any(tuple(terms[i:i + n]) == words for i in range(len(terms) - n + 1))


def marked(marking):
    return lambda terms, marks: marking in marks


def both(*tests):
    return lambda terms, marks: all(t(terms, marks) for t in tests)


def either(*tests):
    return lambda terms, marks: any(t(terms, marks) for t in tests)


def but(test):
    return lambda terms, marks: not test(terms, marks)


def starting(prefix):
    return lambda terms, marks: any(t.startswith(prefix) for t in terms)


PARAGRAPH_ORACLE = [
    ("para:(Iran nuclear)", has("iran", "nuclear")),
    ("para:(marking:S Iran)", both(marked("s"), has("iran"))),
    ("para:(Iran -nuclear)", both(has("iran"), but(has("nuclear")))),
    ("para:(marking:C -Iran)", both(marked("c"), but(has("iran")))),
    ('para:("human rights" abuses)', both(phrase("human", "right"), has("abus"))),
    ("para:(terror* marking:S/NF)", both(starting("terror"), marked("s/nf"))),
    ("para:((Iraq OR Syria) border)", both(either(has("iraq"), has("syria")), has("border"))),
    ("para:(marking:SBU -marking:C)", both(marked("sbu"), but(marked("c")))),
]


@needs_corpus
@pytest.mark.parametrize("query, holds", PARAGRAPH_ORACLE, ids=[q for q, _ in PARAGRAPH_ORACLE])
def test_para_queries_return_exactly_the_cables_with_such_a_paragraph(real_corpus, records, query, holds):
    expected = {rid for rid, cable in records.items()
                if any(holds(terms, marks) for terms, marks in _paragraphs(cable))}
    assert 0 < len(expected) < len(records), f"{query} is vacuous here"
    results = real_corpus.index.search(query, limit=len(expected) + 5, facets=())
    found = {hit.id for hit in results.hits}
    assert found == expected, (f"{query}: {len(found - expected)} unexpected, e.g. {sorted(found - expected)[:3]}; "
                               f"{len(expected - found)} missing, e.g. {sorted(expected - found)[:3]}")
    assert results.total == len(expected)
    for hit in results.hits[:20]:  # the first snippet is a paragraph where the query holds
        paragraphs = _paragraphs(records[hit.id])
        numbers = [p.number for p in records[hit.id].paragraphs] or [None]
        first = hit.snippets[0]
        assert any(holds(*paragraphs[i]) for i, n in enumerate(numbers) if n == first.paragraph), hit.id
