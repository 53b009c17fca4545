"""AST -> whoosh.query: each syntax form compiles to the shape the index is built for (brief, QUERY)."""
import pytest
from whoosh import query as wq

from cablesearch.query import QueryError, compile_query, explain, parse_query
from cablesearch.fields import ANY_PARAGRAPH
from cablesearch.query.paragraph import SameParagraph

T = wq.Term
CABLE = wq.Every()  # every cable (anchor of NOT)
PARAGRAPH = T("marking", ANY_PARAGRAPH)  # every paragraph (anchor of NOT inside para:)


def shape(q):
    """A comparable form of a whoosh query (boosts matter)."""
    if isinstance(q, SameParagraph):
        return ("SameParagraph", shape(q.child), q.boost)
    if isinstance(q, wq.Not):
        return ("Not", shape(q.query), q.boost)
    if isinstance(q, wq.compound.CompoundQuery):
        return (type(q).__name__, tuple(shape(s) for s in q.subqueries), q.boost)
    return q


def text(word, *fields):
    """A bare word on subject and body."""
    return wq.Or([T(f, word) for f in (fields or ("subject", "body"))])


COMPILED = [
    ("Belarus", text("belaru")),  # stemmed by fields.TEXT_ANALYZER
    ("rights", text("right")),
    ("a b", wq.And([text("a"), text("b")])),
    ("a OR b", wq.Or([text("a"), text("b")])),
    ('"Embassy Baku"', wq.Or([wq.Phrase("subject", ["embassi", "baku"]), wq.Phrase("body", ["embassi", "baku"])])),
    ('"Aliyev Lukashenko"~10', wq.Or([wq.Phrase("subject", ["aliyev", "lukashenko"], slop=10),
                                      wq.Phrase("body", ["aliyev", "lukashenko"], slop=10)])),
    ('"Belarus"', text("belaru")),
    ("anti-American", wq.Or([wq.Phrase("subject", ["anti", "american"]), wq.Phrase("body", ["anti", "american"])])),
    ("07BAKU595", wq.Or([T("subject", "07baku595"), T("body", "07baku595"), T("id", "07BAKU595")])),
    ("07baku595", wq.Or([T("subject", "07baku595"), T("body", "07baku595"), T("id", "07BAKU595")])),
    ("bel*", wq.Or([wq.Prefix("subject", "bel"), wq.Prefix("body", "bel")])),
    ("B?L*a", wq.Or([wq.Wildcard("subject", "b?l*a"), wq.Wildcard("body", "b?l*a")])),
    ("Lukashenka~1", wq.Or([wq.FuzzyTerm("subject", "lukashenka", maxdist=1, prefixlength=1),
                            wq.FuzzyTerm("body", "lukashenka", maxdist=1, prefixlength=1)])),
    ("*", CABLE),
    # keyword, id and text fields
    ("tag:PHUM", T("tags", "phum")),
    ("tags:phum", T("tags", "phum")),
    ("from:BAKU", T("origin", "baku")),
    ("from:baku", T("origin", "baku")),
    ('from:"Embassy Baku"', T("origin", "embassy baku")),
    ('from:"Embassy  Baku"', T("origin", "embassy baku")),
    ("tag:(PHUM OR PREL)", wq.Or([T("tags", "phum"), T("tags", "prel")])),
    ("tag:PH*", wq.Prefix("tags", "ph")),
    ("tag:*", wq.Every("tags")),
    ("caption:NOFORN", T("captions", "noforn")),
    ("to:STATE info:ANKARA", wq.And([T("to", "state"), T("info", "ankara")])),
    ("ref:07STATE61831", T("refs", "07state61831")),
    ("signer:DERSE", T("signer", "derse")),
    ("id:07baku595", T("id", "07BAKU595")),
    ("id:07BAKU*", wq.Prefix("id", "07BAKU")),
    ("subject:Belarus", T("subject", "belaru")),
    ('subject:"human rights"', wq.Phrase("subject", ["human", "right"])),
    ("body:Lukashenko", T("body", "lukashenko")),
    ("by:Derse", T("classified_by", "ders")),
    ("subject:Belarus^2", T("subject", "belaru", boost=2.0)),
    ("tag:(PHUM OR PREL)^2", wq.Or([T("tags", "phum"), T("tags", "prel")], boost=2.0)),
    ("para:Minsk^2", SameParagraph(T("body", "minsk"), boost=2.0)),
    # dates: partial dates are single key look-ups, ranges unions of year/month/day keys
    ("date:2007", T("year", "2007")),
    ("date:2007-05", T("month", "2007-05")),
    ("date:2007-05-16", T("day", "2007-05-16")),
    ("date:2007-01..2007-06", wq.Or([T("month", f"2007-0{m}") for m in range(1, 7)])),
    ("date:2005..2007", wq.Or([T("year", "2005"), T("year", "2006"), T("year", "2007")])),
    ("date:2007-01..2007-12", T("year", "2007")),
    ("date:2006-11..2008-02", wq.Or([T("month", "2006-11"), T("month", "2006-12"), T("year", "2007"),
                                     T("month", "2008-01"), T("month", "2008-02")])),
    ("date:2007-05-30..2007-06", wq.Or([T("day", "2007-05-30"), T("day", "2007-05-31"), T("month", "2007-06")])),
    ("date:2007-05-02..2007-05-31", wq.TermRange("day", "2007-05-02", "2007-05-31")),
    ("date:1966..2010", wq.TermRange("year", "1966", "2010")),
    ("date:2008..", wq.TermRange("year", "2008", None)),
    ("date:>=2008", wq.TermRange("year", "2008", None)),
    ("date:>2008", wq.TermRange("year", "2009", None)),
    ("date:>=2008-11", wq.Or([T("month", "2008-11"), T("month", "2008-12"), wq.TermRange("year", "2009", None)])),
    ("date:..2005", wq.TermRange("year", None, "2005")),
    ("date:<=2005", wq.TermRange("year", None, "2005")),
    ("date:<2005", wq.TermRange("year", None, "2004")),
    ("date:..2005-02", wq.Or([wq.TermRange("year", None, "2004"), T("month", "2005-01"), T("month", "2005-02")])),
    ("date:<2005-01-03", wq.Or([wq.TermRange("year", None, "2004"), T("day", "2005-01-01"), T("day", "2005-01-02")])),
    ("date:>2007-12-30", wq.Or([T("day", "2007-12-31"), wq.TermRange("year", "2008", None)])),
    # classification
    ("class:SECRET", T("classification", "secret")),
    ("class:S", T("classification", "secret")),
    ('class:"TOP SECRET"', T("classification", "top secret")),
    ("class:SECRET//NOFORN", T("classification", "secret//noforn")),
    ("class:>=SECRET", wq.Or([T("class_level", "2"), T("class_level", "3")])),
    ("class:>SECRET", T("class_level", "3")),
    ("class:<SECRET", wq.Or([T("class_level", "0"), T("class_level", "1")])),
    ("class:<=UNCLASSIFIED", T("class_level", "0")),
    ("class:CONFIDENTIAL..SECRET", wq.Or([T("class_level", "1"), T("class_level", "2")])),
    ("class:C..", wq.Or([T("class_level", "1"), T("class_level", "2"), T("class_level", "3")])),
    # a negation alone is taken from every cable
    ("-tag:PHUM", wq.And([CABLE, wq.Not(T("tags", "phum"))])),
    ("NOT tag:PHUM", wq.And([CABLE, wq.Not(T("tags", "phum"))])),
    ("tag:PREL -tag:PHUM", wq.And([T("tags", "prel"), wq.Not(T("tags", "phum"))])),
    ("-tag:PREL -tag:PHUM", wq.And([CABLE, wq.Not(T("tags", "prel")), wq.Not(T("tags", "phum"))])),
    ("tag:PREL OR -tag:PHUM", wq.Or([T("tags", "prel"), wq.And([CABLE, wq.Not(T("tags", "phum"))])])),
    ("tag:(PHUM -PREL)", wq.And([T("tags", "phum"), wq.Not(T("tags", "prel"))])),
    # paragraph scope
    ("para:(Belarus Lukashenko)",
     SameParagraph(wq.And([T("body", "belaru"), T("body", "lukashenko")]))),
    ("para:(marking:S Lukashenko)",
     SameParagraph(wq.And([T("marking", "s"), T("body", "lukashenko")]))),
    ("para:(marking:S/NF)", SameParagraph(T("marking", "s/nf"))),
    ("para:(Belarus OR Minsk)",
     SameParagraph(wq.Or([T("body", "belaru"), T("body", "minsk")]))),
    ("para:(Belarus -Minsk)",
     SameParagraph(wq.And([T("body", "belaru"), wq.Not(T("body", "minsk"))]))),
    ("para:(-Minsk)", SameParagraph(wq.And([PARAGRAPH, wq.Not(T("body", "minsk"))]))),
    ('para:"human rights"', SameParagraph(wq.Phrase("body", ["human", "right"]))),
    # punctuation-only words are dropped, as a search engine drops punctuation
    ("Belarus &", text("belaru")),
    ("tag:PHUM -&", T("tags", "phum")),
]


@pytest.mark.parametrize("query, expected", COMPILED, ids=[q for q, _ in COMPILED])
def test_each_form_compiles_to_the_contracted_whoosh_query(query, expected):
    assert shape(compile_query(query)) == shape(expected)


@pytest.mark.parametrize("query, expected", COMPILED[:20], ids=[q for q, _ in COMPILED[:20]])
def test_compiling_the_ast_equals_compiling_the_text(query, expected):
    assert shape(compile_query(parse_query(query))) == shape(expected)


COMPILE_ERRORS = [
    ("&", 1, "nothing to search for"),
    ("class:>TOP_SECRET", 7, "bad range"),
    ("class:<U", 7, "bad range"),
    ("date:>9999-12-31", 6, "bad range"),
    ("date:<0001", 6, "bad range"),
    ('tag:"a b"~2', 5, "proximity"),
    ("anti-American~1", 1, "one word"),
]


@pytest.mark.parametrize("query, column, words", COMPILE_ERRORS, ids=[e[0] for e in COMPILE_ERRORS])
def test_what_parses_but_cannot_be_searched_is_a_query_error(query, column, words):
    with pytest.raises(QueryError) as caught:
        compile_query(query)
    assert words in caught.value.message
    assert caught.value.column == column
    assert caught.value.query == query


def test_compile_uses_the_analyzer_of_the_schema_it_is_given():
    from whoosh.analysis import SimpleAnalyzer
    from whoosh.fields import Schema, TEXT
    schema = Schema(subject=TEXT(analyzer=SimpleAnalyzer()), body=TEXT(analyzer=SimpleAnalyzer()))
    assert shape(compile_query("rights", schema)) == shape(text("rights"))


def test_explain_shows_the_reading_the_tree_and_the_whoosh_query():
    out = explain("tag:PHUM and para:(marking:S Lukashenko) date:>=2008")
    assert "read as:  tags:PHUM and para:(marking:S Lukashenko) date:>=2008" in out
    assert "warning:" in out and "'and'" in out
    assert "Field tags  [col 1]" in out
    assert "Word Lukashenko  [col 30]" in out
    assert "SameParagraph(" in out
    assert "Term('body', 'lukashenko')" in out
    assert "TermRange('year', '2008', None" in out


def test_explain_raises_the_query_error_for_a_malformed_query():
    with pytest.raises(QueryError):
        explain("date:2007-13")


def test_an_error_compiling_an_ast_names_the_column_of_the_node():
    node = parse_query("tag:PHUM class:>TOP_SECRET")
    with pytest.raises(QueryError) as caught:
        compile_query(node)
    assert caught.value.column == 16 and caught.value.query is None
    assert str(caught.value) == f"{caught.value.message} (column 16)"


def test_bare_words_search_the_fields_the_field_table_marks_searched_by_default():
    from cablesearch.fields import default_search_fields
    compiled = compile_query("Minsk")
    assert tuple(q.fieldname for q in compiled.subqueries) == default_search_fields()
    assert default_search_fields() == ("subject", "body")  # the QUERY contract with the index


def test_a_bug_in_the_compiler_still_reaches_the_user_as_a_query_error_marked_internal(monkeypatch):
    from cablesearch.query import compiler

    def broken(self, node, ctx):
        raise KeyError("oops")
    monkeypatch.setattr(compiler._Compiler, "compile", broken)
    with pytest.raises(QueryError) as caught:
        compile_query("tag:PHUM")
    error = caught.value
    assert error.internal and error.message.startswith("could not compile the query (KeyError")
    assert error.query == "tag:PHUM" and error.column == 1


def test_a_query_the_compiler_rejects_is_not_marked_internal():
    with pytest.raises(QueryError) as caught:
        compile_query("class:>TOP_SECRET")
    assert not caught.value.internal and "bad range" in caught.value.message
