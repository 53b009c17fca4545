"""The one-shot CLI: every subcommand and format through main(argv), checking stdout, stderr and
the exit status (0 hits, 1 none, 2 error). The index (conftest `small_index`) is built from
tests/data and the bundled examples; XDG folders point into tmp so no user folder is touched."""
from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cablesearch
from cablesearch.cli import main
from terminal import read_terminal

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SEED = DATA / "07BAKU595.txt"


@pytest.fixture(autouse=True)
def environment(isolated_home, monkeypatch):
    monkeypatch.chdir(isolated_home)  # no ./index here


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --- general ------------------------------------------------------------------------------------

def test_version(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == f"cablesearch {cablesearch.__version__}"


@pytest.mark.parametrize("command", ["query", "show", "refs", "stats", "index", "parse", "explain", "repl"])
def test_every_subcommand_has_help_with_examples(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert "--index DIR" in out and "examples:" in out and f"cablesearch {command}" in out


def test_unknown_subcommand_is_a_usage_error(capsys):
    status, out, err = run(capsys, "frobnicate")
    assert status == 2 and out == "" and "invalid choice" in err


# --- parse --------------------------------------------------------------------------------------

def test_parse_prints_a_summary(capsys):
    status, out, err = run(capsys, "parse", str(SEED))
    assert status == 0
    first, subject, facts = out.splitlines()[:3]
    assert first.split()[:2] == ["07BAKU595", "2007-05-16"]
    assert "CONFIDENTIAL" in first and "BAKU (Embassy Baku)" in first
    assert "DEMARCHE DELIVERED" in subject
    assert "tags PHUM PREL ECON BO RU AJ" in facts


def test_parse_json_has_the_record_keys(capsys):
    status, out, _ = run(capsys, "parse", str(SEED), "--json")
    assert status == 0
    record = json.loads(out.splitlines()[0])
    assert record["reference_id"] == "07BAKU595"
    assert record["created"] == "2007-05-16T13:24:00Z"
    assert record["tags"] == ["PHUM", "PREL", "ECON", "BO", "RU", "AJ"]
    assert {"number", "marking", "text"} <= set(record["paragraphs"][0])


def test_parse_rejects_a_non_cable_but_keeps_the_rest(capsys, tmp_path):
    junk = tmp_path / "shopping-list.txt"
    junk.write_text("eggs\nmilk\n", encoding="utf-8")
    status, out, err = run(capsys, "parse", str(junk), str(SEED), "--json")
    assert status == 2
    assert "shopping-list.txt" in err
    assert [json.loads(line)["reference_id"] for line in out.splitlines()] == ["07BAKU595"]


def test_parse_missing_file_is_reported(capsys, tmp_path):
    status, out, err = run(capsys, "parse", str(tmp_path / "nope.txt"))
    assert status == 2 and out == "" and "nope.txt" in err
    assert "Traceback" not in err


# --- index --------------------------------------------------------------------------------------

def test_index_summary_then_idempotent_rerun(capsys, tmp_path):
    target = tmp_path / "idx"
    status, out, err = run(capsys, "index", str(SEED), "--index", str(target))
    assert status == 0 and out == ""
    assert "1 added, 0 replaced, 0 unchanged, 0 rejected" in err
    status, out, err = run(capsys, "index", str(SEED), "--index", str(target))
    assert status == 0 and "0 added, 0 replaced, 1 unchanged, 0 rejected" in err
    assert "\r" not in err  # no progress bar when stderr is not a terminal


def test_index_reports_rejected_inputs(capsys, tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("not a cable at all\n", encoding="utf-8")
    status, out, err = run(capsys, "index", str(junk), str(SEED), "--index", str(tmp_path / "idx"))
    assert status == 2
    assert "1 added" in err and "1 rejected" in err and "junk.txt" in err


# --- query --------------------------------------------------------------------------------------

def test_query_text_lines_snippet_facets_and_timeline(capsys, small_index):
    status, out, err = run(capsys, "query", "tag:PHUM from:BAKU belarus", "--index", str(small_index))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["2007-05-16", "07BAKU595", "CONFIDENTIAL", "BAKU"]
    assert "DEMARCHE DELIVERED" in lines[0]
    assert lines[1].lstrip().startswith("¶") and "(C)" in lines[1] and "Belarus" in lines[1]
    assert "\x1b[" not in out  # not a terminal: no colour
    assert any(line.startswith("tag ") and "PHUM" in line for line in lines)
    assert any(line.startswith("2007 ") for line in lines)  # the per-month timeline row
    assert err == ""


def test_index_option_is_accepted_before_the_subcommand(capsys, small_index):
    status, out, _ = run(capsys, "--index", str(small_index), "query", "07BAKU595")
    assert status == 0 and "07BAKU595" in out


def test_index_from_the_environment(capsys, small_index, monkeypatch):
    monkeypatch.setenv("CABLESEARCH_INDEX", str(small_index))
    status, out, _ = run(capsys, "query", "tag:PHUM")
    assert status == 0 and "07BAKU595" in out


def test_query_json(capsys, small_index):
    status, out, err = run(capsys, "query", "tag:PHUM", "--format", "json", "--index", str(small_index))
    assert status == 0
    doc = json.loads(out)
    assert doc["total"] >= 1 and doc["query"] == "tag:PHUM"
    hit = next(h for h in doc["hits"] if h["id"] == "07BAKU595")
    assert hit["date"] == "2007-05-16T13:24:00Z" and "PHUM" in hit["tags"]
    assert {"value": "PHUM", "count": doc["total"]} in doc["facets"]["tag"]


def test_query_jsonl_with_fields(capsys, small_index):
    status, out, _ = run(capsys, "query", "from:BAKU", "--format", "jsonl", "--fields", "id,classification",
                         "--index", str(small_index))
    assert status == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert {"id": "07BAKU595", "classification": "CONFIDENTIAL"} in rows
    assert all(set(row) == {"id", "classification"} for row in rows)


def test_query_csv(capsys, small_index):
    status, out, _ = run(capsys, "query", "Lukashenko", "--format", "csv", "--index", str(small_index))
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    row = next(r for r in rows if r["id"] == "07BAKU595")
    assert row["tags"] == "PHUM;PREL;ECON;BO;RU;AJ"  # ";": tags may hold spaces
    assert "Lukashenko" in row["snippet"]


def test_query_count(capsys, small_index):
    status, out, _ = run(capsys, "query", "07BAKU595", "--count", "--index", str(small_index))
    assert (status, out) == (0, "1\n")


def test_query_sort_by_date_and_limit(capsys, small_index):
    status, out, _ = run(capsys, "query", "date:1966..2011", "--sort", "date", "--format", "jsonl",
                         "--fields", "date", "--limit", "50", "--index", str(small_index))
    assert status == 0
    dates = [json.loads(line)["date"] for line in out.splitlines()]
    assert dates == sorted(dates) and len(dates) >= 1
    status, out, _ = run(capsys, "query", "date:1966..2011", "--limit", "1", "--format", "jsonl",
                         "--index", str(small_index))
    assert len(out.splitlines()) == 1


def test_sort_newest_first_with_a_dash_value(capsys, small_index):
    status, out, err = run(capsys, "query", "date:1966..2011", "--sort", "-date", "--format", "jsonl",
                           "--fields", "date", "--limit", "50", "--index", str(small_index))
    assert status == 0, err
    dates = [json.loads(line)["date"] for line in out.splitlines()]
    assert len(dates) > 1 and dates == sorted(dates, reverse=True)


def test_query_with_no_hits_exits_1(capsys, small_index):
    status, out, err = run(capsys, "query", "zanzibarquux", "--index", str(small_index))
    assert status == 1
    assert out.startswith("no cables match")
    status, out, _ = run(capsys, "query", "zanzibarquux", "--format", "jsonl", "--index", str(small_index))
    assert (status, out) == (1, "")
    status, out, _ = run(capsys, "query", "zanzibarquux", "--count", "--index", str(small_index))
    assert (status, out) == (1, "0\n")


def test_bad_query_shows_the_caret_message(capsys, small_index):
    status, out, err = run(capsys, "query", "tag:(PHUM", "--index", str(small_index))
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert "Traceback" not in err
    query_line = next(line for line in lines if "tag:(PHUM" in line)
    caret_line = lines[lines.index(query_line) + 1]
    assert caret_line.strip() == "^"
    assert caret_line.index("^") - query_line.index("tag:(PHUM") in range(0, 10)


def test_unknown_field_suggests_one(capsys, small_index):
    status, out, err = run(capsys, "query", "tga:PHUM", "--index", str(small_index))
    assert status == 2 and out == ""
    assert "unknown field 'tga:'; did you mean tag:?" in err


def test_unknown_output_field(capsys, small_index):
    status, out, err = run(capsys, "query", "x", "--format", "csv", "--fields", "id,bogus",
                           "--index", str(small_index))
    assert status == 2 and "bogus" in err and out == ""


def test_missing_named_index_says_how_to_build_one(capsys, tmp_path):
    missing = tmp_path / "no-such-index"
    status, out, err = run(capsys, "query", "tag:PHUM", "--index", str(missing))
    assert status == 2 and out == ""
    assert "cablesearch index" in err and str(missing) in err
    assert "Traceback" not in err


def test_fresh_machine_builds_the_default_index_from_the_examples(capsys, tmp_path):
    status, out, err = run(capsys, "query", "tag:PHUM from:BAKU")
    assert status == 0
    assert "07BAKU595" in out
    assert "cablesearch index" in err  # says it built a default index and how to index a real archive
    assert (tmp_path / "xdg_data_home").exists()  # built in the (temporary) XDG data dir
    assert not (tmp_path / "index").exists()


def test_ctrl_c_exits_130_quietly(capsys, small_index, monkeypatch):
    from cablesearch import index as index_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(index_module.CableIndex, "search", interrupted)
    status, out, err = run(capsys, "query", "belarus", "--index", str(small_index))
    assert status == 130 and "Traceback" not in err and out == ""


def test_unusable_index_folder_is_reported_without_a_traceback(capsys, tmp_path):
    a_file = tmp_path / "hostname"
    a_file.write_text("not a folder\n", encoding="utf-8")
    places = [a_file, a_file / "index"]  # a file where the folder should be; a folder under a file
    if Path("/proc/self").is_dir():
        places.append(Path("/proc/cablesearch-no-such-folder"))  # a folder nobody may make
    for place in places:
        status, out, err = run(capsys, "index", str(SEED), "--index", str(place))
        assert status == 2 and out == "", place
        assert "Traceback" not in err and "internal error" not in err, err
        assert err.startswith("cablesearch: ") and str(place.parent) in err, err
    assert a_file.read_text(encoding="utf-8") == "not a folder\n"


def test_an_os_error_while_searching_is_one_line(capsys, small_index, monkeypatch):
    from cablesearch import index as index_module

    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/data/index/MAIN_x.seg")

    monkeypatch.setattr(index_module.CableIndex, "search", unreadable)
    status, out, err = run(capsys, "query", "belarus", "--index", str(small_index))
    assert (status, out, err) == (2, "", "cablesearch: /data/index/MAIN_x.seg: Permission denied\n")


def test_a_bug_is_an_internal_error_without_a_traceback(capsys, small_index, monkeypatch):
    from cablesearch import index as index_module

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero in the ranking")

    monkeypatch.setattr(index_module.CableIndex, "search", broken)
    status, out, err = run(capsys, "query", "belarus", "--index", str(small_index))
    assert status == 2 and out == "" and "Traceback" not in err
    first, second = err.splitlines()
    assert first == "cablesearch: internal error: ZeroDivisionError: division by zero in the ranking"
    assert "please report it" in second and cablesearch.__version__ in second


def query_ids(capsys, *argv: str) -> list[str]:
    status, out, err = run(capsys, "query", *argv, "--format", "jsonl", "--fields", "id", "--limit", "500")
    assert status in (0, 1) and "error" not in err, err
    return [json.loads(line)["id"] for line in out.splitlines()]


def test_a_query_may_start_with_a_minus(capsys, small_index):
    everything = query_ids(capsys, "date:1900..2100", "--index", str(small_index))
    phum = query_ids(capsys, "tag:PHUM", "--index", str(small_index))
    not_phum = query_ids(capsys, "-tag:PHUM", "--index", str(small_index))
    assert phum and not_phum and "07BAKU595" in phum
    assert set(not_phum).isdisjoint(phum) and set(not_phum) <= set(everything)
    # after "--", with options after it; and with options before it
    status, out, err = run(capsys, "query", "--", "-tag:PHUM", "--format", "csv", "--fields", "id",
                           "--limit", "500", "--index", str(small_index))
    assert status == 0, err
    assert [row["id"] for row in csv.DictReader(io.StringIO(out))] == not_phum
    assert query_ids(capsys, "--index", str(small_index), "--sort", "-date", "-tag:PHUM") == \
        query_ids(capsys, "-tag:PHUM", "--sort", "-date", "--index", str(small_index))


def test_explain_a_query_that_starts_with_a_minus(capsys):
    status, plain_form, err = run(capsys, "explain", "-tag:PHUM")
    assert status == 0, err
    assert "NOT tags:PHUM" in plain_form
    status, after_dashes, _ = run(capsys, "explain", "--", "-tag:PHUM")
    assert (status, after_dashes) == (0, plain_form)


def test_an_unknown_option_after_the_query_is_still_an_error(capsys, small_index):
    status, out, err = run(capsys, "query", "belarus", "--bogus", "--index", str(small_index))
    assert status == 2 and out == "" and "unrecognized arguments: --bogus" in err


# --- show, refs, stats, explain -----------------------------------------------------------------

def test_show_prints_fields_then_numbered_paragraphs(capsys, small_index):
    status, out, _ = run(capsys, "show", "07baku595", "--index", str(small_index))
    assert status == 0
    assert out.startswith("07BAKU595  DEMARCHE DELIVERED")
    assert "Classification  CONFIDENTIAL" in out
    assert "Tags            PHUM PREL ECON BO RU AJ" in out
    assert out.index("¶1 (C)") < out.index("¶2 (C)") < out.index("¶5 (C)")


def test_show_json_is_the_record(capsys, small_index):
    status, out, _ = run(capsys, "show", "07BAKU595", "--format", "json", "--index", str(small_index))
    record = json.loads(out)
    assert status == 0 and record["reference_id"] == "07BAKU595" and record["origin"] == "BAKU"


def test_show_unknown_id_exits_1(capsys, small_index):
    status, out, err = run(capsys, "show", "99NOWHERE1", "--index", str(small_index))
    assert status == 1 and out == "" and "99NOWHERE1" in err


def test_refs_marks_cables_not_in_the_index(capsys, small_index):
    status, out, _ = run(capsys, "refs", "07BAKU595", "--index", str(small_index))
    assert status == 0
    assert "07BAKU568" in out and "not in the index" in out
    assert "cited by" in out


def test_refs_of_a_cable_not_in_the_index_lists_what_cites_it(capsys, small_index):
    status, out, err = run(capsys, "refs", "07BAKU568", "--index", str(small_index))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "07BAKU568 is not in the index"
    assert "cites" not in out and "nothing" not in out
    cited_by = lines.index(next(line for line in lines if line.startswith("cited by (")))
    assert any(line.split()[:2] == ["07BAKU595", "2007-05-16"] for line in lines[cited_by + 1:])
    status, out, _ = run(capsys, "refs", "07BAKU568", "--format", "json", "--index", str(small_index))
    doc = json.loads(out)
    assert (doc["in_index"], doc["cites"]) == (False, None) and "07BAKU595" in doc["cited_by"]
    status, out, err = run(capsys, "refs", "99NOWHERE1", "--index", str(small_index))
    assert status == 1 and out.startswith("99NOWHERE1 is not in the index\ncited by (0)")


def test_refs_json(capsys, small_index):
    status, out, _ = run(capsys, "refs", "07BAKU595", "--format", "json", "--index", str(small_index))
    doc = json.loads(out)
    assert status == 0 and doc["id"] == "07BAKU595"
    cited = {c["id"]: c["in_index"] for c in doc["cites"] if c["id"]}
    assert cited.get("07BAKU568") is False
    assert doc["in_index"] is True


def test_stats(capsys, small_index, fixture_cables):
    indexed = len({cable.reference_id for cable in fixture_cables})  # a re-read id replaces the cable
    status, out, _ = run(capsys, "stats", "--index", str(small_index))
    assert status == 0 and "cables" in out
    assert ["cables", str(indexed)] in [line.split() for line in out.splitlines()]
    status, out, _ = run(capsys, "stats", "--format", "json", "--index", str(small_index))
    doc = json.loads(out)
    assert doc["cables"] == indexed
    assert doc["path"] == str(small_index) and doc["first_date"].endswith("Z")


def test_explain_shows_ast_and_whoosh_query(capsys):
    status, out, err = run(capsys, "explain", "tag:PHUM from:BAKU")
    assert status == 0
    assert "tags" in out and "phum" in out and "baku" in out


def test_explain_bad_query(capsys):
    status, out, err = run(capsys, "explain", 'subject:"Belarus')
    assert status == 2 and out == "" and "^" in err


def test_repl_reads_queries_from_a_pipe(capsys, small_index, monkeypatch):
    _, shown, _ = run(capsys, "show", "07BAKU595", "--index", str(small_index))
    monkeypatch.setattr("sys.stdin", io.StringIO("tag:PHUM from:BAKU\n:show 1\ntag:(\n:quit\nbelarus\n"))
    status, out, err = run(capsys, "repl", "--index", str(small_index))
    assert status == 2  # one line was a malformed query
    assert "1. 2007-05-16  07BAKU595" in out
    assert "Classification  CONFIDENTIAL" in out  # :show 1, written out since there is no terminal
    assert err.endswith("  tag:(\n      ^\n")  # the caret message, on stderr: stdout carries data only
    assert "tag:(" not in out
    assert out.endswith(shown)  # :show 1 wrote last: :quit stopped before `belarus`


# --- on a real terminal -------------------------------------------------------------------------

def run_in_terminal(argv: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    """Run `python -m cablesearch ARGV` in a pseudo-terminal; returns (exit status, raw output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "cablesearch", *argv], env)
    try:
        seen = read_terminal(fd, time.monotonic() + timeout)
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        if pid:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen


def terminal_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CABLESEARCH_INDEX")}
    env.update({name: str(tmp_path / name.lower()) for name in
                ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")})
    env.update(TERM="xterm", PAGER="cat", **extra)
    return env


def test_colour_on_a_terminal_unless_no_color(small_index, tmp_path):
    argv = ["query", "tag:PHUM from:BAKU belarus", "--index", str(small_index)]
    status, coloured = run_in_terminal(argv, terminal_env(tmp_path))
    assert status == 0 and "\x1b[1;33m" in coloured  # matched words in bold yellow
    status, plain_text = run_in_terminal(argv, terminal_env(tmp_path, NO_COLOR="1"))
    assert status == 0 and "\x1b[" not in plain_text and "07BAKU595" in plain_text


def test_index_shows_a_progress_bar_on_a_terminal(tmp_path):
    status, output = run_in_terminal(["index", str(DATA), "--index", str(tmp_path / "idx")],
                                     terminal_env(tmp_path))
    assert status == 0
    assert "indexing into" in output and "cables" in output and "eta" in output  # prompt_toolkit's bar
    assert "added, 0 replaced, 0 unchanged, 0 rejected" in output


def test_a_reader_that_stops_early_is_not_an_error(small_index, monkeypatch):
    """`cablesearch query ... | head`: the pipe closes while hits are being written; that is exit 0."""
    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            raise ValueError("no file")  # so the CLI does not redirect the test runner's stdout

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["query", "belarus", "--format", "jsonl", "--index", str(small_index)]) == 0
    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["query", "zzzznotaword", "--format", "jsonl", "--index", str(small_index)]) == 1


def test_the_console_script_writes_all_its_output_and_runs_the_exit_handlers(small_index):
    """run() leaves without Python's teardown (os._exit): the output written to a pipe must
    still be whole, the exit status main's, and the exit handlers run."""
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
              "from cablesearch.cli import run\n"
              "sys.argv = ['cablesearch'] + sys.argv[1:]\n"
              "run()\n")
    done = subprocess.run([sys.executable, "-c", script, "query", "belarus", "--format", "json", "--limit", "50",
                           "--index", str(small_index)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] > 0
    assert "exit handler ran" in done.stderr
    failed = subprocess.run([sys.executable, "-c", script, "query", "tag:(", "--index", str(small_index)],
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2 and "^" in failed.stderr and "exit handler ran" in failed.stderr
