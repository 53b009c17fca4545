"""`cablesearch serve` as a process, and one server answering while `cablesearch index` adds cables."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cablesearch import CableIndex
from cablesearch.web import create_app
from webserver import live_server

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, **options) -> subprocess.Popen:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "cablesearch", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **options)


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_says_its_url_answers_and_stops_cleanly(web_index, stop):
    proc = run_cli("serve", "--index", str(web_index), "--port", "0")
    try:
        line = proc.stderr.readline()
        assert "serving" in line and "http://127.0.0.1:" in line and "Ctrl-C" in line, line
        url = line.split(" at ", 1)[1].split(";", 1)[0].strip()
        status, stats = get_json(url + "api/stats")
        assert status == 200 and stats["cables"] > 10
        status, doc = get_json(url + "api/search?q=tag:(")
        assert status == 400 and doc["error"]["column"] == 5
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out == "" and "stopped" in err and "Traceback" not in err


def test_serve_reports_a_port_in_use_and_a_missing_index(web_index, tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = str(taken.getsockname()[1])
        proc = run_cli("serve", "--index", str(web_index), "--port", port)
        out, err = proc.communicate(timeout=120)
    finally:
        taken.close()
    assert proc.returncode == 2 and out == ""
    assert err.startswith(f"cablesearch: cannot serve on 127.0.0.1:{port}:") and "Traceback" not in err
    proc = run_cli("serve", "--index", str(tmp_path / "nothing"))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "nothing" in err and "Traceback" not in err


def cable_files(folder: Path, numbers: range) -> None:
    """Copies of a fixture cable under new ids 08RIGA<n>, one file each."""
    text = (DATA / "two_cables.txt").read_text(encoding="utf-8").split("EXAMPLE")[0]
    folder.mkdir(parents=True)
    for n in numbers:
        (folder / f"{n}.txt").write_text(text.replace("000210", f"000{n}").replace("#0210", f"#0{n}"),
                                         encoding="utf-8")


def test_one_server_answers_while_cablesearch_index_adds_cables(tmp_path, fixture_cables):
    path = tmp_path / "index"
    with CableIndex.create(path) as index:
        index.add(fixture_cables, procs=1)
    batches = [range(300 + 10 * b, 310 + 10 * b) for b in range(4)]
    for b, numbers in enumerate(batches):
        cable_files(tmp_path / f"batch{b}", numbers)
    query = "ferry subsidy"
    with CableIndex.open(path) as index:
        before = index.search(query, limit=0, facets=()).total

    failures: list[str] = []
    totals: dict[int, list[int]] = {}
    writing = threading.Event()
    writing.set()
    with CableIndex.open(path) as index, live_server(create_app(index)) as url:
        def reader(number: int) -> None:
            seen = totals.setdefault(number, [])
            while True:
                last_round = not writing.is_set()
                for path_ in ("/api/search?q=ferry+subsidy&limit=3", "/?q=ferry+subsidy",
                              "/api/complete?q=tag:P", "/cable/08RIGA210"):
                    try:
                        with urllib.request.urlopen(url + path_, timeout=60) as response:
                            body = response.read()
                            if path_.startswith("/api/search"):
                                seen.append(json.loads(body)["total"])
                    except Exception as error:  # noqa: BLE001 - every failure is a finding
                        failures.append(f"{path_}: {error}")
                if last_round:
                    return

        readers = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
        for thread in readers:
            thread.start()
        try:
            for b in range(len(batches)):  # four runs of `cablesearch index`, four commits
                proc = run_cli("index", str(tmp_path / f"batch{b}"), "--index", str(path), "--quiet")
                _, err = proc.communicate(timeout=300)
                assert proc.returncode == 0, err
        finally:
            writing.clear()
            for thread in readers:
                thread.join(300)
    assert failures == []
    after = before + sum(len(numbers) for numbers in batches)
    for seen in totals.values():
        assert seen == sorted(seen) and seen[0] >= before and seen[-1] == after


def test_serve_without_the_web_extra_says_how_to_get_it(web_index, monkeypatch, capsys):
    from cablesearch.cli import main

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` fails as if it were not installed
    assert main(["serve", "--index", str(web_index), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'cablesearch[web]'" in err and "Traceback" not in err
