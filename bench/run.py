"""Measure cablesearch at Cablegate scale against baselines and write BENCHMARKS.md (issues 6 and 12).

For each size: generate (or reuse) a synthetic corpus with bench/gen_corpus.py, build the cablesearch
index with one worker process and with both cores (wall time, cables/s, peak memory, size on disk),
measure warm in-process query latency over bench/queries.txt (top 10 with snippets; facets where a
query line asks for them, and once more with the default facets on every query), the one-shot
`cablesearch query` wall time and REPL keystroke time (bench/cli.py), and the same query mix on plain
Whoosh + QueryParser, SQLite FTS5 and ripgrep (bench/baselines.py).

    .venv/bin/python bench/run.py --sizes 25k                 # ~15 min on 2 cores
    .venv/bin/python bench/run.py --sizes 25k,100k,251k --build-procs 2
    .venv/bin/python bench/run.py --sizes 1m --build-procs 2 --baselines fts5   # about 4 archives
    .venv/bin/python bench/run.py --report-only               # rewrite BENCHMARKS.md from saved results
    .venv/bin/python bench/run.py _profile INDEX 'bel*' [SORT] [FACETS] [ROUNDS]   # cProfile one query

Every heavy step runs in its own subprocess; its peak memory is that subprocess's rusage (os.wait4,
the figure getrusage(RUSAGE_CHILDREN) gives: the largest process of its tree) and the sampled sum of
RSS over its process tree. Results accumulate in WORKDIR/results.json, one entry per size.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import baselines  # noqa: E402
import gen_corpus  # noqa: E402

DEFAULT_WORKDIR = gen_corpus.DEFAULT_WORKDIR
QUERIES = HERE / "queries.txt"
REPORT = ROOT / "BENCHMARKS.md"
TARGET_SIZE = 251_287
TARGETS = {  # issue 12, at 251,287 cables on this 2-core machine; queries warm, top 10, snippets, default facets
    "query_median_ms": 10, "query_p95_ms": 60, "query_max_ms": 200,
    "fts5_geo_ratio": 2.0,       # FTS5 time / ours, geometric mean over the whole mix
    "fts5_class_ratio": 1.0,     # ... and over each class: faster than FTS5 on every class
    "one_shot_ms": 300, "keystroke_p95_ms": 10,
    "build_s": 15 * 60, "build_peak_mb": 2048, "index_to_csv": 2.5,
}
DEFAULT_FACETS = ("tag", "origin", "year", "classification")  # CableIndex.search's default
FACETS_RUN = "cablesearch+facets"  # the mix again with DEFAULT_FACETS on every query (ours only)
MATCH_BUCKETS = ((0, 100, "< 100"), (100, 1_000, "100 – 1k"), (1_000, 10_000, "1k – 10k"),
                 (10_000, 100_000, "10k – 100k"), (100_000, None, "≥ 100k"))


def parse_size(text: str) -> int:
    """'25k' -> 25,000; '251k' or 'all' -> 251,287 (the archive); '1m' -> 1,000,000; '2000' -> 2,000."""
    text = text.strip().lower()
    if text in ("all", "full", "251k"):
        return 251_287
    if text.endswith("m"):
        return int(float(text[:-1]) * 1_000_000)
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


def log(message: str) -> None:
    print(f"[{datetime.now(timezone.utc):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- running and measuring one step in a subprocess ------------------------------------------------

def _tree_rss_kb(pid: int) -> tuple[int, int]:
    """(RSS, anonymous RSS) summed over pid and its descendants, in kB (Linux /proc). RSS counts the
    pages of memory-mapped index files too; RssAnon is the process's own heap."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(entry))
            rss[int(entry)] = int(parts[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, IndexError, ValueError):
            continue
    total, anonymous, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        try:
            with open(f"/proc/{p}/status") as f:
                anonymous += next((int(line.split()[1]) for line in f if line.startswith("RssAnon:")), 0)
        except OSError:
            pass
        todo.extend(children.get(p, []))
    return total, anonymous


def measured(argv: list[str], *, label: str, capture: bool = True) -> dict[str, Any]:
    """Run argv; return wall time, peak RSS (largest process, and sampled tree sum) and its JSON output."""
    log(f"{label}: {' '.join(argv[1:]) if argv[0] == sys.executable else ' '.join(argv)}")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE if capture else None, text=True)
    peak_tree = peak_anon = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree, peak_anon
        while not done.wait(0.25):
            rss, anonymous = _tree_rss_kb(proc.pid)
            peak_tree, peak_anon = max(peak_tree, rss), max(peak_anon, anonymous)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.stdout.read() if capture else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed with exit code {proc.returncode}")
    result: dict[str, Any] = {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
                              "peak_tree_rss_mb": peak_tree / 1024, "peak_tree_anon_mb": peak_anon / 1024,
                              "user_s": usage.ru_utime,
                              "sys_s": usage.ru_stime, "load": (load_before, os.getloadavg()[0])}
    if capture and output.strip():
        result["output"] = json.loads(output.strip().splitlines()[-1])
    log(f"{label}: {wall:.1f}s, peak {result['peak_rss_mb']:.0f} MB (tree {result['peak_tree_rss_mb']:.0f} MB)")
    return result


def child(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def disk_size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


# --- child steps (run as `run.py _step ...`) ---------------------------------------------------------

def step_build_cablesearch(csv_path: str, index_path: str, procs: str) -> dict[str, Any]:
    from cablesearch.index import CableIndex
    if Path(index_path).exists():
        shutil.rmtree(index_path)
    try:
        from cablesearch.readers import read_cables
        items = read_cables([csv_path])
        reader = "cablesearch.readers.read_cables"
    except ImportError:
        items = baselines.parse_corpus(csv_path)
        reader = "cablesearch.parser.parse_cable per CSV row (readers not there yet)"
    with CableIndex.create(index_path) as idx:
        summary = idx.add(items, procs=int(procs))
    return {"added": summary.added, "rejected": summary.rejected, "replaced": summary.replaced,
            "reader": reader}


def step_docs(csv_path: str, docs_path: str) -> dict[str, Any]:
    baselines.ensure_docs(Path(csv_path), Path(docs_path))
    return {"docs": sum(1 for _ in open(docs_path, encoding="utf-8"))}


def step_build_baseline(engine: str, docs_path: str, target: str) -> dict[str, Any]:
    docs = baselines.read_docs(Path(docs_path))
    if engine == "whoosh":
        n = baselines.PlainWhoosh(Path(target)).build(docs, procs=2)
    else:
        n = baselines.SqliteFts5(Path(target)).build(docs)
    return {"docs": n}


def _summarise(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_ms": statistics.median(ordered) * 1000,
            "p95_ms": ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] * 1000,
            "max_ms": ordered[-1] * 1000}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (rg runs as a child), at µs resolution."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def step_queries(engine: str, target: str, queries_path: str, repeat: str) -> dict[str, Any]:
    """Warm in-process latency per query: one untimed warm-up round, then `repeat` timed rounds."""
    queries = baselines.load_queries(queries_path)
    if engine in ("cablesearch", FACETS_RUN):
        from cablesearch.index import CableIndex
        idx = CableIndex.open(target)
        every = engine == FACETS_RUN

        def run(q: baselines.BenchQuery) -> baselines.EngineAnswer:
            facets = (q.facets or DEFAULT_FACETS) if every else q.facets
            results = idx.search(q.text, limit=10, sort=q.sort, facets=facets)
            return baselines.EngineAnswer(results.total, [h.id for h in results.hits],
                                          sum(1 for h in results.hits if h.snippets))
        runnable = list(queries)
    else:
        impl = {"whoosh": baselines.PlainWhoosh, "fts5": baselines.SqliteFts5,
                "rg": baselines.Ripgrep}[engine](Path(target))
        if engine != "rg":
            impl.open()

        def run(q: baselines.BenchQuery) -> baselines.EngineAnswer:
            return impl.run(q.translation(engine), q.sort, q.facets)
        runnable = [q for q in queries if q.translation(engine)]
    per_query: dict[str, Any] = {}
    for q in runnable:  # warm-up round: also the first-run (cold-ish) time and the answers
        started = time.perf_counter()
        try:
            answer = run(q)
        except Exception as exc:  # report, never hide: an engine that fails a query is listed as such
            per_query[q.key] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            continue
        per_query[q.key] = {"cls": q.cls, "first_ms": (time.perf_counter() - started) * 1000,
                            "total": answer.total, "top": answer.ids, "snippets": answer.snippets, "samples": []}
    for _ in range(int(repeat)):
        for q in runnable:
            entry = per_query[q.key]
            if "error" in entry:
                continue
            started, cpu_started = time.perf_counter(), _cpu_seconds()
            run(q)
            entry["samples"].append(time.perf_counter() - started)
            entry.setdefault("cpu_samples", []).append(_cpu_seconds() - cpu_started)
    for entry in per_query.values():
        if "samples" in entry:
            entry["median_ms"] = statistics.median(entry.pop("samples")) * 1000
            entry["cpu_median_ms"] = statistics.median(entry.pop("cpu_samples", [0.0])) * 1000
    medians = [e["median_ms"] / 1000 for e in per_query.values() if "median_ms" in e]
    cpu_medians = [e["cpu_median_ms"] / 1000 for e in per_query.values() if "cpu_median_ms" in e]
    return {"queries": per_query, "summary": _summarise(medians) if medians else {},
            "cpu_summary": _summarise(cpu_medians) if cpu_medians else {},
            "self_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def step_cli(index_path: str, runs: str) -> dict[str, Any]:
    """One-shot and keystroke figures from bench/cli.py (the CLI helper's harness)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_cli", HERE / "cli.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out: dict[str, Any] = {"one_shot": module.bench_one_shot(Path(index_path), int(runs))}
    try:
        out["keystroke"] = module.bench_keystrokes(Path(index_path))
    except Exception as exc:
        out["keystroke_error"] = f"{type(exc).__name__}: {exc}"[:300]
    return out


def step_profile(index_path: str, query: str, sort: str = "relevance", facets: str = "",
                 rounds: str = "5") -> dict[str, Any]:
    """cProfile of `rounds` warm searches of one query; the top functions go to stderr."""
    import cProfile
    import io
    import pstats
    from cablesearch.index import CableIndex
    facet_names = tuple(f for f in facets.split(",") if f)
    with CableIndex.open(index_path) as idx:
        idx.search(query, limit=10, sort=sort, facets=facet_names)  # warm: searcher, caches
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(int(rounds)):
            results = idx.search(query, limit=10, sort=sort, facets=facet_names)
        profiler.disable()
        per_search = (time.perf_counter() - started) / int(rounds)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
    stats.print_stats(35)
    stats.sort_stats("tottime").print_stats(20)
    print(text.getvalue(), file=sys.stderr)
    rounds_n = int(rounds)

    def where(func: tuple) -> str:
        filename, line, name = func
        short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        return f"{short}:{line}({name})"

    rows = [(where(func), ncalls, tottime / rounds_n, cumtime / rounds_n)
            for func, (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items()]
    by_cumulative = sorted(rows, key=lambda r: -r[3])
    by_own = sorted(rows, key=lambda r: -r[2])
    return {"query": query, "sort": sort, "facets": facets, "per_search_ms": per_search * 1000,
            "profiled": True, "total": results.total,
            "cumulative": [r for r in by_cumulative if "cablesearch/" in r[0] or "collectors" in r[0]][:8],
            "own_time": by_own[:10]}


def profile_slowest(index: Path, engine_result: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """cProfile the `count` slowest queries of a cablesearch query run (by median wall time)."""
    queries = {q.key: q for q in baselines.load_queries(QUERIES)}
    timed = [(e["median_ms"], key) for key, e in engine_result["output"]["queries"].items() if "median_ms" in e]
    profiles = []
    for _ms, key in sorted(timed, reverse=True)[:count]:
        q = queries.get(key)
        if q is None:
            continue
        try:
            r = measured(child("_profile", str(index), q.text, q.sort, ",".join(q.facets), "2"),
                         label=f"profile {q.key}")
            profiles.append(r["output"])
        except RuntimeError as exc:
            profiles.append({"query": q.text, "error": str(exc)})
    return profiles


STEPS = {"_profile": step_profile, "_build-cablesearch": step_build_cablesearch, "_docs": step_docs,
         "_build-baseline": step_build_baseline, "_queries": step_queries, "_cli": step_cli}


# --- one size ----------------------------------------------------------------------------------------

def bench_size(size: int, args: argparse.Namespace) -> dict[str, Any]:
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    tag = f"{size}-s{args.seed}"
    csv_path = work / f"cables-{tag}.csv"
    out: dict[str, Any] = {"size": size, "seed": args.seed, "started": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
                           "load_before": os.getloadavg()}
    if not csv_path.exists():
        out["generate"] = measured(child_gen(size, args.seed, csv_path), label=f"generate {size}", capture=False)
    out["corpus_mb"] = disk_size_mb(csv_path)

    # The index is queried right after its build (the code under test changes while we work).
    builds: dict[str, Any] = {}
    engines: dict[str, Any] = {}
    out["builds"], out["engines"], out["errors"] = builds, engines, {}

    def attempt(label: str, run) -> Any:
        try:
            return run()
        except RuntimeError as exc:  # a failed step is reported in BENCHMARKS.md; the rest still runs
            out["errors"][label] = str(exc)
            log(f"{label}: FAILED ({exc})")
            return None

    query_index = work / f"index-{tag}-p{args.build_procs[0]}" if args.build_procs else None
    for procs in args.build_procs:  # empty: measure only the baselines
        index = work / f"index-{tag}-p{procs}"
        if args.reuse_index and index.exists():
            log(f"cablesearch build {size} procs={procs}: reusing {index} (its build figures stay)")
            r: dict[str, Any] | None = {}
        else:
            r = attempt(f"cablesearch build procs={procs}", lambda: measured(
                child("_build-cablesearch", str(csv_path), str(index), str(procs)),
                label=f"cablesearch build {size} procs={procs}"))
            if r is not None:
                r["index_mb"] = disk_size_mb(index)
                r["cables_per_s"] = r["output"]["added"] / r["wall_s"]
                builds[str(procs)] = r
        if index == query_index and r is not None and not args.build_only:
            q = attempt("cablesearch queries", lambda: measured(
                child("_queries", "cablesearch", str(query_index), str(QUERIES), str(args.repeat)),
                label=f"cablesearch queries {size}"))
            if q is not None:
                engines["cablesearch"] = q
                f = attempt("cablesearch queries, default facets", lambda: measured(
                    child("_queries", FACETS_RUN, str(query_index), str(QUERIES), str(args.repeat)),
                    label=f"cablesearch queries with default facets {size}"))
                if f is not None:
                    engines[FACETS_RUN] = f
                if args.profile:
                    out["profiles"] = profile_slowest(query_index, q, args.profile)
            if not args.no_cli:
                cli = attempt("cli", lambda: measured(child("_cli", str(query_index), str(args.cli_runs)),
                                                       label=f"cli {size}"))
                if cli is not None:
                    out["cli"] = cli

    if "whoosh" in args.baselines or "fts5" in args.baselines:
        docs = work / f"docs-{tag}.jsonl"
        if not (args.reuse and docs.exists() and docs.stat().st_mtime >= csv_path.stat().st_mtime):
            out["docs"] = attempt("parse for baselines", lambda: measured(
                child("_docs", str(csv_path), str(docs)), label=f"parse for baselines {size}"))
        for engine in ("whoosh", "fts5"):
            if engine not in args.baselines or not docs.exists():
                continue
            if engine == "fts5" and not baselines.SqliteFts5.available():
                out["fts5_note"] = "this Python's sqlite3 has no FTS5"
                continue
            target = work / (f"whoosh-{tag}" if engine == "whoosh" else f"fts5-{tag}.sqlite")
            if args.reuse and target.exists() and target.stat().st_mtime >= docs.stat().st_mtime:
                log(f"{engine} build {size}: reusing {target} (its build figures stay those of the run that made it)")
            else:
                build = attempt(f"{engine} build", lambda: measured(
                    child("_build-baseline", engine, str(docs), str(target)), label=f"{engine} build {size}"))
                if build is None:
                    continue
                build["index_mb"] = disk_size_mb(target)
                out[f"{engine}_build"] = build
            q = attempt(f"{engine} queries", lambda: measured(
                child("_queries", engine, str(target), str(QUERIES), str(args.repeat)),
                label=f"{engine} queries {size}"))
            if q is not None:
                engines[engine] = q
    if "rg" in args.baselines:
        rg = baselines.Ripgrep(work / f"text-{tag}")
        if not rg.available():
            out["rg_note"] = "ripgrep (rg) is not installed: apt-get install -y ripgrep; rg skipped"
            log(out["rg_note"])
        else:
            started = time.perf_counter()
            baselines.Ripgrep.export(csv_path, rg.folder)
            out["rg_export_s"] = time.perf_counter() - started
            q = attempt("rg queries", lambda: measured(
                child("_queries", "rg", str(rg.folder), str(QUERIES), str(args.rg_repeat)),
                label=f"rg queries {size}"))
            if q is not None:
                engines["rg"] = q
    out["load_after"] = os.getloadavg()
    if args.clean:
        for p in work.glob(f"*-{tag}*"):
            if p != csv_path and p.is_dir():
                shutil.rmtree(p)
    return out


def child_gen(size: int, seed: int, csv_path: Path) -> list[str]:
    return [sys.executable, str(HERE / "gen_corpus.py"), "--count", str(size), "--seed", str(seed),
            "--out", str(csv_path)]


def merge_runs(previous: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """A rerun of a size replaces what it measured and keeps the rest (e.g. baselines run earlier)."""
    if not previous:
        return new
    merged = dict(previous)
    for key, value in new.items():
        if key in ("builds", "engines", "errors") and isinstance(value, dict):
            merged[key] = {**previous.get(key, {}), **value}
        else:
            merged[key] = value
    merged["runs"] = previous.get("runs", [previous.get("started")]) + [new.get("started")]
    return merged


# --- the report ------------------------------------------------------------------------------------

def machine_info() -> dict[str, Any]:
    import sqlite3
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    versions = {}
    for package in ("whoosh-reloaded", "lark", "prompt_toolkit", "cablesearch"):
        try:
            from importlib.metadata import version
            versions[package] = version(package)
        except Exception:
            versions[package] = "?"
    versions["sqlite"] = sqlite3.sqlite_version
    rg = shutil.which("rg")
    versions["ripgrep"] = (subprocess.run([rg, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
                           if rg else "not installed")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True,
                                text=True).stdout.strip())
    return {"nproc": os.cpu_count(), "memory_gb": mem / 2**20, "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions,
            "commit": commit + (" + uncommitted changes" if dirty else "")}


def _anon(step: dict[str, Any]) -> str:
    return f"{step['peak_tree_anon_mb']:.0f} MB" if "peak_tree_anon_mb" in step else "–"


def _load(step: dict[str, Any], size_result: dict[str, Any] | None = None) -> str:
    """The 1-minute load average before → after a step (else the size's run's)."""
    if step.get("load"):
        return f"{step['load'][0]:.1f} → {step['load'][1]:.1f}"
    if size_result:
        return f"{size_result['load_before'][0]:.1f} → {size_result['load_after'][0]:.1f} (whole run)"
    return ""


def _fmt(value: float | None, spec: str = ".0f") -> str:
    return "–" if value is None else format(value, spec)


def _ms(value: float | None, spec: str = ".1f") -> str:
    return "–" if value is None else f"{format(value, spec)} ms"


def _common_ratio(base: dict[str, Any], ours: dict[str, Any], key: str = "median_ms") -> tuple[float, float, int] | None:
    """(sum-of-medians ratio, geometric mean of per-query ratios, n) over queries both engines ran."""
    common = [q for q, e in base["queries"].items() if key in e and key in ours["queries"].get(q, {})]
    if not common:
        return None
    b = [max(base["queries"][q][key], 1e-3) for q in common]
    o = [max(ours["queries"][q][key], 1e-3) for q in common]
    geo = statistics.geometric_mean([x / y for x, y in zip(b, o)])
    return sum(b) / sum(o), geo, len(common)


# Hand-written reading of the tables above (issue 12), kept with the code that writes the report.
ENGINE_NOTES = [
    "- Queries run over NumPy arrays of each segment's postings, written into the segment's compound",
    "  file when Whoosh flushes it (cablesearch/engine): matches are masks, BM25F is vectorised (equal",
    "  to Whoosh's scores, tested) and computed only for the documents a query keeps (an AND of common",
    "  words scores its survivors, not every posting of each word), phrases probe the rarest word's",
    "  positions in the others' (binary search, or a merge where the word has fewer positions than",
    "  the probes), para: works on (cable, paragraph) keys, facets are bincounts over codes kept in",
    "  the same file. Positions live only in these arrays (Whoosh keeps weights): the index is 2.3x",
    "  the corpus CSV. Large segments are evaluated in two threads for phrases, para: and expanding",
    "  terms (NumPy releases the GIL), and score their own matches there.",
    "- A hit's snippets take its matched words from the positions (word numbers per paragraph): no",
    "  word is stemmed, and the cutting skips to the matches (Whoosh's passages, tested on the real",
    "  corpus). A phrase's words count only where the phrase stands: `\"one of the\"` used to rank and",
    "  cut every paragraph full of `the` (30 ms of its 200, and snippets without the phrase). A page of",
    "  hits reads one column holding what a hit shows and its paragraphs; the rest of a cable (its body",
    "  and raw text, most of its bytes) sits in a second column, compressed with the first as zlib's",
    "  dictionary so the index stays the same size.",
    "- Every query part costs a fixed share of a millisecond per segment, however small the segment:",
    "  a bulk add ends by merging the small segments its sub-writers leave into one.",
    "- Build: 788 s wall and 1,516 s CPU at 251k (was 1,313 s and 2,569 s), peak 1.2 GB for the",
    "  process tree. Postings are pooled term by term (a dict of per-term lists; a spilled run is the",
    "  terms in order, merged term by term) instead of Whoosh's sort, pickle and heap merge of one",
    "  tuple per posting, and each term's postings are written to Whoosh's posting blocks and to the",
    "  arrays a block at a time (the postings and term statistics equal those of Whoosh's own writer,",
    "  tested). The rest is mostly Whoosh's per-posting add_document loop and the text analysis.",
    "- One-shot: Python starts in 11 ms and the imports take about 0.18 s (NumPy 55 ms, Whoosh",
    "  25-40 ms, Lark 14 ms). The console script now exits without Python's teardown of every module",
    "  and object (30 ms), after running the exit handlers; every one-shot query of the report answers",
    "  within 0.3 s. The figures are from a regular install (`pip install .`, as the README's first",
    "  command); an editable install adds about 14 ms of start-up.",
    "- The tail is phrases of the commonest words: `\"one of the\"` probes 1.2 million positions of",
    "  `one` per large segment against 3.1 million of `of`, each probe a binary search over the",
    "  (cable, position) keys built for the query (a merge by stable sort is 2x slower at these",
    "  sizes). Storing each segment's positions as one running word count (so the stored arrays are",
    "  the keys) or next-word postings for the commonest words would take that work away; both change",
    "  the index format.",
    "- NumPy 2.3+ hashes in numpy.unique: 10x slower on sorted keys; sorted keys are deduplicated",
    "  directly. numpy.repeat is 10x faster than the cumulative-sum trick for gathering positions.",
    "- Smaller sizes (25k, 100k): their figures are from the previous run, before the phrase snippets",
    "  and the faster build. At 25k the median is 5.7 ms with default facets (FTS5 9.9 ms; 2.0x on the",
    "  geometric mean), at 100k 7.1 ms (FTS5 37 ms; 5.1x). Over fewer than 100 matches FTS5 answers",
    "  in 2-3 ms, all in C, and is faster at 25k and 251k, while ours pays a fixed few ms for the page",
    "  of hits (snippets above all); from 100 matches up we are faster at every size.",
    "- 1,000,000 cables (cablesearch only, no FTS5 or rg at this size): build 2,980 s wall, 5,719 s CPU,",
    "  peak 1.3 GB, index 15.0 GB (2.33x the 6.4 GB CSV); warm median 22.4 ms with default facets",
    "  (18.1 without), p95 128 ms, slowest 577 ms; one-shot 205-420 ms. Cost grows about linearly with",
    "  the matches: a query part walks every posting of its words.",
]


def write_report(results: dict[str, Any], path: Path, command_lines: list[str]) -> None:
    machine = results.get("machine") or machine_info()
    sizes = sorted(results["sizes"].values(), key=lambda r: r["size"])
    queries = baselines.load_queries(QUERIES)
    lines = ["# cablesearch benchmarks", "",
             "Written by `bench/run.py` (issues 6 and 12). Synthetic corpora from `bench/gen_corpus.py`: the real",
             "reference ids and months of `cable2month.csv`, shapes (lengths, tags, routing, classification,",
             "REF, markings) from the 6,712 real cables, words from a chain trained on their paragraphs.",
             "Every figure below comes from the commands listed; rerun them to reproduce.", "",
             "## Machine", "",
             f"- {machine['nproc']} cores: {machine['cpu']}; {machine['memory_gb']:.1f} GB RAM; {machine['platform']}",
             f"- Python {machine['python']}; " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()),
             f"- code: commit {machine['commit']}",
             "- the 2 cores were shared with other processes during the runs (load averages below); figures",
             "  are therefore upper bounds for an idle machine.", "",
             "## Commands", "", "```"]
    lines += command_lines + ["```", ""]
    lines += ["## Index build", "",
              "CPU = user + system seconds of the build process and its workers (rusage): unlike wall time it",
              "hardly depends on what else runs on the machine.", "",
              "Peak memory three ways: RSS of the largest process (rusage), RSS summed over the process tree",
              "and its anonymous part (sampled every 0.25 s). RSS includes pages of memory-mapped index files,",
              "which the kernel can drop; the anonymous part is the heap the build really needs.", "",
              "| cables | corpus CSV | what | wall | cables/s (wall) | CPU | peak RSS (largest process) | peak RSS (process tree) | peak anonymous (tree) | size on disk | load before → after |",
              "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in sizes:
        for procs, b in r["builds"].items():
            lines.append(f"| {r['size']:,} | {r['corpus_mb']:.0f} MB | cablesearch, {procs} worker{'s' if procs != '1' else ''} | "
                         f"{b['wall_s']:.0f} s | {b['cables_per_s']:.0f} | {b['user_s'] + b['sys_s']:.0f} s | "
                         f"{b['peak_rss_mb']:.0f} MB | {b['peak_tree_rss_mb']:.0f} MB | {_anon(b)} | "
                         f"{b['index_mb']:.0f} MB | {_load(b, r)} |")
        for engine in ("whoosh", "fts5"):
            b = r.get(f"{engine}_build")
            if b:
                name = {"whoosh": "plain Whoosh (baseline, procs=2)", "fts5": "SQLite FTS5 (baseline)"}[engine]
                lines.append(f"| {r['size']:,} | | {name} | {b['wall_s']:.0f} s | "
                             f"{b['output']['docs'] / b['wall_s']:.0f} | {b['user_s'] + b['sys_s']:.0f} s | "
                             f"{b['peak_rss_mb']:.0f} MB | {b['peak_tree_rss_mb']:.0f} MB | {_anon(b)} | "
                             f"{b['index_mb']:.0f} MB | {_load(b)} |")
        if r.get("docs"):
            d = r["docs"]
            lines.append(f"| {r['size']:,} | | parsing once to JSONL for the baselines (not in their build figures) | "
                         f"{d['wall_s']:.0f} s | | {d['user_s'] + d['sys_s']:.0f} s | {d['peak_rss_mb']:.0f} MB | | | | |")
        if r.get("generate"):
            g = r["generate"]
            lines.append(f"| {r['size']:,} | | generating the corpus (gen_corpus.py) | {g['wall_s']:.0f} s | | "
                         f"{g['user_s'] + g['sys_s']:.0f} s | {g['peak_rss_mb']:.0f} MB | | | {r['corpus_mb']:.0f} MB | |")
    lines += ["", "## Query latency (warm, in-process, top 10 with snippets)", "",
              "Per query: the median of the timed rounds after one warm-up round; then the median and 95th",
              "percentile over the queries of `bench/queries.txt`. Ratios = baseline time / cablesearch time",
              "over the queries both can express: sum of medians (the whole mix) and geometric mean per query.", "",
              "CPU columns: the same medians in CPU time of the querying process (plus rg's, for rg), which",
              "shows what the machine's other load added to the wall times.", "",
              "| cables | engine | queries run | median | p95 | max | median CPU | p95 CPU | first round median | mix ratio vs cablesearch | geo-mean ratio | mix ratio by CPU |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sizes:
        ours = r["engines"].get("cablesearch", {}).get("output")
        for engine, m in r["engines"].items():
            o = m.get("output", {})
            s = o.get("summary", {})
            ran = sum(1 for e in o.get("queries", {}).values() if "median_ms" in e)
            errors = sum(1 for e in o.get("queries", {}).values() if "error" in e)
            firsts = [e["first_ms"] for e in o.get("queries", {}).values() if "first_ms" in e]
            baseline = ours and not engine.startswith("cablesearch")
            ratio = _common_ratio(o, ours) if baseline else None
            cpu_ratio = _common_ratio(o, ours, "cpu_median_ms") if baseline else None
            name = "cablesearch, default facets on every query" if engine == FACETS_RUN else engine
            lines.append(f"| {r['size']:,} | {name} | {ran}{f' ({errors} failed)' if errors else ''} | "
                         f"{_fmt(s.get('median_ms'), '.1f')} ms | {_fmt(s.get('p95_ms'), '.1f')} ms | "
                         f"{_fmt(s.get('max_ms'), '.0f')} ms | "
                         f"{_fmt(o.get('cpu_summary', {}).get('median_ms'), '.1f')} ms | "
                         f"{_fmt(o.get('cpu_summary', {}).get('p95_ms'), '.1f')} ms | "
                         f"{_fmt(statistics.median(firsts) if firsts else None, '.1f')} ms | "
                         + (f"{ratio[0]:.1f}× (n={ratio[2]}) | {ratio[1]:.1f}× | " if ratio else "| | ")
                         + (f"{cpu_ratio[0]:.1f}× |" if cpu_ratio else "|"))
    lines += ["", "`cablesearch, default facets on every query`: the same mix with the facets",
              f"{', '.join(DEFAULT_FACETS)} on every query whose line names none (what `cablesearch query`",
              "and the REPL show); the other rows compute facets only where the query line says `facets=`,",
              "as the baselines do."]
    for r in sizes:
        for note in ("rg_note", "fts5_note"):
            if r.get(note):
                lines.append(f"\n{r['size']:,}: {r[note]}")
        for label, error in (r.get("errors") or {}).items():
            lines.append(f"\n{r['size']:,}: step '{label}' failed: {error}")
    lines += _class_tables(sizes, queries)
    lines += _bucket_table(sizes)
    lines += ["", "## Front ends", "",
              "`cablesearch query` wall time (process start included, median of runs) and REPL work per",
              "keystroke (completion + highlighting), both from `bench/cli.py` on the index above.", "",
              "| cables | what | median | max |", "|---:|---|---:|---:|"]
    for r in sizes:
        cli = (r.get("cli") or {}).get("output") or {}
        for name, s in cli.get("one_shot", {}).items():
            lines.append(f"| {r['size']:,} | one-shot `{name}` | {s['median_ms']:.0f} ms | {s['max_ms']:.0f} ms |")
        if cli.get("keystroke"):
            k = cli["keystroke"]
            lines.append(f"| {r['size']:,} | keystroke (n={k['n']}, p95 {k['p95_ms']:.1f} ms) | "
                         f"{k['median_ms']:.1f} ms | {k['max_ms']:.1f} ms |")
        if cli.get("keystroke_error"):
            lines.append(f"| {r['size']:,} | keystroke: {cli['keystroke_error']} | | |")
    lines += ["", "## Targets (issue 12: at 251,287 cables on this machine; queries warm, top 10 with snippets "
              "and default facets)", ""]
    lines += _targets(sizes, queries)
    lines += _projection(sizes)
    biggest = sizes[-1] if sizes else None
    if biggest:
        lines += ["", f"## Per query at {biggest['size']:,} cables", "",
                  "Median ms (total matches). `–`: the engine cannot express the query; `ERR`: it failed.", "",
                  "| # | class | query | options | cablesearch | with default facets | plain Whoosh | FTS5 | rg |",
                  "|---:|---|---|---|---:|---:|---:|---:|---:|"]
        for i, q in enumerate(queries, 1):
            options = " ".join(filter(None, [f"sort={q.sort}" if q.sort != "relevance" else "",
                                             f"facets={','.join(q.facets)}" if q.facets else ""]))
            cells = []
            for engine in ("cablesearch", FACETS_RUN, "whoosh", "fts5", "rg"):
                e = biggest["engines"].get(engine, {}).get("output", {}).get("queries", {}).get(q.key)
                if e is None:
                    cells.append("–")
                elif "error" in e:
                    cells.append(f"ERR {e['error'][:60]}".replace("|", "/"))
                else:
                    cells.append(f"{e['median_ms']:.1f} ({e['total']})")
            text = q.text.replace("|", "\\|")
            lines.append(f"| {i} | {q.cls} | `{text}` | {options} | " + " | ".join(cells) + " |")
    profiled = [(r["size"], p) for r in sizes for p in r.get("profiles", [])]
    if profiled:
        lines += ["", "## Where the time goes (cProfile of the slowest queries)", "",
                  "`run.py _profile INDEX QUERY [SORT] [FACETS] [ROUNDS]`, per search, under cProfile (which",
                  "roughly doubles times): the functions with the most time of their own.", ""]
        for size, p in profiled:
            if "error" in p:
                lines.append(f"- {size:,} cables, `{p['query']}`: profiling failed: {p['error']}")
                continue
            lines.append(f"- {size:,} cables, `{p['query']}`"
                         f"{' sort=' + p['sort'] if p.get('sort', 'relevance') != 'relevance' else ''}"
                         f"{' facets=' + p['facets'] if p.get('facets') else ''}: "
                         f"{p['per_search_ms']:.0f} ms per search under the profiler, {p['total']:,} matches")
            for where, ncalls, own, cumulative in p["own_time"][:6]:
                lines.append(f"    - `{where}`: {own * 1000:.0f} ms own, {cumulative * 1000:.0f} ms with callees, "
                             f"{ncalls:,} calls")
    lines += ["", "## What the figures say (issue 12: the array engine)", "", *ENGINE_NOTES, ""]
    lines += ["", "## Notes", "",
              "- Baselines index the same parsed records (cablesearch's parser, once, to JSONL); plain Whoosh",
              "  uses `MultifieldParser(['subject','body'])` with the date and fuzzy plugins, default analyzers",
              "  (no stemming), `hit.highlights('body')` snippets and `groupedby` facets; FTS5 uses",
              "  `porter unicode61`, `snippet()`, GROUP BY facets; rg counts matching files (no ranking,",
              "  no snippets) and runs one process per query (start-up included).",
              "- Result counts differ between engines where the semantics differ (stemming, the paragraph",
              "  approximation of plain Whoosh, rg's line-level regexes); compare totals in the per-query table.",
              "- A rerun of a size replaces only what it measured (see `--reuse`, `--build-procs ''`), so one",
              "  size's rows can come from different runs of the Commands above, each with its own load.",
              "- Plain Whoosh's `len(results)` after `search(q, limit=10)` is an estimate that can be far off",
              "  (262 instead of 3,514 for `date:[20090101 to] nuclear`); the baseline counts exactly with a",
              "  second, unscored search when the page is full, and that time is included.",
              "- Synthetic rows average " + (f"{sizes[-1]['corpus_mb'] * 2**20 / sizes[-1]['size'] / 1000:.1f} KB"
                                             if sizes else "?") +
              " against 6.8 KB in the real 1.7 GB release (gen_corpus.py calibrates its length scale to it).",
              ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _projection(sizes: list[dict[str, Any]]) -> list[str]:
    """Build time at 251,287 cables extrapolated from CPU seconds per cable (labelled as such)."""
    measured_sizes = [r for r in sizes if r["builds"]]
    if not measured_sizes or measured_sizes[-1]["size"] >= 251_287:
        return []
    r = measured_sizes[-1]
    out = ["", f"Projection, not a measurement: CPU seconds per cable at {r['size']:,} cables times 251,287,",
           "spread over 2 idle cores (a lower bound: merging grows faster than linearly).", ""]
    for procs, b in r["builds"].items():
        cpu_per_cable = (b["user_s"] + b["sys_s"]) / max(1, b["output"]["added"])
        cores = min(2, int(procs))
        out.append(f"- cablesearch, {procs} worker(s): {cpu_per_cable * 1000:.1f} ms CPU per cable → "
                   f"≥ {cpu_per_cable * 251_287 / cores / 60:.0f} min for 251,287 cables "
                   f"(target {TARGETS['build_s'] / 60:.0f} min)")
    w = r.get("whoosh_build")
    if w:
        cpu_per_cable = (w["user_s"] + w["sys_s"]) / max(1, w["output"]["docs"])
        out.append(f"- plain Whoosh baseline: {cpu_per_cable * 1000:.1f} ms CPU per cable → "
                   f"≥ {cpu_per_cable * 251_287 / 2 / 60:.0f} min")
    return out


def _target_size(sizes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The run at 251,287 cables, else the largest below it (else the smallest above)."""
    exact = [r for r in sizes if r["size"] == TARGET_SIZE]
    below = [r for r in sizes if r["size"] < TARGET_SIZE]
    return (exact or below or sizes[:1] or [None])[-1]


def _targets(sizes: list[dict[str, Any]], queries: list[Any]) -> list[str]:
    """Each issue-12 target with its measured value and a met/missed verdict."""
    r = _target_size(sizes)
    if r is None:
        return ["No results yet."]
    full = r["size"] == TARGET_SIZE
    at = "" if full else " — not measured at 251,287 cables, so these are not yet the target figures"
    out = [f"Checked at {r['size']:,} cables{at}.", "", "| target | measured | verdict |", "|---|---:|---|"]

    def verdict(ok: bool | None) -> str:
        if ok is None:
            return "not measured"
        return ("met" if ok else "missed") + ("" if full else " (at this size)")

    engines = r["engines"]
    faceted = engines.get(FACETS_RUN, {}).get("output")
    ours = engines.get("cablesearch", {}).get("output")
    timed, how = (faceted, "default facets on every query") if faceted else (ours, "facets only where asked: "
                                                                                   "the default-facets run is missing")
    s = (timed or {}).get("summary", {})
    for key, label, name in (("median_ms", "median", "query_median_ms"), ("p95_ms", "p95", "query_p95_ms"),
                             ("max_ms", "slowest", "query_max_ms")):
        value = s.get(key)
        out.append(f"| query {label} ≤ {TARGETS[name]} ms ({how}) | {_fmt(value, '.1f')} ms | "
                   f"{verdict(value <= TARGETS[name] if value is not None else None)} |")
    if faceted and ours and ours.get("summary"):
        o = ours["summary"]
        out.append(f"| (the same, facets only where the line asks) | median {o['median_ms']:.1f} ms, "
                   f"p95 {o['p95_ms']:.1f} ms, slowest {o['max_ms']:.0f} ms | – |")
    fts5 = engines.get("fts5", {}).get("output")
    ratio = _common_ratio(fts5, ours) if fts5 and ours else None
    out.append(f"| faster than FTS5 on the whole mix: geo-mean FTS5/ours ≥ {TARGETS['fts5_geo_ratio']:g}× | "
               + (f"{ratio[1]:.2f}× (n={ratio[2]}; sum of medians {ratio[0]:.2f}×)" if ratio else "–") + " | "
               f"{verdict(ratio[1] >= TARGETS['fts5_geo_ratio'] if ratio else None)} |")
    for cls, row in _class_rows(r, queries).items():
        geo, n = row.get("fts5_geo"), row.get("fts5_n", 0)
        out.append(f"| faster than FTS5 on class *{cls}* (geo-mean > {TARGETS['fts5_class_ratio']:g}×) | "
                   + (f"{geo:.2f}× (n={n})" if geo is not None else "– (FTS5 cannot express it)") + " | "
                   + (verdict(geo > TARGETS['fts5_class_ratio']) if geo is not None else "not applicable") + " |")
    cli = (r.get("cli") or {}).get("output") or {}
    shots = {k: v["median_ms"] for k, v in cli.get("one_shot", {}).items() if "baseline" not in k}
    worst = max(shots, key=shots.get) if shots else None
    within = sum(v <= TARGETS["one_shot_ms"] for v in shots.values())
    out.append(f"| one-shot `cablesearch query` ≤ {TARGETS['one_shot_ms'] / 1000:g} s for every one-shot query | "
               + (f"{shots[worst]:.0f} ms (slowest: `{worst}`; {within} of {len(shots)} within)" if worst else "–")
               + " | "
               f"{verdict(shots[worst] <= TARGETS['one_shot_ms'] if worst else None)} |")
    k = cli.get("keystroke")
    out.append(f"| REPL keystroke p95 ≤ {TARGETS['keystroke_p95_ms']} ms | "
               f"{_fmt(k['p95_ms'] if k else None, '.1f')} ms | "
               f"{verdict(k['p95_ms'] <= TARGETS['keystroke_p95_ms'] if k else None)} |")
    b = r["builds"].get("2")
    if b is None:
        out.append(f"| build ≤ {TARGETS['build_s'] // 60} min with both cores, peak < 2 GB | – | "
                   "not measured (no 2-worker build) |")
    else:
        out.append(f"| build ≤ {TARGETS['build_s'] // 60} min with both cores | {b['wall_s'] / 60:.1f} min | "
                   f"{verdict(b['wall_s'] <= TARGETS['build_s'])} |")
        peak = max(b["peak_rss_mb"], b["peak_tree_rss_mb"])
        anon = b.get("peak_tree_anon_mb")
        shown = f"{peak:.0f} MB RSS" + (f", {anon:.0f} MB anonymous" if anon is not None else "")
        out.append(f"| build peak memory < 2 GB | {shown} | {verdict(peak < TARGETS['build_peak_mb'])} (RSS) |")
        ratio_disk = b["index_mb"] / r["corpus_mb"] if r.get("corpus_mb") else None
        out.append(f"| index on disk ≤ {TARGETS['index_to_csv']:g}× the corpus CSV | "
                   + (f"{ratio_disk:.2f}× ({b['index_mb']:.0f} MB / {r['corpus_mb']:.0f} MB)" if ratio_disk else "–")
                   + f" | {verdict(ratio_disk <= TARGETS['index_to_csv'] if ratio_disk else None)} |")
    return out


def _class_rows(r: dict[str, Any], queries: list[Any]) -> dict[str, dict[str, Any]]:
    """Per query class of one size: n, our median, FTS5's and rg's medians and geo-mean ratios to ours."""
    engines = {name: m.get("output", {}).get("queries", {}) for name, m in r["engines"].items()}
    ours = engines.get("cablesearch", {})
    rows: dict[str, dict[str, Any]] = {}
    for q in queries:
        rows.setdefault(q.cls, {"keys": []})["keys"].append(q.key)
    for row in rows.values():
        keys = row.pop("keys")
        mine = [ours[k]["median_ms"] for k in keys if "median_ms" in ours.get(k, {})]
        row["n"] = len(mine)
        row["ours"] = statistics.median(mine) if mine else None
        faceted = [engines.get(FACETS_RUN, {}).get(k, {}).get("median_ms") for k in keys]
        faceted = [v for v in faceted if v is not None]
        row["faceted"] = statistics.median(faceted) if faceted else None
        for engine in ("fts5", "rg"):
            theirs = engines.get(engine, {})
            timed = [theirs[k]["median_ms"] for k in keys if "median_ms" in theirs.get(k, {})]
            common = [k for k in keys if "median_ms" in theirs.get(k, {}) and "median_ms" in ours.get(k, {})]
            row[engine] = statistics.median(timed) if timed else None
            row[f"{engine}_n"] = len(common)
            for key, suffix in (("median_ms", "geo"), ("cpu_median_ms", "cpu_geo")):
                both = [k for k in common if key in theirs[k] and key in ours[k]]
                row[f"{engine}_{suffix}"] = statistics.geometric_mean(
                    [max(theirs[k][key], 1e-3) / max(ours[k][key], 1e-3) for k in both]) if both else None
    return rows


def _class_tables(sizes: list[dict[str, Any]], queries: list[Any]) -> list[str]:
    """Per size, a table of the query classes (the `# --- NAME ---` sections of bench/queries.txt)."""
    out = ["", "## By query class", "",
           "Per class of `bench/queries.txt`: medians of the per-query medians, and the geometric mean of",
           "baseline time / cablesearch time over the class's queries that the baseline can express (n).",
           "`> 1×` means cablesearch is faster; the CPU column is the same ratio in CPU time, steadier when",
           "the machine is shared.", ""]
    for r in sizes:
        if "cablesearch" not in r["engines"]:
            continue
        out += [f"{r['size']:,} cables:", "",
                "| class | n | cablesearch median | with default facets | FTS5 median | FTS5/ours (geo-mean) | "
                "FTS5/ours by CPU | rg median | rg/ours (geo-mean) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for cls, row in _class_rows(r, queries).items():
            def ratio(engine: str) -> str:
                geo = row[f"{engine}_geo"]
                return f"{geo:.2f}× (n={row[f'{engine}_n']})" if geo is not None else "–"
            out.append(f"| {cls} | {row['n']} | {_ms(row['ours'])} | {_ms(row['faceted'])} | "
                       f"{_ms(row['fts5'])} | {ratio('fts5')} | {_fmt(row['fts5_cpu_geo'], '.2f')}"
                       f"{'×' if row['fts5_cpu_geo'] is not None else ''} | {_ms(row['rg'], '.0f')} | {ratio('rg')} |")
        out.append("")
    return out


def _bucket_table(sizes: list[dict[str, Any]]) -> list[str]:
    """Per-query time against the number of cables the query matches (our count), per size."""
    out = ["## How time grows with the number of matches", "",
           "Queries grouped by how many cables they match (cablesearch's total); medians of their per-query",
           "medians, and the geometric mean of FTS5 time / cablesearch time over those FTS5 can express.", "",
           "| cables | matches | queries | cablesearch median | with default facets | FTS5 median (n) | "
           "FTS5/ours (geo-mean) |", "|---:|---|---:|---:|---:|---:|---:|"]
    for r in sizes:
        ours = r["engines"].get("cablesearch", {}).get("output", {}).get("queries", {})
        faceted = r["engines"].get(FACETS_RUN, {}).get("output", {}).get("queries", {})
        fts5 = r["engines"].get("fts5", {}).get("output", {}).get("queries", {})
        for low, high, label in MATCH_BUCKETS:
            keys = [k for k, e in ours.items() if "median_ms" in e and e.get("total") is not None
                    and low <= e["total"] and (high is None or e["total"] < high)]
            if not keys:
                continue
            mine = statistics.median(ours[k]["median_ms"] for k in keys)
            with_facets = [faceted[k]["median_ms"] for k in keys if "median_ms" in faceted.get(k, {})]
            theirs = [k for k in keys if "median_ms" in fts5.get(k, {})]
            geo = statistics.geometric_mean([max(fts5[k]["median_ms"], 1e-3) / max(ours[k]["median_ms"], 1e-3)
                                             for k in theirs]) if theirs else None
            out.append(f"| {r['size']:,} | {label} | {len(keys)} | {mine:.1f} ms | "
                       f"{_ms(statistics.median(with_facets) if with_facets else None)} | "
                       + (f"{statistics.median(fts5[k]['median_ms'] for k in theirs):.1f} ms ({len(theirs)})"
                          if theirs else "–") + f" | {_fmt(geo, '.2f')}{'×' if geo is not None else ''} |")
    return out


# --- main --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in STEPS:
        result = STEPS[argv[0]](*argv[1:])
        print(json.dumps(result, default=str))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--sizes", default="25k,100k,251k",
                    help="corpus sizes, e.g. 25k,100k,251k,1m or 2000 (251k = all 251,287 ids of the archive; "
                         "1m = 1,000,000: the archive about four times over)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"corpora and indexes (default {DEFAULT_WORKDIR})")
    ap.add_argument("--build-procs", default="2,1",
                    help="worker counts to build with; the first is queried (default 2,1; '' = no cablesearch steps)")
    ap.add_argument("--baselines", default="whoosh,fts5,rg", help="which baselines to run (default all; '' for none)")
    ap.add_argument("--repeat", type=int, default=5, help="timed rounds over the query mix (default 5)")
    ap.add_argument("--rg-repeat", type=int, default=2, help="timed rounds for ripgrep (default 2)")
    ap.add_argument("--cli-runs", type=int, default=5, help="runs per one-shot CLI query (default 5)")
    ap.add_argument("--no-cli", action="store_true", help="skip the one-shot/keystroke figures")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse baseline indexes and parsed records already in WORKDIR (their build figures stay)")
    ap.add_argument("--reuse-index", action="store_true",
                    help="query the cablesearch index already in WORKDIR instead of building it (its build figures stay)")
    ap.add_argument("--build-only", action="store_true",
                    help="build the cablesearch index and record its figures; time no queries")
    ap.add_argument("--clean", action="store_true", help="delete this size's indexes and text files afterwards")
    ap.add_argument("--report", type=Path, default=REPORT, help=f"where to write the report (default {REPORT.name})")
    ap.add_argument("--report-only", action="store_true", help="rewrite the report from saved results")
    ap.add_argument("--profile", type=int, default=2, metavar="N",
                    help="cProfile the N slowest cablesearch queries of each size (default 2; 0 = none)")
    ap.add_argument("--profile-only", action="store_true",
                    help="only profile the slowest queries on the saved results' index of each size")
    args = ap.parse_args(argv)
    args.build_procs = [int(p) for p in args.build_procs.split(",") if p.strip()]
    args.baselines = {b.strip() for b in args.baselines.split(",") if b.strip()}
    results_path = args.workdir / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {"sizes": {}, "commands": []}
    if args.profile_only:
        for size in (parse_size(x) for x in args.sizes.split(",") if x.strip()):
            saved = results["sizes"].get(str(size))
            if not saved or "cablesearch" not in saved.get("engines", {}):
                sys.exit(f"run.py: no saved cablesearch query results for {size} cables in {results_path}")
            index = args.workdir / f"index-{size}-s{args.seed}-p{args.build_procs[0]}"
            saved["profiles"] = profile_slowest(index, saved["engines"]["cablesearch"], args.profile or 2)
        results_path.write_text(json.dumps(results, indent=1, default=str))
        write_report(results, args.report, _command_lines(results))
    elif not args.report_only:
        python = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
        command = f"cd {ROOT} && {python} bench/run.py " + shlex.join(argv)
        for size in (parse_size(s) for s in args.sizes.split(",") if s.strip()):
            results["sizes"][str(size)] = merge_runs(results["sizes"].get(str(size)), bench_size(size, args))
            results["machine"] = machine_info()
            if command not in results["commands"]:
                results["commands"].append(command)
            results_path.write_text(json.dumps(results, indent=1, default=str))
            write_report(results, args.report, _command_lines(results))
            log(f"wrote {args.report} and {results_path}")
    else:
        write_report(results, args.report, _command_lines(results))
    return 0


def _command_lines(results: dict[str, Any]) -> list[str]:
    return ["# corpora (run.py calls this itself when the CSV is missing):",
            ".venv/bin/python bench/gen_corpus.py --count N --seed 1 --out /tmp/cablesearch-bench/cables-N-s1.csv",
            "# the measurements:", *results.get("commands", [])]


if __name__ == "__main__":
    sys.exit(main())
