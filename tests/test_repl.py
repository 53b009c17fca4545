"""The REPL: completion and highlighting from the grammar, and whole sessions driven through
prompt_toolkit's pipe input (results, :show, :export, a malformed query, Ctrl-D), plus one run
of the real `cablesearch` program in a pseudo-terminal."""
from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import signal
import struct
import sys
import time

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from cablesearch import repl as repl_module
from cablesearch.index import CableIndex
from cablesearch.repl import CableCompleter, Repl, history_path, line_fragments
from terminal import plain, read_terminal

XDG = ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")

pytestmark = pytest.mark.usefixtures("isolated_home")  # conftest: XDG folders in tmp, no $CABLESEARCH_INDEX


@pytest.fixture()
def index(small_index):
    with CableIndex.open(small_index) as idx:
        yield idx


# --- completion ---------------------------------------------------------------------------------

def complete(completer, text: str, cursor: int | None = None) -> list:
    cursor = len(text) if cursor is None else cursor
    return list(completer.get_completions(Document(text, cursor), CompleteEvent(text_inserted=True)))


def texts(completions) -> list[str]:
    return [c.text for c in completions]


def test_field_names_and_aliases_complete_with_help(index):
    got = complete(CableCompleter(index.values), "ta")
    assert "tag:" in texts(got) and "tags:" in texts(got)
    meta = {c.text: c.display_meta_text for c in got}
    assert "TAGS" in meta["tags:"]
    assert all(c.start_position == -2 for c in got)


def test_tag_values_come_from_the_index_with_counts(index):
    got = complete(CableCompleter(index.values), "from:BAKU tag:PH")
    assert "PHUM" in texts(got)
    phum = next(c for c in got if c.text == "PHUM")
    assert phum.start_position == -2
    assert re.fullmatch(r"\d+ cables?", phum.display_meta_text)


def test_origin_values_by_prefix_case_insensitive(index):
    got = texts(complete(CableCompleter(index.values), "from:ba"))
    assert "BAKU" in got
    assert all(t.upper().startswith(("BA", '"BA')) for t in got)


def test_completion_in_the_middle_of_a_query(index):
    text = "tag:PH belarus"
    got = texts(complete(CableCompleter(index.values), text, cursor=len("tag:PH")))
    assert "PHUM" in got


def test_operators_offered_between_terms(index):
    got = texts(complete(CableCompleter(index.values), "belarus "))
    assert {"AND ", "OR ", "NOT "} <= set(got)


def test_nothing_to_complete_inside_a_phrase(index):
    assert complete(CableCompleter(index.values), '"human rig') == []


def test_reference_ids_complete_by_prefix(index):
    assert "07BAKU595" in texts(complete(CableCompleter(index.values), "belarus 07BA"))
    assert "07BAKU595" in texts(complete(CableCompleter(index.values), ":show 07ba"))


def test_dates_and_levels_complete(index):
    assert "2007" in texts(complete(CableCompleter(index.values), "date:20"))
    assert "2007-05" in texts(complete(CableCompleter(index.values), "date:2007-"))
    levels = texts(complete(CableCompleter(index.values), "class:>=S"))
    assert levels[0] == "SECRET" and all(level.startswith("SECRET") for level in levels)
    assert {">=", "<"} <= set(texts(complete(CableCompleter(index.values), "class:")))


def test_origin_names_complete_and_find_what_they_count(index):
    got = complete(CableCompleter(index.values), 'from:"Embassy Ba')
    assert [(c.text, c.start_position) for c in got] == [('"Embassy Baku"', -len('"Embassy Ba'))]
    names = complete(CableCompleter(index.values), "from:Emb")
    assert names and all(c.text.startswith('"Embassy ') and c.start_position == -3 for c in names)
    assert [c.display_meta_text for c in got] == ["BAKU · 1 cable"]  # the station and its count
    for completion in names:  # each offered name finds the cables of its station
        station, _, count = completion.display_meta_text.split()[:3]
        found = index.search(f"from:{completion.text}", limit=0, facets=()).total
        assert found == int(count) == index.search(f"from:{station}", limit=0, facets=()).total
    assert "BAKU" in texts(complete(CableCompleter(index.values), "from:ba"))  # stations still come first


def test_date_ranges_complete_the_end_after_the_start(index):
    years = sorted(value for value, _ in index.values("year", "", 1000))
    later = [year for year in years if year > "2007"]
    got = complete(CableCompleter(index.values), "date:2007..")
    assert later and texts(got) == later and all(c.start_position == 0 for c in got)
    got = complete(CableCompleter(index.values), "date:2005..20")
    assert texts(got) == [year for year in years if year > "2005"] and got[0].start_position == -2
    months = sorted(value for value, _ in index.values("month", "", 1000))
    assert texts(complete(CableCompleter(index.values), "date:2007-05..")) == [m for m in months if m > "2007-05"]


def test_classification_levels_come_from_the_fields_table(index):
    assert texts(complete(CableCompleter(index.values), "class:T")) == ['"TOP SECRET"']
    assert index.search('class:>="TOP SECRET"', limit=0, facets=()).total >= 0  # the completion is a valid query


def test_paragraph_scope_completes_marking_only(index):
    got = texts(complete(CableCompleter(index.values), "para:(Belarus ma"))
    assert got == ["marking:"]
    assert "S/NF" in texts(complete(CableCompleter(index.values), "para:(marking:S"))


def test_unknown_field_offers_nothing(index):
    assert complete(CableCompleter(index.values), "tga:PH") == []


def test_commands_complete_with_help():
    got = complete(CableCompleter(), ":s")
    assert {":show", ":sort"} <= set(texts(got))
    assert all(c.display_meta_text for c in got)
    assert texts(complete(CableCompleter(), ":sort -")) == ["-date"]
    assert texts(complete(CableCompleter(), ":format j")) == ["json", "jsonl"]


# --- highlighting -------------------------------------------------------------------------------

def styles_of(text: str) -> dict[str, str]:
    return {piece: style for style, piece in line_fragments(text)}


def test_highlighting_uses_the_grammar_tokens():
    frags = line_fragments('tag:PHUM AND "human rights"')
    assert "".join(t for _, t in frags) == 'tag:PHUM AND "human rights"'
    styles = styles_of('tag:PHUM AND "human rights"')
    assert styles["tag:"] == "class:q.field"
    assert styles["PHUM"] == "class:q.value"
    assert styles["AND"] == "class:q.operator"
    assert styles['"human rights"'] == "class:q.phrase"


def test_malformed_query_is_underlined_at_its_column():
    frags = line_fragments("belarus tag:(PHUM")
    underlined = "".join(t for style, t in frags if "q.error" in style)
    assert underlined and underlined in "tag:(PHUM"
    assert not any("q.error" in style for style, _ in line_fragments("belarus tag:PHUM"))


# --- sessions -----------------------------------------------------------------------------------

def session(index, keys: str, **options) -> tuple[str, list[str], int]:
    """Run a REPL session on `keys`; returns what it printed, what it paged, and the exit status."""
    out, paged = io.StringIO(), []
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        repl = Repl(index, input=pipe, output=DummyOutput(), out=out, history=InMemoryHistory(),
                    pager=paged.append, colour=False, **options)
        status = repl.run()
    return out.getvalue(), paged, status


def test_query_shows_numbered_results_then_ctrl_d_leaves(index):
    out, _, status = session(index, "tag:PHUM from:BAKU\r\x04")
    assert status == 0
    line = next(line for line in out.splitlines() if "07BAKU595" in line)
    assert line.startswith("1. 2007-05-16  07BAKU595")
    assert "¶" in out


def test_show_opens_the_cable_in_the_pager(index):
    out, paged, _ = session(index, "tag:PHUM from:BAKU\r:show 1\r:show 07baku595\r\x04")
    assert len(paged) == 2 and paged[0] == paged[1]
    assert paged[0].startswith("07BAKU595  DEMARCHE DELIVERED")
    assert "¶2 (C)" in paged[0]


def test_export_writes_the_last_results(index, tmp_path):
    jsonl, table = tmp_path / "hits.jsonl", tmp_path / "hits.csv"
    out, _, _ = session(index, f"tag:PHUM\r:export {jsonl}\r:export {table}\r\x04")
    ids = [json.loads(line)["id"] for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert "07BAKU595" in ids
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ids
    assert f"wrote {len(ids)} cable" in out


def test_malformed_query_shows_the_caret_and_does_not_run(index):
    # after the error the query stays on the line to be fixed: Ctrl-U clears it, then Ctrl-D leaves
    out, _, status = session(index, 'tag:(PHUM\r\x15\x04')
    assert status == 0
    lines = out.splitlines()
    query_line = next(i for i, line in enumerate(lines) if line.strip() == "tag:(PHUM")
    assert lines[query_line + 1].strip() == "^"
    assert "07BAKU595" not in out


def test_commands_sort_limit_format_facets_refs_help(index):
    keys = (":limit 1\r:sort date\r:format jsonl\rdate:1900..2100\r:format text\r:facets tag\r"
            ":refs 07BAKU595\r:help\r:bogus\r:quit\r")
    out, paged, status = session(index, keys)
    assert status == 0
    jsonl = [line for line in out.splitlines() if line.startswith("{")]
    assert len(jsonl) == 1 and json.loads(jsonl[0])["rank"] == 1
    assert "PHUM" in out.split("tag\n", 1)[1]  # the facet table after its heading
    assert "07BAKU568" in out and "not in the index" in out
    assert paged and "tags, tag" in paged[-1] and ":export FILE" in paged[-1]  # help from FIELDS
    assert "unknown command :bogus" in out


def test_a_bare_refs_is_about_the_cable_last_shown(index):
    out, paged, _ = session(index, ":refs\r:show 07BAKU595\r:refs\r:quit\r")
    assert "usage: :refs N|ID" in out  # nothing shown yet
    assert paged and "07BAKU595" in paged[-1]
    assert "07BAKU568" in out.split("usage: :refs N|ID", 1)[1]  # what 07BAKU595 cites


def test_facets_accept_aliases_and_name_the_choices(index):
    out, _, _ = session(index, "tag:PHUM\r:facets tags\r:facets year\r:facets bogus\r\x04")
    assert "PHUM" in out.split("tags\n", 1)[1]
    assert "usage: :facets FIELD, one of origin, to, info, tags" in out


def piped(index, lines: str, **options) -> tuple[int, str, str]:
    """Run lines as `cablesearch < file` does; returns the status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    repl = Repl(index, out=out, err=err, history=InMemoryHistory(), pager=out.write, colour=False, **options)
    return repl.run_lines(io.StringIO(lines)), out.getvalue(), err.getvalue()


def test_piped_lines_keep_messages_off_stdout(index, tmp_path):
    target = tmp_path / "hits.jsonl"
    status, out, err = piped(index, f":show 1\nbelarus or azerbaijan\n:format jsonl\ntag:PHUM\n"
                                    f":export {target}\ntag:(\n")
    assert status == 2
    assert err.splitlines()[0] == "no results yet: run a query, then :show N"
    assert "warning: 'or' at column 9" in err and "wrote " in err and "tag:(\n      ^\n" in err
    data = out[out.index("{"):]  # after the text page of the first query: JSON lines only
    exported = [json.loads(line)["id"] for line in target.read_text(encoding="utf-8").splitlines()]
    assert [json.loads(line)["id"] for line in data.splitlines()] == exported[:10]
    assert f"wrote {len(exported)} cable" in err
    assert "warning" not in out and "wrote" not in out and "^" not in out


def test_export_fetches_pages_and_writes_every_hit(index, tmp_path, monkeypatch):
    monkeypatch.setattr(repl_module, "EXPORT_PAGE_SIZE", 2)
    calls = []
    search = index.search

    def recording_search(query, **options):
        calls.append(options.get("limit"))
        return search(query, **options)

    monkeypatch.setattr(index, "search", recording_search)
    everything = [hit.id for hit in search("date:1900..2100", limit=1000, sort="date", facets=()).hits]
    assert len(everything) > 4  # several pages
    files = {suffix: tmp_path / f"all{suffix}" for suffix in (".jsonl", ".csv", ".json")}
    lines = ":sort date\ndate:1900..2100\n" + "".join(f":export {path}\n" for path in files.values())
    calls.clear()
    status, _, err = piped(index, lines)
    assert status == 0, err
    assert calls and max(calls[1:]) == 2  # the query's own page, then pages of two
    jsonl = [json.loads(line)["id"] for line in files[".jsonl"].read_text(encoding="utf-8").splitlines()]
    rows = [row["id"] for row in csv.DictReader(files[".csv"].open(encoding="utf-8"))]
    doc = json.loads(files[".json"].read_text(encoding="utf-8"))
    assert jsonl == rows == [hit["id"] for hit in doc["hits"]] == everything
    assert doc["total"] == len(everything) and [hit["rank"] for hit in doc["hits"]] == list(range(1, len(everything) + 1))
    assert err.count(f"wrote {len(everything)} cables to ") == 3
    assert not list(tmp_path.glob("*.part"))


def test_an_unexpected_error_keeps_the_session(index, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(index, "search", broken)
    status, out, err = piped(index, "belarus\n:help\n")
    assert status == 2 and "internal error: ZeroDivisionError: oops" in err and "please report it" in err
    assert "Commands" in out  # :help still ran after the failure


def session_with_history(index, keys: str, past: list[str]) -> str:
    out, history = io.StringIO(), InMemoryHistory()
    for line in past:
        history.append_string(line)
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        Repl(index, input=pipe, output=DummyOutput(), out=out, history=history, pager=lambda text: None,
             colour=False).run()
    return out.getvalue()


def test_ctrl_r_finds_an_earlier_query(index):
    out = session_with_history(index, "\x12BAKU\r\r\x04", ["tag:PHUM from:BAKU", "zanzibarquux"])
    assert "1. 2007-05-16  07BAKU595" in out


def test_suggestions_come_from_history(index):
    history = InMemoryHistory()
    history.append_string("tag:PHUM from:BAKU")
    with create_pipe_input() as pipe:
        repl = Repl(index, out=io.StringIO(), history=history, input=pipe, output=DummyOutput())
        buffer = repl.session.default_buffer
        suggestion = repl.session.auto_suggest.get_suggestion(buffer, Document("tag:PHUM fr"))
    assert suggestion is not None and suggestion.text == "om:BAKU"


def test_toolbar_shows_count_sort_and_last_query(index):
    out, paged = io.StringIO(), []
    with create_pipe_input() as pipe:
        pipe.send_text("belarus\r\x04")
        repl = Repl(index, input=pipe, output=DummyOutput(), out=out, history=InMemoryHistory(),
                    pager=paged.append, colour=False)
        repl.run()
        toolbar = "".join(t for _, t in repl.toolbar())
    assert re.search(r"\d+ cables?", toolbar) and "sort: relevance" in toolbar
    assert re.search(r"last: \d+ hits? in \d+ ms", toolbar)


def test_history_lives_in_the_xdg_state_dir(tmp_path):
    assert history_path() == tmp_path / "xdg_state_home" / "cablesearch" / "history"


# --- the real program in a pseudo-terminal ------------------------------------------------------

def read_until(fd: int, pattern: str, deadline: float) -> str:
    """The terminal's plain text up to where `pattern` appears (or the deadline passes)."""
    return plain(read_terminal(fd, deadline, until=pattern))


def test_repl_in_a_pseudo_terminal(small_index, tmp_path):
    env = {**os.environ, "NO_COLOR": "1", "PAGER": "cat", "TERM": "xterm",
           "CABLESEARCH_INDEX": str(small_index),
           **{name: str(tmp_path / name.lower()) for name in XDG}}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real program on a terminal
        os.execve(sys.executable, [sys.executable, "-m", "cablesearch"], env)
    try:
        import fcntl
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        deadline = time.monotonic() + 60
        banner = read_until(fd, r"sort: relevance", deadline)
        assert "cablesearch" in banner and re.search(r"\d+ cables? · sort: relevance", banner)  # toolbar
        os.write(fd, b"tag:PHUM from:BAKU\r")
        shown = read_until(fd, r"07BAKU595.*\n.*¶", deadline)
        assert re.search(r"1\. 2007-05-16\s+07BAKU595\s+CONFIDENTIAL\s+BAKU", shown)
        assert re.search(r"last: \d+ hits? in \d+ ms", read_until(fd, r"last: \d+ hits?", deadline))
        os.write(fd, b":quit\r")
        read_until(fd, r"$^", deadline)
        _, status = os.waitpid(pid, 0)
        pid = 0
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert history_path().read_text(encoding="utf-8").count("tag:PHUM from:BAKU") == 1
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
