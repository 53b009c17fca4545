"""A cable as the index stores it, as compact JSON in two columns, and back.

The `record` column holds what a page of hits reads (the metadata and the paragraphs), the
`record_text` column the cable's whole text (`body` and `raw`), which only `CableIndex.get` and
hits on a cable without paragraphs read: most of a record's bytes, so leaving them out of a page
of hits spares their decompression and decoding. Together they are exactly what was indexed.
"""
from __future__ import annotations

import functools
import json
import typing
from dataclasses import fields as dataclass_fields, is_dataclass
from datetime import datetime
from typing import Any

from .model import Cable, parse_utc

TEXT_KEYS = ("body", "raw")  # kept in the record_text column


def encode_record(cable: Cable) -> tuple[bytes, bytes]:
    """The cable as (record, record_text): compact JSON (the columns compress it)."""
    record = cable.to_dict()
    record["raw"] = cable.raw
    text = {key: record.pop(key) for key in TEXT_KEYS}
    return _json(record), _json(text)


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_record(data: bytes, text: bytes | None = None) -> dict[str, Any]:
    """A stored record, with its text where `text` (the record_text column's bytes) is given."""
    record = json.loads(data.decode("utf-8"))
    if text is not None:
        record.update(json.loads(text.decode("utf-8")))
    return record


def cable_from_record(record: dict[str, Any]) -> Cable:
    """Rebuild the Cable (with its nested records) from a stored record."""
    return _from_json(Cable, record)


@functools.lru_cache(maxsize=None)
def _type_hints(cls: type) -> dict[str, Any]:
    """A dataclass's resolved annotations (resolving them took most of `get` for a long cable)."""
    return typing.get_type_hints(cls)


def _from_json(cls: type, data: dict[str, Any]) -> Any:
    hints = _type_hints(cls)
    kwargs = {}
    for f in dataclass_fields(cls):
        if f.name not in data:
            continue
        value, hint = data[f.name], hints[f.name]
        args = typing.get_args(hint)
        if value is None:
            pass
        elif hint is datetime or datetime in args:
            value = parse_utc(value)
        elif typing.get_origin(hint) is tuple:
            item_type = args[0] if args else str
            value = tuple(_from_json(item_type, v) if is_dataclass(item_type) else v for v in value)
        kwargs[f.name] = value
    return cls(**kwargs)
