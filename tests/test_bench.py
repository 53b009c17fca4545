"""The benchmark harness: the synthetic corpus generator and the baselines' query translations."""
from __future__ import annotations

import importlib.util
import io
import json
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
BENCH = ROOT / "bench"

needs_corpus = pytest.mark.skipif(not (CORPUS / "cables").is_dir(),
                                  reason=f"the real corpus folder {CORPUS} is absent")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen_corpus = _load("gen_corpus")
baselines = _load("baselines")


@pytest.fixture(scope="module")
def small_profile(tmp_path_factory):
    """A profile trained on 60 real cables (every 100th), with the first 3,000 ids of cable2month."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "cables").mkdir()
    chosen = sorted((CORPUS / "cables").glob("*.txt"))[::100][:60]
    for path in chosen:
        (folder / "cables" / path.name).write_bytes(path.read_bytes())
    names = {p.stem for p in chosen}
    with open(CORPUS / "manifest.jsonl", encoding="utf-8") as src, \
            open(folder / "manifest.jsonl", "w", encoding="utf-8") as dst:
        dst.writelines(line for line in src if json.loads(line)["reference_id"] in names)
    with open(CORPUS / "cable2month.csv", encoding="utf-8") as src:
        lines = src.readlines()
    (folder / "cable2month.csv").write_text("".join(lines[:3000]), encoding="utf-8")
    return gen_corpus.build_profile(folder)


def _csv(profile, count: int, seed: int) -> str:
    out = io.StringIO()
    gen_corpus.write_corpus(out, profile, count=count, seed=seed)
    return out.getvalue()


def _rows(text: str) -> list[list[str]]:
    import csv
    return list(csv.reader(io.StringIO(text), escapechar="\\", doublequote=False))


@needs_corpus
def test_generator_is_deterministic_for_a_seed(small_profile):
    first = _csv(small_profile, 40, seed=7)
    assert first == _csv(small_profile, 40, seed=7)
    assert first != _csv(small_profile, 40, seed=8)


@needs_corpus
def test_smaller_corpus_is_a_subset_of_a_larger_one(small_profile):
    small = {r[2]: r[1:] for r in _rows(_csv(small_profile, 20, seed=3))}
    large = {r[2]: r[1:] for r in _rows(_csv(small_profile, 60, seed=3))}
    assert len(small) == 20 and len(large) == 60
    assert all(large[ref_id] == row for ref_id, row in small.items())


@needs_corpus
def test_generated_csv_has_the_release_layout(small_profile):
    text = _csv(small_profile, 30, seed=1)
    rows = _rows(text)
    assert [len(r) for r in rows] == [8] * 30
    assert [r[0] for r in rows] == [str(i) for i in range(1, 31)]
    months = dict(line.split(",") for line in (CORPUS / "cable2month.csv").read_text().split()[:3000])
    for row in rows:
        assert row[2] in months
        assert int(row[1][:2]) == int(months[row[2]])           # MM/DD/YYYY HH:MM in the id's month
        assert row[1][6:10].endswith(row[2][:2])
    assert text.startswith('"1","')                               # every field quoted


@needs_corpus
def test_generated_csv_reads_back_with_the_project_reader(small_profile, tmp_path):
    path = tmp_path / "cables.csv"
    path.write_text(_csv(small_profile, 50, seed=2), encoding="utf-8")
    rows = {r[2]: r for r in _rows(path.read_text(encoding="utf-8"))}
    cables = list(baselines.parse_corpus(path))
    assert sorted(c.reference_id for c in cables) == sorted(rows)
    for cable in cables:
        row = rows[cable.reference_id]
        assert cable.created is not None and cable.created.strftime("%m/%d/%Y %H:%M") == row[1]
        assert cable.classification.split("//")[0] == row[4].split("//")[0]
        assert cable.paragraphs or cable.body
        if "\nTAGS: " in row[7]:
            written = row[7].split("\nTAGS: ", 1)[1].split("\n", 1)[0].split()
            assert set(cable.tags) == set(written)
        if row[5]:
            assert set(row[5].split("|")) <= {r.id for r in cable.references}


def test_query_mix_has_the_required_kinds():
    queries = baselines.load_queries(BENCH / "queries.txt")
    assert len(queries) >= 40
    texts = " ".join(q.text for q in queries)
    for form in ('"', "tag:", "from:", "date:", "..", "class:>=", "*", "?", "para:(", "marking:", "~"):
        assert form in texts, form
    assert any(q.sort == "-date" for q in queries) and any(q.sort == "date" for q in queries)
    assert any(q.facets for q in queries)
    assert len({q.key for q in queries}) == len(queries)


def test_query_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "q.txt"
    bad.write_text("tag:PHUM ;; sort=sideways\n    whoosh tags:phum\n    fts5 tags: phum\n")
    with pytest.raises(baselines.QueryFileError, match=":1: bad option"):
        baselines.load_queries(bad)
    bad.write_text("tag:PHUM\n    whoosh tags:phum\n")
    with pytest.raises(baselines.QueryFileError, match="no fts5 line"):
        baselines.load_queries(bad)


def _docs():
    base = {"date": "2007-05-16 10:00", "to": ["STATE"], "info": [], "captions": ["SIPDIS"], "refs": [],
            "signer": "", "classified_by": "Ambassador Anne E. Derse"}
    return [
        dict(base, id="07BAKU595", origin=["BAKU", "Embassy Baku"], tags=["PHUM", "PREL"],
             classification="SECRET//NOFORN", subject="Belarus and Azerbaijan",
             body="Lukashenko met Aliyev on human rights.",
             paragraphs=[[1, "S/NF", "Lukashenko met Aliyev"], [2, "C", "on human rights."]]),
        dict(base, id="08MINSK100", date="2008-03-14 09:00", origin=["MINSK", "Embassy Minsk"], tags=["PGOV"],
             classification="CONFIDENTIAL", subject="Election", body="The election and corruption.",
             paragraphs=[[1, "C", "The election and corruption."]]),
        dict(base, id="05STATE1", date="2005-01-02 03:04", origin=["STATE", "Secretary of State"], tags=["KNNP"],
             classification="UNCLASSIFIED", subject="Iran nuclear", body="Iran and uranium; nuclear talks.",
             paragraphs=[[1, "", "Iran and uranium; nuclear talks."]]),
    ]


def test_every_translation_runs_on_the_baselines(tmp_path):
    queries = baselines.load_queries(BENCH / "queries.txt")
    whoosh = baselines.PlainWhoosh(tmp_path / "whoosh")
    whoosh.build(_docs(), procs=1)
    whoosh.open()
    fts5 = baselines.SqliteFts5(tmp_path / "fts5.sqlite")
    if not fts5.available():
        pytest.skip("this Python's sqlite3 has no FTS5")
    fts5.build(_docs())
    fts5.open()
    try:
        for q in queries:
            for engine, impl in (("whoosh", whoosh), ("fts5", fts5)):
                text = q.translation(engine)
                if text:
                    answer = impl.run(text, q.sort, q.facets)
                    assert answer.total is not None and len(answer.ids) <= 10, (engine, q.text)
            rg = q.translation("rg")
            if rg:
                assert shlex.split(rg)
    finally:
        whoosh.close()
        fts5.close()


@pytest.mark.parametrize("query, expected", [
    ("tag:PHUM", {"07BAKU595"}),
    ("date:2008-03-14", {"08MINSK100"}),
    ("date:..2005-03 tag:PREL", set()),
    ("class:>=SECRET", {"07BAKU595"}),
    ("from:\"Embassy Baku\"", {"07BAKU595"}),
    ("Iran AND (nuclear OR uranium)", {"05STATE1"}),
    ("para:(marking:S Aliyev)", {"07BAKU595"}),
    ("para:(marking:C corruption)", {"08MINSK100"}),
    ("07BAKU595", {"07BAKU595"}),
])
def test_translations_mean_what_the_query_means(tmp_path, query, expected):
    """On a three-cable corpus each engine's translation finds exactly the cables the query means."""
    q = next(q for q in baselines.load_queries(BENCH / "queries.txt") if q.text == query)
    engines = []
    fts5 = baselines.SqliteFts5(tmp_path / "fts5.sqlite")
    if fts5.available():
        fts5.build(_docs())
        engines.append(("fts5", fts5))
    whoosh = baselines.PlainWhoosh(tmp_path / "whoosh")
    whoosh.build(_docs(), procs=1)
    engines.append(("whoosh", whoosh))
    for engine, impl in engines:
        text = q.translation(engine)
        if not text:
            continue
        impl.open()
        try:
            answer = impl.run(text, q.sort, q.facets)
        finally:
            impl.close()
        assert set(answer.ids) == expected and answer.total == len(expected), (engine, text)


run = _load("run")


def test_sizes_parse():
    assert [run.parse_size(s) for s in ("25k", "100k", "251k", "2000", "all")] == [25_000, 100_000, 251_287,
                                                                                   2_000, 251_287]


def test_a_rerun_keeps_what_it_did_not_measure():
    first = {"started": "a", "builds": {"1": {"wall_s": 1}, "2": {"wall_s": 2}},
             "engines": {"whoosh": {"x": 1}, "cablesearch": {"x": 2}}}
    second = {"started": "b", "builds": {"2": {"wall_s": 3}}, "engines": {"cablesearch": {"x": 4}}}
    merged = run.merge_runs(first, second)
    assert merged["builds"] == {"1": {"wall_s": 1}, "2": {"wall_s": 3}}
    assert merged["engines"] == {"whoosh": {"x": 1}, "cablesearch": {"x": 4}}
    assert merged["runs"] == ["a", "b"]


def _engine_run(ms: float) -> dict:
    queries = {q.key: {"median_ms": ms, "cpu_median_ms": ms / 2, "first_ms": ms, "total": 3, "top": [], "snippets": 0}
               for q in baselines.load_queries(BENCH / "queries.txt")}
    summary = {"median_ms": ms, "p95_ms": ms, "max_ms": ms}
    return {"wall_s": 1.0, "output": {"queries": queries, "summary": summary, "cpu_summary": summary}}


def test_report_states_ratios_and_verdicts(tmp_path):
    build = {"wall_s": 100.0, "user_s": 150.0, "sys_s": 10.0, "peak_rss_mb": 500.0, "peak_tree_rss_mb": 900.0,
             "index_mb": 1000.0, "cables_per_s": 250.0, "output": {"added": 25_000}, "load": (1.0, 2.0)}
    size = {"size": 25_000, "corpus_mb": 190.0, "load_before": (1, 1, 1), "load_after": (2, 2, 2),
            "builds": {"2": build}, "engines": {"cablesearch": _engine_run(10.0), "whoosh": _engine_run(40.0)},
            "errors": {"rg queries": "rg failed"}}
    machine = {"nproc": 2, "memory_gb": 8.0, "cpu": "test cpu", "platform": "linux", "python": "3.11",
               "versions": {"whoosh-reloaded": "2.7.5"}, "commit": "abc"}
    report = tmp_path / "BENCHMARKS.md"
    run.write_report({"sizes": {"25000": size}, "machine": machine, "commands": ["run.py --sizes 25k"]},
                     report, ["run.py --sizes 25k"])
    text = report.read_text()
    assert "| 25,000 | whoosh |" in text and "4.0×" in text
    assert "| mix ≥ 3× faster than plain Whoosh | 4.0× wall" in text and "met (at this size)" in text
    assert "| query median under 30 ms | 10.0 ms | met (at this size) |" in text
    assert "step 'rg queries' failed: rg failed" in text
    assert "Projection, not a measurement" in text
