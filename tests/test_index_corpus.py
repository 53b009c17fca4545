"""Index every real cable of ../shared/corpus/cables/ and check counts against the parsed records.

One index (the session-wide `real_corpus` fixture of conftest.py, built with both cores) answers all checks here: the cable
count and the facet counts per tag, origin, year and classification must equal what the parsed
records give when counted directly in Python.
"""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from whoosh import query as wq

from cablesearch import CableIndex
from cablesearch.model import Cable

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CABLES_DIR = CORPUS / "cables"

pytestmark = pytest.mark.skipif(not CABLES_DIR.is_dir(),
                                reason=f"real corpus folder {CABLES_DIR} is absent")


@pytest.fixture(scope="module")
def corpus(real_corpus):
    return real_corpus.index, real_corpus.items, real_corpus.cables, real_corpus.summary


def by_id(cables: list[Cable]) -> dict[str, Cable]:
    """What the index must hold: the last cable read for each reference id."""
    return {c.reference_id: c for c in cables}


def test_every_input_is_accounted_for(corpus):
    index, items, cables, summary = corpus
    latest = by_id(cables)
    assert summary.read == len(items)
    assert summary.rejected == len(items) - len(cables)
    assert summary.added == len(latest)
    assert summary.added + summary.replaced + summary.unchanged == len(cables)
    assert index.stats().cables == len(latest)
    if summary.rejected:
        logged = summary.log_path.read_text(encoding="utf-8").splitlines()
        assert len([line for line in logged if not line.startswith("#")]) == summary.rejected


def test_facet_counts_equal_counts_of_the_parsed_records(corpus):
    index, _, cables, _ = corpus
    latest = by_id(cables).values()
    expected = {
        "tag": Counter(t for c in latest for t in set(c.tags)),
        "origin": Counter(c.origin or c.origin_name for c in latest if c.origin or c.origin_name),
        "year": Counter(str(c.year) for c in latest if c.year),
        "classification": Counter(c.classification for c in latest if c.classification),
    }
    results = index.search(wq.Every(), limit=1, facets=tuple(expected))
    assert results.total == len(latest)
    for name, counts in expected.items():
        assert dict(results.facets[name]) == dict(counts), name
        assert [n for _, n in results.facets[name]] == sorted(counts.values(), reverse=True)


def test_keyword_search_counts_equal_counts_of_the_parsed_records(corpus):
    index, _, cables, _ = corpus
    latest = list(by_id(cables).values())
    tag, _ = Counter(t for c in latest for t in set(c.tags)).most_common(1)[0]
    origin, _ = Counter(c.origin for c in latest if c.origin).most_common(1)[0]
    for q, matching in [
        (wq.Term("tags", tag.lower()), [c for c in latest if tag in c.tags]),
        (wq.Term("origin", origin.lower()), [c for c in latest if c.origin == origin]),
        (wq.Term("year", "2009"), [c for c in latest if c.year == 2009]),
    ]:
        results = index.search(q, limit=5, sort="-date", facets=())
        assert results.total == len(matching), q
        newest = sorted((c.created for c in matching if c.created), reverse=True)[:5]
        assert [h.date for h in results.hits] == newest


def test_records_come_back_exactly(corpus):
    index, _, cables, _ = corpus
    latest = by_id(cables)
    for rid in sorted(latest)[::500]:
        assert index.get(rid) == latest[rid]


def test_reindexing_the_corpus_changes_nothing(corpus, tmp_path):
    shared, items, cables, _ = corpus
    # Written to a copy: other test modules read the session's index and expect exactly the corpus.
    shutil.copytree(shared.path, tmp_path / "index")
    with CableIndex.open(tmp_path / "index") as index:
        sample = items[::20]
        summary = index.add(sample, procs=1)
        sample_cables = [c for c in sample if isinstance(c, Cable)]
        assert (summary.added, summary.replaced, summary.unchanged) == (0, 0, len(sample_cables))
        assert index.stats().cables == len(by_id(cables))
        for cable in sample_cables[::25]:
            assert index.get(cable.reference_id) == by_id(cables)[cable.reference_id]


def test_cables_whose_archive_id_was_repaired_are_found_by_either_id(corpus):
    index, _, cables, _ = corpus
    repaired = [c for c in by_id(cables).values() if c.archive_id]
    assert repaired, "the corpus holds malformed archive ids (08EFTOLONDON2883 ...) that the parser repairs"
    for cable in repaired:
        assert index.get(cable.archive_id) == cable
        found = index.search(f"id:{cable.archive_id}", facets=())
        assert [h.id for h in found.hits] == [cable.reference_id], cable.archive_id
