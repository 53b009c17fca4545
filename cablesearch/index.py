"""The cable index: writing cables into Whoosh, the writer lock, and searching.

One cable is one Whoosh group: a cable document (kind="cable") followed by one document per
paragraph (kind="para"), so para:(...) queries compile to NestedParent. The full cable
(to_dict + raw, compressed JSON) lives in the `record` column; `get(id)` returns it unchanged.

Writing is batched: each batch is one Whoosh commit, so a killed run leaves the cables of the
last commit and a rerun skips them (same content hash). A second writer waits `lock_timeout`
seconds on `cablesearch.lock` (which records who holds it), then gets IndexLockedError.
Readers take no lock; one searcher is kept and refreshed when the index changed.
"""
from __future__ import annotations

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
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from whoosh import collectors, index as whoosh_index, matching, query as wq, sorting
from whoosh.idsets import BitSet
from whoosh.query.nested import NestedParent
from whoosh.reading import EmptyReader, MultiReader, SegmentReader, TermNotFound
from whoosh.searching import Searcher
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from .errors import CablesearchError
from .fields import (FACETS, FIELDS, Kind, build_schema, classification_level, facet_column, facet_name,
                     field_named, keyword_value)
from .model import Cable, format_utc, parse_utc
from .results import (DEFAULT_FACETS, SORTS, Citation, Hit, IndexProgress, IndexStats, IndexSummary, Results,
                      count_facet, hit_snippets)

INDEX_NAME = "MAIN"
LOCK_FILE = "cablesearch.lock"          # held (flock) by the writing process; holds its pid and start time
REJECTED_LOG = "rejected.log"           # rejected inputs and reasons, appended per run
DEFAULT_BATCH_SIZE = 1000               # cables per commit
DEFAULT_LOCK_TIMEOUT = 10.0             # seconds a second writer waits for the lock
SMALL_BATCH_DOCS = 512                  # batches with fewer Whoosh documents are written in-process
# Whoosh sorts a commit's postings in memory up to this estimate, then spills pickled runs to disk.
# A 1,000-cable batch is ~1.2M postings (~160 MB by Whoosh's estimate): at Whoosh's default of 128
# the spill and merge took ~10% of a build here (31.3 s vs 27.7 s for 1,000 real cables, one process,
# +120 MB peak); 256 keeps a whole batch in memory.
POSTING_POOL_MB = 256
# SORTS and DEFAULT_FACETS (imported above) are defined in results.py, which imports no Whoosh,
# so the CLI can read them at start-up; `from cablesearch.index import SORTS` works as well.
_VALUE_SEP = "\x1f"                     # separates values inside a facet column
CABLES = wq.Term("kind", "cable")


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

def cable_documents(cable: Cable, content_hash: str | None = None) -> list[dict[str, Any]]:
    """The Whoosh documents of one cable: the cable document, then one per paragraph."""
    doc: dict[str, Any] = {"kind": "cable", "content_hash": content_hash or cable.content_hash(),
                           "record": encode_record(cable)}
    for f in FIELDS:
        if f.values is None:
            continue
        values = [v for v in f.values(cable) if v]
        if not values:
            continue
        if f.kind is Kind.TEXT:
            doc[f.name] = "\n".join(values)
        elif f.kind is Kind.ID:
            doc[f.name] = values[0]
        else:
            doc[f.name] = ",".join(keyword_value(v) for v in values)
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

    docs = [doc]
    for p in cable.paragraphs:
        para = {"kind": "para", "cable": cable.reference_id, "pnum": p.number, "ptext": p.text}
        if p.marking:
            base = p.marking.split("/")[0]
            para["marking"] = p.marking if base == p.marking else f"{p.marking},{base}"
        docs.append(para)
    if not cable.paragraphs and cable.body:  # an unnumbered body counts as one paragraph
        docs.append({"kind": "para", "cable": cable.reference_id, "ptext": cable.body})
    return docs


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


def _from_json(cls: type, data: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
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
        return SegmentWriter(ix, timeout=timeout, limitmb=POSTING_POOL_MB)
    from ._mpwriter import ChildSafeMpWriter
    return ChildSafeMpWriter(ix, procs=procs, multisegment=True, batchsize=256, timeout=timeout,
                             limitmb=POSTING_POOL_MB)


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
        self._facet_maps: dict[tuple[str, str], dict[int, tuple[str, ...]]] = {}  # (segment, facet)
        self._cable_bitsets: dict[str, BitSet] = {}  # segment -> its cable documents
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
            return cls(path, whoosh_index.create_in(str(path), build_schema(), indexname=INDEX_NAME))
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
            self._facet_maps.clear()
            self._cable_bitsets.clear()

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
        pending: dict[str, tuple[list, str]] = {}    # id -> (documents, content hash), in input order
        pending_replaced = 0                          # ids replaced again within the pending batch

        def report(event: str) -> None:
            if progress is not None:
                state.event, state.elapsed = event, time.monotonic() - started
                progress(state)

        def commit() -> None:
            nonlocal pending, pending_replaced
            self._commit_batch(pending, state, procs, lock_timeout)
            state.replaced += pending_replaced
            state.committed += pending_replaced
            pending, pending_replaced = {}, 0
            report("commit")

        with _WriterLock(self.path, lock_timeout):
            self._clear_temp_files()
            try:
                for item in items:
                    state.read += 1
                    documents = digest = None
                    if isinstance(item, Cable):
                        try:
                            digest = item.content_hash()
                            documents = cable_documents(item, digest)
                        except Exception as error:  # a record the index cannot hold: reject it
                            item = _Rejected(item.source or item.reference_id, f"cannot index: {error}")
                    if documents is None:
                        state.rejected += 1
                        errors.append(item)
                        self._log_rejected(item, first=len(errors) == 1)
                    else:
                        previous = pending.get(item.reference_id)
                        if previous is not None and previous[1] == digest:
                            state.unchanged += 1
                        else:
                            if previous is not None:
                                pending_replaced += 1
                                del pending[item.reference_id]  # keep input order: latest goes last
                            pending[item.reference_id] = (documents, digest)
                    report("read")
                    if len(pending) >= batch_size:
                        commit()
                if pending:
                    commit()
            except KeyboardInterrupt:
                raise IndexingInterrupted(self._summary(state, errors, started)) from None
        return self._summary(state, errors, started)

    def add_paths(self, paths: Sequence[str | Path], **options) -> IndexSummary:
        """Read cables from files/folders/CSV/HTML/.gz/"-" (see readers) and add them (options as add)."""
        from .readers import read_cables
        options.setdefault("total", estimate_inputs(paths))
        return self.add(read_cables(paths), **options)

    def delete(self, ids: Iterable[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
        """Remove cables (and their paragraphs) by reference id; returns how many were removed."""
        removed = 0
        with _WriterLock(self.path, lock_timeout):
            writer = self._open_writer(1, lock_timeout)
            try:
                for rid in ids:
                    removed += min(1, writer.delete_by_term("id", rid))
                    writer.delete_by_term("cable", rid)
                writer.commit()
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

    def _commit_batch(self, pending: dict[str, tuple[list, str]], state: IndexProgress,
                      procs: int, lock_timeout: float) -> None:
        """One commit: replace changed cables, add new ones, skip unchanged; then check the count."""
        if sum(len(docs) for docs, _ in pending.values()) < SMALL_BATCH_DOCS:
            procs = 1  # starting sub-processes costs more than it saves
        writer = self._open_writer(procs, lock_timeout)
        try:
            reader = writer.reader()
            live_before, deleted, added_docs = reader.doc_count(), 0, 0
            added = replaced = unchanged = 0
            for rid, (docs, digest) in pending.items():
                existing = _stored_hash(reader, rid)
                if existing == digest:
                    unchanged += 1
                    continue
                if existing is not None:
                    deleted += writer.delete_by_term("id", rid) + writer.delete_by_term("cable", rid)
                    replaced += 1
                else:
                    added += 1
                writer.start_group()
                for doc in docs:
                    writer.add_document(**doc)
                writer.end_group()
                added_docs += len(docs)
            reader.close()
            if added_docs or deleted:
                writer.commit()
            else:
                writer.cancel()  # nothing changed: no commit, so no segment merge either
        except BaseException:
            writer.cancel()
            raise
        live_after = _open_whoosh(self.path).doc_count()
        if live_after != live_before - deleted + added_docs:
            raise IndexWriteError(f"the commit to {self.path} holds {live_after} documents, expected "
                                  f"{live_before - deleted + added_docs}; run the indexing again to finish")
        state.added += added
        state.replaced += replaced
        state.unchanged += unchanged
        state.committed += added + replaced + unchanged
        state.batches += 1

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
        with self._lock:
            return _retry(lambda: self._search(text, compiled, warnings, limit, offset, sort,
                                               facets, start))

    def _search(self, text, compiled, warnings, limit, offset, sort, facets, start) -> Results:
        searcher = self.searcher()
        compiled = _fix_nested(_with_archive_ids(compiled), self._cable_bits)
        q = wq.And([compiled, wq.Term("kind", "cable", boost=0.0)])
        wanted = offset + limit
        if sort == "relevance":
            # No block skipping and no matcher replacement: both drop low-scoring matches, and
            # the total and facets must count every match.
            child = collectors.TopCollector(limit=max(wanted, 1), usequality=False, replace=0)
        else:
            column = "date" if sort == "date" else "newest_first"  # undated cables last either way
            child = collectors.SortingCollector(sorting.FieldFacet(column), limit=max(wanted, 1))
        collector = _AllMatches(child)
        searcher.search_with_collector(q, collector)
        top = collector.results().top_n[offset:wanted]
        facet_counts = {name: self._count(searcher, facet_name(name), collector.by_segment)
                        for name in facets}
        hits = self._hits(searcher, compiled, top, offset, scored=sort == "relevance")
        return Results(query=text, total=collector.total, hits=tuple(hits), facets=facet_counts,
                       elapsed=time.perf_counter() - start, offset=offset, limit=limit, sort=sort,
                       warnings=tuple(warnings))

    def _hits(self, searcher, q, top, offset, *, scored: bool) -> list[Hit]:
        if not top:
            return []
        reader = searcher.reader()
        records = reader.column_reader("record")
        terms = _text_terms(q, reader)
        docs = {docnum: decode_record(records[docnum]) for _, docnum in top}
        exact = _paragraphs_matched(searcher, q, list(docs), self._cable_bits)
        hits = []
        for rank, (score, docnum) in enumerate(top, start=offset + 1):
            record = docs[docnum]
            snippets = hit_snippets(record, terms["body"], terms["subject"], exact.get(docnum, ()),
                                    terms["ptext"])
            hits.append(_hit(record, rank, float(score) if scored else 0.0, snippets))
        return hits

    def _facet_map(self, leaf_reader, name: str) -> dict[int, tuple[str, ...]]:
        """Segment docnum -> facet values, for the cable documents of one segment (cached)."""
        key = (leaf_reader.segment().segment_id(), name)
        values = self._facet_maps.get(key)
        if values is None:
            column = leaf_reader.column_reader(facet_column(name))
            interned: dict[bytes, tuple[str, ...]] = {}
            values = {}
            for docnum in leaf_reader.postings("kind", "cable").all_ids():
                raw = column[docnum]
                value = interned.get(raw)
                if value is None:
                    value = interned[raw] = tuple(raw.decode("utf-8").split(_VALUE_SEP)) if raw else ()
                values[docnum] = value
            self._facet_maps[key] = values
        return values

    def _cable_bits(self, leaf_reader) -> BitSet:
        """The cable documents of one segment (deleted ones too: harmless for NestedParent)."""
        if leaf_reader.segment() is None:  # an empty index
            return BitSet()
        key = leaf_reader.segment().segment_id()
        bits = self._cable_bitsets.get(key)
        if bits is None:
            bits = BitSet(leaf_reader.postings("kind", "cable").all_ids(), size=leaf_reader.doc_count_all())
            self._cable_bitsets[key] = bits
        return bits

    def _leaves(self, searcher: Searcher) -> list[tuple[SegmentReader, int]]:
        """(segment reader, docnum offset) per segment; none for an empty index."""
        leaves = [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]
        return [(reader, offset) for reader, offset in leaves if reader.segment() is not None]

    def _count(self, searcher, name: str, by_segment: dict[int, list[int]]) -> list[tuple[str, int]]:
        if not any(by_segment.values()):
            return []
        leaves = self._leaves(searcher)
        maps = [self._facet_map(reader, name) for reader, _ in leaves]
        self._forget_old_segments(leaves)
        return count_facet(value for i, docnums in by_segment.items()
                           for value in map(maps[i].__getitem__, docnums))

    def _forget_old_segments(self, leaves) -> None:
        live = {reader.segment().segment_id() for reader, _ in leaves}
        for key in [k for k in self._facet_maps if k[0] not in live]:
            del self._facet_maps[key]
        for key in [k for k in self._cable_bitsets if k not in live]:
            del self._cable_bitsets[key]

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
                        if docnum is not None:
                            return decode_record(searcher.reader().column_reader("record")[docnum])
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
            for reader, _ in self._leaves(searcher):
                facet = self._facet_map(reader, name)
                value_lists.extend(v for d, v in facet.items() if not reader.is_deleted(d))
            counts = count_facet(value_lists)
            self._totals = {k: v for k, v in self._totals.items() if k[0] == self._generation}
            self._totals[key] = counts
        return counts

    def stats(self) -> IndexStats:
        """How many cables, their date span, counts per classification and the size on disk."""
        with self._lock:
            def compute():
                searcher = self.searcher()
                cables = wq.Term("kind", "cable")
                count = sum(1 for _ in searcher.docs_for_query(cables))
                first = last = None
                if count:  # undated cables sort last both ways, so these are dated unless all are undated
                    first = _date_of(searcher, searcher.search(cables, sortedby="date", limit=1))
                    last = _date_of(searcher, searcher.search(cables, sortedby="newest_first", limit=1))
                return IndexStats(path=self.path, cables=count, first_date=first, last_date=last,
                                  classifications=self._all_values("classification"),
                                  size_bytes=sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file()),
                                  segments=len(self._leaves(searcher)))
            return _retry(compute)


class _CableNestedParent(NestedParent):
    """Whoosh's NestedParent with two fixes: skip_to past the last match no longer raises
    ReadTooFar (it did under And(...), i.e. `tag:X para:(...)`), and the parent bit set of
    each segment comes from a cache instead of being rebuilt for every search."""

    def __init__(self, parents, subq, per_parent_limit=None, score_fn=sum, bits_for=None):
        super().__init__(parents, subq, per_parent_limit, score_fn)
        self.bits_for = bits_for

    def normalize(self):
        q = self.child.normalize()
        if q is wq.NullQuery:
            return wq.NullQuery
        return self.__class__(self.parents, q, self.per_parent_limit, self.score_fn, self.bits_for)

    def matcher(self, searcher, context=None):
        if self.bits_for is not None and self.parents == CABLES:
            bits = self.bits_for(searcher.reader())
        else:
            bits = searcher._filter_to_comb(self.parents)
        if not bits:
            return matching.NullMatcher
        child = self.child.matcher(searcher, context)
        if not child.is_active():
            return matching.NullMatcher
        return _NestedParentMatcher(bits, child, self.per_parent_limit, searcher.doc_count_all(),
                                    self.score_fn)


class _NestedParentMatcher(NestedParent.NestedParentMatcher):
    def skip_to(self, id):
        if self._nextdoc is None:
            raise matching.ReadTooFar
        if id <= self._nextdoc:
            return
        if self.child.is_active():
            self.child.skip_to(id)
        if self.child.is_active():
            self._gather()
        else:
            self._nextdoc = None


def _with_archive_ids(q: wq.Query) -> wq.Query:
    """`q` with each id term or prefix also matching the archive id of cables whose id was repaired."""
    if isinstance(q, (wq.Term, wq.Prefix)) and q.fieldname == "id":
        return wq.Or([q, q.__class__("archive_id", q.text, boost=q.boost)])
    if q.is_leaf() or isinstance(q, NestedParent):  # paragraph documents carry no ids
        return q
    return q.apply(_with_archive_ids)


def _fix_nested(q: wq.Query, bits_for) -> wq.Query:
    """`q` with every NestedParent replaced by _CableNestedParent."""
    if isinstance(q, NestedParent):
        return _CableNestedParent(q.parents, _fix_nested(q.child, bits_for), q.per_parent_limit,
                                  q.score_fn, bits_for)
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _fix_nested(sub, bits_for))


class _AllMatches(collectors.WrappingCollector):
    """Passes every match to the child (top N) and keeps all matched docnums for facet counts."""

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.by_segment: dict[int, list[int]] = {}
        self.total = 0
        self._segment = -1

    def set_subsearcher(self, subsearcher, offset):
        super().set_subsearcher(subsearcher, offset)
        self._segment += 1
        self._docnums = self.by_segment.setdefault(self._segment, [])

    def collect(self, sub_docnum):
        self._docnums.append(sub_docnum)
        self.total += 1
        return self.child.collect(sub_docnum)


def _open_whoosh(path: Path) -> whoosh_index.Index:
    """Open the Whoosh index without mmap: with mmap Whoosh copies each compound sub-file into
    memory on open, which made a one-shot query's open about 10x slower."""
    return FileStorage(str(path), supports_mmap=False).open_index(INDEX_NAME)


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
    """The analysed words of the query per text field, with prefixes/wildcards expanded."""
    # Not Query.existing_terms: it reuses its `fieldname` argument as a loop variable and so
    # drops every leaf after the first one of another field.
    found: dict[str, set[str]] = {"body": set(), "subject": set(), "ptext": set()}
    for leaf in q.leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname in found:
                found[fieldname].add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return {k: frozenset(v) for k, v in found.items()}


def _paragraphs_matched(searcher, q: wq.Query, hits: Sequence[int],
                        cable_bits: Callable[[Any], BitSet]) -> dict[int, set[int | None]]:
    """For para:(...) queries: hit docnum -> numbers of its paragraphs that match the paragraph query.

    A cable's paragraphs are the documents right after it, up to the next cable document, so
    the paragraph query's matcher only has to visit that range of each hit.
    """
    inner = [node.child for node in _walk(q) if isinstance(node, NestedParent)]
    if not inner or not hits:
        return {}
    paragraph_query = wq.Or(inner) if len(inner) > 1 else inner[0]
    leaves = searcher.leaf_searchers()
    offsets = [offset for _, offset in leaves]
    out: dict[int, set[int | None]] = {}
    for docnum in sorted(hits):
        leaf, offset = leaves[bisect_right(offsets, docnum) - 1]
        local = docnum - offset
        end = cable_bits(leaf.reader()).after(local) or leaf.reader().doc_count_all()
        matcher = paragraph_query.matcher(leaf, leaf.boolean_context())
        if matcher.is_active():
            matcher.skip_to(local + 1)
        while matcher.is_active() and matcher.id() < end:
            out.setdefault(docnum, set()).add(leaf.stored_fields(matcher.id()).get("pnum"))
            matcher.next()
    return out


def _walk(q: wq.Query) -> typing.Iterator[wq.Query]:
    yield q
    for child in q.children():
        yield from _walk(child)


def _hit(record: dict[str, Any], rank: int, score: float, snippets) -> Hit:
    return Hit(rank=rank, id=record["reference_id"], date=_parse_date(record.get("created")),
               origin=record.get("origin", ""), origin_name=record.get("origin_name", ""),
               classification=record.get("classification", ""), tags=tuple(record.get("tags") or ()),
               subject=record.get("subject", ""), score=score, snippets=snippets)


def _date_of(searcher, results) -> datetime | None:
    """The date of the first document of whoosh `results` (tz-aware UTC), if it has one."""
    if not results.top_n:
        return None
    stored = searcher.stored_fields(results.top_n[0][1]).get("date")
    return stored.replace(tzinfo=timezone.utc) if stored else None


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
