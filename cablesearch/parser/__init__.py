"""The cable parser: the text of one cable (any Cablegate layout) -> a complete `Cable` record.

The parser works on lines. `layout` normalises the text (the seed's blank line after every
header line, backslash-continued dump rows, partial extracts with their metadata block);
`header` reads the header lines in order, handing each to the section that owns it
(`routing`, `banner`, `labels`, `references`, `classified_by`); `body` splits the rest into
numbered paragraphs and `signer` takes the name under them; `assemble` builds the record.
Each module keeps its patterns and tables beside its rules; station tables live in
`cablesearch.stations`. Each odd case has a test named after the cable that shows it.
"""
from __future__ import annotations

from typing import Mapping

from ..model import Cable
from .state import CableParseError, _Found, canonical_station
from .body import _read_body
from .layout import PARTIAL_NOTE, _normalise_lines, _read_archive_block, split_cables
from .routing import origin_name_for, parse_container_datetime
from .header import _read_header
from .assemble import _build_cable
__all__ = ["CableParseError", "PARTIAL_NOTE", "canonical_station", "origin_name_for", "parse_cable",
           "parse_container_datetime", "split_cables"]


def parse_cable(text: str, *, source: str = "", metadata: Mapping[str, str] | None = None,
                encoding: str = "utf-8") -> Cable:
    """Read one cable's text into a `Cable`; `metadata` is what a container (HTML page, CSV row) says.

    Raises `CableParseError` when the text names no cable (no reference id can be found or given).
    """
    if not isinstance(text, str):
        raise CableParseError(source, f"expected text, got {type(text).__name__}")
    if "\x00" in text:
        raise CableParseError(source, "binary data (NUL bytes), not a cable")
    meta = {k: (v or "").strip() for k, v in (metadata or {}).items() if isinstance(v, str)}
    raw = text
    lines = _normalise_lines(text)
    found = _Found(lines)
    _read_archive_block(found)
    _read_header(found)
    _read_body(found)
    return _build_cable(found, raw=raw, source=source, meta=meta, encoding=encoding)
