"""Labelled header lines: E.O./DECL, TAGS and SUBJECT (REF and Classified By have their own modules)."""
from __future__ import annotations

import re
from datetime import datetime

from .. import stations as st
from .state import _Found, _RE_WS
from .furniture import _RE_PAGEBREAK, _RE_PAGE_DTG, _RE_REPEAT_BANNER, _RE_TRAILING_CLASS
from .banner import _RE_CAPTION_ANY
from .classified_by import _RE_CLASSIFIED_BY
from .body import _is_body_start
from .references import _RE_REF


# Header fields: E.O./DECL, TAGS, SUBJECT, REF, Classified By
_RE_EO = re.compile(r"\b[Ee]\.?\s?[Oo]\.?\s*(\d{5})\b\s*:?\s*(.*)$")


_RE_DECL = re.compile(r"\bDECL(?:ASSIFY)?\s*(?:ON)?\s*:?\s*(.*?)\s*(?:(?:\b|(?<=\d))TAGS?\b|$)")


_RE_DECL_START = re.compile(r"^\s*(?:EO|E\.O\.)?\s*DECL")


_RE_DECL_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2,4})(?!\d)")


_RE_NA = re.compile(r"\bN/A\b")


_RE_TAGS = re.compile(r"(?:^|\s|(?<=\d))(?:" + "|".join(st.TAGS_LABELS) + r")\s*(?::|\.|\s)\s*(.*)$")


_RE_BEFORE_TAGS = re.compile(r"DECL|\d{5}|N/A|\d/\d\d")


_RE_TAG_LINE = re.compile(r"^\s*(?:[A-Z]{2,6}[ ,]*){1,6}$")


_RE_SUBJECT = re.compile(
    r"^\s*(?:¶\s*)?(?:" + "|".join(l + "(?=:)" if l.istitle() else l for l in st.SUBJECT_LABELS)
    + r")\b\.?\s*[:.]?\s*(.*)$")


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
    if dm:
        month, day, year = int(dm.group(1)), int(dm.group(2)), int(dm.group(3))
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


def _tags(text: str) -> list[str]:
    """The TAGS list: comma- or space-separated; <u> markup and trailing punctuation dropped."""
    text = re.sub(r"</?\w+>", " ", text)
    text = text.strip().strip(".;").strip()
    if text.islower():
        text = text.upper()
    if not text:
        return []
    if "," in text:
        items = [_RE_WS.sub(" ", t).strip(" .;:") for t in text.split(",")]
    elif ";" in text:
        items = [_RE_WS.sub(" ", t).strip(" .;:") for t in text.split(";")]
    else:
        items = _join_multiword(text.split())
    out: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in out and re.search(r"[A-Za-z]", item):
            out.append(item)
    return out


def _join_multiword(words: list[str]) -> list[str]:
    """Space-separated tags: runs of long plain words form one tag ("DOMESTIC POLITICS")."""
    out: list[str] = []
    run: list[str] = []
    for w in words:
        w = w.strip(".;:")
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
    """Markup dropped, whitespace folded, a doubled label or stray colon in front removed."""
    subject = _RE_MARKUP.sub("", subject)
    subject = " ".join(subject.split())
    return _RE_SUBJECT_LEAD.sub("", subject)
