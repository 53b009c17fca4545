"""The `cablesearch` command: argparse subcommands over the library (index, query, show, ...).

Thin by design: each subcommand opens the index, calls one library function and hands the
result to `cablesearch.presenters`. Heavy modules (Whoosh, Lark, prompt_toolkit) are imported
inside the subcommands so that `cablesearch query` starts fast. Exit status: 0 with results,
1 with none, 2 on an error (printed without a traceback), 130 on Ctrl-C.
"""
from __future__ import annotations

import argparse
import atexit
import os
import sys
from typing import Callable, NoReturn, Sequence

from . import __version__
from .errors import CablesearchError
# the index's own lists; cablesearch.results loads no Whoosh
from .results import DEFAULT_FACETS, DIRECTIONS, GRAPH_FORMATS, QUERY_FORMATS, SORTS

EXIT_OK, EXIT_NONE, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130

TEXT_FORMATS = ("text", "json")

MAIN_EPILOG = """\
examples:
  cablesearch                                   start the interactive search (REPL)
  cablesearch index ../shared/corpus/cables     build or update the index
  cablesearch query 'tag:PHUM from:BAKU'        search once and print the hits
  cablesearch show 07BAKU595                    print a whole cable
  cablesearch similar 07BAKU595 'date:2008'     cables like it, from 2008
  cablesearch refs 07BAKU595 --depth 2          its citation graph, two hops each way
  cablesearch thread 07BAKU595                  the cables citing one another around it, by date
  cablesearch explain 'class:>=SECRET belarus'  show how a query is read

The index is --index DIR, else $CABLESEARCH_INDEX, else ./index if it exists, else
$XDG_DATA_HOME/cablesearch/index (built from the bundled example cables on first use).
Exit status: 0 when something was found, 1 when nothing was, 2 on an error.
"""


def _status(message: str) -> None:
    """Status and progress go to stderr; stdout carries data only."""
    print(message, file=sys.stderr, flush=True)


def _stdout_is_terminal() -> bool:
    return bool(getattr(sys.stdout, "isatty", None) and sys.stdout.isatty())


def _write_fragments(fragments, stream=None) -> None:
    from .presenters import render_text, wants_colour

    stream = stream or sys.stdout
    stream.write(render_text(fragments, colour=wants_colour(stream)))


def _open_index(args: argparse.Namespace):
    from .index import open_index

    return open_index(args.index, build_default=True, status=_status)


def _split_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


# --- subcommands --------------------------------------------------------------------------------

def cmd_query(args: argparse.Namespace) -> int:
    """Search once and print the hits."""
    from . import presenters

    if args.limit < 1:
        raise CablesearchError("--limit must be at least 1")
    if args.offset < 0:
        raise CablesearchError("--offset must not be negative")
    fields = _split_list(args.fields) or None
    if fields:
        presenters.check_fields(fields)
    facets = tuple(_split_list(args.facets))
    if args.format == "text" and not args.count and facets and "month" not in facets:
        facets += ("month",)  # the timeline under the hits
    with _open_index(args) as index:
        if args.count:
            results = index.search(args.query, limit=1, facets=())
        else:
            results = index.search(args.query, limit=args.limit, offset=args.offset, sort=args.sort,
                                   facets=facets)
    for warning in results.warnings:
        _status(f"warning: {warning}")
    if args.count:
        print(results.total)
        return EXIT_OK if results.total else EXIT_NONE

    out = sys.stdout
    if args.format == "json":
        out.write(presenters.results_json(results, fields))
    elif args.format == "jsonl":
        out.writelines(presenters.hits_jsonl(results.hits, fields))
    elif args.format == "csv":
        out.writelines(presenters.hits_csv(results.hits, fields))
    else:
        width = presenters.terminal_width(out) if _stdout_is_terminal() else None
        _write_fragments(presenters.results_page_fragments(results, width=width), out)
        if results.total and not results.hits:
            _status(f"no hits past --offset {args.offset}; there are {results.total}")
    return EXIT_OK if results.hits else EXIT_NONE


def cmd_show(args: argparse.Namespace) -> int:
    """Print a whole cable."""
    from . import presenters

    with _open_index(args) as index:
        cable = index.get(args.id)
    if cable is None:
        _status(f"no cable {args.id} in the index")
        return EXIT_NONE
    if args.format == "json":
        sys.stdout.write(presenters.cable_json(cable))
    else:
        width = presenters.terminal_width(sys.stdout, default=100)
        text = presenters.render_text(presenters.cable_fragments(cable, width=width - 1),
                                      colour=presenters.wants_colour(sys.stdout))
        presenters.page_text(text, sys.stdout) if args.pager else sys.stdout.write(text)
    return EXIT_OK


def cmd_refs(args: argparse.Namespace) -> int:
    """What a cable cites and what cites it; with --depth, --direction, --query or a graph format,
    the citation graph walked that far."""
    import json

    from . import presenters

    cable_id = args.id
    if args.depth is not None and args.depth < 0:
        raise CablesearchError("--depth must not be negative")
    one_hop = args.depth is None and args.direction is None and args.query is None
    if one_hop and args.format in TEXT_FORMATS:
        with _open_index(args) as index:
            cites = index.cites(cable_id)  # None: the cable itself is not in the index
            cited_by = list(index.cited_by(cable_id))
        if args.format == "json":
            sys.stdout.write(json.dumps(presenters.refs_dict(cable_id, cites, cited_by), ensure_ascii=False,
                                        indent=2) + "\n")
        else:
            _write_fragments(presenters.refs_fragments(cable_id, cites, cited_by))
        return EXIT_OK if cites or cited_by else EXIT_NONE
    with _open_index(args) as index:
        graph = index.graph(cable_id, depth=1 if args.depth is None else args.depth,
                            direction=args.direction or "both", query=args.query)
    if args.format == "json":
        sys.stdout.write(json.dumps(presenters.graph_dict(graph), ensure_ascii=False, indent=2) + "\n")
    elif args.format == "dot":
        sys.stdout.write(presenters.graph_dot(graph))
    elif args.format == "graphml":
        sys.stdout.write(presenters.graph_graphml(graph))
    else:
        width = presenters.terminal_width(sys.stdout) if _stdout_is_terminal() else None
        _write_fragments(presenters.graph_fragments(graph, width=width))
    if not graph.node(graph.root).in_index:
        _status(f"{graph.root} is not in the index")
    return EXIT_OK if graph.edges else EXIT_NONE


def cmd_similar(args: argparse.Namespace) -> int:
    """Cables like one cable, optionally only those matching a query."""
    from . import presenters

    if args.limit < 1:
        raise CablesearchError("--limit must be at least 1")
    with _open_index(args) as index:
        similar = index.similar(args.id, args.query, limit=args.limit)
    if similar is None:
        _status(f"no cable {args.id} in the index")
        return EXIT_NONE
    hits = [item.hit for item in similar.hits]
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(presenters.similar_dict(similar), ensure_ascii=False, indent=2) + "\n")
    elif args.format == "jsonl":
        import json

        sys.stdout.writelines(json.dumps({**presenters.hit_dict(item.hit), "shared_words": list(item.words),
                                          "shared_tags": list(item.tags)}, ensure_ascii=False) + "\n"
                              for item in similar.hits)
    elif args.format == "csv":
        sys.stdout.writelines(presenters.hits_csv(hits))
    else:
        width = presenters.terminal_width(sys.stdout) if _stdout_is_terminal() else None
        _write_fragments(presenters.similar_fragments(similar, width=width))
    return EXIT_OK if hits else EXIT_NONE


def cmd_thread(args: argparse.Namespace) -> int:
    """The cables citing one another around a cable, in date order."""
    import json

    from . import presenters

    if args.depth < 1 or args.max < 1:
        raise CablesearchError("--depth and --max must be at least 1")
    with _open_index(args) as index:
        thread = index.thread(args.id, depth=args.depth, max_cables=args.max)
    if args.format == "json":
        sys.stdout.write(json.dumps(presenters.thread_dict(thread), ensure_ascii=False, indent=2) + "\n")
    else:
        width = presenters.terminal_width(sys.stdout) if _stdout_is_terminal() else None
        _write_fragments(presenters.thread_fragments(thread, width=width))
    if len(thread.entries) < 2:
        _status(f"no indexed cable cites or is cited by {args.id}")
        return EXIT_NONE
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    """Index facts: cable count, date span, classifications, size on disk."""
    import json

    from . import presenters

    with _open_index(args) as index:
        stats = index.stats()
    if args.format == "json":
        sys.stdout.write(json.dumps(presenters.stats_dict(stats), ensure_ascii=False, indent=2,
                                    default=str) + "\n")
    else:
        _write_fragments(presenters.stats_fragments(stats))
    return EXIT_OK


def cmd_parse(args: argparse.Namespace) -> int:
    """Parse cables and print them, without indexing; exit 2 when any input was rejected."""
    import json

    from . import presenters
    from .readers import read_cables

    reading = read_cables(args.paths)
    colour = presenters.wants_colour(sys.stdout)
    width = presenters.terminal_width(sys.stdout) if _stdout_is_terminal() else None
    for item in reading:
        if not hasattr(item, "reference_id"):  # a ReadError
            _status(f"{item.source}: {item.reason}")
            continue
        if args.json:
            sys.stdout.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(presenters.render_text(presenters.cable_summary_fragments(item, width), colour))
    rejected = getattr(reading, "rejected", 0)
    parsed = getattr(reading, "parsed", 0)
    if rejected or not parsed:
        _status(f"{parsed} parsed, {rejected} rejected")
    if rejected:
        return EXIT_ERROR
    return EXIT_OK if parsed else EXIT_NONE


def cmd_index(args: argparse.Namespace) -> int:
    """Read cables from the paths and add them to the index, replacing same-id cables."""
    from .index import CableIndex, estimate_inputs, resolve_index_path

    path = resolve_index_path(args.index)
    total = estimate_inputs(args.paths)
    with CableIndex.open(path, create=True) as index:
        if sys.stderr.isatty() and not args.quiet:
            from prompt_toolkit.output import create_output
            from prompt_toolkit.shortcuts import ProgressBar

            # prompt_toolkit's bar on stderr, advanced by the index's progress callback
            with ProgressBar(title=f"indexing into {path}", output=create_output(stdout=sys.stderr)) as bar:
                counter = bar(label="cables", total=total)

                def advance(progress) -> None:
                    if progress.event == "read":
                        counter.item_completed()

                summary = index.add_paths(args.paths, progress=advance, total=total)
        else:
            summary = index.add_paths(args.paths, total=total)
    _status(f"{path}: {summary}")
    if summary.rejected:
        for error in summary.errors[:10]:
            _status(f"  {error.source}: {error.reason}")
        if len(summary.errors) > 10:
            _status(f"  ... and {len(summary.errors) - 10} more")
        return EXIT_ERROR
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """Print how a query is parsed and what Whoosh query it compiles to."""
    from .query import explain

    sys.stdout.write(explain(args.query).rstrip("\n") + "\n")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the search page and the JSON API until Ctrl-C."""
    from .index import exists, resolve_index_path
    from .web.server import serve

    path = resolve_index_path(args.index)
    if not exists(path):  # the default one is built as `query` builds it; the server itself never writes
        _open_index(args).close()
    serve(path, args.host, args.port, status=_status)
    return EXIT_OK


def cmd_repl(args: argparse.Namespace) -> int:
    """Start the interactive search."""
    from .repl import run_repl

    return run_repl(index_path=args.index)


# --- argument parsing ---------------------------------------------------------------------------

def _add_subcommand(subparsers, name: str, func: Callable, help_text: str, examples: str,
                    parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    sub = subparsers.add_parser(name, help=help_text, description=help_text.capitalize() + ".",
                                epilog="examples:\n" + examples, parents=parents,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub.set_defaults(func=func)
    return sub


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand; `--index DIR` is accepted before or after it."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", metavar="DIR", default=argparse.SUPPRESS,
                        help="index folder (default: $CABLESEARCH_INDEX, ./index, or the XDG data dir)")

    parser = argparse.ArgumentParser(
        prog="cablesearch", description="Full-text search for diplomatic cables.",
        epilog=MAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"cablesearch {__version__}")
    parser.add_argument("--index", metavar="DIR", default=None,
                        help="index folder (default: $CABLESEARCH_INDEX, ./index, or the XDG data dir)")
    parser.set_defaults(func=cmd_repl)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")

    sub = _add_subcommand(subparsers, "query", cmd_query, "search the index and print the hits", """\
  cablesearch query 'tag:PHUM from:BAKU'
  cablesearch query 'belarus date:2007-05' --sort -date --limit 20
  cablesearch query 'class:>=SECRET caption:NOFORN' --format jsonl --fields id,date,subject
  cablesearch query 'para:(Lukashenko Aliyev)' --format csv > hits.csv
  cablesearch query 'tag:PHUM' --count
  cablesearch query '-tag:PHUM from:BAKU'
""", [common])
    sub.add_argument("query", help="the query, e.g. 'tag:PHUM from:BAKU date:2007-05 \"Belarus\"'; "
                                   "one that starts with - may be given as is or after --")
    sub.add_argument("--limit", "-n", type=int, default=10, help="hits to print (default 10)")
    sub.add_argument("--offset", type=int, default=0, help="skip this many hits first")
    sub.add_argument("--sort", choices=SORTS, default="relevance", help="order of hits (default relevance)")
    sub.add_argument("--format", "-f", choices=QUERY_FORMATS, default="text", help="output format")
    sub.add_argument("--fields", metavar="F,F,...",
                     help="fields of each hit for json/jsonl/csv (rank,id,date,origin,origin_name,"
                          "classification,tags,subject,score,snippets,snippet,paragraph)")
    sub.add_argument("--facets", metavar="F,F,...", default=",".join(DEFAULT_FACETS),
                     help=f"facet counts to compute (default {','.join(DEFAULT_FACETS)}; '' for none)")
    sub.add_argument("--count", action="store_true", help="print only the number of matching cables")
    query_parsers = {"query": sub}

    sub = _add_subcommand(subparsers, "show", cmd_show, "print a whole cable", """\
  cablesearch show 07BAKU595
  cablesearch show 07baku595 --format json
""", [common])
    sub.add_argument("id", help="reference id, e.g. 07BAKU595")
    sub.add_argument("--format", "-f", choices=TEXT_FORMATS, default="text")
    sub.add_argument("--pager", action=argparse.BooleanOptionalAction, default=None,
                     help="page the text through $PAGER (default: when stdout is a terminal)")

    sub = _add_subcommand(subparsers, "refs", cmd_refs, "list what a cable cites and what cites it, or walk "
                          "the citation graph", """\
  cablesearch refs 07BAKU595
  cablesearch refs 07STATE61831 --format json
  cablesearch refs 07BAKU595 --depth 2 --direction cites
  cablesearch refs 07BAKU595 --depth 3 --query 'from:BAKU date:2007' --format dot | dot -Tsvg > refs.svg
  cablesearch refs 07BAKU595 --depth 2 --format graphml > refs.graphml
""", [common])
    sub.add_argument("id", help="reference id")
    sub.add_argument("--depth", "-d", type=int, default=None,
                     help="hops to walk (default 1); with it, refs prints the citation graph as a tree")
    sub.add_argument("--direction", choices=DIRECTIONS, default=None,
                     help="follow what a cable cites, what cites it, or both (default both)")
    sub.add_argument("--query", "-q", default=None, metavar="Q",
                     help="keep and follow only cables matching this query (the starting cable always)")
    sub.add_argument("--format", "-f", choices=GRAPH_FORMATS, default="text",
                     help="text (a tree), json (nodes and edges), dot (Graphviz) or graphml (Gephi, networkx)")

    sub = _add_subcommand(subparsers, "similar", cmd_similar, "list the cables most like a cable", """\
  cablesearch similar 07BAKU595
  cablesearch similar 07BAKU595 'date:2008'
  cablesearch similar 07BAKU595 'from:STATE OR tag:PREL' --format json
  cablesearch similar 07BAKU595 -- '-from:BAKU'
""", [common])
    sub.add_argument("id", help="reference id of the cable to match")
    sub.add_argument("query", nargs="?", default=None,
                     help="only cables matching this query (it restricts, it does not rank); "
                          "one that starts with - goes after --")
    sub.add_argument("--limit", "-n", type=int, default=10, help="cables to print (default 10)")
    sub.add_argument("--format", "-f", choices=QUERY_FORMATS, default="text", help="output format")

    sub = _add_subcommand(subparsers, "thread", cmd_thread, "show the cables citing one another around a "
                          "cable, in date order", """\
  cablesearch thread 07BAKU595
  cablesearch thread 07BAKU595 --depth 5 --format json
""", [common])
    sub.add_argument("id", help="reference id")
    sub.add_argument("--depth", "-d", type=int, default=3, help="hops of citations to follow (default 3)")
    sub.add_argument("--max", type=int, default=200, help="stop after this many cables (default 200)")
    sub.add_argument("--format", "-f", choices=TEXT_FORMATS, default="text")

    sub = _add_subcommand(subparsers, "stats", cmd_stats, "show what the index holds", """\
  cablesearch stats
  cablesearch stats --format json
""", [common])
    sub.add_argument("--format", "-f", choices=TEXT_FORMATS, default="text")

    sub = _add_subcommand(subparsers, "index", cmd_index, "add cables to the index (re-runs are idempotent)",
                          """\
  cablesearch index ../shared/corpus/cables
  cablesearch index cables.csv.gz --index /data/cables-index
  cat 07BAKU595.txt | cablesearch index -
""", [common])
    sub.add_argument("paths", nargs="+", metavar="PATH",
                     help="cable files, folders, WikiLeaks HTML pages, cables.csv (.gz), or - for stdin")
    sub.add_argument("--quiet", "-q", action="store_true", help="no progress bar, only the summary")

    sub = _add_subcommand(subparsers, "parse", cmd_parse, "parse cables and print them (no index)", """\
  cablesearch parse ../shared/corpus/seed/07BAKU595.txt
  cablesearch parse ../shared/corpus/cables --json > cables.jsonl
""", [common])
    sub.add_argument("paths", nargs="+", metavar="PATH", help="cable files, folders, HTML, CSV, or -")
    sub.add_argument("--json", action="store_true", help="one JSON object per cable per line")

    sub = _add_subcommand(subparsers, "explain", cmd_explain, "show how a query is parsed and compiled", """\
  cablesearch explain 'tag:PHUM from:BAKU date:2007-05 "Belarus"'
  cablesearch explain 'para:(marking:S Lukashenko) OR class:>=SECRET'
""", [common])
    sub.add_argument("query", help="the query; one that starts with - may be given as is or after --")
    query_parsers["explain"] = sub

    sub = _add_subcommand(subparsers, "serve", cmd_serve, "serve a search page and a JSON API over HTTP", """\
  cablesearch serve                             http://127.0.0.1:8080/ (the API: /api/openapi.json)
  cablesearch serve --index /data/cables-index --port 9000
  cablesearch serve --host 0.0.0.0              reachable from other machines
""", [common])
    sub.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    sub.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")

    _add_subcommand(subparsers, "repl", cmd_repl, "start the interactive search (the default)", """\
  cablesearch repl
  cablesearch --index /data/cables-index
""", [common])
    parser.query_parsers = query_parsers  # for _query_argv
    return parser


def _report_error(error: BaseException) -> None:
    message = str(error) or error.__class__.__name__
    print(f"cablesearch: {message}", file=sys.stderr)


def _report_internal_error(error: BaseException) -> None:
    """A bug, not bad input: say so in two lines, without a traceback."""
    print(f"cablesearch: internal error: {error.__class__.__name__}: {error}", file=sys.stderr)
    print(f"cablesearch: this is a bug; please report it with the command you ran "
          f"(cablesearch {__version__}, Python {sys.version.split()[0]})", file=sys.stderr)


def _one_blas_thread() -> None:
    """Ask NumPy's OpenBLAS for one thread (unless the user set a number). Loading it starts a
    thread per core that spins while it waits for work, taking CPU from the start-up of a one-shot
    command on a busy machine (tens of ms); cablesearch does no linear algebra. Only effective
    before NumPy is imported, so main() calls it first."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    _one_blas_thread()
    parser = build_parser()
    argv = _query_argv(sys.argv[1:] if argv is None else list(argv), parser.query_parsers)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    if getattr(args, "pager", "absent") is None:
        args.pager = _stdout_is_terminal()
    try:
        return args.func(args)
    except KeyboardInterrupt as interrupt:  # IndexingInterrupted is one too, with a message
        print(f"cablesearch: {interrupt}" if isinstance(interrupt, CablesearchError) else "", file=sys.stderr)
        return EXIT_INTERRUPTED
    except CablesearchError as error:
        _report_error(error)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader (e.g. `| head`) had enough: output was being written, so hits
        _silence_stdout()
        return EXIT_OK
    except OSError as error:  # a folder that cannot be made, a file that cannot be read ...
        from .presenters import os_error_text

        print(f"cablesearch: {os_error_text(error)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback reaches a user
        _report_internal_error(error)
        return EXIT_ERROR


def run() -> NoReturn:
    """The console script: main(), then the exit handlers, then exit without Python's teardown of
    every module and object (30 ms of a one-shot search at 251,287 cables, more than some
    searches take); nothing is left to write by then but the flushed output."""
    code = main()
    atexit._run_exitfuncs()  # what a normal exit runs: multiprocessing's and temporary files' clean-up
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass
    os._exit(code)


def _subcommand_position(argv: Sequence[str]) -> int | None:
    """Where the subcommand name is in `argv` (after the main options), or None."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return None
        if arg == "--index":
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            return i
    return None


def _option_action(options: dict[str, argparse.Action], arg: str) -> argparse.Action | None:
    """The option `arg` names: exactly, as `--name=value`, or as a unique `--na` prefix; else None."""
    if not arg.startswith("-") or arg in ("-", "--"):
        return None
    if arg in options:
        return options[arg]
    if not arg.startswith("--"):
        return None
    name = arg.split("=", 1)[0]
    if name in options:
        return options[name]
    matches = {id(action): action for option, action in options.items() if option.startswith(name)}
    return next(iter(matches.values())) if len(matches) == 1 else None


def _query_argv(argv: list[str], query_parsers: dict[str, argparse.ArgumentParser]) -> list[str]:
    """Rewrite the arguments of `query`/`explain` so that argparse reads what the user meant.

    An argument that starts with "-" but is no option of the subcommand is the query
    (`query -tag:PHUM`), as is the argument after "--" (`query -- -tag:PHUM --format csv`);
    it is moved to the end, after "--". An option value that starts with "-" is glued to its
    option (`--sort -date` -> `--sort=-date`). argparse alone would read both as options.
    """
    position = _subcommand_position(argv)
    if position is None or argv[position] not in query_parsers:
        return argv
    options = query_parsers[argv[position]]._option_string_actions
    rest = argv[position + 1:]
    out: list[str] = []
    dash_query: list[str] = []
    seen_query = False
    i = 0
    while i < len(rest):
        arg = rest[i]
        action = _option_action(options, arg)
        if action is not None:
            out.append(arg)
            takes_value = action.nargs != 0 and "=" not in arg
            if takes_value and i + 1 < len(rest) and _option_action(options, rest[i + 1]) is None:
                i += 1
                value = rest[i]
                if value.startswith("-"):
                    out[-1] = f"{arg}={value}"
                else:
                    out.append(value)
        elif arg == "--" and not seen_query and i + 1 < len(rest):
            i += 1
            seen_query = True
            (dash_query if rest[i].startswith("-") else out).append(rest[i])
        elif arg.startswith("-") and arg != "--" and not seen_query:
            seen_query = True
            dash_query.append(arg)
        else:
            seen_query = seen_query or not arg.startswith("-")
            out.append(arg)  # the query, or something argparse will report
        i += 1
    return argv[:position + 1] + out + (["--", *dash_query] if dash_query else [])


def _silence_stdout() -> None:
    """After the reader of our stdout went away (`| head`), stop Python complaining at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
