"""Rendering of results, cables and index facts for the CLI and the REPL (one module serves both).

Human-readable output is built as prompt_toolkit-style fragments, a list of ``(style, text)``
pairs with ``class:NAME`` styles. The REPL hands them to prompt_toolkit; the CLI turns them into
plain text or ANSI colour with `render_text`, without importing prompt_toolkit. Data formats
(JSON, JSONL, CSV) carry data only and never colour.

The library objects (Results, Hit, Snippet, Citation, Cable, IndexStats) are read by attribute
name only, so this module imports neither Whoosh nor the index at import time.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import shutil
import textwrap
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, TextIO

from .model import format_utc

if TYPE_CHECKING:
    from prompt_toolkit.styles import Style

Fragments = list[tuple[str, str]]

# One table of styles in prompt_toolkit syntax; `render_text` maps the same words to ANSI codes.
STYLE_RULES: dict[str, str] = {
    "rank": "ansibrightblack",
    "date": "ansicyan",
    "id": "bold",
    "class.u": "ansigreen",
    "class.c": "ansiyellow",
    "class.s": "ansired",
    "class.ts": "bold ansired",
    "origin": "ansiblue",
    "subject": "",
    "para": "ansimagenta",
    "match": "bold ansiyellow",
    "dim": "ansibrightblack",
    "label": "bold",
    "heading": "bold underline",
    "count": "ansibrightblack",
    "bar": "ansicyan",
    "warning": "ansiyellow",
    "error": "ansired",
    "missing": "ansibrightblack italic",
    # query syntax highlighting in the REPL (token types from cablesearch.query.lex_query)
    "q.field": "ansiblue bold",
    "q.operator": "ansimagenta bold",
    "q.phrase": "ansigreen",
    "q.word": "",
    "q.value": "ansicyan",
    "q.paren": "ansibrightblack",
    "q.modifier": "ansiyellow",
    "q.error": "underline ansired",
    "q.command": "ansimagenta bold",
}

_ANSI_COLOURS = {
    "black": 30, "red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35, "cyan": 36,
    "white": 37, "gray": 37, "brightblack": 90, "brightred": 91, "brightgreen": 92,
    "brightyellow": 93, "brightblue": 94, "brightmagenta": 95, "brightcyan": 96, "brightwhite": 97,
}
_ANSI_ATTRS = {"bold": 1, "italic": 3, "underline": 4, "reverse": 7}

MONTHS = "JFMAMJJASOND"
SPARK = " ▁▂▃▄▅▆▇█"


# --- colour decisions and rendering -------------------------------------------------------------

def wants_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def terminal_width(stream: TextIO | None = None, default: int = 100) -> int:
    """The terminal's width when `stream` is one, else `default` (output for pipes is not cut)."""
    isatty = getattr(stream, "isatty", None)
    if stream is not None and isatty and isatty():
        return max(40, shutil.get_terminal_size((default, 24)).columns)
    return default


def _sgr(style: str) -> str:
    codes: list[int] = []
    for cls in style.split():
        rule = STYLE_RULES.get(cls.removeprefix("class:"), "")
        for word in rule.split():
            if word in _ANSI_ATTRS:
                codes.append(_ANSI_ATTRS[word])
            elif word.startswith("bg:ansi"):
                codes.append(_ANSI_COLOURS.get(word[7:], 37) + 10)
            elif word.startswith("ansi"):
                codes.append(_ANSI_COLOURS.get(word[4:], 37))
    return "\x1b[" + ";".join(map(str, codes)) + "m" if codes else ""


def render_text(fragments: Iterable[tuple[str, str]], colour: bool = False) -> str:
    """Fragments as a string: plain, or with ANSI colour codes."""
    out = []
    for style, text in fragments:
        sgr = _sgr(style) if colour and style else ""
        out.append(f"{sgr}{text}\x1b[0m" if sgr else text)
    return "".join(out)


def page_text(text: str, stream: TextIO) -> None:
    """Show `text` through $PAGER (default `less -FRX`, which quits when it fits one screen) on a
    terminal; anywhere else, or without a pager, just write it."""
    isatty = getattr(stream, "isatty", None)
    pager = os.environ.get("PAGER") or ("less" if shutil.which("less") else "")
    if not (isatty and isatty()) or not pager.strip() or pager.strip() == "cat":
        stream.write(text)
        stream.flush()
        return
    import subprocess

    stream.flush()
    env = dict(os.environ)
    env.setdefault("LESS", "-FRX")
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        proc = subprocess.Popen(pager, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        stream.write(text)
        return
    try:
        proc.communicate(text.encode(encoding, "replace"))
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    proc.wait()


def prompt_toolkit_style() -> "Style":
    """The same style table as a prompt_toolkit Style (imported lazily: the CLI does not need it)."""
    from prompt_toolkit.styles import Style

    return Style.from_dict({name: rule for name, rule in STYLE_RULES.items() if rule})


# --- small value formatters ---------------------------------------------------------------------

def format_date(value: Any, with_time: bool = False) -> str:
    """YYYY-MM-DD (or with HH:MM UTC) from a datetime, date or ISO string; '' when unknown."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value[:16].replace("T", " ") if with_time else value[:10]
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M UTC" if with_time else "%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def iso_datetime(value: Any) -> str | None:
    """ISO 8601 with Z for data output."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return format_utc(value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


LEVEL_STYLES = ("class:class.u", "class:class.c", "class:class.s", "class:class.ts")  # by fields level


def classification_class(classification: str) -> str:
    """The style class for a classification (colour by level)."""
    from .fields import classification_level  # lazily: cablesearch.fields loads Whoosh

    return LEVEL_STYLES[classification_level(classification or "")]


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _truncate(text: str, width: int) -> str:
    if width <= 0 or len(text) <= width:
        return text
    return text[: max(1, width - 1)].rstrip() + "…"


def _pad(text: str, width: int) -> str:
    return _truncate(text, width).ljust(width)


def os_error_text(error: OSError) -> str:
    """`/etc/hostname: File exists` rather than `[Errno 17] File exists: '/etc/hostname'`."""
    if error.strerror and error.filename is not None:
        names = [os.fsdecode(error.filename)]
        if error.filename2 is not None:
            names.append(os.fsdecode(error.filename2))
        return f"{' -> '.join(names)}: {error.strerror}"
    return str(error) or error.__class__.__name__


# --- results as text ----------------------------------------------------------------------------

CLASS_COLUMN_MAX = 16
ORIGIN_COLUMN_MAX = 14


def snippet_fragments(snippet: Any, indent: str = "    ", width: int | None = None) -> Fragments:
    """One snippet line: `¶3 (C) …text…` with the matched spans highlighted."""
    frags: Fragments = [("", indent)]
    label = ""
    if getattr(snippet, "paragraph", None) is not None:
        label = f"¶{snippet.paragraph}"
        if getattr(snippet, "marking", None):
            label += f" ({snippet.marking})"
        frags.append(("class:para", label))
        frags.append(("", " "))
    text = snippet.text or ""
    spans = sorted(tuple(s) for s in (getattr(snippet, "matches", ()) or ()))
    pos = 0
    for start, end in spans:
        if start < pos or start >= len(text):
            continue
        if start > pos:
            frags.append(("", _single_spaced(text[pos:start])))
        frags.append(("class:match", text[start:end]))
        pos = end
    if pos < len(text):
        frags.append(("", _single_spaced(text[pos:])))
    if width:
        body = wrap_fragments(frags[1:], width, indent=indent, max_lines=3, start=len(indent))
        frags = frags[:1] + body
    frags.append(("", "\n"))
    return frags


def wrap_fragments(frags: Fragments, width: int, indent: str = "", max_lines: int | None = None,
                   start: int = 0) -> Fragments:
    """Word-wrap styled fragments to `width` (the first line begins at column `start`), continuing
    lines with `indent`; cut with … after `max_lines` lines."""
    words: list[list[tuple[str, str]]] = []  # each word: its styled pieces; spaces separate words
    current: list[tuple[str, str]] = []
    for style, text in frags:
        for i, piece in enumerate(re.split(r"( +)", text)):
            if i % 2:  # a run of spaces
                if current:
                    words.append(current)
                current = []
            elif piece:
                current.append((style, piece))
    if current:
        words.append(current)
    out: Fragments = []
    line_len, lines = start, 1
    for word in words:
        size = sum(len(t) for _, t in word)
        if line_len > len(indent) and line_len + 1 + size > width:
            if max_lines and lines >= max_lines:
                out.append(("", " …"))
                return out
            out.append(("", "\n" + indent))
            line_len, lines = len(indent), lines + 1
        elif out:
            out.append(("", " "))
            line_len += 1
        out.extend(word)
        line_len += size
    return out


def best_snippet(hit: Any) -> Any | None:
    """The snippet with the most matched words (the first of equals: the earliest paragraph)."""
    snippets = list(getattr(hit, "snippets", None) or ())
    if not snippets:
        return None
    return max(snippets, key=lambda s: (len(s.matches or ()), -snippets.index(s)))


def _single_spaced(text: str) -> str:
    """Every run of whitespace as one space, ends included (unlike `_collapse`, which strips them),
    so the pieces of a snippet around a match keep their spaces."""
    return re.sub(r"\s+", " ", text)


def results_fragments(results: Any, *, numbered: bool = False, width: int | None = None,
                      snippets: bool = True) -> Fragments:
    """Aligned hit lines (date, id, classification, origin, subject), each with its best snippet."""
    hits = list(results.hits)
    frags: Fragments = []
    if not hits:
        return frags
    id_w = max(len(h.id) for h in hits)
    class_w = min(CLASS_COLUMN_MAX, max(len(h.classification or "") for h in hits))
    origin_w = min(ORIGIN_COLUMN_MAX, max(len(h.origin or "") for h in hits))
    rank_w = len(str(max(h.rank for h in hits))) if numbered else 0
    for hit in hits:
        line_len = 0
        if numbered:
            rank = f"{hit.rank:>{rank_w}}. "
            frags.append(("class:rank", rank))
            line_len += len(rank)
        columns = [
            ("class:date", _pad(format_date(hit.date), 10)),
            ("class:id", _pad(hit.id, id_w)),
            (classification_class(hit.classification), _pad(hit.classification or "", class_w)),
            ("class:origin", _pad(hit.origin or "", origin_w)),
        ]
        for style, text in columns:
            frags.append((style, text))
            frags.append(("", "  "))
            line_len += len(text) + 2
        subject = _collapse(hit.subject) or "(no subject)"
        if width:
            subject = _truncate(subject, width - line_len)
        frags.append(("class:subject", subject))
        frags.append(("", "\n"))
        best = best_snippet(hit) if snippets else None
        if best is not None:
            frags.extend(snippet_fragments(best, indent=" " * (rank_w + 2 if numbered else 4), width=width))
    return frags


def facets_fragments(facets: Mapping[str, Sequence[tuple[str, int]]], *, top: int = 8,
                     skip: Iterable[str] = ("month",)) -> Fragments:
    """Facet counts, one line per facet: `tag  PHUM 12 · PREL 9 · ...`."""
    skip = set(skip)
    shown = [(name, values) for name, values in facets.items() if name not in skip and values]
    if not shown:
        return []
    name_w = max(len(name) for name, _ in shown)
    frags: Fragments = []
    for name, values in shown:
        frags.append(("class:label", name.ljust(name_w)))
        frags.append(("", "  "))
        for i, (value, count) in enumerate(values[:top]):
            if i:
                frags.append(("class:dim", " · "))
            frags.append(("", str(value)))
            frags.append(("class:count", f" {count}"))
        if len(values) > top:
            frags.append(("class:dim", f" · +{len(values) - top} more"))
        frags.append(("", "\n"))
    return frags


def facet_table_fragments(name: str, values: Sequence[tuple[str, int]]) -> Fragments:
    """All values of one facet as a column of counts with bars (REPL `:facets FIELD`)."""
    if not values:
        return [("class:dim", f"no values for {name}\n")]
    value_w = min(40, max(len(str(v)) for v, _ in values))
    count_w = max(len(str(c)) for _, c in values)
    most = max(c for _, c in values) or 1
    frags: Fragments = [("class:heading", name), ("", "\n")]
    for value, count in values:
        bar = "█" * max(1, round(20 * count / most))
        frags += [("", _pad(str(value), value_w)), ("", "  "), ("class:count", str(count).rjust(count_w)),
                  ("", " "), ("class:bar", bar), ("", "\n")]
    return frags


def timeline_fragments(months: Sequence[tuple[str, int]]) -> Fragments:
    """Per-month counts as a small timeline: one row per year, one cell per month, then the
    year's total. Three or more years in a row without a cable fold into one line."""
    per_month: dict[tuple[int, int], int] = {}
    for key, count in months:
        m = re.fullmatch(r"(\d{4})-(\d{2})", str(key))
        if m:
            per_month[(int(m[1]), int(m[2]))] = per_month.get((int(m[1]), int(m[2])), 0) + count
    if not per_month:
        return []
    years = sorted({y for y, _ in per_month})
    most = max(per_month.values())
    frags: Fragments = [("class:label", "month "), ("class:dim", " ".join(MONTHS)), ("", "\n")]
    previous = None
    for year in years:
        if previous is not None and year - previous > 3:
            frags += [("class:dim", f"{previous + 1}-{year - 1}  none"), ("", "\n")]
        elif previous is not None:
            for empty in range(previous + 1, year):
                frags += [("class:label", f"{empty}  "), ("class:dim", " ".join("·" * 12)),
                          ("class:count", "  0"), ("", "\n")]
        cells = [SPARK[max(1, round(8 * per_month[(year, month)] / most))] if per_month.get((year, month))
                 else "·" for month in range(1, 13)]
        total = sum(per_month.get((year, m), 0) for m in range(1, 13))
        frags += [("class:label", f"{year}  "), ("class:bar", " ".join(cells)),
                  ("class:count", f"  {total}"), ("", "\n")]
        previous = year
    return frags


def summary_fragments(results: Any) -> Fragments:
    """`3 of 12 cables (0.004 s)` under a page of hits; `no cables match` when empty."""
    total = results.total
    if not total:
        return [("class:dim", f"no cables match ({results.elapsed:.3f} s)\n")]
    first = results.offset + 1
    last = results.offset + len(results.hits)
    noun = "cable" if total == 1 else "cables"
    if not results.hits:
        return [("class:dim", f"no hits past {results.offset}: {total} {noun} in all ({results.elapsed:.3f} s)\n")]
    shown = f"{first}-{last} of {total} {noun}" if (first, last) != (1, total) else f"{total} {noun}"
    return [("class:dim", f"{shown} ({results.elapsed:.3f} s)\n")]


def results_page_fragments(results: Any, *, numbered: bool = False, width: int | None = None,
                           facets: bool = True, timeline: bool = True) -> Fragments:
    """Everything the text format shows for a search: hits, summary line, facets and timeline."""
    frags = results_fragments(results, numbered=numbered, width=width)
    frags += summary_fragments(results)
    result_facets = getattr(results, "facets", None) or {}
    if facets and result_facets:
        block = facets_fragments(result_facets)
        if block:
            frags += [("", "\n")] + block
    if timeline and result_facets.get("month"):
        frags += [("", "\n")] + timeline_fragments(result_facets["month"])
    return frags


# --- results as data ----------------------------------------------------------------------------

HIT_FIELDS = ("rank", "id", "date", "origin", "origin_name", "classification", "tags", "subject",
              "score", "snippets")
EXTRA_FIELDS = ("snippet", "paragraph")  # the best snippet's text and paragraph number, flat for CSV
CSV_DEFAULT_FIELDS = ("rank", "id", "date", "origin", "classification", "tags", "subject", "score",
                      "paragraph", "snippet")


def check_fields(names: Sequence[str]) -> list[str]:
    """The requested output fields, validated against what a hit carries."""
    known = HIT_FIELDS + EXTRA_FIELDS
    bad = [n for n in names if n not in known]
    if bad:
        from .errors import CablesearchError

        raise CablesearchError(f"unknown output field {', '.join(bad)}; choose from {', '.join(known)}")
    return list(names)


def snippet_dict(snippet: Any) -> dict[str, Any]:
    return {"paragraph": snippet.paragraph, "marking": snippet.marking, "text": snippet.text,
            "matches": [list(span) for span in (snippet.matches or ())]}


def hit_dict(hit: Any, fields: Sequence[str] | None = None) -> dict[str, Any]:
    """A JSON-ready dict of one hit; `fields` selects and orders the keys."""
    full = {
        "rank": hit.rank,
        "id": hit.id,
        "date": iso_datetime(hit.date),
        "origin": hit.origin,
        "origin_name": getattr(hit, "origin_name", ""),
        "classification": hit.classification,
        "tags": list(hit.tags or ()),
        "subject": hit.subject,
        "score": round(float(hit.score), 4) if hit.score is not None else None,
        "snippets": [snippet_dict(s) for s in (hit.snippets or ())],
    }
    first = best_snippet(hit)
    if first is not None:
        full["snippet"] = _collapse(first.text)
        full["paragraph"] = first.paragraph
    else:
        full["snippet"] = ""
        full["paragraph"] = None
    keys = list(fields) if fields else list(HIT_FIELDS)
    return {k: full.get(k) for k in keys}


def facets_dict(facets: Mapping[str, Sequence[tuple[str, int]]]) -> dict[str, list[dict[str, Any]]]:
    return {name: [{"value": v, "count": c} for v, c in values] for name, values in facets.items()}


def results_json(results: Any, fields: Sequence[str] | None = None) -> str:
    """One JSON document: query, total, offset, limit, hits and facets."""
    doc = {
        "query": results.query,
        "total": results.total,
        "offset": results.offset,
        "limit": results.limit,
        "hits": [hit_dict(h, fields) for h in results.hits],
        "facets": facets_dict(getattr(results, "facets", None) or {}),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def results_json_lines(query: str, total: int, hits: Iterable[Any],
                       fields: Sequence[str] | None = None) -> Iterable[str]:
    """The document `results_json` gives for all `total` hits (facets empty), a hit per line as
    `hits` yields them: an export never holds every hit in memory."""
    head = json.dumps({"query": query, "total": total, "offset": 0, "limit": total}, ensure_ascii=False)
    yield head[:-1] + ', "hits": ['
    for i, hit in enumerate(hits):
        yield ("\n" if i == 0 else ",\n") + json.dumps(hit_dict(hit, fields), ensure_ascii=False)
    yield '\n], "facets": {}}\n'


def hits_jsonl(hits: Iterable[Any], fields: Sequence[str] | None = None) -> Iterable[str]:
    """One JSON object per hit per line."""
    for hit in hits:
        yield json.dumps(hit_dict(hit, fields), ensure_ascii=False) + "\n"


CSV_LIST_SEPARATOR = ";"  # values may hold spaces ("DOMESTIC POLITICS"), no archive tag holds ";"


def _csv_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], dict):  # snippets
            return " | ".join(_collapse(v.get("text", "")) for v in value)
        return CSV_LIST_SEPARATOR.join(map(str, value))
    return "" if value is None else value


def hits_csv(hits: Iterable[Any], fields: Sequence[str] | None = None) -> Iterable[str]:
    """A header row, then one row per hit; list values (tags) joined with ";", snippets with " | "."""
    keys = list(fields) if fields else list(CSV_DEFAULT_FIELDS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(keys)
    yield buffer.getvalue()
    for hit in hits:
        buffer.seek(0)
        buffer.truncate()
        row = hit_dict(hit, keys)
        writer.writerow([_csv_value(row[k]) for k in keys])
        yield buffer.getvalue()


# --- cables -------------------------------------------------------------------------------------

def _recipient_text(r: Any) -> str:
    name = r.station or r.name
    extra = f" ({r.name})" if r.station and r.name and r.name != r.station else ""
    prec = f" {r.precedence}" if r.precedence else ""
    return f"{name}{extra}{prec}"


def cable_header_rows(cable: Any) -> list[tuple[str, str, str]]:
    """(label, value, style) of a cable's header fields, empty values included: the text view and
    the web page show the same fields in the same order."""
    origin = cable.origin + (f" ({cable.origin_name})" if cable.origin_name else "")
    refs = []
    for ref in cable.references:
        text = f"{ref.label}. {_collapse(ref.text)}" if ref.label else _collapse(ref.text)
        refs.append(text + (f" = {ref.id}" if ref.id and ref.id not in text.replace(" ", "") else ""))
    classified_by = " ".join(v for v in (cable.classified_by_title, cable.classified_by) if v)
    if classified_by and cable.reasons:
        classified_by += f", reasons {cable.reasons}"
    rows = [
        ("Date", format_date(cable.created, with_time=True), "class:date"),
        ("From", origin, "class:origin"),
        ("Classification", cable.classification, classification_class(cable.classification)),
        ("Captions", " ".join(cable.captions), ""),
        ("Tags", " ".join(cable.tags), ""),
        ("To", "; ".join(_recipient_text(r) for r in cable.to), ""),
        ("Info", "; ".join(_recipient_text(r) for r in cable.info), ""),
        ("References", "\n".join(refs), ""),
        ("Classified by", classified_by, ""),
        ("Signer", cable.signer, ""),
        ("Declassify on", cable.declassify_on, ""),
        ("E.O.", cable.eo, ""),
        ("Precedence", cable.precedence, ""),
        ("Transmission", cable.transmission_id, ""),
        ("Sections", str(cable.sections) if getattr(cable, "sections", 1) not in (0, 1) else "", ""),
        ("Partial", "yes: an extract of the cable" if cable.is_partial else "", ""),
        ("Source", cable.source + (f" ({cable.encoding})" if cable.encoding not in ("", "utf-8") else ""),
         "class:dim"),
    ]
    return rows


def cable_fragments(cable: Any, width: int = 100) -> Fragments:
    """The whole cable: fields first, then numbered paragraphs wrapped to `width`."""
    frags: Fragments = [("class:id", cable.reference_id)]
    if cable.subject:
        frags += [("", "  "), ("class:heading", _collapse(cable.subject))]
    frags.append(("", "\n"))
    rows = cable_header_rows(cable)
    label_w = max(len(label) for label, _, _ in rows)
    value_w = max(20, width - label_w - 2)
    for label, value, style in rows:
        if not value:
            continue
        lines: list[str] = []
        for part in value.split("\n"):
            lines += textwrap.wrap(part, value_w, break_on_hyphens=False) or [""]
        frags += [("class:label", label.ljust(label_w)), ("", "  "), (style, lines[0]), ("", "\n")]
        for line in lines[1:]:
            frags += [("", " " * (label_w + 2)), (style, line), ("", "\n")]
    frags.append(("", "\n"))
    if cable.paragraphs:
        for para in cable.paragraphs:
            label = f"¶{para.number}" + (f" ({para.marking})" if para.marking else "")
            lines = textwrap.wrap(_collapse(para.text), max(20, width - 4), break_on_hyphens=False) or [""]
            frags += [("class:para", label), ("", "\n")]
            for line in lines:
                frags += [("", "    " + line), ("", "\n")]
            frags.append(("", "\n"))
    elif cable.body:
        for block in re.split(r"\n\s*\n", cable.body):
            for line in textwrap.wrap(_collapse(block), width, break_on_hyphens=False) or [""]:
                frags += [("", line), ("", "\n")]
            frags.append(("", "\n"))
    return frags


def cable_summary_fragments(cable: Any, width: int | None = None) -> Fragments:
    """A short readable summary of a parsed cable (`cablesearch parse`)."""
    frags: Fragments = [
        ("class:id", cable.reference_id), ("", "  "),
        ("class:date", format_date(cable.created, with_time=True) or "(no date)"), ("", "  "),
        (classification_class(cable.classification), cable.classification or "(unclassified?)"), ("", "  "),
        ("class:origin", cable.origin + (f" ({cable.origin_name})" if cable.origin_name else "")), ("", "\n"),
    ]
    subject = _collapse(cable.subject) or "(no subject)"
    frags += [("", "  "), ("class:heading" if cable.subject else "class:dim",
                            _truncate(subject, (width or 0) - 2)), ("", "\n")]
    facts = []
    if cable.tags:
        facts.append("tags " + " ".join(cable.tags))
    if cable.captions:
        facts.append(" ".join(cable.captions))
    facts.append(f"{len(cable.paragraphs)} paragraph{'s' if len(cable.paragraphs) != 1 else ''}")
    ref_ids = [r.id for r in cable.references if r.id]
    if ref_ids:
        facts.append("refs " + " ".join(ref_ids))
    if cable.is_partial:
        facts.append("partial")
    if cable.encoding not in ("", "utf-8"):
        facts.append(f"decoded as {cable.encoding}")
    frags += [("class:dim", "  " + " · ".join(facts)), ("", "\n")]
    for d in getattr(cable, "disagreements", ()) or ():
        frags += [("class:warning", f"  {d.field}: text says {d.text_value!r}, "
                                     f"container says {d.container_value!r}"), ("", "\n")]
    return frags


def cable_json(cable: Any, indent: int | None = 2) -> str:
    """The record as JSON (`Cable.to_dict()`)."""
    return json.dumps(cable.to_dict(), ensure_ascii=False, indent=indent) + "\n"


# --- references, stats, help --------------------------------------------------------------------

def _cable_line(ident: str, date_: Any, subject: str) -> Fragments:
    frags: Fragments = [("", "  "), ("class:id", ident)]
    if date_:
        frags += [("", "  "), ("class:date", format_date(date_))]
    if subject:
        frags += [("", "  "), ("", _truncate(_collapse(subject), 70))]
    return frags + [("", "\n")]


def _citation_line(citation: Any) -> Fragments:
    """One item of the REF line (a results.Citation): the cited cable, or why it cannot be shown."""
    if citation.id is None:  # a REF item that names no cable: show what it says
        text = _collapse(citation.text)
        what = f"{citation.label}. {text}" if citation.label else text
        return [("", "  "), ("class:missing", what), ("", "  "), ("class:missing", "(names no cable)"),
                ("", "\n")]
    if not citation.in_index:
        return [("", "  "), ("class:missing", citation.id), ("", "  "),
                ("class:missing", "(not in the index)"), ("", "\n")]
    return _cable_line(citation.id, citation.date, citation.subject)


def refs_fragments(cable_id: str, cites: Sequence[Any] | None, cited_by: Sequence[Any]) -> Fragments:
    """What a cable cites (Citations; None when the cable is not in the index) and what cites it (Hits)."""
    if cites is None:
        frags: Fragments = [("class:heading", cable_id), ("class:missing", " is not in the index"), ("", "\n")]
    else:
        frags = [("class:heading", f"{cable_id} cites"), ("", f" ({len(cites)})\n")]
        for citation in cites:
            frags += _citation_line(citation)
        if not cites:
            frags += [("class:dim", "  nothing"), ("", "\n")]
    frags += [("class:heading", "cited by"), ("", f" ({len(cited_by)})\n")]
    for hit in cited_by:
        frags += _cable_line(hit.id, hit.date, hit.subject)
    if not cited_by:
        frags += [("class:dim", "  no cable in the index"), ("", "\n")]
    return frags


def refs_dict(cable_id: str, cites: Sequence[Any] | None, cited_by: Sequence[Any]) -> dict[str, Any]:
    """References as data: `cites` is null when the cable itself is not in the index."""
    return {
        "id": cable_id,
        "in_index": cites is not None,
        "cites": None if cites is None else [
            {"id": c.id, "label": c.label, "text": c.text, "in_index": c.in_index,
             "date": iso_datetime(c.date), "subject": c.subject} for c in cites],
        "cited_by": [hit.id for hit in cited_by],
    }


def human_size(size: int | float | None) -> str:
    """Bytes as `812 B`, `3.4 MB` ..."""
    if size is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _dataclass_items(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def stats_dict(stats: Any) -> dict[str, Any]:
    """IndexStats as JSON-ready data (dates in ISO 8601, the path as a string)."""
    out = {}
    for key, value in _dataclass_items(stats).items():
        if isinstance(value, (datetime, date)):
            value = iso_datetime(value)
        elif isinstance(value, os.PathLike):
            value = os.fspath(value)
        out[key] = value
    return out


def stats_fragments(stats: Any) -> Fragments:
    """Index facts (IndexStats), one per line: cable count, date span, classification counts, size."""
    data = _dataclass_items(stats)
    if "first_date" in data and "last_date" in data:  # one line: the date span
        merged = {}
        for key, value in data.items():
            if key == "first_date":
                merged["dates"] = (data["first_date"], data["last_date"])
            elif key != "last_date":
                merged["size" if key == "size_bytes" else key] = value
        data = merged
    label_w = max((len(k) for k in data), default=0) + 1
    frags: Fragments = []
    for key, value in data.items():
        label = key.replace("_", " ")
        if isinstance(value, (datetime, date)):
            text = format_date(value)
        elif isinstance(value, tuple) and len(value) == 2 and all(
                v is None or isinstance(v, (datetime, date)) for v in value):
            text = " .. ".join(format_date(v) or "?" for v in value) if any(value) else "none"
        elif isinstance(value, (list, tuple)) and not value:
            text = "none"
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], tuple):  # (value, count)
            text = " · ".join(f"{k} {v}" for k, v in value)
        elif "size" in key and isinstance(value, (int, float)):
            text = human_size(value)
        else:
            text = str(value)
        frags += [("class:label", label.ljust(label_w)), ("", " "), ("", text), ("", "\n")]
    return frags


def fields_help_fragments() -> Fragments:
    """Help for query syntax, generated from the FIELDS table (imported lazily: it loads Whoosh)."""
    from .fields import FIELDS

    names = [", ".join((f.name, *f.aliases)) for f in FIELDS]
    name_w = max(len(n) for n in names)
    frags: Fragments = [("class:heading", "Fields"), ("", "\n")]
    for names_text, f in zip(names, FIELDS):
        frags += [("class:q.field", names_text.ljust(name_w)), ("", "  "), ("", f.help),
                  ("", "\n"), ("", " " * (name_w + 2)), ("class:dim", "e.g. "), ("class:q.value", f.example),
                  ("", "\n")]
    frags += [("", "\n"), ("class:heading", "Syntax"), ("", "\n")]
    for example, meaning in QUERY_SYNTAX:
        frags += [("class:q.value", f"  {example:<30}"), ("", meaning), ("", "\n")]
    return frags


QUERY_SYNTAX = (
    ("belarus lukashenko", "both words (implicit AND)"),
    ('"human rights"', "a phrase"),
    ("a OR b, a AND b, NOT a, -a", "operators (upper case), (parentheses) group"),
    ("bel*  lukashenk?", "wildcards"),
    ("Lukashenka~1", "fuzzy match"),
    ('"Aliyev Lukashenko"~10', "words within 10 of each other"),
    ("subject:Belarus^2", "boost a term"),
    ("date:2007-01..2007-06", "date ranges; date:2008..  date:<2005"),
    ("07BAKU595", "a reference id finds that cable"),
)


# --- following a story: similar cables, citation graphs, threads ---------------------------------

def similar_fragments(similar: Any, *, numbered: bool = False, width: int | None = None) -> Fragments:
    """Cables like a source cable (results.Similar): each hit line, then the words and tags it shares."""
    words = " ".join(t.word for t in similar.terms) or "(none: its words are too common or too rare)"
    frags: Fragments = [("class:heading", f"like {similar.id}"), ("", "  "),
                        ("class:subject", _truncate(_collapse(similar.subject), 70)), ("", "\n"),
                        ("class:dim", "  characteristic words: "), ("", words), ("", "\n")]
    if similar.tags:
        frags += [("class:dim", "  telling tags: "), ("", " ".join(t.upper() for t in similar.tags)), ("", "\n")]
    if similar.query:
        frags += [("class:dim", "  only cables matching: "), ("class:q.value", similar.query), ("", "\n")]
    frags.append(("", "\n"))
    if not similar.hits:
        return frags + [("class:dim", "no similar cables"), ("", "\n")]
    lines = _split_lines(results_fragments(_HitsOnly([s.hit for s in similar.hits]), numbered=numbered,
                                           width=width, snippets=False))
    indent = "    " if not numbered else " " * (len(str(max(s.hit.rank for s in similar.hits))) + 2)
    for line, item in zip(lines, similar.hits):
        frags += line
        shared = [("class:match", " ".join(item.words))] if item.words else [("class:dim", "no characteristic word")]
        frags += [("", indent), ("class:dim", "shares: ")] + shared
        if item.tags:
            frags += [("class:dim", " · tags: "), ("", " ".join(item.tags))]
        frags.append(("", "\n"))
    frags += [("class:dim", f"{len(similar.hits)} of {similar.total:,} similar cables "
                            f"in {similar.elapsed * 1000:.0f} ms"), ("", "\n")]
    return frags


class _HitsOnly:
    """The part of a Results that results_fragments reads."""

    def __init__(self, hits: Sequence[Any]):
        self.hits = hits


def _split_lines(frags: Fragments) -> list[Fragments]:
    """Fragments cut into lines (each keeps its trailing newline)."""
    lines: list[Fragments] = [[]]
    for style, text in frags:
        lines[-1].append((style, text))
        if text.endswith("\n"):
            lines.append([])
    return [line for line in lines if line]


def similar_dict(similar: Any) -> dict[str, Any]:
    """Similar cables as data: the source, its characteristic terms and tags, the hits and why."""
    return {
        "id": similar.id, "subject": similar.subject, "query": similar.query, "total": similar.total,
        "terms": [{"term": t.term, "word": t.word, "weight": t.weight} for t in similar.terms],
        "tags": [t.upper() for t in similar.tags],
        "hits": [{**hit_dict(s.hit), "shared_words": list(s.words), "shared_tags": list(s.tags)}
                 for s in similar.hits],
    }


def _node_label(node: Any) -> str:
    if not node.in_index:
        return f"{node.id} (not in the index)"
    return " ".join(v for v in (node.id, format_date(node.date), _collapse(node.subject)) if v)


def graph_tree(graph: Any) -> tuple[dict[str, list[tuple[str, str]]], int]:
    """The breadth-first tree of a CitationGraph: node -> [(child, "cites"|"cited-by")], and how many
    edges the tree leaves out (references among cables already shown)."""
    depth = {n.id: n.depth for n in graph.nodes}
    children: dict[str, list[tuple[str, str]]] = {n.id: [] for n in graph.nodes}
    placed = {graph.root}
    used = 0
    for node in graph.nodes:  # breadth-first order: parents come first
        if node.id in placed:
            continue
        for edge in graph.edges:
            if edge.source == node.id and depth.get(edge.target) == node.depth - 1:
                children[edge.target].append((node.id, "cited-by"))
            elif edge.target == node.id and depth.get(edge.source) == node.depth - 1:
                children[edge.source].append((node.id, "cites"))
            else:
                continue
            placed.add(node.id)
            used += 1
            break
    return children, len(graph.edges) - used


def graph_fragments(graph: Any, width: int | None = None) -> Fragments:
    """A citation graph as a text tree: → the cable cites it, ← it cites the cable above."""
    nodes = {n.id: n for n in graph.nodes}
    children, others = graph_tree(graph)
    root = nodes[graph.root]
    frags: Fragments = [("class:id", root.id)]
    frags += [("class:missing", "  (not in the index)")] if not root.in_index else \
        [("", "  "), ("class:date", format_date(root.date)), ("", "  "), ("", _collapse(root.subject))]
    frags.append(("", "\n"))

    def walk(parent: str, prefix: str) -> None:
        nonlocal frags
        kids = children[parent]
        for i, (child, how) in enumerate(kids):
            last = i == len(kids) - 1
            node = nodes[child]
            branch = prefix + ("└─ " if last else "├─ ")
            arrow = "→ cites " if how == "cites" else "← cited by "
            line: Fragments = [("class:dim", branch + arrow), ("class:id", node.id)]
            if node.in_index:
                line += [("", "  "), ("class:date", format_date(node.date)), ("", "  "),
                         ("class:origin", node.origin), ("", "  ")]
                used = len(branch) + len(arrow) + len(node.id) + 16 + len(node.origin) + 2
                line.append(("", _truncate(_collapse(node.subject), (width - used) if width else 70)))
            else:
                line.append(("class:missing", "  (not in the index)"))
            frags += line + [("", "\n")]
            walk(child, prefix + ("   " if last else "│  "))

    walk(graph.root, "")
    dangling = sum(1 for n in graph.nodes if not n.in_index)
    facts = [_count(len(graph.nodes), "cable"), _count(len(graph.edges), "reference"),
             f"depth {graph.depth}", graph.direction]
    if dangling:
        facts.append(f"{dangling} not in the index")
    if others:
        facts.append(f"{_count(others, 'more reference')} among these cables (--format json|dot|graphml lists all)")
    if graph.query:
        facts.append(f"only cables matching {graph.query}")
    if graph.truncated:
        facts.append("stopped at the node limit")
    return frags + [("class:dim", " · ".join(facts)), ("", "\n")]


def _count(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def graph_dict(graph: Any) -> dict[str, Any]:
    """A citation graph as JSON-ready nodes and edges (an edge: `source` cites `target`)."""
    return {
        "root": graph.root, "depth": graph.depth, "direction": graph.direction, "query": graph.query,
        "truncated": graph.truncated,
        "nodes": [{"id": n.id, "in_index": n.in_index, "depth": n.depth, "date": iso_datetime(n.date),
                   "origin": n.origin, "classification": n.classification, "subject": n.subject}
                  for n in graph.nodes],
        "edges": [{"source": e.source, "target": e.target, "label": e.label} for e in graph.edges],
    }


def _dot_string(text: str) -> str:
    """A DOT double-quoted string: backslashes, quotes and line breaks escaped."""
    text = _xml_safe(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"\r\n|\r|\n", r"\\n", text) + '"'


def graph_dot(graph: Any) -> str:
    """A citation graph in Graphviz DOT: an arrow from each citing cable to the cable it cites."""
    lines = ["digraph citations {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for n in graph.nodes:
        if n.in_index:
            label = "\n".join(v for v in (n.id, format_date(n.date), _truncate(_collapse(n.subject), 60)) if v)
            attrs = [f"label={_dot_string(label)}", f"date={_dot_string(format_date(n.date))}",
                     f"origin={_dot_string(n.origin)}", f"subject={_dot_string(n.subject)}"]
        else:
            attrs = [f"label={_dot_string(n.id + chr(10) + '(not in the index)')}", "style=dashed"]
        attrs.append(f"depth={n.depth}")
        if n.id == graph.root:
            attrs.append("penwidth=2")
        lines.append(f"  {_dot_string(n.id)} [{', '.join(attrs)}];")
    for e in graph.edges:
        label = f" [label={_dot_string(e.label)}]" if e.label else ""
        lines.append(f"  {_dot_string(e.source)} -> {_dot_string(e.target)}{label};")
    return "\n".join(lines) + "\n}\n"


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """Text without the control characters XML 1.0 cannot hold (cable texts may carry them)."""
    return _XML_UNSAFE.sub("", text or "")


GRAPHML_NODE_KEYS = (("in_index", "boolean"), ("depth", "int"), ("date", "string"), ("origin", "string"),
                     ("classification", "string"), ("subject", "string"))


def graph_graphml(graph: Any) -> str:
    """A citation graph in GraphML (Gephi, networkx, yEd): directed, citing cable -> cited cable."""
    import xml.etree.ElementTree as ET

    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", {"xmlns": ns})
    for name, kind in GRAPHML_NODE_KEYS:
        ET.SubElement(root, "key", {"id": name, "for": "node", "attr.name": name, "attr.type": kind})
    ET.SubElement(root, "key", {"id": "label", "for": "edge", "attr.name": "label", "attr.type": "string"})
    body = ET.SubElement(root, "graph", {"id": _xml_safe(graph.root), "edgedefault": "directed"})
    for n in graph.nodes:
        element = ET.SubElement(body, "node", {"id": _xml_safe(n.id)})
        values = {"in_index": "true" if n.in_index else "false", "depth": str(n.depth),
                  "date": iso_datetime(n.date) or "", "origin": n.origin, "classification": n.classification,
                  "subject": n.subject}
        for name, _ in GRAPHML_NODE_KEYS:
            if values[name] or name in ("in_index", "depth"):
                ET.SubElement(element, "data", {"key": name}).text = _xml_safe(values[name])
    for i, e in enumerate(graph.edges):
        element = ET.SubElement(body, "edge", {"id": f"e{i}", "source": _xml_safe(e.source),
                                               "target": _xml_safe(e.target)})
        if e.label:
            ET.SubElement(element, "data", {"key": "label"}).text = _xml_safe(e.label)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def thread_fragments(thread: Any, width: int | None = None) -> Fragments:
    """A thread as a timeline: each cable, then the thread cables it cites and the citing paragraph."""
    if not thread.entries:
        return [("class:missing", f"{thread.root} is not in the index and no indexed cable cites it"), ("", "\n")]
    dates = [e.date for e in thread.entries if e.date]
    span = f", {format_date(min(dates))} .. {format_date(max(dates))}" if dates else ""
    frags: Fragments = [("class:heading", f"thread of {thread.root}"),
                        ("", f": {len(thread.entries)} cables{span}\n")]
    id_w = max(len(e.id) for e in thread.entries)
    for entry in thread.entries:
        mark = "*" if entry.id == thread.root else " "
        origin = entry.origin_name or entry.origin
        frags += [("class:id", mark), ("class:date", _pad(format_date(entry.date), 10)), ("", "  "),
                  ("class:id", _pad(entry.id, id_w)), ("", "  "), ("class:origin", origin), ("", "  "),
                  ("class:subject", _truncate(_collapse(entry.subject) or "(no subject)",
                                              (width - id_w - len(origin) - 17) if width else 80)), ("", "\n")]
        for link in entry.cites:
            ref = f" (REF {link.label})" if link.label else ""
            frags += [("class:dim", f"     cites {link.id}{ref}"), ("", "\n")]
            if link.paragraph is not None:
                frags += snippet_fragments(link.paragraph, indent="       ", width=width)
            else:
                frags += [("class:missing", "       (no paragraph names it)"), ("", "\n")]
    if thread.missing:
        frags += [("class:dim", "cited but not in the index: "), ("class:missing", " ".join(thread.missing)),
                  ("", "\n")]
    if thread.truncated:
        frags += [("class:warning", "stopped at the cable limit"), ("", "\n")]
    return frags


def thread_dict(thread: Any) -> dict[str, Any]:
    """A thread as data: its entries oldest first, each with the cables it cites and the citing paragraph."""
    return {
        "root": thread.root, "truncated": thread.truncated, "missing": list(thread.missing),
        "entries": [{
            "id": e.id, "date": iso_datetime(e.date), "origin": e.origin, "origin_name": e.origin_name,
            "classification": e.classification, "subject": e.subject,
            "cites": [{"id": link.id, "label": link.label,
                       "paragraph": snippet_dict(link.paragraph) if link.paragraph else None}
                      for link in e.cites]} for e in thread.entries],
    }
