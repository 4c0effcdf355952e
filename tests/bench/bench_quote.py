#!/usr/bin/env python3
"""Benchmark the quote app's hot path against the framework's own floor.

In one run, against a throwaway local PostgreSQL server:
  1. the floor: a bare FastAPI endpoint (floor_app.py) under the same uvicorn flags,
     answering the same JSON body with no middleware, logging, metrics or database;
  2. the app: GET /api/quotes/random on the quote app.
     wrk drives each at peak (same connections and threads), in alternating rounds so
     that a change in the host's load touches both; the best round of each counts.
     Each gets its CPU per request, a figure that does not depend on the host's load;
  3. the query path alone: QuoteStore.random() over the app's own pool (labkit.pg),
     called in this process by as many concurrent callers as the app has connections,
     with no HTTP around it. Its CPU per call
     bounds the ratio from above: at best the app is the floor plus its one query, so
     app/floor <= floor CPU / (floor CPU + query CPU);
  4. context: the app's p50/p99 at half its peak rate from an open-loop generator
     (Debian's wrk has no -R; this one keeps a fixed schedule and measures each latency
     from the request's scheduled time, so a stall cannot hide queued requests), and
     `pgbench -S` on the same database, the ceiling of a one-row read.

Target: app req/s >= 0.6 x floor req/s, and app p99 at peak <= 3 x floor p99 at peak.

With --profile DIR, py-spy then samples the app under the same load and writes a flame
graph to DIR/quote-<date>.svg (py-spy: `pip install -e .[bench]`).

Usage: PYTHONPATH=apps python tests/bench/bench_quote.py [--connections 16] [--duration 10] [--rounds 2]
                                         [--workers 1] [--profile DIR]
Needs: wrk, pgbench and the PostgreSQL server binaries (Debian: wrk, postgresql).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from labtool.appprocess import AppProcess
from labtool.pgserver import PgServer

import labkit
from labkit.pg import PgDatabase, PgSettings
from quote.db import QuoteStore

PATH = "/api/quotes/random"
BENCH_DIR = Path(__file__).resolve().parent
TARGET_RATIO = 0.6
TARGET_P99_FACTOR = 3.0

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * _UNITS[unit]


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its direct children (uvicorn workers): a figure that,
    unlike req/s, does not depend on what else the host is running."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run_wrk(url: str, connections: int, duration: int, threads: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def run_pgbench(database, connections: int, duration: int, threads: int) -> dict[str, float]:
    env = {**os.environ, "PGPASSWORD": database.password}
    common = ["-h", database.host, "-p", str(database.port), "-U", database.user]
    subprocess.run(["pgbench", "-i", "-q", "-s", "1", *common, database.name], env=env, capture_output=True, check=True)
    out = subprocess.run(
        ["pgbench", "-S", "-n", "-M", "prepared", "-c", str(connections), "-j", str(threads), "-T", str(duration),
         *common, database.name],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    return {
        "tps": float(re.search(r"tps = ([\d.]+)", out).group(1)),
        "latency_avg": float(re.search(r"latency average = ([\d.]+) ms", out).group(1)),
    }


async def query_path_cpu_us(db_env: dict[str, str], concurrency: int, calls: int = 8000) -> float:
    """CPU (user + system) of this process per QuoteStore.random() call, no HTTP, with
    `concurrency` callers sharing the pool as the app's requests do."""
    store = QuoteStore(PgDatabase(PgSettings.from_env(labkit.Env(db_env)), "bench/query-path"), release=1)
    await store.db.open()

    async def caller(count: int) -> None:
        for _ in range(count):
            await store.random()

    try:
        await asyncio.gather(*(caller(100) for _ in range(concurrency)))  # warm-up: pool full, statements prepared
        before = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.gather(*(caller(calls // concurrency) for _ in range(concurrency)))
        after = resource.getrusage(resource.RUSAGE_SELF)
        calls = calls // concurrency * concurrency
    finally:
        await store.db.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu / calls * 1e6


async def open_loop(url: str, rate: float, duration: float, connections: int) -> dict[str, float]:
    """Send GET requests at a fixed rate over keep-alive connections; latency from schedule."""
    parts = urlsplit(url)
    request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    queue: asyncio.Queue[float | None] = asyncio.Queue()
    latencies: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while (scheduled := await queue.get()) is not None:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - scheduled) * 1000)
            if not head.startswith(b"HTTP/1.1 200"):
                failures += 1
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    total = int(rate * duration)
    start = time.perf_counter() + 0.1
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(due)
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rate": rate,
        "achieved": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "failures": failures,
    }


def _fast_loop_factory():
    """uvloop keeps the generator's own overhead (counted in the latencies) low."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def measure(app: AppProcess, connections: int, duration: int, threads: int) -> dict[str, float]:
    """wrk at peak on PATH, with the process's CPU time per request."""
    url = app.base_url + PATH
    cpu_before = cpu_seconds(app.process.pid)
    result = run_wrk(url, connections, duration, threads)
    result["cpu_us"] = (cpu_seconds(app.process.pid) - cpu_before) / (result["rps"] * duration) * 1e6
    return result


def profile(app: AppProcess, out: Path, connections: int, duration: int, threads: int) -> Path:
    """A py-spy flame graph of the app (and its workers) while wrk drives it."""
    out.mkdir(parents=True, exist_ok=True)
    svg = out / f"quote-{time.strftime('%Y%m%d-%H%M%S')}.svg"
    spy = subprocess.Popen(
        ["py-spy", "record", "--pid", str(app.process.pid), "--subprocesses", "--rate", "250",
         "--duration", str(duration + 1), "--format", "flamegraph", "--output", str(svg)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(0.5)  # attached before the load starts
    run_wrk(app.base_url + PATH, connections, duration, threads)
    if spy.wait(timeout=duration + 30) != 0:
        raise RuntimeError(f"py-spy failed: {spy.stderr.read()}")
    # The graph names the output file and this checkout in its titles; keep neither path.
    svg.write_text(svg.read_text().replace(str(svg), svg.name).replace(str(BENCH_DIR.parents[1]), "."))
    return svg


def _line(name: str, r: dict[str, float]) -> str:
    return (f"{name:<6}{r['rps']:8.0f} req/s   p50 {r['p50']:6.2f} ms   p99 {r['p99']:6.2f} ms   "
            f"CPU {r['cpu_us']:4.0f} us/request   non-2xx {r['non_2xx']:.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating floor/app rounds; the best of each counts")
    parser.add_argument("--threads", type=int, default=2, help="wrk and pgbench threads")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--uvicorn-arg", action="append", default=[], help="extra uvicorn argument (repeatable)")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="also write a py-spy flame graph of the app here")
    args = parser.parse_args()

    for tool in ("wrk", "pgbench", *(("py-spy",) if args.profile else ())):
        if not shutil.which(tool):
            print(f"bench_quote: '{tool}' not found on PATH (Debian: apt-get install wrk postgresql; "
                  "py-spy: pip install -e .[bench])", file=sys.stderr)
            return 2

    server = PgServer()
    server.start()
    rounds: dict[str, list[dict[str, float]]] = {"floor": [], "app": []}
    try:
        database = server.create_database("bench")
        pool = max(2, min(100, -(-args.connections // args.workers)))  # one connection per in-flight request
        env = {**database.env(), "POD_NAME": "bench", "POSTGRES_POOL_MAX_SIZE": str(pool)}
        uvicorn_args = ("--workers", str(args.workers), *args.uvicorn_arg)
        with AppProcess("quote.main:app", env, extra_args=uvicorn_args) as app:
            app.wait_for("/readyz", timeout=60)
            body = app.wait_for(PATH).text
            floor_env = {"BENCH_FLOOR_BODY": body}
            with AppProcess("floor_app:app", floor_env, extra_args=("--app-dir", str(BENCH_DIR), *uvicorn_args)) as floor:
                assert floor.wait_for(PATH).content == body.encode(), "the floor must send the app's bytes"
                for process in (floor, app):  # warm-up: pool full, statements prepared
                    run_wrk(process.base_url + PATH, args.connections, 2, args.threads)
                for number in range(1, args.rounds + 1):
                    for name, process in (("floor", floor), ("app", app)):
                        rounds[name].append(measure(process, args.connections, args.duration, args.threads))
                        print(f"round {number}: {_line(name, rounds[name][-1])}", flush=True)
            best = {name: max(results, key=lambda r: r["rps"]) for name, results in rounds.items()}
            if args.profile:
                svg = profile(app, args.profile, args.connections, args.duration, args.threads)
                print(f"flame graph: {svg}", flush=True)
            with asyncio.Runner(loop_factory=_fast_loop_factory()) as runner:
                half = runner.run(open_loop(app.base_url + PATH, best["app"]["rps"] / 2, args.duration, args.connections))
        with asyncio.Runner(loop_factory=_fast_loop_factory()) as runner:
            query_us = runner.run(query_path_cpu_us(env, -(-args.connections // args.workers)))
        pg = run_pgbench(database, args.connections, args.duration, args.threads)
    finally:
        server.destroy()

    floor, quote = best["floor"], best["app"]
    ratio = quote["rps"] / floor["rps"]
    p99_factor = quote["p99"] / floor["p99"]
    print(f"setup: {os.cpu_count()} CPUs, {args.connections} connections, {args.duration}s x {args.rounds} rounds, "
          f"{args.workers} uvicorn worker(s) {' '.join(args.uvicorn_arg)}".rstrip()
          + f", {len(body)}-byte response, host load average {os.getloadavg()[0]:.1f}")
    print(f"best of {args.rounds}, GET {PATH}:")
    print("  " + _line("floor", floor))
    print("  " + _line("app", quote))
    print(f"app's own path: {quote['cpu_us'] - floor['cpu_us']:.0f} us of CPU per request beyond the floor")
    print(f"query path alone (QuoteStore.random, no HTTP): {query_us:.0f} us of CPU per call; "
          f"ceiling it sets on the ratio: {floor['cpu_us'] / (floor['cpu_us'] + query_us):.2f}")
    print(f"ratio app/floor: {ratio:.2f} (target >= {TARGET_RATIO})")
    print(f"p99 app/floor at peak: {p99_factor:.1f}x (target <= {TARGET_P99_FACTOR}x)")
    print(f"context: app at half its peak ({half['rate']:.0f} req/s scheduled, {half['achieved']:.0f} achieved): "
          f"p50 {half['p50']:.2f} ms, p99 {half['p99']:.2f} ms, failures {half['failures']}")
    print(f"context: pgbench -S -M prepared {pg['tps']:.0f} tps (latency avg {pg['latency_avg']:.3f} ms); "
          f"app/pgbench {quote['rps'] / pg['tps']:.3f}")
    met = ratio >= TARGET_RATIO and p99_factor <= TARGET_P99_FACTOR and quote["non_2xx"] == 0
    print("target met" if met else "target NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
