"""The seed cable (07BAKU595, the project's starting example) parses to the values issue 2 lists."""
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cablesearch.model import Reference
from cablesearch.parser import parse_cable

SEED = Path(__file__).parent / "data" / "07BAKU595.txt"


@pytest.fixture(scope="module")
def seed():
    return parse_cable(SEED.read_text(encoding="utf-8"), source=str(SEED))


def test_seed_identity_and_transmission(seed):
    assert seed.reference_id == "07BAKU595"
    assert seed.transmission_id == "VZCZCXRO7044"
    assert seed.precedence == "PRIORITY"
    assert seed.created == datetime(2007, 5, 16, 13, 24, tzinfo=timezone.utc)
    assert seed.created_precision == "minute"


def test_seed_origin_and_addressees(seed):
    assert seed.origin == "BAKU"
    assert seed.origin_name == "Embassy Baku"
    assert [(r.route, r.name, r.station, r.precedence, r.serial) for r in seed.to] == [
        ("RUEHC", "SECSTATE WASHDC", "STATE", "PRIORITY", "3017")]
    assert [(r.route, r.station, r.serial) for r in seed.info] == [
        ("RUCNCIS", "", ""), ("RUEHAK", "ANKARA", "2137"), ("RUEHVEN", "USOSCE", "0568"),
        ("RUCNDT", "USUNNEWYORK", "0231"), ("RUEHGV", "GENEVA", "0272")]
    assert seed.info[0].name == "CIS COLLECTIVE"


def test_seed_classification_captions_eo(seed):
    assert seed.classification == "CONFIDENTIAL"
    assert "SIPDIS" in seed.captions
    assert seed.eo == "12958"
    assert seed.declassify_on == "2017-05-16"


def test_seed_tags_inside_u_markup(seed):
    assert seed.tags == ("PHUM", "PREL", "ECON", "BO", "RU", "AJ")


def test_seed_subject_wrapped_over_blank_separated_lines(seed):
    assert seed.subject == "DEMARCHE DELIVERED: CAUTIONING AZERBAIJAN AGAINST CLOSER RELATIONS WITH BELARUS"


def test_seed_references_year_inferred_and_labels_read_through_stray_1(seed):
    assert seed.references == (
        Reference("A", "BAKU 568", "07BAKU568"),
        Reference("B", "STATE 61831", "07STATE61831"),
        Reference("C", "STATE 63345", "07STATE63345"),
    )


def test_seed_classified_by(seed):
    assert seed.classified_by == "Anne E. Derse"
    assert seed.classified_by_title == "Ambassador"
    assert seed.reasons == "1.4 (b,d)"


def test_07BAKU595_seed_layout_paragraph_sign_rendered_as_1(seed):
    """`- 12. (C)` is paragraph 2 (the ¶ became a stray 1); the unnumbered `- (C)` opener is paragraph 1."""
    assert [(p.number, p.marking) for p in seed.paragraphs] == [(n, "C") for n in range(1, 6)]
    assert seed.paragraphs[0].text.startswith("As reported ref a, the Ambassador delivered")
    assert seed.paragraphs[1].text.startswith("Separately, Pol/Econ Chief delivered")


def test_07BAKU595_seed_layout_blank_line_inside_paragraph_is_joined(seed):
    assert "over the last two to three years has increasingly" in seed.paragraphs[2].text


def test_07BAKU595_page_break_line_removed_from_body(seed):
    assert "00000595" not in seed.body
    assert "constructive engagement with Lukashenko for years" in seed.paragraphs[4].text
    assert seed.body.startswith("As reported ref a")
    assert "DERSE" not in seed.body


def test_seed_sections_signer_partial(seed):
    assert seed.sections == 2
    assert seed.signer == "DERSE"
    assert seed.is_partial is False
    assert seed.summary == ""
    assert seed.disagreements == ()
    assert seed.raw == SEED.read_text(encoding="utf-8")


def test_seed_to_dict_is_json_ready(seed):
    d = seed.to_dict()
    assert d["created"] == "2007-05-16T13:24:00Z"
    assert d["references"][1] == {"label": "B", "text": "STATE 61831", "id": "07STATE61831"}
    assert d["paragraphs"][1]["number"] == 2
    assert "raw" not in d
