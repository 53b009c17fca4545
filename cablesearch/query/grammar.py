"""Loading the query grammar (grammar/cables.lark, shipped as cablesearch.grammar) and lexing with it.

The Lark parser is built once per process. Lark's cache keeps the analysed LALR tables in a file
under the user's cache directory, so a later process loads in a few milliseconds; when no cache
directory is writable (a read-only install, a locked-down home) the grammar is simply analysed
afresh.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from functools import lru_cache
from importlib import import_module
from pathlib import Path
from typing import NamedTuple

import lark
from lark.exceptions import UnexpectedCharacters

GRAMMAR_FILE = "cables.lark"

# Terminal names as the grammar spells them -> the names lex_query and expected_at report.
PUBLIC_TOKEN_NAMES = {
    "_AND": "AND", "_OR": "OR", "_NOT": "NOT", "_MINUS": "MINUS",
    "_LPAR": "LPAR", "_RPAR": "RPAR", "$END": "END",
}


class Token(NamedTuple):
    """One lexed piece of a query: grammar terminal name, 0-based start and end offsets, its text."""
    type: str
    start: int
    end: int
    text: str


def grammar_text() -> str:
    """The grammar source, read from the installed package."""
    # From the package's folder where it is one: importing importlib.resources (with zipfile)
    # is a few ms of a one-shot query. importlib.resources reads it from anywhere else (a zip).
    package = import_module("cablesearch.grammar")
    path = Path(package.__file__).with_name(GRAMMAR_FILE) if getattr(package, "__file__", None) else None
    if path is not None and path.is_file():
        return path.read_text(encoding="utf-8")
    from importlib.resources import files
    return files("cablesearch.grammar").joinpath(GRAMMAR_FILE).read_text(encoding="utf-8")


def _cache_dir() -> Path | None:
    """A writable directory for Lark's cache, or None."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (Path(base) / "cablesearch", Path(tempfile.gettempdir()) / f"cablesearch-{os.getuid() if hasattr(os, 'getuid') else 'user'}"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            if os.access(candidate, os.W_OK | os.X_OK):
                return candidate
        except OSError:
            continue
    return None


def cache_path(text: str | None = None) -> Path | None:
    """Where the analysed grammar is cached: named by grammar digest, Lark and Python versions."""
    directory = _cache_dir()
    if directory is None:
        return None
    digest = hashlib.sha256((text if text is not None else grammar_text()).encode("utf-8")).hexdigest()[:16]
    return directory / f"query-grammar-{digest}-lark{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.cache"


@lru_cache(maxsize=1)
def query_parser() -> lark.Lark:
    """The Lark LALR parser for queries (positions kept), from the cache when there is one."""
    text = grammar_text()
    path = cache_path(text)
    options = dict(parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False)
    if path is not None:
        try:
            return lark.Lark(text, cache=str(path), **options)
        except Exception:  # a cache file we cannot read or write: build without it
            pass
    return lark.Lark(text, **options)


def tokens(text: str) -> list[Token]:
    """Lex `text` with the grammar's terminals, never failing.

    Characters no terminal accepts become ERROR tokens one at a time; a quote that is never closed
    becomes one UNCLOSED_PHRASE token running to the end of the text.
    """
    parser = query_parser()
    out: list[Token] = []
    offset = 0
    while offset < len(text):
        try:
            for tok in parser.lex(text[offset:]):
                start = offset + tok.start_pos
                out.append(Token(tok.type, start, start + len(tok.value), str(tok.value)))
            break
        except UnexpectedCharacters as error:
            position = offset + error.pos_in_stream
            if text[position] == '"':
                out.append(Token("UNCLOSED_PHRASE", position, len(text), text[position:]))
                break
            out.append(Token("ERROR", position, position + 1, text[position]))
            offset = position + 1
    return out
