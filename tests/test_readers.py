"""Readers: text in both layouts, directories, HTML pages, cables.csv, .gz, stdin, bad input."""
from __future__ import annotations

import csv
import gzip
import io
import random
import shutil
from pathlib import Path

import pytest

from cablesearch.model import Cable
from cablesearch.readers import ReadError, Reading, decode, html_page_parts, read_cables

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).resolve().parents[1] / "cablesearch" / "examples"
SEED = DATA / "07BAKU595.txt"
PAGE = DATA / "05RIGA777.html"
CSV_SAMPLE = DATA / "cables_sample.csv"


def _all(paths) -> tuple[list[Cable], list[ReadError], Reading]:
    reading = read_cables(paths)
    items = list(reading)
    return ([i for i in items if isinstance(i, Cable)], [i for i in items if isinstance(i, ReadError)], reading)


def test_text_file_in_seed_layout():
    cables, errors, reading = _all([SEED])
    assert not errors and [c.reference_id for c in cables] == ["07BAKU595"]
    assert cables[0].source == str(SEED)
    assert (reading.read, reading.parsed, reading.rejected) == (1, 1, 0)


def test_text_file_in_site_layout_names_the_archive_id_by_file_name(tmp_path):
    shutil.copy(EXAMPLES / "09TALLINN412.txt", tmp_path / "09TALLINN412.txt")
    (cable,), errors, _ = _all([tmp_path / "09TALLINN412.txt"])
    assert cable.reference_id == "09TALLINN412" and cable.archive_id == "" and cable.disagreements == ()


def test_file_name_that_disagrees_with_the_text_keeps_the_file_name_and_records_it(tmp_path):
    target = tmp_path / "09TALLINN999.txt"
    shutil.copy(EXAMPLES / "09TALLINN412.txt", target)
    (cable,), _, _ = _all([target])
    assert cable.reference_id == "09TALLINN999"
    assert [(d.field, d.text_value, d.container_value) for d in cable.disagreements] == [
        ("reference_id", "09TALLINN412", "09TALLINN999")]


def test_directory_is_read_recursively_and_hidden_files_skipped(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    shutil.copy(SEED, tmp_path / "a" / "07BAKU595.txt")
    shutil.copy(EXAMPLES / "06SAOPAULO731.txt", tmp_path / "a" / "b" / "06SAOPAULO731.txt")
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "notes.txt").write_text("shopping list: eggs, milk\n")
    cables, errors, reading = _all([tmp_path])
    assert sorted(c.reference_id for c in cables) == ["06SAOPAULO731", "07BAKU595"]
    assert [e.source for e in errors] == [str(tmp_path / "notes.txt")]
    assert "not a cable" in errors[0].reason
    assert (reading.read, reading.parsed, reading.rejected) == (3, 2, 1)


def test_html_page_metadata_table_and_pre_blocks():
    metadata, text = html_page_parts(PAGE.read_text(encoding="utf-8"))
    assert metadata == {"reference_id": "05RIGA777", "created": "2005-06-21 09:09", "released": "2011-02-01 12:12",
                        "classification": "CONFIDENTIAL", "origin": "Embassy Riga"}
    assert text.startswith("VZCZCXRO0777\nPP RUEHAG\n")
    assert "\n\nC O N F I D E N T I A L RIGA 000777" in text
    assert 'TAGS: EWWT PREL LG\nSUBJECT: LATVIAN PORT AUTHORITY "READY" FOR' in text
    assert "¶1. (C) The Freeport of Riga" in text and "&amp;" not in text and "<a" not in text


def test_html_page_parses_like_its_text():
    (cable,), errors, _ = _all([PAGE])
    assert cable.reference_id == "05RIGA777"
    assert cable.created.strftime("%Y-%m-%d %H:%M") == "2005-06-21 09:15"  # the DTG's minutes, same hour
    assert cable.disagreements == ()
    assert cable.tags == ("EWWT", "PREL", "LG")
    assert cable.subject == 'LATVIAN PORT AUTHORITY "READY" FOR CONTAINER SCREENING PILOT'
    assert [p.number for p in cable.paragraphs] == [1, 2]
    assert "pilot & train staff" in cable.paragraphs[0].text


def test_csv_release_layout_escaped_quotes_and_newlines_in_fields():
    cables, errors, reading = _all([CSV_SAMPLE])
    assert not errors and [c.reference_id for c in cables] == ["05RIGA778", "08RIGA901"]
    first, second = cables
    assert first.subject == 'RIGA "OLD TOWN" HOTEL BOOKINGS UP, SAYS BOARD'
    assert "C:\\TEMP" in first.body
    assert first.source == f"{CSV_SAMPLE}:row 1"
    assert (reading.read, reading.parsed) == (2, 2)


def test_csv_date_column_disagreeing_with_the_dtg_wins_and_is_recorded():
    first = _all([CSV_SAMPLE])[0][0]
    assert first.created.strftime("%Y-%m-%d %H:%M") == "2005-06-21 09:09"
    assert [(d.field, d.text_value, d.container_value) for d in first.disagreements] == [
        ("created", "2005-06-21T10:00:00Z", "2005-06-21T09:09:00Z")]


def test_csv_date_column_fills_a_partial_extract_without_date():
    second = _all([CSV_SAMPLE])[0][1]
    assert second.is_partial and second.created_precision == "minute"
    assert second.created.strftime("%Y-%m-%d %H:%M") == "2008-12-01 14:02"
    assert second.disagreements == ()


def _big_csv(rows: int = 50) -> bytes:
    """A cables.csv of `rows` cables of ~180 KB each (beyond the csv module's default field limit), whose
    words are random so that gzip cannot shrink the whole file into one read-ahead buffer."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, escapechar="\\", doublequote=False)
    for n in range(1, rows + 1):
        noise = random.Random(n).randbytes(80000).hex()
        words = " ".join(noise[i:i + 8] for i in range(0, len(noise), 8))
        body = f"UNCLAS RIGA 000{n:03d} \n\nTAGS: ECON LG\nSUBJECT: ROW {n}\n\n1. {words}\n"
        writer.writerow([n, "06/21/2005 09:09", f"05RIGA{n}", "Embassy Riga", "UNCLASSIFIED", "", "", body])
    return out.getvalue().encode("utf-8")


class _CountingPipe(io.RawIOBase):
    """A pipe-like byte stream (no seeking) that remembers how far it has been read."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._data.readinto(buffer)
        self.consumed += n
        return n


def test_csv_is_read_lazily_row_by_row(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(_big_csv())
    reading = read_cables([path])
    iterator = iter(reading)
    first = next(iterator)
    assert isinstance(first, Cable) and first.reference_id == "05RIGA1"
    assert len(first.body) > 128 * 1024  # beyond the csv module's default field limit
    assert reading.read == 1  # nothing read ahead
    assert sum(1 for _ in iterator) == 49 and reading.parsed == 50


@pytest.mark.parametrize("compress", [False, True], ids=["csv", "csv.gz"])
def test_stdin_csv_is_streamed_not_read_whole(compress):
    data = _big_csv()
    if compress:
        data = gzip.compress(data, compresslevel=1)
    pipe = _CountingPipe(data)
    reading = Reading(["-"], stdin=io.BufferedReader(pipe))
    iterator = iter(reading)
    first = next(iterator)
    assert isinstance(first, Cable) and first.reference_id == "05RIGA1" and first.source == "<stdin>:row 1"
    assert reading.read == 1
    assert pipe.consumed < len(data) / 10  # ~1/50 of the rows plus read-ahead buffers, not the whole pipe
    rest = list(iterator)
    assert [c.reference_id for c in rest] == [f"05RIGA{n}" for n in range(2, 51)]
    assert pipe.consumed == len(data) and reading.parsed == 50


@pytest.mark.parametrize("source", [SEED, PAGE, CSV_SAMPLE], ids=["text", "html", "csv"])
def test_gzip_of_any_format(tmp_path, source):
    target = tmp_path / (source.name + ".gz")
    target.write_bytes(gzip.compress(source.read_bytes()))
    plain = [c.to_dict() for c in _all([source])[0]]
    zipped = [c.to_dict() for c in _all([target])[0]]
    for record in plain + zipped:
        record.pop("source")
    assert zipped == plain and plain


def test_stdin_dash_reads_text_html_csv_and_gzip(monkeypatch):
    for data, expected in ((SEED.read_bytes(), ["07BAKU595"]), (PAGE.read_bytes(), ["05RIGA777"]),
                           (CSV_SAMPLE.read_bytes(), ["05RIGA778", "08RIGA901"]),
                           (gzip.compress(SEED.read_bytes()), ["07BAKU595"])):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
        cables, errors, _ = _all(["-"])
        assert [c.reference_id for c in cables] == expected and not errors
        assert all(c.source.startswith("<stdin>") for c in cables)


def test_non_utf8_text_is_decoded_as_cp1252_and_marked(tmp_path):
    text = (EXAMPLES / "04MADRID3305.txt").read_text(encoding="utf-8").replace("PolCouns", "PolCouns\u2019 team")
    path = tmp_path / "04MADRID3305.txt"
    path.write_bytes(text.encode("cp1252"))
    (cable,), errors, _ = _all([path])
    assert cable.encoding == "cp1252"
    assert "PolCouns\u2019 team" in cable.body
    assert decode("caf\u00e9".encode("utf-8")) == ("caf\u00e9", "utf-8")


def test_non_utf8_csv_field_is_decoded_as_cp1252_and_marked(tmp_path):
    data = CSV_SAMPLE.read_bytes().replace(b"Hotel bookings", b"Hotel\x92s bookings")
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    first, second = _all([path])[0]
    assert first.encoding == "cp1252" and "Hotel\u2019s bookings" in first.body
    assert second.encoding == "utf-8"


def test_bad_inputs_give_errors_naming_file_and_reason_and_the_rest_still_read(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "broken.txt.gz").write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    (tmp_path / "page.html").write_text("<html><body><p>no cable here</p></body></html>")
    shutil.copy(SEED, tmp_path / "07BAKU595.txt")
    missing = tmp_path / "missing.txt"
    cables, errors, reading = _all([tmp_path, missing])
    assert [c.reference_id for c in cables] == ["07BAKU595"]
    reasons = {Path(e.source).name: e.reason for e in errors}
    assert set(reasons) == {"empty.txt", "binary.txt", "broken.txt.gz", "page.html", "missing.txt"}
    assert "gzip" in reasons["broken.txt.gz"]
    assert "no such file" in reasons["missing.txt"]
    assert "<pre>" in reasons["page.html"]
    assert (reading.read, reading.parsed, reading.rejected) == (6, 1, 5)
    assert all(str(e).startswith(e.source + ": ") for e in errors)


def test_csv_row_with_too_few_columns_is_rejected_and_reading_goes_on(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b'"1","x"\n' + CSV_SAMPLE.read_bytes())
    cables, errors, reading = _all([path])
    assert [c.reference_id for c in cables] == ["05RIGA778", "08RIGA901"]
    assert errors[0].source == f"{path}:row 1" and "columns" in errors[0].reason
    # rows are named by their position in the file, not by their own "row" column (which says 1, 2 again)
    assert [c.source for c in cables] == [f"{path}:row 2", f"{path}:row 3"]


def test_csv_header_line_is_skipped_and_not_counted_as_a_row(tmp_path):
    path = tmp_path / "c.csv"
    header = ",".join(f'"{c}"' for c in ("row", "date", "id", "origin", "class", "refs", "header", "body"))
    path.write_bytes(header.encode() + b"\n" + CSV_SAMPLE.read_bytes())
    cables, errors, reading = _all([path])
    assert not errors and [c.source for c in cables] == [f"{path}:row 1", f"{path}:row 2"]
    assert reading.read == 2


def test_bundled_examples_all_parse_with_distinct_facets():
    cables, errors, _ = _all([EXAMPLES])
    assert not errors and len(cables) >= 5
    assert len({c.origin for c in cables}) == len(cables)
    assert len({c.classification for c in cables}) >= 4
    assert len({c.created.year for c in cables}) >= 4
    assert any(c.is_partial for c in cables)
