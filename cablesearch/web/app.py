"""The FastAPI application: JSON API and HTML pages, a thin layer over CableIndex like cli.py.

Every index call runs in a bounded worker pool under a time budget (`Runner`), so a slow query
answers 503 instead of hanging the server. Pages are Jinja2 templates with autoescaping on; no
value is ever marked safe, so cable text and queries always render as text. Data shaping (hits,
facets, references, stats, CSV, JSONL) comes from `cablesearch.presenters`.
"""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Sequence
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .. import __version__, presenters
from ..errors import CablesearchError
from ..query import QueryError, check_query
from ..results import DEFAULT_FACETS, SORTS

HERE = Path(__file__).resolve().parent

# No inline script or style, no third-party origin, no framing: markup that slipped through
# escaping could still not run.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
PAGE_FACETS = DEFAULT_FACETS + ("month",)
FACET_QUERY_FIELD = {"tag": "tag", "origin": "from", "year": "date", "classification": "class",
                     "month": "date", "caption": "caption", "captions": "caption", "tags": "tag"}
FACET_TITLES = {"tag": "Tags", "origin": "From", "year": "Year", "classification": "Classification"}
FACET_VALUES_SHOWN = 12
TIMELINE_WIDTH = 900  # px the month timeline aims to fit in
Sort = Literal["relevance", "date", "-date"]  # results.SORTS, spelled out for the OpenAPI enum


@dataclass(frozen=True)
class WebSettings:
    """Limits of the server: what one request may ask and how long it may take."""
    max_query_chars: int = 1000     # a longer query answers 413
    time_budget: float = 10.0       # seconds one index call may take before the request answers 503
    workers: int = 4                # threads running index calls
    max_pending: int = 64           # index calls running or queued; more answer 503 at once
    max_limit: int = 100            # hits per API page
    max_window: int = 10_000        # offset + limit of one search (export has no such limit)
    export_page: int = 500          # hits fetched per search while an export streams
    page_size: int = 20             # hits per web page
    allowed_hosts: tuple[str, ...] | None = None  # Host headers accepted (None: any)


class ReadOnlyIndex:
    """The searching half of a CableIndex. The server holds only this, so no request can write."""
    __slots__ = ("_index",)

    def __init__(self, index: Any) -> None:
        self._index = index

    def search(self, query: Any, **options: Any) -> Any:
        return self._index.search(query, **options)

    def get(self, reference_id: str) -> Any:
        return self._index.get(reference_id)

    def cites(self, reference_id: str) -> Any:
        return self._index.cites(reference_id)

    def cited_by(self, reference_id: str, **options: Any) -> Any:
        return self._index.cited_by(reference_id, **options)

    def values(self, field: str, prefix: str = "", limit: int = 50) -> Any:
        return self._index.values(field, prefix, limit)

    def stats(self) -> Any:
        return self._index.stats()


class ApiError(Exception):
    """An error answered as JSON (API) or an error page: status, message, and the query column."""

    def __init__(self, status: int, message: str, column: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.column = column
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"status": self.status, "message": self.message, "column": self.column}}


def _as_api_error(error: BaseException) -> ApiError:
    """What a user is told about an exception from the library; never a traceback."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, QueryError):
        return ApiError(500 if error.internal else 400, error.message, error.column)
    if isinstance(error, CablesearchError):
        return ApiError(400, str(error))
    return ApiError(500, f"internal error ({type(error).__name__}); this is a bug, please report it")


class Runner:
    """Runs index calls in a bounded thread pool under a time budget: no request can hang the server.

    A call that overruns keeps its thread until it ends (Python cannot stop a thread), and keeps
    its slot among `max_pending`, so a flood of slow queries is refused rather than queued.
    """

    def __init__(self, settings: WebSettings) -> None:
        self.budget = settings.time_budget
        self.pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="cablesearch-web")
        self.slots = threading.BoundedSemaphore(settings.max_pending)

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        if not self.slots.acquire(blocking=False):
            raise ApiError(503, "the server is busy; try again in a moment", headers={"Retry-After": "1"})
        try:
            future = self.pool.submit(fn, *args, **kwargs)
        except RuntimeError:  # the pool was shut down
            self.slots.release()
            raise ApiError(503, "the server is stopping") from None
        future.add_done_callback(lambda _: self.slots.release())
        return future

    def _too_slow(self) -> ApiError:
        return ApiError(503, f"the search took longer than {self.budget:g} s; narrow the query "
                             f"(e.g. a field or a date)", headers={"Retry-After": "5"})

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn(*args) in the pool, from a request handler; ApiError when it fails or overruns."""
        future = self.submit(fn, *args, **kwargs)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.budget)
        except asyncio.TimeoutError:
            raise self._too_slow() from None
        except Exception as error:  # noqa: BLE001 - every failure becomes a message
            raise _as_api_error(error) from None

    def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn(*args) in the pool, from a worker thread (a streaming export)."""
        future = self.submit(fn, *args, **kwargs)
        try:
            return future.result(timeout=self.budget)
        except FutureTimeout:
            future.cancel()
            raise self._too_slow() from None
        except Exception as error:  # noqa: BLE001
            raise _as_api_error(error) from None

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, streamed ones included."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- response shapes, for the OpenAPI document --------------------------------------------------

class ErrorDetail(BaseModel):
    status: int
    message: str
    column: int | None = Field(None, description="1-based column of the query where it went wrong")


class ErrorOut(BaseModel):
    error: ErrorDetail


class SnippetOut(BaseModel):
    paragraph: int | None = Field(None, description="paragraph number; null for the subject")
    marking: str | None = Field(None, description="the paragraph's classification marking, e.g. C, S/NF")
    text: str
    matches: list[list[int]] = Field(description="[start, end) character spans of matched words in text")


class HitOut(BaseModel):
    rank: int | None = None
    id: str | None = None
    date: str | None = None
    origin: str | None = None
    origin_name: str | None = None
    classification: str | None = None
    tags: list[str] | None = None
    subject: str | None = None
    score: float | None = None
    snippets: list[SnippetOut] | None = None
    snippet: str | None = None
    paragraph: int | None = None


class FacetValue(BaseModel):
    value: str
    count: int


class SearchOut(BaseModel):
    query: str
    total: int
    offset: int
    limit: int
    sort: str
    elapsed: float = Field(description="seconds the index took")
    warnings: list[str]
    hits: list[HitOut]
    facets: dict[str, list[FacetValue]]


class CompletionItem(BaseModel):
    text: str = Field(description="replaces query[start:cursor]")
    start: int
    display: str
    meta: str


class CompleteOut(BaseModel):
    query: str
    cursor: int
    items: list[CompletionItem]
    error: ErrorDetail | None = Field(None, description="what is wrong with the query as typed, if anything")


class CitationOut(BaseModel):
    id: str | None
    label: str
    text: str
    in_index: bool
    date: str | None
    subject: str


class RefsOut(BaseModel):
    id: str
    in_index: bool
    cites: list[CitationOut] | None
    cited_by: list[str]


class StatsOut(BaseModel):
    cables: int
    first_date: str | None
    last_date: str | None
    classifications: list[tuple[str, int]]
    size_bytes: int
    segments: int


ERRORS = {400: {"model": ErrorOut, "description": "a malformed query or parameter"},
          413: {"model": ErrorOut, "description": "the query is too long"},
          503: {"model": ErrorOut, "description": "over the time budget, or busy"}}


# --- the shaping shared by API and pages --------------------------------------------------------

def _split_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def results_doc(results: Any, fields: Sequence[str] | None = None) -> dict[str, Any]:
    """What `Results` holds, JSON-ready: the CLI's JSON document plus sort, elapsed and warnings."""
    return {
        "query": results.query, "total": results.total, "offset": results.offset, "limit": results.limit,
        "sort": results.sort, "elapsed": round(results.elapsed, 6), "warnings": list(results.warnings),
        "hits": [presenters.hit_dict(hit, fields) for hit in results.hits],
        "facets": presenters.facets_dict(results.facets or {}),
    }


def quote_value(value: str) -> str:
    """A value as the query language needs it: in double quotes when it holds spaces or syntax."""
    if value and not any(ch.isspace() or ch in '():"\\^~*?' for ch in value) and value.upper() not in (
            "AND", "OR", "NOT"):
        return value
    return '"' + value.replace('"', " ") + '"'


def add_filter(query: str, field: str, value: str) -> str:
    """The query narrowed by `field:value` (the facet links and the timeline)."""
    term = f"{FACET_QUERY_FIELD.get(field, field)}:{quote_value(value)}"
    query = query.strip()
    return f"{query} {term}" if query else term


def snippet_parts(snippet: Any) -> list[tuple[str, bool]]:
    """A snippet's text cut into (text, matched) runs, for templates to mark up without `safe`."""
    text, parts, at = snippet.text, [], 0
    for start, end in sorted(snippet.matches or ()):
        if start < at or end > len(text):
            continue
        if start > at:
            parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    if at < len(text):
        parts.append((text[at:], False))
    return parts


def timeline(month_counts: Sequence[tuple[str, int]], query: str, sort: str) -> dict[str, Any] | None:
    """Bars of an SVG month timeline from the `month` facet, each a link narrowing the query to it."""
    counts = {}
    for value, count in month_counts:
        try:
            year, month = int(value[:4]), int(value[5:7])
        except ValueError:
            continue
        counts[(year, month)] = count
    if not counts:
        return None
    (y0, m0), (y1, m1) = min(counts), max(counts)
    months = []
    y, m = y0, m0
    while (y, m) <= (y1, m1):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    top = max(counts.values())
    step = max(3, min(10, TIMELINE_WIDTH // len(months)))  # px per month: fit the width when we can
    bar, height = max(2, step - 2), 60
    bars, labels = [], []
    for i, (y, m) in enumerate(months):
        count = counts.get((y, m), 0)
        value = f"{y:04d}-{m:02d}"
        h = 0 if not count else max(2, round(height * count / top))
        bars.append({"x": i * step, "y": height - h, "h": h, "w": bar, "count": count, "month": value,
                     "href": page_url(add_filter(query, "month", value), sort) if count else None})
        if m == 1 or i == 0:  # a year label at January (and at the first month), 34 px apart at least
            if labels and i * step - labels[-1]["x"] < 34:
                if i == 0 or labels[-1]["x"] != 0:
                    continue
                labels.pop()  # a January close to the first month takes its place
            labels.append({"x": i * step, "text": str(y)})
    return {"bars": bars, "labels": labels, "width": len(months) * step + 30, "height": height,
            "first": f"{y0:04d}-{m0:02d}", "last": f"{y1:04d}-{m1:02d}"}


def page_url(query: str, sort: str = "relevance", offset: int = 0) -> str:
    """The shareable URL of a search page."""
    params: dict[str, Any] = {"q": query}
    if sort != "relevance":
        params["sort"] = sort
    if offset:
        params["offset"] = offset
    return "/?" + urlencode(params)


def cable_url(cable_id: str, query: str = "", paragraph: int | None = None) -> str:
    """The URL of a cable page, keeping the query that led there."""
    from urllib.parse import quote

    url = "/cable/" + quote(cable_id, safe="")
    if query:
        url += "?" + urlencode({"q": query})
    return url + (f"#p{paragraph}" if paragraph is not None else "")


def _format_date(value: Any, with_time: bool = False) -> str:
    return presenters.format_date(value, with_time=with_time) if isinstance(value, (datetime, date)) else ""


def complete(index: Any, text: str, cursor: int, limit: int = 40) -> dict[str, Any]:
    """The REPL's completions at `cursor` and the query's error, if any: one call per keystroke."""
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from ..repl import CableCompleter

    cursor = max(0, min(cursor, len(text)))
    items = []
    if not text.lstrip().startswith(":"):  # the REPL's :commands mean nothing here
        completer = CableCompleter(values=index.values)
        for c in islice(completer.get_completions(Document(text, cursor), CompleteEvent()), limit):
            items.append({"text": c.text, "start": cursor + c.start_position, "display": c.display_text,
                          "meta": c.display_meta_text})
    error = check_query(text) if text.strip() else None
    return {"query": text, "cursor": cursor, "items": items,
            "error": None if error is None else _as_api_error(error).body()["error"]}


# --- the application ----------------------------------------------------------------------------

def create_app(index: Any, settings: WebSettings | None = None) -> FastAPI:
    """The web app over `index` (a CableIndex, or anything with its reading methods), read-only."""
    settings = settings or WebSettings()
    index = index if isinstance(index, ReadOnlyIndex) else ReadOnlyIndex(index)
    runner = Runner(settings)
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                                   undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    templates.globals.update(version=__version__, sorts=SORTS, cable_url=cable_url, page_url=page_url,
                             snippet_parts=snippet_parts, format_date=_format_date,
                             max_query_chars=settings.max_query_chars)

    app = FastAPI(title="cablesearch", version=__version__,
                  description="Full-text search over diplomatic cables: the query language of "
                              "`cablesearch query`, facets, paragraph snippets, references.",
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)
    app.state.index = index
    app.state.settings = settings
    app.state.runner = runner
    app.router.add_event_handler("shutdown", runner.close)
    app.add_middleware(SecurityHeaders)
    if settings.allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def query_text(q: str) -> str:
        if len(q) > settings.max_query_chars:
            raise ApiError(413, f"the query is {len(q)} characters long; the limit is "
                                f"{settings.max_query_chars}")
        return q

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status)

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def error_response(request: Request, error: ApiError) -> Response:
        if wants_json(request):
            return JSONResponse(error.body(), status_code=error.status, headers=error.headers)
        return render("error.html", error.status, q=request.query_params.get("q", "")[:settings.max_query_chars],
                      sort="relevance", error=error, title=f"{error.status}")

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, error: ApiError) -> Response:
        return error_response(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = "no such page" if error.status_code == 404 else str(error.detail)
        return error_response(request, ApiError(error.status_code, message))

    @app.exception_handler(RequestValidationError)
    async def on_bad_parameter(request: Request, error: RequestValidationError) -> Response:
        first = (error.errors() or [{}])[0]
        where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
        return error_response(request, ApiError(400, f"{where}: {first.get('msg', 'invalid')}"))

    # -- the JSON API ---------------------------------------------------------------------------
    @app.get("/api/search", response_model=SearchOut, responses=ERRORS, tags=["search"])
    async def api_search(
            q: str = Query(..., description="a query, e.g. tag:PHUM from:BAKU date:2007-05 \"Belarus\""),
            sort: Sort = "relevance",
            limit: int = Query(10, ge=0, le=settings.max_limit),
            offset: int = Query(0, ge=0),
            facets: str | None = Query(None, description=f"comma-separated facet names (default "
                                                         f"{','.join(DEFAULT_FACETS)}; empty for none); "
                                                         f"also month, caption, to, info"),
            fields: str | None = Query(None, description="comma-separated fields of each hit "
                                                         f"({','.join(presenters.HIT_FIELDS + presenters.EXTRA_FIELDS)})"),
    ) -> Response:
        """One page of the cables matching `q`: total, hits with snippets, facet counts, warnings."""
        wanted = _checked_fields(fields)
        if offset + limit > settings.max_window:
            raise ApiError(400, f"offset + limit may not pass {settings.max_window}; use /api/export for all hits")
        names = DEFAULT_FACETS if facets is None else tuple(_split_list(facets))
        results = await runner.run(index.search, query_text(q), limit=limit, offset=offset, sort=sort,
                                   facets=names)
        return JSONResponse(results_doc(results, wanted))

    @app.get("/api/cables/{cable_id}", responses={404: {"model": ErrorOut}}, tags=["cables"])
    async def api_cable(cable_id: str) -> dict[str, Any]:
        """The full record of one cable, as indexed."""
        cable = await runner.run(index.get, _checked_id(cable_id))
        if cable is None:
            raise ApiError(404, f"no cable {cable_id} in the index")
        return cable.to_dict()

    @app.get("/api/cables/{cable_id}/refs", response_model=RefsOut, responses={404: {"model": ErrorOut}},
             tags=["cables"])
    async def api_refs(cable_id: str) -> Response:
        """What the cable's REF line cites (each saying whether it is indexed) and the cables citing it."""
        cites, cited_by = await runner.run(_refs, index, _checked_id(cable_id))
        if cites is None:
            raise ApiError(404, f"no cable {cable_id} in the index")
        return JSONResponse(presenters.refs_dict(cable_id, cites, cited_by))

    @app.get("/api/complete", response_model=CompleteOut, responses=ERRORS, tags=["search"])
    async def api_complete(q: str = Query("", description="the query as typed"),
                           cursor: int | None = Query(None, ge=0, description="cursor offset (default: end)")
                           ) -> Response:
        """What the query language accepts at the cursor (the REPL's completion) and the error, if any."""
        text = query_text(q)
        doc = await runner.run(complete, index, text, len(text) if cursor is None else cursor)
        return JSONResponse(doc)

    @app.get("/api/stats", response_model=StatsOut, tags=["index"])
    async def api_stats() -> Response:
        """How many cables the index holds, their date span, classifications and size."""
        stats = presenters.stats_dict(await runner.run(index.stats))
        stats.pop("path", None)  # the server's folders are nobody's business
        return JSONResponse(stats)

    @app.get("/api/export", responses={**ERRORS, 200: {"content": {"application/x-ndjson": {}, "text/csv": {}},
                                                        "description": "every hit, streamed"}},
             tags=["search"])
    async def api_export(q: str = Query(...), format: Literal["jsonl", "csv"] = "jsonl",
                         sort: Sort = "relevance", fields: str | None = None) -> Response:
        """Every cable matching `q`, streamed as JSON lines or CSV (the CLI's formats).

        X-Total-Count says how many hits there are: each page of 500 is fetched under the time
        budget, and a stream cut short by it has fewer rows.
        """
        wanted = _checked_fields(fields)
        text = query_text(q)
        page = settings.export_page
        first = await runner.run(index.search, text, limit=page, offset=0, sort=sort, facets=())

        def every_hit() -> Iterator[Any]:
            results = first
            while results.hits:
                yield from results.hits
                done = results.offset + len(results.hits)
                if done >= results.total:
                    return
                try:
                    results = runner.run_sync(index.search, text, limit=page, offset=done, sort=sort, facets=())
                except ApiError:  # the status has gone out: the stream just ends short
                    return

        if format == "csv":
            body, media = presenters.hits_csv(every_hit(), wanted), "text/csv; charset=utf-8"
        else:
            body, media = presenters.hits_jsonl(every_hit(), wanted), "application/x-ndjson"
        return StreamingResponse(body, media_type=media, headers={
            "content-disposition": f'attachment; filename="cablesearch-export.{format}"',
            "x-total-count": str(first.total)})

    # -- the pages ------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def search_page(q: str = "", sort: str = "relevance", offset: int = 0) -> Response:
        sort = sort if sort in SORTS else "relevance"
        offset = max(0, min(offset, settings.max_window - settings.page_size))
        context: dict[str, Any] = {"q": q[:settings.max_query_chars], "sort": sort, "results": None,
                                   "error": None, "facets": [], "timeline": None, "stats": None,
                                   "prev_url": None, "next_url": None, "title": "cablesearch"}
        if not q.strip():
            try:
                context["stats"] = await runner.run(index.stats)
            except ApiError:
                pass
            return render("search.html", **context)
        try:
            results = await runner.run(index.search, query_text(q), limit=settings.page_size, offset=offset,
                                       sort=sort, facets=PAGE_FACETS)
        except ApiError as error:
            context["error"] = error
            return render("search.html", error.status, **context)
        context["title"] = f"{q} - cablesearch"
        context["results"] = results
        context["facets"] = [
            {"name": name, "title": FACET_TITLES.get(name, name),
             "values": [{"value": value, "count": count, "href": page_url(add_filter(q, name, value), sort)}
                        for value, count in (results.facets.get(name) or [])[:FACET_VALUES_SHOWN]]}
            for name in DEFAULT_FACETS if results.facets.get(name)]
        context["timeline"] = timeline(results.facets.get("month") or [], q, sort)
        if offset > 0:
            context["prev_url"] = page_url(q, sort, max(0, offset - settings.page_size))
        if offset + len(results.hits) < min(results.total, settings.max_window):
            context["next_url"] = page_url(q, sort, offset + settings.page_size)
        context["export_jsonl"] = "/api/export?" + urlencode({"q": q, "sort": sort, "format": "jsonl"})
        context["export_csv"] = "/api/export?" + urlencode({"q": q, "sort": sort, "format": "csv"})
        return render("search.html", **context)

    @app.get("/cable/{cable_id}", response_class=HTMLResponse, include_in_schema=False)
    async def cable_page(cable_id: str, q: str = "") -> Response:
        cable, cites, cited_by = await runner.run(_cable_and_refs, index, _checked_id(cable_id))
        if cable is None:
            raise ApiError(404, f"no cable {cable_id} in the index")
        rows = [(label, value) for label, value, _ in presenters.cable_header_rows(cable)
                if value and label != "References"]
        paragraphs, seen = [], set()
        for para in cable.paragraphs:
            anchor = f"p{para.number}" if para.number not in seen else None
            seen.add(para.number)
            paragraphs.append({"number": para.number, "marking": para.marking, "text": para.text, "anchor": anchor})
        return render("cable.html", q=q[:settings.max_query_chars], sort="relevance", cable=cable, rows=rows,
                      paragraphs=paragraphs, body_blocks=[] if cable.paragraphs else _blocks(cable.body),
                      cites=cites or [], cited_by=cited_by, title=f"{cable.reference_id} - cablesearch")

    return app


def _checked_fields(fields: str | None) -> list[str] | None:
    names = _split_list(fields)
    if not names:
        return None
    try:
        return presenters.check_fields(names)
    except CablesearchError as error:
        raise ApiError(400, str(error)) from None


def _checked_id(cable_id: str) -> str:
    if not cable_id.strip() or len(cable_id) > 100:
        raise ApiError(404, "no such cable")
    return cable_id.strip()


def _refs(index: Any, cable_id: str) -> tuple[Any, list[Any]]:
    cites = index.cites(cable_id)
    return cites, (list(index.cited_by(cable_id)) if cites is not None else [])


def _cable_and_refs(index: Any, cable_id: str) -> tuple[Any, Any, list[Any]]:
    cable = index.get(cable_id)
    if cable is None:
        return None, None, []
    cites, cited_by = _refs(index, cable.reference_id)
    return cable, cites, cited_by


def _blocks(body: str) -> list[str]:
    import re

    return [block for block in re.split(r"\n\s*\n", body or "") if block.strip()]
