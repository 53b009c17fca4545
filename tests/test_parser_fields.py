"""Issue 13: every field right. One row per oddity, named after the real cable that shows it
(or a hand-written fixture in tests/data/parser_fields where the corpus has no example)."""
from __future__ import annotations

from pathlib import Path

import pytest

from cablesearch.parser import parse_cable
from cablesearch.parser.classified_by import _classified_by
from cablesearch.parser.labels import _tags
from cablesearch.parser.references import _references
from cablesearch.parser.signer import read_signer

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "data" / "parser_fields"
needs_corpus = pytest.mark.skipif(not (CORPUS / "cables").is_dir(),
                                  reason=f"real corpus not present at {CORPUS} (CI has ../shared)")


def cable(archive_id: str):
    text = (CORPUS / "cables" / f"{archive_id}.txt").read_text(encoding="utf-8")
    return parse_cable(text, source=archive_id, metadata={"reference_id": archive_id})


# --- signer ---------------------------------------------------------------------------------------

SIGNERS = [
    ("08LONDON2766", "LeBaron"),       # "... terrorist finance. LeBaron" on the last paragraph's line
    ("09MANAMA715", "ERELI"),          # "... cleared this message. ERELI"
    ("09SAOPAULO619", "White"),        # mixed case
    ("07LONDON640", "Tuttle"),         # after the "Visit London's Classified Website" lines
    ("04CARACAS2200", "MCFARLAND"),    # hidden by NNNN and the archive's "2004CARACA02200 - CONFIDENTIAL"
    ("09REYKJAVIK49", "VAN VOORST"),   # hidden by a page number and SENSITIVE BUT UNCLASSIFIED
    ("06REYKJAVIK210", "van Voorst"),  # a particle in lower case
    ("10BRASILIA43", "SHANNON"),       # "MINIMIZE CONSIDERED SHANNON"
    ("10BRASILIA136", "SHANNON"),      # "SHANNON SHANNON": typed twice
    ("08LONDON1972", "TUTTLE"),        # "...Website: XXXXXXXXXXXXTUTTLE"
    ("08MANAMA163", "ERELI"),          # after the asterisk rule of the website line
    ("09CAIRO2129", "Scobey"),         # after a page-break number run onto the line
    ("10ANKARA126", "Jeffrey"),        # before a website line wrapped in two
    ("08QUITO672", "Griffiths"),       # "CDA Griffiths": the title is no part of the name
    ("09CAIRO199", "SCOBEY"),          # "... END TEXT SCOBEY"
    ("10WINDHOEK7", "MATHIEU"),        # "... End Comment MATHIEU"
    ("09STATE40237", "CLINTON"),       # "... Department of State CLINTON": upper case after prose
    ("08ISLAMABAD525", ""),            # "... the DNI and the DCIA.": an acronym ending a sentence
    ("06BRIDGETOWN2164", ""),          # "ASSISTANCE.": the wrapped last word of the text
    ("06BOGOTA5297", ""),              # "Rea...": the site cut the text short
    ("06SANJOSE2188", ""),             # "issue.": a lower-case last word
]


@needs_corpus
@pytest.mark.parametrize("archive_id,signer", SIGNERS, ids=[row[0] for row in SIGNERS])
def test_signer(archive_id, signer):
    assert cable(archive_id).signer == signer


SIGNER_ENDINGS = [
    ("end of text", ["THE MINISTER AGREED.", "END OF TEXT. BAKER"], "BAKER"),
    ("hashes after the name", ["THE MINISTER AGREED.", "GILLESPIE##"], "GILLESPIE"),
    ("a caption is no signer", ["THE MINISTER AGREED.", "(SIPDIS)"], ""),
    ("classification line after the name", ["THE MINISTER AGREED.", "KISSINGER", "CONFIDENTIAL"], "KISSINGER"),
    ("a note after the name", ["THE MINISTER AGREED.", "KISSINGER", "NOTE BY OC/T: NOT PASSED USUN."], "KISSINGER"),
    ("page header after the name", ["He agreed.", "Smith", "PAGE 03 ROME 03067 211833Z"], "Smith"),
    ("a heading is no signer", ["He agreed.", "End Comment"], ""),
    ("a suffix stays", ["He agreed.", "Timken Jr."], "Timken Jr."),
]


@pytest.mark.parametrize("lines,signer", [row[1:] for row in SIGNER_ENDINGS], ids=[row[0] for row in SIGNER_ENDINGS])
def test_signer_endings(lines, signer):
    assert read_signer(lines)[0] == signer


def test_signer_run_on_the_last_line_leaves_the_paragraph_without_it():
    name, k, rest = read_signer(["¶9. (U) A/S Carson cleared this cable. Scobey"])
    assert (name, k, rest) == ("Scobey", 0, "¶9. (U) A/S Carson cleared this cable.")


# --- classified by --------------------------------------------------------------------------------

CLASSIFIED_BY = [  # (cable, name, title)
    ("01VATICAN3507", "JOSEPH MERANTE", "CDA"),                    # "¶1. (U) CLASSIFIED BY CDA ..." in paragraph 1
    ("09BRASILIA1391", "Lisa Kubiske", "Charge D'Affaires"),       # after a page-break line
    ("09TRIPOLI939", "Gene A. Cretz", "Ambassador, U.S. Embassy Tripoli, Department of State"),  # "CLASSIFIED" / "BY:"
    ("09CAIRO1571", "Donald A. Blome", "Minister Counselor for Economic and Political Affairs"),  # "Classified ByMinister"
    ("09BAGHDAD759", "Rick Bell", "PRT Salah Ad Din Leader"),      # title words kept out of the name
    ("06BERN1686", "Carol Urban", "Charge d'Affaires, a.i."),      # the title is not the name
    ("08VILNIUS666", "Damian R. Leader", "CDA"),                   # a surname that is a title word
    ("08ROME1386", "Barbara A. Leaf", "Acting Deputy Chief of Mission"),  # "for rea sons"
    ("07PARIS3668", "Josiah Rosenblatt", "Political Minister-Counselor"),  # "Rosen blatt" rejoined
    ("10PARIS179", "Andrew Young", "Acting Minister Counselor for Political Affairs"),  # "Y oung" rejoined
    ("05NEWDELHI2606", "Robert O. Blake, Jr.", "DCM"),             # the suffix stays
    ("07TASHKENT2063", "Steven Prohaska; Fred Carter", "Poloff, DTRA"),  # two names give two
    ("09STATE118094", "William J. Burns", "Under Secretary"),      # "Under" is a title, not "under E.O."
    ("09QUITO112", "Heather M. Hodges", "Ambassador"),             # the site's copy cut ("Ambassado..."), the cable's own not
    ("08STATE116943", "", "Derived from Multiple Sources"),        # no person
    ("09HAVANA172", "jonathan farrar", "com"),                     # lower case as written
]


@needs_corpus
@pytest.mark.parametrize("archive_id,name,title", CLASSIFIED_BY, ids=[row[0] for row in CLASSIFIED_BY])
def test_classified_by(archive_id, name, title):
    c = cable(archive_id)
    assert (c.classified_by, c.classified_by_title) == (name, title)


@pytest.mark.parametrize("text,expected", [
    ("Ambassador Anne E. Derse per 1.4 (b,d).", ("Anne E. Derse", "Ambassador", "1.4 (b,d)")),
    ("Kirkuk PRT Team Leader Howard Keegan for reasons 1.4 (b)", ("Howard Keegan", "Kirkuk PRT Team Leader", "1.4 (b)")),
    ("Political Officer David Y ee for reasons 1.4 (d)", ("David Yee", "Political Officer", "1.4 (d)")),
    ("CDA John Smith, III, reasons 1.4 (b)", ("John Smith, III", "CDA", "1.4 (b)")),
    ("Deputy Chief of Mission J. Robert Manzanares; Reasons 1. 4 (B) and (D).",
     ("J. Robert Manzanares", "Deputy Chief of Mission", "1.4 (B) and (D)")),
    ("Ambassador for reasons 1.4 (b) and (d)", ("", "Ambassador", "1.4 (b) and (d)")),
    ("Charge d'Affaires Donald Lu for re...", ("Donald Lu", "Charge d'Affaires", "")),
    ("Ambass...", ("", "", "")),
])
def test_classified_by_line(text, expected):
    assert _classified_by(text) == expected


# --- summary --------------------------------------------------------------------------------------

SUMMARIES = [  # (cable, how the summary starts)
    ("06SAOPAULO465", "Sao Paulo former Governor"),        # "------- SUMMARY -------" heading
    ("07LISBON2288", "AUSTR for Europe and"),              # "SUMMARY" over a row of dashes
    ("08LONDON2243", "HMG fully expects PPP leader"),      # marked only by END SUMMARY
    ("06BOGOTA10112", "Reintegration Commissioner Frank Pearl told"),  # the heading is over paragraph 3
    ("10STATE4108", "The Department requests action addressees"),     # a heading and no END SUMMARY
    ("08MANAMA492", "The GOB asked the International"),   # "1.(C) Summary:" and no END SUMMARY
    ("08JEDDAH84", "Since the OIC's 2004"),                # "BEGIN SUMMARY AND COMMENT:"
    ("08ANKARA1993", "Alevi leaders greeted with"),        # "Summary and comment:"
]


@needs_corpus
@pytest.mark.parametrize("archive_id,start", SUMMARIES, ids=[row[0] for row in SUMMARIES])
def test_summary(archive_id, start):
    summary = cable(archive_id).summary
    assert summary.startswith(start)
    assert "END SUMMARY" not in summary.upper()


# --- references -----------------------------------------------------------------------------------

REFERENCES = [  # (cable, the ids in order)
    ("05SANJOSE2717", ["05SANJOSE2106", "05SANJOSE234", "04SANJOSE2233", "04SANJOSE443", "03SANJOSE1773"]),  # blank line
    ("06SAOPAULO357", ["06BRASILIA362"]),                       # REF run into the SUBJECT line
    ("08SANTIAGO645", ["07STATE77742"]),                        # "Reftel:"
    ("72TEHRAN1164", ["72TEHRAN1091", "72TEHRAN263", "72MOSCOW1603"]),  # colons as separators
    ("05VATICAN514", ["05ROME2543", "05ROME2543", "03VATICAN4859", "03ROME5205", "04VATICAN3810"]),  # no bogus 05ROME3
]


@needs_corpus
@pytest.mark.parametrize("archive_id,ids", REFERENCES, ids=[row[0] for row in REFERENCES])
def test_references(archive_id, ids):
    assert [r.id for r in cable(archive_id).references if r.id] == ids


@pytest.mark.parametrize("text,ids", [
    ("A. CAIRO 468 B. 08 CAIRO 2403", ["09CAIRO468", "08CAIRO2403"]),   # year before the station
    ("(99) ROME 2196", ["99ROME2196"]),
    ("A. UNESCO PARIS 123", ["09UNESCOPARISFR123"]),                    # a station spelt in two words
    ("BRASILIA 2799 AND 2764", ["09BRASILIA2799", "09BRASILIA2764"]),
])
def test_reference_items(text, ids):
    assert [r.id for r in _references(text, 9)] == ids


# --- tags, subject, declassify -------------------------------------------------------------------

@needs_corpus
@pytest.mark.parametrize("archive_id,tags", [
    ("07BUENOSAIRES1673", ("PGOV", "PREL", "ECON", "SOCI", "AR")),           # "AGS:"
    ("06PARTO9", ("OVIP", "RICE, CONDOLEEZZA", "KISL", "PGOV", "PHUM", "LE", "SY", "IS")),  # wrapped
    ("05TELAVIV1580", ("PGOV", "PREL", "KWBG", "IR", "IS", "COUNTERTERRORISM", "GOI EXTERNAL")),
], ids=["07BUENOSAIRES1673", "06PARTO9", "05TELAVIV1580"])
def test_tags(archive_id, tags):
    assert cable(archive_id).tags == tags


@pytest.mark.parametrize("text,tags", [
    ("PREL PGOV IT SECRET PAGE 02 ROME 03067 211833Z", ["PREL", "PGOV", "IT"]),   # page-break debris
    ("PREL, RICE, CONDOLEEZZA, IT", ["PREL", "RICE, CONDOLEEZZA", "IT"]),
    ("PGOV PREL DOMESTIC POLITICS TU", ["PGOV", "PREL", "DOMESTIC POLITICS", "TU"]),
])
def test_tag_lists(text, tags):
    assert _tags(text) == tags


SUBJECTS = [
    ("09CAIRO226", "EGYPT'S 55th BIRD FLU VICTIM, ANOTHER CHILD"),          # "Sensitive but Unclassified. Please ..."
    ("06SAOPAULO516", "OPPOSITION ASSERTS CRISIS IN BRAZIL'S FOREIGN POLICY"),
    ("06SAOPAULO357", "ITAMARATY NEGOTIATOR TALKS TRADE"),                 # "REF: ..." run on
    ("09CAIRO1787", "EGIS CHIEF SOLIMAN AND U.S. AFRICA COMMAND DISCUSS SUDAN AND SOMALIA"),  # after a blank line
    ("08MANAMA117", "BAHRAIN WILL FORMALLY REQUEST QATAR TO EXECUTE LEGAL JUDGMENT AGAINST KHALIFA AL"),  # "UBJECT:"
]


@needs_corpus
@pytest.mark.parametrize("archive_id,subject", SUBJECTS, ids=[row[0] for row in SUBJECTS])
def test_subject(archive_id, subject):
    assert cable(archive_id).subject.startswith(subject)
    assert "Classified By" not in cable(archive_id).subject


@needs_corpus
@pytest.mark.parametrize("archive_id,declassify_on", [
    ("04ANKARA348", "2014-01-07"),       # "E.o. 12958: decl: 01/07/2014"
    ("09NAIROBI2497", "2019-12-16"),     # "decl: 2019/12/16"
    ("08ISLAMABAD3418", "2018-10-29"),   # "DECLl: 10/29/2018"
    ("01VATICAN1261", "2011-03-05"),     # "E.0. 12958"
], ids=["04ANKARA348", "09NAIROBI2497", "08ISLAMABAD3418", "01VATICAN1261"])
def test_declassify_on(archive_id, declassify_on):
    assert cable(archive_id).declassify_on == declassify_on


# --- recipients and the 1970s banner --------------------------------------------------------------

@needs_corpus
def test_08STATE116943_xmt_line_is_an_exclusion_not_a_recipient():
    c = cable("08STATE116943")
    assert [r.station for r in c.excluded] == ["JOHANNESBURG"]
    assert not any("XMT" in r.name for r in c.to + c.info)
    assert c.to_dict()["excluded"][0]["name"] == "AMCONSUL JOHANNESBURG"


def test_1975_telegram_fixture_banner_with_year_page_header_and_xmt_in_the_addressees():
    c = parse_cable((FIXTURES / "75LIBREVILLE1895.cable").read_text(encoding="utf-8"), source="fixture")
    assert (c.reference_id, c.classification, c.origin) == ("75LIBREVILLE1895", "CONFIDENTIAL", "LIBREVILLE")
    assert [r.name for r in c.info] == ["AMEMBASSY YAOUNDE", "AMEMBASSY KINSHASA"]   # no page header
    assert [r.station for r in c.excluded] == ["BANGUI"]
    assert c.signer == "GILLESPIE"                                                  # "GILLESPIE##", then a note
    assert [r.id for r in c.references] == ["75STATE262000"]
