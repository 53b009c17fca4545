"""Writing cables into the index: batches, the writer lock, the merge policy, rejected inputs.

Writing is batched: each batch is one Whoosh commit (one new segment per writing process), so a
killed run leaves the cables of the last commit and a rerun skips them (same content hash). Only
small segments are ever merged (merge_small_segments). A second writer waits `lock_timeout`
seconds on `cablesearch.lock` (which records who holds it), then gets IndexLockedError.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from whoosh import index as whoosh_index
from whoosh.reading import TermNotFound
from whoosh.writing import SegmentWriter

from ._whoosh import INDEX_NAME, FastSegmentWriter, open_whoosh
from .engine.postings import SEPARATOR
from .errors import IndexingInterrupted, IndexLockedError, IndexPathError, IndexWriteError
from .fields import FACETS, FIELDS, Kind, classification_level, facet_column, keyword_value
from .model import Cable, format_utc
from .records import encode_record
from .results import IndexProgress, IndexSummary

LOCK_FILE = "cablesearch.lock"          # held (flock) by the writing process; holds its pid and start time
REJECTED_LOG = "rejected.log"           # rejected inputs and reasons, appended per run
# Cables per commit. Each commit adds one segment per writing process, and every search pays per
# segment (a term is looked up, scored and masked in each), so a bulk build wants few, large segments:
# 250,000 gives 2 large ones (and 2 small) for the 251,287 cables on 2 cores, where 50,000 gave 13.
# A killed build keeps the last commit (a rerun skips what it holds).
DEFAULT_BATCH_SIZE = 250_000
MERGE_BELOW = 2_000                     # segments this small merge in tens (merge_small_segments)
DEFAULT_LOCK_TIMEOUT = 10.0             # seconds a second writer waits for the lock
SMALL_BATCH = 200                       # batches with fewer cables are written in-process
# Whoosh sorts a segment's postings in memory up to this estimate, then spills sorted runs to disk and
# merges them. Each writing process peaked at ~400 MB with 256 (10,000 synthetic cables); 512 was no
# faster (88 s vs 91 s for 25,000 cables on 2 cores) and took 700 MB.
POSTING_POOL_MB = 256


@dataclass(frozen=True)
class _Rejected:
    """A cable the index refused (same shape as readers.ReadError)."""
    source: str
    reason: str


# --- documents ---------------------------------------------------------------------------------

def cable_document(cable: Cable, content_hash: str | None = None) -> dict[str, Any]:
    """The Whoosh document of one cable (see fields.build_schema)."""
    record, rest = encode_record(cable)
    doc: dict[str, Any] = {"content_hash": content_hash or cable.content_hash(), "record": record,
                           "record_rest": rest}
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
        doc[facet_column(name)] = SEPARATOR.join(v.encode("utf-8") for v in distinct)
    if "body" in doc:
        doc["marking"] = [_markings(p.marking) for p in cable.paragraphs] or [()]
    return doc


def _markings(marking: str | None) -> tuple[str, ...]:
    """A paragraph's marking terms: "S/NF" is found by marking:S/NF and by marking:S."""
    if not marking:
        return ()
    base = marking.split("/")[0]
    return (marking,) if base == marking else (marking, base)


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
        import socket  # here, not at the top: a search never takes the lock
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
    from ._whoosh_mp import ChildSafeMpWriter
    return ChildSafeMpWriter(ix, procs=procs, multisegment=True, batchsize=256, timeout=timeout,
                             limitmb=POSTING_POOL_MB)


class _Batch:
    """One commit's worth of cables, handed to a Whoosh writer as they come.

    The first SMALL_BATCH documents are held back, so that a small run is written in-process:
    starting sub-processes costs more than it saves. Cables already in the last commit with the
    same content hash are skipped; changed ones replace it.
    """

    def __init__(self, index: "CableWriter", procs: int, lock_timeout: float):
        self.index, self.procs, self.lock_timeout = index, procs, lock_timeout
        self.reader = open_whoosh(index.path).reader()  # the last commit (we hold the writer lock)
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
        live_after = open_whoosh(self.index.path).doc_count()
        if live_after != live_before - self.deleted + written:
            raise IndexWriteError(f"the commit to {self.index.path} holds {live_after} documents, expected "
                                  f"{live_before - self.deleted + written}; run the indexing again to finish")

    def cancel(self) -> None:
        """Drop what was not committed."""
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None
        self.reader.close()


def merge_small_segments(writer: SegmentWriter, segments: list, *, leftovers: bool = False) -> list:
    """Whoosh merge policy: segments under MERGE_BELOW documents merge once there are ten of a
    size (1-9, 10-99, ... documents), and so do segments that are mostly deleted documents.
    With `leftovers`, all segments under MERGE_BELOW documents merge into one (see merge_leftovers).

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
            tiers.setdefault(0 if leftovers else len(str(live)), []).append(segment)
        else:
            kept.append(segment)
    for tier in tiers.values():
        (merged if len(tier) >= (2 if leftovers else 10) else kept).extend(tier)
    if len(merged) < 2 and not any(s.deleted_count() for s in merged):
        return segments
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return kept


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


# --- the writer ----------------------------------------------------------------------------------

class CableWriter:
    """Adds and deletes the cables of the index in folder `path` (see the module docstring)."""

    def __init__(self, path: Path, ix: whoosh_index.Index):
        self.path = Path(path)
        self._ix = ix

    def add(self, items: Iterable[Any], *, progress: Callable[[IndexProgress], None] | None = None,
            batch_size: int = DEFAULT_BATCH_SIZE, procs: int | None = None,
            lock_timeout: float = DEFAULT_LOCK_TIMEOUT, total: int | None = None) -> IndexSummary:
        """Index cables (see CableIndex.add)."""
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
                if state.added + state.replaced >= MERGE_BELOW:
                    self.merge_leftovers(lock_timeout)
            except BaseException as error:
                if batch is not None:
                    batch.cancel()
                if isinstance(error, KeyboardInterrupt):
                    raise IndexingInterrupted(self._summary(state, errors, started)) from None
                raise
        return self._summary(state, errors, started)

    def merge_leftovers(self, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        """Merge the segments under MERGE_BELOW documents into one. A bulk add ends with a few
        (the sub-writers' last documents, cables that came again changed), and every query part
        costs a fixed share of a millisecond per segment, however small: at 251,287 cables three
        of them took about a tenth of a median query."""
        small = [s for s in open_whoosh(self.path)._segments() if s.doc_count() < MERGE_BELOW]
        if len(small) < 2:
            return
        writer = self._open_writer(1, lock_timeout)
        try:
            writer.commit(mergetype=partial(merge_small_segments, leftovers=True))
        except BaseException:
            writer.cancel()
            raise

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
