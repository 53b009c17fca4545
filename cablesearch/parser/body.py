"""The body: paragraphs (numbered, marked, ¶), furniture dropped, and the summary."""
from __future__ import annotations

import re
from typing import Iterable

from ..model import Paragraph
from .state import _Found, _MARKING, _squeeze
from .furniture import _RE_DASHED_HEADING, _RE_DASHES, _RE_FURNITURE_ANY
from .classified_by import _RE_CLASSIFIED_BY
from .signer import read_signer


# Body: paragraph starts, page breaks, section rules, summary, signer
_RE_PARA_SITE = re.compile(r"^\s*¶\s*(\d{1,3})\s*[.):]?\s*(?:\((" + _MARKING + r")\)\.?)?\s*")
_RE_PARA_SEED = re.compile(r"^-\s+(?:1(\d{1,2})\.\s*)?\((" + _MARKING + r")\)\s*")
_RE_PARA_NUM = re.compile(r"^\s{0,3}(\d{1,2})\s?\.(?:\s*\((" + _MARKING + r")\)\s*|\s+)(?=\S)")
_RE_PARA_MARK_NUM = re.compile(r"^\s{0,3}\((" + _MARKING + r")\)\s+(\d{1,2})\s?\.\s+")
_RE_PARA_MARK = re.compile(r"^\s{0,3}\((" + _MARKING + r")\)\s+(?=\S)")
_RE_SUMMARY_START = re.compile(
    r"^[-\s]*(?:\d{1,2}\.\s*)?(?:\([\w/ ]{1,16}\)\s*)?(?:SUMMARY(?:\s+(?:AND|&)\s+[A-Za-z]+(?:\s[A-Za-z]+)?)?|INTRODUCTION AND SUMMARY)"
    r"\s*[:.-]\s*", re.I)
# A summary opening anywhere before END SUMMARY: "... (C) Summary: ...", "¶4. (C/Rel Aus) SUMMARY. ..."
# (found by the word, then checked: a literal search is cheap over a long body)
_RE_SUMMARY_WORD = re.compile("summary", re.I)
_RE_SUMMARY_OPEN = re.compile(
    r"(?:SUMMARY(?:\s+(?:AND|&)\s+[A-Za-z]+(?:\s[A-Za-z]+)?)?|INTRODUCTION AND SUMMARY)\s*[:.-]+\s*", re.I)
# A SUMMARY heading (which the body drops with its rule): "-------" / "SUMMARY" / "-------".
_RE_SUMMARY_HEADING = re.compile(r"^[-=\s]*SUMMARY(?:\s+(?:AND|&)\s+[A-Z]+(?:\s[A-Z]+)?)?[-=\s:.]*$", re.I)
_SUMMARY_REACH = 8000
_SUMMARY_HEADING_LINES = 120   # how far into the body a SUMMARY heading may stand   # how far before END SUMMARY its opening may be
_RE_SUMMARY_END = re.compile(r"\bEND\s+SUMMARY\b[^.]*\.?", re.I)


def _is_body_start(stripped: str) -> bool:
    """A line that opens a paragraph (numbered, marked, ¶) or the summary."""
    return bool(_RE_PARA_SITE.match(stripped) or _RE_PARA_SEED.match(stripped)
                or _RE_PARA_NUM.match(stripped) or _RE_PARA_MARK_NUM.match(stripped)
                or _RE_PARA_MARK.match(stripped) and not _RE_CLASSIFIED_BY.match(stripped)
                and not stripped.startswith(("(U) Classified", "(C) Classified"))
                or _RE_SUMMARY_START.match(stripped))


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
    found.signer, end, rest = read_signer(lines)
    lines = lines[:end] + ([rest] if rest else [])
    found.summary_lead = _after_summary_heading(lines)
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


def _after_summary_heading(lines: list[str]) -> str:
    """The text that opens the paragraph under a SUMMARY heading ("" without one)."""
    head = lines[:_SUMMARY_HEADING_LINES]
    joined = "\n".join(head)
    if "umm" not in joined and "UMM" not in joined:
        return ""
    for k, line in enumerate(head):
        if "umm" not in line and "UMM" not in line or not _RE_SUMMARY_HEADING.match(line):
            continue
        for nxt in lines[k + 1:k + 6]:
            stripped = nxt.strip()
            if stripped and not _RE_DASHES.match(stripped):
                mk = _marker(stripped)
                return " ".join((mk[2] if mk else stripped).split())[:40]
    return ""


def _summary(paragraphs: tuple[Paragraph, ...] | list[Paragraph], body: str, lead: str = "") -> str:
    """The cable's summary: from its opening ("Summary:"; under a SUMMARY heading, which the body
    drops, the paragraph it heads; else the first paragraph) to END SUMMARY; without END SUMMARY,
    the paragraph opening with "Summary:" or under the heading."""
    end = _RE_SUMMARY_END.search(body) if "UMMARY" in body or "ummary" in body else None
    headed = body.find(lead) if lead else -1
    if end:
        opening = None
        for word in _RE_SUMMARY_WORD.finditer(body, max(0, end.start() - _SUMMARY_REACH), end.start()):
            before = body[word.start() - 1:word.start()]
            m = _RE_SUMMARY_OPEN.match(body, word.start(), end.start()) if before in ("", " ", "\n", ")") else None
            opening = m or opening
        if opening:
            start = opening.end()
        elif 0 <= headed < end.start():
            start = headed
        else:
            start = _first_paragraph_start(paragraphs)
        text = body[start:end.start()].strip(" -\n")
        if text:
            return text if text.endswith((".", '"', ")", "”")) else text + "."
    for p in paragraphs[:6]:
        m = _RE_SUMMARY_START.match(p.text)
        if m:
            return p.text[m.end():].strip()
    if headed >= 0:
        stop = body.find("\n\n", headed)
        return body[headed:stop if stop >= 0 else len(body)].strip()
    return ""


def _first_paragraph_start(paragraphs: tuple[Paragraph, ...] | list[Paragraph]) -> int:
    """Offset in the body of the first numbered paragraph (text before it is a preamble)."""
    offset = 0
    for p in paragraphs:
        if p.number >= 1:
            return offset
        offset += len(p.text) + 2
    return 0
