"""Measure index building and searching over the real corpus (issue 3).

    .venv/bin/python bench/index.py                      # all of ../shared/corpus/cables, procs 1 and 2
    .venv/bin/python bench/index.py --limit 1000 --procs 2 --repeat 3
    .venv/bin/python bench/index.py --limit 1000 --procs 1 --profile   # where the build's time goes

Each build runs in its own subprocess; its peak memory is that subprocess's rusage from os.wait4
(ru_maxrss of the largest process in its tree, sub-writers included). Reading+parsing is timed
alone first; indexing then streams the cables from the readers, and "index s" is its wall time
minus the parse time, so cables/s is the writer's throughput and "total s" the whole command's. Query latency is measured in
process on the index built with the most processes (the default): warm searcher, top 10 with snippets, with and without facets.
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
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "cables"
QUERIES = [
    "Lukashenko",
    "tag:PHUM from:BAKU",
    '"human rights"',
    "para:(marking:S nuclear)",
    "class:>=SECRET Iran",
    "date:2009 oil",
    "terror*",
]


def read_items(corpus: Path, limit: int | None):
    """Cables and read errors from the corpus folder, lazily (readers when they exist, else the parser)."""
    files = sorted(corpus.glob("*.txt"))[:limit] if limit else [corpus]
    try:
        from cablesearch.readers import read_cables
        return read_cables(files)
    except ImportError:
        from cablesearch.parser import CableParseError, parse_cable

        def parse_each():
            for path in sorted(corpus.glob("*.txt"))[:limit]:
                try:
                    yield parse_cable(path.read_text(encoding="utf-8"), source=str(path))
                except CableParseError as error:
                    yield error
        return parse_each()


def build(corpus: str, index_path: str, procs: str, limit: str, batch_size: str, profile: str = "0") -> None:
    """Child process: time reading+parsing alone, then index while reading (as `cablesearch index` does).

    Items stream into the index, so the peak memory is the indexer's, not a list of the corpus.
    With `profile` = "1", cProfile watches the indexing run and its top functions go to stderr
    (only this process: with procs > 1 the sub-writers' analysis is not seen).
    """
    from cablesearch.index import CableIndex
    started = time.perf_counter()
    inputs = sum(1 for _ in read_items(Path(corpus), int(limit) or None))
    parse_s = time.perf_counter() - started
    with CableIndex.create(index_path, overwrite=True) as index:
        profiler = None
        if profile == "1":
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        summary = index.add(read_items(Path(corpus), int(limit) or None), procs=int(procs),
                            batch_size=int(batch_size))
        total_s = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            import pstats
            stats_out = pstats.Stats(profiler, stream=sys.stderr)
            stats_out.sort_stats("cumulative").print_stats(25)
            stats_out.sort_stats("tottime").print_stats(15)
        stats = index.stats()
    print(json.dumps({
        "procs": int(procs), "inputs": inputs, "cables": summary.added, "rejected": summary.rejected,
        "batches": summary.batches, "parse_s": parse_s, "total_s": total_s, "index_s": total_s - parse_s,
        "size_mb": stats.size_bytes / 2**20, "segments": stats.segments,
    }))


def run_build(corpus: Path, index_path: Path, procs: int, limit: int, batch_size: int,
              profile: bool = False) -> dict:
    child = subprocess.Popen([sys.executable, __file__, "_build", str(corpus), str(index_path), str(procs),
                              str(limit), str(batch_size), "1" if profile else "0"],
                             stdout=subprocess.PIPE, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"build with procs={procs} failed (status {status})")
    figures = json.loads(out)
    figures["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    figures["cables_per_s"] = figures["cables"] / figures["index_s"]
    return figures


def query_latency(index_path: Path, repeat: int) -> list[dict]:
    from cablesearch.index import CableIndex
    rows = []
    opened = time.perf_counter()
    with CableIndex.open(index_path) as index:
        index.search(QUERIES[0])
        first = time.perf_counter() - opened
        rows.append({"query": "(open + first search, cold caches)", "hits": None, "median_ms": first * 1000,
                     "max_ms": first * 1000, "no_facets_ms": None})
        for text in QUERIES:
            results = index.search(text)  # warm-up: facet maps, stem cache, OS cache
            times, plain = [], []
            for _ in range(repeat):
                t = time.perf_counter()
                index.search(text)
                times.append(time.perf_counter() - t)
                t = time.perf_counter()
                index.search(text, facets=())
                plain.append(time.perf_counter() - t)
            rows.append({"query": text, "hits": results.total, "median_ms": statistics.median(times) * 1000,
                         "max_ms": max(times) * 1000, "no_facets_ms": statistics.median(plain) * 1000})
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_build":
        build(*argv[1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of cable .txt files")
    ap.add_argument("--limit", type=int, default=0, help="index only the first N files (0: all)")
    ap.add_argument("--procs", default="1,2", help="worker counts to build with (default 1,2)")
    ap.add_argument("--batch-size", type=int, default=1000, help="cables per commit")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per query")
    ap.add_argument("--keep", type=Path, help="build the indexes here and keep them")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile each build's indexing (in-process work only) and print its top functions "
                         "to stderr; timings then include the profiler's overhead")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"bench/index.py: no corpus at {args.corpus}", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="cablesearch-bench-"))
    builds = []
    for procs in (int(p) for p in args.procs.split(",")):
        print(f"building with procs={procs} ...", file=sys.stderr, flush=True)
        builds.append(run_build(args.corpus, work / f"index-p{procs}", procs, args.limit, args.batch_size,
                                args.profile))
    print(f"corpus: {args.corpus} ({builds[0]['inputs']} inputs, {builds[0]['rejected']} rejected), "
          f"batch size {args.batch_size}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print("procs  cables  parse s  total s  index s  cables/s  peak MB  index MB  segments")
    for b in builds:
        print(f"{b['procs']:>5}  {b['cables']:>6}  {b['parse_s']:>7.1f}  {b['total_s']:>7.1f}  {b['index_s']:>7.1f}  "
              f"{b['cables_per_s']:>8.1f}  {b['peak_mb']:>7.0f}  {b['size_mb']:>8.1f}  {b['segments']:>8}")
    print(f"\nquery latency (warm, top 10 with snippets, default facets; median of {args.repeat}):")
    print(f"{'query':<36} {'hits':>6} {'median ms':>10} {'max ms':>8} {'no facets ms':>13}")
    for row in query_latency(work / f"index-p{max(b['procs'] for b in builds)}", args.repeat):
        hits = "" if row["hits"] is None else row["hits"]
        plain = "" if row["no_facets_ms"] is None else f"{row['no_facets_ms']:.1f}"
        print(f"{row['query']:<36} {hits:>6} {row['median_ms']:>10.1f} {row['max_ms']:>8.1f} {plain:>13}")
    if not args.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
