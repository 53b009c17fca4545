"""cablesearch/_whoosh.py reads and writes what Whoosh's own code does, only faster."""
from __future__ import annotations

from cablesearch import CableIndex
from cablesearch._whoosh import LengthsInMemory, TermPostingPool, bytes_column, numeric_column
from cablesearch.fields import FACETS, facet_column


def segment_readers(index: CableIndex):
    with index._lock:
        return [leaf.reader() for leaf, _, _ in index._segments(index.searcher())]


def test_columns_read_whole_equal_whooshs_reads_per_document(small_index):
    with CableIndex.open(small_index) as index:
        for reader in segment_readers(index):
            count = reader.doc_count_all()
            for name in [facet_column(f) for f in FACETS]:
                column = reader.column_reader(name)
                assert bytes_column(reader, name) == [column[d] for d in range(count)], name
            for name in ("date", "newest_first"):
                column = reader.column_reader(name, translate=False)
                assert list(numeric_column(reader, name)) == [column[d] for d in range(count)], name


def test_lengths_in_memory_equal_the_column_files(small_index):
    with CableIndex.open(small_index) as index:
        for reader in segment_readers(index):
            perdoc = reader._perdoc._perdoc if isinstance(reader._perdoc, LengthsInMemory) else reader._perdoc
            in_memory = LengthsInMemory(perdoc)
            for field in ("subject", "body", "classified_by", "tags", "marking"):
                for docnum in range(reader.doc_count_all()):
                    assert in_memory.doc_field_length(docnum, field) == perdoc.doc_field_length(docnum, field)


def all_postings(index: CableIndex) -> dict:
    out = {}
    for reader in segment_readers(index):
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            out[fieldname, text] = postings
    return out


def test_postings_spilled_to_disk_in_chunks_equal_postings_kept_in_memory(tmp_path, fixture_cables, monkeypatch):
    with CableIndex.create(tmp_path / "memory") as index:
        index.add(fixture_cables, procs=1)
        in_memory = all_postings(index)
    monkeypatch.setattr("cablesearch.writing.POSTING_POOL_MB", 0.01)  # a run every few dozen postings
    monkeypatch.setattr(TermPostingPool, "CHUNK", 7)
    runs = []
    save = TermPostingPool.save
    monkeypatch.setattr(TermPostingPool, "save", lambda pool: runs.append(bool(pool.terms)) or save(pool))
    with CableIndex.create(tmp_path / "spilled") as index:
        index.add(fixture_cables, procs=1)
        spilled = all_postings(index)
    assert sum(runs) > 5 and len(in_memory) > 500
    assert spilled == in_memory


def term_infos(index: CableIndex) -> dict:
    """Per term, what Whoosh's term dictionary keeps of its postings (read by its scorers and matchers)."""
    out = {}
    for reader in segment_readers(index):
        for fieldname, text in reader.all_terms():
            info = reader.term_info(fieldname, text)
            out[fieldname, text] = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                                    info.max_weight(), info.min_id(), info.max_id())
    return out


def test_postings_written_by_term_equal_whooshs_own_writer(tmp_path, fixture_cables, monkeypatch):
    """Whoosh's stock pool and FieldWriter.add_postings (a call per posting) and ours (a term at a
    time, blocks filled whole) write the same postings and term statistics, blocks of several
    postings included."""
    import whoosh.codec.whoosh3
    from whoosh.writing import SegmentWriter
    monkeypatch.setattr(whoosh.codec.whoosh3.W3Codec.__init__, "__defaults__", (3, 3, 1))  # blocks of 3 postings
    with CableIndex.create(tmp_path / "ours") as index:
        index.add(fixture_cables, procs=1)
        ours, ours_infos = all_postings(index), term_infos(index)
    monkeypatch.setattr("cablesearch.writing.FastSegmentWriter", lambda ix, **kwargs: SegmentWriter(ix, **kwargs))
    with CableIndex.create(tmp_path / "whoosh") as index:
        index.add(fixture_cables, procs=1)
        theirs, their_infos = all_postings(index), term_infos(index)
    assert max(len(p) for p in ours.values()) > 3  # terms of several blocks
    assert ours == theirs
    assert ours_infos == their_infos
