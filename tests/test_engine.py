"""The array engine's storage and parts against Whoosh's own: the postings file of each segment,
fuzzy-term expansion, facet codes, and searches of segments that have no postings file.

tests/test_index_matching.py compares whole queries with Whoosh's matchers; these tests check the
pieces they rest on, on the hand-written fixtures and (where present) the real corpus.
"""
from __future__ import annotations

import numpy as np
import pytest

from cablesearch import CableIndex
from cablesearch._whoosh import bytes_column
from cablesearch.engine.facets import CombinedColumn, FacetColumn, Vocabulary, ranked_counts
from cablesearch.engine.postings import _text_distance
from cablesearch.fields import FACETS, decode_positions
from cablesearch.matching import _read_postings

QUERIES = ["Lukashenko", '"human rights"', "tag:PHUM", "bel*", "Lukashenka~1", "para:(Belarus Lukashenko)",
           "Iran -nuclear", '"Aliyev Lukashenko"~10', "date:2007", "class:>=SECRET"]


def segments(index: CableIndex):
    with index._lock:
        return [(leaf, state) for leaf, _, state in index._segments(index.searcher())]


def check_postings_equal_whoosh(index: CableIndex, per_field: int) -> int:
    """Docnums, frequencies and positions of terms in the postings file equal Whoosh's postings."""
    checked = 0
    for leaf, state in segments(index):
        reader = leaf.reader()
        assert state.arrays is not None
        for field in ("body", "subject", "marking", "tags", "origin", "refs", "id", "year", "class_level"):
            for text in list(reader.lexicon(field))[:per_field]:
                whoosh, ours = _read_postings(reader, field, text), state.arrays.postings.term(field, text)
                # Whoosh's reader skips deleted documents (replaced cables); the arrays keep them
                live = [i for i, d in enumerate(ours.docs.tolist()) if not reader.is_deleted(d)]
                expected = [i for i, d in enumerate(whoosh.ids) if not reader.is_deleted(d)]
                assert [ours.docs[i] for i in live] == [whoosh.ids[i] for i in expected], (field, text)
                boost = index.schema[field].format.field_boost
                assert [ours.frequencies[i] * boost for i in live] == [whoosh.weights[i] for i in expected]
                if index.schema[field].format.supports("positions"):
                    starts = ours.starts
                    for i, j in zip(live, expected):
                        assert ours.positions[starts[i]:ours.ends[i]].tolist() == decode_positions(whoosh.values[j])
                checked += 1
        assert state.arrays.postings.term("body", b"no-such-term-here").docs.size == 0
    return checked


def test_postings_file_equals_whoosh_postings_on_the_fixtures(small_index, reference_small_index):
    """Docnums and weights against the usual index's Whoosh postings; positions too against a
    reference index, whose Whoosh postings keep them."""
    for path in (small_index, reference_small_index):
        with CableIndex.open(path) as index:
            assert check_postings_equal_whoosh(index, per_field=100_000) > 500


def test_postings_file_equals_whoosh_postings_on_the_real_corpus(real_corpus, reference_corpus):
    for corpus in (real_corpus, reference_corpus):
        assert check_postings_equal_whoosh(corpus.index, per_field=1500) > 5000


def test_the_postings_files_of_the_index_and_the_reference_are_equal(small_index, reference_small_index):
    """The positions the index keeps only in its arrays are those Whoosh keeps in a reference index
    (both written from the same cables in one process, so docnums agree)."""
    with CableIndex.open(small_index) as index, CableIndex.open(reference_small_index) as reference:
        ours, theirs = segments(index), segments(reference)
        assert len(ours) == len(theirs)
        for (_, a), (_, b) in zip(ours, theirs):
            assert a.arrays.postings.term_count == b.arrays.postings.term_count > 500
            for name in ("keys", "key_starts", "post_starts", "pos_starts", "docs", "ends", "positions"):
                assert np.array_equal(a.arrays.postings._arrays[name], b.arrays.postings._arrays[name]), name


@pytest.mark.parametrize("term, distance", [("lukashenka", 1), ("ahmadinejad", 2), ("iran", 1), ("medvedev", 2),
                                            ("nuclear", 1), ("belaru", 2), ("a", 1)])
def test_fuzzy_expansion_equals_whoosh_terms_within(real_corpus, term, distance):
    for leaf, state in segments(real_corpus.index):
        expected = sorted(t if isinstance(t, bytes) else t.encode("utf-8")
                          for t in leaf.reader().terms_within("body", term, distance, prefix=1))
        assert sorted(state.arrays.postings.terms_near("body", term, distance, 1)) == expected


def test_text_distance_is_levenshtein():
    assert _text_distance("kitten", "sitting", 5) == 3
    assert _text_distance("lukašenka", "lukashenka", 2) == 2
    assert _text_distance("abc", "abc", 0) == 0
    assert _text_distance("abcdef", "a", 2) == 3  # past the limit: limit + 1


def test_facet_codes_in_the_postings_file_equal_the_columns(real_corpus):
    for leaf, state in segments(real_corpus.index):
        everything = np.ones(leaf.reader().doc_count_all(), bool)
        for name in FACETS:
            kept, read = Vocabulary(), Vocabulary()
            a = FacetColumn.from_codes(*state.arrays.postings.facet(name), kept)
            b = FacetColumn.build(bytes_column(leaf.reader(), f"facet_{name}"), read)
            counts_a = {kept.values[c]: n for c, n in a.count(everything).items()}
            counts_b = {read.values[c]: n for c, n in b.count(everything).items()}
            assert counts_a == counts_b, name


@pytest.mark.parametrize("text", QUERIES)
def test_segments_without_postings_files_search_alike(reference_small_index, text):
    """An index written before the postings files (Whoosh's postings kept the positions then) goes
    through Whoosh's matchers and gives the same page, snippets included (which the arrays rank
    by the positions of the hit's words, the matchers' path by analysing its paragraphs)."""
    check_without_arrays(reference_small_index, text)


@pytest.mark.parametrize("text", ["Russia Ukraine gas", '"human rights" Belarus', "para:(Iran nuclear)",
                                  "terror*", "Lukashenka~1", "tag:PHUM"])
def test_segments_without_postings_files_search_alike_on_the_real_corpus(reference_corpus, text):
    check_without_arrays(reference_corpus.index.path, text)


def check_without_arrays(path, text: str) -> None:
    with CableIndex.open(path) as index:
        expected = index.search(text, limit=20)
        with index._lock:
            for _, state in segments(index):
                state.arrays = None
                state.facets.clear()
        found = index.search(text, limit=20)
    assert found.total == expected.total
    assert [h.id for h in found.hits] == [h.id for h in expected.hits]
    assert [round(h.score, 6) for h in found.hits] == [round(h.score, 6) for h in expected.hits]
    assert found.facets == expected.facets
    assert [h.snippets for h in found.hits] == [h.snippets for h in expected.hits]


def test_facet_columns_joined_over_segments_count_as_the_segments_do(real_corpus):
    """A searcher's facet columns joined end to end count any set of matches as the segments'
    own columns add up, by gathering the matches' values and by value (bitmaps and lists) alike."""
    parts = segments(real_corpus.index)
    rng = np.random.default_rng(12)
    for name in FACETS:
        vocabulary = Vocabulary()
        columns = [FacetColumn.from_codes(*state.arrays.postings.facet(name), vocabulary) for _, state in parts]
        joined = CombinedColumn(columns)
        n = sum(len(c.starts) - 1 for c in columns)
        assert joined.n == n
        for share in (0.0, 0.001, 0.05, 0.5, 1.0):
            mask = rng.random(n) < share
            expected: dict[str, int] = {}
            at = 0
            for column in columns:
                width = len(column.starts) - 1
                for code, count in column.count(mask[at:at + width]).items():
                    expected[vocabulary.values[code]] = expected.get(vocabulary.values[code], 0) + count
                at += width
            docs = np.flatnonzero(mask)
            for counts in (joined.gathered(docs, 0), joined.by_value(mask, 0), joined.count(mask, docs, 0)):
                assert {vocabulary.values[c]: int(k) for c, k in enumerate(counts) if k} == expected, (name, share)


def test_a_first_count_translates_only_the_values_it_found():
    vocabulary = Vocabulary()
    column = FacetColumn.build([b"PREL", b"PHUM", b"PGOV\x1fKNNP", b""], vocabulary)
    counts = column.count(np.array([False, True, True, True]))
    assert {vocabulary.values[c]: n for c, n in counts.items()} == {"PHUM": 1, "PGOV": 1, "KNNP": 1}
    assert sorted(vocabulary.values) == ["KNNP", "PGOV", "PHUM"]  # PREL, not counted, is not translated
    assert sorted(vocabulary.values[c] for c in column.codes) == ["KNNP", "PGOV", "PHUM", "PREL"]


def test_joined_facet_column_with_bitmaps_lists_and_documents_without_values():
    vocabulary = Vocabulary()
    # 200 documents: "common" on every other one, "rare" on three (one of them with "common"),
    # "one" on one, and none on every fifth
    raw = []
    for d in range(200):
        values = [b"common"] if d % 2 == 0 else []
        if d in (4, 51, 199):
            values.append(b"rare")
        if d == 7:
            values.append(b"one")
        raw.append(b"\x1f".join(values) if d % 5 else b"")
    first, second = FacetColumn.build(raw[:120], vocabulary), FacetColumn.build(raw[120:], vocabulary)
    joined = CombinedColumn([first, second])
    assert not joined.indexed  # built at the second count, or for by_value
    joined.by_value(np.zeros(joined.n, bool), len(vocabulary.values))
    assert not joined.single and len(joined.dense_codes) == 1 and len(joined.sparse_codes) == 2
    mask = np.zeros(200, bool)
    mask[[0, 2, 4, 7, 10, 51, 101, 199]] = True  # 0 and 10 (every fifth) and 101 (odd) have no values
    size = len(vocabulary.values)
    expected = {"common": 2, "rare": 3, "one": 1}
    for counts in (joined.by_value(mask, size), joined.gathered(np.flatnonzero(mask), size)):
        assert {vocabulary.values[c]: int(n) for c, n in enumerate(counts) if n} == expected
    assert ranked_counts(joined.by_value(mask, size), vocabulary) == [("rare", 3), ("common", 2), ("one", 1)]


def _brute_holds(postings, docs, positions):
    """Does the term stand at each (docnum, position)? One probe at a time."""
    out = []
    for doc, position in zip(docs.tolist(), positions.tolist()):
        at = postings.docs.tolist().index(doc)
        start = 0 if at == 0 else int(postings.ends[at - 1])
        out.append(position in postings.positions[start:int(postings.ends[at])].tolist())
    return out


def test_positions_gathered_and_probed_as_one_at_a_time():
    """_gather and _holds_at (merged, searched or binary-searched, whichever the sizes pick) agree
    with reading one posting at a time, zero-frequency postings and probes before a document's
    start included."""
    from cablesearch.engine.matching import _gather, _holds_at, _owners
    from cablesearch.engine.postings import TermPostings
    rng = np.random.default_rng(7)
    assert _owners(np.array([0, 2, 0, 3, 1, 0])).tolist() == [1, 1, 3, 3, 3, 4]
    assert _owners(np.zeros(0, np.int64)).tolist() == []
    for trial in range(80):
        docs = np.sort(rng.choice(300, size=rng.integers(1, 120), replace=False)).astype("<u4")
        frequencies = rng.integers(0 if trial % 3 == 0 else 1, 1 + [2, 8, 60, 250][trial % 4], len(docs))
        positions = np.concatenate([np.sort(rng.choice(5000, size=f, replace=False)) for f in frequencies]
                                   ).astype("<u4")
        postings = TermPostings(docs, np.cumsum(frequencies).astype("<u4"), positions)
        within = rng.random(300) < [0.05, 0.5, 1.0][trial % 3 if trial % 4 else 2]
        got_docs, got_positions = _gather(postings, within)
        expected = [(d, p) for i, d in enumerate(docs.tolist()) if within[d]
                    for p in positions[int(postings.starts[i]):int(postings.ends[i])].tolist()]
        assert list(zip(got_docs.tolist(), got_positions.tolist())) == expected
        held = docs[frequencies > 0].astype(np.int64)
        probe_docs = np.sort(rng.choice(held, size=rng.integers(1, 3 * len(held) + 2)))
        probe_positions = rng.integers(-3, 5000, len(probe_docs))
        if trial % 2:  # probes that hit: positions the term holds
            index = rng.integers(0, len(positions), len(probe_docs))
            probe_docs = np.repeat(docs, frequencies)[index].astype(np.int64)
            probe_positions = positions[index].astype(np.int64)
        pairs = sorted(set(zip(probe_docs.tolist(), probe_positions.tolist())))
        probe_docs = np.array([d for d, _ in pairs], np.int64)
        probe_positions = np.array([p for _, p in pairs], np.int64)
        assert _holds_at(postings, probe_docs, probe_positions).tolist() == \
            _brute_holds(postings, probe_docs, probe_positions), trial
    # Many positions in few documents, fewer probes: the positions are read and searched.
    positions = np.arange(0, 400, 2).astype("<u4")  # 200 positions: 8 search steps per probe
    postings = TermPostings(np.array([5], "<u4"), np.array([200], "<u4"), positions)
    probe_positions = np.arange(0, 390, 13).astype(np.int64)  # 30 probes: 200 <= 8 * 30, > 6 * 30
    probe_docs = np.full(len(probe_positions), 5, np.int64)
    assert _holds_at(postings, probe_docs, probe_positions).tolist() == [p % 2 == 0 for p in probe_positions]
