"""What makes a one-shot `cablesearch query` start quickly changes nothing it computes."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cablesearch import CableIndex
from cablesearch._whoosh_reading import WHOOSH_HASH_READER_INIT
from cablesearch.model import UTC_FORMAT, parse_utc

ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_index_leaves_out_what_whoosh_imports_but_never_uses():
    code = """
import sys
import cablesearch.index
left_out = [m for m in ("urllib.request", "asyncio", "whoosh.lang.morph_en", "html", "importlib.resources",
                       "multiprocessing", "concurrent.futures") if m in sys.modules]
assert not left_out, left_out
# each stand-in's names reach the real module at first use
import whoosh.compat, whoosh.query.terms, cached_property
from whoosh.lang.morph_en import variations
assert whoosh.query.terms.variations("running") == variations("running")
assert whoosh.compat.htmlescape("<a>", quote=False) == "&lt;a&gt;"
assert whoosh.compat.urlretrieve.__name__ == "urlretrieve"
assert not cached_property.asyncio.iscoroutinefunction(len)

async def coroutine():
    pass
assert cached_property.asyncio.iscoroutinefunction(coroutine)
import urllib.request, asyncio, html
assert "Request" in dir(urllib.request) and hasattr(asyncio, "run") and html.escape("<") == "&lt;"
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_term_dictionaries_open_as_whooshs_own(small_index):
    with CableIndex.open(small_index) as index:
        with index._lock:
            readers = [leaf.reader() for leaf, _, _ in index._segments(index.searcher())]
        for reader in readers:
            ours = reader._terms._tindex
            theirs = type(ours).__new__(type(ours))
            WHOOSH_HASH_READER_INIT(theirs, ours.dbfile, startoffset=ours.startoffset)
            for name in ("tables", "endofdata", "startofdata", "hashtype", "extras", "indexbase", "indexlen"):
                assert getattr(theirs, name) == getattr(ours, name), name


@pytest.mark.parametrize("text", [
    "2007-05-16T10:04:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2008-02-29T00:00:00Z",
    "2007-02-29T00:00:00Z", "0000-01-01T00:00:00Z", "2007-13-01T00:00:00Z", "2007-05-00T00:00:00Z",
    "2007-05-16T24:00:00Z", "2007-05-16T23:60:00Z", "2007-05-16T23:59:60Z", "2007-05-16t10:04:59z",
    "2007-5-16T10:04:59Z", "2007-05-16T10:04:59", "2007-05-16 10:04:59Z", "２００７-05-16T10:04:59Z", "",
])
def test_parse_utc_reads_what_strptime_reads(text):
    try:
        expected = datetime.strptime(text, UTC_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        with pytest.raises(ValueError):
            parse_utc(text)
    else:
        assert parse_utc(text) == expected
