"""The JSON API and the pages through FastAPI's test client: status codes, shapes, errors, safety."""
from __future__ import annotations

import csv
import io
import json
import threading

import pytest
from fastapi.testclient import TestClient

from cablesearch import CableIndex
from cablesearch.results import DEFAULT_FACETS, SORTS
from cablesearch.web import WebSettings, create_app
from cablesearch.web.app import CONTENT_SECURITY_POLICY, add_filter, quote_value, snippet_parts
from webserver import HOSTILE_ID, HOSTILE_TAG, SCRIPT, TEMPLATE



@pytest.fixture(scope="module")
def index(web_index):
    with CableIndex.open(web_index) as opened:
        yield opened


@pytest.fixture(scope="module")
def client(index):
    with TestClient(create_app(index)) as test_client:
        yield test_client


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == status and body["error"]["message"]
    return body["error"]


# --- search ---------------------------------------------------------------------------------------

def test_search_returns_what_results_hold(client, index):
    expected = index.search("belarus", limit=5)
    response = client.get("/api/search", params={"q": "belarus", "limit": 5})
    assert response.status_code == 200
    doc = response.json()
    assert set(doc) == {"query", "total", "offset", "limit", "sort", "elapsed", "warnings", "hits", "facets"}
    assert doc["total"] == expected.total > 1
    assert [h["id"] for h in doc["hits"]] == [h.id for h in expected.hits]
    assert set(doc["facets"]) == set(DEFAULT_FACETS)
    assert doc["facets"]["tag"] == [{"value": v, "count": c} for v, c in expected.facets["tag"]]
    assert isinstance(doc["elapsed"], float) and doc["warnings"] == []
    baku = next(h for h in doc["hits"] if h["id"] == "07BAKU595")
    assert baku["date"] == "2007-05-16T13:24:00Z" and "PHUM" in baku["tags"]
    snippet = baku["snippets"][0]
    assert isinstance(snippet["paragraph"], int) and snippet["marking"]
    start, end = snippet["matches"][0]
    assert snippet["text"][start:end].lower() == "belarus"


def test_fields_limit_offset_sort_and_facets(client):
    doc = client.get("/api/search", params={"q": "tag:PREL", "fields": "id,date", "sort": "-date",
                                            "limit": 3, "facets": "origin,month"}).json()
    assert all(list(hit) == ["id", "date"] for hit in doc["hits"])
    dates = [hit["date"] for hit in doc["hits"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 3
    assert set(doc["facets"]) == {"origin", "month"}
    following = client.get("/api/search", params={"q": "tag:PREL", "fields": "id", "sort": "-date",
                                                  "limit": 3, "offset": 3, "facets": ""}).json()
    assert following["facets"] == {} and following["offset"] == 3
    assert not {h["id"] for h in following["hits"]} & {h["id"] for h in doc["hits"]}


def test_warnings_are_passed_on(client):
    doc = client.get("/api/search", params={"q": "belarus and russia"}).json()
    assert doc["warnings"] and "and" in doc["warnings"][0].lower()


def test_a_bad_query_is_400_with_its_column(client):
    error = error_of(client.get("/api/search", params={"q": "tag:(PHUM"}), 400)
    assert error["column"] == 5 and "(" in error["message"]
    assert error_of(client.get("/api/search", params={"q": "nosuchfield:x"}), 400)["column"] == 1


@pytest.mark.parametrize("params", [
    {"q": "belarus", "sort": "sideways"}, {"q": "belarus", "limit": 1000}, {"q": "belarus", "limit": -1},
    {"q": "belarus", "offset": "x"}, {"q": "belarus", "facets": "colour"}, {"q": "belarus", "fields": "id,colour"},
    {"q": "belarus", "offset": 9_995, "limit": 10}, {},
])
def test_bad_parameters_are_400(client, params):
    error_of(client.get("/api/search", params=params), 400)


def test_an_overlong_query_is_413(client):
    error = error_of(client.get("/api/search", params={"q": "belarus " * 200}), 413)
    assert "limit" in error["message"]
    error_of(client.get("/api/complete", params={"q": "x" * 1001}), 413)
    assert client.get("/", params={"q": "belarus " * 200}).status_code == 413


# --- cables, references, completion, stats ---------------------------------------------------------

def test_one_cable_is_the_full_record(client, index):
    response = client.get("/api/cables/07baku595")
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(index.get("07BAKU595").to_dict()))
    assert "no cable" in error_of(client.get("/api/cables/99NOWHERE1"), 404)["message"]


def test_references_both_ways(client):
    refs = client.get(f"/api/cables/{HOSTILE_ID}/refs").json()
    assert refs["in_index"] and [(c["id"], c["in_index"]) for c in refs["cites"]] == [("07BAKU595", True)]
    cited = client.get("/api/cables/07BAKU595/refs").json()
    assert HOSTILE_ID in cited["cited_by"]
    assert {c["id"]: c["in_index"] for c in cited["cites"]}["07STATE61831"] is False
    error_of(client.get("/api/cables/99NOWHERE1/refs"), 404)


def test_completion_is_the_repls(client):
    doc = client.get("/api/complete", params={"q": "tag:PH"}).json()
    assert doc["error"] is None and doc["cursor"] == 6
    phum = next(item for item in doc["items"] if item["text"] == "PHUM")
    assert phum["start"] == 4 and "cable" in phum["meta"]
    middle = client.get("/api/complete", params={"q": "from:BA tag:PHUM", "cursor": 7}).json()
    assert "BAKU" in [item["text"] for item in middle["items"]]
    fields = client.get("/api/complete", params={"q": "belarus cla"}).json()
    assert "class:" in [item["text"] for item in fields["items"]]
    broken = client.get("/api/complete", params={"q": "tag:(PHUM"}).json()
    assert broken["error"]["column"] == 5
    assert client.get("/api/complete", params={"q": ""}).json()["error"] is None


def test_stats(client, index):
    doc = client.get("/api/stats").json()
    assert doc["cables"] == index.stats().cables
    assert doc["first_date"].startswith("2001") and "path" not in doc


def test_openapi_document_describes_the_api(client):
    doc = client.get("/api/openapi.json").json()
    assert {"/api/search", "/api/cables/{cable_id}", "/api/cables/{cable_id}/refs", "/api/complete",
            "/api/stats", "/api/export"} <= set(doc["paths"])
    search = doc["paths"]["/api/search"]["get"]
    assert {p["name"] for p in search["parameters"]} == {"q", "sort", "limit", "offset", "facets", "fields"}
    assert "400" in search["responses"] and "SearchOut" in doc["components"]["schemas"]
    sort = next(p for p in search["parameters"] if p["name"] == "sort")
    assert tuple(sort["schema"]["enum"]) == SORTS


# --- export --------------------------------------------------------------------------------------

def test_export_streams_every_hit_page_by_page(index):
    every = index.search("tag:PREL", limit=1000, facets=())
    with TestClient(create_app(index, WebSettings(export_page=2))) as small_pages:
        lines = small_pages.get("/api/export", params={"q": "tag:PREL", "sort": "date"}).text.splitlines()
        response = small_pages.get("/api/export", params={"q": "tag:PREL", "format": "csv", "fields": "id,tags"})
    assert [json.loads(line)["id"] for line in lines] == [h.id for h in index.search(
        "tag:PREL", limit=1000, sort="date", facets=()).hits]
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["id", "tags"] and len(rows) - 1 == every.total > 4
    assert {row[0] for row in rows[1:]} == {h.id for h in every.hits}


def test_export_errors_before_streaming_are_json(client):
    error_of(client.get("/api/export", params={"q": "tag:("}), 400)
    error_of(client.get("/api/export", params={"q": "belarus", "format": "xml"}), 400)


# --- pages --------------------------------------------------------------------------------------

def test_search_page_holds_the_query_facets_and_timeline(client):
    html = client.get("/", params={"q": "tag:PREL", "sort": "-date"}).text
    assert 'value="tag:PREL"' in html and '<option value="-date" selected>' in html
    assert 'href="/cable/07BAKU595?q=tag%3APREL"' in html
    assert 'href="/?q=tag%3APREL+from%3ABAKU&amp;sort=-date"' in html  # a facet adds its filter
    assert 'href="/?q=tag%3APREL+date%3A2007-05&amp;sort=-date"' in html  # a month narrows the date
    assert "<mark>" not in html or "</mark>" in html


def test_search_page_shows_snippets_with_paragraphs(client):
    html = client.get("/", params={"q": "belarus from:BAKU"}).text
    assert "<mark>Belarus</mark>" in html or "<mark>BELARUS</mark>" in html
    assert 'href="/cable/07BAKU595?q=belarus+from%3ABAKU#p' in html


def test_a_bad_query_on_the_page_shows_the_caret(client):
    response = client.get("/", params={"q": "tag:(PHUM"})
    assert response.status_code == 400
    assert "tag:(PHUM\n    ^</pre>" in response.text


def test_cable_page_has_anchors_and_links_both_ways(client):
    html = client.get("/cable/07BAKU595", params={"q": "belarus"}).text
    assert 'id="p1"' in html and 'href="#p2"' in html
    assert f'href="/cable/{HOSTILE_ID}"' in html          # cited by
    assert "07STATE61831 (not in the index)" in html
    assert 'href="/?q=belarus"' in html                   # back to the results
    assert 'href="/cable/07BAKU595"' in client.get(f"/cable/{HOSTILE_ID}").text  # cites
    assert client.get("/cable/99NOWHERE1").status_code == 404


def test_filters_are_quoted_as_the_language_needs():
    assert add_filter("belarus", "tag", "DOMESTIC POLITICS") == 'belarus tag:"DOMESTIC POLITICS"'
    assert add_filter("", "classification", "SECRET//NOFORN") == "class:SECRET//NOFORN"
    assert quote_value('a"b (c)') == '"a b (c)"' and quote_value("OR") == '"OR"'


def test_snippet_parts_cover_the_text():
    from cablesearch.results import Snippet

    parts = snippet_parts(Snippet(1, "C", "ab cd ef", ((3, 5), (0, 2))))
    assert parts == [("ab", True), (" ", False), ("cd", True), (" ef", False)]


# --- safety ---------------------------------------------------------------------------------------

def test_untrusted_cable_text_renders_as_text(client):
    pages = [client.get(f"/cable/{HOSTILE_ID}").text, client.get("/", params={"q": "lukashenko OR onerror"}).text]
    for html in pages:
        assert SCRIPT not in html and "<img" not in html and "<svg onload" not in html and "<b>bold" not in html
        assert "&lt;script&gt;" in html
    cable_html, search_html = pages
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in cable_html
    assert TEMPLATE in cable_html and "&lt;b&gt;bold&lt;/b&gt; &amp;amp; more" in cable_html
    assert "49" not in cable_html.split('<section class="body">')[1]
    assert "%3Csvg+onload%3Dalert%283%29%3E" in search_html  # the hostile tag's facet link
    assert "&#34;&gt;&lt;svg onload=alert(3)&gt;</a>" in search_html
    assert HOSTILE_TAG not in search_html


def test_untrusted_queries_render_as_text(client):
    query = '"><script>alert(1)</script>'
    for response in (client.get("/", params={"q": query}), client.get("/cable/07BAKU595", params={"q": query}),
                     client.get("/cable/<script>")):
        assert "<script>alert" not in response.text
        assert 'value="&#34;&gt;&lt;script&gt;' in response.text or response.status_code == 404


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/?q=belarus", "/cable/07BAKU595", "/api/search?q=belarus", "/api/search?q=(",
                 "/static/app.js", "/no/such/page", "/api/export?q=belarus"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", [
    "/static/../pyproject.toml", "/static/%2e%2e/%2e%2e/pyproject.toml", "/static/..%2F..%2Fpyproject.toml",
    "/cable/..%2F..%2Fpyproject.toml", "/api/cables/..%2F..%2Fetc%2Fpasswd", "/static//etc/passwd",
    "/static/templates/base.html", "/../../pyproject.toml",
])
def test_no_request_reaches_other_files(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "[project]" not in response.text and "root:" not in response.text and "{% block" not in response.text


def test_the_server_holds_a_read_only_index(client, web_index):
    before = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in web_index.rglob("*")}
    for path in ("/", "/?q=belarus", "/api/search?q=tag:PREL", "/cable/07BAKU595", "/api/stats",
                 "/api/complete?q=tag:P", "/api/export?q=belarus"):
        assert client.get(path).status_code == 200
    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in web_index.rglob("*")} == before
    held = client.app.state.index
    assert not any(hasattr(held, name) for name in ("add", "add_paths", "delete", "close", "__dict__"))
    for method in ("POST", "PUT", "DELETE"):
        assert client.request(method, "/api/search?q=belarus").status_code == 405


def test_the_api_answers_only_its_own_host_names_when_told(index):
    with TestClient(create_app(index, WebSettings(allowed_hosts=("127.0.0.1", "localhost"))),
                    base_url="http://127.0.0.1") as local:
        assert local.get("/api/stats").status_code == 200
        assert local.get("/api/stats", headers={"host": "rebound.example.com"}).status_code == 400


# --- the time budget ---------------------------------------------------------------------------------

class BlockingIndex:
    """An index whose searches wait for `release`: a query that takes as long as a test wants."""

    def __init__(self, index) -> None:
        self.index = index
        self.release = threading.Event()
        self.entered = threading.Event()

    def search(self, query, **options):
        self.entered.set()
        self.release.wait()
        return self.index.search(query, **options)

    def __getattr__(self, name):
        return getattr(self.index, name)


def test_a_search_over_the_time_budget_answers_503_and_a_flood_is_refused(index):
    slow = BlockingIndex(index)
    app = create_app(slow, WebSettings(time_budget=0.2, workers=1, max_pending=1))
    try:
        with TestClient(app) as test_client:
            error = error_of(test_client.get("/api/search", params={"q": "belarus"}), 503)
            assert "longer than 0.2 s" in error["message"] and slow.entered.is_set()
            busy = test_client.get("/api/search", params={"q": "belarus"})  # the first still runs
            assert "busy" in error_of(busy, 503)["message"] and busy.headers["retry-after"]
            page = test_client.get("/", params={"q": "belarus"})
            assert page.status_code == 503 and "busy" in page.text
            assert test_client.get("/static/style.css").status_code == 200  # the server itself is not stuck
    finally:
        slow.release.set()


class FailingIndex(BlockingIndex):
    def search(self, query, **options):
        raise RuntimeError("disk on fire /secret/path")


def test_an_internal_error_is_a_json_500_without_a_traceback(index):
    with TestClient(create_app(FailingIndex(index))) as test_client:
        error = error_of(test_client.get("/api/search", params={"q": "belarus"}), 500)
        assert "RuntimeError" in error["message"] and "/secret/path" not in error["message"]
        assert "Traceback" not in test_client.get("/", params={"q": "belarus"}).text


def test_the_real_corpus_through_the_api_and_pages(real_corpus):
    index = real_corpus.index
    with TestClient(create_app(index)) as real:
        for query in ("belarus tag:PREL", 'para:(Belarus Russia)', "class:>=SECRET caption:NOFORN"):
            expected = index.search(query, limit=5)
            doc = real.get("/api/search", params={"q": query, "limit": 5}).json()
            assert doc["total"] == expected.total > 0
            assert [h["id"] for h in doc["hits"]] == [h.id for h in expected.hits]
            page = real.get("/", params={"q": query})
            assert page.status_code == 200 and page.text.count('class="hit"') == min(20, expected.total)
            assert 'id="timeline"' in page.text and "facet-link" in page.text
            for hit in expected.hits:
                cable = real.get(f"/cable/{hit.id}", params={"q": query})
                assert cable.status_code == 200 and f"<span class=\"id\">{hit.id}</span>" in cable.text
