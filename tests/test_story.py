"""Following a story on a hand-made index: cited-by:, graphs (with a cycle and a dangling id),
threads, similar cables, their output formats (DOT and GraphML escaping), the CLI and the REPL.

The cables are built here: 07BAKU1 -> 07BAKU3 -> 07BAKU2 -> 07BAKU1 is a cycle of citations,
07BAKU3 also cites 07STATE99 (not in the index), 07ANKARA5 cites 07BAKU2 as its only reference.
Subjects hold quotes, backslashes, a line break, markup characters and a form feed.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from whoosh import query as wq

from cablesearch import CableIndex, presenters
from cablesearch.cli import main
from cablesearch.model import Cable, Paragraph, Reference
from cablesearch.query import QueryError, compile_query
from cablesearch.query.citations import CitedBy, resolve_cited_by
from cablesearch.results import CitationGraph, GraphEdge, GraphNode, hit_snippets, excerpt, lead, SNIPPETS_PER_HIT

TRICKY = 'SOCAR says "no" to C:\\TEMP <tariffs> & \'more\'\nsecond line\x0c'
FILLER_WORDS = "government minister meeting embassy official said week report discussed".split()


def cable(rid: str, day: int, subject: str, paragraphs: list[str], refs=(), tags=("ENRG", "AJ"),
          origin: str = "BAKU") -> Cable:
    return Cable(reference_id=rid, created=datetime(2007, 3, day, 12, tzinfo=timezone.utc), origin=origin,
                 classification="CONFIDENTIAL", tags=tuple(tags), subject=subject,
                 references=tuple(Reference(label, f"{origin} {rid}", target) for label, target in refs),
                 paragraphs=tuple(Paragraph(i + 1, "C", text) for i, text in enumerate(paragraphs)),
                 body="\n\n".join(paragraphs), raw=subject)


CABLES = [
    cable("07BAKU1", 1, "Caspian pipeline talks with SOCAR", [
        "SOCAR and the consortium discussed the Caspian pipeline tariff in Baku.",
        "As REF A said, the tariff dispute over the pipeline is unresolved."], refs=[("A", "07BAKU3")]),
    cable("07BAKU2", 5, "Pipeline tariff dispute continues", [
        "The pipeline tariff talks with SOCAR stalled again this week.",
        "Per ref a, the consortium has asked for arbitration over the Caspian tariff."],
        refs=[("A", "07BAKU1")]),
    cable("07BAKU3", 9, TRICKY, [
        "SOCAR rejected the consortium tariff offer for the Caspian pipeline.",
        "The dispute (REFS A AND B) goes to arbitration; BAKU 2 reported the first round."],
        refs=[("A", "07BAKU2"), ("B", "07STATE99")]),
    cable("07ANKARA5", 12, "Turkish view of the Caspian pipeline", [
        "Ankara follows the tariff dispute closely.",
        "As reported in reftel, Turkish officials back the consortium."],
        refs=[("", "07BAKU2")], tags=("ENRG", "TU"), origin="ANKARA"),
    cable("07RIGA9", 20, "Latvian fisheries quota", ["Quota for herring and sprat was set."],
          tags=("EFIS", "LG"), origin="RIGA"),
] + [cable(f"07FILLER{i}", 1 + i % 27, f"Routine report {i}", [" ".join(FILLER_WORDS[: 3 + i % 7])],
           tags=("PREL", "PGOV"), origin="ROME") for i in range(100)]


@pytest.fixture(scope="module")
def story_index(tmp_path_factory):
    path = tmp_path_factory.mktemp("story") / "index"
    with CableIndex.create(path) as index:
        index.add(CABLES, procs=1)
    index = CableIndex.open(path)
    yield index
    index.close()


def ids(results) -> set[str]:
    return {hit.id for hit in results.hits}


# --- cited-by: ------------------------------------------------------------------------------------

def test_cited_by_compiles_to_a_placeholder_the_index_resolves():
    assert compile_query("cited-by:07baku595") == CitedBy("07BAKU595")
    with pytest.raises(QueryError, match="takes a reference id"):
        compile_query("cited-by:07BAKU*")
    with pytest.raises(QueryError, match="unknown field 'foo-bar:'"):
        compile_query("foo-bar:x")
    lookup = {"A1": ["B2", "C3"], "E5": []}.get
    resolved = resolve_cited_by(compile_query("cited-by:A1 from:STATE"), lookup)
    assert resolved == wq.And([wq.Or([wq.Term("id", "B2"), wq.Term("id", "C3")]), wq.Term("origin", "state")])
    assert resolve_cited_by(compile_query("cited-by:E5 from:STATE"), lookup) is wq.NullQuery
    assert resolve_cited_by(compile_query("cited-by:E5 OR from:STATE"), lookup) == wq.Term("origin", "state")
    assert resolve_cited_by(compile_query("from:STATE -cited-by:E5"), lookup) == wq.And([wq.Term("origin", "state")])
    plain = compile_query("from:STATE")
    assert resolve_cited_by(plain, lookup) is plain


def test_cited_by_searches(story_index):
    assert ids(story_index.search("cited-by:07BAKU3")) == {"07BAKU2"}  # 07STATE99 is not indexed
    assert ids(story_index.search("cited-by:07baku3 OR cited-by:07ANKARA5")) == {"07BAKU2"}
    assert ids(story_index.search("cites:07BAKU2")) == {"07BAKU3", "07ANKARA5"}
    assert ids(story_index.search("cites:07BAKU2 from:ANKARA")) == {"07ANKARA5"}
    assert ids(story_index.search("cites:07BAKU2 -from:ANKARA")) == {"07BAKU3"}
    assert ids(story_index.search("tariff -cited-by:07BAKU3")) == {"07BAKU1", "07BAKU3", "07ANKARA5"}
    assert story_index.search("cited-by:07RIGA9").total == 0
    with pytest.raises(QueryError, match="resolved by CableIndex.search"):
        CitedBy("07BAKU1").matcher(None)


# --- the graph ------------------------------------------------------------------------------------

def edges(graph) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in graph.edges}


def test_graph_depth_direction_cycle_and_dangling(story_index):
    one = story_index.graph("07BAKU3", depth=1, direction="cites")
    assert edges(one) == {("07BAKU3", "07BAKU2"), ("07BAKU3", "07STATE99")}
    assert {n.id: n.in_index for n in one.nodes} == {"07BAKU3": True, "07BAKU2": True, "07STATE99": False}
    assert {e.target: e.label for e in one.edges} == {"07BAKU2": "A", "07STATE99": "B"}
    back = story_index.graph("07BAKU2", depth=1, direction="cited-by")
    assert edges(back) == {("07BAKU3", "07BAKU2"), ("07ANKARA5", "07BAKU2")}
    # the cycle 1 -> 3 -> 2 -> 1, walked as far as asked: each cable once
    around = story_index.graph("07BAKU1", depth=10, direction="cites")
    assert [n.id for n in around.nodes] == ["07BAKU1", "07BAKU3", "07BAKU2", "07STATE99"]
    assert [n.depth for n in around.nodes] == [0, 1, 2, 2]
    assert edges(around) == {("07BAKU1", "07BAKU3"), ("07BAKU3", "07BAKU2"), ("07BAKU2", "07BAKU1"),
                             ("07BAKU3", "07STATE99")}
    both = story_index.graph("07BAKU1", depth=10)
    assert {n.id for n in both.nodes} == {"07BAKU1", "07BAKU2", "07BAKU3", "07STATE99", "07ANKARA5"}
    assert story_index.graph("07BAKU1", depth=0).nodes == (both.nodes[0],) and not story_index.graph(
        "07BAKU1", depth=0).edges
    limited = story_index.graph("07BAKU1", depth=10, max_nodes=2)
    assert len(limited.nodes) == 2 and limited.truncated


def test_graph_with_a_query_and_of_a_dangling_id(story_index):
    kept = story_index.graph("07BAKU2", depth=3, query="from:BAKU")
    assert {n.id for n in kept.nodes} == {"07BAKU1", "07BAKU2", "07BAKU3"}  # no ANKARA, no dangling
    dangling = story_index.graph("07state99", depth=2, direction="cited-by")
    assert dangling.root == "07STATE99" and not dangling.node("07STATE99").in_index
    assert edges(dangling) == {("07BAKU3", "07STATE99"), ("07BAKU1", "07BAKU3")}
    with pytest.raises(Exception, match="unknown direction"):
        story_index.graph("07BAKU1", direction="sideways")


# --- output formats -------------------------------------------------------------------------------

def tricky_graph() -> CitationGraph:
    return CitationGraph("07BAKU3", 1, "cites", None,
                         (GraphNode("07BAKU3", True, 0, datetime(2007, 3, 9, tzinfo=timezone.utc), "BAKU",
                                    "CONFIDENTIAL", TRICKY),
                          GraphNode('07"Q\\1', False, 1)),
                         (GraphEdge("07BAKU3", '07"Q\\1', 'A"\\'),))


def dot_unescape(text: str) -> str:
    assert text.startswith('"') and text.endswith('"')
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text[1:-1])


def test_dot_escapes_quotes_backslashes_and_line_breaks():
    pydot = pytest.importorskip("pydot", reason="pydot is a test dependency (pip install -e '.[test]')")
    text = presenters.graph_dot(tricky_graph())
    (dot,) = pydot.graph_from_dot_data(text)
    nodes = {dot_unescape(n.get_name()): n for n in dot.get_nodes() if n.get_name() not in ("node", "graph", "edge")}
    assert set(nodes) == {"07BAKU3", '07"Q\\1'}
    assert dot_unescape(nodes["07BAKU3"].get("subject")) == TRICKY.replace("\x0c", "")
    assert nodes['07"Q\\1'].get("style") == "dashed"
    (edge,) = dot.get_edges()
    assert (dot_unescape(edge.get_source()), dot_unescape(edge.get_destination())) == ("07BAKU3", '07"Q\\1')
    assert dot_unescape(edge.get("label")) == 'A"\\'


def test_graphml_escapes_markup_and_drops_control_characters():
    nx = pytest.importorskip("networkx", reason="networkx is a test dependency (pip install -e '.[test]')")
    text = presenters.graph_graphml(tricky_graph())
    ET.fromstring(text.split("\n", 1)[1])  # well-formed XML
    read = nx.read_graphml(io.BytesIO(text.encode("utf-8")))
    assert read.nodes["07BAKU3"]["subject"] == TRICKY.replace("\x0c", "")
    assert read.nodes['07"Q\\1']["in_index"] is False
    assert read.edges["07BAKU3", '07"Q\\1']["label"] == 'A"\\'


def test_json_and_text_of_a_graph(story_index):
    graph = story_index.graph("07BAKU1", depth=2)
    doc = presenters.graph_dict(graph)
    assert {(e["source"], e["target"]) for e in doc["edges"]} == edges(graph)
    assert {n["id"] for n in doc["nodes"] if not n["in_index"]} == {"07STATE99"}
    text = presenters.render_text(presenters.graph_fragments(graph))
    lines = text.splitlines()
    assert lines[0].startswith("07BAKU1  2007-03-01")
    assert any("→ cites 07BAKU3" in line for line in lines)
    assert any("← cited by 07BAKU2" in line for line in lines)
    assert any("07STATE99  (not in the index)" in line for line in lines)
    assert len([line for line in lines if "─ " in line]) == len(graph.nodes) - 1  # each cable once


# --- threads and similar --------------------------------------------------------------------------

def test_thread_in_date_order_with_citing_paragraphs(story_index):
    thread = story_index.thread("07BAKU2")
    assert [e.id for e in thread.entries] == ["07BAKU1", "07BAKU2", "07BAKU3", "07ANKARA5"]
    assert thread.missing == ("07STATE99",)
    links = {(e.id, link.id): link for e in thread.entries for link in e.cites}
    assert set(links) == {("07BAKU1", "07BAKU3"), ("07BAKU2", "07BAKU1"), ("07BAKU3", "07BAKU2"),
                          ("07ANKARA5", "07BAKU2")}
    assert links["07BAKU1", "07BAKU3"].paragraph.paragraph == 2        # "As REF A said"
    assert links["07BAKU2", "07BAKU1"].paragraph.paragraph == 2        # "Per ref a"
    assert links["07BAKU3", "07BAKU2"].paragraph.paragraph == 2        # "(REFS A AND B)"
    assert links["07ANKARA5", "07BAKU2"].paragraph.paragraph == 2      # the only reference: "reftel"
    snippet = links["07BAKU3", "07BAKU2"].paragraph
    start, end = snippet.matches[0]
    assert snippet.text[start:end].upper().startswith("REFS A AND B")
    text = presenters.render_text(presenters.thread_fragments(thread))
    assert text.index("07BAKU1") < text.index("07BAKU3") and "cites 07BAKU2 (REF A)" in text


def test_similar_ranks_by_shared_characteristic_words(story_index):
    similar = story_index.similar("07BAKU2", limit=5)
    found = [item.hit.id for item in similar.hits]
    assert "07BAKU2" not in found and "07RIGA9" not in found
    assert set(found[:3]) == {"07BAKU1", "07BAKU3", "07ANKARA5"}
    words = {t.word for t in similar.terms}
    assert {"tariff", "socar", "caspian"} <= words
    for item in similar.hits:
        assert set(item.words) <= words and item.words
    within = story_index.similar("07BAKU2", "from:ANKARA")
    assert [item.hit.id for item in within.hits] == ["07ANKARA5"] and within.query == "from:ANKARA"
    assert story_index.similar("07NOWHERE1") is None


# --- the CLI and the REPL -------------------------------------------------------------------------

@pytest.fixture()
def cli(story_index, capsys, isolated_home, monkeypatch):
    monkeypatch.chdir(isolated_home)

    def run(*argv: str) -> tuple[int, str, str]:
        status = main(["--index", str(story_index.path), *argv])
        out, err = capsys.readouterr()
        return status, out, err
    return run


def test_cli_refs_graph_formats_and_exit_codes(cli):
    status, out, err = cli("refs", "07BAKU1", "--depth", "2", "--format", "json")
    assert status == 0 and err == ""
    assert {(e["source"], e["target"]) for e in json.loads(out)["edges"]} >= {("07BAKU1", "07BAKU3")}
    status, out, _ = cli("refs", "07BAKU1", "--depth", "2", "--format", "dot")
    assert status == 0 and out.startswith("digraph citations {") and '"07BAKU1" -> "07BAKU3"' in out
    status, out, _ = cli("refs", "07BAKU1", "--direction", "cites", "--format", "graphml")
    assert status == 0 and "<graphml" in out
    status, out, _ = cli("refs", "07BAKU1", "--depth", "2", "--query", "from:ANKARA")
    assert status == 1 and "07ANKARA5" not in out  # not reached through ANKARA cables alone
    status, out, err = cli("refs", "07NOWHERE1", "--depth", "2")
    assert status == 1 and "07NOWHERE1 is not in the index" in err
    status, _, err = cli("refs", "07BAKU1", "--direction", "sideways")
    assert status == 2 and "invalid choice" in err
    status, out, _ = cli("refs", "07BAKU3")  # the one-hop listing stays as it was
    assert status == 0 and "07BAKU3 cites (2)" in out and "07STATE99" in out


@pytest.mark.parametrize("command", ["similar", "thread", "refs"])
def test_new_subcommands_have_help_with_examples(capsys, command):
    status = main([command, "--help"])
    out = capsys.readouterr().out
    assert status == 0 and "examples:" in out and f"cablesearch {command} 07BAKU595" in out


def test_cli_similar_and_thread(cli):
    status, out, _ = cli("similar", "07BAKU2", "--format", "json")
    doc = json.loads(out)
    assert status == 0 and doc["hits"] and all(h["shared_words"] for h in doc["hits"])
    status, out, _ = cli("similar", "07BAKU2", "--", "-from:BAKU")
    assert status == 0 and "07ANKARA5" in out and "07BAKU1" not in out and "shares:" in out
    status, _, err = cli("similar", "07NOWHERE1")
    assert status == 1 and "no cable 07NOWHERE1" in err
    status, _, err = cli("similar", "07BAKU2", "tag:(")
    assert status == 2 and "cablesearch:" in err and "Traceback" not in err
    status, out, _ = cli("thread", "07BAKU2", "--format", "json")
    assert status == 0 and [e["id"] for e in json.loads(out)["entries"]][0] == "07BAKU1"
    status, out, err = cli("thread", "07RIGA9")
    assert status == 1 and "no indexed cable cites or is cited by 07RIGA9" in err


def test_repl_similar_refs_depth_and_thread(story_index):
    from prompt_toolkit.history import InMemoryHistory

    from cablesearch.repl import Repl
    out, err = io.StringIO(), io.StringIO()
    repl = Repl(story_index, out=out, err=err, history=InMemoryHistory(), pager=out.write, colour=False)
    status = repl.run_lines(io.StringIO("pipeline tariff\n:similar 1\n:refs 07BAKU1 --depth 2\n"
                                        ":thread 07BAKU2\n:refs 07BAKU1 --direction sideways\n"))
    printed = out.getvalue()
    assert "like 07BAKU" in printed and "shares:" in printed
    assert "→ cites 07BAKU3" in printed
    assert "thread of 07BAKU2" in printed
    assert status == 2 and "--direction is one of cites, cited-by, both" in err.getvalue()


def test_cited_by_completes_reference_ids_and_commands_complete_cables(story_index):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from cablesearch.repl import CableCompleter
    completer = CableCompleter(story_index.values)

    def complete(text: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(text, len(text)), CompleteEvent())]
    assert "cited-by:" in complete("tag:ENRG cited")
    assert set(complete("cited-by:07BA")) == {"07BAKU1", "07BAKU2", "07BAKU3"}
    assert "07ANKARA5" in complete(":similar 07AN") and "07ANKARA5" in complete(":thread 07an")
    assert complete(":refs 07BAKU1 --direction c") == ["cites", "cited-by"]


def test_repl_does_not_import_the_cli():
    code = "import sys, cablesearch.repl; print('cablesearch.cli' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- snippets: only paragraphs that can make the best three are cut -----------------------------

def _all_paragraph_snippets(record, text_terms, subject_terms, exact=(), para_terms=frozenset()):
    """hit_snippets as it was: an excerpt of every paragraph, then the best three."""
    from cablesearch.results import _paragraphs
    candidates = []
    for order, (number, marking, text) in enumerate(_paragraphs(record)):
        terms = text_terms | para_terms if order in exact else text_terms
        snippet = excerpt(text, terms, paragraph=number, marking=marking)
        if snippet is None and order in exact:
            snippet = lead(text, paragraph=number, marking=marking)
        if snippet is not None:
            candidates.append((order not in exact, -len(snippet.matches), order, snippet))
    if candidates:
        best = sorted(candidates, key=lambda c: c[:3])[:SNIPPETS_PER_HIT]
        return tuple(c[3] for c in sorted(best, key=lambda c: c[2]))
    return None


def test_pruned_snippets_equal_excerpting_every_paragraph(fixture_cables):
    import random

    from cablesearch.fields import analyse_words
    rng = random.Random(3)
    for cable_ in fixture_cables + CABLES:
        record = cable_.to_dict()
        words = sorted({w for p in cable_.paragraphs for w in analyse_words(p.text)} | {"nowher"})
        for _ in range(5):
            terms = frozenset(rng.sample(words, min(len(words), rng.choice([1, 3, 10, 25]))))
            exact = set(rng.sample(range(len(cable_.paragraphs)), min(1, len(cable_.paragraphs)))) \
                if rng.random() < 0.3 else set()
            expected = _all_paragraph_snippets(record, terms, frozenset(), exact)
            if expected is not None:
                assert hit_snippets(record, terms, frozenset(), exact) == expected
