"""The interactive `cablesearch` REPL (prompt_toolkit).

Completion and syntax highlighting come from the query grammar (`cablesearch.query.expected_at`,
`lex_query`, `check_query`), values from the index (`CableIndex.values`), help from the FIELDS
table, and every piece of output from `cablesearch.presenters`. History lives in the XDG state
directory; Ctrl-R searches it and suggestions come from it. Read from a pipe (`cablesearch <
queries > out`), results go to stdout and errors, warnings and status lines to stderr.
"""
from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.lexers import Lexer

from . import __version__, presenters
from .errors import CablesearchError
from .fields import CLASSIFICATION_LEVELS, FACETS, Kind, facet_name, field_named
from .results import DEFAULT_FACETS, DIRECTIONS, QUERY_FORMATS as FORMATS, SORTS

EXPORT_PAGE_SIZE = 500  # hits fetched (with snippets) per search while :export writes


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str


COMMANDS: tuple[Command, ...] = (
    Command("show", "N|ID", "open cable N of the last results (or by id) in the pager"),
    Command("refs", "[N|ID] [--depth N] [--direction cites|cited-by|both] [--query Q]",
            "what the cable cites and what cites it (default: the last one shown); with options, the "
            "citation graph as a tree"),
    Command("similar", "[N|ID] [QUERY]", "the cables most like it, optionally only those matching QUERY"),
    Command("thread", "[N|ID]", "the cables citing one another around it, in date order"),
    Command("facets", "FIELD", f"counts of one facet over the last query: {', '.join(FACETS)}"),
    Command("next", "", "the next page of the last results"),
    Command("prev", "", "the previous page of the last results"),
    Command("sort", "relevance|date|-date", "order of hits (re-runs the last query)"),
    Command("limit", "N", "hits per page"),
    Command("format", "text|json|jsonl|csv", "how results are printed"),
    Command("export", "FILE", "write every hit of the last query to FILE (.jsonl or .csv)"),
    Command("help", "", "fields, syntax and commands"),
    Command("quit", "", "leave (or Ctrl-D)"),
)
_COMMAND_NAMES = {c.name: c for c in COMMANDS} | {"q": COMMANDS[-1], "exit": COMMANDS[-1]}


def history_path() -> Path:
    """$XDG_STATE_HOME/cablesearch/history (default ~/.local/state/cablesearch/history)."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "cablesearch" / "history"


# --- grammar-driven helpers (adapters over cablesearch.query) ------------------------------------

@lru_cache(maxsize=256)
def _check(text: str):
    """The QueryError for `text`, or None; cached because the lexer asks on every redraw."""
    from .query import check_query

    return check_query(text)


@lru_cache(maxsize=256)
def _tokens(text: str) -> tuple:
    from .query import lex_query

    return tuple(lex_query(text))


# cablesearch.query.lex_query token types -> style classes (presenters.STYLE_RULES)
_TOKEN_STYLES = {
    "FIELD": "q.field", "UNKNOWN_FIELD": "q.error", "WORD": "q.word",
    "PHRASE": "q.phrase", "UNCLOSED_PHRASE": "q.phrase",
    "AND": "q.operator", "OR": "q.operator", "NOT": "q.operator", "MINUS": "q.operator",
    "LPAR": "q.paren", "RPAR": "q.paren", "CMP": "q.modifier", "BOOST": "q.modifier",
    "TILDE": "q.modifier", "ERROR": "q.error",
}


def _token_style(token_type: str) -> str:
    """Map a lexer token type (the grammar's terminal names) to a style class."""
    return "class:" + _TOKEN_STYLES.get(str(token_type).lstrip("_").upper(), "q.word")


class QueryLexer(Lexer):
    """Colours a query from the grammar's tokens and underlines the column a QueryError names."""

    def lex_document(self, document: Document) -> Callable[[int], list[tuple[str, str]]]:
        lines = document.lines

        def get_line(lineno: int) -> list[tuple[str, str]]:
            text = lines[lineno] if lineno < len(lines) else ""
            return line_fragments(text)

        return get_line


def line_fragments(text: str) -> list[tuple[str, str]]:
    """Styled fragments of one input line: a :command, or a query coloured by token."""
    if text.lstrip().startswith(":"):
        head, space, rest = text.partition(" ")
        return [("class:q.command", head)] + ([("", space + rest)] if space else [])
    styles = [""] * len(text)
    previous = ""
    for token in _tokens(text):  # (type, start, end, ...)
        token_type, start, end = token[0], token[1], token[2]
        style = _token_style(token_type)
        if style == "class:q.word" and previous in ("class:q.field", "class:q.modifier"):
            style = "class:q.value"  # the value right after `field:` or `>=`
        previous = style
        for i in range(max(0, start), min(end, len(text))):
            styles[i] = style
    error = _check(text)
    if error is not None and text.strip():
        col = max(0, min(len(text) - 1, (getattr(error, "column", 1) or 1) - 1))
        end = col + 1
        while end < len(text) and not text[end].isspace() and text[end] not in "()":
            end += 1
        for i in range(col, end):
            styles[i] = (styles[i] + " class:q.error").strip()
    frags: list[tuple[str, str]] = []
    for ch, style in zip(text, styles):
        if frags and frags[-1][0] == style:
            frags[-1] = (style, frags[-1][1] + ch)
        else:
            frags.append((style, ch))
    return frags


# --- completion ---------------------------------------------------------------------------------

ValuesLookup = Callable[[str, str, int], list[tuple[str, int]]]


def _field_completions(names: Iterable[str], partial: str, back: int) -> Iterator[Completion]:
    """`name:` for each field name or alias the grammar allows here, with the field's help."""
    for name in names:
        spec = field_named(name)
        if spec is None:
            continue
        help_text = spec.help if name == spec.name else f"= {spec.name}: {spec.help}"
        yield Completion(name + ":", start_position=back, display=name + ":", display_meta=help_text)


PARAGRAPH_MARKINGS = ("U", "SBU", "C", "S", "TS", "C/NF", "S/NF")


def _quote(value: str) -> str:
    return f'"{value}"' if any(ch.isspace() or ch in '():"' for ch in value) else value


@lru_cache(maxsize=1024)
def _origin_name(station: str) -> str:
    """The archive's name of a sending station ("BAKU" -> "Embassy Baku"), from the parser's tables."""
    from .parser import origin_name_for

    return origin_name_for("", station)


class CableCompleter(Completer):
    """Completes what the grammar accepts at the cursor: field names, index values, operators,
    and the REPL's :commands."""

    def __init__(self, values: ValuesLookup | None = None,
                 ranks: Callable[[], list[Any]] | None = None) -> None:
        self.values = values      # CableIndex.values(field, prefix, limit)
        self.ranks = ranks or (lambda: [])  # hits of the last page, for :show N

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if text.lstrip().startswith(":"):
            yield from self._command_completions(document)
            return
        try:
            yield from self._query_completions(document.text, document.cursor_position)
        except CablesearchError:
            return

    def _index_values(self, field: str, prefix: str, limit: int = 50) -> list[tuple[str, int]]:
        if self.values is None:
            return []
        try:
            return list(self.values(field, prefix.lower(), limit))
        except (CablesearchError, KeyError, ValueError):
            return []

    def _query_completions(self, text: str, cursor: int) -> Iterator[Completion]:
        from .query import expected_at

        expected = expected_at(text, cursor)
        if expected.error is not None:
            return
        partial, back = expected.partial, expected.start - cursor
        kinds = expected.kinds
        if "value" in kinds and expected.field:
            yield from self._value_completions(expected.field, partial, back)
        if "comparison" in kinds and not partial:
            for op, meta in ((">=", "this and later / higher"), ("<", "before / lower")):
                yield Completion(op, start_position=0, display_meta=meta)
        operators = [("AND", "both sides", "operator"), ("OR", "either side", "operator"),
                     ("NOT", "exclude what follows", "not")]
        typed_before = bool(text[:expected.start].strip())
        for op, meta, kind in operators:
            wanted = op.startswith(partial) and partial != op if partial else typed_before
            if kind in kinds and wanted:
                yield Completion(op + " ", start_position=back, display=op, display_meta=meta)
        if expected.fields:
            yield from _field_completions(expected.fields, partial, back)
        if "term" in kinds and len(partial) >= 3 and partial[:2].isdigit():
            for value, _count in self._index_values("id", partial, 20):
                yield Completion(value.upper(), start_position=back, display_meta="cable id")

    def _value_completions(self, field: str, partial: str, back: int) -> Iterator[Completion]:
        """Values for `field:` from the index (with counts), or from the field's fixed vocabulary."""
        spec = field_named(field)
        if spec is None:
            return
        typed = partial.strip('"')
        if spec.kind is Kind.PARAGRAPH:
            if not partial:
                yield Completion("(", start_position=0, display="(...)", display_meta="words in one paragraph")
            return
        if spec.kind is Kind.MARKING:
            for mark in PARAGRAPH_MARKINGS:
                if mark.lower().startswith(typed.lower()):
                    yield Completion(mark, start_position=back)
            return
        if spec.kind is Kind.DATE:
            yield from self._date_completions(typed, back)
            return
        if spec.kind is Kind.CITED_BY:  # a reference id
            if len(typed) >= 2:
                for value, _count in self._index_values("id", typed, 20):
                    yield Completion(value.upper(), start_position=back, display_meta="cable id")
            return
        if spec.kind is Kind.LEVEL:
            for level in CLASSIFICATION_LEVELS:
                if level.lower().startswith(typed.lower()):
                    yield Completion(_quote(level), start_position=back, display=level, display_meta="level")
        for value, count in self._index_values(spec.name, typed):
            if spec.kind is Kind.LEVEL and value.upper() in CLASSIFICATION_LEVELS:
                continue  # offered above, in order
            shown = _quote(value.upper())
            yield Completion(shown, start_position=back, display=shown, display_meta=_plural(count, "cable"))
        if spec.name == "origin" and typed:  # the index counts stations; names come from the parser's table
            yield from self._origin_name_completions(typed, back)

    def _date_completions(self, typed: str, back: int) -> Iterator[Completion]:
        """Years (or months, once a `-` is typed) with counts; after `2007..`, only later ones."""
        if ".." not in typed:
            lookup = "month" if "-" in typed else "year"
            for value, count in self._index_values(lookup, typed):
                yield Completion(value, start_position=back, display=value, display_meta=_plural(count, "cable"))
            return
        start, end = typed.split("..", 1)
        lookup = "month" if "-" in (end or start) else "year"
        later = sorted((value, count) for value, count in self._index_values(lookup, end, 10_000)
                       if value != start and value[:len(start)] >= start[:len(value)])
        for value, count in later:
            yield Completion(value, start_position=-len(end), display=value, display_meta=_plural(count, "cable"))

    def _origin_name_completions(self, typed: str, back: int, limit: int = 50) -> Iterator[Completion]:
        """Names of sending posts (`"Embassy Baku"`) from the parser's station table, with the
        station(s) and their cable count (the index counts origins by station only)."""
        folded = typed.casefold()
        stations: dict[str, list[tuple[str, int]]] = {}
        for station, count in self._index_values("origin", "", 10_000):
            name = _origin_name(station)
            if name.casefold().startswith(folded) and name.casefold() != station.casefold():
                stations.setdefault(name, []).append((station, count))
        ranked = sorted(stations.items(), key=lambda item: (-sum(n for _, n in item[1]), item[0]))
        for name, found in ranked[:limit]:
            meta = f"{' '.join(s for s, _ in found)} · {_plural(sum(n for _, n in found), 'cable')}"
            yield Completion(_quote(name), start_position=back, display=name, display_meta=meta)

    def _command_completions(self, document: Document) -> Iterator[Completion]:
        text = document.text_before_cursor.lstrip()
        head, space, rest = text.partition(" ")
        if not space:
            typed = head[1:]
            for c in COMMANDS:
                if c.name.startswith(typed):
                    yield Completion(":" + c.name, start_position=-len(head),
                                     display=f":{c.name} {c.args}".rstrip(), display_meta=c.help)
            return
        name = head[1:]
        word = rest.split(" ")[-1]
        if name in ("sort", "format", "facets"):
            options = {"sort": SORTS, "format": FORMATS, "facets": tuple(FACETS)}[name]
            for option in options:
                if option.startswith(word):
                    yield Completion(option, start_position=-len(word))
        elif name == "refs" and rest.split(" ")[-2:-1] == ["--direction"]:
            for option in DIRECTIONS:
                if option.startswith(word):
                    yield Completion(option, start_position=-len(word))
        elif name in ("show", "refs", "similar", "thread") and len(rest.split(" ")) == 1:
            for hit in self.ranks():
                if str(hit.rank).startswith(word):
                    yield Completion(str(hit.rank), start_position=-len(word),
                                     display=f"{hit.rank} {hit.id}",
                                     display_meta=presenters._truncate(presenters._collapse(hit.subject), 50))
            if len(word) >= 2 and not word.isdigit():
                for value, _count in self._index_values("id", word, 20):
                    yield Completion(value.upper(), start_position=-len(word))
        elif name == "export":
            yield from PathCompleter(expanduser=True).get_completions(Document(rest, len(rest)), None)


# --- the session ---------------------------------------------------------------------------------

class Repl:
    """One interactive session over an open CableIndex."""

    def __init__(self, index: Any, *, input=None, output=None, out: TextIO | None = None,
                 err: TextIO | None = None, history: History | None = None,
                 pager: Callable[[str], None] | None = None, colour: bool | None = None) -> None:
        self.index = index
        self.out = out or sys.stdout
        self.err = err or sys.stderr  # messages go here when lines come from a pipe (run_lines)
        self.messages = self.out      # where errors, warnings and status lines go
        self._colour_option = colour
        self.colour = presenters.wants_colour(self.out) if colour is None else colour
        self.pager = pager or (lambda text: presenters.page_text(text, self.out))
        self.sort, self.limit, self.format = "relevance", 10, "text"
        self.query: str | None = None
        self.results: Any = None
        self.last_cable: str | None = None  # the cable :show or :refs last named; a bare :refs uses it
        self.cable_count = index.stats().cables
        if history is None:
            path = history_path()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                history = FileHistory(str(path))
            except OSError:
                history = InMemoryHistory()
        self._history = history
        self._input, self._output = input, output
        self._session: PromptSession | None = None

    @property
    def session(self) -> PromptSession:
        """The prompt_toolkit session, made on first use (piped input needs none)."""
        if self._session is None:
            self._session = PromptSession(
                message=[("class:q.command", "cables"), ("", "> ")],
                completer=CableCompleter(getattr(self.index, "values", None),
                                         lambda: list(self.results.hits) if self.results else []),
                complete_while_typing=True,
                complete_in_thread=True,  # index look-ups never stall typing
                lexer=QueryLexer(),
                history=self._history,
                auto_suggest=AutoSuggestFromHistory(),
                bottom_toolbar=self.toolbar,
                style=presenters.prompt_toolkit_style(),
                input=self._input,
                output=self._output,
            )
        return self._session

    # output
    def echo(self, fragments: Iterable[tuple[str, str]]) -> None:
        """Write results (data) to the output."""
        self.out.write(presenters.render_text(fragments, colour=self.colour))
        self.out.flush()

    def note(self, fragments: Iterable[tuple[str, str]]) -> None:
        """Write an error, warning or status line: on the screen, or to stderr when piped."""
        stream = self.messages
        colour = self.colour if stream is self.out else (
            presenters.wants_colour(stream) if self._colour_option is None else self._colour_option)
        stream.write(presenters.render_text(fragments, colour=colour))
        stream.flush()

    def error(self, message: str) -> None:
        self.note([("class:error", message.rstrip("\n")), ("", "\n")])

    def toolbar(self) -> FormattedText:
        parts = [" " + _plural(self.cable_count, "cable"), f"sort: {self.sort}", f"limit: {self.limit}"]
        if self.results is not None:
            parts.append(f"last: {self.results.total:,} hits in {self.results.elapsed * 1000:.0f} ms")
        parts.append(":help  Ctrl-D quits")
        return FormattedText([("", " · ".join(parts))])

    # the loop
    def run(self) -> int:
        """Read queries and commands until :quit or Ctrl-D; returns the exit status."""
        self.echo([("class:heading", f"cablesearch {__version__}"),
                   ("", f" · {_plural(self.cable_count, 'cable')} · type a query, :help, or Ctrl-D to leave\n")])
        session = self.session
        default = ""
        while True:
            try:
                text = session.prompt(default=default)
            except KeyboardInterrupt:
                default = ""
                continue
            except EOFError:
                break
            outcome = self.handle(text)
            if outcome == "quit":
                break
            default = text.strip() if outcome == "bad query" else ""  # keep it on the line, to fix it
        return 0

    def run_lines(self, lines: Iterable[str]) -> int:
        """Run queries and commands read from a pipe, one a line (no prompt); 2 if any failed.
        Only results go to the output; errors, warnings and status lines go to `err`."""
        self.messages = self.err
        status = 0
        for line in lines:
            outcome = self.handle(line)
            if outcome == "quit":
                break
            if outcome in ("bad query", "error"):
                status = 2
        return status

    def handle(self, text: str) -> str:
        """Run one line: a :command or a query. Returns "ok", "quit", "bad query" or "error"."""
        text = text.strip()
        if not text:
            return "ok"
        try:
            if text.startswith(":"):
                return "quit" if self.command(text) == "quit" else "ok"
            problem = _check(text)
            if problem is not None:
                self.error(str(problem))
                return "bad query"
            self.search(text)
        except CablesearchError as error:
            self.error(str(error))
            return "error"
        except KeyboardInterrupt:
            self.error("interrupted")
            return "error"
        except OSError as error:
            self.error(presenters.os_error_text(error))
            return "error"
        except Exception as error:  # noqa: BLE001 - a bug: say so and keep the session
            self.error(f"internal error: {error.__class__.__name__}: {error} "
                       f"(a bug in cablesearch {__version__}; please report it)")
            return "error"
        return "ok"

    def search(self, text: str, offset: int = 0) -> None:
        facets = (*DEFAULT_FACETS, "month") if self.format == "text" else ()  # month: the timeline
        self.results = self.index.search(text, limit=self.limit, offset=offset, sort=self.sort, facets=facets)
        self.query = text
        for warning in self.results.warnings:
            self.note([("class:warning", f"warning: {warning}"), ("", "\n")])
        self.show_results()

    def show_results(self) -> None:
        results = self.results
        if self.format == "json":
            self.out.write(presenters.results_json(results))
        elif self.format == "jsonl":
            self.out.writelines(presenters.hits_jsonl(results.hits))
        elif self.format == "csv":
            self.out.writelines(presenters.hits_csv(results.hits))
        else:
            width = presenters.terminal_width(self.out) if _terminal_rows(self.out) else None
            frags = presenters.results_page_fragments(results, numbered=True, width=width)
            if results.total > results.offset + len(results.hits):
                frags.append(("class:dim", ":next for more\n"))
            text = presenters.render_text(frags, colour=self.colour)
            rows = _terminal_rows(self.out)
            if rows and text.count("\n") > rows - 2:
                self.pager(text)
            else:
                self.out.write(text)
        self.out.flush()

    # :commands
    def command(self, line: str) -> str | None:
        try:
            words = shlex.split(line[1:])
        except ValueError as error:
            raise CablesearchError(f"{line}: {error}") from None
        if not words:
            return self.command(":help")
        name, args = words[0].lower(), words[1:]
        if name not in _COMMAND_NAMES:
            close = [c.name for c in COMMANDS if c.name.startswith(name[:1])]
            hint = f"; did you mean :{close[0]}?" if close else ""
            raise CablesearchError(f"unknown command :{name}{hint} (:help lists them)")
        name = _COMMAND_NAMES[name].name
        if name == "quit":
            return "quit"
        getattr(self, f"cmd_{name}")(args)
        return None

    def _need_results(self) -> None:
        if self.query is None:
            raise CablesearchError("run a query first")

    def _cable_id(self, args: list[str], command: str) -> str:
        if not args and self.last_cable is not None:
            return self.last_cable
        if len(args) != 1:
            raise CablesearchError(f"usage: :{command} N|ID")
        self.last_cable = self._named_cable(args[0], command)
        return self.last_cable

    def _named_cable(self, arg: str, command: str) -> str:
        if arg.isdigit():
            if self.results is None:
                raise CablesearchError(f"no results yet: run a query, then :{command} N")
            for hit in self.results.hits:
                if hit.rank == int(arg):
                    return hit.id
            raise CablesearchError(f"no result {arg} on this page")
        return arg  # CableIndex finds ids in any case

    def cmd_show(self, args: list[str]) -> None:
        cable_id = self._cable_id(args, "show")
        cable = self.index.get(cable_id)
        if cable is None:
            raise CablesearchError(f"no cable {cable_id} in the index")
        width = presenters.terminal_width(self.out)
        self.pager(presenters.render_text(presenters.cable_fragments(cable, width=width - 1), self.colour))

    def cmd_refs(self, args: list[str]) -> None:
        args, options = self._refs_options(args)
        cable_id = self._cable_id(args, "refs")
        if options:
            graph = self.index.graph(cable_id, **options)
            width = presenters.terminal_width(self.out) if _terminal_rows(self.out) else None
            self.echo(presenters.graph_fragments(graph, width=width))
            return
        cites = self.index.cites(cable_id)  # None: not in the index (what cites it is still listed)
        self.echo(presenters.refs_fragments(cable_id, cites, self.index.cited_by(cable_id)))

    def _refs_options(self, args: list[str]) -> tuple[list[str], dict[str, Any]]:
        """The cable argument(s) and the graph options (--depth N, --direction D, --query Q) of :refs."""
        rest, options = [], {}
        i = 0
        while i < len(args):
            arg = args[i]
            name, _, value = arg.partition("=")
            if name in ("--depth", "--direction", "--query"):
                if not value:
                    if i + 1 >= len(args):
                        raise CablesearchError(f"{name} needs a value")
                    i += 1
                    value = args[i]
                if name == "--depth" and not value.isdigit():
                    raise CablesearchError(f"--depth takes a whole number, not {value!r}")
                if name == "--direction" and value not in DIRECTIONS:
                    raise CablesearchError(f"--direction is one of {', '.join(DIRECTIONS)}, not {value!r}")
                options[name[2:]] = int(value) if name == "--depth" else value
            else:
                rest.append(arg)
            i += 1
        return rest, options

    def cmd_similar(self, args: list[str]) -> None:
        cable_id = self._cable_id(args[:1], "similar")
        query = " ".join(args[1:]) or None
        similar = self.index.similar(cable_id, query, limit=self.limit)
        if similar is None:
            raise CablesearchError(f"no cable {cable_id} in the index")
        if self.format != "text":
            import json
            if self.format == "json":
                self.out.write(json.dumps(presenters.similar_dict(similar), ensure_ascii=False, indent=2) + "\n")
            elif self.format == "jsonl":
                self.out.writelines(presenters.hits_jsonl(item.hit for item in similar.hits))
            else:
                self.out.writelines(presenters.hits_csv(item.hit for item in similar.hits))
            self.out.flush()
            return
        width = presenters.terminal_width(self.out) if _terminal_rows(self.out) else None
        self.echo(presenters.similar_fragments(similar, width=width))

    def cmd_thread(self, args: list[str]) -> None:
        cable_id = self._cable_id(args, "thread")
        width = presenters.terminal_width(self.out) if _terminal_rows(self.out) else None
        text = presenters.render_text(presenters.thread_fragments(self.index.thread(cable_id), width=width),
                                      self.colour)
        rows = _terminal_rows(self.out)
        self.pager(text) if rows and text.count("\n") > rows - 2 else (self.out.write(text), self.out.flush())

    def cmd_facets(self, args: list[str]) -> None:
        name = facet_name(args[0]) if len(args) == 1 else None
        if name is None:
            raise CablesearchError(f"usage: :facets FIELD, one of {', '.join(FACETS)}")
        self._need_results()
        results = self.index.search(self.query, limit=0, facets=(name,))
        values = results.facets.get(name, [])
        if name == "month":
            self.echo(presenters.timeline_fragments(values))
        else:
            self.echo(presenters.facet_table_fragments(args[0].lower(), values))

    def cmd_next(self, args: list[str]) -> None:
        self._need_results()
        offset = self.results.offset + self.limit
        if offset >= self.results.total:
            raise CablesearchError("no more results")
        self.search(self.query, offset)

    def cmd_prev(self, args: list[str]) -> None:
        self._need_results()
        if self.results.offset == 0:
            raise CablesearchError("already on the first page")
        self.search(self.query, max(0, self.results.offset - self.limit))

    def cmd_sort(self, args: list[str]) -> None:
        if len(args) != 1 or args[0] not in SORTS:
            raise CablesearchError(f"usage: :sort {'|'.join(SORTS)} (now {self.sort})")
        self.sort = args[0]
        if self.query is not None:
            self.search(self.query)

    def cmd_limit(self, args: list[str]) -> None:
        if len(args) != 1 or not args[0].isdigit() or int(args[0]) < 1:
            raise CablesearchError(f"usage: :limit N, N at least 1 (now {self.limit})")
        self.limit = int(args[0])

    def cmd_format(self, args: list[str]) -> None:
        if len(args) != 1 or args[0] not in FORMATS:
            raise CablesearchError(f"usage: :format {'|'.join(FORMATS)} (now {self.format})")
        self.format = args[0]

    def cmd_export(self, args: list[str]) -> None:
        if len(args) != 1:
            raise CablesearchError("usage: :export FILE.jsonl or FILE.csv")
        self._need_results()
        path = Path(os.path.expanduser(args[0]))
        suffix = path.suffix.lower()
        if suffix not in (".jsonl", ".csv", ".json"):
            raise CablesearchError(f"{path}: use a .jsonl, .csv or .json file name")
        first = self._search_page(0)
        written = 0

        def every_hit() -> Iterator[Any]:  # page by page, so memory holds one page of snippets
            nonlocal written
            page = first
            while page.hits:
                for hit in page.hits:
                    written += 1
                    yield hit
                if page.offset + len(page.hits) >= page.total:
                    return
                page = self._search_page(page.offset + len(page.hits))

        partial = path.with_name(path.name + ".part")  # renamed when complete: no half-written FILE
        try:
            with open(partial, "w", encoding="utf-8", newline="") as handle:
                if suffix == ".csv":
                    handle.writelines(presenters.hits_csv(every_hit()))
                elif suffix == ".json":
                    handle.writelines(presenters.results_json_lines(self.query, first.total, every_hit()))
                else:
                    handle.writelines(presenters.hits_jsonl(every_hit()))
            os.replace(partial, path)
        except OSError as error:
            raise CablesearchError(f"cannot write {path}: {error.strerror}") from None
        finally:
            if partial.exists():
                partial.unlink()
        self.note([("class:dim", f"wrote {_plural(written, 'cable')} to {path}\n")])

    def _search_page(self, offset: int) -> Any:
        return self.index.search(self.query, limit=EXPORT_PAGE_SIZE, offset=offset, sort=self.sort, facets=())

    def cmd_help(self, args: list[str]) -> None:
        frags = presenters.fields_help_fragments()
        frags += [("", "\n"), ("class:heading", "Commands"), ("", "\n")]
        for c in COMMANDS:
            frags += [("class:q.command", f"  :{c.name} {c.args}".ljust(30)), ("", c.help), ("", "\n")]
        frags += [("", "\n"), ("class:dim", "Tab completes fields and values · Ctrl-R searches history · "
                                           "→ accepts a suggestion · Ctrl-D leaves\n")]
        self.pager(presenters.render_text(frags, self.colour))


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _terminal_rows(stream: TextIO) -> int | None:
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        return None
    import shutil

    return shutil.get_terminal_size((100, 24)).lines


def run_repl(index_path: str | None = None) -> int:
    """Open (or build) the index and run the REPL on the terminal."""
    from .index import open_index

    with open_index(index_path, build_default=True,
                    status=lambda message: print(message, file=sys.stderr, flush=True)) as index:
        if not sys.stdin.isatty():  # `cablesearch < queries.txt`: run each line, no prompt
            return Repl(index, history=InMemoryHistory(), err=sys.stderr).run_lines(sys.stdin)
        return Repl(index).run()
