"""Warm timings of following a story (issue 10): similar cables, the citation graph, threads.

Opens an existing index, warms it with a few calls, then times each operation on cables drawn from
the index (seeded), in-process, and prints median and 95th percentile in milliseconds.

    .venv/bin/python bench/story.py INDEX [--cables 40] [--seed 1]
    .venv/bin/python bench/story.py /tmp/cablesearch-bench/index-25000   # after bench/run.py --sizes 25k
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cablesearch import CableIndex  # noqa: E402


def timed(action: Callable[[], object], runs: list[float]) -> object:
    start = time.perf_counter()
    out = action()
    runs.append((time.perf_counter() - start) * 1000)
    return out


def summary(name: str, runs: list[float]) -> str:
    ordered = sorted(runs)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{name:<34} median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   ({len(runs)} runs)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--cables", type=int, default=40, help="cables to time each operation on")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with CableIndex.open(args.index) as index:
        stats = index.stats()
        pool = [hit.id for hit in index.search("*", limit=5000, facets=()).hits]
        cited = [hit.id for hit in index.search("refs:*", limit=5000, facets=()).hits]
        rng = random.Random(args.seed)
        sources = rng.sample(pool, min(args.cables, len(pool)))
        citing = rng.sample(cited, min(args.cables, len(cited))) or sources
        for rid in sources[:3]:  # warm: segment readers, columns, the analyser's stem cache
            index.similar(rid)
            index.graph(rid, depth=2)
        plan = [
            ("similar ID", sources, lambda rid: index.similar(rid)),
            ("similar ID 'date:2008'", sources, lambda rid: index.similar(rid, "date:2008")),
            ("graph depth 1 both", citing, lambda rid: index.graph(rid, depth=1)),
            ("graph depth 2 both", citing, lambda rid: index.graph(rid, depth=2)),
            ("thread (depth 3)", citing, lambda rid: index.thread(rid)),
            ("search cited-by:ID", citing, lambda rid: index.search(f"cited-by:{rid}", facets=())),
        ]
        print(f"{stats.cables:,} cables, {stats.segments} segments: {args.index}")
        for name, ids, action in plan:
            runs: list[float] = []
            for rid in ids:
                timed(lambda: action(rid), runs)
            print(summary(name, runs), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
