"""The cable query language: text -> AST (grammar/cables.lark via Lark) -> whoosh.query.

    >>> compile_query('tag:PHUM from:BAKU date:2007-05')
    And([Term('tags', 'phum'), Term('origin', 'baku'), Term('month', '2007-05')])
"""
from .ast import (And, Boost, Compare, Date, Field, Fuzzy, Level, Node, Not, Or, Phrase, Range,
                  Wildcard, Word)
from .compiler import compile_query
from .explain import explain
from .parser import QueryError, parse_query, parse_query_with_warnings

__all__ = [
    "parse_query", "parse_query_with_warnings", "compile_query", "explain", "QueryError",
    "lex_query", "expected_at", "check_query", "ExpectedInput", "LexToken",
    "Node", "Word", "Phrase", "Wildcard", "Fuzzy", "Date", "Level", "Range", "Compare",
    "Field", "And", "Or", "Not", "Boost",
]

# The completion helpers are imported at first use: a search (a one-shot `cablesearch query`)
# needs none of them.
_COMPLETION = ("ExpectedInput", "LexToken", "check_query", "expected_at", "lex_query")


def __getattr__(name: str):
    if name in _COMPLETION:
        from . import completion
        return getattr(completion, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
