"""Page furniture and the site's metadata block inside wrapped SUBJECT/REF lines: hand-written
variants of 00HARARE6677, 00HARARE5461 and 07LIMA2323, so they run without the corpus."""
from __future__ import annotations

from pathlib import Path

from cablesearch.parser import parse_cable

DATA = Path(__file__).parent / "data"
PARTIAL = (DATA / "partial_extract_page_headers.txt").read_text(encoding="utf-8")


def test_00HARARE6677_layout_page_header_inside_a_wrapped_subject_is_dropped():
    c = parse_cable(PARTIAL, metadata={"reference_id": "01RIGA210"})
    assert c.subject == "LATVIAN PARLIAMENT DEBATES FERRY SUBSIDY"


def test_00HARARE5461_layout_page_header_after_the_ref_line_is_dropped():
    c = parse_cable(PARTIAL, metadata={"reference_id": "01RIGA210"})
    assert [(r.id, r.text) for r in c.references] == [("01RIGA198", "RIGA 198")]


def test_07LIMA2323_layout_ref_list_stops_at_the_metadata_block_and_never_cites_itself():
    block = ("REF: A. RIGA 198 \n     B. RIGA 2...\nid: 140001\ndate: 3/3/2001 12:00\nrefid: 01RIGA210\n"
             "origin: Embassy Riga\nclassification: CONFIDENTIAL\ndestination: 01RIGA198\nheader:\n"
             "VZCZCXYZ0001\nPP RUEHWEB\n\n")
    text = PARTIAL.replace("REF: RIGA 198  CONFIDENTIAL\nPAGE 03 RIGA 00210 01 OF 02 031200Z\n", block)
    c = parse_cable(text, metadata={"reference_id": "01RIGA210"})
    assert [(r.label, r.id) for r in c.references] == [("A", "01RIGA198"), ("B", None)]
    assert all("refid" not in r.text and "VZCZC" not in r.text for r in c.references)
    assert [p.number for p in c.paragraphs] == [1, 2]
