"""The web front end of `cablesearch serve`: a JSON API (OpenAPI at /api/openapi.json) and
server-rendered search and cable pages over a read-only view of one CableIndex.

Needs the optional `web` extra (FastAPI, uvicorn, Jinja2): `pip install 'cablesearch[web]'`.
The names below are imported on first use, so `cablesearch.web.server` can say when it is missing.
"""
from __future__ import annotations

_EXPORTS = {"create_app": "app", "ReadOnlyIndex": "app", "WebSettings": "app", "serve": "server"}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        from importlib import import_module
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'cablesearch.web' has no attribute {name!r}")
