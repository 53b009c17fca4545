"""Several cables in one text stream ("cat a.txt b.txt | cablesearch index -") are read apart."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from cablesearch.model import Cable
from cablesearch.parser import split_cables
from cablesearch.readers import Reading, read_cables

DATA = Path(__file__).parent / "data"
TWO = DATA / "two_cables.txt"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not (CORPUS / "cables").is_dir(),
                                  reason=f"real corpus not present at {CORPUS} (CI has ../shared)")


def _from_stdin(data: bytes) -> tuple[list, Reading]:
    reading = Reading(["-"], stdin=io.BytesIO(data))
    return list(reading), reading


def _comparable(cable: Cable) -> dict:
    d = cable.to_dict()
    for key in ("source", "raw"):
        d.pop(key, None)
    return d


def test_two_hand_written_cables_in_one_file_are_two_records():
    items = list(read_cables([TWO]))
    assert [c.reference_id for c in items] == ["08RIGA210", "08TALLINN77"]
    riga, tallinn = items
    assert [p.number for p in riga.paragraphs] == [1, 2] and [p.number for p in tallinn.paragraphs] == [1, 2]
    assert "Muuga" not in riga.body and "ferry" not in tallinn.body
    assert (riga.signer, tallinn.signer) == ("EXAMPLE", "SAMPLE")
    assert (riga.source, tallinn.source) == (f"{TWO}:cable 1", f"{TWO}:cable 2")


def test_two_cables_on_stdin_count_as_two_inputs():
    items, reading = _from_stdin(TWO.read_bytes())
    assert [c.reference_id for c in items] == ["08RIGA210", "08TALLINN77"]
    assert (reading.read, reading.parsed, reading.rejected) == (2, 2, 0)


def test_the_file_name_names_no_cable_when_the_file_holds_two(tmp_path):
    target = tmp_path / "08RIGA210.txt"
    target.write_bytes(TWO.read_bytes())
    assert [c.reference_id for c in read_cables([target])] == ["08RIGA210", "08TALLINN77"]


def test_a_header_repeated_for_the_same_transmission_starts_no_cable():
    first = split_cables(TWO.read_text())[0]
    header = first.split("\n\nC O N F")[0]
    assert split_cables(first + "\n" + header + "\n") == [first + "\n" + header + "\n"]


@needs_corpus
@pytest.mark.parametrize("first, second", [
    ("07LIMA2323", "08SANTIAGO77"),        # both carry the site's metadata block and a header copy
    ("00HARARE6677", "09CAIRO2112"),
    ("00THEHAGUE1695", "01VATICAN3507"),   # partial extracts: no transmission line, a note opens each
    ("09ASUNCION595", "07LIMA2323"),       # the site's header copy names another cable: still one cable
])
def test_07LIMA2323_two_real_corpus_files_concatenated_give_the_records_of_each(first, second):
    paths = [CORPUS / "cables" / f"{name}.txt" for name in (first, second)]
    alone = [_from_stdin(p.read_bytes())[0][0] for p in paths]   # each read alone, also without its name
    assert all(isinstance(c, Cable) for c in alone)
    items, reading = _from_stdin(b"".join(p.read_bytes() for p in paths))
    assert [c.reference_id for c in items] == [c.reference_id for c in alone]
    assert items[1].reference_id == second
    assert (reading.read, reading.parsed, reading.rejected) == (2, 2, 0)
    for together, single in zip(items, alone):
        assert _comparable(together) == _comparable(single)


@needs_corpus
def test_09ASUNCION595_site_header_copy_of_another_cable_is_no_second_cable():
    path = CORPUS / "cables" / "09ASUNCION595.txt"
    assert len(split_cables(path.read_text(encoding="utf-8"))) == 1
    assert [c.reference_id for c in read_cables([path])] == ["09ASUNCION595"]
