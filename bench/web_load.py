"""A bounded load test of `cablesearch serve` on loopback: N clients for T seconds over a query mix.

    .venv/bin/python bench/web_load.py --index /tmp/corpus-index            # 8 clients, 20 s
    .venv/bin/python bench/web_load.py --index DIR --clients 4 --duration 10 --json

Starts `cablesearch serve --index DIR --port 0` on 127.0.0.1 (never another host), lets each
client send requests one after another on its own keep-alive connection, stops at the deadline or
after --max-requests in all, then stops the server with Ctrl-C (SIGINT). Reports requests, errors
(any status but 200, or a failed connection), throughput and latency percentiles, overall and per
kind of request. Exit status 1 when any request failed.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]

API_QUERIES = (
    "tag:PHUM from:BAKU", "belarus", '"human rights" tag:PREL', "para:(Lukashenko Aliyev)",
    "class:>=SECRET caption:NOFORN", "date:2007-05 tag:PREL", "iran nuclear", "from:MOSCOW -tag:ECON",
    "oil~1 date:2008..", "subject:election", "tag:(PGOV OR PREL) date:2009", "gas pipeline",
)
PAGE_QUERIES = ("belarus tag:PREL", "tag:PHUM from:BAKU", '"human rights"', "iran nuclear date:2009")
COMPLETIONS = (("tag:PH", None), ("from:BA", None), ("belarus cla", None), ("date:2007-0", None),
               ("tag:PHUM (belarus", None), ("from: tag:PREL", 5))


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def request_mix(cable_ids: list[str]) -> list[tuple[str, str]]:
    """(kind, path) of every request the clients draw from, weighted by repetition."""
    mix = [("api search", "/api/search?" + urlencode({"q": q})) for q in API_QUERIES]
    mix += [("search page", "/?" + urlencode({"q": q})) for q in PAGE_QUERIES]
    mix += [("complete", "/api/complete?" + urlencode({"q": q, **({"cursor": c} if c is not None else {})}))
            for q, c in COMPLETIONS] * 2
    mix += [("cable page", f"/cable/{quote(i)}") for i in cable_ids[:6]]
    mix += [("api cable", f"/api/cables/{quote(i)}") for i in cable_ids[6:10]]
    mix += [("refs", f"/api/cables/{quote(i)}/refs") for i in cable_ids[10:14]]
    mix += [("stats", "/api/stats")]
    return mix


def start_server(index: str) -> tuple[subprocess.Popen, str]:
    """`cablesearch serve` on 127.0.0.1 and a free port; returns the process and its URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "cablesearch", "serve", "--index", index, "--host",
                             "127.0.0.1", "--port", "0"], stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stderr.readline()
    if " at http://127.0.0.1:" not in line:
        proc.kill()
        raise SystemExit(f"the server did not start: {line.strip()} {proc.stderr.read().strip()}")
    return proc, line.split(" at ", 1)[1].split(";", 1)[0].strip()


def client(url: str, mix: list[tuple[str, str]], deadline: float, budget: list[int], lock: threading.Lock,
           seed: int, out: list[tuple[str, float, int | str]]) -> None:
    """Send requests drawn from `mix` one after another until the deadline or the shared budget ends."""
    rng = random.Random(seed)
    parts = urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    while time.perf_counter() < deadline:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        kind, path = rng.choice(mix)
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        out.append((kind, time.perf_counter() - start, status))
    conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, help="the index folder to serve")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds (at most 120)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="requests in all, at most")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="the figures as JSON on stdout")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 64 and 0 < args.duration <= 120 and args.max_requests > 0):
        parser.error("1-64 clients, 0-120 s and a positive --max-requests")

    proc, url = start_server(args.index)
    try:
        parts = urlparse(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.request("GET", "/api/search?" + urlencode({"q": "belarus OR iran OR election", "limit": 20,
                                                        "fields": "id", "facets": ""}))
        cable_ids = [hit["id"] for hit in json.loads(conn.getresponse().read())["hits"]]
        conn.close()
        mix = request_mix(cable_ids)
        results: list[tuple[str, float, int | str]] = []
        lock = threading.Lock()
        budget = [args.max_requests]
        started = time.perf_counter()
        deadline = started + args.duration
        threads = [threading.Thread(target=client, args=(url, mix, deadline, budget, lock, args.seed + n, results))
                   for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    errors = [(kind, status) for kind, _, status in results if status != 200]
    latencies = [seconds for _, seconds, _ in results]
    kinds = sorted({kind for kind, _, _ in results})
    report = {
        "index": args.index, "clients": args.clients, "duration_s": round(wall, 2), "requests": len(results),
        "errors": len(errors), "error_samples": errors[:5], "throughput_rps": round(len(results) / wall, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1), "p95_ms": round(1000 * percentile(latencies, 95), 1),
        "p99_ms": round(1000 * percentile(latencies, 99), 1), "server_exit": proc.returncode,
        "per_kind": {k: {"requests": len(v), "p50_ms": round(1000 * statistics.median(v), 1),
                         "p95_ms": round(1000 * percentile(v, 95), 1)}
                     for k in kinds for v in [[s for kind, s, _ in results if kind == k]]},
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['requests']} requests from {args.clients} clients in {report['duration_s']} s: "
              f"{report['throughput_rps']} req/s, p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, "
              f"p99 {report['p99_ms']} ms, {report['errors']} errors; server exit {report['server_exit']}")
        for kind, figures in report["per_kind"].items():
            print(f"  {kind:<12} {figures['requests']:>6} requests  p50 {figures['p50_ms']:>7} ms  "
                  f"p95 {figures['p95_ms']:>7} ms")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
