"""The cable index: writing cables into Whoosh, the writer lock, and searching.

One cable is one Whoosh document; its body is indexed paragraph by paragraph (see fields.py), so
para:(...) is a positional query, not a join. The full cable (to_dict + raw, compressed JSON)
lives in the `record` column; `get(id)` returns it unchanged.

Writing is batched: each batch is one Whoosh commit (one new segment per writing process), so a
killed run leaves the cables of the last commit and a rerun skips them (same content hash). Only
small segments are ever merged (merge_small_segments). A second writer waits `lock_timeout`
seconds on `cablesearch.lock` (which records who holds it), then gets IndexLockedError.

Searching: readers take no lock; one searcher is kept and refreshed when the index changed. Each
segment's matches are found and scored by matching.SegmentQuery; facets, sort keys and records are
read per segment once and cached until the segment goes.
"""
from __future__ import annotations

import functools
import heapq
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import typing
from bisect import bisect_right
from dataclasses import dataclass, fields as dataclass_fields, is_dataclass
from datetime import datetime, timezone
from itertools import chain, islice
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from whoosh import index as whoosh_index, query as wq
from whoosh.reading import EmptyReader, MultiReader, SegmentReader, TermNotFound
from whoosh.searching import Searcher
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from ._whoosh import ChildSafeMpWriter, FastSegmentWriter, LengthsInMemory, bytes_column, numeric_column
from .errors import CablesearchError
from .fields import (FACETS, FIELDS, Kind, build_schema, classification_level, facet_column, facet_name,
                     field_named, keyword_value)
from .matching import SegmentQuery
from .model import Cable, format_utc, parse_utc
from .query.citations import resolve_cited_by
from .query.paragraph import SameParagraph, matched_paragraphs
from .results import (DEFAULT_FACETS, SORTS, Citation, CitationGraph, Hit, IndexProgress, IndexStats, IndexSummary,
                      Results, Similar, Thread, count_facet, hit_snippets)

INDEX_NAME = "MAIN"
LOCK_FILE = "cablesearch.lock"          # held (flock) by the writing process; holds its pid and start time
REJECTED_LOG = "rejected.log"           # rejected inputs and reasons, appended per run
# Cables per commit. Each commit adds one segment per writing process, and every search pays a little
# per segment, so a bulk build wants few, large segments: 50,000 gives 10 for the 251,287 cables.
# A killed build keeps the last commit (a rerun skips what it holds).
DEFAULT_BATCH_SIZE = 50_000
MERGE_BELOW = 2_000                     # segments this small merge in tens (merge_small_segments)
DEFAULT_LOCK_TIMEOUT = 10.0             # seconds a second writer waits for the lock
SMALL_BATCH = 200                       # batches with fewer cables are written in-process
# Whoosh sorts a segment's postings in memory up to this estimate, then spills sorted runs to disk and
# merges them. Each writing process peaked at ~400 MB with 256 (10,000 synthetic cables); 512 was no
# faster (88 s vs 91 s for 25,000 cables on 2 cores) and took 700 MB.
POSTING_POOL_MB = 256
# SORTS and DEFAULT_FACETS (imported above) are defined in results.py, which imports no Whoosh,
# so the CLI can read them at start-up; `from cablesearch.index import SORTS` works as well.
_VALUE_SEP = "\x1f"                     # separates values inside a facet column
FEW_MATCHES = 50                        # facets of under 1/50 of a segment read the matches' values only


class IndexNotFoundError(CablesearchError):
    """No index at the given path (`reason` says why none was built there)."""

    def __init__(self, path: Path, reason: str = ""):
        self.path, self.reason = path, reason
        why = f" ({reason})" if reason else ""
        super().__init__(f"no cable index at {path}{why}; build one with: cablesearch index PATH --index {path}")


class IndexPathError(CablesearchError):
    """The index folder cannot be made or read (not a folder, no permission, read-only ...)."""

    def __init__(self, path: Path, action: str, error: OSError):
        self.path, self.error = path, error
        reason = error.strerror or str(error)
        where = f" ({error.filename})" if error.filename and str(error.filename) != str(path) else ""
        super().__init__(f"cannot {action} an index at {path}: {reason}{where}")


class InvalidSearchError(CablesearchError, ValueError):
    """A search argument out of range (negative offset or limit, unknown sort or facet)."""


class IndexExistsError(CablesearchError):
    """CableIndex.create on a folder that already holds an index."""


class IndexFormatError(CablesearchError):
    """The folder holds an index this version cannot read (another schema)."""


class IndexLockedError(CablesearchError):
    """Another process is writing to the index and did not finish within the wait."""

    def __init__(self, path: Path, pid: int | None, started: str | None, waited: float):
        self.path, self.pid, self.started, self.waited = path, pid, started, waited
        holder = f"process {pid} (started {started})" if pid else "another process"
        super().__init__(f"index {path} is being written by {holder}; gave up after waiting {waited:g}s. "
                         f"Try again when it has finished.")


class IndexWriteError(CablesearchError):
    """A commit did not hold what was written (e.g. a worker process died); rerun to finish."""


class IndexingInterrupted(CablesearchError, KeyboardInterrupt):
    """Ctrl-C during `add`: the index holds the cables of the last commit; `summary` says what was done."""

    def __init__(self, summary: IndexSummary):
        self.summary = summary
        super().__init__(f"interrupted; the index keeps the last commit ({summary}). "
                         f"Run the same command again to finish.")


@dataclass(frozen=True)
class _Rejected:
    """A cable the index refused (same shape as readers.ReadError)."""
    source: str
    reason: str


# --- documents ---------------------------------------------------------------------------------

def cable_document(cable: Cable, content_hash: str | None = None) -> dict[str, Any]:
    """The Whoosh document of one cable (see fields.build_schema)."""
    doc: dict[str, Any] = {"content_hash": content_hash or cable.content_hash(), "record": encode_record(cable)}
    for f in FIELDS:
        if f.values is None:
            continue
        values = list(f.values(cable))
        if not any(values):
            continue
        if f.kind is Kind.TEXT:
            doc[f.name] = values  # CableText: each value (paragraph) at its own range of positions
        elif f.kind is Kind.ID:
            doc[f.name] = values[0]
        else:
            doc[f.name] = ",".join(keyword_value(v) for v in values if v)
    if cable.created is not None:
        created = cable.created.astimezone(timezone.utc).replace(tzinfo=None)
        doc.update(date=created, year=f"{created:%Y}", month=f"{created:%Y-%m}", day=f"{created:%Y-%m-%d}",
                   newest_first=-int(cable.created.timestamp()))
    elif cable.year is not None:  # undated partial extracts: the id still tells the year
        doc["year"] = str(cable.year)
    if cable.classification:
        doc["class_level"] = str(classification_level(cable.classification))
    if cable.archive_id and cable.archive_id != cable.reference_id:
        doc["archive_id"] = cable.archive_id  # get() and id: find the cable by the archive's id too
    for name, values_of in FACETS.items():
        distinct = dict.fromkeys(v for v in values_of(cable) if v)  # facets count cables, not mentions
        doc[facet_column(name)] = _VALUE_SEP.join(distinct).encode("utf-8")
    if "body" in doc:
        doc["marking"] = [_markings(p.marking) for p in cable.paragraphs] or [()]
    return doc


def _markings(marking: str | None) -> tuple[str, ...]:
    """A paragraph's marking terms: "S/NF" is found by marking:S/NF and by marking:S."""
    if not marking:
        return ()
    base = marking.split("/")[0]
    return (marking,) if base == marking else (marking, base)


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


# --- the writer lock ---------------------------------------------------------------------------

class _WriterLock:
    """An flock on cablesearch.lock for a whole writing run; the file says who holds it.

    The kernel drops an flock when its holder dies, so a killed writer never leaves a stale lock.
    """

    def __init__(self, folder: Path, timeout: float):
        self.path = folder / LOCK_FILE
        self.timeout = timeout
        self.fd: int | None = None

    def __enter__(self) -> "_WriterLock":
        import fcntl
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:  # a read-only index, or its folder is gone
            raise IndexPathError(self.path.parent, "write to", error) from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_lock_info(fd)
                    os.close(fd)
                    raise IndexLockedError(self.path.parent, holder.get("pid"), holder.get("started"),
                                           self.timeout) from None
                time.sleep(0.05)
        info = {"pid": os.getpid(), "started": _now_iso(), "host": socket.gethostname(),
                "command": " ".join(sys.argv)}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl
        os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def _read_lock_info(fd: int) -> dict[str, Any]:
    try:
        return json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _now_iso() -> str:
    return format_utc(datetime.now(timezone.utc))


def _whoosh_writer(ix: whoosh_index.Index, procs: int, timeout: float) -> SegmentWriter:
    """A Whoosh writer; with procs > 1, sub-processes analyse the documents (one segment each)."""
    if procs <= 1:
        return FastSegmentWriter(ix, timeout=timeout, limitmb=POSTING_POOL_MB)
    return ChildSafeMpWriter(ix, procs=procs, multisegment=True, batchsize=256, timeout=timeout,
                             limitmb=POSTING_POOL_MB)


class _Batch:
    """One commit's worth of cables, handed to a Whoosh writer as they come.

    The first SMALL_BATCH documents are held back, so that a small run is written in-process:
    starting sub-processes costs more than it saves. Cables already in the last commit with the
    same content hash are skipped; changed ones replace it.
    """

    def __init__(self, index: "CableIndex", procs: int, lock_timeout: float):
        self.index, self.procs, self.lock_timeout = index, procs, lock_timeout
        self.reader = _open_whoosh(index.path).reader()  # the last commit (we hold the writer lock)
        self.writer: SegmentWriter | None = None
        self.digests: dict[str, str] = {}  # reference id -> content hash, for this batch
        self.held: list[dict[str, Any]] = []
        self.replacing: list[str] = []
        self.added = self.replaced = self.unchanged = self.deleted = 0

    def __len__(self) -> int:
        return len(self.digests)

    def add(self, reference_id: str, digest: str, document: dict[str, Any]) -> bool:
        """Add, replace or skip one cable; False if this batch already holds it with other content."""
        seen = self.digests.get(reference_id)
        if seen is not None:
            if seen != digest:
                return False
            self.unchanged += 1
            return True
        self.digests[reference_id] = digest
        existing = _stored_hash(self.reader, reference_id)
        if existing == digest:
            self.unchanged += 1
            return True
        if existing is not None:
            self.replacing.append(reference_id)
            self.replaced += 1
        else:
            self.added += 1
        self.held.append(document)
        if self.writer is None and len(self.held) >= SMALL_BATCH:
            self.writer = self.index._open_writer(self.procs, self.lock_timeout)
        if self.writer is not None:
            self._hand_over()
        return True

    def _hand_over(self) -> None:
        for reference_id in self.replacing:
            self.deleted += self.writer.delete_by_term("id", reference_id)
        for document in self.held:
            self.writer.add_document(**document)
        self.replacing, self.held = [], []

    def commit(self) -> None:
        """Make the batch durable, then check that the index holds what was written."""
        try:
            live_before = self.reader.doc_count()
            if self.writer is None:
                if not (self.held or self.replacing):
                    return  # nothing changed: no commit
                self.writer = self.index._open_writer(1, self.lock_timeout)
            written = self.added + self.replaced
            self._hand_over()
            self.writer.commit(mergetype=merge_small_segments)
            self.writer = None
        finally:
            self.cancel()
        live_after = _open_whoosh(self.index.path).doc_count()
        if live_after != live_before - self.deleted + written:
            raise IndexWriteError(f"the commit to {self.index.path} holds {live_after} documents, expected "
                                  f"{live_before - self.deleted + written}; run the indexing again to finish")

    def cancel(self) -> None:
        """Drop what was not committed."""
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None
        self.reader.close()


def merge_small_segments(writer: SegmentWriter, segments: list) -> list:
    """Whoosh merge policy: segments under MERGE_BELOW documents merge once there are ten of a
    size (1-9, 10-99, ... documents), and so do segments that are mostly deleted documents.

    Large segments never merge on a commit: Whoosh rewrites every posting to merge, which took
    longer than indexing (127 s for 25,000 cables, against 76 s to index them on 2 cores).
    """
    from whoosh.reading import SegmentReader
    tiers: dict[int, list] = {}
    merged, kept = [], []
    for segment in segments:
        live = segment.doc_count()
        if live * 2 < segment.doc_count_all():
            merged.append(segment)
        elif live < MERGE_BELOW:
            tiers.setdefault(len(str(live)), []).append(segment)
        else:
            kept.append(segment)
    for tier in tiers.values():
        (merged if len(tier) >= 10 else kept).extend(tier)
    if len(merged) < 2 and not any(s.deleted_count() for s in merged):
        return segments
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return kept


# --- the index ---------------------------------------------------------------------------------

class CableIndex:
    """An on-disk cable index: add, delete, get and search cables. Safe to search from many threads."""

    def __init__(self, path: Path, ix: whoosh_index.Index):
        self.path = Path(path)
        self._ix = ix
        self.schema = ix.schema
        self._lock = threading.RLock()
        self._searcher = None
        self._generation = -1
        self._segment_readers: dict[tuple[str, int], Any] = {}
        self._per_segment: dict[tuple, Any] = {}  # (segment id, what) -> facet values, sort keys
        self._totals: dict[tuple[int, str], list[tuple[str, int]]] = {}

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, *, overwrite: bool = False) -> "CableIndex":
        """A new, empty index in folder `path` (created if needed)."""
        path = Path(path)
        if not overwrite and exists(path):
            raise IndexExistsError(f"{path} already holds a cable index")
        try:
            path.mkdir(parents=True, exist_ok=True)
            return cls(path, _storage(path).create_index(build_schema(), indexname=INDEX_NAME))
        except FileExistsError as error:  # mkdir(exist_ok=True) says this only when `path` is no folder
            raise IndexPathError(path, "create", OSError(error.errno, "it exists and is not a folder")) from None
        except OSError as error:
            raise IndexPathError(path, "create", error) from None

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> "CableIndex":
        """The index in folder `path`; with create=True an empty one is made when there is none."""
        path = Path(path)
        if not exists(path):
            if create:
                return cls.create(path)
            raise IndexNotFoundError(path)
        try:
            ix = _retry(lambda: _open_whoosh(path))
        except OSError as error:
            raise IndexPathError(path, "open", error) from None
        except Exception as error:  # noqa: BLE001 - Whoosh reports a truncated file as any error at all
            raise IndexFormatError(f"the index at {path} is damaged ({type(error).__name__}: {error}); "
                                   f"move it aside and build it again: cablesearch index PATH --index {path}") from None
        expected = set(build_schema().names())
        if set(ix.schema.names()) != expected:
            raise IndexFormatError(f"the index at {path} was built by another version of cablesearch; "
                                   f"rebuild it: cablesearch index PATH --index {path}")
        return cls(path, ix)

    def __enter__(self) -> "CableIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for reader in self._segment_readers.values():
                reader.close()
            self._segment_readers.clear()
            self._searcher = None
            self._per_segment.clear()

    def __repr__(self) -> str:
        return f"CableIndex({str(self.path)!r})"

    # -- writing ------------------------------------------------------------------------------
    def add(self, items: Iterable[Any], *, progress: Callable[[IndexProgress], None] | None = None,
            batch_size: int = DEFAULT_BATCH_SIZE, procs: int | None = None,
            lock_timeout: float = DEFAULT_LOCK_TIMEOUT, total: int | None = None) -> IndexSummary:
        """Index cables, committing every `batch_size`; skip unchanged ones, replace changed ones.

        `items` may mix Cable and ReadError (source, reason); errors are counted, returned and
        appended to rejected.log beside the index. Ctrl-C raises IndexingInterrupted after
        dropping the uncommitted batch. `procs` > 1 analyses documents in sub-processes.
        """
        procs = default_procs() if procs is None else max(1, procs)
        state = IndexProgress(event="read", total=total)
        errors: list[Any] = []
        started = time.monotonic()
        batch: _Batch | None = None
        # A cable that comes again, changed, within one batch replaces it after that batch's commit
        # (Whoosh cannot take back a document it was given); committing early instead made a segment
        # per repaired id of the archive (08ECTION01OF02MANAMA492 is 08MANAMA492 again).
        deferred: list[tuple[str, str, dict[str, Any]]] = []

        def report(event: str) -> None:
            if progress is not None:
                state.event, state.elapsed = event, time.monotonic() - started
                progress(state)

        def commit() -> None:
            nonlocal batch, deferred
            done, batch = batch, None
            done.commit()
            state.added += done.added
            state.replaced += done.replaced
            state.unchanged += done.unchanged
            state.committed += done.added + done.replaced + done.unchanged
            state.batches += 1
            report("commit")
            if deferred:
                again, deferred = deferred, []
                batch = _Batch(self, procs, lock_timeout)
                for cable in again:
                    if not batch.add(*cable):
                        deferred.append(cable)

        with _WriterLock(self.path, lock_timeout):
            self._clear_temp_files()
            try:
                for item in items:
                    state.read += 1
                    document = digest = None
                    if isinstance(item, Cable):
                        try:
                            digest = item.content_hash()
                            document = cable_document(item, digest)
                        except Exception as error:  # a record the index cannot hold: reject it
                            item = _Rejected(item.source or item.reference_id, f"cannot index: {error}")
                    if document is None:
                        state.rejected += 1
                        errors.append(item)
                        self._log_rejected(item, first=len(errors) == 1)
                    else:
                        batch = batch or _Batch(self, procs, lock_timeout)
                        if not batch.add(item.reference_id, digest, document):
                            deferred.append((item.reference_id, digest, document))
                    report("read")
                    if batch is not None and len(batch) >= batch_size:
                        commit()
                while batch is not None:  # the last batch, then what it deferred
                    commit()
            except BaseException as error:
                if batch is not None:
                    batch.cancel()
                if isinstance(error, KeyboardInterrupt):
                    raise IndexingInterrupted(self._summary(state, errors, started)) from None
                raise
        return self._summary(state, errors, started)

    def add_paths(self, paths: Sequence[str | Path], **options) -> IndexSummary:
        """Read cables from files/folders/CSV/HTML/.gz/"-" (see readers) and add them (options as add)."""
        from .readers import read_cables
        options.setdefault("total", estimate_inputs(paths))
        return self.add(read_cables(paths), **options)

    def delete(self, ids: Iterable[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
        """Remove cables by reference id; returns how many were removed."""
        removed = 0
        with _WriterLock(self.path, lock_timeout):
            writer = self._open_writer(1, lock_timeout)
            try:
                for rid in ids:
                    removed += min(1, writer.delete_by_term("id", rid))
                writer.commit(mergetype=merge_small_segments)
            except BaseException:
                writer.cancel()
                raise
        return removed

    def _open_writer(self, procs: int, lock_timeout: float) -> SegmentWriter:
        from whoosh.index import LockError
        try:
            return _whoosh_writer(self._ix, procs, lock_timeout)
        except LockError:
            raise IndexLockedError(self.path, None, None, lock_timeout) from None

    def _summary(self, state: IndexProgress, errors: list[Any], started: float) -> IndexSummary:
        return IndexSummary(added=state.added, replaced=state.replaced, unchanged=state.unchanged,
                            rejected=state.rejected, errors=tuple(errors), batches=state.batches,
                            elapsed=time.monotonic() - started,
                            log_path=self.path / REJECTED_LOG if errors else None)

    def _log_rejected(self, error: Any, *, first: bool) -> None:
        source = getattr(error, "source", "") or "?"
        reason = getattr(error, "reason", "") or str(error)
        with open(self.path / REJECTED_LOG, "a", encoding="utf-8") as log:
            if first:
                log.write(f"# {_now_iso()} pid {os.getpid()}: {' '.join(sys.argv)}\n")
            log.write(f"{source}\t{' '.join(str(reason).split())}\n")

    def _clear_temp_files(self) -> None:
        # A killed writer may leave its scratch folder; we hold the lock, so nobody else uses it.
        shutil.rmtree(self.path / f"{INDEX_NAME}.tmp", ignore_errors=True)

    # -- reading ------------------------------------------------------------------------------
    def searcher(self) -> Searcher:
        """The shared Whoosh searcher, renewed when another commit has landed. Hold self._lock.

        Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps segments that a merge removed
        and reuses a segment's reader after its deletions changed, so replaced cables show twice.
        Here a segment reader is reused only while its segment and deletions are unchanged.
        """
        if self._searcher is None or self._ix.latest_generation() != self._generation:
            self._searcher = _retry(self._open_searcher)
        return self._searcher

    def _open_searcher(self) -> Searcher:
        toc = self._ix._read_toc()
        readers, kept = [], {}
        for segment in toc.segments:
            key = (segment.segment_id(), segment.deleted_count())
            reader = self._segment_readers.get(key)
            if reader is None:
                reader = SegmentReader(self._ix.storage, toc.schema, segment, generation=toc.generation)
                reader._perdoc = LengthsInMemory(reader._perdoc)  # scoring reads lengths from memory
            kept[key] = reader
            readers.append(reader)
        self._segment_readers = kept  # readers left out close when collected
        if not readers:
            reader = EmptyReader(toc.schema)
        elif len(readers) == 1:
            reader = readers[0]
        else:
            reader = MultiReader(readers, generation=toc.generation)
        self._generation = toc.generation
        return Searcher(reader, fromindex=self._ix)

    def search(self, query: Any, *, limit: int = 10, offset: int = 0, sort: str = "relevance",
               facets: Sequence[str] = DEFAULT_FACETS) -> Results:
        """One page of cables matching `query` (query text, AST node or whoosh Query), with facets.

        Hits `offset`+1 .. `offset`+`limit` of the sorted matches; limit=0 gives only the total and facets.
        """
        for name, value in (("offset", offset), ("limit", limit)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidSearchError(f"{name} must be a whole number >= 0, not {value!r}")
        if sort not in SORTS:
            raise InvalidSearchError(f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}")
        if isinstance(facets, str):
            raise InvalidSearchError(f"facets must be a sequence of names, not the string {facets!r}")
        unknown = [name for name in facets if facet_name(name) is None]
        if unknown:
            raise InvalidSearchError(f"no facet {unknown[0]!r}; facets: {', '.join(sorted(FACETS))}")
        start = time.perf_counter()
        text, compiled, warnings = _compile(query, self.schema)
        compiled = resolve_cited_by(compiled, self._cited_ids)  # cited-by:ID needs ID's REF line
        with self._lock:
            return _retry(lambda: self._search(text, compiled, warnings, limit, offset, sort,
                                               facets, start))

    def _search(self, text, compiled, warnings, limit, offset, sort, facets, start) -> Results:
        searcher = self.searcher()
        q = _with_archive_ids(compiled)
        wanted = offset + limit
        segments = self._segments(searcher)
        if sort == "relevance":
            docnums, top = [], []
            for leaf, base in segments:
                ids, best = SegmentQuery(q, leaf).ranked(wanted)
                docnums.append(ids)
                top.extend((score, base + docnum) for score, docnum in best)
            top.sort(key=lambda hit: (-hit[0], hit[1]))
        else:
            docnums = [SegmentQuery(q, leaf).docnums() for leaf, _ in segments]
            column = "date" if sort == "date" else "newest_first"  # undated cables last either way
            top = self._first_by(column, docnums, segments, wanted)
        facet_counts = {name: self._count(segments, facet_name(name), docnums) for name in facets}
        hits = self._hits(searcher, segments, q, top[offset:wanted], offset, scored=sort == "relevance")
        return Results(query=text, total=sum(map(len, docnums)), hits=tuple(hits), facets=facet_counts,
                       elapsed=time.perf_counter() - start, offset=offset, limit=limit, sort=sort,
                       warnings=tuple(warnings))

    def _segments(self, searcher: Searcher) -> list[tuple[Searcher, int]]:
        """(searcher of one segment, its docnum offset) per segment; none for an empty index."""
        segments = [(leaf, offset) for leaf, offset in searcher.leaf_searchers()
                    if leaf.reader().segment() is not None]
        self._forget_old_segments(segments)
        return segments

    def _first_by(self, column: str, docnums, segments, wanted: int) -> list[tuple[float, int]]:
        """The first `wanted` matches in order of a numeric column (ties by docnum), as (0, docnum)."""
        if not wanted:
            return []
        firsts = []
        for ids, (leaf, offset) in zip(docnums, segments):
            keys = self._segment_cache(leaf.reader(), ("sort", column),
                                       lambda reader: numeric_column(reader, column))
            firsts.extend((keys[d], offset + d) for d in heapq.nsmallest(wanted, ids, key=keys.__getitem__))
        return [(0.0, docnum) for _, docnum in heapq.nsmallest(wanted, firsts)]

    def _hits(self, searcher, segments, q, top, offset, *, scored: bool) -> list[Hit]:
        if not top:
            return []
        terms = _text_terms(q, searcher.reader())
        docs = {docnum: self._record_at(segments, docnum) for _, docnum in top}
        exact = matched_paragraphs(q, searcher, list(docs))
        hits = []
        for rank, (score, docnum) in enumerate(top, start=offset + 1):
            record = docs[docnum]
            snippets = hit_snippets(record, terms["body"], terms["subject"], exact.get(docnum, ()),
                                    terms["para"])
            hits.append(_hit(record, rank, float(score) if scored else 0.0, snippets))
        return hits

    def _record_at(self, segments, docnum: int) -> dict[str, Any]:
        """The stored record of (top-level) document `docnum`."""
        leaf, base = segments[bisect_right([base for _, base in segments], docnum) - 1]
        records = self._segment_cache(leaf.reader(), ("record",), lambda reader: reader.column_reader("record"))
        return decode_record(records[docnum - base])

    def _segment_cache(self, reader, key: tuple, compute: Callable[[Any], Any]) -> Any:
        """A value computed once per segment (facet values, sort keys), until the segment goes."""
        full_key = (reader.segment().segment_id(), *key)
        value = self._per_segment.get(full_key)
        if value is None:
            value = self._per_segment[full_key] = compute(reader)
        return value

    def _facet_values(self, reader, name: str) -> list[tuple[str, ...]]:
        """Segment docnum -> the values of facet `name`, for every document of one segment."""
        def read(reader) -> list[tuple[str, ...]]:
            interned: dict[bytes, tuple[str, ...]] = {}
            values = []
            for raw in bytes_column(reader, facet_column(name)):
                value = interned.get(raw)
                if value is None:
                    value = interned[raw] = _facet_split(raw)
                values.append(value)
            return values
        return self._segment_cache(reader, ("facet", name), read)

    def _count(self, segments, name: str, docnums: list[Sequence[int]]) -> list[tuple[str, int]]:
        return count_facet(chain.from_iterable(self._facet_values_of(leaf.reader(), name, ids)
                                               for (leaf, _), ids in zip(segments, docnums)))

    def _facet_values_of(self, reader, name: str, ids: Sequence[int]) -> Iterable[tuple[str, ...]]:
        """The values of facet `name` of documents `ids` of one segment."""
        if (reader.segment().segment_id(), "facet", name) in self._per_segment or \
                len(ids) * FEW_MATCHES > reader.doc_count_all():
            return map(self._facet_values(reader, name).__getitem__, ids)
        # A few matches: read just theirs (a one-shot query need not read the whole column).
        column = reader.column_reader(facet_column(name), translate=False)
        return (_facet_split(column[docnum]) for docnum in ids)

    def _forget_old_segments(self, segments) -> None:
        live = {leaf.reader().segment().segment_id() for leaf, _ in segments}
        for key in [k for k in self._per_segment if k[0] not in live]:
            del self._per_segment[key]

    def get(self, reference_id: str) -> Cable | None:
        """The cable with this reference id, exactly as indexed, or None."""
        record = self._record(reference_id)
        return cable_from_record(record) if record is not None else None

    def _record(self, reference_id: str) -> dict[str, Any] | None:
        with self._lock:
            def find():
                searcher = self.searcher()
                for field in ("id", "archive_id"):  # the archive's malformed id finds the repaired cable
                    for rid in dict.fromkeys((reference_id, reference_id.upper())):
                        docnum = searcher.document_number(**{field: rid})
                        if docnum is not None:  # the segment's column reader, kept: making one reads its offsets
                            return self._record_at(self._segments(searcher), docnum)
                return None
            return _retry(find)

    def __contains__(self, reference_id: str) -> bool:
        return self._record(reference_id) is not None

    def cites(self, reference_id: str) -> list[Citation] | None:
        """The items of the cable's REF line, each saying whether the cited cable is indexed."""
        record = self._record(reference_id)
        if record is None:
            return None
        out = []
        for ref in record.get("references") or ():
            cited = self._record(ref["id"]) if ref.get("id") else None
            out.append(Citation(label=ref.get("label", ""), text=ref.get("text", ""), id=ref.get("id"),
                                in_index=cited is not None,
                                date=_parse_date(cited.get("created")) if cited else None,
                                subject=cited.get("subject", "") if cited else ""))
        return out

    def cited_by(self, reference_id: str, *, limit: int = 1000) -> list[Hit]:
        """Cables whose REF line names this reference id, oldest first."""
        q = wq.Term("refs", reference_id.lower())
        return list(self.search(q, limit=limit, sort="date", facets=()).hits)

    def values(self, field: str, prefix: str = "", limit: int = 50) -> list[tuple[str, int]]:
        """Indexed values of a keyword/id field starting with `prefix` (any case), most cables first."""
        name = facet_name(field)
        f = field_named(field)
        with self._lock:
            if name is not None:
                folded = prefix.casefold()
                counts = _retry(lambda: self._all_values(name))
                return [(v, n) for v, n in counts if v.casefold().startswith(folded)][:limit]
            if f is not None and f.kind is Kind.ID:  # reference ids: one cable each
                searcher = self.searcher()
                found = (t.decode("utf-8") if isinstance(t, bytes) else t
                         for t in searcher.reader().expand_prefix(f.name, prefix.upper()))
                live = (rid for rid in found if searcher.document_number(id=rid) is not None)
                return [(rid, 1) for rid in islice(live, limit)]
        raise CablesearchError(f"no values to list for field {field!r}")

    def _all_values(self, name: str) -> list[tuple[str, int]]:
        """Counts of every value of a facet over all live cables (cached until the next commit)."""
        searcher = self.searcher()
        key = (self._generation, name)
        counts = self._totals.get(key)
        if counts is None:
            value_lists = []
            for leaf, _ in self._segments(searcher):
                reader = leaf.reader()
                facet = self._facet_values(reader, name)
                value_lists.extend(v for d, v in enumerate(facet) if not reader.is_deleted(d))
            counts = count_facet(value_lists)
            self._totals = {k: v for k, v in self._totals.items() if k[0] == self._generation}
            self._totals[key] = counts
        return counts

    def stats(self) -> IndexStats:
        """How many cables, their date span, counts per classification and the size on disk."""
        with self._lock:
            def compute():
                searcher = self.searcher()
                count = searcher.doc_count()
                # Undated cables sort last both ways, so these are dated unless all are undated.
                first, last = (self._search("*", wq.Every(), [], 1, 0, sort, (), 0.0).hits for sort in ("date", "-date"))
                return IndexStats(path=self.path, cables=count, first_date=first[0].date if first else None,
                                  last_date=last[0].date if last else None,
                                  classifications=self._all_values("classification"),
                                  size_bytes=sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file()),
                                  segments=len(self._segments(searcher)))
            return _retry(compute)

    # -- following a story (cablesearch/story.py) -----------------------------------------------
    def similar(self, reference_id: str, query: Any = None, *, limit: int = 10) -> Similar | None:
        """Cables most like this one by characteristic words and shared tags, optionally only
        those matching `query`; None when the cable is not in the index."""
        from . import story
        return story.similar(self, reference_id, query, limit=limit)

    def graph(self, reference_id: str, *, depth: int = 1, direction: str = "both", query: Any = None,
              max_nodes: int = 2000) -> CitationGraph:
        """The citation graph around a cable, `depth` hops along `direction` (cites, cited-by, both)."""
        from . import story
        return story.graph(self, reference_id, depth=depth, direction=direction, query=query,
                           max_nodes=max_nodes)

    def thread(self, reference_id: str, *, depth: int = 3, max_cables: int = 200) -> Thread:
        """The cables citing one another around this one, oldest first, with their citing paragraphs."""
        from . import story
        return story.thread(self, reference_id, depth=depth, max_cables=max_cables)

    def _cited_ids(self, reference_id: str) -> list[str]:
        from . import story
        return story.cited_ids(self, reference_id)


def _facet_split(raw: bytes) -> tuple[str, ...]:
    """The values of one document's facet column."""
    return tuple(raw.decode("utf-8").split(_VALUE_SEP)) if raw else ()


def _with_archive_ids(q: wq.Query) -> wq.Query:
    """`q` with each id term or prefix also matching the archive id of cables whose id was repaired."""
    if isinstance(q, (wq.Term, wq.Prefix)) and q.fieldname == "id":
        return wq.Or([q, q.__class__("archive_id", q.text, boost=q.boost)])
    if q.is_leaf() or isinstance(q, SameParagraph):  # paragraphs carry no ids
        return q
    return q.apply(_with_archive_ids)


def _open_whoosh(path: Path) -> whoosh_index.Index:
    return _storage(path).open_index(INDEX_NAME)


def _storage(path: Path) -> FileStorage:
    """The index folder as Whoosh storage, without mmap: with mmap Whoosh copies each segment's
    files into memory when it opens them, which made a one-shot query's open about 10x slower and,
    in a writer replacing cables, took 6.8 GB at 251,287 cables."""
    return FileStorage(str(path), supports_mmap=False)


def _compile(query: Any, schema) -> tuple[str, wq.Query, list[str]]:
    """(query text, whoosh query, warnings) for a query string, AST node or whoosh Query."""
    if isinstance(query, wq.Query):
        return str(query), query, []
    from .query import QueryError, compile_query, parse_query_with_warnings
    if not isinstance(query, str):
        return str(query), compile_query(query, schema), []
    try:
        node, warnings = parse_query_with_warnings(query)
        return query, compile_query(node, schema), list(warnings)
    except QueryError as error:
        error.query = query  # compiled from the AST, the error does not know the text for its caret
        raise


def _text_terms(q: wq.Query, reader) -> dict[str, frozenset[str]]:
    """The analysed words of the query per text field, with prefixes/wildcards expanded; the body
    words of para:(...) apart, as "para" (they mark only the paragraphs that para: matched)."""
    # Not Query.existing_terms: it reuses its `fieldname` argument as a loop variable and so
    # drops every leaf after the first one of another field.
    found: dict[str, set[str]] = {"body": set(), "subject": set(), "para": set()}

    def collect(node: wq.Query, in_para: bool) -> None:
        if not node.is_leaf():
            for child in node.children():
                collect(child, in_para or isinstance(node, SameParagraph))
            return
        for fieldname, text in node.expanded_terms(reader, phrases=True):
            key = "para" if in_para and fieldname == "body" else fieldname
            if key in found:
                found[key].add(text.decode("utf-8") if isinstance(text, bytes) else text)
    collect(q, False)
    return {k: frozenset(v) for k, v in found.items()}


def _hit(record: dict[str, Any], rank: int, score: float, snippets) -> Hit:
    return Hit(rank=rank, id=record["reference_id"], date=_parse_date(record.get("created")),
               origin=record.get("origin", ""), origin_name=record.get("origin_name", ""),
               classification=record.get("classification", ""), tags=tuple(record.get("tags") or ()),
               subject=record.get("subject", ""), score=score, snippets=snippets)


def _parse_date(value: str | None) -> datetime | None:
    return parse_utc(value) if value else None


def _stored_hash(reader, reference_id: str) -> str | None:
    """The content hash of the live cable document with this id in the last commit, else None."""
    try:
        postings = reader.postings("id", reference_id)
    except TermNotFound:
        return None
    for docnum in postings.all_ids():
        if not reader.is_deleted(docnum):
            return reader.stored_fields(docnum).get("content_hash")
    return None


def _retry(action: Callable[[], Any], attempts: int = 5) -> Any:
    """Run `action`, retrying when a concurrent commit removed files we were about to open."""
    for attempt in range(attempts):
        try:
            return action()
        except (FileNotFoundError, whoosh_index.EmptyIndexError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))


def exists(path: str | Path) -> bool:
    """Whether folder `path` holds a cable index: a Whoosh table of contents. (Not Whoosh's
    exists_in, which opens the whole index and fails with any error on a damaged one.)"""
    folder = Path(path)
    return folder.is_dir() and any(folder.glob(f"_{INDEX_NAME}_*.toc"))


def default_procs() -> int:
    """Worker processes for indexing: both cores where there are two or more."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


_MANY_CABLES_SUFFIXES = (".csv", ".gz", ".bz2", ".xz")


def estimate_inputs(paths: Sequence[str | Path]) -> int | None:
    """How many inputs reading `paths` will give, when cheap to know (files in folders), else None."""
    count = 0
    for raw in paths:
        path = Path(raw)
        files = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")] \
            if path.is_dir() else [path]
        if str(raw) == "-" or any(p.suffix.lower() in _MANY_CABLES_SUFFIXES for p in files):
            return None  # a CSV (or compressed file) holds an unknown number of cables
        count += len(files)
    return count


# --- default location --------------------------------------------------------------------------

def resolve_index_path(explicit: str | Path | None = None) -> Path:
    """--index DIR, else $CABLESEARCH_INDEX, else ./index where it exists, else the XDG data dir."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get("CABLESEARCH_INDEX"):
        return Path(os.environ["CABLESEARCH_INDEX"]).expanduser()
    local = Path("index")
    if local.is_dir():
        return local
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "cablesearch" / "index"


def print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def open_index(explicit: str | Path | None = None, *, build_default: bool = True,
               status: Callable[[str], None] = print_to_stderr) -> CableIndex:
    """Open the index the user means; build the default one from the bundled examples if missing.

    An index named with --index or $CABLESEARCH_INDEX must exist (IndexNotFoundError says how
    to build it); only the default location is built on demand.
    """
    path = resolve_index_path(explicit)
    if exists(path):
        return CableIndex.open(path)
    if explicit or os.environ.get("CABLESEARCH_INDEX") or not build_default:
        raise IndexNotFoundError(path)
    built = _build_default_index(path)
    if built is not None:
        status(f"cablesearch: no index yet; built {path} from {built.added} bundled example cables. "
               f"Index a real archive with: cablesearch index PATH --index {path}")
    return CableIndex.open(path)


def _build_default_index(path: Path) -> IndexSummary | None:
    """Build the example index in folder `path` unless another process just did (then None).

    Processes starting together on a fresh data folder build it once: the builder holds the
    folder's writer lock, and the others wait for it, then find the index. The index is made in a
    scratch folder inside `path` and its files moved in table of contents last, so a process that
    opens without waiting for the lock never sees a half-built index.
    """
    try:
        if not (path / LOCK_FILE).exists():  # no builder about: refuse a used folder without touching it
            _refuse_a_used_folder(path)
        path.mkdir(parents=True, exist_ok=True)
        with _WriterLock(path, DEFAULT_BUILD_WAIT):
            if exists(path):
                return None
            for stale in path.glob(f"{_SCRATCH_PREFIX}*"):  # left by a killed builder; we hold the lock
                shutil.rmtree(stale, ignore_errors=True)
            _refuse_a_used_folder(path)
            scratch = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIX, dir=path))
            try:
                with CableIndex.create(scratch) as index:
                    summary = index.add_paths([examples_folder()], procs=1)
                _move_index_files(scratch, path)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    except FileExistsError as error:
        raise IndexPathError(path, "create", OSError(error.errno, "it exists and is not a folder")) from None
    except OSError as error:
        raise IndexPathError(path, "create", error) from None
    return summary


def _refuse_a_used_folder(path: Path) -> None:
    """IndexNotFoundError when folder `path` holds files other than dotfiles (.gitkeep) and our lock."""
    others = sorted(e.name for e in path.iterdir() if not e.name.startswith(".") and e.name != LOCK_FILE) \
        if path.is_dir() else []
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise IndexNotFoundError(path, f"it holds other files: {shown}; the example index is built only "
                                       f"in an empty folder")


_SCRATCH_PREFIX = ".building-"
DEFAULT_BUILD_WAIT = 120.0  # seconds a process waits for another to finish building the example index


def _move_index_files(source: Path, target: Path) -> None:
    """Move a finished index's files into `target`; the table of contents last makes it appear at once."""
    files = [f for f in source.iterdir() if f.is_file() and f.name != LOCK_FILE]
    for f in sorted(files, key=lambda f: f.suffix == ".toc"):  # sorted() is stable: .toc files go last
        os.replace(f, target / f.name)


def examples_folder() -> Path:
    """The folder of example cables shipped in the package."""
    from importlib.resources import files
    return Path(str(files("cablesearch.examples")))
