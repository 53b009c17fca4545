"""The grammar file ships in the package and loads through Lark's cache, or without one."""
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PARSE_ONE = ("from cablesearch.query import compile_query; "
             "print(compile_query('tag:PHUM date:2007-05'))")


def run_fresh(env_changes: dict[str, str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, **env_changes)
    return subprocess.run([sys.executable, "-c", PARSE_ONE], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_the_grammar_is_read_from_the_installed_package():
    text = files("cablesearch.grammar").joinpath("cables.lark").read_text(encoding="utf-8")
    assert "start:" in text and "FIELD" in text


def test_a_fresh_process_writes_the_cache_and_the_next_one_uses_it(tmp_path):
    first = run_fresh({"XDG_CACHE_HOME": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    cached = list((tmp_path / "cablesearch").glob("query-grammar-*.cache"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    second = run_fresh({"XDG_CACHE_HOME": str(tmp_path)})
    assert second.returncode == 0 and second.stdout == first.stdout
    assert cached[0].stat().st_mtime_ns == stamp  # read, not rewritten


def test_without_any_writable_cache_directory_queries_still_work(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("a file where a cache directory would go")
    done = run_fresh({"XDG_CACHE_HOME": str(not_a_dir), "HOME": str(not_a_dir), "TMPDIR": str(not_a_dir)})
    assert done.returncode == 0, done.stderr
    assert "tags:phum" in done.stdout


def test_a_corrupt_cache_file_is_ignored(tmp_path):
    assert run_fresh({"XDG_CACHE_HOME": str(tmp_path)}).returncode == 0
    for cached in (tmp_path / "cablesearch").glob("query-grammar-*.cache"):
        cached.write_bytes(b"not a pickle")
    done = run_fresh({"XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "tags:phum" in done.stdout and done.stderr == ""
