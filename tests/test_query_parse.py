"""Query text -> AST: each syntax form, field names and aliases, warnings, and named errors."""
import pytest

from cablesearch.query import ast

from cablesearch.fields import FIELDS, Kind
from cablesearch.query import (And, Boost, Compare, Date, Field, Fuzzy, Level, Not, Or, Phrase,
                               QueryError, Range, Wildcard, Word, parse_query,
                               parse_query_with_warnings)

a, b, c = Word("a"), Word("b"), Word("c")

SYNTAX = [
    # words, phrases, boolean structure
    ("Belarus", Word("Belarus")),
    ('"Embassy Baku"', Phrase("Embassy Baku")),
    (r'"say \"hi\" \\ bye"', Phrase('say "hi" \\ bye')),
    ("a b", And((a, b))),
    ("a AND b", And((a, b))),
    ("a b AND c", And((a, b, c))),
    ("a OR b", Or((a, b))),
    ("a OR b c", Or((a, And((b, c))))),
    ("a b OR c", Or((And((a, b)), c))),
    ("(a OR b) c", And((Or((a, b)), c))),
    ("((a))", a),
    ("NOT a", Not(a)),
    ("-a", Not(a)),
    ("a -b", And((a, Not(b)))),
    ("a NOT b", And((a, Not(b)))),
    ("NOT NOT a", Not(Not(a))),
    ("NOT (a OR b)", Not(Or((a, b)))),
    ("a OR NOT b", Or((a, Not(b)))),
    ("ANDROID ORACLE NOTE", And((Word("ANDROID"), Word("ORACLE"), Word("NOTE")))),
    ("10:30", Word("10:30")),
    ("U.S.-Russia", Word("U.S.-Russia")),
    # fields
    ("tag:PHUM", Field("tags", Word("PHUM"))),
    ("TAG:PHUM", Field("tags", Word("PHUM"))),
    ("tag: PHUM", Field("tags", Word("PHUM"))),
    ('from:"Embassy Baku"', Field("origin", Phrase("Embassy Baku"))),
    ("from:baku", Field("origin", Word("baku"))),
    ("tag:(PHUM OR PREL)", Field("tags", Or((Word("PHUM"), Word("PREL"))))),
    ("tag:PHUM from:BAKU", And((Field("tags", Word("PHUM")), Field("origin", Word("BAKU"))))),
    ("-tag:PHUM", Not(Field("tags", Word("PHUM")))),
    ("id:07BAKU595", Field("id", Word("07BAKU595"))),
    ("ref:07STATE61831", Field("refs", Word("07STATE61831"))),
    ("cites:07STATE61831", Field("refs", Word("07STATE61831"))),
    ("by:Derse", Field("classified_by", Word("Derse"))),
    ("caption:NOFORN", Field("captions", Word("NOFORN"))),
    # dates
    ("date:2007", Field("date", Date(2007))),
    ("date:2007-05", Field("date", Date(2007, 5))),
    ("date:2007-5", Field("date", Date(2007, 5))),
    ("date:2007-05-16", Field("date", Date(2007, 5, 16))),
    ('date:"2007-05"', Field("date", Date(2007, 5))),
    ("date:2007-01..2007-06", Field("date", Range(Date(2007, 1), Date(2007, 6)))),
    ("date:2008..", Field("date", Range(Date(2008), None))),
    ("date:..2005-03", Field("date", Range(None, Date(2005, 3)))),
    ("date:>=2008-03", Field("date", Compare(">=", Date(2008, 3)))),
    ("date:<2005", Field("date", Compare("<", Date(2005)))),
    ("date:>2007-05-16", Field("date", Compare(">", Date(2007, 5, 16)))),
    ("date:<=2005", Field("date", Compare("<=", Date(2005)))),
    ("date:(2007 OR 2009)", Field("date", Or((Date(2007), Date(2009))))),
    # classification levels
    ("class:SECRET", Field("classification", Level(2))),
    ("class:secret", Field("classification", Level(2))),
    ("class:>=SECRET", Field("classification", Compare(">=", Level(2)))),
    ('class:>="TOP SECRET"', Field("classification", Compare(">=", Level(3)))),
    ("class:<C", Field("classification", Compare("<", Level(1)))),
    ("class:CONFIDENTIAL..SECRET", Field("classification", Range(Level(1), Level(2)))),
    ("class:SECRET//NOFORN", Field("classification", Word("SECRET//NOFORN"))),
    # wildcards, fuzzy, proximity, boost
    ("bel*", Wildcard("bel*")),
    ("b?l", Wildcard("b?l")),
    ("tag:PH*", Field("tags", Wildcard("PH*"))),
    ("Lukashenka~1", Fuzzy("Lukashenka", 1)),
    ("Lukashenka~", Fuzzy("Lukashenka", 1)),
    ("Lukashenka~2", Fuzzy("Lukashenka", 2)),
    ('"Aliyev Lukashenko"~10', Phrase("Aliyev Lukashenko", 10)),
    ("subject:Belarus^2", Boost(Field("subject", Word("Belarus")), 2.0)),
    ("Belarus^0.5", Boost(Word("Belarus"), 0.5)),
    ('"a b"~3^2', Boost(Phrase("a b", 3), 2.0)),
    ("(a OR b)^3", Boost(Or((a, b)), 3.0)),
    ("tag:(a OR b)^2", Boost(Field("tags", Or((a, b))), 2.0)),
    # reference ids, paragraph scope
    ("07BAKU595", Word("07BAKU595")),
    ("para:(Belarus Lukashenko)", Field("para", And((Word("Belarus"), Word("Lukashenko"))))),
    ("para:(marking:S Lukashenko)",
     Field("para", And((Field("marking", Word("S")), Word("Lukashenko"))))),
    ("para:Lukashenko", Field("para", Word("Lukashenko"))),
]


@pytest.mark.parametrize("text, expected", SYNTAX, ids=[t for t, _ in SYNTAX])
def test_each_syntax_form_parses_to_its_ast(text, expected):
    assert parse_query(text) == expected


@pytest.mark.parametrize("text, expected", SYNTAX, ids=[t for t, _ in SYNTAX])
def test_canonical_string_reads_back_the_same(text, expected):
    assert parse_query(str(parse_query(text))) == expected


@pytest.mark.parametrize("spec", [f for f in FIELDS if f.kind in (Kind.KEYWORD, Kind.TEXT, Kind.ID)],
                         ids=lambda f: f.name)
def test_every_field_name_and_alias_reaches_its_canonical_field(spec):
    for name in (spec.name, *spec.aliases):
        assert parse_query(f"{name}:x") == Field(spec.name, Word("x"))


def test_nodes_carry_their_columns():
    node = parse_query('tag:PHUM "Belarus" date:>=2008')
    field, phrase, date = node.items
    assert (node.column, field.column, field.value.column) == (1, 1, 5)
    assert (phrase.column, phrase.end_column) == (10, 19)
    assert (date.column, date.value.column) == (20, 25)


ERRORS = [
    # (query, column, words the message must contain)
    ("tga:PHUM", 1, "did you mean tag:"),
    ("subjct:Belarus", 1, "did you mean subject:"),
    ("(a b", 1, "unbalanced parentheses"),
    ("a (b (c)", 3, "unbalanced parentheses"),
    ("a b)", 4, "unbalanced parentheses"),
    ('"a b', 1, "unbalanced quotes"),
    ('a "b', 3, "unbalanced quotes"),
    ("tag:", 5, "missing value after 'tag:'"),
    ("(tag:) x", 6, "missing value after 'tag:'"),
    ("tag: OR x", 6, "missing value after 'tag:'"),
    ("date:2007-13", 6, "bad date"),
    ("date:2007-02-30", 6, "February 2007 has 28 days"),
    ("date:May", 6, "bad date"),
    ("date:2007-01..2007-13", 15, "bad date"),
    ("date:2008..2005", 6, "bad range"),
    ("date:..", 6, "bad range"),
    ("date:2007..2008..2009", 6, "bad range"),
    ("date:>=2007..2008", 6, "bad range"),
    ("date:2007*", 6, "wildcards do not work on dates"),
    ("class:>=SECRT", 9, "did you mean SECRET"),
    ("class:C..SECRT", 10, "unknown classification level"),
    ("class:SECERT", 7, "did you mean SECRET?"),
    ("class:top secret", 7, 'class:"TOP SECRET"'),
    ("class:(top secret)", 8, 'class:"TOP SECRET"'),
    ("class:>=FOO", 9, "unknown classification level 'FOO'"),
    ("class:noforn", 7, "a caveat follows the level after //"),
    ("class:SECERT//NOFORN", 7, "did you mean SECRET?"),
    ('class:"SECRET NOFORN"', 8, 'class:"SECRET//NOFORN"'),
    ('tag:PHUM class:"confidentail"', 17, "did you mean CONFIDENTIAL?"),
    ("a OR", 3, "OR needs a term after it"),
    ("OR a", 1, "OR needs a term before it"),
    ("(AND a)", 2, "AND needs a term before it"),
    ("a AND OR b", 7, "cannot follow AND"),
    ("a NOT", 3, "NOT needs a term after it"),
    ("a -", 3, "'-' needs a term after it"),
    ("()", 1, "empty parentheses"),
    ("", 1, "empty"),
    ("   ", 1, "empty"),
    (">=2008", 1, "works only after date: or class:"),
    ("tag:>=PHUM", 5, "works only after date: or class:"),
    ("marking:S", 1, "only inside para:"),
    ("para:(tag:PHUM)", 7, "inside para:"),
    ("para:(para:(x))", 7, "inside para:"),
    ("tag:(from:BAKU)", 6, "cannot go inside"),
    ("x^", 2, "needs a number"),
    ("belarus^1e400", 8, "needs a number"),
    ("^2", 1, "must directly follow a term"),
    ("x^0", 2, "greater than 0"),
    ("x~3", 2, "fuzzy distance"),
    ("bel*~1", 5, "wildcard"),
    ("x~1~2", 4, "must directly follow a word"),
    ('"a b"~', 6, "proximity needs a number"),
    ('"a b"~0', 6, "at least 1"),
    (":x", 1, "':' must follow a field name"),
    ('tag:""', 5, "empty quotes"),
    ("(" * 150 + "a" + ")" * 150, 101, "too many nested parentheses"),
]


@pytest.mark.parametrize("text, column, words", ERRORS, ids=[e[0][:30] or "empty" for e in ERRORS])
def test_malformed_queries_raise_named_errors_at_their_column(text, column, words):
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    error = caught.value
    assert words in error.message
    assert error.column == column
    assert error.query == text


def test_error_text_shows_the_query_with_a_caret_under_the_column():
    with pytest.raises(QueryError) as caught:
        parse_query("tag:PHUM date:2007-13")
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("bad date '2007-13'") and "column 15" in lines[0]
    assert lines[1] == "  tag:PHUM date:2007-13"
    assert lines[2] == "  " + " " * 14 + "^"


def test_a_query_error_is_a_cablesearch_error():
    from cablesearch.errors import CablesearchError
    assert issubclass(QueryError, CablesearchError)


def test_non_text_input_is_a_query_error_not_a_crash():
    with pytest.raises(QueryError):
        parse_query(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("text, word", [
    ("Belarus and Russia", "and"),
    ("Belarus or Russia", "or"),
    ("Belarus Or Russia", "Or"),
    ("Belarus not Russia", "not"),
    ("tag:(PHUM or PREL)", "or"),
    ("not Belarus", "not"),  # NOT may also start a query
])
def test_lower_case_operators_between_terms_warn_how_they_were_read(text, word):
    node, warnings = parse_query_with_warnings(text)
    assert Word(word) in ast.walk(node)  # read as a word, not as an operator
    assert len(warnings) == 1
    assert f"'{word}'" in warnings[0] and "searched as a word" in warnings[0]
    assert word.upper() in warnings[0]


@pytest.mark.parametrize("text", ['"rock and roll"', "and", "Belarus AND Russia", "or Russia",
                                  "Belarus and", "android oracle"])
def test_no_warning_when_and_or_is_not_between_terms(text):
    assert parse_query_with_warnings(text)[1] == []


def test_a_bug_in_the_parser_still_reaches_the_user_as_a_query_error_marked_internal(monkeypatch):
    from cablesearch.query import parser

    def broken(node, ctx, warnings):
        raise AttributeError("oops")
    monkeypatch.setattr(parser, "_resolve", broken)
    with pytest.raises(QueryError) as caught:
        parse_query("tag:PHUM")
    error = caught.value
    assert error.internal and error.message.startswith("could not read the query (AttributeError")
    assert error.query == "tag:PHUM" and error.column == 1


def test_errors_in_the_query_are_not_marked_internal():
    with pytest.raises(QueryError) as caught:
        parse_query("class:SECERT")
    assert not caught.value.internal
