"""The classification banner (level, caveat, section, station, serial) and the handling captions."""
from __future__ import annotations

import re

from .. import stations as st
from .state import _Found


# The classification banner and handling captions
_RE_BANNER = re.compile(
    r"^\s*(?:CLASSIFICATION:\s*)?[\"'.,]{0,3}(?:\d{1,7}|[CSU]\s?)??"   # junk before it: '","', 'SS E C R E T'
    r"(T\s?O\s?P\s+S\s?E\s?C\s?R\s?E\s?T|S\s?E\s?C\s?R\s?E\s?T|C\s?O\s?N\s?F\s?I\s?D\s?E\s?N\s?T\s?I\s?A\s?L"
    r"|U\s?N\s?C\s?L\s?A\s?S(?:\s?S\s?I\s?F\s?I\s?E\s?D)?|LIMITED OFFICIAL USE)\b(.*)$")
_RE_LOWER_BANNER = re.compile(r"^\s*(?:S e c r e t|C o n f i d e n t i a l|Unclas)\b")
_RE_BANNER_TAIL = re.compile(
    r"^(?P<caveat>(?://[A-Z /]+?|\s+(?:E\s?F\s?T\s?O|NOFORN|SIPDIS|EXDIS|NODIS|LIMDIS))*)\s*"
    r"(?:[A-Z]{0,3}(?:TION|TIN|TON|CION|TIO|TIKN|TINN|TIOQ)"                  # SECTION, garbled too
    r"\s*(?P<sec>\d{1,2}|Q\d|\dQ)\s*(?:OF|GF|F|O|of)\s*(?P<secs>\d{1,2})\s*)?"
    r"(?:\d{2}\s+(?=[A-Z]))?"                                                  # 1970s: the year, "75 LIBREVILLE"
    r"(?P<station>[A-Z][A-Z .'-]*?)\s+(?P<serial>\d{1,9})\s*(?P<rest>.*)$")
_RE_CAPTION_WORDS = re.compile(r"\b(" + "|".join(st.RUN_IN_CAPTIONS) + r")\b")
_RE_CAPTION_SPLIT = re.compile(r"[\s,;/]+")
_RE_CAPTION_ANY = re.compile(r"\b(" + "|".join(re.escape(c) for c in st.CAPTIONS) + r")\b")
_RE_RUN_TOGETHER_CAPTION = re.compile("|".join(st.RUN_IN_CAPTIONS))  # glued on: "000595SIPDIS"
_RE_NOFORN = re.compile(r"\bNOFORN\b")
_RE_SBU = re.compile(r"\bSENSITIVE BUT UNCLASSIFIED\b", re.I)
_RE_CLASS_LINE = re.compile(r"^(?:CLASS|Class|class)(?:IFICATION|ification)?:\s*\S")


def _read_banner(found: _Found, m: re.Match[str]) -> bool:
    """The banner line (C O N F I D E N T I A L BAKU 000595 ...): level, caveat, section, station, serial."""
    word = st.CLASSIFICATION_WORDS.get(m.group(1).replace(" ", ""))
    if word is None:
        return False
    tail = m.group(2)
    t = _RE_BANNER_TAIL.match(tail)
    if not t:
        if tail.strip() and not tail.strip().startswith("//"):
            return False
        if found.banner_class:
            return True
        found.banner_class = word
        found.banner_caveat = tail.strip().strip("/").strip()
        return True
    station = t.group("station").strip()
    if len(station) < 3 or len(station) > 30 or station.startswith(("SECTION", "DECL")):
        return False
    found.banner_class = word
    caveat = t.group("caveat").strip()
    if caveat.startswith("//"):
        found.banner_caveat = caveat.strip("/").strip()
    elif caveat:
        for word_ in caveat.replace("E F T O", "EFTO").split():
            if word_ not in found.captions:
                found.captions.append(word_)
    if t.group("secs"):
        found.sections = int(t.group("secs"))
        if not found.section and t.group("sec").isdigit():
            found.section = int(t.group("sec"))
    found.banner_station = station
    found.banner_serial = t.group("serial").lstrip("0") or "0"
    for word_ in _RE_RUN_TOGETHER_CAPTION.findall(t.group("rest")):
        if word_ not in found.captions:
            found.captions.append(word_)
    return True


def _caption_line(found: _Found, stripped: str) -> bool:
    """Lines like SIPDIS, NOFORN, "SIPDIS, NOFORN", "SENSITIVE BUT UNCLASSIFIED" after the banner."""
    words = _RE_CAPTION_SPLIT.split(stripped.upper())
    if len(words) > 9:
        return False
    captions = _RE_CAPTION_ANY.findall(" ".join(words))
    if not captions:
        return False
    for c in captions:
        if c not in found.captions:
            found.captions.append(c)
    return True


def _scan_captions(found: _Found) -> None:
    """Captions also close addressee lines ("DOL FOR ILAB MMITTELHAUSER SENSITIVE SIPDIS")."""
    for line in found.lines[found.start:found.body_start]:
        if line[:1] in "Cc" and _RE_CLASS_LINE.match(line) and "NOFORN" in line and "NOFORN" not in found.captions:
            found.captions.append("NOFORN")
    if found.banner_index < 0:
        return
    stop = found.fields_index if found.fields_index > found.banner_index else found.banner_index + 12
    for line in found.lines[found.banner_index + 1:stop]:
        for word in _RE_CAPTION_WORDS.findall(line):
            if word not in found.captions:
                found.captions.append(word)
    for line in found.lines[stop:found.body_start]:
        if _RE_SBU.search(line) and "SENSITIVE" not in found.captions:
            found.captions.append("SENSITIVE")
        if "NOFORN" in line and "NOFORN" not in found.captions and _RE_NOFORN.search(line):
            found.captions.append("NOFORN")


def _classification(base: str, captions: list[str], caveat: str) -> str:
    """The archive's classification vocabulary: base plus //NOFORN, or //FOR OFFICIAL USE ONLY for SBU."""
    if not base:
        return ""
    if base in ("SECRET", "CONFIDENTIAL", "TOP SECRET") and ("NOFORN" in captions or "NOFORN" in caveat):
        return base + "//NOFORN"
    if base == "UNCLASSIFIED" and ("SENSITIVE" in captions or "FOR OFFICIAL USE ONLY" in captions
                                   or "NOFORN" in captions or "FOUO" in caveat):
        return "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
    return base
