"""No input crashes the parser: truncated, shuffled, spliced and random inputs give a Cable or a
CableParseError (never another exception), and any record they give is JSON-ready."""
from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablesearch.model import Cable
from cablesearch.parser import CableParseError, parse_cable
from cablesearch.readers import ReadError, read_cables

EXAMPLES = Path(__file__).resolve().parents[1] / "cablesearch" / "examples"
SAMPLES = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))]
HEADER_BITS = [
    "VZCZCXRO1234", "DE RUEHKB #0595/01 1361324", "P 161324Z MAY 07", "O 999999Z FOO 07", "FM AMEMBASSY BAKU",
    "TO RUEHC/SECSTATE WASHDC PRIORITY 3017", "INFO", "C O N F I D E N T I A L SECTION 01 OF 02 BAKU 000595",
    "S E C R E T", "UNCLAS", "SECTION 99 OF 00", "E.O. 12958: DECL: 13/45/2017", "TAGS:", "TAGS PREL,,, ,",
    "SUBJECT:", "SUBJ: X", "REF: A. B. C. (A) (B)", "REF: 07 STATE 99999999999", "Classified By: per 1.4 (",
    "¶", "¶1.", "- 12. (C)", "(S/NF)", "1.", "This record is a partial extract of the original cable.",
    "1113", "2000-13-45", "00THEHAGUE1695", "Embassy The Hague", "Cable dated:2005-02-30T25:61:00",
    "Friday, 31 February 2004, 08:08", "1\t2004-11-02 18:31:00\t04BOGOTA1\tEmbassy Bogota\tSECRET\t\tx\\",
    '05BOGOTA1,"Embassy Bogota",SECRET,,"VZCZC', "BAKU 00000595 002 OF 002", "-----", "END SUMMARY", "\\",
    "ZNY CCCCC ZZH", "PAGE 02 VATICA 01261 061419Z", "SUMMARY:", "\x00",
]
# CABLESEARCH_FUZZ_EXAMPLES=5000 for a longer hunt.
SETTINGS = settings(max_examples=int(os.environ.get("CABLESEARCH_FUZZ_EXAMPLES", "150")), deadline=2000,
                    suppress_health_check=[HealthCheck.too_slow])


def _check(text: str, **kwargs) -> None:
    try:
        cable = parse_cable(text, **kwargs)
    except CableParseError as exc:
        assert exc.reason and str(exc)
        return
    assert isinstance(cable, Cable) and cable.reference_id
    json.dumps(cable.to_dict())
    assert len(cable.content_hash()) == 40
    assert all(p.number >= 0 for p in cable.paragraphs)
    if cable.created is not None:
        assert cable.created.tzinfo is not None


@SETTINGS
@given(st.text(max_size=3000))
def test_random_text(text):
    _check(text)


@SETTINGS
@given(st.sampled_from(SAMPLES), st.integers(min_value=0, max_value=6000))
def test_truncated_cables(sample, cut):
    _check(sample[:cut])


@SETTINGS
@given(st.sampled_from(SAMPLES), st.randoms(use_true_random=False))
def test_shuffled_lines(sample, rnd):
    lines = sample.splitlines()
    rnd.shuffle(lines)
    _check("\n".join(lines))


@SETTINGS
@given(st.lists(st.sampled_from(HEADER_BITS) | st.text(max_size=40), max_size=60),
       st.sampled_from(["\n", "\n\n", " ", "\r\n"]))
def test_spliced_header_fragments(parts, sep):
    _check(sep.join(parts))


@SETTINGS
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(0, 5000), st.sampled_from(HEADER_BITS)), max_size=8))
def test_cables_with_odd_lines_inserted(sample, inserts):
    text = sample
    for position, bit in inserts:
        position = min(position, len(text))
        text = text[:position] + "\n" + bit + "\n" + text[position:]
    _check(text)


@SETTINGS
@given(st.sampled_from(SAMPLES), st.dictionaries(
    st.sampled_from(["reference_id", "created", "origin", "classification"]),
    st.text(max_size=30) | st.sampled_from(["2007-05-16 13:24", "05/16/2007 13:24", "07BAKU595", "SECRET//NOFORN"])))
def test_any_container_metadata(sample, metadata):
    _check(sample, metadata=metadata)


def test_not_text_at_all_is_a_clear_error():
    for value in (None, b"VZCZC", 42):
        try:
            parse_cable(value)  # type: ignore[arg-type]
        except CableParseError as exc:
            assert "expected text" in exc.reason
        else:  # pragma: no cover
            raise AssertionError("no error")


@settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=4000), st.sampled_from(["x.txt", "x.html", "x.csv", "x.txt.gz", "x"]))
def test_random_bytes_through_the_readers(tmp_path_factory, data, name):
    path = tmp_path_factory.mktemp("rnd") / name
    path.write_bytes(data)
    reading = read_cables([path])
    items = list(reading)
    assert all(isinstance(i, (Cable, ReadError)) for i in items)
    assert reading.read == reading.parsed + reading.rejected == len(items)
