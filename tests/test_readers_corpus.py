"""The 420 HTML pages and cables.csv give the same records as the text files of the real corpus.

"The same" means equal `to_dict()` minus source/raw/encoding, except where the container speaks:
it fills what the text lacks (a time of day for partial extracts) and, where it disagrees with the
text, its value is kept and the record says so (a Disagreement holding the text's value).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cablesearch.model import Cable
from cablesearch.readers import ReadError, read_cables

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not (CORPUS / "cables").is_dir(),
                                reason=f"real corpus not present at {CORPUS} (CI has ../shared)")

_IGNORED = {"source", "raw", "encoding", "disagreements", "created_precision"}


def _records(paths) -> dict[str, Cable]:
    out = {}
    for item in read_cables(paths):
        assert not isinstance(item, ReadError), item
        out[item.archive_id or item.reference_id] = item
    return out


@pytest.fixture(scope="module")
def text_records() -> dict[str, Cable]:
    return _records([CORPUS / "cables"])


@pytest.fixture(scope="module")
def csv_records() -> dict[str, Cable]:
    return _records([CORPUS / "cables.csv"])


def _unexplained_differences(text: Cable, container: Cable) -> list[str]:
    """Fields that differ and are neither a recorded disagreement nor a gap the container filled."""
    a, b = text.to_dict(), container.to_dict()
    disagreed = {d.field: d for d in container.disagreements}
    problems = []
    for key in a:
        if key in _IGNORED or a[key] == b[key]:
            continue
        if key in disagreed:
            expected = disagreed[key].text_value
            if str(a[key] or "") == expected or (key == "created" and text.created_precision == "day"):
                continue
        if key == "created" and text.created_precision in ("day", ""):
            if a[key] is None or a[key][:10] == b[key][:10]:
                continue  # the container gave the time of day the text lacks
        if key in ("classification", "origin_name") and not a[key]:
            continue
        problems.append(f"{key}: text={a[key]!r} container={b[key]!r}")
    return problems


def test_html_pages_give_the_same_records_as_the_text_files(text_records):
    html = _records([CORPUS / "html"])
    assert len(html) == 420
    bad = {rid: _unexplained_differences(text_records[rid], cable) for rid, cable in html.items()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, dict(list(bad.items())[:5])


def test_cables_csv_gives_the_same_6712_records_as_the_text_files(text_records, csv_records):
    assert set(csv_records) == set(text_records) and len(csv_records) == 6712
    bad = {rid: _unexplained_differences(text_records[rid], cable) for rid, cable in csv_records.items()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, dict(list(bad.items())[:5])
    # the container dates every record, to the hour at least
    assert all(c.created is not None for c in csv_records.values())
    untimed = [rid for rid, c in text_records.items() if c.created_precision in ("day", "")]
    assert untimed and all(csv_records[rid].created_precision == "minute" for rid in untimed)


def test_csv_disagreements_are_only_where_text_and_archive_really_differ(csv_records):
    fields = {}
    for cable in csv_records.values():
        for d in cable.disagreements:
            fields[d.field] = fields.get(d.field, 0) + 1
    # classification: the archive database's differs from the banner for about 1% of cables;
    # created: the archive's date or hour differs from the DTG for a handful.
    assert set(fields) <= {"classification", "created", "reference_id", "origin"}
    assert fields.get("classification", 0) < 0.015 * len(csv_records)
    assert fields.get("created", 0) < 20


def test_created_and_classification_agree_with_the_manifest_when_read_from_cables_csv(csv_records, record_property):
    """With a container, every cable is dated (the text alone leaves ~660 partial extracts without a time)."""
    with open(CORPUS / "manifest.jsonl", encoding="utf-8") as fh:
        manifest = {row["reference_id"]: row for row in map(json.loads, fh)}
    total = len(csv_records)
    created = sum(1 for rid, c in csv_records.items()
                  if c.created.strftime("%Y-%m-%d %H") == manifest[rid]["created"][:13])
    classification = sum(1 for rid, c in csv_records.items() if c.classification == manifest[rid]["classification"])
    for name, ok in (("csv_created", created), ("csv_classification", classification)):
        print(f"\n{name}: {ok}/{total} = {100 * ok / total:.2f}%")
        record_property(name, f"{100 * ok / total:.2f}%")
    assert created == total and classification == total
