"""Query language speed: compiling a query once the grammar is loaded, and loading the grammar.

    .venv/bin/python bench/query.py               # table on stdout
    .venv/bin/python bench/query.py --json --runs 9

Aims (issue 4): compile (parse + resolve + compile to whoosh.query) well under 1 ms per query;
grammar load with Lark's cache well under 100 ms. The load is timed in fresh subprocesses, with
the cache warm (normal use) and cold (first run after an upgrade, or a read-only install), plus
what `import cablesearch.query` costs (mostly Whoosh) for context.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = (
    "Belarus",
    'tag:PHUM from:BAKU date:2007-05 "Belarus"',
    "class:>=SECRET (tag:PREL OR tag:PGOV) -caption:SIPDIS",
    'para:(marking:S Lukashenko) "Aliyev Lukashenko"~10 subject:Belarus^2',
    "date:2007-01..2007-06 bel* Lukashenka~1 07BAKU595",
    'from:"Embassy Baku" date:>=2008-03 NOT (nuclear OR uranium)',
    "date:2006-11-15..2008-02-10 to:STATE info:ANKARA",
    "human rights democracy opposition election fraud protest arrest journalist",
)

_LOAD_SNIPPET = """
import time, json
t0 = time.perf_counter()
import cablesearch.query.grammar as g
t1 = time.perf_counter()
g.query_parser()
t2 = time.perf_counter()
import cablesearch.query
t3 = time.perf_counter()
print(json.dumps({"load_ms": (t2 - t1) * 1e3, "import_grammar_module_ms": (t1 - t0) * 1e3,
                  "import_query_package_ms": (t3 - t2) * 1e3}))
"""


def time_load(runs: int, cache_home: str) -> list[dict]:
    """Run the load snippet in `runs` fresh interpreters with XDG_CACHE_HOME=cache_home."""
    env = dict(os.environ, XDG_CACHE_HOME=cache_home)
    out = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _LOAD_SNIPPET], env=env, capture_output=True,
                              text=True, check=True, cwd=ROOT)
        out.append(json.loads(done.stdout))
    return out


def time_compile(rounds: int) -> dict[str, float]:
    """Median microseconds per query (parse + compile) for each query, after the grammar is loaded."""
    from cablesearch.query import compile_query
    compile_query("warm up")
    result = {}
    for query in QUERIES:
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            compile_query(query)
            samples.append(time.perf_counter() - start)
        result[query] = statistics.median(samples) * 1e6
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per load measurement")
    parser.add_argument("--rounds", type=int, default=200, help="compilations per query")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as cold_home:
        cold = []
        for i in range(args.runs):  # a new empty cache directory each time: always cold
            sub = os.path.join(cold_home, str(i))
            os.makedirs(sub)
            cold += time_load(1, sub)
        warm_home = os.path.join(cold_home, "warm")
        time_load(1, warm_home)  # fills the cache
        warm = time_load(args.runs, warm_home)
    compile_us = time_compile(args.rounds)

    report = {
        "grammar_load_ms_warm_cache": statistics.median(r["load_ms"] for r in warm),
        "grammar_load_ms_cold_cache": statistics.median(r["load_ms"] for r in cold),
        "import_cablesearch_query_ms": statistics.median(
            r["import_grammar_module_ms"] + r["import_query_package_ms"] for r in warm),
        "compile_us_per_query": compile_us,
        "compile_us_median": statistics.median(compile_us.values()),
        "compile_us_max": max(compile_us.values()),
        "runs": args.runs, "rounds": args.rounds, "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"grammar load, warm cache (median of {args.runs} fresh processes): "
          f"{report['grammar_load_ms_warm_cache']:.1f} ms")
    print(f"grammar load, cold cache:  {report['grammar_load_ms_cold_cache']:.1f} ms")
    print(f"import cablesearch.query (whoosh, lark):  {report['import_cablesearch_query_ms']:.1f} ms")
    print(f"compile, median over {args.rounds} rounds (parse + compile to whoosh.query):")
    for query, micros in compile_us.items():
        print(f"  {micros:8.1f} us  {query}")
    print(f"  median {report['compile_us_median']:.1f} us, slowest {report['compile_us_max']:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
