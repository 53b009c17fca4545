"""Importing Whoosh without four modules that searching never uses (a quicker one-shot start).

Importing this module imports Whoosh's modules that import them, while stand-ins for them are in
`sys.modules`; the stand-ins are removed straight after, so any later import gets the real module.
Imported first by the modules of this package that import Whoosh (index.py, fields.py).

- whoosh.compat imports `urlretrieve` from urllib.request, which imports http.client, email, ssl
  and socket; Whoosh calls it only to download data files.
- whoosh.reading uses the cached_property package, which imports asyncio (29 modules) to ask
  `asyncio.iscoroutinefunction` of each property it caches.
- whoosh.compat imports `escape` from html, whose package loads the table of HTML entities; it is
  used only by Whoosh's highlighter.
- whoosh.query.terms imports `variations` from whoosh.lang.morph_en, a table of English word
  forms compiled into regular expressions as it loads, for the Variations query, never used here.

Each stand-in imports the real module the first time it is used, so nothing changes but when the
import happens. Together they were about a tenth of a one-shot `cablesearch query` (15-30 ms).
"""
from __future__ import annotations

import importlib
import inspect
import sys
import types


class _StandIn(types.ModuleType):
    """Stands in for module `__name__` in the modules imported while it is in sys.modules; any
    attribute not set on it imports the real module (once the stand-in has left sys.modules)."""

    def __getattr__(self, attribute: str):
        if sys.modules.get(self.__name__) is self:  # still standing in: no real module to ask yet
            raise AttributeError(f"{self.__name__}.{attribute} is not available during the deferred import")
        return getattr(importlib.import_module(self.__name__), attribute)


def _forward(module: str, name: str):
    """A function calling `module.name`, importing `module` at the first call."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    return call


def _iscoroutinefunction(func) -> bool:
    # asyncio.iscoroutinefunction is inspect's test, or asyncio's own marker on a function, which
    # only asyncio (or a library using it) sets: without asyncio imported, no function carries it.
    if inspect.iscoroutinefunction(func):
        return True
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and not isinstance(asyncio, _StandIn) and asyncio.iscoroutinefunction(func)


def _import_with_stand_ins(modules: list[str], stand_ins: dict[str, dict[str, object]]) -> None:
    """Import `modules` while each module named in `stand_ins` is replaced by a stand-in holding
    the given attributes (only where the real module is not imported already)."""
    placed = []
    for name, attributes in stand_ins.items():
        if name not in sys.modules:
            stand_in = _StandIn(name)
            stand_in.__dict__.update(attributes)
            sys.modules[name] = stand_in
            placed.append((name, stand_in))
    try:
        for module in modules:
            importlib.import_module(module)
    finally:
        for name, stand_in in placed:
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


_import_with_stand_ins(
    ["whoosh.compat", "cached_property", "whoosh.query"],
    {"urllib.request": {"urlretrieve": _forward("urllib.request", "urlretrieve")},
     "asyncio": {"iscoroutinefunction": _iscoroutinefunction},
     "whoosh.lang.morph_en": {"variations": _forward("whoosh.lang.morph_en", "variations")},
     "html": {"escape": _forward("html", "escape")}},
)
