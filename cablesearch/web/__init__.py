"""The web front end of `cablesearch serve`: a JSON API (OpenAPI at /api/openapi.json) and
server-rendered search and cable pages over a read-only view of one CableIndex.

Needs the optional `web` extra (FastAPI, uvicorn, Jinja2): `pip install 'cablesearch[web]'`.
"""
from __future__ import annotations

from .app import ReadOnlyIndex, WebSettings, create_app

__all__ = ["create_app", "ReadOnlyIndex", "WebSettings"]
