"""The cable query language: text -> AST (grammar/cables.lark via Lark) -> whoosh.query.

    >>> compile_query('tag:PHUM from:BAKU date:2007-05')
    And([Term('tags', 'phum'), Term('origin', 'baku'), Term('month', '2007-05')])
"""
from .ast import (And, Boost, Compare, Date, Field, Fuzzy, Level, Node, Not, Or, Phrase, Range,
                  Wildcard, Word)
from .compiler import compile_query
from .completion import ExpectedInput, LexToken, check_query, expected_at, lex_query
from .explain import explain
from .parser import QueryError, parse_query, parse_query_with_warnings

__all__ = [
    "parse_query", "parse_query_with_warnings", "compile_query", "explain", "QueryError",
    "lex_query", "expected_at", "check_query", "ExpectedInput", "LexToken",
    "Node", "Word", "Phrase", "Wildcard", "Fuzzy", "Date", "Level", "Range", "Compare",
    "Field", "And", "Or", "Not", "Boost",
]
