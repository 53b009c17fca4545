"""Oracle: field queries over an index of the real corpus return exactly the cables that a plain
Python filter over the parsed records selects.

The index is the session-wide `real_corpus` fixture of conftest.py: every cable of
../shared/corpus/cables, indexed once with CableIndex; the expected ids come from the Cable records
themselves (tags, origin, created, classification, captions, refs, paragraph markings), never from
the index.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from cablesearch.fields import classification_level
from cablesearch.model import Cable

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

pytestmark = pytest.mark.skipif(not (CORPUS / "cables").is_dir(),
                                reason=f"the real corpus is absent ({CORPUS}/cables not found)")


@pytest.fixture(scope="module")
def corpus(real_corpus):
    """(index, {reference id: Cable}) with the last-read cable winning, as the index keeps it."""
    return real_corpus.index, real_corpus.latest()


# --- what each field holds, read straight off the record ----------------------------------------

def _lower(values) -> set[str]:
    return {" ".join(v.replace(",", " ").split()).lower() for v in values if v}


def tags(c: Cable) -> set[str]:
    return _lower(c.tags)


def origin(c: Cable) -> set[str]:
    return _lower([c.origin, c.origin_name])


def captions(c: Cable) -> set[str]:
    return _lower(c.captions)


def level(c: Cable) -> int | None:
    return classification_level(c.classification) if c.classification else None


def classification(c: Cable) -> set[str]:
    return _lower([c.classification, c.classification.split("//")[0]]) if c.classification else set()


def month(c: Cable) -> str:
    return c.created.strftime("%Y-%m") if c.created else ""


def day(c: Cable) -> date | None:
    return c.created.date() if c.created else None


def sent_within(c: Cable, lo: date = date.min, hi: date = date.max) -> bool:
    """Sent on a day in lo..hi; a cable known only by its id's year counts when all that year is inside."""
    if c.created is not None:
        return lo <= c.created.date() <= hi
    return c.year is not None and lo <= date(c.year, 1, 1) and date(c.year, 12, 31) <= hi


def markings(c: Cable) -> set[str]:
    out = set()
    for p in c.paragraphs:
        if p.marking:
            out |= {p.marking.lower(), p.marking.split("/")[0].lower()}
    return out


ORACLE = [
    ("tag:PHUM", lambda c: "phum" in tags(c)),
    ("tags:prel", lambda c: "prel" in tags(c)),
    ("tag:(PHUM OR PTER)", lambda c: bool({"phum", "pter"} & tags(c))),
    ("from:CAIRO", lambda c: "cairo" in origin(c)),
    ("from:london", lambda c: "london" in origin(c)),
    ('from:"Embassy Tripoli"', lambda c: "embassy tripoli" in origin(c)),
    ("origin:(SANJOSE OR REYKJAVIK)", lambda c: bool({"sanjose", "reykjavik"} & origin(c))),
    ("date:2009", lambda c: c.year == 2009),
    ("date:2008-05", lambda c: month(c) == "2008-05"),
    ("date:2006-11..2007-02", lambda c: "2006-11" <= month(c) <= "2007-02"),
    ("date:..2005", lambda c: sent_within(c, hi=date(2005, 12, 31))),
    ("date:>=2009-06", lambda c: sent_within(c, lo=date(2009, 6, 1))),
    ("date:<2008-03-15", lambda c: sent_within(c, hi=date(2008, 3, 14))),
    ("date:2009-06-01..2009-06-10", lambda c: day(c) is not None and date(2009, 6, 1) <= day(c) <= date(2009, 6, 10)),
    ("date:>2010-01-31", lambda c: sent_within(c, lo=date(2010, 2, 1))),
    ("class:SECRET", lambda c: "secret" in classification(c)),
    ("class:confidential", lambda c: "confidential" in classification(c)),
    ('class:"SECRET//NOFORN"', lambda c: "secret//noforn" in classification(c)),
    ("class:>=SECRET", lambda c: level(c) is not None and level(c) >= 2),
    ("class:<CONFIDENTIAL", lambda c: level(c) == 0),
    ("class:C..S", lambda c: level(c) in (1, 2)),
    ("caption:NOFORN", lambda c: "noforn" in captions(c)),
    ("caption:SENSITIVE", lambda c: "sensitive" in captions(c)),
    ("tag:PHUM AND from:CAIRO", lambda c: "phum" in tags(c) and "cairo" in origin(c)),
    ("tag:PREL OR tag:PGOV", lambda c: bool({"prel", "pgov"} & tags(c))),
    ("tag:PREL -caption:SIPDIS", lambda c: "prel" in tags(c) and "sipdis" not in captions(c)),
    ("NOT tag:PREL", lambda c: "prel" not in tags(c)),
    ("-date:2009 -date:2008", lambda c: c.year not in (2008, 2009)),
    ("(tag:PHUM OR tag:PTER) date:2009 class:>=CONFIDENTIAL",
     lambda c: bool({"phum", "pter"} & tags(c)) and c.year == 2009 and (level(c) or 0) >= 1),
    ("from:(CAIRO OR TRIPOLI) NOT class:UNCLASSIFIED",
     lambda c: bool({"cairo", "tripoli"} & origin(c)) and "unclassified" not in classification(c)),
    ("tag:ECON OR (from:LONDON date:2010)",
     lambda c: "econ" in tags(c) or ("london" in origin(c) and c.year == 2010)),
    ("para:(marking:S)", lambda c: "s" in markings(c)),
    ("para:(marking:C/NF) tag:PREL", lambda c: "c/nf" in markings(c) and "prel" in tags(c)),
]


def _ids(index, query: str, expected_count: int) -> tuple[int, set[str]]:
    results = index.search(query, limit=expected_count + 5, facets=())
    return results.total, {hit.id for hit in results.hits}


@pytest.mark.parametrize("query, keep", ORACLE, ids=[q for q, _ in ORACLE])
def test_field_queries_return_exactly_the_records_a_python_filter_selects(corpus, query, keep):
    index, records = corpus
    expected = {rid for rid, cable in records.items() if keep(cable)}
    total, found = _ids(index, query, len(expected))
    assert found == expected, (f"{query}: {len(found - expected)} unexpected, e.g. {sorted(found - expected)[:3]}; "
                               f"{len(expected - found)} missing, e.g. {sorted(expected - found)[:3]}")
    assert total == len(expected)


def test_the_oracle_queries_are_not_vacuous(corpus):
    _, records = corpus
    sizes = [sum(1 for c in records.values() if keep(c)) for _, keep in ORACLE]
    assert all(0 < size < len(records) for size in sizes), dict(zip((q for q, _ in ORACLE), sizes))


def test_the_most_cited_cable_is_found_by_ref_and_an_id_by_id(corpus):
    index, records = corpus
    cited = Counter(r.id for c in records.values() for r in c.references if r.id)
    target, _ = cited.most_common(1)[0]
    expected = {rid for rid, c in records.items() if target in {r.id for r in c.references}}
    assert _ids(index, f"ref:{target}", len(expected))[1] == expected
    some_id = sorted(records)[len(records) // 2]
    assert _ids(index, f"id:{some_id.lower()}", 1)[1] == {some_id}
    assert some_id in _ids(index, some_id, 50)[1]  # a bare reference id finds that cable
