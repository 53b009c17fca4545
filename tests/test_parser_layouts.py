"""Layouts and label variants, on the hand-written example cables bundled in cablesearch/examples."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from cablesearch.model import Reference
from cablesearch.parser import CableParseError, canonical_station, origin_name_for, parse_cable

EXAMPLES = Path(__file__).resolve().parents[1] / "cablesearch" / "examples"


def example(name: str):
    path = EXAMPLES / f"{name}.txt"
    return parse_cable(path.read_text(encoding="utf-8"), source=str(path))


def test_secret_noforn_cable_with_refs_markings_summary_and_page_break():
    c = example("09TALLINN412")
    assert c.classification == "SECRET//NOFORN" and {"NOFORN", "SIPDIS"} <= set(c.captions)
    assert c.references == (
        Reference("A", "TALLINN 398", "09TALLINN398"),
        Reference("B", "09 STATE 104233", "09STATE104233"),
        Reference("C", "RIGA 610 AND 614", "09RIGA610"),
        Reference("C", "RIGA 610 AND 614", "09RIGA614"),
    )
    assert [(p.number, p.marking) for p in c.paragraphs] == [(1, "S/NF"), (2, "S/NF"), (3, "C"), (4, "C")]
    assert c.summary.startswith("Estonian defense planners told PolOff") and "END SUMMARY" not in c.summary
    assert "Planning Details" not in c.body and "002 OF 002" not in c.body
    assert "before any funding request" in c.paragraphs[2].text
    assert c.sections == 2 and c.precedence == "IMMEDIATE"
    assert [r.station for r in c.info] == ["RIGA", "VILNIUS", "MOSCOW", "USNATO"]


def test_unclas_sensitive_tags_without_colon_and_subj_label():
    c = example("06SAOPAULO731")
    assert c.classification == "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
    assert c.tags == ("ECON", "ETRD", "EINV", "BR")
    assert c.subject == "SAO PAULO PORT OPERATORS COMPLAIN OF CUSTOMS DELAYS"
    assert c.origin_name == "Consulate Sao Paulo" and c.precedence == "ROUTINE"
    assert c.declassify_on == "N/A"


def test_partial_extract_with_site_block_multiword_tag_and_date_only():
    c = example("04THEHAGUE2290")
    assert c.is_partial and c.reference_id == "04THEHAGUE2290"
    assert c.tags == ("PGOV", "NL", "DOMESTIC POLITICS")
    assert c.subject == "DUTCH COALITION PARTNERS SPAR OVER BUDGET PRIORITIES"  # not the cut "..." copy
    assert (c.created, c.created_precision) == (datetime(2004, 9, 9, tzinfo=timezone.utc), "day")
    assert (c.classified_by, c.classified_by_title, c.reasons) == (
        "Sample Official", "Political Counselor", "1.4 (b,d)")


def test_state_cable_tage_label_ref_list_split_and_non_cable_reference():
    c = example("08STATE22071")
    assert c.origin == "STATE" and c.origin_name == "Secretary of State"
    assert c.tags == ("AMGT", "ASEC", "KPAO")
    assert [(r.label, r.id) for r in c.references] == [
        ("A", "07STATE12345"), ("B", "08BRASILIA2799"), ("B", "08BRASILIA2764"), ("C", None)]
    assert c.references[-1].text.startswith("EMAIL FROM EXAMPLE DESK OFFICER")
    assert c.to[0].name == "ALL DIPLOMATIC AND CONSULAR POSTS COLLECTIVE" and c.to[0].station == ""
    assert c.signer == "RICE" and [p.number for p in c.paragraphs] == [1, 2, 3]


def test_newspaper_layout_dateline_eo_decl_and_tags_without_colons():
    c = example("04MADRID3305")
    assert (c.created, c.created_precision) == (datetime(2004, 8, 27, 8, 0, tzinfo=timezone.utc), "hour")
    assert c.transmission_id == "" and c.eo == "12958" and c.declassify_on == "2014-08-27"
    assert c.tags == ("PARM", "PINR", "SP")
    assert [r.id for r in c.references] == ["04MADRID3101"]
    assert [(p.number, p.marking) for p in c.paragraphs] == [(1, "C"), (2, "C"), (3, "U")]
    assert (c.classified_by, c.classified_by_title) == ("Jane Sample", "DCM")


def test_station_spellings_are_canonical():
    assert canonical_station("SECSTATE") == "STATE"
    assert canonical_station("HAGUE") == "THEHAGUE"
    assert canonical_station("THE HAGUE") == "THEHAGUE"
    assert canonical_station("USUN NEW YORK") == "USUNNEWYORK"
    assert canonical_station("E F T O LONDON") == "LONDON"


@pytest.mark.parametrize("fm, station, name", [
    ("AMEMBASSY BAKU", "BAKU", "Embassy Baku"),
    ("AMCONSUL SAO PAULO", "SAOPAULO", "Consulate Sao Paulo"),
    ("SECSTATE WASHDC", "STATE", "Secretary of State"),
    ("USMISSION USUN NEW YORK", "USUNNEWYORK", "USUN New York"),
    ("USDEL SECRETARY//EUROPE//", "PARTO", "US Delegation, Secretary"),
    ("AMEMBASSY KIEV", "KIEV", "Embassy Kyiv"),
    ("", "NEWDELHI", "Embassy New Delhi"),
    ("AMEMBASSY PODGORICA", "PODGORICA", "Embassy Podgorica"),
])
def test_origin_names(fm, station, name):
    assert origin_name_for(fm, station) == name


def test_text_that_is_no_cable_is_a_clear_error():
    with pytest.raises(CableParseError, match="not a cable") as info:
        parse_cable("Dear all,\nlunch is at noon.\n", source="memo.txt")
    assert info.value.source == "memo.txt" and str(info.value).startswith("memo.txt: ")
