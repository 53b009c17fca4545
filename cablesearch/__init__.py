"""cablesearch: full-text search for diplomatic cables."""
__version__ = "0.1.0"

# Public names and the module that defines each; imported on first use so that
# `import cablesearch` (and CLI start-up) stays cheap.
_EXPORTS = {
    "CableIndex": "index", "open_index": "index", "Results": "results", "Hit": "results",
    "Cable": "model", "parse_cable": "parser", "read_cables": "readers",
    "compile_query": "query", "parse_query": "query", "QueryError": "query",
    "CablesearchError": "errors",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        from importlib import import_module
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'cablesearch' has no attribute {name!r}")
