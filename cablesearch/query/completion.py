"""Grammar-driven helpers for the REPL: highlighting tokens, what may come at the cursor, checking.

All three read the same grammar as the parser: `lex_query` uses its terminals, `expected_at` asks
Lark's interactive LALR parser which terminals it accepts after the text before the cursor.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from lark.exceptions import UnexpectedInput

from ..fields import Kind, all_field_names, field_named
from .compiler import compile_query
from .grammar import PUBLIC_TOKEN_NAMES, Token, query_parser, tokens
from .parser import QueryError, syntax_error, unknown_field_message


class LexToken(NamedTuple):
    """A highlighting span: type, 0-based start offset, end offset (exclusive).

    Types: FIELD, UNKNOWN_FIELD (a name not in the field table), WORD, PHRASE, UNCLOSED_PHRASE,
    AND, OR, NOT, MINUS, LPAR, RPAR, CMP, BOOST, TILDE, ERROR (a character no rule accepts).
    """
    type: str
    start: int
    end: int


def lex_query(text: str) -> list[LexToken]:
    """Tokens of `text` for syntax highlighting; never raises, whatever the text."""
    out = []
    for tok in tokens(text):
        kind = PUBLIC_TOKEN_NAMES.get(tok.type, tok.type)
        if kind == "FIELD" and field_named(tok.text[:-1]) is None:
            kind = "UNKNOWN_FIELD"
        out.append(LexToken(kind, tok.start, tok.end))
    return out


def check_query(text: str) -> QueryError | None:
    """The error a query would raise when parsed and compiled, or None if it is fine."""
    try:
        compile_query(text)
    except QueryError as error:
        return error
    return None


@dataclass(frozen=True)
class ExpectedInput:
    """What the grammar accepts at the cursor, for completion menus and hints.

    kinds: a subset of {"term", "field", "value", "operator", "not", "open_paren", "close_paren",
    "comparison", "modifier", "end"}. "value" (instead of "term") means the cursor is in the value
    of `field` (canonical name, e.g. "tags" after `tag:`). `partial` is what has been typed of the
    item under the cursor, starting at offset `start` (a completion replaces text[start:cursor]).
    `fields` lists the field names (and aliases) that may start here and begin with `partial`.
    `error` is set when the text before the cursor cannot be continued into a valid query.
    """
    kinds: frozenset[str]
    field: str | None = None
    partial: str = ""
    start: int = 0
    in_paragraph: bool = False
    fields: tuple[str, ...] = ()
    error: QueryError | None = None
    terminals: frozenset[str] = frozenset()

    @property
    def prefix(self) -> str:
        """The partial text without an opening quote: what to look up among a field's values."""
        return self.partial[1:] if self.partial.startswith('"') else self.partial


_KIND_OF_TERMINAL = {
    "_AND": "operator", "_OR": "operator", "_NOT": "not", "_MINUS": "not",
    "_LPAR": "open_paren", "_RPAR": "close_paren", "BOOST": "modifier", "TILDE": "modifier",
    "$END": "end",
}


def expected_at(text: str, cursor: int | None = None) -> ExpectedInput:
    """What may be typed at `cursor` (default: end of text) in `text`; never raises."""
    try:
        return _expected_at(text, len(text) if cursor is None else max(0, min(cursor, len(text))))
    except Exception as error:  # completion must never break the prompt
        return ExpectedInput(frozenset(), error=QueryError(f"cannot complete here ({error})", 1, text,
                                                           internal=True))


def _expected_at(text: str, cursor: int) -> ExpectedInput:
    before = text[:cursor]
    toks = tokens(before)
    partial, start = "", cursor
    if toks and toks[-1].end == cursor and toks[-1].type in ("WORD", "UNCLOSED_PHRASE"):
        partial, start = toks[-1].text, toks[-1].start
        toks = toks[:-1]

    field_name, in_paragraph, unknown = _context(toks)
    if unknown is not None:
        error = QueryError(unknown_field_message(unknown.text[:-1]), unknown.start + 1, text)
        return ExpectedInput(frozenset(), partial=partial, start=start, error=error)

    try:
        interactive = query_parser().parse_interactive(before[:start])
        interactive.exhaust_lexer()
        accepts = frozenset(interactive.accepts())
    except UnexpectedInput as lark_error:
        error = syntax_error(before[:start], lark_error)
        error.query = text
        return ExpectedInput(frozenset(), partial=partial, start=start, error=error)

    spec = field_named(field_name) if field_name else None
    kinds = set()
    if accepts & {"WORD", "PHRASE"}:
        kinds.add("value" if spec else "term")
    if "FIELD" in accepts and spec is None:
        kinds.add("field")
    if "CMP" in accepts and spec is not None and spec.kind in (Kind.DATE, Kind.LEVEL):
        kinds.add("comparison")
    kinds.update(_KIND_OF_TERMINAL[t] for t in accepts if t in _KIND_OF_TERMINAL)

    fields: tuple[str, ...] = ()
    if "field" in kinds and not partial.startswith('"'):
        allowed = ["marking"] if in_paragraph else [n for n in all_field_names() if n != "marking"]
        fields = tuple(n for n in allowed if n.startswith(partial.lower()))
    return ExpectedInput(frozenset(kinds), spec.name if spec else None, partial, start, in_paragraph,
                         fields, None, accepts)


def _context(toks: list[Token]) -> tuple[str | None, bool, Token | None]:
    """(field whose value comes next, inside para:(...)?, unknown field token) after `toks`."""
    stack: list[str | None] = []   # one entry per open parenthesis: the field it belongs to
    pending: Token | None = None   # a FIELD still waiting for its value
    for tok in toks:
        if tok.type == "FIELD":
            pending = tok
        elif tok.type == "_LPAR":
            stack.append(_canonical(pending) if pending else (stack[-1] if stack else None))
            pending = None
        elif tok.type == "_RPAR":
            if stack:
                stack.pop()
            pending = None
        elif tok.type != "CMP":
            pending = None
    if pending is not None and field_named(pending.text[:-1]) is None:
        return None, False, pending
    in_paragraph = "para" in stack
    if pending is not None:
        return _canonical(pending), in_paragraph, None
    current = stack[-1] if stack else None
    return (None if current == "para" else current), in_paragraph, None


def _canonical(tok: Token) -> str | None:
    spec = field_named(tok.text[:-1])
    return spec.name if spec else None
