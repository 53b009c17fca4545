"""The REF list: items, labels and the cable ids they name."""
from __future__ import annotations

import re

from .. import stations as st
from ..model import Reference
from .state import _RE_WS, canonical_station
from .furniture import _RE_DASHES, _RE_SITE_META_LINE
from .banner import _RE_BANNER, _RE_LOWER_BANNER


# Labels of the REF line, longest first (then ":" or "."; "REF" also before a space).
REF_LABELS: tuple[str, ...] = ("REFERENCES", "REFERENCE", "References", "Reference", "REFTELS", "REFTEL",
                               "Reftels", "Reftel", "REFS", "REF", "Refs", "Ref")
_RE_REF = re.compile(r"^\s*(?:¶\s*)?(?:" + "|".join(REF_LABELS) + r")\s*[:.]\s*(.*)$|^\s*REF\s+(\S.*)$")
# A REF label run on after the subject: "SUBJECT: ENERGY INSTALLATIONS REF: BRASILIA 861".
_RE_REF_RUN_ON = re.compile(r"\s(?:REF(?:TEL)?S?|Ref(?:tel)?s?)\s*:\s")
# A line that goes on with a REF list after a blank line: a labelled item ("¶B. SAN JOSE 234").
_RE_REF_ITEM_LINE = re.compile(r"^\s*(?:¶\s*)?(?:[A-Z][.)]|\([A-Z]\))\s+\S")
_RE_REF_LABEL = re.compile(r"(?:(?<=\s)|^|(?<=[;,¶]))(?:1?([A-Z])\.|\(([A-Z])\)|([A-Z])\))(?=\s|$|(?<=\))[A-Z])")
_RE_REF_CABLE = re.compile(
    r"(?<![A-Z0-9])(?:(?:19|20)?(\d{2})\s?|\((\d{2})\)\s?)?"   # optional year: 07, 2007, (99)
    r"([A-Z][A-Z'-]*(?:\s[A-Z][A-Z'-]*){0,3}?)\s?(\d{1,8})"   # station words, serial
    r"((?:\s*(?:,|AND|&)\s*\d{2,6}(?![\d/])(?!\s+[A-Z]{2,}\s*\d))*)"  # more serials: "2799 AND 2764",
    r"(?![\d/-])(?!:\d)(?!\.\.)")                                      # not "05 ROME 2543, 03 VAT 4859"
_RE_REF_ID = re.compile(r"(?<![A-Z0-9])(\d{2})([A-Z]{3,})(\d{1,6})(?![\d])")
_RE_SEED_REF_ITEM = re.compile(r"^1([A-Z])\.\s")


def ref_goes_on(lines: list[str], i: int) -> bool:
    """After a blank line at `i`, the REF list goes on when the next text line is a labelled item."""
    for line in lines[i + 1:i + 3]:
        if line.strip():
            return bool(_RE_REF_ITEM_LINE.match(line))
    return False


def split_run_on_ref(value: str) -> tuple[str, str]:
    """(subject, REF text) of a subject line that runs on into the REF list."""
    m = _RE_REF_RUN_ON.search(value)
    if not m:
        return value, ""
    return value[:m.start()].rstrip(), value[m.end():].strip()


def _ends_ref_list(ref_text: str, stripped: str) -> bool:
    """The REF list stops at the site's metadata block (id:/date:/refid:/.../header ends), at a
    repeated banner or rule, and after a list the site cut short with "..."."""
    return bool(ref_text.rstrip().endswith("...") or _RE_SITE_META_LINE.match(stripped)
                or _RE_DASHES.match(stripped) or _RE_BANNER.match(stripped)
                or _RE_LOWER_BANNER.match(stripped))


def _references(text: str, year: int | None, own_id: str = "") -> list[Reference]:
    """REF items with labels; each names zero or more cables (canonical ids), else kept as text.
    A cable never cites itself: its own id read in a REF item is furniture, not a reference."""
    text = _RE_WS.sub(" ", text).strip()
    if not text:
        return []
    items = _split_ref_labels(text)
    out: list[Reference] = []
    for label, item in items:
        ids = [cable_id for cable_id in _ref_ids(item, year) if cable_id != own_id]
        if not ids:
            out.append(Reference(label=label, text=item, id=None))
        for k, cable_id in enumerate(ids):
            out.append(Reference(label=label, text=item, id=cable_id))
    return out


def _split_ref_labels(text: str) -> list[tuple[str, str]]:
    """Split "A. BAKU 568 B. STATE 61831" at labels A, B, C... taken in order only."""
    cuts: list[tuple[int, int, str]] = []
    expected = "A"
    for m in _RE_REF_LABEL.finditer(text):
        letter = m.group(1) or m.group(2) or m.group(3)
        if letter == expected:
            cuts.append((m.start(), m.end(), letter))
            expected = chr(ord(expected) + 1)
        elif cuts and letter == cuts[-1][2] and m.start() - cuts[-1][1] <= 1:
            # "A. (A) BAKU 1224": a repeated label right after the first
            cuts[-1] = (cuts[-1][0], m.end(), letter)
    if not cuts:
        parts = [_item_text(p) for p in text.split(";")]
        return [("", p) for p in parts if p]
    out = []
    lead = _item_text(text[:cuts[0][0]])
    if lead:
        out.append(("", lead))
    for k, (start, end, letter) in enumerate(cuts):
        stop = cuts[k + 1][0] if k + 1 < len(cuts) else len(text)
        item = _item_text(text[end:stop])
        out.append((letter, item))
    return out


def _item_text(text: str) -> str:
    """An item without separators around it; a full stop goes, the site's "..." (a cut item) stays."""
    text = text.strip(" ;,¶")
    return text if text.endswith("...") else text.rstrip(". ")


def _ref_ids(item: str, year: int | None) -> list[str]:
    """Cable ids named in one REF item: "07 STATE 61831", "BRASILIA 2799 AND 2764", "08BAKU123"."""
    upper = item.upper()
    ids: list[str] = []
    for m in _RE_REF_ID.finditer(upper):
        station = canonical_station(m.group(2))
        if station in st.KNOWN_STATIONS:
            ids.append(f"{m.group(1)}{station}{int(m.group(3))}")
    if ids:
        return ids
    for m in _RE_REF_CABLE.finditer(upper):
        words = m.group(3).split()
        station = ""
        for k in range(len(words)):
            candidate = canonical_station(" ".join(words[k:]))
            if candidate in st.KNOWN_STATIONS:
                station = candidate
                break
        if not station:
            continue
        y = m.group(1) or m.group(2)
        if y is None:
            if year is None:
                continue
            y = f"{year:02d}"
        numbers = [m.group(4)] + re.findall(r"\d{2,6}", m.group(5) or "")
        for number in numbers:
            cable_id = f"{y}{station}{int(number)}"
            if cable_id not in ids:
                ids.append(cable_id)
    return ids
