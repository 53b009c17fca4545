"""Issue 13: a field audit over the whole real corpus, and a hand-checked sample for precision.

The audit counts, for each field, the cables whose text carries it (by a pattern of its own,
independent of the parser) and the records that have it, and asserts floors. The sample is 200
cables drawn with a fixed seed; their true signer, classified-by names and summary start were read
off the cable texts by hand and are listed below, so a looser rule that fills a field with the wrong
text fails. See the figures with -s:

    .venv/bin/python -m pytest -q -s tests/test_parser_audit.py
"""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from cablesearch import stations as st
from cablesearch.parser import CableParseError, parse_cable

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CABLES = CORPUS / "cables"
pytestmark = pytest.mark.skipif(not CABLES.is_dir(),
                                reason=f"real corpus not present at {CABLES} (CI has ../shared)")

SAMPLE_SEED = 13
SAMPLE_SIZE = 200
EMPTY_FLOOR = 1.0        # % of the cables carrying a field whose record lacks it
REF_ID_FLOOR = 99.0      # % of REF items naming a cable that get its id
PRECISION_FLOOR = 97.0   # % of the hand-checked sample right, per field


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[str, object]]:
    """Every real cable: id -> (text, Cable), parsed with its file name as the archive id."""
    out = {}
    for path in sorted(CABLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        try:
            out[path.stem] = (text, parse_cable(text, source=path.stem, metadata={"reference_id": path.stem}))
        except CableParseError:
            out[path.stem] = (text, None)
    return out


# --- what the text carries, by patterns of the audit's own ---------------------------------------

def _head(text: str, lines: int = 150) -> str:
    return "\n".join(text.split("\n")[:lines])


_CLASSIFIED_BY = re.compile(r"(?<![A-Za-z])classified\s+by\b\s*:?\s*(.*)", re.I)
_END_SUMMARY = re.compile(r"\bEND\s+SUMMARY\b", re.I)
_REF_LINE = re.compile(r"^\s*(?:¶\s*)?(?:REF(?:TELS?|S|ERENCES?)?|Ref(?:tels?|s|erences?)?)\s*[:.]?\s+\S", re.M)
_EO_DECL = re.compile(r"\bE\.?\s?[O0]\.?\s*\d{4,5}\b.*\bDECL", re.I)
_TAGS = re.compile(r"\b(?:TAGS?|TAGES|TAGSS|Tags|TABS|TAS|TGS|AGS)\b\s*[:;.]?\s*[A-Za-z]{2}")
_TO = re.compile(r"^TO\s+\S", re.M)
_INFO = re.compile(r"^INFO\s+\S", re.M)


def _carries_classified_by(text: str) -> bool:
    """A "Classified by" line that the site did not cut short (a cut copy counts when a whole one follows)."""
    return any(not m.group(1).rstrip().endswith("...") and m.group(1).strip()
               for m in _CLASSIFIED_BY.finditer(_head(text)))


FIELDS = {  # field: (does the text carry it, does the record have it)
    "signer": (lambda t: True, lambda c: bool(c.signer)),
    "classified_by": (_carries_classified_by, lambda c: bool(c.classified_by)),
    "summary": (lambda t: bool(_END_SUMMARY.search(t)), lambda c: bool(c.summary)),
    "references": (lambda t: bool(_REF_LINE.search(_head(t, 120))), lambda c: bool(c.references)),
    "declassify_on": (lambda t: bool(_EO_DECL.search(_head(t))), lambda c: bool(c.declassify_on)),
    "tags": (lambda t: bool(_TAGS.search(_head(t))), lambda c: bool(c.tags)),
    "to": (lambda t: bool(_TO.search(_head(t))), lambda c: bool(c.to)),
    "info": (lambda t: bool(_INFO.search(_head(t))), lambda c: bool(c.info)),
}
FLOORED = ("classified_by", "summary", "references", "declassify_on", "tags", "to", "info")


def _station_spellings() -> frozenset[str]:
    return frozenset(st.KNOWN_STATIONS) | frozenset(st.STATION_ALIASES)


_REF_ITEM_CABLE = re.compile(r"(?<![A-Z0-9])((?:[A-Z][A-Z'-]*\s?){1,4}?)\s?(\d{1,8})(?![\d.])")
_REF_ITEM_ID = re.compile(r"(?<![A-Z0-9])\d{2}([A-Z]{3,})\d{1,6}(?!\d)")


def _names_a_cable(item: str) -> bool:
    """A station (as the archive's ids or the texts spell it) followed by a serial, or an id itself."""
    upper = item.upper()
    spellings = _station_spellings()
    if any(m.group(1) in spellings for m in _REF_ITEM_ID.finditer(upper)):
        return True
    for m in _REF_ITEM_CABLE.finditer(upper):
        words = m.group(1).split()
        if any(re.sub(r"[^A-Z]", "", "".join(words[k:])) in spellings for k in range(len(words))):
            return True
    return False


def test_field_audit(corpus):
    rows = []
    for name, (carries, has) in FIELDS.items():
        carrying = [c for t, c in corpus.values() if c is not None and carries(t)]
        filled = sum(1 for c in carrying if has(c))
        empty = 100.0 * (len(carrying) - filled) / max(1, len(carrying))
        rows.append((name, len(carrying), filled, empty))
    items = [r for _, c in corpus.values() if c is not None for r in c.references]
    naming = [r for r in items if _names_a_cable(r.text)]
    with_id = 100.0 * sum(1 for r in naming if r.id) / max(1, len(naming))
    print(f"\nfield audit over {len(corpus)} cables")
    print(f"{'field':<15}{'text carries':>14}{'record has':>12}{'empty':>8}")
    for name, carrying, filled, empty in rows:
        print(f"{name:<15}{carrying:>14}{filled:>12}{empty:>7.1f}%")
    print(f"REF items {len(items)}, naming a cable {len(naming)}, with its id {with_id:.2f}%"
          f" (all items with an id: {100.0 * sum(1 for r in items if r.id) / max(1, len(items)):.1f}%)")
    for name, carrying, filled, empty in rows:
        if name in FLOORED:
            assert empty < EMPTY_FLOOR, f"{name}: empty in {empty:.1f}% of the cables whose text carries it"
    assert with_id >= REF_ID_FLOOR


# --- the hand-checked sample ----------------------------------------------------------------------

# (cable, signer, classified-by name(s), how the summary starts); None where the text has none.
# Read off each cable's text: the end (signer), the Classified-by line(s), the summary's opening.
SAMPLE: list[tuple[str, str | None, str | None, str | None]] = [
    ('08ANKARA1993', 'SILLIMAN', "Daniel O'Grady", 'Alevi leaders greeted with'),
    ('08FREETOWN389', 'FEDZER', 'Glenn Fedzer', 'Transportation and Aviation Minister'),
    ('09STATE32931', 'CLINTON', 'Robert Mikulak', None),
    ('09STATE18632', 'CLINTON', 'SHANNON', 'A/S Shannon met Ecuadorian Ambassador'),
    ('10SANSALVADOR37', 'BLAU', 'RBlau', 'Eight months into the Funes'),
    ('07BUENOSAIRES1246', 'WAYNE', 'E. Anthony Wayne', 'On June 25, Ambassador Wayne'),
    ('09SANAA2040', 'Seche', 'Stephen Seche', 'Local sources confirm that Saudi'),
    ('07SANJOSE1106', 'LANGDALE', 'Laurie Weitzenkorn', 'On June 6, Costa Rica'),
    ('09SANJOSE75', 'CIANCHETTE', None, None),
    ('06SANJOSE2543', 'LANGDALE', None, None),
    ('07REYKJAVIK276', 'KLOPFENSTEIN', None, None),
    ('09REYKJAVIK23', 'VAN VOORST', None, None),
    ('09TRIPOLI960', 'Cretz', 'Gene A. Cretz', 'During recent meetings, Saif al-Islam'),
    ('07BUENOSAIRES2345', 'WAYNE', 'Wayne', 'The GOA has repeatedly suspended'),
    ('06PARIS5166', 'STAPLETON', 'Josiah Rosenblatt', 'Amb. Stapleton met with Michel'),
    ('05SANJOSE2718', 'LANGDALE', None, None),
    ('09CAIRO746', 'SCOBEY', 'Margaret Scobey', None),
    ('07NEWDELHI1051', 'MULFORD', 'Geoffrey Pyatt', 'During the February 28, 2007'),
    ('10ANKARA126', 'Jeffrey', 'James F. Jeffrey', None),
    ('08ISLAMABAD3849', 'PATTERSON', 'Anne W. Patterson', 'The continued police round-ups'),
    ('05BRASILIA1207', 'DANILOVICH', 'John J. Danilovich', None),
    ('08TRIPOLI829', 'GODFREY', 'John T. Godfrey', 'Russian diplomats in Tripoli said'),
    ('06NEWDELHI4827', 'PYATT', 'Geoffrey Pyatt', None),
    ('09STATE18867', 'CLINTON', 'Michael Owen', None),
    ('09MOSCOW367', 'Beyrle', None, "Gazprom's financial outlook for 2009"),
    ('04BRASILIA873', 'HRINAK', None, 'After months of relative quiet'),
    ('08BRASILIA429', 'SOBEL', 'Clifford Sobel', "Defense Minister Jobim's March 18-21"),
    ('06SANJOSE2373', 'LANGDALE', 'Mark Langdale', 'On October 19, Police Director'),
    ('06BOGOTA10112', 'DRUCKER', 'Milton K. Drucker', 'Reintegration Commissioner Frank Pearl told'),
    ('10PARIS179', 'RIVKIN', 'Andrew Young', 'In a series of meetings'),
    ('10TELAVIV47', 'CUNNINGHAM', 'James B. Cunningham', None),
    ('10STATE18161', 'CLINTON', None, None),
    ('08BANGKOK3317', 'JOHN', 'Eric G. John', 'King Bhumibol explicitly told Army'),
    ('09BAKU175', 'DERSE', 'ROB GARVERICK', 'According to widespread rumor, many'),
    ('08USNATO279', 'WEINROD', None, None),
    ('06ROME584', 'SPOGLI', 'David D. Pearce', 'Romano Prodi presented the center-left'),
    ('10PARIS151', 'RIVKIN', 'Kathy Allegrone', 'France currently has excellent relations'),
    ('08ALGIERS1327', 'PEARCE', 'David D. Pearce', None),
    ('08NAPLES37', 'TRUHN', 'J. PATRICK TRUHN', 'This is the second of'),
    ('07SANJOSE1787', 'BRENNAN', None, None),
    ('09BUENOSAIRES498', 'WAYNE', 'Wayne', "In response to the Ambassador's"),
    ('10BRASILIA68', 'KUBISKE', None, 'Members of the Mission Brazil'),
    ('09ISTANBUL336', 'WIENER', 'Win Dayton', 'A XXXXXXXXXXXX businessman who represents'),
    ('09LONDON1888', 'LeBaron', 'Robin Quinville', None),
    ('08TRIPOLI635', 'STEVENS', 'Chris Stevens', 'Libyan authorities are scrambling to'),
    ('09SANSALVADOR708', 'BLAU', None, 'Some eight weeks into the'),
    ('08PARIS461', 'STAPLETON', 'Andrew Young', 'Romain Serman, AF-advisor at the'),
    ('08TRIPOLI650', 'STEVENS', 'Chris Stevens', None),
    ('09REYKJAVIK201', 'WATSON', None, None),
    ('08LONDON2243', 'LEBARON', 'Richard Mills', 'HMG fully expects PPP leader'),
    ('09SANJOSE125', 'CIANCHETTE', None, None),
    ('06MEXICO1797', 'GARZA', None, 'While economist Rogelio Ramirez de'),
    ('08MEXICO2187', 'GARZA', 'Laura Kirkconnell', 'Mexico, a country where roughly'),
    ('09MANAMA712', 'ERELI', 'Adam Ereli', "King Hamad's recent appointment of"),
    ('10RIYADH61', 'SMITH', 'Lisa Carle', 'On December 13, 2009, Treasury'),
    ('09RANGOON355', 'DINGER', 'Samantha A. Carl-Yoder', 'On the alleged order of'),
    ('08BEIJING125', 'RANDT', 'Aubrey Carlson', 'China has made great efforts'),
    ('09STATE76469', 'CLINTON', 'MICHAEL P. OWENS', None),
    ('09ASUNCION561', 'AYALDE', None, None),
    ('09KABUL376', 'WOOD', None, None),
    ('09NAIROBI1938', 'Ranneberger', 'MICHAEL RANNEBERGER', None),
    ('10BANJUL65', 'WELLS', 'Barry L. Wells', 'In what turned in to'),
    ('06REYKJAVIK210', 'van Voorst', None, 'Outgoing PM Asgrimsson and incoming'),
    ('08YEREVAN873', 'YOVANOVITCH', None, 'A recent string of unconnected'),
    ('09SARAJEVO103', 'ENGLISH', 'Judith Cefkin', 'Amid resurgence over the past'),
    ('09TRIPOLI778', 'CRETZ', 'Joan Polaschik', 'After many months of delay'),
    ('09AITTAIPEI975', 'WANG', None, None),
    ('09CASABLANCA225', 'MILLARD', 'Elisabeth Millard', None),
    ('07BAGHDAD146', 'KHALILZAD', 'Zalmay Khalilzad', 'In a January 6 meeting'),
    ('08ISLAMABAD2586', 'ARCHIBALD', 'Frank Archibald', 'Islamabad attorney Javed Jaffrey filed'),
    ('07MADRID2129', 'LLORENS', None, None),
    ('07BERN151', 'CONEWAY', 'Eric Lundberg', 'The Swiss Federal Council (cabinet)'),
    ('09CAIRO2292', 'Scobey', None, None),
    ('08NEWDELHI1065', 'WHITE', 'Steven White', None),
    ('07TRIPOLI949', None, 'Chris Stevens', 'Recent media reports suggest that'),
    ('08REYKJAVIK203', 'KLOPFENSTEIN', None, None),
    ('09BERLIN1297', 'Murphy', 'Don L. Brown', 'After they confirm the place'),
    ('08BAKU790', 'LU', 'Donald Lu', 'On August 19, President Aliyev'),
    ('09MOSCOW2366', 'Beyrle', None, 'The USG has an opportunity'),
    ('08BUENOSAIRES1706', 'WAYNE', None, 'Former Argentine president Nestor Kirchner'),
    ('08SANJOSE702', 'CIANCHETTE', None, None),
    ('06PARIS7424', 'STAPLETON', 'Craig Stapleton', "Segolene Royal's overwhelming first-round"),
    ('09LONDON2649', 'Susman', None, None),
    ('09CAIRO1058', 'SCOBEY', 'William R. Stewart', None),
    ('09ISTANBUL399', 'WIENER', 'Win Dayton', 'A Turkish businessman who deals'),
    ('07SANJOSE188', 'LANGDALE', None, None),
    ('09LONDON2005', 'SUSMAN', 'RICHARD ALBRIGHT', 'The UK’s development assistance ministry,'),
    ('07SANJOSE1906', 'HENIFIN', None, None),
    ('07KABUL2249', 'WOOD', 'Sara Rosenberry', 'On July 6, Chora district'),
    ('09THEHAGUE247', 'GALLAGHER', 'Denise G. Manning', 'SCSL MEETS A KEY MILESTONE,'),
    ('08QUITO672', 'Griffiths', 'Linda Jewell', 'The Ambassador had farewell meetings'),
    ('06PARIS7755', 'STAPLETON', 'Craig Stapleton', 'EUR A/S Dan Fried’s December'),
    ('05SANJOSE2930', 'LANGDALE', 'Russell Frisbie', 'Presidential candidate Otton Solis told'),
    ('08TRIPOLI680', 'STEVENS', 'Chris Stevens', None),
    ('09RPODUBAI379', 'EYRE', 'Alan Eyre', 'On September 11 Supreme Leader'),
    ('09QUITO112', 'HODGES', 'Heather M. Hodges', 'Both President Correa and Minister'),
    ('09BISHKEK744', 'LITZENBERGER', None, 'Over dinner with Charge, President'),
    ('08SANJOSE458', 'CIANCHETTE', None, None),
    ('02ROME3639', 'SEMBLER', 'THOMAS COUNTRYMAN', 'NORTHERN LEAGUE LEADER (AND MINISTER'),
    ('09TRIPOLI517', 'CRETZ', None, 'Verenex, a Canadian oil firm,'),
    ('08TRIPOLI368', 'STEVENS', None, 'A recent drilling accident brought'),
    ('05LIMA3609', 'STRUBLE', 'J. Curtis Struble', 'Violent protests against British firm'),
    ('07REYKJAVIK249', 'VAN VOORST', None, None),
    ('06SANJOSE129', 'LANGDALE', None, None),
    ('09CAIRO1377', 'SCOBEY', 'Margaret Scobey', None),
    ('09TBILISI1034', 'TEFFT', 'John F. Tefft', 'Recent moves suggest an increasing'),
    ('09ANKARA1654', 'JEFFREY', 'James Jeffrey', None),
    ('09REYKJAVIK207', 'WATSON', None, None),
    ('07TRIPOLI972', None, 'Chris Stevens', 'A U.S. company was recently'),
    ('06SAOPAULO280', 'MCMULLEN', None, 'During his March 6-7 visit'),
    ('09TRIPOLI941', 'POLASCHIK', 'Joan A. Polaschik', 'Saif al-Islam al-Qadhafi told the'),
    ('08STOCKHOLM494', 'WOOD', 'Michael Wood', 'Embassy Stockholm recommends we postpone'),
    ('09UNVIEVIENNA9', 'SCHULTE', 'Gregory L. Schulte', 'Ambassador Schulte presented IAEA Director'),
    ('07THEHAGUE714', 'ARNALL', 'Roland Arnall', 'In his first meeting with'),
    ('10CAIRO163', 'SCOBEY', 'Margaret Scobey', None),
    ('10SEOUL202', 'STEPHENS', 'James L. Wayman', 'In separate meetings with DASD'),
    ('08MOSCOW2428', None, None, None),
    ('07MADRID2282', 'AGUIRRE', 'Eduardo Aguirre Jr.', None),
    ('09TOKYO1598', None, 'Marc Knapper', None),
    ('09QUITO246', 'HODGES', 'Heather Hodges', 'FM Falconi and Government Minister'),
    ('08REYKJAVIK279', 'van Voorst', 'Carol van Voorst', None),
    ('09CAIRO2207', 'Scobey', 'Donald A. Blome', None),
    ('09TRIPOLI436', 'CRETZ', 'Gene Cretz', 'In a recent meeting with'),
    ('09SANJOSE167', 'CIANCHETTE', None, None),
    ('06REYKJAVIK421', 'VAN VOORST', None, None),
    ('09THEHAGUE668', 'LEVIN', 'Andrew C. Mann', None),
    ('09MONTERREY79', 'WILLIAMSON', 'Bruce Williamson', 'Nuevo Leon residents are demanding'),
    ('07SANJOSE2071', 'LANGDALE', None, 'Enterprise of the Americas Initiative'),
    ('09TRIPOLI632', 'CRETZ', 'Gene A. Cretz', None),
    ('09CAIRO1309', 'SCOBEY', None, None),
    ('07MOSCOW4599', 'Burns', 'Bob Patterson', 'The mercurial Vladimir Zhirinovskiy staged'),
    ('09OTTAWA639', 'HOPPER', 'Scott Bellard', None),
    ('05ISTANBUL890', 'ARNETT', None, 'After briefly basking in the'),
    ('09LONDON2785', 'Susman', None, 'UK spending levels for 2010-11'),
    ('09THEHAGUE271', 'GALLAGHER', 'Eric Falls', 'Political grandstanding by parliamentarians'),
    ('09MANAMA597', 'HENZEL', 'Christopher Henzel', None),
    ('05BRASILIA715', 'Danilovich', 'JOHN J. DANILOVICH', None),
    ('08NEWDELHI454', 'WHITE', 'Ted Osius', None),
    ('09LONDON50', 'TUTTLE', 'Kathleen Doherty', 'Treasury U/S Stuart Levey told'),
    ('09TRIPOLI76', 'CRETZ', 'Gene A. Cretz', 'Post visited two returned Guantanamo'),
    ('09LONDON2333', 'SUSMAN', 'Robin Quinville', None),
    ('08MANAMA492', 'HENZEL', 'Christopher Henzel', 'The GOB asked the International'),
    ('07BRASILIA1568', None, None, 'During a lunchAmbassador Sobel gave'),
    ('08JEDDAH84', 'GFOELLER', 'Tatiana C. Gfoeller', "Since the OIC's 2004"),
    ('07ISLAMABAD31', 'CROCKER', 'Ryan C. Crocker', 'During a December 29 meeting,'),
    ('06SAOPAULO887', 'MCMULLEN', None, 'Sao Paulo residents enjoyed a'),
    ('10MELBOURNE14', 'THURSTON', 'Justin Kolbeck', 'Nerves are still raw in'),
    ('09KABUL467', 'DELL', 'Christopher Dell', 'Individuals formerly close to President'),
    ('06LIMA4262', 'POWERS', None, 'President Garcia has called for'),
    ('07REYKJAVIK292', 'VAN VOORST', None, None),
    ('06THEHAGUE1787', 'BLAKEMAN', 'Roland Arnall', 'A delegation of Dutch parliamentary'),
    ('05SANJOSE2560', 'FRISBIE', None, None),
    ('08TRIPOLI595', 'GODFREY', 'John T. Godfrey', 'An unsuccessful year-long bid by'),
    ('09REYKJAVIK69', 'van Voorst', 'Carol van Voorst', "Iceland's government is committed to"),
    ('09MANAMA719', 'ERELI', 'Adam Ereli', None),
    ('09KAMPALA551', 'HOOVER', 'Kathleen FitzGibbon', 'This cable is a periodic'),
    ('10STATE4108', 'CLINTON', 'Nancy McEldowney', 'The Department requests action addressees'),
    ('09HARARE930', 'RAY', 'CHARLES A. RAY', 'There is a strong need'),
    ('09STOCKHOLM425', 'SILVERMAN', None, None),
    ('05BRASILIA760', 'Danilovich', 'PHILLIP CHICOLA', None),
    ('08WELLINGTON76', 'MCCORMICK', 'Margaret McKean', None),
    ('08MANAMA555', 'HENZEL', 'Christopher Henzel', None),
    ('09RIODEJANEIRO288', 'HEARNE', 'Dennis W. Hearne', 'While the Government of Brazil'),
    ('06BRASILIA1302', 'CHICOLA', None, 'On June 23, Rio Bankruptcy'),
    ('09CAIRO2382', 'SCOBEY', None, None),
    ('03ANKARA4230', 'PEARSON', 'Robert Deutsch', None),
    ('06NEWDELHI5470', 'PYATT', 'Geoff Pyatt', 'Events in Lebanon and Gaza'),
    ('08LONDON2060', 'TUTTLE', 'Richard Mills', "The EU's continued anti-terror listing"),
    ('06MEXICO7054', 'BASSETT', None, 'The new head of the'),
    ('08STATE15220', 'Rice', 'PAM DURHAM', None),
    ('08LIMA1733', 'MCKINLEY', 'Alexis Ludwig', 'Peruvian police arrested Pucallpa Mayor'),
    ('08BOGOTA2568', 'BROWNFIELD', 'William R. Brownfield', 'Assistant Secretary Shannon conveyed President'),
    ('09LONDON1999', 'SUSMAN', None, None),
    ('09MEXICO193', 'BASSETT', 'Charles V. Barclay', '2008 set a new record'),
    ('09TELAVIV1060', 'CUNNINGHAM', 'Luis G, Moreno', None),
    ('05THEHAGUE2136', 'SOBEL', 'CLIFFORD SOBEL', "According to Prime Minister Balkenende's"),
    ('09BRASILIA1044', 'KUBISKE', None, 'Responding to international concerns over'),
    ('09CAIRO2268', 'Tueller', 'Donald A. Blome', None),
    ('08RABAT154', 'Riley', 'Thomas T. Riley', 'In a February 13 meeting,'),
    ('05BRASILIA295', 'Danilovich', 'Dennis Hearne', None),
    ('03RANGOON1452', 'Martinez', 'Carmen Martinez', "Indian Vice President Shekhawat's November"),
    ('08LONDON2789', 'TUTTLE', 'Richard M. Mills, Jr', 'Tehran Mayor and possible 2009'),
    ('08MANAMA218', 'ERELI', 'Adam Ereli', None),
    ('06SANJOSE875', 'LANGDALE', None, None),
    ('09CAIRO1311', 'SCOBEY', None, None),
    ('09LIMA1309', 'MCKINLEY', 'James Nealon', 'At approximately 1100 hrs on'),
    ('09CAIRO983', 'SCOBEY', None, None),
    ('09CAIRO2115', 'Scobey', None, None),
    ('09BRASILIA1320', 'KUBISKE', 'Lisa Kubiske', 'During meetings in Brasilia on'),
    ('07REYKJAVIK152', 'VAN VOORST', None, None),
    ('09SANJOSE973', 'BRENNAN', None, None),
    ('07MANAMA336', 'MONROE', 'William T. Monroe', 'Crown Prince Shaikh Salman Al'),
    ('08KABUL3025', 'WOOD', None, 'Although the violence in Kunduz'),
    ('10ROME173', 'DIBBLE', 'Alexander Vershbow', 'Secretary of Defense Robert Gates'),
    ('05BRASILIA1608', 'DANILOVICH', None, 'In a June 14 meeting'),
    ('08REYKJAVIK52', 'van Voorst', 'Carol van Voorst', None),
    ('09CAIRO155', 'SCOBEY', 'William R. Stewart', None),
    ('09TRIPOLI361', 'CRETZ', None, None),
    ('06SANTIAGO2140', 'KELLY', None, 'In a local G-8 CTAG'),
    ('09USUNNEWYORK997', 'Rice', None, 'The afternoon session of the'),
]


def test_sample_is_the_seeded_draw(corpus):
    """The sample is the fixed-seed draw from the corpus ids, not a hand-picked set."""
    assert [row[0] for row in SAMPLE] == random.Random(SAMPLE_SEED).sample(sorted(corpus), SAMPLE_SIZE)


def _name(value: str | None) -> str:
    return (value or "").strip().rstrip(".")


def test_sample_precision(corpus):
    misses: dict[str, list[tuple[str, str | None, str]]] = {"signer": [], "classified_by": [], "summary": []}
    for archive_id, signer, classified_by, summary_start in SAMPLE:
        c = corpus[archive_id][1]
        if c.signer != (signer or ""):
            misses["signer"].append((archive_id, signer, c.signer))
        if _name(c.classified_by) != _name(classified_by):
            misses["classified_by"].append((archive_id, classified_by, c.classified_by))
        if (summary_start is None) != (not c.summary) or summary_start and not c.summary.startswith(summary_start):
            misses["summary"].append((archive_id, summary_start, c.summary[:60]))
    print(f"\nhand-checked sample of {len(SAMPLE)} cables (seed {SAMPLE_SEED})")
    for field, wrong in misses.items():
        right = 100.0 * (len(SAMPLE) - len(wrong)) / len(SAMPLE)
        print(f"{field:<15}{right:6.1f}% right" + "".join(f"\n    {miss}" for miss in wrong))
    for field, wrong in misses.items():
        assert 100.0 * (len(SAMPLE) - len(wrong)) / len(SAMPLE) >= PRECISION_FLOOR, (field, wrong)
