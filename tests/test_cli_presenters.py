"""Presenters: aligned hit lines, snippets with ¶ and highlighted matches, colour rules, data formats."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cablesearch import presenters
from cablesearch.model import Cable, Paragraph, Recipient, Reference
from cablesearch.results import Citation, Hit, IndexStats, Results, Snippet

SEED_CABLE = Cable(
    reference_id="07BAKU595", created=datetime(2007, 5, 16, 13, 24, tzinfo=timezone.utc), origin="BAKU",
    origin_name="Embassy Baku", classification="CONFIDENTIAL", captions=("SIPDIS",),
    tags=("PHUM", "PREL", "ECON", "BO", "RU", "AJ"),
    subject="DEMARCHE DELIVERED: CAUTIONING AZERBAIJAN AGAINST CLOSER RELATIONS WITH BELARUS",
    references=(Reference("A", "BAKU 568", "07BAKU568"), Reference("B", "STATE 61831", "07STATE61831")),
    classified_by="Anne E. Derse", classified_by_title="Ambassador", reasons="1.4 (b,d)", signer="DERSE",
    paragraphs=(Paragraph(1, "C", "As reported ref a, the Ambassador delivered ref b demarche " * 5),
                Paragraph(2, "C", "Separately, Pol/Econ Chief delivered ref b and c demarches.")),
    to=(Recipient("RUEHC", "SECSTATE WASHDC", "STATE", "PRIORITY", "3017"),),
    source="tests/data/07BAKU595.txt")


def make_hit(rank, id_, classification, origin, subject, snippets=(), tags=("PHUM",), day=16):
    return Hit(rank=rank, id=id_, date=datetime(2007, 5, day, 13, 24, tzinfo=timezone.utc),
               origin=origin, origin_name="Embassy " + origin.title(), classification=classification,
               tags=tags, subject=subject, score=3.14159, snippets=tuple(snippets))


def make_results(hits, total=None, facets=None):
    return Results(query="belarus", total=len(hits) if total is None else total, hits=tuple(hits),
                   facets=facets or {}, elapsed=0.0123, offset=0, limit=10)


SNIPPET = Snippet(paragraph=3, marking="C", text="Mustafayev argued that Belarus is making\n a shift",
                  matches=((23, 30),))
HITS = [
    make_hit(1, "07BAKU595", "CONFIDENTIAL", "BAKU", "DEMARCHE DELIVERED: CAUTIONING AZERBAIJAN", [SNIPPET]),
    make_hit(2, "06MINSK1", "SECRET//NOFORN", "MINSK", "LUKASHENKO", day=1),
]


def plain(frags):
    return presenters.render_text(frags, colour=False)


def test_hit_lines_are_aligned_in_columns():
    lines = plain(presenters.results_fragments(make_results(HITS))).splitlines()
    first, snippet, second = lines
    assert first.startswith("2007-05-16  07BAKU595  CONFIDENTIAL")
    assert second.startswith("2007-05-01  06MINSK1 ")
    # each column starts at the same offset on both hit lines
    assert first.index(" BAKU ") == second.index(" MINSK ")
    assert first.index("CONFIDENTIAL") == second.index("SECRET//NOFORN")
    assert first.index("DEMARCHE") == second.index("LUKASHENKO")


def test_snippet_shows_paragraph_marking_and_collapses_whitespace():
    text = plain(presenters.results_fragments(make_results(HITS)))
    assert "    ¶3 (C) Mustafayev argued that Belarus is making a shift" in text


def test_matched_words_are_highlighted_only_with_colour():
    frags = presenters.results_fragments(make_results(HITS))
    assert ("class:match", "Belarus") in frags
    coloured = presenters.render_text(frags, colour=True)
    assert "\x1b[1;33mBelarus\x1b[0m" in coloured
    assert "\x1b[" not in presenters.render_text(frags, colour=False)


def test_numbered_results_for_the_repl():
    lines = plain(presenters.results_fragments(make_results(HITS), numbered=True)).splitlines()
    assert lines[0].startswith("1. 2007-05-16")
    assert lines[2].startswith("2. 2007-05-01")


def test_subject_is_cut_to_the_terminal_width():
    long = make_hit(1, "07BAKU595", "CONFIDENTIAL", "BAKU", "WORD " * 50)
    line = plain(presenters.results_fragments(make_results([long]), width=80)).splitlines()[0]
    assert len(line) == 80 and line.endswith("…")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert presenters.wants_colour(FakeTerminal()) is True
    assert presenters.wants_colour(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert presenters.wants_colour(FakeTerminal()) is False


def test_facets_as_counts_and_month_timeline():
    facets = {"tag": [("PHUM", 12), ("PREL", 9)], "year": [("2007", 3)],
              "month": [("2007-05", 4), ("2007-01", 1), ("2008-12", 2)]}
    text = plain(presenters.results_page_fragments(make_results(HITS, facets=facets)))
    assert "tag   PHUM 12 · PREL 9" in text
    assert "year  2007 3" in text
    timeline = text[text.index("month "):].splitlines()
    assert timeline[0].split() == ["month", *"JFMAMJJASOND"]
    row_2007 = timeline[1].split()
    assert row_2007[0] == "2007" and row_2007[-1] == "5"
    assert row_2007[1] == "▂" and row_2007[5] == "█" and row_2007[2] == "·"
    assert timeline[2].split()[-1] == "2"  # 2008 total


def test_summary_line_and_empty_results():
    assert "2 cables (0.012 s)" in plain(presenters.results_page_fragments(make_results(HITS)))
    assert plain(presenters.results_page_fragments(make_results([]))).startswith("no cables match")


def test_json_carries_data_only():
    doc = json.loads(presenters.results_json(make_results(HITS, facets={"tag": [("PHUM", 2)]})))
    assert doc["total"] == 2 and doc["query"] == "belarus"
    assert doc["hits"][0]["id"] == "07BAKU595"
    assert doc["hits"][0]["date"] == "2007-05-16T13:24:00Z"
    assert doc["hits"][0]["snippets"][0] == {"paragraph": 3, "marking": "C", "text": SNIPPET.text,
                                             "matches": [[23, 30]]}
    assert doc["facets"] == {"tag": [{"value": "PHUM", "count": 2}]}


def test_jsonl_with_selected_fields():
    lines = list(presenters.hits_jsonl(HITS, ["id", "classification"]))
    assert [json.loads(line) for line in lines] == [
        {"id": "07BAKU595", "classification": "CONFIDENTIAL"},
        {"id": "06MINSK1", "classification": "SECRET//NOFORN"}]


def test_csv_rows_join_lists_and_quote():
    rows = list(csv.reader(io.StringIO("".join(presenters.hits_csv(HITS)))))
    assert rows[0] == list(presenters.CSV_DEFAULT_FIELDS)
    assert rows[1][1] == "07BAKU595" and rows[1][5] == "PHUM"
    assert rows[1][-1] == "Mustafayev argued that Belarus is making a shift"


def test_csv_separates_list_values_that_hold_spaces():
    hit = make_hit(1, "07BAKU595", "CONFIDENTIAL", "BAKU", "X", tags=("DOMESTIC POLITICS", "PHUM"))
    rows = list(csv.DictReader(io.StringIO("".join(presenters.hits_csv([hit], ["id", "tags"])))))
    assert rows == [{"id": "07BAKU595", "tags": "DOMESTIC POLITICS;PHUM"}]
    assert rows[0]["tags"].split(presenters.CSV_LIST_SEPARATOR) == ["DOMESTIC POLITICS", "PHUM"]


def test_unknown_output_field_is_an_error():
    from cablesearch.errors import CablesearchError

    with pytest.raises(CablesearchError, match="unknown output field bogus"):
        presenters.check_fields(["id", "bogus"])


def test_whole_cable_rendering_of_the_seed():
    text = plain(presenters.cable_fragments(SEED_CABLE, width=100))
    assert text.startswith("07BAKU595  DEMARCHE DELIVERED")
    assert "Classification  CONFIDENTIAL" in text
    assert "PHUM PREL ECON BO RU AJ" in text
    assert "\n¶2 (C)\n    Separately, Pol/Econ Chief" in text
    assert "To              STATE (SECSTATE WASHDC) PRIORITY" in text
    assert "References      A. BAKU 568 = 07BAKU568\n                B. STATE 61831 = 07STATE61831" in text
    assert "Classified by   Ambassador Anne E. Derse, reasons 1.4 (b,d)" in text
    assert max(len(line) for line in text.splitlines()) <= 100


CITES = [
    Citation("A", "BAKU 568", "07BAKU568", in_index=False),
    Citation("B", "STATE 61831", "07STATE61831", in_index=True),
    Citation("C", "Embassy-MFA telcon of May 3", None, in_index=False),
]
CITED_BY = [Hit(rank=1, id="07BAKU600", date=datetime(2007, 5, 20, tzinfo=timezone.utc), origin="BAKU",
                origin_name="Embassy Baku", classification="SECRET", tags=("PREL",),
                subject="FOLLOW-UP ON THE BELARUS DEMARCHE", score=0.0)]


def test_refs_mark_ids_not_in_the_index():
    text = plain(presenters.refs_fragments("07BAKU595", CITES, CITED_BY))
    assert text.startswith("07BAKU595 cites (3)\n")
    assert "07BAKU568  (not in the index)" in text
    assert "07STATE61831\n" in text
    assert "C. Embassy-MFA telcon of May 3  (names no cable)" in text
    assert "cited by (1)\n  07BAKU600  2007-05-20  FOLLOW-UP ON THE BELARUS DEMARCHE\n" in text


def test_refs_of_a_cable_not_in_the_index():
    text = plain(presenters.refs_fragments("07BAKU568", None, CITED_BY))
    assert text.startswith("07BAKU568 is not in the index\ncited by (1)\n  07BAKU600")
    doc = presenters.refs_dict("07BAKU568", None, CITED_BY)
    assert doc == {"id": "07BAKU568", "in_index": False, "cites": None, "cited_by": ["07BAKU600"]}
    cites = presenters.refs_dict("07BAKU595", CITES, [])["cites"]
    assert [(c["id"], c["in_index"]) for c in cites] == [("07BAKU568", False), ("07STATE61831", True), (None, False)]


def test_stats_as_text_and_json():
    stats = IndexStats(path=Path("/data/index"), cables=6712,
                       first_date=datetime(1966, 12, 28, 19, 3, tzinfo=timezone.utc),
                       last_date=datetime(2010, 2, 28, 8, 0, tzinfo=timezone.utc),
                       classifications=[("CONFIDENTIAL", 3000), ("UNCLASSIFIED", 2000)], size_bytes=3 * 2**20)
    lines = [line.split() for line in plain(presenters.stats_fragments(stats)).splitlines()]
    assert ["cables", "6712"] in lines
    assert ["dates", "1966-12-28", "..", "2010-02-28"] in lines
    assert ["classifications", "CONFIDENTIAL", "3000", "·", "UNCLASSIFIED", "2000"] in lines
    assert ["size", "3.0", "MB"] in lines
    doc = json.loads(json.dumps(presenters.stats_dict(stats)))
    assert doc["path"] == "/data/index" and doc["first_date"] == "1966-12-28T19:03:00Z"
    assert doc["classifications"] == [["CONFIDENTIAL", 3000], ["UNCLASSIFIED", 2000]]


def test_stats_of_an_empty_index_say_none():
    stats = IndexStats(path=Path("/data/index"), cables=0, first_date=None, last_date=None,
                       classifications=[], size_bytes=5000)
    lines = [line.split() for line in plain(presenters.stats_fragments(stats)).splitlines()]
    assert ["dates", "none"] in lines and ["classifications", "none"] in lines


def test_classification_colour_follows_the_level():
    assert [presenters.classification_class(c) for c in
            ("UNCLASSIFIED", "CONFIDENTIAL//NOFORN", "SECRET", "TOP SECRET", "")] == [
        "class:class.u", "class:class.c", "class:class.s", "class:class.ts", "class:class.u"]


def test_timeline_folds_long_empty_stretches():
    rows = plain(presenters.timeline_fragments([("1966-01", 1), ("2005-06", 2), ("2007-12", 1)])).splitlines()
    assert [row.split()[0] for row in rows] == ["month", "1966", "1967-2004", "2005", "2006", "2007"]
    assert rows[2].endswith("none") and rows[4].split()[-1] == "0"
