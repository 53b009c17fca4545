"""Readers: files, directories, WikiLeaks HTML pages, cables.csv, .gz and stdin -> Cable records.

`read_cables(paths)` returns a `Reading`: iterate it to get `Cable` or `ReadError` items one at a
time (a 1.7 GB cables.csv streams in constant memory, from a file or from stdin, gzipped or not);
its counters say how many inputs were read, parsed and rejected so far. Container metadata (HTML
table, CSV columns) goes to the parser, which fills gaps with it and records where it disagrees
with the text.
"""
from __future__ import annotations

import csv
import gzip
import html
import io
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Iterator

from .model import Cable
from .parser import CableParseError, parse_cable, split_cables

CSV_COLUMNS = ("row", "date", "reference_id", "origin", "classification", "references", "header", "body")
HTML_SUFFIXES = (".html", ".htm")
CSV_SUFFIXES = (".csv",)
DIRECTORY_SUFFIXES = frozenset({".txt", ".text", ".html", ".htm", ".csv", ""})
_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 2048
_RE_ID_NAME = re.compile(r"^\d{2}[A-Z][A-Z0-9]*\d$")
_RE_TABLE = re.compile(r"<table[^>]*\bclass=['\"]cable['\"][^>]*>(.*?)</table>", re.S | re.I)
_RE_TD = re.compile(r"<td[^>]*>(.*?)</td>", re.S | re.I)
_RE_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S | re.I)
_RE_TAG = re.compile(r"<[^>]+>")
_HTML_TABLE_KEYS = ("reference_id", "created", "released", "classification", "origin")


@dataclass(frozen=True)
class ReadError:
    """An input that gave no cable: the file (and row) and why."""
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class Reading:
    """A lazy pass over the inputs; yields Cable or ReadError, counting as it goes."""

    def __init__(self, paths: Iterable[str | Path], *, stdin: IO[bytes] | None = None) -> None:
        self._paths = paths
        self._stdin = stdin
        self.read = 0
        self.parsed = 0
        self.rejected = 0

    def __iter__(self) -> Iterator[Cable | ReadError]:
        for path in self._paths:
            for item in self._read_path(str(path)):
                if isinstance(item, ReadError):
                    self.rejected += 1
                else:
                    self.parsed += 1
                yield item

    def _read_path(self, path: str) -> Iterator[Cable | ReadError]:
        if path == "-":
            stream = self._stdin if self._stdin is not None else sys.stdin.buffer
            yield from self._read_stream("<stdin>", "", stream)
            return
        p = Path(path)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*")
                           if f.is_file() and not _hidden(f.relative_to(p)) and _cable_file_name(f.name))
            for f in files:
                yield from self._read_file(f)
            return
        if not p.exists():
            self.read += 1
            yield ReadError(path, "no such file or directory")
            return
        yield from self._read_file(p)

    def _read_file(self, path: Path) -> Iterator[Cable | ReadError]:
        source = str(path)
        name = path.name.lower()
        kind_name = name[:-3] if name.endswith(".gz") else name
        stem = Path(kind_name).stem.upper() if "." in kind_name else kind_name.upper()
        try:
            raw = open(path, "rb")
        except OSError as exc:
            self.read += 1
            yield ReadError(source, f"cannot read: {_os_reason(exc)}")
            return
        with raw:
            yield from self._read_stream(source, stem, raw, kind_name)

    def _read_stream(self, source: str, stem: str, stream: IO[bytes],
                     kind_name: str = "") -> Iterator[Cable | ReadError]:
        """One byte stream: gunzip if gzip, then CSV (streamed row by row), HTML page or plain text,
        told apart by name or by the first bytes, which are peeked at, not consumed."""
        gzipped = False
        try:
            head, stream = _peek(stream, _SNIFF_BYTES)
            if head[:2] == _GZIP_MAGIC:
                gzipped = True
                head, stream = _peek(gzip.GzipFile(fileobj=stream, mode="rb"), _SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            self.read += 1
            yield ReadError(source, _stream_error(exc, gzipped))
            return
        head = head.lstrip().lower()
        if kind_name.endswith(CSV_SUFFIXES) or (not kind_name and _looks_like_csv(head)):
            yield from self._read_csv(source, stream)
            return
        self.read += 1
        try:
            data = stream.read()  # one cable or one page: small
        except (OSError, EOFError, zlib.error) as exc:
            yield ReadError(source, _stream_error(exc, gzipped))
            return
        text, encoding = decode(data)
        if kind_name.endswith(HTML_SUFFIXES) or head.startswith((b"<?xml", b"<!doctype", b"<html")):
            yield _parse_html(source, text, encoding)
            return
        cables = split_cables(text)
        if len(cables) > 1:
            # several cables in one text: the file name names none of them; each is reported apart
            self.read += len(cables) - 1
            for n, cable_text in enumerate(cables, start=1):
                yield _parse(cable_text, f"{source}:cable {n}", None, encoding)
            return
        metadata = {"reference_id": stem} if _RE_ID_NAME.match(stem) else None
        yield _parse(text, source, metadata, encoding)

    def _read_csv(self, source: str, stream: IO[bytes]) -> Iterator[Cable | ReadError]:
        """cables.csv release layout, streamed row by row (constant memory)."""
        _raise_csv_limit()
        wrapper = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(wrapper, escapechar="\\", doublequote=False, quotechar='"', strict=False)
        records = 0  # records seen in this source, the header line included
        rownum = 0  # data rows: the physical position a row is reported by
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, OSError, EOFError, zlib.error) as exc:
                self.read += 1
                yield ReadError(f"{source}:{reader.line_num}", f"unreadable CSV: {exc}")
                return
            records += 1
            if not row or (records == 1 and row[0].strip().lower() == "row"):
                continue
            rownum += 1
            self.read += 1
            where = f"{source}:row {rownum}"
            if len(row) < len(CSV_COLUMNS):
                yield ReadError(where, f"expected {len(CSV_COLUMNS)} columns, found {len(row)}")
                continue
            encoding = "utf-8"
            fields = []
            for value in row:
                fixed, enc = _fix_surrogates(value)
                fields.append(fixed)
                if enc != "utf-8":
                    encoding = enc
            record = dict(zip(CSV_COLUMNS, fields))
            text = record["header"].rstrip("\n") + "\n\n" + record["body"] if record["header"].strip() \
                else record["body"]
            metadata = {k: record[k] for k in ("reference_id", "created", "origin", "classification") if k in record}
            metadata["created"] = record["date"]
            yield _parse(text, where, metadata, encoding)


def read_cables(paths: Iterable[str | Path]) -> Reading:
    """Read cables from files, directories (recursively), HTML pages, cables.csv, .gz, "-" (stdin)."""
    return Reading(paths)


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM); anything else is decoded as cp1252 and marked so."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def html_page_parts(text: str) -> tuple[dict[str, str], str]:
    """A WikiLeaks cable page -> (metadata table, cable text = header <pre>, blank line, body <pre>)."""
    metadata: dict[str, str] = {}
    table = _RE_TABLE.search(text)
    if table:
        cells = [_strip_tags(c).strip() for c in _RE_TD.findall(table.group(1))]
        metadata = {k: v for k, v in zip(_HTML_TABLE_KEYS, cells) if v}
    pres = [_strip_tags(p) for p in _RE_PRE.findall(text)]
    return metadata, "\n\n".join(pres)


def _parse_html(source: str, page: str, encoding: str) -> Cable | ReadError:
    metadata, text = html_page_parts(page)
    if not text.strip():
        return ReadError(source, "an HTML page without a cable (<pre> blocks) in it")
    metadata.pop("released", None)
    return _parse(text, source, metadata, encoding)


def _parse(text: str, source: str, metadata: dict[str, str] | None, encoding: str) -> Cable | ReadError:
    try:
        return parse_cable(text, source=source, metadata=metadata, encoding=encoding)
    except CableParseError as exc:
        return ReadError(source, exc.reason)


def _strip_tags(fragment: str) -> str:
    return html.unescape(_RE_TAG.sub("", fragment))


def _fix_surrogates(value: str) -> tuple[str, str]:
    """A CSV field read with surrogateescape: bytes that were not UTF-8 are re-read as cp1252."""
    try:
        value.encode("utf-8")
        return value, "utf-8"
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="surrogateescape").decode("cp1252", errors="replace"), "cp1252"


def _looks_like_csv(head: bytes) -> bool:
    return head.startswith(b'"') and b'","' in head[:200]


def _peek(stream: IO[bytes], size: int) -> tuple[bytes, IO[bytes]]:
    """The first `size` bytes of a stream (fewer at its end) and a stream that still starts with them.

    Works on pipes (stdin), which cannot seek back."""
    chunks: list[bytes] = []
    wanted = size
    while wanted > 0:
        chunk = stream.read(wanted)
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    head = b"".join(chunks)
    return head, io.BufferedReader(_Prefixed(head, stream))


class _Prefixed(io.RawIOBase):
    """Bytes already read from a stream, then the rest of that stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._rest.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def _stream_error(exc: BaseException, gzipped: bool) -> str:
    if gzipped or isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return f"not a readable gzip file: {_os_reason(exc)}"
    return f"cannot read: {_os_reason(exc)}"


def _cable_file_name(name: str) -> bool:
    """In a directory, read the formats cables come in (.txt, .html, .csv, no suffix; also gzipped)."""
    name = name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    return suffix in DIRECTORY_SUFFIXES


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def _raise_csv_limit() -> None:
    """cables.csv bodies exceed the csv module's default 128 KiB field limit."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 10
