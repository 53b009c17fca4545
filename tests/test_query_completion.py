"""The REPL helpers: highlighting tokens, what the grammar accepts at the cursor, checking a query."""
import pytest

from cablesearch.query import QueryError, check_query, expected_at, lex_query


def spans(text):
    return [(t.type, text[t.start:t.end]) for t in lex_query(text)]


def test_lex_query_names_every_piece_of_a_query():
    assert spans('tag:PHUM "a b" AND -c (d) date:>=2008 x^2 y~1 OR NOT z') == [
        ("FIELD", "tag:"), ("WORD", "PHUM"), ("PHRASE", '"a b"'), ("AND", "AND"), ("MINUS", "-"),
        ("WORD", "c"), ("LPAR", "("), ("WORD", "d"), ("RPAR", ")"), ("FIELD", "date:"), ("CMP", ">="),
        ("WORD", "2008"), ("WORD", "x"), ("BOOST", "^2"), ("WORD", "y"), ("TILDE", "~1"), ("OR", "OR"),
        ("NOT", "NOT"), ("WORD", "z")]


def test_lex_query_marks_unknown_fields_stray_characters_and_open_quotes():
    assert spans("tga:x ^ : a") == [("UNKNOWN_FIELD", "tga:"), ("WORD", "x"), ("ERROR", "^"),
                                    ("ERROR", ":"), ("WORD", "a")]
    assert spans('from:"Embassy B') == [("FIELD", "from:"), ("UNCLOSED_PHRASE", '"Embassy B')]


def test_lex_query_tokens_are_3_tuples_of_type_start_end():
    kind, start, end = lex_query("tag:PHUM")[0]
    assert (kind, start, end) == ("FIELD", 0, 4)


@pytest.mark.parametrize("text, kinds, field, partial", [
    ("", {"term", "field", "not", "open_paren", "end"}, None, ""),
    ("ta", {"term", "field", "not", "open_paren", "end"}, None, "ta"),
    ("tag:", {"value", "open_paren"}, "tags", ""),
    ("tag:PH", {"value", "open_paren"}, "tags", "PH"),
    ("from:ba", {"value", "open_paren"}, "origin", "ba"),
    ('from:"Embassy B', {"value", "open_paren"}, "origin", '"Embassy B'),
    ("tag:(PHUM OR PR", {"value", "not", "open_paren"}, "tags", "PR"),
    ("date:", {"value", "comparison", "open_paren"}, "date", ""),
    ("class:>=", {"value"}, "classification", ""),
    ("tag:PHUM ", {"term", "field", "operator", "not", "open_paren", "modifier", "end"}, None, ""),
    ("(a ", {"term", "field", "operator", "not", "open_paren", "close_paren", "modifier"}, None, ""),
    ("a OR ", {"term", "field", "not", "open_paren"}, None, ""),
])
def test_expected_at_says_what_the_grammar_accepts_at_the_cursor(text, kinds, field, partial):
    expected = expected_at(text)
    assert expected.error is None
    assert expected.kinds == kinds
    assert expected.field == field
    assert expected.partial == partial
    assert text[expected.start:] == partial


def test_expected_at_offers_field_names_that_complete_the_partial_word():
    assert expected_at("ta").fields == ("tag", "tags")
    assert "marking" not in expected_at("").fields
    inside = expected_at("para:(Lukashenko ma")
    assert inside.in_paragraph and inside.fields == ("marking",)
    assert expected_at("para:(marking:").field == "marking"


def test_expected_at_uses_the_cursor_not_the_end_of_the_text():
    expected = expected_at("tag:PH from:BAKU", 6)
    assert (expected.field, expected.partial, expected.start) == ("tags", "PH", 4)


def test_expected_at_gives_the_value_prefix_without_the_quote():
    assert expected_at('from:"Embassy B').prefix == "Embassy B"


@pytest.mark.parametrize("text, words", [("tga:x", "did you mean tag:"), ("a ^", "boost"),
                                         ("a OR OR", "cannot follow OR")])
def test_expected_at_reports_a_broken_prefix_as_an_error(text, words):
    expected = expected_at(text)
    assert expected.kinds == frozenset()
    assert words in expected.error.message


def test_check_query_returns_the_error_or_none():
    assert check_query("tag:PHUM date:2007-05") is None
    problem = check_query("tag:PHUM date:2007-13")
    assert isinstance(problem, QueryError) and problem.column == 15
    assert check_query("class:>TOP_SECRET").message.startswith("bad range")  # found when compiling
