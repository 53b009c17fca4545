"""Odd cases of the real corpus, one test each, named after the cable that shows it."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from cablesearch.parser import CableParseError, parse_cable

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not (CORPUS / "cables").is_dir(),
                                reason=f"real corpus not present at {CORPUS} (CI has ../shared)")


def cable(archive_id: str, *, with_file_name: bool = True):
    text = (CORPUS / "cables" / f"{archive_id}.txt").read_text(encoding="utf-8")
    return parse_cable(text, source=archive_id, metadata={"reference_id": archive_id} if with_file_name else None)


def test_07BAKU1227_site_layout_dateline_tags_without_colon_refs_with_repeated_labels():
    c = cable("07BAKU1227")
    assert c.created == datetime(2007, 10, 9, 14, 14, tzinfo=timezone.utc)
    assert c.tags[:3] == ("ENRG", "PREL", "PGOV") and c.tags[-1] == "AJ"
    assert c.subject == "PRESIDENT ALIYEV ON ENERGY ISSUES IN ADVANCE OF THE VILNIUS ENERGY SUMMIT"
    assert [(r.label, r.id) for r in c.references] == [("A", "07BAKU1224"), ("B", "07TBILISI2498")]
    assert c.sections == 3 and c.signer == "DERSE"
    assert c.summary.startswith("In a one-hour one-on-one meeting")
    assert "Georgian Winter Gas" not in c.body and "BAKU 00001227" not in c.body  # headers, page breaks
    assert [p.number for p in c.paragraphs] == list(range(1, 11))


def test_08EFTOLONDON2883_efto_archive_id_repaired_from_spaced_out_banner():
    c = cable("08EFTOLONDON2883")
    assert (c.reference_id, c.archive_id, c.origin) == ("08LONDON2883", "08EFTOLONDON2883", "LONDON")
    assert "EFTO" in c.captions


def test_08ECTION01OF02MANAMA492_malformed_archive_id_repaired():
    c = cable("08ECTION01OF02MANAMA492")
    assert (c.reference_id, c.archive_id, c.origin_name) == ("08MANAMA492", "08ECTION01OF02MANAMA492", "Embassy Manama")


def test_08SECTION01GF02BISHIEK21_garbled_banner_too_so_the_archive_id_is_kept():
    c = cable("08SECTION01GF02BISHIEK21")
    assert c.reference_id == "08SECTION01GF02BISHIEK21" and c.origin == "BISHKEK"  # from the FM line


def test_07PARIS2725_archive_filed_another_cable_under_this_id():
    c = cable("07PARIS2725")
    assert c.reference_id == "07PARIS2725"
    assert [(d.field, d.text_value) for d in c.disagreements] == [("reference_id", "07MOSCOW5154")]


def test_00THEHAGUE1695_partial_extract_site_block_gives_date_only_and_the_full_subject():
    c = cable("00THEHAGUE1695", with_file_name=False)
    assert c.is_partial and c.reference_id == "00THEHAGUE1695"
    assert (c.created, c.created_precision) == (datetime(2000, 6, 7, tzinfo=timezone.utc), "day")
    assert c.subject == "PEACEKEEPING REMAINS SENSITIVE ISSUE IN THE NETHERLANDS"
    assert c.classification == "UNCLASSIFIED" and c.origin_name == "Embassy The Hague"
    assert [r.id for r in c.references] == ["00THEHAGUE588", "00THEHAGUE980"]


def test_03ANKARA1516_partial_extract_without_any_date_needs_a_container_for_its_year():
    text = (CORPUS / "cables" / "03ANKARA1516.txt").read_text(encoding="utf-8")
    with pytest.raises(CableParseError, match="no reference id"):
        parse_cable(text)
    c = cable("03ANKARA1516")
    assert c.created is None and c.created_precision == ""
    assert c.classified_by == "John Kunstadter" and c.classified_by_title == "Polcouns"
    c = parse_cable(text, metadata={"reference_id": "03ANKARA1516", "created": "2003-03-11 09:09"})
    assert c.created == datetime(2003, 3, 11, 9, 9, tzinfo=timezone.utc)


def test_04BOGOTA11339_tab_separated_dump_row_with_backslash_continuations():
    c = cable("04BOGOTA11339", with_file_name=False)
    assert c.reference_id == "04BOGOTA11339"
    assert c.created == datetime(2004, 11, 2, 18, 31, tzinfo=timezone.utc)  # the row's time, to the minute
    assert c.subject == "THE UN'S FUTURE IN COLOMBIA"
    assert "\\" not in c.body and c.paragraphs[0].number == 1


def test_08BERN443_dump_row_repeats_the_header_it_follows():
    c = cable("08BERN443", with_file_name=False)
    assert c.reference_id == "08BERN443" and c.transmission_id == "VZCZCXRO4059"
    assert len({r.name for r in c.info}) == len(c.info)  # the repeated header adds no addressees twice


def test_08BUENOSAIRES62_comma_separated_export_row_after_the_header():
    c = cable("08BUENOSAIRES62")
    assert c.created == datetime(2008, 1, 16, 17, 47, tzinfo=timezone.utc)
    assert c.classification == "UNCLASSIFIED//FOR OFFICIAL USE ONLY"


def test_02ANKARA8305_cable_dated_line_and_header_run_together():
    c = cable("02ANKARA8305")
    assert c.classification == "SECRET" and c.eo == "12958"
    assert c.tags == ("PTER", "TU")
    assert c.declassify_on == "2012-11-14"


def test_04ANKARA348_sentence_cased_copy():
    c = cable("04ANKARA348")
    assert c.classification == "CONFIDENTIAL"
    assert c.tags == ("PREL", "PGOV", "PINS", "TU")
    assert c.subject.lower().startswith("turkish p.m. erdogan goes to washington")


def test_06AMMAN3564_garbled_banner_classification_from_the_zny_line():
    c = cable("06AMMAN3564")
    assert c.classification == "CONFIDENTIAL"  # ZNY CCCCC


def test_66BUENOSAIRES2481_two_digit_year_66_is_1966():
    c = cable("66BUENOSAIRES2481", with_file_name=False)
    assert c.created == datetime(1966, 12, 28, 18, 48, tzinfo=timezone.utc)
    assert c.references[0].id == "66STATE106206"


def test_08TRIPOLI126_email_forward_lines_before_the_transmission_header():
    c = cable("08TRIPOLI126", with_file_name=False)
    assert c.reference_id == "08TRIPOLI126" and c.transmission_id.startswith("VZCZC")
    assert "ECON" in c.tags


def test_09STATE100153_eight_digit_serial_in_the_first_banner():
    c = cable("09STATE100153", with_file_name=False)
    assert c.reference_id == "09STATE100153"
    assert c.created == datetime(2009, 9, 25, 18, 14, tzinfo=timezone.utc)


def test_09UNVIEVIENNA192_decl_date_runs_into_tags():
    c = cable("09UNVIEVIENNA192")
    assert c.tags == ("AORC", "IR", "IAEA", "KNNP", "MNUC") and c.declassify_on == "2024-03-19"
    assert c.origin_name == "UNVIE"


def test_10JAKARTA186_info_for_line_after_the_banner_is_not_an_addressee():
    c = cable("10JAKARTA186")
    assert c.tags == ("PGOV", "KPAO", "ID", "XC") and c.info == ()


def test_06SAOPAULO357_sensitive_caption_at_the_end_of_an_addressee_line():
    c = cable("06SAOPAULO357")
    assert "SENSITIVE" in c.captions and c.classification == "UNCLASSIFIED//FOR OFFICIAL USE ONLY"


def test_07IRANRPODUBAI18_paragraph_numbers_without_space_before_the_marking():
    c = cable("07IRANRPODUBAI18")
    assert [(p.number, p.marking) for p in c.paragraphs] == [(n, "S") for n in range(1, 6)]
    assert c.origin_name == "Iran RPO Dubai" and c.signer == "BURNS"


def test_08CAIRO2187_whole_body_on_the_subject_line():
    c = cable("08CAIRO2187")
    assert c.subject.startswith("AL-GAMA'AT AL-ISLAMIYA: CONCERNS REGARDING POSSIBLE REVOCATION")
    assert "REF:" not in c.subject and c.paragraphs and c.references[0].id == "07CAIRO1638"


def test_73TEHRAN2077_another_records_row_pasted_after_the_subject():
    c = cable("73TEHRAN2077")
    assert c.reference_id == "73TEHRAN2077" and c.tags == ("PFOR", "IR", "PK", "XF")
    assert c.classification == "SECRET"


def test_05PARIS1699_doubled_first_letter_of_the_banner():
    c = cable("05PARIS1699")
    assert c.classification == "SECRET" and c.sections == 2


# --- furniture that leaked into REF and SUBJECT; a cable never cites itself --------------------
SELF_CITING = ("00HARARE5461", "02ROME1196", "03ABUDHABI2641", "04BRUSSELS4944", "07LIMA2323", "08LIMA1348",
               "08SANTIAGO77", "08STOCKHOLM704")


@pytest.mark.parametrize("archive_id", SELF_CITING)
def test_cable_never_cites_itself_nor_keeps_page_or_metadata_lines_in_refs(archive_id):
    c = cable(archive_id)
    assert c.reference_id not in {r.id for r in c.references}
    for r in c.references:
        assert "PAGE 0" not in r.text and "header:" not in r.text and "refid:" not in r.text
        assert "C O N F" not in r.text and "___" not in r.text


def test_07LIMA2323_ref_list_stops_at_the_sites_metadata_block():
    c = cable("07LIMA2323")
    assert [r.id for r in c.references] == ["07LIMA2000", "07LIMA2009", "07LIMA2126"]
    assert all("id: 114649" not in r.text and "VZCZC" not in r.text for r in c.references)


def test_00HARARE5461_page_header_inside_the_ref_line_is_dropped():
    c = cable("00HARARE5461")
    assert [(r.id, r.text) for r in c.references] == [("00HARARE5346", "HARARE 5346")]


def test_04BRUSSELS4944_ref_list_cut_short_by_the_site_gives_way_to_the_cables_own():
    c = cable("04BRUSSELS4944")
    assert [r.id for r in c.references] == ["04STATE244333", "04USEUBRUSSELS4936"]
    assert all("11/19/2004" not in r.text for r in c.references)


def test_00HARARE6677_page_header_inside_a_wrapped_subject_is_dropped():
    c = cable("00HARARE6677")
    assert c.subject == "ASSISTANT SECRETARY MEETS WITH ZIMBABWE OPPOSITION LEADER"
