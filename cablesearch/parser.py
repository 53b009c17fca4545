"""The cable parser: the text of one cable (any Cablegate layout) -> a complete `Cable` record.

The parser works on lines. It first normalises the layout (the seed's blank line after every
header line, the archive's backslash-continued dump rows, the "partial extract" records with
their metadata block), then reads the header fields in order, then splits the body into
numbered paragraphs. Variants that are data (station spellings, captions, titles) live in
`cablesearch.stations`; each odd case has a test named after the cable that shows it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Iterable, Mapping

from . import stations as st
from .errors import CablesearchError
from .model import Cable, Disagreement, Paragraph, Recipient, Reference, format_utc


class CableParseError(CablesearchError):
    """The text is not a cable (or not enough of one to name it)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source or '<text>'}: {reason}")


# ---------------------------------------------------------------------------------------------
# Patterns, compiled once. Most are anchored, and the parser guards them with cheap string tests,
# so a line costs a few regex matches at most.

# Paragraph classification markings: (C), (S/NF), (SBU), (U//FOUO) ...
_MARKING = (r"(?:TS|S|C|U|SBU|LOU|FOUO|CUI|NF)"
            r"(?:\s*/{1,2}\s*(?:NF|NOFORN|REL[A-Z ,]*|FOUO|SBU|OC|ORCON|PROPIN|EXDIS|NODIS|SI|TK|HCS))*(?:\s*-\s*NF)?")

# Layout: partial extracts and their archive blocks, run-together headers, the seed layout
PARTIAL_NOTE = "This record is a partial extract of the original cable"
_RE_META_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::\d{2})?)?$")
_RE_META_ID = re.compile(r"^(\d{2}[A-Z][A-Z0-9]*\d)$")
_RE_ARCHIVE_ID = re.compile(r"^(\d{2})([A-Z][A-Z0-9]*?[A-Z])(\d+)$")
_RE_CABLE_DATED = re.compile(r"^\s*C?able dated:\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)\]?\s*")
_RE_RUN_TOGETHER = re.compile(
    r"(?<=\S)\s*(?=E\.[Oo]\. ?\d{5}|TAGS:|Tags:|SUBJECT:|Subject:|REF:|Classified By:|CLASSIFIED BY:)")
_RE_HEADER_LABEL = re.compile(
    r"^\s*(?:REFS?\b|Classified By|CLASSIFIED BY|SUBJECT|TAGS|E\.O\.|EO 1|C O N|S E C|UNCLAS|SIPDIS)")
_RE_RUN_INTO_BODY = re.compile(
    r"(?<![:(\-])(?<!\d\.)\s+(?=(?:¶\s*)?\d{1,2}\.\s*\((?:" + _MARKING + r")\)\s"
    r"|\((?:U|C|S|SBU|S/NF|C/NF|S//NF|C//NF)\)\s+[A-Z])")
_SEED_HEADER_PROBE = 24

# Transmission furniture: VZCZC, DE, ZNY, date-time groups, FM/TO/INFO, date lines
_RE_VZCZC = re.compile(r"^(VZCZC[A-Z0-9]*)")
_RE_DE = re.compile(r"^DE\s+([A-Z]{5,})\s+#(\d{1,6})(?:/(\d{1,3}))?\s+(\d{7})")
_RE_ZNY = re.compile(r"^ZN[YR]\s+([CSUE])\1{4}\b")
_ZNY_CLASSES = {"C": "CONFIDENTIAL", "S": "SECRET", "U": "UNCLASSIFIED", "E": "UNCLASSIFIED"}
_RE_DTG = re.compile(
    r"^((?:[ZOPRY]{1,2}\s+){1,3})?(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{2}|\d{4})\b")
_RE_DTG_ANY = re.compile(r"\b(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{2}|\d{4})\b")
_RE_PAGE_DTG = re.compile(r"^\s*PAGE\s+\d+\s+[A-Z ]+?\s+\d+\s+(?:\d+\s+OF\s+\d+\s+)?(\d{2})(\d{2})(\d{2})Z\b")
_RE_DATELINE = re.compile(
    r"^\s*(?:MONDAY|TUESDAY|WEDNESDAY|THURSDAY|FRIDAY|SATURDAY|SUNDAY),"
    r"\s+(\d{1,2})\s+([A-Z]+)\s+(\d{4}),\s+(\d{1,2}):(\d{2})",
    re.I)
_MONTH_NAMES = {name: i for i, name in enumerate(
    ("JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER",
     "NOVEMBER", "DECEMBER"), start=1)}
_RE_FM = re.compile(r"^FM\s+([A-Z][A-Z0-9 .,/&'()-]*?)\s*$")
_RE_TO = re.compile(r"^TO\s+(\S.*)$")
_RE_INFO = re.compile(r"^INFO\s+(\S.*)$")
_RE_RECIPIENT = re.compile(
    r"^(?:([A-Z0-9]{4,8})/)?(.*?)(?:\s+(" + "|".join(st.PRECEDENCES) + r"))?(?:\s+(\d{1,5}))?\s*$")

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
    r"(?P<station>[A-Z][A-Z .'-]*?)\s+(?P<serial>\d{1,9})\s*(?P<rest>.*)$")
_RE_CAPTION_WORDS = re.compile(r"\b(" + "|".join(st.RUN_IN_CAPTIONS) + r")\b")
_RE_CAPTION_SPLIT = re.compile(r"[\s,;/]+")
_RE_CAPTION_ANY = re.compile(r"\b(" + "|".join(re.escape(c) for c in st.CAPTIONS) + r")\b")
_RE_RUN_TOGETHER_CAPTION = re.compile("|".join(st.RUN_IN_CAPTIONS))  # glued on: "000595SIPDIS"
_RE_NOFORN = re.compile(r"\bNOFORN\b")
_RE_SBU = re.compile(r"\bSENSITIVE BUT UNCLASSIFIED\b", re.I)
_RE_CLASS_LINE = re.compile(r"^(?:CLASS|Class|class)(?:IFICATION|ification)?:\s*\S")

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
_RE_REF = re.compile(r"^\s*(?:¶\s*)?(?:" + "|".join(st.REF_LABELS) + r")\s*[:.]\s*(.*)$|^\s*REF\s+(\S.*)$")
_RE_REF_LABEL = re.compile(r"(?:(?<=\s)|^|(?<=[;,]))(?:1?([A-Z])\.|\(([A-Z])\)|([A-Z])\))(?=\s|$)")
_RE_REF_CABLE = re.compile(
    r"(?<![A-Z0-9])(?:(?:19|20)?(\d{2})\s?)?"                # optional year: 07, 2007
    r"([A-Z][A-Z'-]*(?:\s[A-Z][A-Z'-]*){0,3}?)\s?(\d{2,6})"   # station words, serial
    r"((?:\s*(?:,|AND|&)\s*\d{2,6}(?![\d/]))*)(?![\d/:-])")    # more serials: "2799 AND 2764"
_RE_REF_ID = re.compile(r"(?<![A-Z0-9])(\d{2})([A-Z]{3,})(\d{1,6})(?![\d])")
_RE_SEED_REF_ITEM = re.compile(r"^1([A-Z])\.\s")
_RE_CLASSIFIED_BY = re.compile(r"^\s*(?:\((?:U|C|S|SBU)\)\s*)?CLASSIFIED\s+BY\b\s*:?\s*(.*)$", re.I)
_RE_REASONS = re.compile(
    r"(?:E\.?O\.?\s*\d{5},?\s*)?1\.[4-6]\s*(?:\(\s*[A-Ha-h]\s*\)(?:\s*(?:,|and|&|/)?\s*\(\s*[A-Ha-h]\s*\))*"
    r"|\(\s*[A-Ha-h](?:\s*(?:,|and|&|/)\s*[A-Ha-h])*\s*\)"
    r"|[A-Ha-h](?:\s*(?:,|and|&|/)\s*[A-Ha-h])*\b)?"
    r"(?:\s*(?:and|,|&)\s*\(\s*[A-Ha-h]\s*\))*", re.I)

# Body: paragraph starts, page breaks, section rules, summary, signer
_RE_PARA_SITE = re.compile(r"^\s*¶\s*(\d{1,3})\s*[.):]?\s*(?:\((" + _MARKING + r")\)\.?)?\s*")
_RE_PARA_SEED = re.compile(r"^-\s+(?:1(\d{1,2})\.\s*)?\((" + _MARKING + r")\)\s*")
_RE_PARA_NUM = re.compile(r"^\s{0,3}(\d{1,2})\s?\.(?:\s*\((" + _MARKING + r")\)\s*|\s+)(?=\S)")
_RE_PARA_MARK_NUM = re.compile(r"^\s{0,3}\((" + _MARKING + r")\)\s+(\d{1,2})\s?\.\s+")
_RE_PARA_MARK = re.compile(r"^\s{0,3}\((" + _MARKING + r")\)\s+(?=\S)")
_RE_PAGEBREAK = re.compile(r"^\s*[A-Z][A-Z .'-]*\s+\d{5,9}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\s*$")
_RE_PAGE_LINE = re.compile(r"^\s*PAGE\s+\d{2,3}\s+[A-Z]")
_RE_TRAILING_CLASS = re.compile(
    r"\s+(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|LIMITED OFFICIAL USE|UNCLAS)(?:\s+(?:NOFORN|SIPDIS))*\s*$")
_RE_SITE_META_LINE = re.compile(
    r"^(?:(?:id|date|refid|origin|classification|destination|header):(?:\s|$)|-{3,}\s*header ends\s*-{3,})")
_RE_DASHES = re.compile(r"^\s*[-=_*]{3,}[-=_* ]*$")
_RE_DASHED_HEADING = re.compile(r"^\s*[-=]{3,}\s*[^-=].{0,80}?\s*[-=]{3,}\s*$")   # "---- OVERVIEW ----"
_RE_FURNITURE = re.compile(r"^\s*(?:NNNN|BT|#\d+|END TEXT\.?|\d{4}|ZZH|ZNY.*|ZNR.*)\s*$")
_RE_REPEAT_BANNER = re.compile(
    r"^\s*(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|LIMITED OFFICIAL USE|UNCLAS)(?:\s+(?:NOFORN|SIPDIS|SENSITIVE))*\s*$")
_RE_SUMMARY_START = re.compile(
    r"^\s*(?:\(\w+\)\s*)?(?:SUMMARY(?:\s+AND\s+COMMENT)?|INTRODUCTION AND SUMMARY)\s*[:.-]\s*", re.I)
_RE_SUMMARY_END = re.compile(r"\bEND\s+SUMMARY\b[^.]*\.?", re.I)
_RE_SIGNER = re.compile(r"^([A-Z][A-Z'\-]+(?:\s+[A-Z][A-Z'\-]+){0,2})\s*$")

# Text helpers
_RE_WS = re.compile(r"\s+")
_RE_NOT_LETTER = re.compile(r"[^A-Z]")

# ---------------------------------------------------------------------------------------------
# Public entry point

def parse_cable(text: str, *, source: str = "", metadata: Mapping[str, str] | None = None,
                encoding: str = "utf-8") -> Cable:
    """Read one cable's text into a `Cable`; `metadata` is what a container (HTML page, CSV row) says.

    Raises `CableParseError` when the text names no cable (no reference id can be found or given).
    """
    if not isinstance(text, str):
        raise CableParseError(source, f"expected text, got {type(text).__name__}")
    if "\x00" in text:
        raise CableParseError(source, "binary data (NUL bytes), not a cable")
    meta = {k: (v or "").strip() for k, v in (metadata or {}).items() if isinstance(v, str)}
    raw = text
    lines = _normalise_lines(text)
    found = _Found(lines)
    _read_archive_block(found)
    _read_header(found)
    _read_body(found)
    return _build_cable(found, raw=raw, source=source, meta=meta, encoding=encoding)


def split_cables(text: str) -> list[str]:
    """Several cables run together in one text ("cat a.txt b.txt") -> one text per cable.

    A cable starts at a transmission line (VZCZC...) whose DE line names another station and
    serial than the cable before it, or at a partial-extract note, once a whole cable precedes
    it; a header repeated for the same cable (the site's copy after its metadata block, a
    section's own header) is no new cable."""
    lines = text.splitlines(keepends=True)
    starts: list[int] = []
    current: tuple[str, str] | None = None
    for k, line in enumerate(lines):
        if not line.startswith(("VZCZC", PARTIAL_NOTE)) or _after_site_header_label(lines, k):
            continue
        if line.startswith(PARTIAL_NOTE):
            # a partial extract has no transmission line: its note opens it
            if k > 0 and _holds_a_cable(lines[starts[-1] if starts else 0:k]):
                starts.append(k)
                current = None
            continue
        key = _transmission_key(lines, k)
        if key is None:
            continue
        if current is not None and key != current:
            starts.append(k)
        elif current is None and k > 0 and _holds_a_cable(lines[starts[-1] if starts else 0:k]):
            starts.append(k)  # a cable without a transmission header (a partial extract) came first
        current = key
    if not starts:
        return [text]
    bounds = [0] + starts + [len(lines)]
    return ["".join(lines[a:b]) for a, b in zip(bounds, bounds[1:])]


def _after_site_header_label(lines: list[str], k: int) -> bool:
    """The site's metadata block ends with "header:" and a copy of a header (at times another
    cable's): that copy starts no cable."""
    previous = next((line.strip() for line in reversed(lines[max(0, k - 3):k]) if line.strip()), "")
    return previous == "header:"


def _holds_a_cable(lines: list[str]) -> bool:
    """Text with a subject line followed by a numbered or marked paragraph: a whole cable,
    not a preamble (a mail header, a search-result banner) before one."""
    subject_seen = False
    for line in lines:
        stripped = line.strip()
        if not subject_seen:
            subject_seen = bool(_RE_SUBJECT.match(stripped))
        elif _is_body_start(stripped):
            return True
    return False


def _transmission_key(lines: list[str], k: int) -> tuple[str, str] | None:
    """(station routing code, serial) from the DE line a few lines after a VZCZC line."""
    for line in lines[k + 1:k + 12]:
        m = _RE_DE.match(line.strip())
        if m:
            return m.group(1), str(int(m.group(2)))
    return None


# ---------------------------------------------------------------------------------------------
# Layout normalisation

def _normalise_lines(text: str) -> list[str]:
    """Lines without trailing blanks; backslash continuations joined; the seed layout collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\ufeff", "")
    if "\\\n" in text or text.rstrip().endswith("\\"):
        # dump rows continue lines with a trailing backslash (the last line too)
        lines = [line.rstrip().rstrip("\\").rstrip() for line in text.split("\n")]
    else:
        lines = [line.rstrip() for line in text.split("\n")]
    if _is_seed_layout(lines):
        lines = _collapse_seed_blanks(lines)
    return _split_run_together_header(lines)


def _split_run_together_header(lines: list[str]) -> list[str]:
    """Some records run header lines together ("...ANKARA 008305S/CT FOR REAPE.O. 12958: ... TAGS: PTER TU")."""
    out: list[str] = []
    for k, line in enumerate(lines):
        if k > 120 or ("¶" in line[:6] and _RE_PARA_SITE.match(line)):
            out.extend(lines[k:])
            break
        m = _RE_CABLE_DATED.match(line) if "able dated:" in line[:16] else None
        if m:
            out.append("Cable dated:" + m.group(1))
            line = line[m.end():]
        parts = _RE_RUN_TOGETHER.split(line) if len(line) > 60 and _RE_RUN_TOGETHER.search(line, 1) else [line]
        for part in parts:
            if len(part) > 100 and _RE_HEADER_LABEL.match(part) and _RE_RUN_INTO_BODY.search(part):
                out.extend(p for p in _RE_RUN_INTO_BODY.split(part) if p.strip())
            elif part.strip() or len(parts) == 1:
                out.append(part)
    return out


def _is_seed_layout(lines: list[str]) -> bool:
    """The seed layout puts a blank line after every header line: look at the first lines."""
    head = lines[:_SEED_HEADER_PROBE]
    if len(head) < 8:
        return False
    content = [i for i, line in enumerate(head[:-1]) if line]
    if len(content) < 5:
        return False
    followed_by_blank = sum(1 for i in content if not head[i + 1])
    return followed_by_blank >= len(content) - 1 and not any(
        head[i] and head[i + 1] for i in range(min(10, len(head) - 1)))


def _collapse_seed_blanks(lines: list[str]) -> list[str]:
    """Drop the seed's inserted blank lines: one blank between two text lines means no break."""
    out: list[str] = []
    blanks = 0
    for line in lines:
        if not line.strip():
            blanks += 1
            continue
        if blanks >= 3 and out:
            out.append("")
        blanks = 0
        out.append(line)
    return out


# ---------------------------------------------------------------------------------------------
# The reading state. `parse_cable` runs the section readers below in order over one `_Found`:
# archive rows, header (routing, banner and captions, labels), body; then `_build_cable`.

@dataclass
class _Found:
    """What the parser has found so far, section by section; `_build_cable` turns it into a Cable."""
    lines: list[str]
    start: int = 0  # first line of the cable proper
    is_partial: bool = False
    block: dict[str, str] = field(default_factory=dict)  # the partial-extract metadata block / dump row
    transmission_id: str = ""
    de_serial: str = ""
    section: int = 0
    precedence: str = ""
    dtg: datetime | None = None
    dateline: datetime | None = None
    fm: str = ""
    to: list[Recipient] = field(default_factory=list)
    info: list[Recipient] = field(default_factory=list)
    banner_class: str = ""
    banner_caveat: str = ""
    banner_station: str = ""
    banner_serial: str = ""
    sections: int = 1
    captions: list[str] = field(default_factory=list)
    eo: str = ""
    declassify_on: str = ""
    tags: list[str] = field(default_factory=list)
    subject: str = ""
    ref_text: str = ""
    classified_by_text: str = ""
    body_start: int = -1  # first line of the body: set by _read_header
    paragraphs: list[Paragraph] = field(default_factory=list)
    signer: str = ""
    page_dtg: tuple[int, int, int] | None = None
    header_subject_fallback: str = ""
    banner_index: int = -1
    dateline_minutes: bool = False
    subject_index: int = -1
    zny_class: str = ""
    addressing: list[Recipient] | None = None  # the TO or INFO list being read
    seen_banner: bool = False
    fm_after_banner: bool = False
    fields_index: int = -1
    seen_subject: bool = False
    last_label: str = ""  # the label whose value the next line may continue: subject, ref, classified...

    def __post_init__(self) -> None:
        self.body_start = len(self.lines)


# --- partial extracts and archive rows --------------------------------------------------------
def _read_archive_block(found: _Found) -> None:
    """Partial extracts carry the archive's metadata (row id, date, id, origin, class) inline."""
    lines = found.lines
    first = next((i for i, line in enumerate(lines[:5]) if line.strip()), None)
    if first is None:
        return
    if PARTIAL_NOTE in lines[first]:
        found.is_partial = True
        found.start = first + 1
    for i in range(found.start, min(len(lines), found.start + 120)):
        line = lines[i]
        first_char = line[:1]
        if not first_char:
            continue
        if "\t" in line and i < found.start + 80 and _read_dump_row(found, i):
            return
        if first_char.isdigit():
            if "," in line and i < found.start + 80 and _RE_COMMA_ROW_HINT.search(line) and _read_comma_row(found, i):
                return
            if line.isdigit() and len(line) <= 7 and _read_site_block(found, i):
                return


def _read_site_block(found: _Found, i0: int) -> bool:
    """The site's block: row id / date / id / origin / classification, each on its own line."""
    lines = found.lines
    seq = [(j, lines[j].strip()) for j in range(i0, min(len(lines), i0 + 12)) if lines[j].strip()][:5]
    if len(seq) < 5:
        return False
    (_, a), (_, b), (_, c), (_, d), (i4, e) = seq
    date = _RE_META_DATE.match(b)
    if not date or not _RE_META_ID.match(c):
        return False
    found.block = {"date": b[:10], "hour": date.group(4) or "", "minute": date.group(5) or "",
                  "reference_id": c, "origin": d, "classification": e}
    if found.is_partial:
        found.header_subject_fallback = _find_subject(lines[found.start:i0])
        found.start = i4 + 1
    else:
        for j in range(i0, i4 + 1):
            lines[j] = ""
    return True


def _read_dump_row(found: _Found, i: int) -> bool:
    """A database dump row (tab-separated: row id, date-time, id, origin, class, refs, text...)."""
    fields = found.lines[i].split("\t")
    block: dict[str, str] = {}
    for value in fields[:-1]:
        value = value.strip()
        m = _RE_META_DATE.match(value)
        if m and "date" not in block:
            block.update(date=value[:10], hour=m.group(4) or "", minute=m.group(5) or "")
        elif _RE_META_ID.match(value) and "reference_id" not in block:
            block["reference_id"] = value
        elif value in _SITE_CLASSES and "classification" not in block:
            block["classification"] = value
        elif value.startswith(_ORIGIN_WORDS) and "origin" not in block:
            block["origin"] = value
    last = fields[-1]
    if not block.get("reference_id") and not (block.get("classification") and last.startswith("VZCZC")):
        return False
    found.block = block
    _replace_row(found, i, "" if PARTIAL_NOTE in last else last)
    return True


def _read_comma_row(found: _Found, i: int) -> bool:
    """A comma-separated export row: id,"origin",CLASSIFICATION,refs,"text..."."""
    m = _RE_COMMA_ROW.search(found.lines[i])
    if not m:
        return False
    found.block = {"reference_id": m.group(1), "origin": _RE_WS.sub(" ", m.group(2)).strip(),
                  "classification": _site_classification(m.group(3))}
    d = _RE_US_DATETIME.search(found.lines[i], 0, m.start() + 1)
    if d:
        found.block.update(date=f"{int(d.group(3)):04d}-{int(d.group(1)):02d}-{int(d.group(2)):02d}",
                          hour=d.group(4), minute=d.group(5))
    rest = m.group(4).lstrip('"')
    _replace_row(found, i, "" if PARTIAL_NOTE in rest else rest)
    return True


def _replace_row(found: _Found, i: int, rest: str) -> None:
    """A dump row opens the record (partial extracts) or repeats the header run together: drop it then."""
    if found.is_partial or not any(line.strip() for line in found.lines[found.start:i]):
        found.lines[i] = rest
        found.start = i
    else:
        found.lines[i] = ""


# --- header: the line loop; each line is routing, banner, caption or label --------------------
def _read_header(found: _Found) -> None:
    """Read the header lines in order (routing, banner, captions, labels); stops where the body begins."""
    lines = found.lines
    i = found.start
    found.addressing = None
    header_limit = min(len(lines), found.start + 400)
    while i < header_limit:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            if found.addressing is not None and not found.seen_banner and found.to:
                found.addressing = None
            if found.last_label in ("subject", "ref", "ref-ended", "classified"):
                found.last_label = ""
            i += 1
            continue
        if not found.seen_subject and not found.tags and _read_routing_line(found, i, line, stripped):
            i += 1
            continue
        if not found.seen_subject:
            m = _RE_PAGE_DTG.match(stripped) if stripped.startswith("PAGE") else None
            if m and found.page_dtg is None:
                found.page_dtg = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
                i += 1
                continue
        last = _read_label_line(found, i, stripped)
        if last is not None:
            i = last + 1
            continue
        if found.seen_banner and not found.seen_subject and not found.tags and _caption_line(found, stripped):
            i += 1
            continue
        if _header_ends_before(found, stripped):
            break
        i += 1
    found.body_start = i if i < header_limit else _fallback_body_start(found)
    _scan_captions(found)
    if found.dtg is None:
        for line in found.lines[found.start:min(found.body_start, found.start + 60)]:
            m = _RE_DTG_ANY.search(line)
            if m:
                found.dtg = _dtg(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5))
                break


def _header_ends_before(found: _Found, stripped: str) -> bool:
    """The first paragraph after the subject (or, without one, after the banner) ends the header;
    so does any other line once the subject and the labels after it are read."""
    if found.seen_subject and _is_body_start(stripped):
        return True
    if found.seen_banner and not found.seen_subject and not found.eo and _is_body_start(stripped) \
            and not _RE_SEED_REF_ITEM.match(stripped):
        return True
    return found.seen_subject and found.last_label in ("", "tags", "eo")


def _fallback_body_start(found: _Found) -> int:
    """No clear end of header (odd layout): start the body after the last header field found."""
    for i in range(found.start, len(found.lines)):
        if _is_body_start(found.lines[i].strip()):
            return i
    return len(found.lines)


# --- header: routing (VZCZC, DE, ZNY, DTG, FM/TO/INFO, date lines) ----------------------------
def _read_routing_line(found: _Found, i: int, line: str, stripped: str) -> bool:
    """The transmission furniture before the subject: VZCZC, DE, ZNY, DTG, FM, TO/INFO, date lines,
    the classification banner. Returns True when the line was one of them."""
    m = _RE_VZCZC.match(stripped) if stripped.startswith("VZCZC") else None
    if m and not found.transmission_id:
        found.transmission_id = m.group(1)
        return True
    m = _RE_DE.match(stripped) if stripped.startswith("DE ") else None
    if m and not found.de_serial:
        found.de_serial = m.group(2).lstrip("0") or "0"
        found.section = int(m.group(3) or 0)
        return True
    m = _RE_ZNY.match(stripped) if stripped.startswith("ZN") else None
    if m:
        found.zny_class = _ZNY_CLASSES[m.group(1)]
        return True
    m = _RE_DTG.match(stripped) if found.dtg is None and stripped[0] in _DTG_FIRST else None
    if m and (m.group(1) is not None or i - found.start < 8):
        found.dtg = _dtg(m.group(2), m.group(3), m.group(4), m.group(5), m.group(6))
        letters = (m.group(1) or "").split()
        if letters:
            found.precedence = st.PRECEDENCE_LETTERS.get(letters[0][0], "")
        found.addressing = None
        return True
    m = _RE_FM.match(stripped) if stripped.startswith("FM ") else None
    if m and not found.fm:
        found.fm = m.group(1)
        found.fm_after_banner = found.seen_banner
        found.addressing = None
        return True
    # TO/INFO belong to the FM line; after a banner only when the FM line came after it too
    addressing_allowed = bool(found.fm) and (not found.seen_banner or found.fm_after_banner)
    m = _RE_TO.match(stripped) if stripped.startswith("TO ") else None
    if m and addressing_allowed and not found.to:
        found.addressing = found.to
        found.to.extend(_recipients(m.group(1)))
        return True
    m = _RE_INFO.match(stripped) if stripped.startswith("INFO ") else None
    if m and addressing_allowed and not found.info:
        found.addressing = found.info
        found.info.extend(_recipients(m.group(1)))
        return True
    m = _RE_CABLE_DATED.match(stripped) if "able dated:" in stripped[:14] else None
    if m and found.dateline is None:
        found.dateline = parse_container_datetime(m.group(1))
        found.dateline_minutes = True
        return True
    m = _RE_DATELINE.match(stripped) if "day," in stripped[:12].lower() else None
    if m and found.dateline is None:
        found.dateline = _dateline(m)
        found.addressing = None
        return True
    m = _RE_BANNER.match(line)
    if m is None and _RE_LOWER_BANNER.match(line):
        m = _RE_BANNER.match(line.upper())  # a sentence-cased copy: "C o n f i d e n t i a l"
    if m and not found.banner_station and _read_banner(found, m):
        found.seen_banner = found.seen_banner or bool(found.banner_station)
        found.banner_index = i
        found.addressing = None
        return True
    if found.addressing is not None and m is None and not _RE_PAGE_DTG.match(stripped) \
            and ":" not in stripped and not _RE_EO.search(stripped):
        found.addressing.extend(_recipients(stripped))
        return True
    return False


# --- header: classification banner and handling captions --------------------------------------
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


# --- header: labels (E.O./DECL, TAGS, SUBJECT, REF, Classified By) ----------------------------
def _read_label_line(found: _Found, i: int, stripped: str) -> int | None:
    """E.O./DECL, TAGS, SUBJECT, REF, Classified By, or a wrapped line of the one before: the last
    line read (TAGS may go on), or None when the line is none of them."""
    last_label = found.last_label
    if last_label in ("subject", "ref"):
        stripped = _page_furniture_removed(found, i, stripped)
        if not stripped:
            return i  # a page break or page header inside a wrapped subject or REF list
        if last_label == "ref" and _ends_ref_list(found.ref_text, stripped):
            found.last_label = "ref-ended"
            last_label = found.last_label
    if last_label == "ref-ended" and not _is_field_start(stripped):
        return i  # skipped up to the next blank line, as the REF list would have been
    if last_label == "subject" and not _is_field_start(stripped) and not _RE_SBU.search(stripped):
        found.subject += " " + stripped
        return i
    if last_label == "ref" and not _is_field_start(stripped):
        found.ref_text += "\n" + stripped
        return i
    if last_label == "classified" and not _is_body_start(stripped) and not _is_field_start(stripped) \
            and not _RE_REASONS_PRESENT.search(found.classified_by_text):
        found.classified_by_text += " " + stripped
        return i
    seen_subject = found.seen_subject
    m = _RE_EO.search(stripped) if not found.eo and ("12" in stripped or "11" in stripped
                                                      or "13" in stripped) else None
    if m and not found.eo and not seen_subject:
        if found.fields_index < 0:
            found.fields_index = i
        found.eo = m.group(1)
        _read_decl(found, stripped)
        t = _RE_TAGS.search(stripped)
        if t and not found.tags:
            found.tags = _tags(t.group(1))
            i = _tag_continuation(found, i)
        found.last_label = "eo"
        return i
    if not seen_subject and _RE_DECL_START.match(stripped) and not found.declassify_on:
        _read_decl(found, stripped)
    t = _RE_TAGS.search(stripped) if not found.tags and ("TAG" in stripped or "Tag" in stripped) else None
    if t and not found.tags and not seen_subject and (t.start() <= 4 or stripped.startswith("TAG")
                                                      or _RE_BEFORE_TAGS.search(stripped, 0, t.start() + 1)):
        if found.fields_index < 0:
            found.fields_index = i
        found.tags = _tags(t.group(1))
        found.last_label = "tags"
        return _tag_continuation(found, i)
    m = _RE_SUBJECT.match(stripped)
    if m and (not seen_subject or not found.subject) and (not stripped.startswith("Subject") or found.eo):
        if found.fields_index < 0:
            found.fields_index = i
        found.subject = m.group(1).strip()
        found.subject_index = i
        found.seen_subject = True
        found.last_label = "subject"
        return i
    m = _RE_REF.match(stripped)
    if m and not found.ref_text and (seen_subject or found.tags):
        found.ref_text = (m.group(1) or m.group(2) or "").strip()
        found.last_label = "ref"
        return i
    m = _RE_CLASSIFIED_BY.match(stripped)
    if m and not found.classified_by_text:
        found.classified_by_text = m.group(1).strip()
        found.last_label = "classified"
        return i
    return None


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


def _ends_ref_list(ref_text: str, stripped: str) -> bool:
    """The REF list stops at the site's metadata block (id:/date:/refid:/.../header ends), at a
    repeated banner or rule, and after a list the site cut short with "..."."""
    return bool(ref_text.rstrip().endswith("...") or _RE_SITE_META_LINE.match(stripped)
                or _RE_DASHES.match(stripped) or _RE_BANNER.match(stripped)
                or _RE_LOWER_BANNER.match(stripped))


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


def _is_body_start(stripped: str) -> bool:
    """A line that opens a paragraph (numbered, marked, ¶) or the summary."""
    return bool(_RE_PARA_SITE.match(stripped) or _RE_PARA_SEED.match(stripped)
                or _RE_PARA_NUM.match(stripped) or _RE_PARA_MARK_NUM.match(stripped)
                or _RE_PARA_MARK.match(stripped) and not _RE_CLASSIFIED_BY.match(stripped)
                and not stripped.startswith(("(U) Classified", "(C) Classified"))
                or _RE_SUMMARY_START.match(stripped))


# --- body -------------------------------------------------------------------------------------
def _read_body(found: _Found) -> None:
    """Split the body into numbered paragraphs; drop page breaks, section headers, furniture."""
    _read_body_from(found, found.body_start)
    if not found.paragraphs:
        # body text run into a header line ("REF: STATE 102414 We delivered points..."): keep it all
        anchor = next((k for k in (found.subject_index + 1, found.banner_index + 1) if k > 0), found.start)
        if anchor < found.body_start:
            _read_body_from(found, anchor)


def _read_body_from(found: _Found, body_start: int) -> None:
    """Paragraphs (number, marking, text) and the signer of the lines from `body_start` on."""
    lines = found.lines[body_start:]
    # signer: the last short upper-case line
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or _RE_FURNITURE.match(lines[end - 1])):
        end -= 1
    if end > 0:
        last = lines[end - 1].strip()
        m = _RE_SIGNER.match(last)
        if m and not _RE_REPEAT_BANNER.match(last) and not last.startswith("END") and len(last) <= 40 \
                and not _RE_PARA_NUM.match(last):
            found.signer = m.group(1)
            end -= 1
    lines = lines[:end]
    kept = _drop_furniture(lines)
    first_chars = _MARKER_FIRST_CHARS
    markers = [_marker(line) if line and line[0] in first_chars else None for line in kept]
    if any(line[:1] == "¶" and mk is not None for line, mk in zip(kept, markers)):
        # paragraphs carry the sign: bare "3." lines are list items inside a paragraph
        markers = [mk if line[:1] == "¶" else None for line, mk in zip(kept, markers)]
    _drop_wrapped_numbers(kept, markers)
    has_markers = any(mk is not None for mk in markers)
    paragraphs: list[tuple[int | None, str | None, list[str]]] = []
    current: list[str] | None = None
    previous_number = 0
    for stripped, mk in zip(kept, markers):
        if mk is not None:
            number, marking, text = mk
            if number is None or number > previous_number + 40:
                number = previous_number + 1
            previous_number = number
            current = [text] if text else []
            paragraphs.append((number, marking, current))
            continue
        if not stripped:
            if current is not None:
                current.append("")
            if not has_markers:
                current = None
            continue
        if current is None:
            current = []
            if has_markers:
                paragraphs.append((0, None, current))
            else:
                previous_number += 1
                paragraphs.append((previous_number, None, current))
        current.append(stripped)
    out: list[Paragraph] = []
    for number, marking, chunk in paragraphs:
        text = _join_text(chunk)
        if text:
            out.append(Paragraph(number=number or 0, marking=marking, text=text))
    found.paragraphs = out


# --- assembly: what the text says, then the container's metadata over it ----------------------
def _build_cable(found: _Found, *, raw: str, source: str, meta: dict[str, str], encoding: str) -> Cable:
    """The Cable record: values read off the text; the container's (HTML table, CSV row) fill gaps,
    and where they differ they win and the difference is kept in `disagreements`."""
    disagreements: list[Disagreement] = []
    created, precision = _created_in_text(found)
    archive_id = meta.get("reference_id", "")
    text_id, reference_id, archive_only = _reference_id(found, created, archive_id, source)
    origin, origin_name = _origin(found, reference_id)
    captions = _captions(found)
    classification = _classification_in_text(found, captions)

    created, precision = _merge_created(meta, created, precision, disagreements)
    classification = _merge_value("classification", classification, meta, disagreements, ignore_case=True)
    origin_name = _merge_value("origin", origin_name, meta, disagreements)
    if archive_only:
        disagreements.append(Disagreement("reference_id", reference_id, archive_id))
    if archive_id and not archive_only and text_id and text_id != archive_id:
        disagreements.append(Disagreement("reference_id", text_id, archive_id))

    id_year = int(reference_id[:2]) if reference_id[:2].isdigit() else None
    references = tuple(_references(found.ref_text, created.year % 100 if created else id_year, reference_id))
    classified_by, title, reasons = _classified_by(found.classified_by_text)
    body = "\n\n".join(p.text for p in found.paragraphs)
    subject = _clean_subject(found.subject)
    if (not subject or subject.endswith("...")) and found.header_subject_fallback:
        subject = subject or _clean_subject(found.header_subject_fallback)
    return Cable(
        reference_id=reference_id,
        created=created,
        origin=origin,
        origin_name=origin_name,
        classification=classification,
        captions=tuple(captions),
        tags=tuple(found.tags),
        subject=subject,
        references=references,
        classified_by=classified_by,
        classified_by_title=title,
        reasons=reasons,
        signer=found.signer,
        paragraphs=tuple(found.paragraphs),
        to=tuple(found.to),
        info=tuple(found.info),
        precedence=found.precedence,
        transmission_id=found.transmission_id,
        eo=found.eo,
        declassify_on=found.declassify_on,
        is_partial=found.is_partial,
        sections=max(1, found.sections),
        summary=_summary(found.paragraphs, body),
        body=body,
        raw=raw,
        source=source,
        encoding=encoding,
        disagreements=tuple(disagreements),
        archive_id=archive_id if archive_id and archive_id != reference_id else "",
        created_precision=precision if created else "",
    )


def _created_in_text(found: _Found) -> tuple[datetime | None, str]:
    """(date-time, precision): the DTG, else the archive block, else the date line; a page header's
    DTG adds the time to a date-only value of the same day."""
    created = found.dtg
    precision = "minute" if created else ""
    if created is None and found.block.get("date"):
        created = _block_datetime(found.block)
        precision = "minute" if found.block.get("hour") else "day"
    if created is None and found.dateline is not None:
        created, precision = found.dateline, "minute" if found.dateline_minutes else "hour"
    if created is not None and precision == "day" and found.page_dtg:
        day, hour, minute = found.page_dtg
        if day == created.day:
            created = created.replace(hour=hour, minute=minute)
            precision = "minute"
    return created, precision


def _reference_id(found: _Found, created: datetime | None, archive_id: str,
                  source: str) -> tuple[str, str, bool]:
    """(id the text gives, id chosen, chosen only from the container); CableParseError if none."""
    year = created.year % 100 if created else None
    station_from_text = canonical_station(found.banner_station) if found.banner_station else ""
    serial = found.banner_serial or found.de_serial
    text_id = ""
    if found.block.get("reference_id"):
        text_id = found.block["reference_id"]
    elif station_from_text and serial and year is not None:
        text_id = f"{year:02d}{station_from_text}{serial}"
    reference_id, archive_only = _choose_id(text_id, archive_id, station_from_text, serial)
    if not reference_id:
        if station_from_text and serial:
            reason = (f"no reference id: the text names {found.banner_station} {serial} but gives no date for "
                      "the year; name the file <ID>.txt or read it from its HTML page or cables.csv")
        elif found.banner_station or found.dtg or found.fm:
            reason = "no reference id: no classification line with station and serial"
        else:
            reason = "not a cable: no transmission header, classification line or date-time group found"
        raise CableParseError(source, reason)
    return text_id, reference_id, archive_only


def _origin(found: _Found, reference_id: str) -> tuple[str, str]:
    """(station, origin name): the station of the id, else of the banner or the FM line."""
    station_from_text = canonical_station(found.banner_station) if found.banner_station else ""
    id_station = _RE_ARCHIVE_ID.match(reference_id)
    origin = id_station.group(2) if id_station else station_from_text
    if origin not in st.KNOWN_STATIONS:
        fm_station = _recipient_station(found.fm) if found.fm else ""
        origin = next((s for s in (station_from_text, fm_station) if s in st.KNOWN_STATIONS), origin)
    origin_name = origin_name_for(found.fm, origin)
    if not origin_name and found.block.get("origin"):
        origin_name = found.block["origin"]
    return origin, origin_name


def _captions(found: _Found) -> list[str]:
    """Captions found after the banner, then those in its caveat (SECRET//NOFORN)."""
    captions = list(found.captions)
    if found.banner_caveat:
        for c in re.split(r"[/ ,]+", found.banner_caveat):
            if c and c not in captions and c in st.CAPTIONS:
                captions.append(c)
    return captions


def _classification_in_text(found: _Found, captions: list[str]) -> str:
    """The banner's level and caveat, else the ZNY line's; an archive block's value wins."""
    classification = _classification(found.banner_class, captions, found.banner_caveat)
    if not classification and found.zny_class:
        classification = found.zny_class
    block_value = found.block.get("classification", "")
    if block_value and (not classification or classification != block_value and block_value in _SITE_CLASSES):
        classification = block_value
    return classification


def _merge_value(name: str, from_text: str, meta: dict[str, str], disagreements: list[Disagreement], *,
                 ignore_case: bool = False) -> str:
    """The container's value fills a missing one; a different one wins and the difference is kept."""
    container = meta.get(name, "")
    if not container:
        return from_text
    if not from_text:
        return container
    differs = container.upper() != from_text.upper() if ignore_case else container != from_text
    if differs:
        disagreements.append(Disagreement(name, from_text, container))
        return container
    return from_text


def _merge_created(meta: dict[str, str], created: datetime | None, precision: str,
                   disagreements: list[Disagreement]) -> tuple[datetime | None, str]:
    """The container's date-time fills a missing or date-only one; a different date or hour wins."""
    value = meta.get("created", "")
    if not value:
        return created, precision
    container = parse_container_datetime(value)
    if container is None:
        return created, precision
    if created is None:
        return container, "minute"
    if precision == "day":
        if container.date() != created.date():
            disagreements.append(Disagreement("created", format_utc(created), format_utc(container)))
        return container, "minute"
    if (container.date(), container.hour) != (created.date(), created.hour):
        disagreements.append(Disagreement("created", format_utc(created), format_utc(container)))
        return container, "minute"
    return created, precision




# ---------------------------------------------------------------------------------------------
# Archive export rows inside cable texts, and the archive's own vocabulary

_RE_REASONS_PRESENT = re.compile(r"\b1\.[4-6]\b|\bREASONS?\b", re.I)
_RE_COMMA_ROW_HINT = re.compile(r"\d[A-Z]{3,}\d{1,6},")
_RE_US_DATETIME = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})\b")
_RE_COMMA_ROW = re.compile(
    r"(?<![A-Z0-9])(\d{2}[A-Z]{3,}\d{1,6}),"
    r"\s*\"?\s*((?:Embassy|Consulate|Secretary|US|USEU|USUN|Mission|American|REO|Iran)[^\",]*)\"?\s*,"
    r"\s*((?:UNCLASSIFIED|CONFIDENTIAL|SECRET|TOP SECRET)[A-Z/ ]*?)\s*,[^,]*,\s*(.*)$")


def _site_classification(value: str) -> str:
    """An export's classification column, spacing damaged ("FOR OFFICIA LUSEONLY") -> the archive's value."""
    squeezed = re.sub(r"[^A-Z/]", "", value.upper())
    for site in sorted(_SITE_CLASSES, key=len, reverse=True):
        if squeezed.startswith(site.replace(" ", "")):
            return site
    if squeezed.startswith("SECRETNOFORN"):
        return "SECRET//NOFORN"
    return value.strip()


_ORIGIN_WORDS = ("Embassy", "Consulate", "US ", "USEU", "USUN", "UNVIE", "Mission", "American", "Secretary",
                 "REO", "Iran RPO")
_SITE_CLASSES = frozenset({"UNCLASSIFIED", "UNCLASSIFIED//FOR OFFICIAL USE ONLY", "CONFIDENTIAL",
                           "CONFIDENTIAL//NOFORN", "SECRET", "SECRET//NOFORN", "TOP SECRET"})


# ---------------------------------------------------------------------------------------------
# Field helpers

@lru_cache(maxsize=4096)
def canonical_station(name: str) -> str:
    """A station as written ("THE HAGUE", "SECSTATE", "USUN NEW YORK") -> the id's station code."""
    code = _RE_NOT_LETTER.sub("", name.upper())
    if code in st.STATION_ALIASES:
        return st.STATION_ALIASES[code]
    if code.startswith("EFTO") and code[4:] in st.KNOWN_STATIONS:
        return code[4:]
    return code


def origin_name_for(fm: str, station: str) -> str:
    """The archive's name of the sending post ("Embassy Baku"), from the FM line and the station."""
    fm = _RE_WS.sub(" ", fm).strip().rstrip("/").strip()
    fm_key = fm.split("//")[0].strip()
    if fm_key in st.FM_ORIGIN_NAMES:
        return st.FM_ORIGIN_NAMES[fm_key]
    if station in st.STATION_NAMES:
        return st.STATION_NAMES[station]
    for prefix, kind in (("AMEMBASSY ", "Embassy "), ("AMCONSUL ", "Consulate ")):
        if fm_key.startswith(prefix):
            return kind + fm_key[len(prefix):].title()
    if station:
        return "Embassy " + station.title()
    return ""


def _choose_id(text_id: str, archive_id: str, station: str, serial: str) -> tuple[str, bool]:
    """The record's id: the archive's, unless it is a malformed one the text repairs.

    Returns (id, repaired) where repaired means the archive's id was replaced by the text's.
    """
    if not archive_id:
        return text_id, False
    if not text_id or text_id == archive_id:
        return archive_id, False
    m = _RE_ARCHIVE_ID.match(archive_id)
    if m is None or (m.group(2) not in st.KNOWN_STATIONS and station in st.KNOWN_STATIONS):
        return text_id, True
    return archive_id, False


def _dtg(day: str, hour: str, minute: str, month: str, year: str) -> datetime | None:
    try:
        y = int(year)
        if y < 100:
            y += 2000 if y < 50 else 1900
        return datetime(y, st.MONTHS[month.upper()], int(day), int(hour), int(minute), tzinfo=timezone.utc)
    except (KeyError, ValueError):
        return None


def _dateline(m: re.Match[str]) -> datetime | None:
    month = _MONTH_NAMES.get(m.group(2).upper())
    if month is None:
        return None
    try:
        return datetime(int(m.group(3)), month, int(m.group(1)), int(m.group(4)), 0, tzinfo=timezone.utc)
    except ValueError:
        return None


def _block_datetime(block: dict[str, str]) -> datetime | None:
    try:
        y, mo, d = (int(x) for x in block["date"].split("-"))
        return datetime(y, mo, d, int(block.get("hour") or 0), int(block.get("minute") or 0), tzinfo=timezone.utc)
    except ValueError:
        return None


def parse_container_datetime(value: str) -> datetime | None:
    """A container's created value: "2007-05-16 13:24", "05/16/2007 13:24", ISO with Z."""
    value = value.strip().replace("T", " ").rstrip("Z")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d",
                "%m/%d/%Y"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _recipients(text: str) -> list[Recipient]:
    """One addressee line: route/name, precedence, serial."""
    return list(_recipient_line(text.strip()))


@lru_cache(maxsize=8192)
def _recipient_line(text: str) -> tuple[Recipient, ...]:
    m = _RE_RECIPIENT.match(text) if text else None
    if not m:
        return ()
    route, name, precedence, serial = m.group(1) or "", (m.group(2) or "").strip(), m.group(3) or "", m.group(4) or ""
    if not name:
        return ()
    return (Recipient(route=route, name=" ".join(name.split()), station=_recipient_station(name),
                      precedence=precedence, serial=serial),)


@lru_cache(maxsize=4096)
def _recipient_station(name: str) -> str:
    name = _RE_WS.sub(" ", name.upper()).strip()
    words = name.split()
    if words and words[0] in st.POST_PREFIXES:
        words = words[1:]
    if words and words[-1] in ("WASHDC", "WASHINGTON", "DC") and words[0] in ("SECSTATE", "STATE"):
        return "STATE"
    candidate = canonical_station(" ".join(words))
    if candidate in st.KNOWN_STATIONS:
        return candidate
    # "AMEMBASSY TRIPOLI LY", "USMISSION GENEVA SZ": drop a trailing country code
    if len(words) > 1 and len(words[-1]) == 2:
        candidate = canonical_station(" ".join(words[:-1]))
        if candidate in st.KNOWN_STATIONS:
            return candidate
    return ""


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
        parts = [p.strip(" ;,.") for p in text.split(";")]
        return [("", p) for p in parts if p]
    out = []
    lead = text[:cuts[0][0]].strip(" ;,.")
    if lead:
        out.append(("", lead))
    for k, (start, end, letter) in enumerate(cuts):
        stop = cuts[k + 1][0] if k + 1 < len(cuts) else len(text)
        item = text[end:stop].strip(" ;,.")
        out.append((letter, item))
    return out


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
        words = m.group(2).split()
        station = ""
        for k in range(len(words)):
            candidate = canonical_station(" ".join(words[k:]))
            if candidate in st.KNOWN_STATIONS:
                station = candidate
                break
        if not station:
            continue
        y = m.group(1)
        if y is None:
            if year is None:
                continue
            y = f"{year:02d}"
        numbers = [m.group(3)] + re.findall(r"\d{2,6}", m.group(4) or "")
        for number in numbers:
            cable_id = f"{y}{station}{int(number)}"
            if cable_id not in ids:
                ids.append(cable_id)
    return ids


def _classified_by(text: str) -> tuple[str, str, str]:
    """"Ambassador Anne E. Derse per 1.4 (b,d)." -> ("Anne E. Derse", "Ambassador", "1.4 (b,d)")."""
    text = _RE_WS.sub(" ", text).strip()
    if not text:
        return "", "", ""
    text = re.sub(r"^(?:CLASSIFIED BY\s*:?\s*)", "", text, flags=re.I)
    m = re.search(r"1\.[4-6]\b", text)
    reasons = ""
    who = text
    if m:
        r = _RE_REASONS.match(text, m.start())
        reasons = text[m.start():r.end() if r else m.end()].strip(" .;,")
        who = text[:m.start()]
    who = re.split(r"[,;]?\s*(?:\bfor\s+reasons?\b|\breasons?\b|\bper\b|\bfor\b|\bunder\b|\bE\.?O\.?\s*1\d{4})",
                  who, maxsplit=1, flags=re.I)[0]
    who = who.strip(" .;,:-")
    if "," in who:
        first, rest = (part.strip(" .;,") for part in who.split(",", 1))
        if first and not any(_is_title_word(w) for w in first.split()) and len(first.split()) <= 5:
            return first, rest, reasons
        who = first
    words = who.split()
    k = len(words)
    while k > 0 and not _is_title_word(words[k - 1]):
        k -= 1
    title, name = " ".join(words[:k]).strip(" ,"), " ".join(words[k:]).strip(" ,")
    if not name and title:
        name, title = title, ""
    return name, title, reasons


def _is_title_word(word: str) -> bool:
    """"Ambassador", "Charge", "A/PolCouns", "Pol/Econ": words of an official's title."""
    word = word.lower().strip(",.")
    return word in st.TITLE_WORDS or ("/" in word and any(part in st.TITLE_WORDS for part in word.split("/")))


def _marker(line: str) -> tuple[int | None, str | None, str] | None:
    """A paragraph start: (number or None, marking or None, the text after the marker)."""
    head = line[:4].lstrip()[:1]
    if not head or head not in _MARKER_FIRST_CHARS:
        return None
    for regex, number_group, marking_group in _MARKER_RULES:
        m = regex.match(line)
        if m:
            number = m.group(number_group) if number_group else None
            marking = m.group(marking_group) if marking_group else None
            if marking:
                marking = re.sub(r"\s+", "", marking)
            return (int(number) if number else None), marking, line[m.end():].strip()
    return None


_RE_FURNITURE_ANY = re.compile("|".join(
    f"(?:{r.pattern})" for r in (_RE_PAGEBREAK, _RE_PAGE_LINE, _RE_FURNITURE, _RE_REPEAT_BANNER)))
_DTG_FIRST = frozenset("ZOPRY0123456789")
_MARKER_FIRST_CHARS = frozenset("¶-(0123456789")
_MARKER_RULES: tuple[tuple[re.Pattern[str], int, int], ...] = (
    (_RE_PARA_SITE, 1, 2),       # ¶2. (C) ...      (site layout)
    (_RE_PARA_SEED, 1, 2),       # - 12. (C) ...    (seed layout: ¶ rendered as a stray 1)
    (_RE_PARA_MARK_NUM, 2, 1),   # (C) 2. ...
    (_RE_PARA_NUM, 1, 2),        # 2. (C) ...       (no paragraph sign)
)


def _drop_wrapped_numbers(kept: list[str], markers: list) -> None:
    """"...on December\n¶17. The Dutch": a number that wrapped to the start of a line is no paragraph.

    A marker numbered past the next one expected, followed by the one expected, is text."""
    numbered = [k for k, mk in enumerate(markers) if mk is not None and mk[0] is not None]
    previous = 0
    for pos, k in enumerate(numbered):
        number = markers[k][0]
        following = markers[numbered[pos + 1]][0] if pos + 1 < len(numbered) else None
        if number > previous + 1 and following == previous + 1:
            markers[k] = None
            kept[k] = kept[k].lstrip("¶ ")
            continue
        previous = number


def _drop_furniture(lines: list[str]) -> list[str]:
    """Remove page-break lines, repeated banners, section headers (a title over a dashed rule)."""
    stripped_lines = [line.strip() for line in lines]
    out: list[str] = []
    n = len(lines)
    for k, stripped in enumerate(stripped_lines):
        if not stripped:
            out.append("")
            continue
        first = stripped[0]
        if len(stripped) <= 60 and (first.isalnum() or first == "#") and _RE_FURNITURE_ANY.match(stripped):
            continue
        if first in "-=" and _RE_DASHED_HEADING.match(stripped):
            continue
        if first in "-=_*" and _RE_DASHES.match(stripped):
            # a dashed rule under (or around) a heading: drop the heading too
            if out and out[-1] and len(out[-1]) <= 80 and _marker(out[-1]) is None:
                out.pop()
            continue
        nxt = stripped_lines[k + 1] if k + 1 < n else ""
        if nxt and nxt[0] in "-=_*" and len(stripped) <= 80 and _RE_DASHES.match(nxt) and _marker(stripped) is None:
            continue
        out.append(stripped)
    return out


def _squeeze(text: str) -> str:
    """Runs of whitespace -> one space (cheap when there are none)."""
    if "  " in text or "\t" in text:
        return " ".join(text.split())
    return text.strip()


def _join_text(chunk: Iterable[str]) -> str:
    """Wrapped lines joined with spaces; blank lines inside a paragraph kept as one newline."""
    parts: list[str] = []
    current: list[str] = []
    for line in chunk:
        if line:
            current.append(line)
        elif current:
            parts.append(_squeeze(" ".join(current)))
            current = []
    if current:
        parts.append(_squeeze(" ".join(current)))
    return "\n".join(p for p in parts if p)


def _summary(paragraphs: tuple[Paragraph, ...] | list[Paragraph], body: str) -> str:
    """The cable's summary: from "SUMMARY:" to "END SUMMARY", or the paragraph that opens with it."""
    for k, p in enumerate(paragraphs[:6]):
        m = _RE_SUMMARY_START.match(p.text)
        if not m:
            continue
        collected = [p.text[m.end():]]
        joined = collected[0]
        end = _RE_SUMMARY_END.search(joined)
        if end:
            return joined[:end.start()].strip(" .-") + "."
        for q in paragraphs[k + 1:k + 6]:
            end = _RE_SUMMARY_END.search(q.text)
            if end:
                collected.append(q.text[:end.start()])
                return "\n".join(c.strip() for c in collected if c.strip()).strip(" -")
            collected.append(q.text)
        return collected[0].strip()
    return ""
