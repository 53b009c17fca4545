"""AST -> whoosh.query: the second pass, reading the field table for names and kinds.

Shapes follow the brief's QUERY contract, which the index is built to match:
  bare word       Or over fields.default_search_fields() (subject, body) (+ Term('id', ID) if it looks like one)
  keyword field   Term(field, lower-cased value)           from:"Embassy Baku" -> 'embassy baku'
  date            Term('year'|'month'|'day', key); ranges -> unions of year/month/day terms
  class ranges    Term('class_level', '0'..'3') unions
  para:(...)      SameParagraph(...on body/marking): its parts match inside one paragraph
  cited-by:ID     CitedBy(ID), which CableIndex.search resolves to the ids on ID's REF line
A NOT with nothing positive beside it is anchored to Every() (every cable), or inside para:
to Term('marking', ANY_PARAGRAPH) (every paragraph).
"""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from functools import lru_cache

from whoosh import query as wq
from whoosh.lang.porter import stem
from whoosh.fields import Schema

from ..fields import (ANY_PARAGRAPH, TEXT_ANALYZER, Field as FieldSpec, Kind, build_schema, default_search_fields, field_named,
                      keyword_value)
from . import ast
from .citations import CitedBy
from .paragraph import SameParagraph
from .parser import QueryError, parse_query

PARAGRAPH_TEXT = "body"
MAX_TERMS_IN_UNION = 12  # a longer run of consecutive date keys becomes one TermRange

_REFERENCE_ID = re.compile(r"\d{2}[A-Za-z][A-Za-z0-9]*\d")
_PREFIX = re.compile(r"[^*?]+\*")
_PARA = "para"


@lru_cache(maxsize=1)
def default_schema() -> Schema:
    """The index schema built from the field table (analyzers for text fields come from here)."""
    return build_schema()


def looks_like_reference_id(text: str) -> bool:
    """True for cable ids such as 07BAKU595, 09STATE12345 (two digits, letters, digits)."""
    return bool(_REFERENCE_ID.fullmatch(text))


def compile_query(query: str | ast.Node, schema: Schema | None = None) -> wq.Query:
    """Query text or AST -> whoosh.query.Query; raises QueryError for what cannot be searched."""
    text = query if isinstance(query, str) else None
    node = parse_query(query) if isinstance(query, str) else query
    try:
        compiled = _Compiler(schema or default_schema()).compile(node, None)
        if compiled is None:
            raise QueryError("nothing to search for: the query has no letters or digits to match", 1)
        return compiled
    except QueryError as error:
        if text is not None:
            error.query = text
            error.column = min(max(error.column, 1), len(text) + 1)
        raise
    except RecursionError:
        raise QueryError("the query is nested too deeply", 1, text) from None
    except Exception as error:  # keep the promise: nothing but QueryError for a bad query
        raise QueryError(f"could not compile the query ({type(error).__name__}: {error})", 1, text,
                         internal=True) from None


class _Compiler:
    """One pass over the AST. `ctx` is None (top level), a fields.Field, or _PARA."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    # structure

    def compile(self, node: ast.Node, ctx) -> wq.Query | None:
        """The whoosh query for `node`, or None when it holds nothing searchable (e.g. '&')."""
        if isinstance(node, ast.And):
            return self._and(node, ctx)
        if isinstance(node, ast.Or):
            parts = [self._standalone_not(item, ctx) if isinstance(item, ast.Not) else self.compile(item, ctx)
                     for item in node.items]
            return _combine(wq.Or, [p for p in parts if p is not None])
        if isinstance(node, ast.Not):
            return self._standalone_not(node, ctx)
        if isinstance(node, ast.Boost):
            compiled = self.compile(node.item, ctx)
            if compiled is not None:
                compiled.boost = node.factor
            return compiled
        if isinstance(node, ast.Field):
            return self._field(node, ctx)
        return self._leaf(node, ctx)

    def _and(self, node: ast.And, ctx) -> wq.Query | None:
        positives, negatives = [], []
        for item in node.items:
            if isinstance(item, ast.Not):
                excluded = self.compile(item.item, ctx)
                if excluded is not None:
                    negatives.append(wq.Not(excluded))
            else:
                compiled = self.compile(item, ctx)
                if compiled is not None:
                    positives.append(compiled)
        if negatives and not positives:
            positives = [_anchor(ctx)]
        return _combine(wq.And, positives + negatives)

    def _standalone_not(self, node: ast.Not, ctx) -> wq.Query:
        """NOT x alone means 'every cable (or paragraph) but x'."""
        excluded = self.compile(node.item, ctx)
        if excluded is None:
            return _anchor(ctx)
        return wq.And([_anchor(ctx), wq.Not(excluded)])

    def _field(self, node: ast.Field, ctx) -> wq.Query | None:
        spec = field_named(node.name)
        if spec is None:  # only an AST built by hand can get here
            raise QueryError(f"unknown field '{node.name}:'", node.column)
        if spec.kind is Kind.PARAGRAPH:
            inner = self.compile(node.value, _PARA)
            if inner is None:
                return None
            return SameParagraph(inner)
        return self.compile(node.value, spec)

    # leaves

    def _leaf(self, node: ast.Node, ctx) -> wq.Query | None:
        if ctx is None or ctx is _PARA:
            if isinstance(node, ast.Wildcard) and set(node.pattern) == {"*"}:
                return _anchor(ctx)  # `*` alone: everything
            targets = default_search_fields() if ctx is None else (PARAGRAPH_TEXT,)
            parts = [self._text(name, node) for name in targets]
            if ctx is None and isinstance(node, ast.Word) and looks_like_reference_id(node.text):
                parts.append(wq.Term("id", node.text.upper()))
            return _combine(wq.Or, [p for p in parts if p is not None])
        spec: FieldSpec = ctx
        if spec.kind is Kind.TEXT:
            return self._text(spec.name, node)
        if spec.kind is Kind.DATE:
            return _date(node)
        if spec.kind is Kind.LEVEL:
            return _level(spec.name, node)
        if spec.kind is Kind.ID:
            return _keyword(spec.name, node, str.upper)
        if spec.kind is Kind.CITED_BY:
            return _cited_by(spec.name, node)
        return _keyword(spec.name, node, str.lower)  # KEYWORD and MARKING

    def analyse(self, fieldname: str, text: str) -> list[str]:
        """The terms the index holds for `text` in a text field (fields.TEXT_ANALYZER via the schema)."""
        try:
            analyzer = self.schema[fieldname].analyzer
        except (KeyError, AttributeError):
            analyzer = TEXT_ANALYZER
        return [token.text for token in analyzer(text, mode="query")]

    def _text(self, fieldname: str, node: ast.Node) -> wq.Query | None:
        if isinstance(node, (ast.Word, ast.Phrase)):
            words = self.analyse(fieldname, node.text)
            if not words:
                return None
            if len(words) == 1:
                return wq.Term(fieldname, words[0])
            slop = node.slop if isinstance(node, ast.Phrase) and node.slop else 1
            return wq.Phrase(fieldname, words, slop=slop)
        if isinstance(node, ast.Wildcard):
            return _text_pattern(fieldname, node.pattern.lower())
        if isinstance(node, ast.Fuzzy):
            words = self.analyse(fieldname, node.text)
            if len(words) != 1:
                raise QueryError(f"fuzzy '~' works on one word; '{node.text}' is {len(words)} words",
                                 node.column)
            return wq.FuzzyTerm(fieldname, words[0], maxdist=node.distance, prefixlength=1)
        raise QueryError(f"'{node}' cannot be searched as text", node.column)


def _anchor(ctx) -> wq.Query:
    """A fresh query for every cable (or paragraph): fresh, because Boost sets attributes."""
    return wq.Term("marking", ANY_PARAGRAPH) if ctx is _PARA else wq.Every()


def _combine(kind, parts: list[wq.Query]) -> wq.Query | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else kind(parts)


def _pattern(fieldname: str, pattern: str) -> wq.Query:
    if set(pattern) == {"*"}:
        return wq.Every(fieldname)
    if _PREFIX.fullmatch(pattern):
        return wq.Prefix(fieldname, pattern[:-1])
    return wq.Wildcard(fieldname, pattern)


def _text_pattern(fieldname: str, pattern: str) -> wq.Query:
    """A wildcard on a text field, whose terms are stems ("belarus" is indexed as "belaru"): the
    pattern is also tried with its letters stemmed, so that `belarus*` finds what `belarus` does.
    A pattern ending in ? or * then finds every word on that stem (export? also finds exporting)."""
    head = pattern.rstrip("*?")
    if head != pattern:  # export? and export* stand for words whose stem may be just "export"
        stemmed = stem(head) + "*"
    else:
        stemmed = stem(pattern)
    if stemmed == pattern:
        return _pattern(fieldname, pattern)
    return wq.Or([_pattern(fieldname, pattern), _pattern(fieldname, stemmed)])


def _keyword(fieldname: str, node: ast.Node, case) -> wq.Query:
    """Exact values: the whole value, case folded the way the index stores it."""
    if isinstance(node, (ast.Word, ast.Phrase)):
        if isinstance(node, ast.Phrase) and node.slop is not None:
            raise QueryError(f"proximity '~' works on text, not on {fieldname}: values", node.column)
        return wq.Term(fieldname, case(keyword_value(node.text)))
    if isinstance(node, ast.Wildcard):
        return _pattern(fieldname, case(node.pattern))
    if isinstance(node, ast.Fuzzy):
        return wq.FuzzyTerm(fieldname, case(node.text), maxdist=node.distance, prefixlength=1)
    if isinstance(node, ast.Level):
        return wq.Term(fieldname, case(node.name))
    raise QueryError(f"'{node}' is not a value for {fieldname}:", node.column)


def _cited_by(fieldname: str, node: ast.Node) -> wq.Query:
    """cited-by:ID: a placeholder the index resolves to the ids on ID's REF line (query/citations.py)."""
    if isinstance(node, (ast.Word, ast.Phrase)) and not (isinstance(node, ast.Phrase) and node.slop is not None):
        value = "".join(node.text.split()).upper()
        if value:
            return CitedBy(value)
    raise QueryError(f"{fieldname}: takes a reference id, e.g. {fieldname}:07BAKU595", node.column)


# --- classification levels --------------------------------------------------------------------

def _level(fieldname: str, node: ast.Node) -> wq.Query:
    if isinstance(node, (ast.Compare, ast.Range)):
        if isinstance(node, ast.Compare):
            n = node.value.level
            low, high = {">=": (n, 3), ">": (n + 1, 3), "<=": (0, n), "<": (0, n - 1)}[node.op]
        else:
            low = 0 if node.start is None else node.start.level
            high = 3 if node.end is None else node.end.level
        if low > high:
            raise QueryError(f"bad range: no classification level is {node}", node.column)
        return _combine(wq.Or, [wq.Term("class_level", str(n)) for n in range(low, high + 1)])
    return _keyword(fieldname, node, str.lower)


# --- dates ------------------------------------------------------------------------------------
#
# A range is cut into whole years, whole months and single days, each looked up by its key
# (year "2007", month "2007-05", day "2007-05-16"): exact, and far cheaper than a timestamp range.

def _first_day(d: ast.Date) -> date:
    return date(d.year, d.month or 1, d.day or 1)


def _last_day(d: ast.Date) -> date:
    if d.day is not None:
        return date(d.year, d.month, d.day)
    if d.month is not None:
        return _month_end(date(d.year, d.month, 1))
    return date(d.year, 12, 31)


def _month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def _date(node: ast.Node) -> wq.Query:
    if isinstance(node, ast.Date):
        return wq.Term(*_key(node))
    if isinstance(node, ast.Range):
        low = None if node.start is None else _first_day(node.start)
        high = None if node.end is None else _last_day(node.end)
    elif isinstance(node, ast.Compare):
        low = high = None
        try:
            if node.op == ">=":
                low = _first_day(node.value)
            elif node.op == ">":
                low = _last_day(node.value) + timedelta(days=1)
            elif node.op == "<=":
                high = _last_day(node.value)
            else:
                high = _first_day(node.value) - timedelta(days=1)
        except OverflowError:
            raise QueryError(f"bad range: no date is {node}", node.column) from None
    else:  # the parser lets only dates, ranges and comparisons through
        raise QueryError(f"'{node}' is not a date", node.column)
    return _date_span(low, high)


def _key(d: ast.Date) -> tuple[str, str]:
    if d.day is not None:
        return "day", str(d)
    if d.month is not None:
        return "month", str(d)
    return "year", str(d)


def _date_span(low: date | None, high: date | None) -> wq.Query:
    """Days low..high (inclusive; None = open) as a union of year/month/day look-ups."""
    parts: list[wq.Query] = []
    if low is None:
        whole_to = high.year if (high.month, high.day) == (12, 31) else high.year - 1
        if whole_to >= 1:
            parts.append(wq.TermRange("year", None, f"{whole_to:04d}"))
        if whole_to < high.year:
            parts += _closed_span(date(high.year, 1, 1), high)
    elif high is None:
        whole_from = low.year if (low.month, low.day) == (1, 1) else low.year + 1
        if whole_from > low.year:
            parts += _closed_span(low, date(low.year, 12, 31))
        if whole_from <= 9999:
            parts.append(wq.TermRange("year", f"{whole_from:04d}", None))
    else:
        parts += _closed_span(low, high)
    return _combine(wq.Or, parts)


def _closed_span(low: date, high: date) -> list[wq.Query]:
    keys: list[tuple[str, str]] = []
    day = low
    while day <= high:
        year_end, month_end = date(day.year, 12, 31), _month_end(day)
        if (day.month, day.day) == (1, 1) and year_end <= high:
            keys.append(("year", f"{day.year:04d}"))
            step_to = year_end
        elif day.day == 1 and month_end <= high:
            keys.append(("month", f"{day.year:04d}-{day.month:02d}"))
            step_to = month_end
        else:
            keys.append(("day", day.isoformat()))
            step_to = day
        if step_to == date.max:
            break
        day = step_to + timedelta(days=1)
    return _runs_to_queries(keys)


def _runs_to_queries(keys: list[tuple[str, str]]) -> list[wq.Query]:
    """Consecutive keys of one kind stay single terms, or become a TermRange when there are many."""
    out: list[wq.Query] = []
    i = 0
    while i < len(keys):
        j = i
        while j + 1 < len(keys) and keys[j + 1][0] == keys[i][0]:
            j += 1
        run = keys[i:j + 1]
        if len(run) > MAX_TERMS_IN_UNION:
            out.append(wq.TermRange(run[0][0], run[0][1], run[-1][1]))
        else:
            out += [wq.Term(field, value) for field, value in run]
        i = j + 1
    return out
