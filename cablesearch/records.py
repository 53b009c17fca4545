"""A cable as the index stores it, as compact JSON in two columns, and back.

The `record` column holds what a page of hits reads (HIT_KEYS: the fields a hit shows and the
paragraphs its snippets are cut from), the `record_rest` column everything else, above all the
cable's whole text twice over (`body` and `raw`), which only `CableIndex.get` and hits on a cable
without paragraphs read. Leaving it out of a page of hits spares most of the decompression and
decoding. The rest is compressed with the record as zlib's preset dictionary: the body repeats the
paragraphs, and compressed apart they would take two thirds more room. Together the two columns
are exactly what was indexed.
"""
from __future__ import annotations

import functools
import json
import typing
import zlib
from dataclasses import fields as dataclass_fields, is_dataclass
from datetime import datetime
from typing import Any

from .model import Cable, parse_utc

HIT_KEYS = ("reference_id", "created", "origin", "origin_name", "classification", "tags", "subject", "paragraphs")
REST_LEVEL = 6  # zlib level of the rest, as the record column's


def encode_record(cable: Cable) -> tuple[bytes, bytes]:
    """The cable as (record, record_rest): compact JSON, and the rest's JSON compressed with the
    record as preset dictionary (the record column compresses the record itself)."""
    everything = cable.to_dict()
    everything["raw"] = cable.raw
    head = _json({key: everything.pop(key) for key in HIT_KEYS})
    compressor = zlib.compressobj(REST_LEVEL, zdict=head)
    return head, compressor.compress(_json(everything)) + compressor.flush()


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_record(data: bytes, rest: bytes | None = None) -> dict[str, Any]:
    """A stored record, and the rest of the cable where `rest` (the record_rest column's bytes) is given."""
    record = json.loads(data.decode("utf-8"))
    if rest:
        record.update(decode_rest(data, rest))
    return record


def decode_rest(data: bytes, rest: bytes) -> dict[str, Any]:
    """The rest of a cable (record_rest), whose compression took its record `data` as dictionary."""
    return json.loads(zlib.decompressobj(zdict=data).decompress(rest).decode("utf-8"))


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
