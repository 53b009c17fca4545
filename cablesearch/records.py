"""A cable as the index stores it: the whole record (to_dict + raw) as compact JSON, and back.

The `record` column compresses it; `CableIndex.get` returns exactly what was indexed.
"""
from __future__ import annotations

import functools
import json
import typing
from dataclasses import fields as dataclass_fields, is_dataclass
from datetime import datetime
from typing import Any

from .model import Cable, parse_utc


def encode_record(cable: Cable) -> bytes:
    """The whole cable as compact JSON (the column compresses it)."""
    record = cable.to_dict()
    record["raw"] = cable.raw
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_record(data: bytes) -> dict[str, Any]:
    return json.loads(data.decode("utf-8"))


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
