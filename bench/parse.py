"""Parse throughput over the real corpus: cables per second on one core.

    .venv/bin/python bench/parse.py                  # parse_cable over ../shared/corpus/cables (texts in memory)
    .venv/bin/python bench/parse.py --readers        # also read_cables over the directory, cables.csv, html/
    .venv/bin/python bench/parse.py --repeat 5 --json
    .venv/bin/python bench/parse.py --memory         # resident memory while streaming cables.csv
    gzip -c ../shared/corpus/cables.csv | .venv/bin/python bench/parse.py --memory --stdin   # the same via "-"

Times are CPU seconds of this process (time.process_time), so other load on a shared machine
inflates them less than wall time; wall time is printed too. Aim (issue 2): >= 2,000 cables/s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cablesearch.parser import CableParseError, parse_cable  # noqa: E402
from cablesearch.readers import read_cables  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def _time(fn) -> tuple[float, float, int]:
    cpu, wall = time.process_time(), time.perf_counter()
    n = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, n


def bench_parser(texts: list[tuple[str, str]], repeat: int) -> dict:
    """parse_cable alone, texts already in memory (the file name gives the archive id, as the reader does)."""
    def run() -> int:
        n = 0
        for name, text in texts:
            try:
                parse_cable(text, source=name, metadata={"reference_id": name})
            except CableParseError:
                pass
            n += 1
        return n
    runs = [_time(run) for _ in range(repeat)]
    cpu = statistics.median(r[0] for r in runs)
    wall = statistics.median(r[1] for r in runs)
    n = runs[0][2]
    return {"what": "parse_cable", "cables": n, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
            "cables_per_s_cpu": round(n / cpu), "cables_per_s_wall": round(n / wall)}


def bench_reader(label: str, path: Path) -> dict:
    def run() -> int:
        return sum(1 for _ in read_cables([path]))
    cpu, wall, n = _time(run)
    return {"what": f"read_cables {label}", "cables": n, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
            "cables_per_s_cpu": round(n / cpu), "cables_per_s_wall": round(n / wall)}


def _rss_mib() -> float:
    """Resident set size of this process (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def bench_csv_memory(path: Path | str, every: int = 500) -> dict:
    """Resident memory sampled while streaming cables.csv: flat after the first rows means constant memory.

    `path` "-" reads standard input (a pipe: `gzip -c cables.csv | ... --stdin`)."""
    samples = []
    n = 0
    for n, _ in enumerate(read_cables([path]), start=1):
        if n % every == 0:
            samples.append(_rss_mib())
    label = "stdin" if path == "-" else "cables.csv"
    return {"what": f"{label} RSS while streaming", "cables": n,
            "rss_mib_first": round(samples[0], 1) if samples else None,
            "rss_mib_last": round(samples[-1], 1) if samples else None,
            "rss_mib_max": round(max(samples), 1) if samples else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="corpus folder (default ../shared/corpus)")
    ap.add_argument("--repeat", type=int, default=3, help="parser passes; the median is reported")
    ap.add_argument("--readers", action="store_true", help="also time the readers (text dir, cables.csv, html)")
    ap.add_argument("--memory", action="store_true", help="only sample memory while streaming cables.csv")
    ap.add_argument("--stdin", action="store_true", help="with --memory: stream standard input instead (\"-\")")
    ap.add_argument("--json", action="store_true", help="one JSON object per result")
    args = ap.parse_args(argv)
    if args.memory:
        result = bench_csv_memory("-" if args.stdin else args.corpus / "cables.csv")
        print(json.dumps(result) if args.json else
              f"{result['what']}: {result['cables']} cables, RSS {result['rss_mib_first']} MiB after 500 rows, "
              f"{result['rss_mib_last']} MiB at the end (max {result['rss_mib_max']} MiB)")
        return 0
    cables = args.corpus / "cables"
    if not cables.is_dir():
        print(f"no corpus at {cables}", file=sys.stderr)
        return 2
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(cables.glob("*.txt"))]
    results = [bench_parser(texts, args.repeat)]
    if args.readers:
        results.append(bench_reader("cables/ (text files)", cables))
        results.append(bench_reader("cables.csv", args.corpus / "cables.csv"))
        results.append(bench_reader("html/ (pages)", args.corpus / "html"))
    for r in results:
        if args.json:
            print(json.dumps(r))
        else:
            print(f"{r['what']:<32} {r['cables']:>6} cables  {r['cpu_s']:>7.2f} s cpu  "
                  f"{r['cables_per_s_cpu']:>6} cables/s (cpu)  {r['cables_per_s_wall']:>6} cables/s (wall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
