"""Following a story over the real corpus: cited-by:, the citation graph, threads, similar cables.

The oracle is the parsed records themselves (conftest's `real_corpus`): who cites whom is read
off each cable's REF line in Python and compared with what the index answers.
"""
from __future__ import annotations

import random
import re
from collections import deque
from pathlib import Path

import pytest

from cablesearch import presenters
from cablesearch.fields import analyse_words, paragraph_texts

CABLES_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "cables"

pytestmark = pytest.mark.skipif(not CABLES_DIR.is_dir(), reason=f"real corpus folder {CABLES_DIR} is absent")


class Oracle:
    """The citation graph as the parsed records give it."""

    def __init__(self, cables: dict):
        self.cables = cables
        self.cites = {rid: {r.id for r in c.references if r.id} for rid, c in cables.items()}
        self.cited_by: dict[str, set[str]] = {}
        for rid, cited in self.cites.items():
            for other in cited:
                self.cited_by.setdefault(other, set()).add(rid)

    def neighbours(self, rid: str, direction: str) -> set[tuple[str, str]]:
        """Edges (citing, cited) at `rid`: from its REF line when indexed, and from those citing it."""
        edges = set()
        if direction in ("cites", "both"):
            edges |= {(rid, other) for other in self.cites.get(rid, ())}
        if direction in ("cited-by", "both"):
            edges |= {(other, rid) for other in self.cited_by.get(rid, ())}
        return edges

    def bfs(self, root: str, depth: int, direction: str) -> tuple[dict[str, int], set[tuple[str, str]]]:
        """Node -> hops, and every edge met while expanding nodes under `depth` hops."""
        seen, edges = {root: 0}, set()
        queue = deque([root])
        while queue:
            rid = queue.popleft()
            if seen[rid] == depth:
                continue
            for edge in self.neighbours(rid, direction):
                edges.add(edge)
                other = edge[1] if edge[0] == rid else edge[0]
                if other not in seen:
                    seen[other] = seen[rid] + 1
                    queue.append(other)
        return seen, edges


@pytest.fixture(scope="module")
def corpus(real_corpus):
    return real_corpus.index, Oracle(real_corpus.latest())


def ids_of(results) -> set[str]:
    return {hit.id for hit in results.hits}


def everything(index, query) -> set[str]:
    return ids_of(index.search(query, limit=10_000, facets=()))


# --- cited-by: ------------------------------------------------------------------------------------

def test_cited_by_finds_exactly_the_indexed_cables_on_the_ref_line_of_every_record(corpus):
    index, oracle = corpus
    checked = 0
    for rid, cited in oracle.cites.items():
        if not cited:
            continue
        expected = {other for other in cited if other in oracle.cables}
        assert everything(index, f"cited-by:{rid}") == expected, rid
        checked += 1
    assert checked > 3000


def test_cited_by_combines_with_the_rest_of_the_language(corpus):
    index, oracle = corpus
    hubs = sorted(oracle.cited_by, key=lambda rid: (-len(oracle.cited_by[rid]), rid))[:15]
    state = {rid for rid, c in oracle.cables.items() if c.origin == "STATE"}
    for hub in hubs:
        citing = {rid for rid in oracle.cited_by[hub] if rid in oracle.cables}
        assert everything(index, f"cites:{hub} from:STATE") == citing & state
        assert everything(index, f"cites:{hub} -from:STATE") == citing - state
    citers = sorted((rid for rid, cited in oracle.cites.items() if len(cited) >= 3), key=lambda r: r)[:15]
    for rid in citers:
        cited = {other for other in oracle.cites[rid] if other in oracle.cables}
        year = {other for other in cited if oracle.cables[other].year == 2008}
        assert everything(index, f"cited-by:{rid} date:2008") == year
        assert everything(index, f"cited-by:{rid} OR id:{rid}") == cited | {rid}
        assert everything(index, f"(cited-by:{rid} OR cites:{rid}) NOT date:2008") == \
            (cited | {r for r in oracle.cited_by.get(rid, ()) if r in oracle.cables}) - \
            {r for r in oracle.cables if oracle.cables[r].year == 2008}
    # a cable outside the index cites nothing the index knows of
    assert everything(index, "cited-by:99NOWHERE123") == set()
    assert len(everything(index, "NOT cited-by:99NOWHERE123")) == len(oracle.cables)


# --- the graph ------------------------------------------------------------------------------------

def test_graph_edges_equal_the_parsed_references_of_every_record(corpus):
    index, oracle = corpus
    for rid, cited in oracle.cites.items():
        if not cited:
            continue
        graph = index.graph(rid, depth=1, direction="cites")
        assert {(e.source, e.target) for e in graph.edges} == {(rid, other) for other in cited}, rid
        assert {n.id: n.in_index for n in graph.nodes} == \
            {rid: True, **{other: other in oracle.cables for other in cited if other != rid}}


def test_cited_by_graph_of_every_cited_cable(corpus):
    index, oracle = corpus
    cited = sorted(rid for rid in oracle.cited_by if rid in oracle.cables)
    dangling = sorted(rid for rid in oracle.cited_by if rid not in oracle.cables)
    roots = cited + random.Random(10).sample(dangling, 300) + random.Random(10).sample(sorted(oracle.cables), 200)
    assert len(cited) > 1000
    for rid in roots:
        graph = index.graph(rid, depth=1, direction="cited-by")
        expected = {(other, rid) for other in oracle.cited_by.get(rid, ()) if other in oracle.cables}
        assert {(e.source, e.target) for e in graph.edges} == expected, rid
        assert graph.node(rid).in_index == (rid in oracle.cables)


def _roots(oracle, count: int) -> list[str]:
    """The indexed cables with the most references either way (the ones worth walking)."""
    degree = {rid: len(oracle.cites[rid]) + len(oracle.cited_by.get(rid, ())) for rid in oracle.cables}
    return sorted(degree, key=lambda rid: (-degree[rid], rid))[:count]


@pytest.mark.parametrize("direction", ["cites", "cited-by", "both"])
@pytest.mark.parametrize("depth", [0, 2, 3])
def test_graph_depth_and_direction_match_a_breadth_first_walk_of_the_records(corpus, direction, depth):
    index, oracle = corpus
    for root in _roots(oracle, 6):
        graph = index.graph(root, depth=depth, direction=direction)
        hops, edges = oracle.bfs(root, depth, direction)
        assert {n.id: n.depth for n in graph.nodes} == hops, root
        assert {(e.source, e.target) for e in graph.edges} == edges, root
        assert {n.id for n in graph.nodes if not n.in_index} == {rid for rid in hops if rid not in oracle.cables}
        assert graph.nodes[0].id == root and not graph.truncated


def test_graph_walks_cycles_once(corpus):
    index, oracle = corpus
    # a root whose neighbourhood holds a cycle (undirected): more edges than a tree of its nodes
    for root in _roots(oracle, 60):
        hops, edges = oracle.bfs(root, 4, "both")
        if len(edges) >= len(hops):
            break
    else:
        pytest.fail("no cycle among the most connected cables")
    graph = index.graph(root, depth=4, direction="both")
    ids = [n.id for n in graph.nodes]
    assert len(ids) == len(set(ids)) == len(hops)
    assert len(graph.edges) == len({(e.source, e.target) for e in graph.edges}) == len(edges)
    assert len(graph.edges) >= len(graph.nodes)  # the cycle is there, walked once


def test_graph_with_a_query_keeps_only_matching_cables(corpus):
    index, oracle = corpus
    for root in _roots(oracle, 5):
        graph = index.graph(root, depth=2, direction="both", query="date:2008")
        matching = {rid for rid, c in oracle.cables.items() if c.year == 2008}
        assert all(n.id in matching for n in graph.nodes if n.id != root)
        assert all(n.in_index for n in graph.nodes if n.id != root)
        # what the walk reaches through matching cables only
        seen, frontier = {root}, [root]
        for _ in range(2):
            nxt = []
            for rid in frontier:
                for a, b in oracle.neighbours(rid, "both"):
                    other = b if a == rid else a
                    if other not in seen and other in matching:
                        seen.add(other)
                        nxt.append(other)
            frontier = nxt
        assert {n.id for n in graph.nodes} == seen


def test_graph_of_a_dangling_id_lists_what_cites_it(corpus):
    index, oracle = corpus
    dangling = sorted((rid for rid in oracle.cited_by if rid not in oracle.cables),
                      key=lambda rid: (-len(oracle.cited_by[rid]), rid))[0]
    graph = index.graph(dangling, depth=1)
    assert not graph.node(dangling).in_index
    assert {e.source for e in graph.edges} == {r for r in oracle.cited_by[dangling] if r in oracle.cables}


def test_graphml_reads_back_in_networkx(corpus):
    nx = pytest.importorskip("networkx", reason="networkx is a test dependency (pip install -e '.[test]')")
    index, oracle = corpus
    root = _roots(oracle, 1)[0]
    graph = index.graph(root, depth=2, direction="both")
    read = nx.read_graphml(_write(presenters.graph_graphml(graph)))
    assert read.is_directed()
    assert set(read.nodes) == {n.id for n in graph.nodes}
    assert set(read.edges) == {(e.source, e.target) for e in graph.edges}
    for node in graph.nodes:
        data = read.nodes[node.id]
        assert data["in_index"] is node.in_index and data["depth"] == node.depth
        assert data.get("subject", "") == presenters._xml_safe(node.subject)


def test_dot_reads_back_in_pydot(corpus):
    pydot = pytest.importorskip("pydot", reason="pydot is a test dependency (pip install -e '.[test]')")
    index, oracle = corpus
    root = _roots(oracle, 1)[0]
    graph = index.graph(root, depth=2, direction="both")
    (dot,) = pydot.graph_from_dot_data(presenters.graph_dot(graph))
    names = {n.get_name().strip('"') for n in dot.get_nodes()} - {"node", "graph", "edge"}
    assert names == {n.id for n in graph.nodes}
    assert {(e.get_source().strip('"'), e.get_destination().strip('"')) for e in dot.get_edges()} == \
        {(e.source, e.target) for e in graph.edges}


def _write(text: str) -> str:
    import tempfile
    handle = tempfile.NamedTemporaryFile("w", suffix=".graphml", delete=False, encoding="utf-8")
    with handle:
        handle.write(text)
    return handle.name


# --- threads --------------------------------------------------------------------------------------

def test_thread_is_the_walked_component_in_date_order(corpus):
    index, oracle = corpus
    for root in _roots(oracle, 5):
        thread = index.thread(root)
        hops, _ = oracle.bfs(root, 3, "both")
        assert {e.id for e in thread.entries} == {rid for rid in hops if rid in oracle.cables}
        assert set(thread.missing) == {rid for rid in hops if rid not in oracle.cables}
        dates = [e.date for e in thread.entries if e.date is not None]
        assert dates == sorted(dates)
        ids = {e.id for e in thread.entries}
        for entry in thread.entries:
            assert {link.id for link in entry.cites} == (oracle.cites[entry.id] & ids) - {entry.id}


REF_MENTION = re.compile(r"\bref", re.IGNORECASE)


def test_citing_paragraphs_name_the_cited_cable(corpus):
    index, oracle = corpus
    links = found = 0
    for root in _roots(oracle, 40):
        for entry in index.thread(root, depth=1).entries:
            cable = oracle.cables[entry.id]
            for link in entry.cites:
                links += 1
                if link.paragraph is None:
                    continue
                found += 1
                shown = link.paragraph.text.strip("…")
                paragraph = next(p for p in cable.paragraphs if p.number == link.paragraph.paragraph
                                 and p.marking == link.paragraph.marking and shown in p.text.replace("\n", " "))
                number = re.sub(r"^\d{2}[A-Z]+", "", link.id).lstrip("0")
                assert REF_MENTION.search(paragraph.text) or number in paragraph.text or link.id in paragraph.text
                start, end = link.paragraph.matches[0]
                assert link.paragraph.text[start:end].strip()
    print(f"\ncitations whose citing paragraph was found: {found} of {links}")
    assert links > 50 and found >= links // 2


# --- similar cables -------------------------------------------------------------------------------

def test_similar_cables_share_the_characteristic_words_they_are_said_to(corpus):
    index, oracle = corpus
    sources = random.Random(7).sample(sorted(rid for rid, c in oracle.cables.items() if len(c.body) > 2000), 15)
    for rid in sources:
        similar = index.similar(rid, limit=5)
        assert similar.id == rid and 0 < len(similar.terms) <= 25
        assert rid not in {item.hit.id for item in similar.hits}
        source_terms = set(analyse_words(oracle.cables[rid].subject))
        for text in paragraph_texts(oracle.cables[rid]):
            source_terms.update(analyse_words(text))
        assert {t.term for t in similar.terms} <= source_terms
        for item in similar.hits:
            cable = oracle.cables[item.hit.id]
            held = set(analyse_words(cable.subject))
            for text in paragraph_texts(cable):
                held.update(analyse_words(text))
            assert set(item.words) == {t.word for t in similar.terms if t.term in held}
            assert item.words or item.tags
            assert set(item.tags) == set(cable.tags) & set(oracle.cables[rid].tags)
        scores = [item.hit.score for item in similar.hits]
        assert scores == sorted(scores, reverse=True)


def test_similar_within_a_query_returns_only_matching_cables(corpus):
    index, oracle = corpus
    rid = max((r for r, c in oracle.cables.items() if c.origin == "BAKU"), key=lambda r: len(oracle.cables[r].body))
    unrestricted = index.similar(rid, limit=200)
    restricted = index.similar(rid, "date:2008", limit=200)
    year = {r for r, c in oracle.cables.items() if c.year == 2008}
    assert restricted.hits and {item.hit.id for item in restricted.hits} <= year
    # the restriction selects and does not rank: same order as the unrestricted list, filtered
    in_year = [item.hit.id for item in unrestricted.hits if item.hit.id in year]
    shown = min(10, len(in_year))
    assert shown and [item.hit.id for item in restricted.hits][:shown] == in_year[:shown]


def test_similar_of_an_unknown_cable_is_none(corpus):
    index, _ = corpus
    assert index.similar("99NOWHERE123") is None
