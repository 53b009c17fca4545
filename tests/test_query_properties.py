"""Property-based tests: canonical text round-trips generated ASTs; no input string crashes the parser."""
import string

from hypothesis import HealthCheck, given, settings, strategies as st

from cablesearch.fields import FIELDS, Kind
from cablesearch.query import (And, Boost, Compare, Date, Field, Fuzzy, Level, Not, Or, Phrase,
                               QueryError, Range, Wildcard, Word, check_query, compile_query,
                               expected_at, lex_query, parse_query)
from cablesearch.query.parser import level_number

# --- generating ASTs -------------------------------------------------------------------------

OPERATOR_WORDS = {"AND", "OR", "NOT"}
word_text = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9./'&-]{0,9}", fullmatch=True).filter(
    lambda w: w not in OPERATOR_WORDS and ".." not in w and level_number(w) is None)
phrase_text = st.text(min_size=1, max_size=15).filter(lambda t: t.strip() and level_number(t) is None)


@st.composite
def wildcards(draw):
    w = draw(word_text)
    at = draw(st.integers(0, len(w)))
    return Wildcard(w[:at] + draw(st.sampled_from(["*", "?"])) + w[at:])


def term_values():
    """Values of a text/keyword field or bare terms."""
    return st.one_of(
        word_text.map(Word),
        st.builds(Phrase, phrase_text, st.one_of(st.none(), st.integers(1, 50))),
        wildcards(),
        st.builds(Fuzzy, word_text.filter(lambda w: "*" not in w and "?" not in w), st.integers(1, 2)),
    )


dates = st.one_of(
    st.builds(Date, st.integers(1, 9999)),
    st.builds(Date, st.integers(1, 9999), st.integers(1, 12)),
    st.dates().map(lambda d: Date(d.year, d.month, d.day)),
)


def _ordered_range(start, end, key):
    if start is not None and end is not None and key(start) > key(end):
        start, end = end, start
    return Range(start, end)


def _date_key(d):
    return (d.year, d.month or 1, d.day or 1)


date_values = st.one_of(
    dates,
    st.builds(lambda a, b: _ordered_range(a, b, _date_key), st.one_of(st.none(), dates), dates),
    st.builds(lambda a: Range(a, None), dates),
    st.builds(Compare, st.sampled_from(["<", "<=", ">", ">="]), dates),
)
levels = st.integers(0, 3).map(Level)
level_values = st.one_of(
    levels,
    st.builds(lambda a, b: _ordered_range(a, b, lambda x: x.level), st.one_of(st.none(), levels), levels),
    st.builds(Compare, st.sampled_from(["<", "<=", ">", ">="]), levels),
    st.sampled_from(["SECRET//NOFORN", "CONFIDENTIAL//NOFORN", "UNCLASSIFIED//FOUO"]).map(Word),
)
factors = st.floats(min_value=0.01, max_value=100, allow_nan=False, allow_infinity=False)


def combine(leaves):
    """And/Or/Not/Boost trees over `leaves`."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
            inner.map(Not),
            st.builds(Boost, inner, factors),
        ),
        max_leaves=6,
    )


plain_fields = [f for f in FIELDS if f.kind in (Kind.KEYWORD, Kind.TEXT, Kind.ID)]
field_nodes = st.one_of(
    st.builds(Field, st.sampled_from([f.name for f in plain_fields]), combine(term_values())),
    st.builds(Field, st.just("date"), combine(date_values)),
    st.builds(Field, st.just("classification"), combine(level_values)),
    st.builds(Field, st.just("para"), combine(st.one_of(
        term_values(), st.builds(Field, st.just("marking"), word_text.map(Word))))),
)
queries = combine(st.one_of(term_values(), field_nodes))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(queries)
def test_canonical_text_parses_back_to_an_equal_ast(node):
    assert parse_query(str(node)) == node


# --- fuzzing ---------------------------------------------------------------------------------

def _assert_ast_or_located_error(text, action):
    try:
        action(text)
    except QueryError as error:
        # the catch-all that turns a bug of ours into "could not read/compile the query" fails here
        assert not error.internal, (text, error.message)
        assert not error.message.startswith(("could not read", "could not compile")), (text, error.message)
        assert 1 <= error.column <= len(text) + 1, (text, error.column, error.message)
        assert error.message and error.query == text
        assert str(error).splitlines()[-1].index("^") == error.column + 1


SPECIAL = '()"\\:^~*?<>-. \t'
query_alphabet = st.sampled_from(list(string.ascii_letters + string.digits + SPECIAL) +
                                 ["AND ", "OR ", "NOT ", "tag:", "date:", "class:", "para:(", "marking:",
                                  "..", ">=", "é", "\u00a0", "\n", "\x00"])
query_like = st.lists(query_alphabet, max_size=30).map("".join)


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=40), query_like))
def test_any_string_gives_an_ast_or_a_located_query_error(text):
    _assert_ast_or_located_error(text, parse_query)
    _assert_ast_or_located_error(text, compile_query)


VALID = [
    'tag:PHUM from:BAKU date:2007-05 "Belarus"',
    "class:>=SECRET (tag:PREL OR tag:PGOV) -caption:SIPDIS",
    'para:(marking:S Lukashenko) "Aliyev Lukashenko"~10 subject:Belarus^2',
    "date:2007-01..2007-06 bel* Lukashenka~1 07BAKU595",
    'from:"Embassy Baku" date:>=2008-03 NOT (a OR b)',
]


@st.composite
def edited_queries(draw):
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(query_alphabet)
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)):]
        else:
            text = text[:at] + piece + text[at + 1:]
    return text


@settings(max_examples=400)
@given(edited_queries())
def test_random_edits_of_valid_queries_give_an_ast_or_a_located_error(text):
    _assert_ast_or_located_error(text, parse_query)
    _assert_ast_or_located_error(text, compile_query)


@settings(max_examples=200)
@given(st.one_of(st.text(max_size=30), query_like, edited_queries()), st.integers(-2, 80))
def test_editor_helpers_never_raise(text, cursor):
    spans = lex_query(text)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    expected = expected_at(text, cursor)
    assert expected.error is None or isinstance(expected.error, QueryError)
    assert expected.error is None or not expected.error.internal, (text, cursor, expected.error.message)
    problem = check_query(text)
    assert problem is None or isinstance(problem, QueryError)
    assert problem is None or not problem.internal, (text, problem.message)
