"""The "Classified by" line: name, title and reasons."""
from __future__ import annotations

import re
from functools import lru_cache

from .state import _RE_WS


_RE_CLASSIFIED_BY = re.compile(r"^\s*(?:\((?:U|C|S|SBU)\)\s*)?CLASSIFIED\s+BY(?:\b|(?-i:(?=[A-Z])))\s*:?\s*(.*)$", re.I)
_RE_REASONS = re.compile(
    r"(?:E\.?O\.?\s*\d{5},?\s*)?1\.[4-6]\s*(?:\(\s*[A-Ha-h]\s*\)(?:\s*(?:,|and|&|/)?\s*\(\s*[A-Ha-h]\s*\))*"
    r"|\(\s*[A-Ha-h](?:\s*(?:,|and|&|/)\s*[A-Ha-h])*\s*\)"
    r"|[A-Ha-h](?:\s*(?:,|and|&|/)\s*[A-Ha-h])*\b)?"
    r"(?:\s*(?:and|,|&)\s*\(\s*[A-Ha-h]\s*\))*", re.I)
_RE_REASONS_PRESENT = re.compile(r"\b1\.[4-6]\b|\bREASONS?\b", re.I)
# Where the name ends and the reasons begin: "for reasons", "Reason:", "per", "under", "E.O. 12958".
_RE_WHO_END = re.compile(
    r"[,;.]?\s*(?:\bf\s?o\s?r\s+(?:the\s+)?r\s?e\s?a\s?s?\s?o\s?n|\br\s?e\s?a\s?s?\s?o\s?n|\bp\s?e\s?r\b|\bunder\s+(?=E\.?\s?O|1\.\d|sections?\b|reasons?\b)"
    r"|\bE\.?O\.?\s*1\d{4}|\(\s*[A-H]\s*\))", re.I)
_RE_SUFFIX = re.compile(r"^(?:Jr|JR|jr|Sr|SR|II|III|IV)\.?$")
# A name word broken across lines: "Y ee", "Do nald", "Michae l", "Rosen blatt" (not "van", "de").
_RE_SPLIT_LETTER = re.compile(
    r"\b([A-Z][a-z]*) (?!(?:van|von|de|der|del|della|da|di|du|la|le|bin|al|el|y|e|of|and|for|upon|based|as)\b)"
    r"([a-z]+)\b")
_RE_KEEPS_STOP = re.compile(r"(?:\b[A-Z]|\b[JS]r)\.$")   # an initial or "Jr." keeps its full stop
# The site cut the line short ("Donald Lu for re..."): a cut "for reasons" goes, or the cut word.
_RE_CUT_REASONS = re.compile(
    r"(?:\s+(?:f|fo|for|r|re|rea|reas|reaso|reason|reasons|p|pe|per|u|un|und|unde|under))+\s*$", re.I)
_RE_AFFAIRES = re.compile(r"d\s?[',]\s?[Aa]ffaires")
_RE_TWO_PEOPLE = re.compile(r"\s+(?:and|&)\s+")
# Parts of a "Name, Title, Office" list that name an office, not a person.
NOT_PERSON_PARTS: frozenset[str] = frozenset({
    "dos", "exec", "state", "department of state", "u.s. department of state", "u.s. dept of state",
    "dept of state", "us embassy", "u.s. embassy", "embassy", "a.i", "a.i.", "ai", "usun", "usnato", "useu",
    "usosce", "reason", "reasons", "derived from multiple sources"})
# A "Classified by" line anywhere near the header: after a page break, inside paragraph 1
# ("1. (U) CLASSIFIED BY DCM ..."), run on after a REF list.
_RE_CLASSIFIED_ANYWHERE = re.compile(r"(?:^|(?<=[\s(.]))(?:Classified [Bb]y|CLASSIFIED BY)(?:\b|(?=[A-Z]))\s*:?\s*(.*)$")
_FALLBACK_LINES = 80


def split_run_on_classified_by(text: str) -> tuple[str, str]:
    """(text before, Classified-by text) of a line that runs on into "Classified By: ..."."""
    m = _RE_CLASSIFIED_ANYWHERE.search(text)
    if not m or m.start() == 0:
        return text, ""
    return text[:m.start()].rstrip(), m.group(1).strip()


def find_classified_by(lines: list[str], start: int, body_start: int, *, uncut: bool = False) -> str:
    """The text of a "Classified by" line the header loop did not reach, with its wrapped lines;
    with `uncut`, only one the site did not cut short ("Classified By: A/S ...")."""
    stop = min(len(lines), body_start + _FALLBACK_LINES)
    for i in range(start, stop):
        line = lines[i]
        if "lassified" not in line and "LASSIFIED" not in line:
            continue
        m = _RE_CLASSIFIED_ANYWHERE.search(line)
        if m:
            text = m.group(1).strip()
        elif line.rstrip().endswith("CLASSIFIED"):
            # "... ARE WELCOME CLASSIFIED" / "" / "BY: Gene A. Cretz, Ambassador ..."
            nxt = next((k for k in range(i + 1, min(stop, i + 3)) if lines[k].strip()), None)
            if nxt is None or not lines[nxt].lstrip().startswith("BY:"):
                continue
            i, text = nxt, lines[nxt].strip()[3:].strip()
        else:
            continue
        for nxt in lines[i + 1:i + 4]:
            nxt = nxt.strip()
            if not nxt or _RE_REASONS_PRESENT.search(text) or nxt[:1] in "¶(" or nxt[:2].rstrip(".").isdigit():
                break
            text += " " + nxt
        if uncut and text.endswith("..."):
            continue
        return text
    return ""


@lru_cache(maxsize=4096)
def _classified_by(text: str) -> tuple[str, str, str]:
    """"Ambassador Anne E. Derse per 1.4 (b,d)." -> ("Anne E. Derse", "Ambassador", "1.4 (b,d)").

    Two officials give two names joined by "; " ("Ambassador X and DCM Y" -> "X; Y"); a title
    with no name ("Classified by: Ambassador") gives no name."""
    text = _RE_WS.sub(" ", text).strip()
    if not text:
        return "", "", ""
    text = re.sub(r"^(?:CLASSIFIED BY\s*:?\s*)", "", text, flags=re.I)
    if text.endswith("..."):
        stem = text[:-3]
        text = _RE_CUT_REASONS.sub("", stem)
        if text == stem and stem[-1:].isalnum():
            text = re.sub(r"\s*\S+$", "", text)  # the last word was cut short
    text = _RE_AFFAIRES.sub("d'Affaires", text)
    text = re.sub(r"\b1\. ([4-6])\b", r"1.\1", text)   # "1.\n4 (b)" wrapped
    m = re.search(r"1\.[4-6]\b", text)
    reasons = ""
    who = text
    if m:
        r = _RE_REASONS.match(text, m.start())
        reasons = text[m.start():r.end() if r else m.end()].strip(" .;,")
        who = text[:m.start()]
    who = _RE_WHO_END.split(who, maxsplit=1)[0].strip(" ;,:-")
    who = who if who.endswith(("Jr.", "Sr.")) or re.search(r"\b[A-Z]\.$", who) else who.rstrip(". ")
    if who.endswith((" Jr", " Sr", ",Jr", ",Sr")):
        who += "."
    names: list[str] = []
    titles: list[str] = []
    for part in _parts(who):
        title, name = _title_and_name(part)
        if not name or names:
            titles.append(part)
            continue
        for person_title, person in _people(part, title, name):
            names.append(person)
            if person_title:
                titles.append(person_title)
    return "; ".join(names), ", ".join(titles), reasons


def _parts(who: str) -> list[str]:
    """"Carol Urban, Charge d'Affaires, a.i." -> its comma parts; a suffix (", Jr.", ", III")
    stays with the name before it."""
    parts: list[str] = []
    for part in re.split(r"\s*[,;]\s*", who):
        part = part.strip(" :")
        if not part.strip("."):
            continue
        if parts and _RE_SUFFIX.match(part):
            parts[-1] += ", " + part
            continue
        parts.append(part)
    return parts


def _title_and_name(part: str) -> tuple[str, str]:
    """One part: the title words before the name ("Kirkuk PRT Team Leader" / "Howard Keegan");
    no name when every word is a title word or the part names an office ("DOS", "EXEC")."""
    if part.lower().strip(" .") in NOT_PERSON_PARTS:
        return part, ""
    words = part.split()
    if all(_is_title_word(w) for w in words):
        return part, ""
    k = len(words) - 1   # the last word is the name's, even a title word ("Damian R. Leader")
    while k > 0 and not _is_title_word(words[k - 1]):
        k -= 1
    title, name = " ".join(words[:k]).strip(" ,"), " ".join(words[k:]).strip(" ,")
    name = _RE_SPLIT_LETTER.sub(r"\1\2", name)
    if name.endswith(".") and not _RE_KEEPS_STOP.search(name):
        name = name[:-1]
    if not any(c.isalpha() for c in name):
        return part, ""
    return title, name


def _people(part: str, title: str, name: str) -> list[tuple[str, str]]:
    """"Ambassador X and DCM Y": each side with a name of its own is one person."""
    sides = _RE_TWO_PEOPLE.split(part)
    if len(sides) == 2:
        people = [_title_and_name(side) for side in sides]
        if all(n and len(n.split()) >= 2 for _, n in people):
            return people
    return [(title, name)]


# Words of an official's title, as the "Classified by" lines write them.
TITLE_WORDS: frozenset[str] = frozenset("""
ambassador amb amb. charge chargé d'affaires d'affaires, affaires a.i. ai deputy chief of mission dcm a/dcm
acting political economic counselor counsellor polcouns econcouns polecon pol/econ pol/mil polmil
econ pol officer section head director consul general cg principal officer po cda rso ds
minister-counselor minister counselor, for affairs public diplomacy management regional security
mission secretary assistant under and the political-military polmiloff poloff econoff
external internal unit coordinator senior advisor adviser attache attaché defense
charg chief, officer, pao ico cons usun us u.s. permanent representative alternate
leader team prt polmc econmc pmc m/c mc com est esth dci acm labor commercial agricultural military
legal science environment health narcotics refugee refcoord usaid administrator mgmt
pas ecopol econpol pol-econ pol-mil polecon polchief econchief deputy-director spokesman
consul-general consulgeneral, embassy mission, interim a.i das das, pdas ecpo mincouns adcm polmincouns econmincouns
dtra fbi dhs dea doe dod usda u/s a/s wha eur eap nea sca af isn inl drl io pm
""".split())


def _is_title_word(word: str) -> bool:
    """"Ambassador", "Charge", "A/PolCouns", "Pol/Econ": words of an official's title."""
    word = word.lower().strip(",.")
    return word in TITLE_WORDS or ("/" in word and any(part in TITLE_WORDS for part in word.split("/")))
