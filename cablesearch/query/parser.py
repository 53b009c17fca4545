"""Query text -> AST: the Lark grammar, a Transformer to frozen dataclasses, then a resolving pass.

The grammar knows only shapes. The resolving pass knows the field table: it turns aliases into
canonical field names, reads dates and classification levels, checks where ranges and `marking:`
may go, and notes lower-case and/or/not that were read as words. Every problem becomes a
QueryError naming the column; no other exception leaves `parse_query` for any input string.
"""
from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import replace

from lark import Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from ..errors import CablesearchError
from ..fields import CLASSIFICATION_LEVELS, FIELDS, Field as FieldSpec, Kind, all_field_names, field_named
from .ast import (And, Boost, Compare, Date, Field, Fuzzy, Level, Node, Not, Or, Phrase, Range,
                  Wildcard, Word)
from .grammar import Token, query_parser, tokens

MAX_DEPTH = 100          # nested parentheses / NOTs; deeper is surely a mistake, and recursion is finite
MAX_FUZZY_DISTANCE = 2   # beyond 2 edits a fuzzy term matches almost anything, slowly


class QueryError(CablesearchError):
    """A query that cannot be read: plain-words message, 1-based column, and the query itself."""

    def __init__(self, message: str, column: int, query: str | None = None, *, internal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.query = query  # None when only an AST was given: then no caret line can be drawn
        self.internal = internal  # True: a bug of ours caught by the safety net, not a fault in the query

    def __str__(self) -> str:
        if self.query is None:
            return f"{self.message} (column {self.column})"
        shown = "".join(" " if ch.isspace() else ch for ch in self.query)  # keep it one line
        return f"{self.message} (column {self.column})\n  {shown}\n  {' ' * (self.column - 1)}^"


# --- public entry points ----------------------------------------------------------------------

def parse_query(text: str) -> Node:
    """Parse query text into an AST; raises QueryError (with column) if the text is malformed."""
    return parse_query_with_warnings(text)[0]


def parse_query_with_warnings(text: str) -> tuple[Node, list[str]]:
    """Parse query text into an AST and the warnings about how it was read (lower-case and/or)."""
    if not isinstance(text, str):
        raise QueryError(f"a query is text, not {type(text).__name__}", 1, str(text))
    try:
        if text.count("(") > MAX_DEPTH:
            _check_tokens(text, tokens(text))
        try:
            tree = query_parser().parse(text)
        except UnexpectedInput as error:
            _check_tokens(text, tokens(text))  # quotes, parentheses and stray characters first
            raise syntax_error(text, error) from None
        try:
            raw = _Builder().transform(tree)
        except VisitError as error:
            if isinstance(error.orig_exc, (QueryError, RecursionError)):
                raise error.orig_exc from None
            raise
        if raw is None:
            raise QueryError("the query is empty; type words to search for, e.g. Belarus tag:PHUM", 1)
        warnings: list[str] = []
        node = _resolve(raw, None, warnings)
        return node, warnings
    except QueryError as error:
        error.query = text
        error.column = min(max(error.column, 1), len(text) + 1)
        raise
    except RecursionError:
        raise QueryError("the query is nested too deeply", 1, text) from None
    except Exception as error:  # a bug of ours must still reach the user as a query error
        raise QueryError(f"could not read the query ({type(error).__name__}: {error})", 1, text,
                         internal=True) from None


# --- lexical checks: quotes, parentheses, stray characters ------------------------------------

def _check_tokens(text: str, toks: list[Token]) -> None:
    """Report unbalanced quotes and parentheses and unusable characters, before parsing."""
    open_parens: list[Token] = []
    for tok in toks:
        if tok.type == "UNCLOSED_PHRASE":
            raise QueryError('unbalanced quotes: the phrase that starts here has no closing "', tok.start + 1)
        if tok.type == "ERROR":
            raise QueryError(_stray_character(tok.text), tok.start + 1)
        if tok.type == "_LPAR":
            open_parens.append(tok)
            if len(open_parens) > MAX_DEPTH:
                raise QueryError(f"too many nested parentheses (more than {MAX_DEPTH})", tok.start + 1)
        elif tok.type == "_RPAR":
            if not open_parens:
                raise QueryError("unbalanced parentheses: this ')' has no '(' before it", tok.start + 1)
            open_parens.pop()
    if open_parens:
        raise QueryError("unbalanced parentheses: this '(' is never closed", open_parens[-1].start + 1)


def _stray_character(char: str) -> str:
    if char == ":":
        return "':' must follow a field name, e.g. tag:PHUM; put text with ':' in quotes"
    if char == "^":
        return "'^' (boost) needs a number after it, e.g. subject:Belarus^2"
    return f"unexpected character {char!r}"


_TOKEN_WORDS = {
    "_AND": "AND", "_OR": "OR", "_NOT": "NOT", "_MINUS": "'-'", "_LPAR": "'('", "_RPAR": "')'",
    "CMP": "a comparison", "BOOST": "a boost", "TILDE": "'~'", "FIELD": "a field",
    "WORD": "a word", "PHRASE": "a phrase",
}
_OPERATORS = {"_AND", "_OR", "_NOT", "_MINUS"}


def syntax_error(text: str, error: UnexpectedInput) -> QueryError:
    """Turn Lark's error into one sentence about what is wrong where (also used by completion)."""
    if isinstance(error, UnexpectedCharacters):  # _check_tokens catches these first; kept as a guard
        return QueryError(_stray_character(text[error.pos_in_stream]), error.pos_in_stream + 1)
    tok = error.token if isinstance(error, UnexpectedToken) else None
    at_end = tok is None or tok.type == "$END"
    position = len(text) if at_end else tok.start_pos
    column = position + 1
    before = tokens(text[:position])
    prev = before[-1] if before else None
    here = "" if at_end else str(tok.value)

    if prev is not None and prev.type == "FIELD" and field_named(prev.text[:-1]) is None:
        return QueryError(unknown_field_message(prev.text[:-1]), prev.start + 1)
    if prev is not None and prev.type == "FIELD":
        return QueryError(f"missing value after '{prev.text}': write e.g. {_field_example(prev.text)}",
                          column)
    if prev is not None and prev.type == "CMP":
        return QueryError(f"missing value after '{prev.text}', e.g. date:{prev.text}2008", column)
    if prev is not None and prev.type in _OPERATORS and (at_end or tok.type in _OPERATORS | {"_RPAR"}):
        what = _TOKEN_WORDS[prev.type]
        if at_end or tok.type == "_RPAR":
            return QueryError(f"{what} needs a term after it", prev.start + 1)
        return QueryError(f"{_TOKEN_WORDS[tok.type]} cannot follow {what}; put a term between them",
                          column)
    if at_end:
        return QueryError("the query ends too soon", column)
    if tok.type in ("_AND", "_OR"):
        return QueryError(f"{_TOKEN_WORDS[tok.type]} needs a term before it", column)
    if tok.type == "_RPAR" and prev is not None and prev.type == "_LPAR":
        return QueryError("empty parentheses: put a term between '(' and ')'", prev.start + 1)
    if tok.type == "BOOST":
        return QueryError(f"a boost '{here}' must directly follow a term, e.g. subject:Belarus^2", column)
    if tok.type == "TILDE":
        return QueryError(f"'{here}' must directly follow a word (fuzzy: Lukashenka~1) or a phrase "
                          f"(proximity: \"Aliyev Lukashenko\"~10), once", column)
    if tok.type == "CMP":
        return QueryError(f"'{here}' must be followed by a date or a level, e.g. date:{here}2008", column)
    return QueryError(f"unexpected {_TOKEN_WORDS.get(tok.type, repr(here))} here", column)


def _field_example(field_text: str) -> str:
    spec = field_named(field_text[:-1])
    return spec.example.split()[0] if spec is not None else f"{field_text}VALUE"


# --- the parse tree -> raw AST ----------------------------------------------------------------

def _pos(meta) -> dict[str, int]:
    return {"column": meta.start_pos + 1, "end_column": meta.end_pos + 1}


def _tok_pos(tok) -> dict[str, int]:
    return {"column": tok.start_pos + 1, "end_column": tok.end_pos + 1}


_ESCAPE = re.compile(r"\\(.)", re.S)


def _unquote(phrase_token: str) -> str:
    return _ESCAPE.sub(r"\1", phrase_token[1:-1])


def _word_node(tok, tilde) -> Node:
    text = str(tok)
    if tilde is None:
        return (Wildcard if ("*" in text or "?" in text) else Word)(text, **_tok_pos(tok))
    if "*" in text or "?" in text:
        raise QueryError(f"'~' cannot follow a wildcard word ({text})", tilde.start_pos + 1)
    digits = str(tilde)[1:]
    distance = int(digits) if digits else 1
    if not 1 <= distance <= MAX_FUZZY_DISTANCE:
        raise QueryError(f"fuzzy distance must be 1 or 2 (edits), not {digits}", tilde.start_pos + 1)
    return Fuzzy(text, distance, column=tok.start_pos + 1, end_column=tilde.end_pos + 1)


@v_args(meta=True)
class _Builder(Transformer):
    """Builds AST nodes bottom-up; field names are still as typed (resolved later)."""

    def start(self, meta, children):
        return children[0] if children else None

    def or_expr(self, meta, items):
        return Or(tuple(items), **_pos(meta))

    def and_expr(self, meta, items):
        return And(tuple(items), **_pos(meta))

    def negation(self, meta, children):
        return Not(children[0], **_pos(meta))

    def boost(self, meta, children):
        item, tok = children
        factor = float(str(tok)[1:])
        if factor <= 0:
            raise QueryError(f"a boost must be greater than 0, not {str(tok)[1:]}", tok.start_pos + 1)
        return Boost(item, factor, **_pos(meta))

    def word(self, meta, children):
        return _word_node(children[0], children[1] if len(children) > 1 else None)

    def phrase(self, meta, children):
        tok = children[0]
        slop = None
        if len(children) > 1:
            digits = str(children[1])[1:]
            if not digits:
                raise QueryError('proximity needs a number of words, e.g. "Aliyev Lukashenko"~10',
                                 children[1].start_pos + 1)
            slop = int(digits)
            if slop < 1:
                raise QueryError("proximity must be at least 1 word", children[1].start_pos + 1)
        return Phrase(_unquote(str(tok)), slop, **_pos(meta))

    def comparison(self, meta, children):
        op, tok = children
        value = Phrase(_unquote(str(tok)), **_tok_pos(tok)) if tok.type == "PHRASE" else Word(str(tok), **_tok_pos(tok))
        return Compare(str(op), value, **_pos(meta))

    def field(self, meta, children):
        name_tok, value = children
        return Field(str(name_tok)[:-1], value, **_pos(meta))


# --- resolving: field names, dates, levels, context rules, warnings ---------------------------

_PARA = "para"  # context marker: inside para:(...)
_LOWER_OPERATORS = {"and", "or", "not"}


def _resolve(node: Node, ctx, warnings: list[str]) -> Node:
    """Check `node` in its context (None: top level; a FieldSpec: inside that field; _PARA)."""
    if isinstance(node, (And, Or)):
        items = tuple(_resolve(item, ctx, warnings) for item in node.items)
        if isinstance(node, And):
            _warn_lower_operators(node.items, warnings)
        return replace(node, items=items)
    if isinstance(node, Not):
        return replace(node, item=_resolve(node.item, ctx, warnings))
    if isinstance(node, Boost):
        return replace(node, item=_resolve(node.item, ctx, warnings))
    if isinstance(node, Field):
        return _resolve_field(node, ctx, warnings)
    if isinstance(node, Phrase) and not node.text.strip():
        raise QueryError('empty quotes: put words between the quotes, e.g. "Embassy Baku"', node.column)
    spec = ctx if isinstance(ctx, FieldSpec) else None
    if spec is not None and spec.kind is Kind.DATE:
        return _resolve_date_value(node)
    if spec is not None and spec.kind is Kind.LEVEL:
        return _resolve_level_value(node)
    if isinstance(node, Compare):
        where = f"{spec.name}:" if spec is not None else "a bare term"
        raise QueryError(f"'{node.op}' works only after date: or class: (not {where}), "
                         f"e.g. date:{node.op}2008 or class:{node.op}SECRET", node.column)
    return node


def _resolve_field(node: Field, ctx, warnings: list[str]) -> Node:
    spec = field_named(node.name)
    if spec is None:
        raise QueryError(unknown_field_message(node.name), node.column)
    if spec.kind is Kind.MARKING and ctx is not _PARA:
        raise QueryError("marking: works only inside para:(...), e.g. para:(marking:S Lukashenko)",
                         node.column)
    if ctx is _PARA and spec.kind is not Kind.MARKING:
        raise QueryError(f"inside para:(...) use words, phrases and marking:, not {node.name}:",
                         node.column)
    if isinstance(ctx, FieldSpec):
        raise QueryError(f"a field cannot go inside another field's value ({node.name}: inside "
                         f"{ctx.name}:); write them side by side, e.g. tag:PHUM from:BAKU", node.column)
    inner = _PARA if spec.kind is Kind.PARAGRAPH else spec
    value = _resolve(node.value, inner, warnings)
    return replace(node, name=spec.name, value=value)


def unknown_field_message(name: str) -> str:
    """'unknown field' with the closest field names and the list of fields."""
    close = difflib.get_close_matches(name.lower(), all_field_names(), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(c + ':' for c in close)}?" if close else ""
    listed = ", ".join(f.name for f in FIELDS)
    return (f"unknown field '{name}:'{hint} (fields: {listed}; "
            f"to search for text with ':', put it in quotes)")


def _warn_lower_operators(items: tuple[Node, ...], warnings: list[str]) -> None:
    # and/or between two terms; not also first (`not belarus`), as NOT may start a query
    candidates = [*items[1:-1], *items[:1]] if len(items) > 1 else []
    for item in candidates:
        if isinstance(item, Word) and item.text.lower() in _LOWER_OPERATORS \
                and (item is not items[0] or item.text.lower() == "not"):
            op = item.text.upper()
            warnings.append(f"'{item.text}' at column {item.column} was searched as a word, not as the "
                            f"operator {op}; operators are upper case, so write {op} to combine terms")


# dates

_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def parse_date(text: str, column: int) -> Date:
    """'2007', '2007-05' or '2007-05-16' -> Date; anything else is a 'bad date' QueryError."""
    match = _DATE.fullmatch(text.strip())
    if not match:
        raise QueryError(f"bad date '{text}': write a year, month or day as 2007, 2007-05 or 2007-05-16",
                         column)
    year, month, day = (int(g) if g else None for g in match.groups())
    if year < 1:
        raise QueryError(f"bad date '{text}': the year must be 0001 or later", column)
    if month is not None and not 1 <= month <= 12:
        raise QueryError(f"bad date '{text}': the month must be 01 to 12", column)
    if day is not None:
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            raise QueryError(f"bad date '{text}': {calendar.month_name[month]} {year} has {days} days",
                             column)
    return Date(year, month, day, column=column, end_column=column + len(text))


def _resolve_date_value(node: Node) -> Node:
    if isinstance(node, (Word, Phrase)):
        if isinstance(node, Phrase) and node.slop is not None:
            raise QueryError("'~' does not apply to dates", node.column)
        text = node.text
        column = node.column + (1 if isinstance(node, Phrase) else 0)
        if ".." in text:
            return _range(text, column, parse_date, node, _date_key)
        return parse_date(text, column)
    if isinstance(node, Compare):
        value = node.value
        column = value.column + (1 if isinstance(value, Phrase) else 0)
        if ".." in value.text:
            raise QueryError(f"bad range '{node.op}{value.text}': use either '{node.op}' or '..', not both",
                             node.column)
        return replace(node, value=parse_date(value.text, column))
    what = {Wildcard: "wildcards do", Fuzzy: "fuzzy '~' does"}.get(type(node), f"{type(node).__name__} does")
    raise QueryError(f"{what} not work on dates; write date:2007, date:2007-05 or a range "
                     f"date:2007-01..2007-06", node.column)


def _date_key(date: Date) -> tuple:
    """Sort key comparing the first day of each date's period; enough to order range ends."""
    return (date.year, date.month or 1, date.day or 1)


def _range(text: str, column: int, read, node: Node, key) -> Range:
    """'a..b', 'a..', '..b' -> Range of values read with `read(text, column)`."""
    if text.count("..") != 1:
        raise QueryError(f"bad range '{text}': a range has one '..' between its ends, e.g. 2007..2009",
                         column)
    left, right = text.split("..")
    if not left and not right:
        raise QueryError(f"bad range '{text}': give a start, an end or both, e.g. 2008.. or ..2005",
                         column)
    start = read(left, column) if left else None
    end = read(right, column + len(left) + 2) if right else None
    if start is not None and end is not None and key(start) > key(end):
        raise QueryError(f"bad range '{text}': the start {left} is after the end {right}", column)
    return Range(start, end, column=node.column, end_column=node.end_column)


# classification levels

_LEVEL_NAMES = {
    "UNCLASSIFIED": 0, "U": 0,
    "CONFIDENTIAL": 1, "C": 1,
    "SECRET": 2, "S": 2,
    "TOP SECRET": 3, "TOP_SECRET": 3, "TOP-SECRET": 3, "TOPSECRET": 3, "TS": 3,
}


def level_number(text: str) -> int | None:
    """0..3 for a classification level name or abbreviation (any case), else None."""
    return _LEVEL_NAMES.get(" ".join(text.upper().split()))


def parse_level(text: str, column: int) -> Level:
    """A level name -> Level; anything else is a QueryError listing the levels."""
    number = level_number(text.split("//")[0])
    if number is None:
        raise QueryError(unknown_level_message(text), column)
    return Level(number, column=column, end_column=column + len(text))


def unknown_level_message(text: str) -> str:
    """'unknown classification level' with the closest level, or how to write what was meant."""
    words = " ".join(text.upper().split())
    levels = f"(levels, lowest first: {', '.join(CLASSIFICATION_LEVELS)})"
    if words == "TOP":
        return (f"unknown classification level '{text}': TOP SECRET has a space, so quote it, "
                f"e.g. class:\"TOP SECRET\", or write TOP_SECRET {levels}")
    for name in sorted(_LEVEL_NAMES, key=len, reverse=True):  # "SECRET NOFORN" -> SECRET//NOFORN
        if len(name) > 2 and words.startswith(name + " "):
            caveat = words[len(name) + 1:]
            return (f"unknown classification level '{text}'; for a level with a caveat write "
                    f"class:\"{CLASSIFICATION_LEVELS[_LEVEL_NAMES[name]]}//{caveat}\" {levels}")
    close = difflib.get_close_matches(words.split("//")[0], CLASSIFICATION_LEVELS, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return (f"unknown classification level '{text}'{hint} {levels}; a caveat follows the level "
            f"after //, e.g. class:SECRET//NOFORN")


def _resolve_level_value(node: Node) -> Node:
    if isinstance(node, (Word, Phrase)):
        text = node.text
        column = node.column + (1 if isinstance(node, Phrase) else 0)
        if isinstance(node, Word) and ".." in text:
            return _range(text, column, parse_level, node, lambda level: level.level)
        if level_number(text.split("//")[0]) is None:
            raise QueryError(unknown_level_message(text), column)
        number = level_number(text)
        if number is not None and not (isinstance(node, Phrase) and node.slop is not None):
            return Level(number, column=node.column, end_column=node.end_column)
        return node  # a whole marking such as SECRET//NOFORN, matched as written
    if isinstance(node, Compare):
        value = node.value
        column = value.column + (1 if isinstance(value, Phrase) else 0)
        return replace(node, value=parse_level(value.text, column))
    return node  # wildcards and fuzzy words match the classification text
