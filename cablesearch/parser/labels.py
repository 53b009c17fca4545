"""Labelled header lines: E.O./DECL, TAGS and SUBJECT (REF and Classified By have their own modules)."""
from __future__ import annotations

import re
from datetime import datetime

from .state import _Found, _RE_WS
from .furniture import _RE_PAGEBREAK, _RE_PAGE_DTG, _RE_REPEAT_BANNER, _RE_TRAILING_CLASS
from .banner import _RE_CAPTION_ANY
from .classified_by import _RE_CLASSIFIED_BY
from .body import _is_body_start
from .references import _RE_REF


# Header fields: E.O./DECL, TAGS, SUBJECT, REF, Classified By
_RE_EO = re.compile(r"(?:\b|(?<=\d))[Ee]\.?\s?[Oo0]\.?\s*(\d{4,5})\b\s*:?\s*(.*)$")   # "E.0.", "000549E.O."
_RE_DECL = re.compile(r"\bDECL(?:ASSIFY|l)?(?![A-Z])\s*(?:ON)?\s*:?\s*(.*?)\s*(?:(?:\b|(?<=\d))TAGS?\b|$)", re.I)
_RE_DECL_START = re.compile(r"^\s*(?:EO|E\.O\.)?\s*DECL(?:ASSIFY)?(?![A-Z])", re.I)
_RE_DECL_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2,4})(?!\d)")
_RE_DECL_DATE_YMD = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)")   # 2020/02/23
_RE_NA = re.compile(r"\bN/A\b")
# The TAGS label as written, misspellings too; the short ones only before a colon or semicolon.
TAGS_LABELS: tuple[str, ...] = ("TAGSS", "TAGS", "TAGES", "TAGE", "TAG", "Tags")      # then ":", ";", "." or a space
TAGS_MISSPELT: tuple[str, ...] = ("TABS", "TAS", "TGS", "AGS")                      # then ":" or ";"
_RE_TAGS = re.compile(r"(?:^|\s|(?<=\d))(?:(?:" + "|".join(TAGS_LABELS) + r")\s*(?::|;|\.|\s)|(?:"
                      + "|".join(TAGS_MISSPELT) + r")\s*[:;])\s*(.*)$")
# Page furniture run onto a TAGS line: "... IT SECRET PAGE 02 ROME 03067 211833Z".
_RE_TAGS_DEBRIS = re.compile(
    r"\s*(?:\b(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\s+)?\bPAGE\s+\d.*$")
# Tags of more than one word, as the archive's TAGS lines write them (they read as one tag whether
# the line separates tags by spaces or commas); person tags are "SURNAME, GIVEN NAME".
MULTIWORD_TAGS: frozenset[str] = frozenset({
    "GOI EXTERNAL", "GOI INTERNAL", "COUNTER TERRORISM", "IRAQI FREEDOM", "ITALY NATIONAL ELECTIONS",
    "ITALIAN POLITICS", "ISRAELI PALESTINIAN AFFAIRS", "HUMAN RIGHTS", "MEDIA REACTION", "FOREIGN POLICY",
    "COUNTRY CLEARANCE", "POLITICAL PARTIES", "DOMESTIC POLITICS", "PHALANAGE PARTY", "BILAT REGION OFFICIALS",
    "RICE, CONDOLEEZZA", "CLINTON, HILLARY", "BIDEN, JOSEPH", "ZOELLICK, ROBERT", "STEINBERG, JAMES",
    "CARSON, JOHNNIE"})
_MULTIWORD_KEYS: dict[tuple[str, ...], str] = {tuple(t.replace(",", "").split()): t for t in MULTIWORD_TAGS}
_MULTIWORD_MAX = max(len(k) for k in _MULTIWORD_KEYS)
_MULTIWORD_FIRST = frozenset(k[0] for k in _MULTIWORD_KEYS)
_RE_BEFORE_TAGS = re.compile(r"DECL|\d{5}|N/A|\d/\d\d")
_RE_TAG_LINE = re.compile(r"^\s*(?:[A-Z]{2,6}[ ,]*){1,6}$")
# The SUBJECT label; "Subject" and the "UBJECT" typo only before a colon ("Subject:" only after an E.O. line).
SUBJECT_LABELS: tuple[str, ...] = ("SUBJECT", "SUBJ", "Subject", "UBJECT")
_SUBJECT_COLON_ONLY = frozenset({"Subject", "UBJECT"})
_RE_SUBJECT = re.compile(
    r"^\s*(?:¶\s*)?(?:" + "|".join(l + "(?=\\s*:)" if l in _SUBJECT_COLON_ONLY else l for l in SUBJECT_LABELS)
    + r")\b\.?\s*[:.]?\s*(.*)$")
# Text run onto the end of a subject: a handling caption, an action-request note.
_RE_SUBJECT_TAIL = re.compile(
    r"\s*[-;,.]?\s*(?:\(\w+\)\s*)?(?:\bSENSITIVE BUT UNCLASSIFIED\b|\bThis is an action request\b).*$", re.I)
_RE_SUBJECT_LEAD = re.compile(r"^(?:(?:SUBJECT|SUBJ)\s*:\s*|[:.]\s*)+")
_RE_MARKUP = re.compile(r"</?\w+>")


def _page_furniture_removed(found: _Found, i: int, stripped: str) -> str:
    """A wrapped subject/REF line without page furniture: "" for a page-break line, a lone
    classification word before a page header ("CONFIDENTIAL" / "PAGE 02 HARARE 06677 01 OF 03
    291400Z ..."), or the page header itself; the text run on after a page header is kept."""
    if _RE_PAGEBREAK.match(stripped):
        return ""
    nxt = found.lines[i + 1].strip() if i + 1 < len(found.lines) else ""
    if _RE_REPEAT_BANNER.match(stripped) and _RE_PAGE_DTG.match(nxt):
        return ""
    m = _RE_PAGE_DTG.match(stripped)
    if m:
        # the classification printed at the foot of the page, run onto the last line read
        found.subject = _RE_TRAILING_CLASS.sub("", found.subject)
        found.ref_text = _RE_TRAILING_CLASS.sub("", found.ref_text)
        return stripped[m.end():].strip()
    return stripped


def _read_decl(found: _Found, stripped: str) -> None:
    """The declassification date after DECL (as YYYY-MM-DD when it is a date), or N/A."""
    d = _RE_DECL.search(stripped)
    if not d:
        if _RE_NA.search(stripped):
            found.declassify_on = "N/A"
        return
    value = d.group(1).strip(" .;,")
    dm = _RE_DECL_DATE.match(value)
    ymd = _RE_DECL_DATE_YMD.match(value) if dm is None else None
    if dm or ymd:
        if dm:
            month, day, year = int(dm.group(1)), int(dm.group(2)), int(dm.group(3))
        else:
            year, month, day = int(ymd.group(1)), int(ymd.group(2)), int(ymd.group(3))
        if year < 100:
            year += 2000 if year < 70 else 1900
        try:
            found.declassify_on = datetime(year, month, day).strftime("%Y-%m-%d")
            return
        except ValueError:
            pass
    found.declassify_on = value


def _tag_continuation(found: _Found, i: int) -> int:
    """A TAGS list may wrap onto the next line (when it ends with a comma)."""
    while i + 1 < len(found.lines) and found.lines[i + 1].strip() \
            and (found.lines[i].rstrip().endswith(",") or _RE_TAG_LINE.match(found.lines[i + 1])) \
            and not _is_field_start(found.lines[i + 1].strip()) \
            and not _RE_CAPTION_ANY.search(found.lines[i + 1]):
        i += 1
        found.tags.extend(_tags(found.lines[i]))
    return i


def _is_field_start(stripped: str) -> bool:
    """A line that starts a header label or the body: it ends a wrapped label value."""
    return bool(_RE_SUBJECT.match(stripped) or _RE_REF.match(stripped) or _RE_CLASSIFIED_BY.match(stripped)
                or _is_body_start(stripped) or stripped.startswith(("E.O.", "EO ", "TAGS")))


def _may_hold_tags(stripped: str) -> bool:
    """A cheap test before the TAGS pattern: the line has "TAG", "Tag" or a misspelt label."""
    return "AG" in stripped or "Tag" in stripped or "TAS" in stripped or "TGS" in stripped or "TABS" in stripped


def _tags(text: str) -> list[str]:
    """The TAGS list: comma- or space-separated; <u> markup, page furniture and trailing punctuation
    dropped; multi-word and person tags of the vocabulary kept whole ("GOI EXTERNAL", "RICE, CONDOLEEZZA")."""
    text = re.sub(r"</?\w+>", " ", text)
    text = _RE_TAGS_DEBRIS.sub("", text)
    text = text.strip().strip(".;").strip()
    if text.islower():
        text = text.upper()
    if not text:
        return []
    separated = "," in text or ";" in text
    if separated:
        items = [_RE_WS.sub(" ", t).strip(" .;:") for t in re.split(r"[,;]", text)]
    else:
        items = text.split()
    items = _vocabulary_joined(items)
    if not separated:
        items = _join_multiword(items)
    out: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in out and re.search(r"[A-Za-z]", item):
            out.append(item)
    return out


def _vocabulary_joined(items: list[str]) -> list[str]:
    """Runs of items that spell a multi-word tag of the vocabulary become that one tag."""
    out: list[str] = []
    k = 0
    while k < len(items):
        if items[k] not in _MULTIWORD_FIRST:
            out.append(items[k])
            k += 1
            continue
        for n in range(min(_MULTIWORD_MAX, len(items) - k), 1, -1):
            key = tuple(w for item in items[k:k + n] for w in item.split())
            if key in _MULTIWORD_KEYS and all(" " not in item for item in items[k:k + n]):
                out.append(_MULTIWORD_KEYS[key])
                k += n
                break
        else:
            out.append(items[k])
            k += 1
    return out


def _join_multiword(words: list[str]) -> list[str]:
    """Space-separated tags: runs of long plain words form one tag ("DOMESTIC POLITICS")."""
    out: list[str] = []
    run: list[str] = []
    for w in words:
        w = w.strip(".;:")
        if w in MULTIWORD_TAGS:
            if run:
                out.extend(_flush_run(run))
                run = []
            out.append(w)
            continue
        if len(w) >= 5 and w.isalpha() and w.isupper() and w not in _LONG_SINGLE_TAGS:
            run.append(w)
            continue
        if run:
            out.extend(_flush_run(run))
            run = []
        out.append(w)
    if run:
        out.extend(_flush_run(run))
    return out


def _flush_run(run: list[str]) -> list[str]:
    return [" ".join(run)] if len(run) > 1 else run


_LONG_SINGLE_TAGS = frozenset({"UNHRC", "MTCRE", "UNMIK", "UNESCO", "UNHCR", "UNAUS", "APECO", "PARMS", "ENERG",
                               "ASEAN", "SAARC", "CODEL", "USAID", "UNVIE", "INTERPOL", "MERCOSUR", "KFTFN",
                               "WWARD", "UNCHS", "UNCHC", "USTR", "OPDC", "EAGRE", "KPALS", "SIPRS", "UNSCR"})


def _find_subject(lines: list[str]) -> str:
    for k, line in enumerate(lines):
        m = _RE_SUBJECT.match(line.strip())
        if m:
            return m.group(1).strip()
    return ""


def _clean_subject(subject: str) -> str:
    """Markup dropped, whitespace folded, a doubled label or stray colon in front removed, a
    caption or action-request note run onto its end ("... Sensitive but Unclassified. Please ...") cut."""
    subject = _RE_MARKUP.sub("", subject)
    subject = " ".join(subject.split())
    folded = subject.lower()
    if "sensitive but" in folded or "action request" in folded:
        subject = _RE_SUBJECT_TAIL.sub("", subject)
    return _RE_SUBJECT_LEAD.sub("", subject)
