"""Layout before reading: line normalisation, run-together headers, archive rows and partial extracts, and splitting concatenated cables."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from .state import _Found, _MARKING, _RE_WS
from .routing import _RE_CABLE_DATED, _RE_DE
from .body import _RE_PARA_SITE, _is_body_start
from .labels import _RE_SUBJECT, _find_subject


# Layout: partial extracts and their archive blocks, run-together headers, the seed layout
PARTIAL_NOTE = "This record is a partial extract of the original cable"
_RE_META_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::\d{2})?)?$")
_RE_META_ID = re.compile(r"^(\d{2}[A-Z][A-Z0-9]*\d)$")
_RE_ARCHIVE_ID = re.compile(r"^(\d{2})([A-Z][A-Z0-9]*?[A-Z])(\d+)$")
_RE_RUN_TOGETHER = re.compile(
    r"(?<=\S)\s*(?=E\.[Oo]\. ?\d{5}|TAGS:|Tags:|SUBJECT:|Subject:|REF:|Classified By:|CLASSIFIED BY:)")
_RE_HEADER_LABEL = re.compile(
    r"^\s*(?:REFS?\b|Classified By|CLASSIFIED BY|SUBJECT|TAGS|E\.O\.|EO 1|C O N|S E C|UNCLAS|SIPDIS)")
_RE_RUN_INTO_BODY = re.compile(
    r"(?<![:(\-])(?<!\d\.)\s+(?=(?:¶\s*)?\d{1,2}\.\s*\((?:" + _MARKING + r")\)\s"
    r"|\((?:U|C|S|SBU|S/NF|C/NF|S//NF|C//NF)\)\s+[A-Z])")
_SEED_HEADER_PROBE = 24


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


def _block_datetime(block: dict[str, str]) -> datetime | None:
    try:
        y, mo, d = (int(x) for x in block["date"].split("-"))
        return datetime(y, mo, d, int(block.get("hour") or 0), int(block.get("minute") or 0), tzinfo=timezone.utc)
    except ValueError:
        return None
