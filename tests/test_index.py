"""CableIndex over a small hand-made index: results, sorting, facets, snippets, paragraphs, re-indexing.

Every expected value below was worked out by hand from the five fixture cables in CABLES.
Queries are whoosh.query objects with analysed (stemmed) words, as compile_query produces them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from whoosh import query as wq
from cablesearch.fields import ANY_PARAGRAPH, paragraph_of
from cablesearch.query.paragraph import SameParagraph

from cablesearch import CableIndex
from cablesearch.errors import CablesearchError
from cablesearch.index import (DEFAULT_FACETS, SORTS, IndexExistsError, IndexingInterrupted,
                               IndexNotFoundError, IndexPathError, InvalidSearchError, REJECTED_LOG,
                               examples_folder, open_index, resolve_index_path)
from cablesearch.model import Cable, Paragraph, Recipient, Reference
from cablesearch.parser import parse_cable
from cablesearch.query import compile_query


def make_cable(rid: str, date: str, origin: str, origin_name: str, classification: str, tags: str,
               subject: str, paragraphs=(), *, refs=(), captions=(), body: str = "") -> Cable:
    """A Cable as the parser would give it, from the few fields a test cares about."""
    paras = tuple(Paragraph(n, m, t) for n, m, t in paragraphs)
    return Cable(
        reference_id=rid, created=datetime.fromisoformat(date).replace(tzinfo=timezone.utc),
        origin=origin, origin_name=origin_name, classification=classification,
        captions=tuple(captions), tags=tuple(tags.split()), subject=subject,
        references=tuple(Reference(chr(ord("A") + i), text, ref_id) for i, (text, ref_id) in enumerate(refs)),
        paragraphs=paras, to=(Recipient("RUEHC", "SECSTATE WASHDC", "STATE", "PRIORITY", "3017"),),
        body=body or "\n\n".join(t for _, _, t in paragraphs), raw=f"raw text of {rid}", source=f"{rid}.txt")


BAKU595 = make_cable(
    "07BAKU595", "2007-05-16T13:24:00", "BAKU", "Embassy Baku", "CONFIDENTIAL", "PHUM PREL BO AJ",
    "DEMARCHE DELIVERED: CAUTIONING AZERBAIJAN AGAINST CLOSER RELATIONS WITH BELARUS",
    [(1, "C", "The Ambassador delivered a demarche on Belarus to President Aliyev."),
     (2, "C", "Lukashenko visited Baku; Mustafayev praised the visit."),
     (3, "S/NF", "Belarus exports heavy machinery to Azerbaijan.")],
    refs=[("BAKU 568", "07BAKU568"), ("STATE 61831", "07STATE61831")], captions=["SIPDIS"])
BAKU568 = make_cable(
    "07BAKU568", "2007-05-02T09:00:00", "BAKU", "Embassy Baku", "SECRET//NOFORN", "PREL AJ",
    "AZERBAIJAN AND BELARUS: LUKASHENKO VISIT",
    [(1, "S", "Lukashenko arrived in Baku for a two-day visit."),
     (2, "C", "Oil and gas cooperation was discussed.")])
MINSK100 = make_cable(
    "08MINSK100", "2008-01-10T08:00:00", "MINSK", "Embassy Minsk", "UNCLASSIFIED", "PHUM BO",
    "BELARUS HUMAN RIGHTS UPDATE",
    [(1, "SBU", "Opposition activists were detained in Minsk."),
     (2, "SBU", "The Embassy raised the detentions with the MFA.")],
    refs=[("BAKU 595", "07BAKU595")])
ANKARA50 = make_cable(
    "06ANKARA50", "2006-03-01T12:00:00", "ANKARA", "Embassy Ankara", "SECRET", "PREL TU",
    "TURKEY: GAS PIPELINE TALKS",
    [(1, "S", "Pipeline talks with Azerbaijan continue."),
     (2, "S/NF", "Belarus was not discussed.")])
STATE1 = make_cable(
    "09STATE1", "2009-12-31T23:00:00", "STATE", "Secretary of State", "CONFIDENTIAL", "KPAO",
    "PRESS GUIDANCE", [], captions=["NOFORN"], body="Unnumbered guidance for the press on Belarus.")
CABLES = (BAKU595, BAKU568, MINSK100, ANKARA50, STATE1)


@dataclass(frozen=True)
class FakeReadError:
    """Stands in for readers.ReadError (source, reason)."""
    source: str
    reason: str


def body(word: str) -> wq.Query:
    return wq.Term("body", word)


def para(*terms: wq.Query) -> wq.Query:
    return SameParagraph(wq.And(list(terms)) if len(terms) > 1 else terms[0])


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def marked(snippet) -> list[str]:
    return [snippet.text[s:e] for s, e in snippet.matches]


@pytest.fixture
def index(tmp_path):
    with CableIndex.create(tmp_path / "ix") as ix:
        ix.add(CABLES, procs=1)
        yield ix


# --- searching ---------------------------------------------------------------------------------

def test_body_word_finds_the_cables_whose_paragraphs_hold_it(index):
    results = index.search(body("belaru"), sort="date")  # "Belarus" stemmed
    assert ids(results) == ["06ANKARA50", "07BAKU595", "09STATE1"]
    assert results.total == 3


def test_sort_orders(index):
    everything = wq.Every()
    assert ids(index.search(everything, sort="date")) == [
        "06ANKARA50", "07BAKU568", "07BAKU595", "08MINSK100", "09STATE1"]
    assert ids(index.search(everything, sort="-date")) == [
        "09STATE1", "08MINSK100", "07BAKU595", "07BAKU568", "06ANKARA50"]
    # Relevance: the word in the (boosted) subject and twice in the body ranks 07BAKU595 first.
    relevant = index.search(wq.Or([wq.Term("subject", "belaru"), body("belaru")]))
    assert relevant.hits[0].id == "07BAKU595"
    assert [h.score for h in relevant.hits] == sorted((h.score for h in relevant.hits), reverse=True)
    assert relevant.hits[0].score > 0


def test_undated_cables_sort_last_both_ways(index):
    undated = replace(make_cable("99UNDATED1", "2000-01-01", "ROME", "Embassy Rome", "SECRET", "PREL",
                                 "NO DATE", [(1, "S", "Text.")]), created=None)
    index.add([undated], procs=1)
    assert ids(index.search(wq.Term("tags", "prel"), sort="date")) == [
        "06ANKARA50", "07BAKU568", "07BAKU595", "99UNDATED1"]
    assert ids(index.search(wq.Term("tags", "prel"), sort="-date")) == [
        "07BAKU595", "07BAKU568", "06ANKARA50", "99UNDATED1"]
    assert index.search(wq.Term("id", "99UNDATED1")).hits[0].date is None
    stats = index.stats()
    assert (stats.cables, stats.first_date.year, stats.last_date.year) == (6, 2006, 2009)


def test_offset_and_limit_page_through_results_keeping_ranks(index):
    page = index.search(wq.Every(), sort="date", offset=2, limit=2)
    assert ids(page) == ["07BAKU595", "08MINSK100"]
    assert [h.rank for h in page.hits] == [3, 4]
    assert page.total == 5


def test_facet_counts_over_all_matches_not_just_the_page(index):
    results = index.search(wq.Or([wq.Term("subject", "belaru"), body("belaru")]), limit=1,
                           facets=("tag", "origin", "year", "classification", "month", "captions"))
    assert results.total == 5  # every fixture mentions Belarus in its subject or body
    assert results.facets["tag"] == [("PREL", 3), ("AJ", 2), ("BO", 2), ("PHUM", 2), ("KPAO", 1), ("TU", 1)]
    assert results.facets["origin"] == [("BAKU", 2), ("ANKARA", 1), ("MINSK", 1), ("STATE", 1)]
    assert results.facets["year"] == [("2007", 2), ("2006", 1), ("2008", 1), ("2009", 1)]
    assert results.facets["classification"] == [
        ("CONFIDENTIAL", 2), ("SECRET", 1), ("SECRET//NOFORN", 1), ("UNCLASSIFIED", 1)]
    assert results.facets["month"] == [("2007-05", 2), ("2006-03", 1), ("2008-01", 1), ("2009-12", 1)]
    assert results.facets["captions"] == [("NOFORN", 1), ("SIPDIS", 1)]


def test_facets_of_a_narrower_query(index):
    results = index.search(wq.Term("tags", "prel"))
    assert results.facets["origin"] == [("BAKU", 2), ("ANKARA", 1)]
    assert results.facets["tag"] == [("PREL", 3), ("AJ", 2), ("BO", 1), ("PHUM", 1), ("TU", 1)]


def test_keyword_fields_are_case_insensitive_and_keep_multiword_values(index):
    assert ids(index.search(wq.Term("origin", "embassy baku"), sort="date")) == ["07BAKU568", "07BAKU595"]
    assert ids(index.search(wq.Term("origin", "baku"), sort="date")) == ["07BAKU568", "07BAKU595"]
    # The whole classification and its base are both terms.
    assert ids(index.search(wq.Term("classification", "secret"), sort="date")) == ["06ANKARA50", "07BAKU568"]
    assert ids(index.search(wq.Term("classification", "secret//noforn"))) == ["07BAKU568"]
    assert ids(index.search(wq.Term("class_level", "2"), sort="date")) == ["06ANKARA50", "07BAKU568"]
    assert ids(index.search(wq.Term("month", "2007-05"), sort="date")) == ["07BAKU568", "07BAKU595"]
    assert ids(index.search(wq.Term("day", "2008-01-10"))) == ["08MINSK100"]


def test_snippets_come_from_the_matching_paragraphs_with_number_marking_and_spans(index):
    hit = index.search(body("belaru"), sort="date").hits[1]
    assert hit.id == "07BAKU595"
    assert [(s.paragraph, s.marking) for s in hit.snippets] == [(1, "C"), (3, "S/NF")]
    assert [marked(s) for s in hit.snippets] == [["Belarus"], ["Belarus"]]
    assert hit.snippets[0].text == "The Ambassador delivered a demarche on Belarus to President Aliyev."


def test_snippet_of_an_unnumbered_body_has_no_paragraph_number(index):
    hit = index.search(body("guidanc")).hits[0]
    assert hit.id == "09STATE1"
    assert hit.snippets[0].paragraph is None
    assert marked(hit.snippets[0]) == ["guidance"]


def test_long_paragraph_is_cut_around_the_match(tmp_path):
    text = " ".join(["filler"] * 80) + " Lukashenko spoke. " + " ".join(["padding"] * 80)
    cable = make_cable("07MINSK1", "2007-01-01", "MINSK", "Embassy Minsk", "SECRET", "PREL", "LONG",
                       [(1, "S", text)])
    with CableIndex.create(tmp_path / "ix") as ix:
        ix.add([cable], procs=1)
        snippet = ix.search(body("lukashenko")).hits[0].snippets[0]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert len(snippet.text) < len(text) / 2
    assert marked(snippet) == ["Lukashenko"]


def test_a_phrase_of_common_words_marks_the_phrase_not_each_word(tmp_path):
    """"one of the" marks where the phrase stands, in the paragraph that holds it, not the many
    other "the" and "of" of the cable; a word also asked for on its own is marked everywhere."""
    common = "The minister of the interior and the head of the police met the press at the end of the day."
    cable = make_cable("07MINSK2", "2007-01-01", "MINSK", "Embassy Minsk", "SECRET", "PREL", "WORDS",
                       [(1, "S", common), (2, "S", common + " " + common),
                        (3, "C", "Lukashenko called it one of the worst years."), (4, "S", common)])
    in_subject = make_cable("07MINSK3", "2007-01-02", "MINSK", "Embassy Minsk", "SECRET", "PREL",
                            "THE END OF THE YEAR: ONE OF THE WORST", [(1, "S", common)])
    with CableIndex.create(tmp_path / "ix") as ix:
        ix.add([cable, in_subject], procs=1)
        snippets = {hit.id: hit.snippets for hit in ix.search('"one of the"').hits}["07MINSK2"]
        assert [(s.paragraph, marked(s)) for s in snippets] == [(3, ["one", "of", "the"])]
        subject_only = ix.search('subject:"one of the"').hits[0]
        assert subject_only.id == "07MINSK3" and [marked(s) for s in subject_only.snippets] == [["ONE", "OF", "THE"]]
        with_minister = {hit.id: hit.snippets for hit in ix.search('"one of the" minister').hits}["07MINSK2"]
    assert 3 in {s.paragraph for s in with_minister} and any("minister" in marked(s) for s in with_minister)
    assert all(marked(s).count("of") <= 1 for s in with_minister)

def test_field_only_match_shows_the_subject_when_it_matched(index):
    hit = index.search(wq.Term("subject", "human")).hits[0]
    assert hit.id == "08MINSK100"
    assert [(s.paragraph, s.text, marked(s)) for s in hit.snippets] == [
        (None, "BELARUS HUMAN RIGHTS UPDATE", ["HUMAN"])]


def test_field_only_match_shows_the_first_paragraph_otherwise(index):
    hit = index.search(wq.Term("tags", "tu")).hits[0]
    assert hit.id == "06ANKARA50"
    assert [(s.paragraph, s.marking, s.text, s.matches) for s in hit.snippets] == [
        (1, "S", "Pipeline talks with Azerbaijan continue.", ())]


def test_para_query_requires_the_words_in_one_paragraph(index):
    # Both words occur in 07BAKU595 and 07BAKU568, but never in the same paragraph.
    both = [body("lukashenko"), body("belaru")]
    assert ids(index.search(wq.And(both), sort="date")) == ["07BAKU595"]
    assert ids(index.search(para(wq.Term("body", "lukashenko"), wq.Term("body", "belaru")))) == []


def test_para_query_filters_by_marking_and_reports_the_paragraph(index):
    results = index.search(para(wq.Term("body", "lukashenko"), wq.Term("marking", "s")))
    assert ids(results) == ["07BAKU568"]  # 07BAKU595's Lukashenko paragraph is marked (C)
    (snippet,) = results.hits[0].snippets
    assert (snippet.paragraph, snippet.marking, marked(snippet)) == (1, "S", ["Lukashenko"])
    # "S/NF" paragraphs are found by the base marking "s" as well as by "s/nf".
    assert ids(index.search(para(wq.Term("marking", "s/nf")), sort="date")) == ["06ANKARA50", "07BAKU595"]


def test_para_query_combined_with_fields(index):
    # And(field, NestedParent) made Whoosh's own NestedParent raise ReadTooFar.
    q = wq.And([wq.Term("tags", "prel"), para(wq.Term("body", "belaru"), wq.Term("marking", "s"))])
    results = index.search(q, sort="date")
    assert ids(results) == ["06ANKARA50", "07BAKU595"]
    assert [(s.paragraph, s.marking) for s in results.hits[1].snippets] == [(3, "S/NF")]
    assert ids(index.search(wq.And([wq.Term("tags", "tu"), para(wq.Term("body", "lukashenko"))]))) == []
    # An unnumbered body is one paragraph.
    assert ids(index.search(wq.And([wq.Term("tags", "kpao"), para(wq.Term("body", "belaru"))]))) == [
        "09STATE1"]


def test_hit_fields(index):
    hit = index.search(wq.Term("id", "07BAKU595")).hits[0]
    assert (hit.rank, hit.id, hit.origin, hit.origin_name, hit.classification, hit.tags) == (
        1, "07BAKU595", "BAKU", "Embassy Baku", "CONFIDENTIAL", ("PHUM", "PREL", "BO", "AJ"))
    assert hit.date == datetime(2007, 5, 16, 13, 24, tzinfo=timezone.utc)
    assert hit.subject.startswith("DEMARCHE DELIVERED")


def test_no_match_gives_empty_results_and_facets(index):
    results = index.search(body("nonexistentword"))
    assert (results.total, results.hits, results.facets["tag"]) == (0, (), [])


def test_an_empty_index_answers_everything_with_nothing(tmp_path):
    with CableIndex.create(tmp_path / "ix") as ix:
        for q in (body("belaru"), para(wq.Term("body", "lukashenko")), wq.Every()):
            for sort in ("relevance", "date", "-date"):
                results = ix.search(q, sort=sort)
                assert (results.total, results.hits, results.facets["tag"]) == (0, (), [])
        stats = ix.stats()
        assert (stats.cables, stats.first_date, stats.classifications, stats.segments) == (0, None, [], 0)
        assert (ix.values("tag"), ix.values("id"), ix.get("07BAKU595"), ix.cited_by("07BAKU595")) == (
            [], [], None, [])


def test_bad_sort_or_facet_is_a_clear_error(index):
    with pytest.raises(CablesearchError, match="sort"):
        index.search(wq.Every(), sort="size")
    with pytest.raises(CablesearchError, match="facet"):
        index.search(wq.Every(), facets=("subject",))
    with pytest.raises(CablesearchError, match="facets must be a sequence"):
        index.search(wq.Every(), facets="tag")  # would otherwise be read as the facets t, a, g


@pytest.mark.parametrize("page", [{"offset": -1}, {"limit": -5}, {"offset": 1.5}, {"limit": True}])
def test_negative_or_fractional_offset_and_limit_are_refused(index, page):
    name, value = next(iter(page.items()))
    with pytest.raises(InvalidSearchError, match=f"{name} must be a whole number >= 0, not {value!r}") as caught:
        index.search(wq.Every(), **page)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, CablesearchError)


def test_limit_zero_counts_without_hits_and_offset_past_the_end_is_empty(index):
    counted = index.search(wq.Term("tags", "prel"), limit=0)
    assert (counted.total, counted.hits, counted.facets["origin"]) == (3, (), [("BAKU", 2), ("ANKARA", 1)])
    past = index.search(wq.Every(), offset=5, limit=3)
    assert (past.total, past.hits) == (5, ())


def test_sorts_and_default_facets_are_what_search_accepts(index):
    # One source for the CLI and the REPL, importable without Whoosh (cablesearch.results).
    from cablesearch import results
    assert (results.SORTS, results.DEFAULT_FACETS) == (SORTS, DEFAULT_FACETS)
    for sort in SORTS:
        assert index.search(wq.Every(), sort=sort).total == 5
    assert tuple(index.search(wq.Every()).facets) == DEFAULT_FACETS


def test_searching_from_several_threads_gives_the_same_results(index):
    from concurrent.futures import ThreadPoolExecutor
    queries = [body("belaru"), wq.Term("tags", "prel"), para(wq.Term("body", "lukashenko")), wq.Every()]
    expected = [(ids(r), r.facets) for r in (index.search(q, sort="date") for q in queries)]

    def run(i):
        r = index.search(queries[i % len(queries)], sort="date")
        return i % len(queries), (ids(r), r.facets)

    with ThreadPoolExecutor(max_workers=4) as pool:
        for i, got in pool.map(run, range(40)):
            assert got == expected[i]


# --- records, citations, stats, values ---------------------------------------------------------

def test_get_returns_the_cable_exactly_as_indexed(index):
    for cable in CABLES:
        assert index.get(cable.reference_id) == cable
    assert index.get("99NOWHERE1") is None
    assert "07BAKU595" in index and "99NOWHERE1" not in index


def test_a_page_of_hits_reads_records_without_the_cables_whole_text(index, monkeypatch):
    from cablesearch.engine.search import SegmentState
    read = []
    original = SegmentState.record
    monkeypatch.setattr(SegmentState, "record",
                        lambda self, docnum, column="record": read.append(column) or original(self, docnum, column))
    hits = index.search("Belarus", facets=()).hits
    assert "09STATE1" in {hit.id for hit in hits}
    assert read.count("record") == len(hits) and read.count("record_rest") == 1  # 09STATE1: its body is its snippet
    assert marked(next(hit for hit in hits if hit.id == "09STATE1").snippets[0]) == ["Belarus"]


def test_08LONDON2883_is_found_by_the_malformed_archive_id_08EFTOLONDON2883(index):
    repaired = replace(make_cable("08LONDON2883", "2008-11-12T10:00:00", "LONDON", "Embassy London",
                                  "CONFIDENTIAL", "PREL UK", "UK: REPAIRED ID", [(1, "C", "Text.")]),
                       archive_id="08EFTOLONDON2883")
    index.add([repaired], procs=1)
    for wanted in ("08EFTOLONDON2883", "08eftolondon2883", "08LONDON2883"):
        assert index.get(wanted) == repaired
    assert "08EFTOLONDON2883" in index
    assert ids(index.search("id:08EFTOLONDON2883")) == ["08LONDON2883"]
    assert ids(index.search("08EFTOLONDON2883")) == ["08LONDON2883"]        # a bare id-like word
    assert ids(index.search("id:08EFTO*")) == ["08LONDON2883"]
    assert ids(index.search(compile_query("id:08LONDON2883"))) == ["08LONDON2883"]
    # Only the repaired cable carries an archive id: other ids still find exactly themselves.
    assert ids(index.search("id:07BAKU595")) == ["07BAKU595"]
    assert index.delete(["08LONDON2883"]) == 1
    assert index.get("08EFTOLONDON2883") is None and ids(index.search("id:08EFTOLONDON2883")) == []


def test_cites_marks_references_missing_from_the_index(index):
    cites = index.cites("07BAKU595")
    assert [(c.label, c.id, c.in_index, c.subject) for c in cites] == [
        ("A", "07BAKU568", True, "AZERBAIJAN AND BELARUS: LUKASHENKO VISIT"),
        ("B", "07STATE61831", False, "")]
    assert index.cites("99NOWHERE1") is None
    assert [h.id for h in index.cited_by("07BAKU595")] == ["08MINSK100"]
    assert [h.id for h in index.cited_by("07BAKU568")] == ["07BAKU595"]


def test_stats(index):
    stats = index.stats()
    assert stats.cables == 5
    assert stats.first_date == datetime(2006, 3, 1, 12, tzinfo=timezone.utc)
    assert stats.last_date == datetime(2009, 12, 31, 23, tzinfo=timezone.utc)
    assert stats.classifications == [("CONFIDENTIAL", 2), ("SECRET", 1), ("SECRET//NOFORN", 1),
                                      ("UNCLASSIFIED", 1)]
    assert stats.size_bytes > 0


def test_values_for_completion(index):
    assert index.values("tag") == [("PREL", 3), ("AJ", 2), ("BO", 2), ("PHUM", 2), ("KPAO", 1), ("TU", 1)]
    assert index.values("tags", "p") == [("PREL", 3), ("PHUM", 2)]
    assert index.values("from", "b") == [("BAKU", 2)]
    assert index.values("to") == [("STATE", 5)]
    assert index.values("refs") == [("07BAKU568", 1), ("07BAKU595", 1), ("07STATE61831", 1)]
    assert index.values("id", "07") == [("07BAKU568", 1), ("07BAKU595", 1)]
    assert index.values("tag", "P", limit=1) == [("PREL", 3)]
    with pytest.raises(CablesearchError, match="no values"):
        index.values("subject")


# --- writing -----------------------------------------------------------------------------------

def test_reindexing_is_idempotent_and_replaces_changed_cables(index):
    generation = index._ix.latest_generation()
    again = index.add(CABLES, procs=1)
    assert (again.added, again.replaced, again.unchanged, again.rejected) == (0, 0, 5, 0)
    assert index._ix.latest_generation() == generation  # nothing changed, so nothing was committed
    changed = replace(BAKU568, subject="AZERBAIJAN: OIL TALKS")
    summary = index.add([changed, replace(MINSK100, source="elsewhere.txt")], procs=1)
    assert (summary.added, summary.replaced, summary.unchanged) == (0, 1, 1)  # source is not content
    assert index.get("07BAKU568") == changed
    assert ids(index.search(wq.Term("subject", "lukashenko"))) == []
    assert index.stats().cables == 5
    assert_consistent(index, {c.reference_id: c for c in (*CABLES, changed)})


def test_same_id_twice_in_one_run_keeps_the_last(tmp_path):
    changed = replace(BAKU568, subject="SECOND VERSION")
    with CableIndex.create(tmp_path / "ix") as ix:
        summary = ix.add([BAKU568, BAKU595, changed, BAKU595], procs=1)
        assert (summary.added, summary.replaced, summary.unchanged) == (2, 1, 1)
        assert ix.get("07BAKU568") == changed
        assert_consistent(ix, {"07BAKU568": changed, "07BAKU595": BAKU595})


def test_a_cable_changed_twice_in_one_batch_ends_as_its_last_version(tmp_path):
    """Repaired archive ids repeat a cable (08ECTION01OF02MANAMA492 is 08MANAMA492): the batch goes
    on, and the later versions replace it after the commit, one commit each, not one per repeat."""
    second, third = (replace(BAKU568, subject=f"{n} VERSION") for n in ("SECOND", "THIRD"))
    with CableIndex.create(tmp_path / "ix") as ix:
        summary = ix.add([BAKU568, BAKU595, second, MINSK100, third, ANKARA50], procs=1)
        assert ix.get("07BAKU568") == third
        assert (summary.added, summary.replaced, summary.batches) == (4, 2, 3)
        assert_consistent(ix, {c.reference_id: c for c in (third, BAKU595, MINSK100, ANKARA50)})


def test_rejected_inputs_are_counted_and_logged_beside_the_index(tmp_path):
    bad = [FakeReadError("cables/broken.txt", "no reference id: not a cable"),
           FakeReadError("cables.csv:17", "bad quoting")]
    with CableIndex.create(tmp_path / "ix") as ix:
        summary = ix.add([BAKU595, bad[0], BAKU568, bad[1]], procs=1)
        assert (summary.added, summary.rejected) == (2, 2)
        assert list(summary.errors) == bad
        assert summary.log_path == tmp_path / "ix" / REJECTED_LOG
        lines = summary.log_path.read_text().splitlines()
        assert lines[0].startswith("# ")
        assert lines[1:] == ["cables/broken.txt\tno reference id: not a cable", "cables.csv:17\tbad quoting"]
        assert ix.stats().cables == 2
        assert "2 rejected" in str(summary)


def test_batches_commit_separately_and_report_progress(tmp_path):
    events = []
    with CableIndex.create(tmp_path / "ix") as ix:
        summary = ix.add(CABLES, procs=1, batch_size=2, progress=lambda p: events.append(
            (p.event, p.read, p.committed, p.batches)))
    assert summary.batches == 3
    assert [e for e in events if e[0] == "commit"] == [("commit", 2, 2, 1), ("commit", 4, 4, 2),
                                                      ("commit", 5, 5, 3)]
    assert [e[1] for e in events if e[0] == "read"] == [1, 2, 3, 4, 5]


def test_both_cores_build_the_same_index(tmp_path, index, monkeypatch):
    monkeypatch.setattr("cablesearch.writing.SMALL_BATCH", 0)  # sub-processes even for tiny batches
    with CableIndex.create(tmp_path / "mp") as ix:
        summary = ix.add(CABLES, procs=2, batch_size=2)
        assert summary.added == 5
        query = wq.Or([wq.Term("subject", "belaru"), body("belaru")])
        one, two = index.search(query, sort="date"), ix.search(query, sort="date")
        assert ids(one) == ids(two) and one.facets == two.facets
        assert [h.snippets for h in one.hits] == [h.snippets for h in two.hits]
        assert_consistent(ix, {c.reference_id: c for c in CABLES})


def test_ctrl_c_keeps_the_last_commit_and_says_so(tmp_path):
    def interrupted():
        yield from CABLES[:3]
        raise KeyboardInterrupt
    with CableIndex.create(tmp_path / "ix") as ix:
        with pytest.raises(IndexingInterrupted) as caught:
            ix.add(interrupted(), procs=1, batch_size=2)
        assert caught.value.summary.added == 2
        assert "run the same command again" in str(caught.value).lower()
        assert ix.stats().cables == 2
        rerun = ix.add(CABLES, procs=1, batch_size=2)
        assert (rerun.added, rerun.unchanged) == (3, 2)
        assert_consistent(ix, {c.reference_id: c for c in CABLES})


def test_delete_removes_cable_and_paragraphs(index):
    assert index.delete(["07BAKU568", "99NOWHERE1"]) == 1
    assert index.get("07BAKU568") is None
    assert ids(index.search(para(wq.Term("body", "lukashenko")))) == ["07BAKU595"]
    assert_consistent(index, {c.reference_id: c for c in CABLES if c is not BAKU568})


def assert_consistent(ix: CableIndex, expected: dict[str, Cable]) -> None:
    """One document per id, each with exactly its paragraphs indexed, and nothing else."""
    check_consistent(ix, expected)


def check_consistent(ix: CableIndex, expected: dict[str, Cable] | None = None) -> list[str]:
    """Walk every live document; returns the cable ids in index order."""
    with ix._lock:
        searcher = ix.searcher()
        seen = []
        for leaf, _, state in ix._segments(searcher):
            reader = leaf.reader()
            # docnum -> paragraphs indexed (the marking every paragraph carries, positions in the arrays)
            marking = state.arrays.postings.term("marking", ANY_PARAGRAPH.encode("utf-8"))
            paragraphs = {doc: [paragraph_of(p) for p in marking.positions[start:end].tolist()]
                          for doc, start, end in zip(marking.docs.tolist(), marking.starts.tolist(), marking.ends.tolist())}
            for docnum in reader.all_doc_ids():
                rid = reader.stored_fields(docnum)["id"]
                cable = ix.get(rid)
                wanted = list(range(len(cable.paragraphs) or (1 if cable.body else 0)))
                assert paragraphs.get(docnum, []) == wanted, f"{rid}: paragraphs {paragraphs.get(docnum)} != {wanted}"
                seen.append(rid)
    assert len(seen) == len(set(seen)), "duplicate cable ids"
    if expected is not None:
        assert sorted(seen) == sorted(expected)
        for rid, cable in expected.items():
            assert ix.get(rid) == cable
    return seen


# --- opening and the default location ----------------------------------------------------------

def test_create_refuses_an_existing_index_and_open_needs_one(tmp_path, index):
    with pytest.raises(IndexExistsError):
        CableIndex.create(index.path)
    with pytest.raises(IndexNotFoundError) as caught:
        CableIndex.open(tmp_path / "missing")
    assert f"cablesearch index PATH --index {tmp_path / 'missing'}" in str(caught.value)
    with CableIndex.open(index.path) as reopened:
        assert reopened.stats().cables == 5


def test_resolve_index_path_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CABLESEARCH_INDEX", raising=False)
    assert resolve_index_path(None) == tmp_path / "xdg" / "cablesearch" / "index"
    (tmp_path / "index").mkdir()
    assert resolve_index_path(None) == Path("index")
    monkeypatch.setenv("CABLESEARCH_INDEX", str(tmp_path / "env"))
    assert resolve_index_path(None) == tmp_path / "env"
    assert resolve_index_path(str(tmp_path / "cli")) == tmp_path / "cli"


def test_open_index_names_the_command_for_a_missing_explicit_index(tmp_path):
    with pytest.raises(IndexNotFoundError, match="cablesearch index PATH --index"):
        open_index(str(tmp_path / "nothing"))


@pytest.fixture
def default_location(tmp_path, monkeypatch) -> Path:
    """A fresh working folder and data home: the default index is tmp_path/xdg/cablesearch/index."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CABLESEARCH_INDEX", raising=False)
    return tmp_path / "xdg" / "cablesearch" / "index"


EXAMPLES = sorted(p.stem for p in examples_folder().glob("*.txt"))


def test_open_index_builds_the_default_index_from_the_examples(default_location):
    said = []
    with open_index(None, status=said.append) as ix:
        assert ix.path == default_location
        assert "07BAKU595" in ix
        assert ids(ix.search(wq.And([wq.Term("tags", "phum"), wq.Term("origin", "baku")]))) == ["07BAKU595"]
        assert sorted(check_consistent(ix)) == EXAMPLES  # every bundled example, each once
    assert said == [f"cablesearch: no index yet; built {default_location} from {len(EXAMPLES)} bundled example "
                    f"cables. Index a real archive with: cablesearch index PATH --index {default_location}"]
    with open_index(None, status=said.append) as again:  # second time: opened, nothing said
        assert again.stats().cables == len(EXAMPLES)
    assert len(said) == 1
    assert not list(default_location.glob(".building-*")), "scratch folder left behind"


def test_default_index_is_built_in_a_local_index_folder_holding_only_dotfiles(default_location, tmp_path):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / ".gitkeep").write_text("")
    said = []
    with open_index(None, status=said.append) as ix:
        assert ix.path == Path("index") and ix.stats().cables == len(EXAMPLES)
    assert len(said) == 1 and "built index from" in said[0]
    assert (tmp_path / "index" / ".gitkeep").exists() and not default_location.exists()


def test_default_index_is_not_built_in_a_local_index_folder_holding_other_files(default_location, tmp_path):
    local = tmp_path / "index"
    local.mkdir()
    (local / "notes.txt").write_text("mine")
    with pytest.raises(IndexNotFoundError) as caught:
        open_index(None, status=pytest.fail)
    message = str(caught.value)
    assert "holds other files: notes.txt" in message and "cablesearch index PATH --index index" in message
    assert sorted(p.name for p in local.iterdir()) == ["notes.txt"]  # the folder is left exactly as it was
    assert not default_location.exists()


@pytest.mark.parametrize("where, reason", [("file", "it exists and is not a folder"),
                                           ("file/ix", "Not a directory")])
def test_a_path_that_cannot_hold_an_index_is_a_clear_error(tmp_path, where, reason):
    (tmp_path / "file").write_text("not a folder")
    path = tmp_path / where
    for attempt in (CableIndex.create, lambda p: CableIndex.open(p, create=True)):
        with pytest.raises(IndexPathError) as caught:
            attempt(path)
        assert str(caught.value) == f"cannot create an index at {path}: {reason}"
        assert isinstance(caught.value, CablesearchError)


def test_a_default_location_that_cannot_hold_an_index_is_a_clear_error(default_location, tmp_path):
    (tmp_path / "xdg").write_text("a file where the data folder should be")
    with pytest.raises(IndexPathError, match=f"cannot create an index at {default_location}: Not a directory"):
        open_index(None, status=pytest.fail)


def test_seed_cable_parsed_and_found_by_query_text(tmp_path):
    seed = Path(__file__).parent / "data" / "07BAKU595.txt"
    cable = parse_cable(seed.read_text(encoding="utf-8"), source=str(seed))
    with CableIndex.create(tmp_path / "ix") as ix:
        ix.add([cable], procs=1)
        assert ix.get(cable.reference_id) == cable
        hit = ix.search(para(wq.Term("body", "lukashenko"))).hits[0]
        assert hit.id == "07BAKU595"
        assert all("Lukashenko" in marked(s) for s in hit.snippets)
        results = ix.search("tag:PHUM from:BAKU")
        assert ids(results) == ["07BAKU595"] and results.query == "tag:PHUM from:BAKU"


def test_a_keyword_value_with_a_comma_is_found_whole(tmp_path):
    """Commas separate keyword values in Whoosh; a name holding one ("American Institute Taiwan,
    Taipei") must still be found by the same name in a query."""
    from cablesearch.model import Cable
    with CableIndex.create(tmp_path / "ix") as index:
        index.add([Cable(reference_id="08TAIPEI1", origin="TAIPEI",
                         origin_name="American Institute Taiwan, Taipei", subject="A TEST")])
        assert index.search('from:"American Institute Taiwan, Taipei"', facets=()).total == 1
        assert index.search('from:"american institute taiwan  taipei"', facets=()).total == 1


@pytest.mark.parametrize("word, patterns", [
    ("belarus", ["belarus*", "b?larus", "bela*", "subject:belarus*"]),
    ("exports", ["exports*", "export?", "exp*"]),
])
def test_a_wildcard_finds_at_least_what_its_plain_word_finds(index, word, patterns):
    """Text fields hold stems (belarus -> belaru), so patterns are matched against stems too."""
    plain = {h.id for h in index.search(word, limit=50, facets=()).hits}
    assert plain
    for pattern in patterns:
        field = pattern.split(":")[0] + ":" if ":" in pattern else ""
        expected = plain if not field else {h.id for h in index.search(field + word, limit=50, facets=()).hits}
        found = {h.id for h in index.search(pattern, limit=50, facets=()).hits}
        assert expected <= found, pattern


def test_a_damaged_index_is_reported_as_damaged_not_as_a_bug(index, tmp_path):
    from cablesearch.index import IndexFormatError
    folder = index.path
    index.close()
    for toc in folder.glob("_*.toc"):
        toc.write_bytes(b"")  # a table of contents cut short, as a full disk or a copy gone wrong leaves it
    with pytest.raises(IndexFormatError, match="is damaged"):
        CableIndex.open(folder)


# --- paragraphs as position ranges, segments, merges -----------------------------------------------

def test_a_phrase_never_runs_across_two_paragraphs(tmp_path):
    split = make_cable("09ROME1", "2009-01-01", "ROME", "Embassy Rome", "UNCLASSIFIED", "PHUM", "TWO PARAGRAPHS",
                       [(1, "U", "The report speaks of human"), (2, "U", "rights and of nothing else.")])
    with CableIndex.create(tmp_path / "ix") as ix:
        ix.add([split], procs=1)
        assert ids(ix.search('"human rights"')) == []
        assert ids(ix.search("human rights")) == ["09ROME1"]
        assert ids(ix.search('"speaks of human"')) == ["09ROME1"]


def test_a_bulk_add_ends_with_the_small_segments_merged_into_one(tmp_path, monkeypatch):
    monkeypatch.setattr("cablesearch.writing.MERGE_BELOW", 3)  # segments of 3+ cables count as large
    rome = [make_cable(f"09ROME{n}", "2009-01-01", "ROME", "Embassy Rome", "UNCLASSIFIED", "PHUM",
                       f"CABLE {n}", [(1, "U", f"Item {n} on trade.")]) for n in range(1, 6)]
    with CableIndex.create(tmp_path / "ix") as ix:
        ix.add(rome[:1], procs=1)
        ix.add(rome[1:2], procs=1)  # two small segments: too few to merge on a commit

        def sizes():
            with ix._lock:
                return sorted(leaf.doc_count_all() for leaf, _, _ in ix._segments(ix.searcher()))
        assert sizes() == [1, 1]
        ix.add(rome[2:], procs=1)  # a bulk add (3 cables, MERGE_BELOW here) ends by merging them
        assert sizes() == [2, 3]
        assert ix.search("trade", limit=0).total == 5
        assert ids(ix.search('"item 2 on trade"')) == ["09ROME2"]
        check_consistent(ix)


def test_small_segments_merge_in_tens_and_large_ones_never(tmp_path, monkeypatch):
    monkeypatch.setattr("cablesearch.writing.MERGE_BELOW", 3)  # segments of 3+ cables count as large
    with CableIndex.create(tmp_path / "ix") as ix:
        ix.add([make_cable(f"09ROME{n}", "2009-01-01", "ROME", "Embassy Rome", "UNCLASSIFIED", "PHUM",
                           f"LARGE {n}") for n in range(1, 4)], procs=1)
        for n in range(1, 13):  # one-cable commits: the eleventh finds ten small segments and merges them in
            ix.add([make_cable(f"09PARIS{n}", "2009-02-01", "PARIS", "Embassy Paris", "UNCLASSIFIED", "PHUM",
                               f"SMALL {n}", [(1, "U", "Opening words."),
                                              (2, "SBU", f"The embassy of Paris reports item {n} on trade.")])],
                   procs=1)
        with ix._lock:
            sizes = sorted(leaf.doc_count_all() for leaf, _, _ in ix._segments(ix.searcher()))
        assert sizes == [1, 3, 11]
        assert ix.search("tag:PHUM", limit=0).total == 15
        # the merged segment's positions come from the arrays of the segments it merged
        assert ix.search('"embassy of Paris reports"', limit=0).total == 12
        assert ix.search("para:(marking:SBU trade)", limit=0).total == 12
        assert ix.search("para:(opening trade)", limit=0).total == 0
        check_consistent(ix)
