#!/usr/bin/env python3
"""Benchmark the quote app's hot path against the database's own ceiling.

In one run, against a throwaway local PostgreSQL server:
  1. wrk drives GET /api/quotes/random on the app (uvicorn) -> peak req/s, p50, p99;
  2. pgbench -S (one-row primary-key SELECT) on the same database with the same number
     of connections -> the tps ceiling for a one-row read;
  3. an open-loop generator sends requests at half the peak rate -> p50/p99 there.
     (Debian's wrk has no -R; this generator keeps a fixed schedule and measures each
     latency from the request's scheduled time, so a stall cannot hide queued requests.)

Target: app req/s >= 0.30 x pgbench -S tps, and p99 < 25 ms at half the peak rate.

Usage: python tests/bench/bench_quote.py [--connections 16] [--duration 10] [--workers 1]
Needs: wrk, pgbench and the PostgreSQL server binaries (Debian: wrk, postgresql).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appprocess import AppProcess  # noqa: E402
from pgserver import PgServer  # noqa: E402

PATH = "/api/quotes/random"
TARGET_RATIO = 0.30
TARGET_P99_MS = 25.0

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--threads", type=int, default=2, help="wrk and pgbench threads")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--uvicorn-arg", action="append", default=[], help="extra uvicorn argument (repeatable)")
    args = parser.parse_args()

    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            print(f"bench_quote: '{tool}' not found on PATH (Debian: apt-get install wrk postgresql)", file=sys.stderr)
            return 2

    server = PgServer()
    server.start()
    try:
        database = server.create_database("bench")
        pool = max(2, min(100, -(-args.connections // args.workers)))  # one connection per in-flight request
        env = {**database.env(), "POD_NAME": "bench", "POSTGRES_POOL_MAX_SIZE": str(pool)}
        uvicorn_args = ("--workers", str(args.workers), *args.uvicorn_arg)
        with AppProcess("quote.main:app", env, extra_args=uvicorn_args) as app:
            app.wait_for("/readyz", timeout=60)
            url = app.base_url + PATH
            run_wrk(url, args.connections, 2, args.threads)  # warm-up: pool full, statements prepared
            cpu_before = cpu_seconds(app.process.pid)
            peak = run_wrk(url, args.connections, args.duration, args.threads)
            app_cpu_us = (cpu_seconds(app.process.pid) - cpu_before) / (peak["rps"] * args.duration) * 1e6
            with asyncio.Runner(loop_factory=_fast_loop_factory()) as runner:
                half = runner.run(open_loop(url, peak["rps"] / 2, args.duration, args.connections))
        pg = run_pgbench(database, args.connections, args.duration, args.threads)
    finally:
        server.destroy()

    ratio = peak["rps"] / pg["tps"]
    print(f"setup: {os.cpu_count()} CPUs, {args.connections} connections, {args.duration}s per run, "
          f"{args.workers} uvicorn worker(s) {' '.join(args.uvicorn_arg)}".rstrip())
    print(f"app   GET {PATH}: {peak['rps']:.0f} req/s, p50 {peak['p50']:.2f} ms, p99 {peak['p99']:.2f} ms, "
          f"non-2xx {peak['non_2xx']}")
    print(f"app CPU per request: {app_cpu_us:.0f} us (host load average {os.getloadavg()[0]:.1f})")
    print(f"pgbench -S -M prepared: {pg['tps']:.0f} tps, latency avg {pg['latency_avg']:.3f} ms")
    print(f"ratio app/pgbench: {ratio:.3f} (target >= {TARGET_RATIO})")
    print(f"half peak ({half['rate']:.0f} req/s scheduled, {half['achieved']:.0f} achieved): "
          f"p50 {half['p50']:.2f} ms, p99 {half['p99']:.2f} ms (target < {TARGET_P99_MS} ms), failures {half['failures']}")
    met = ratio >= TARGET_RATIO and half["p99"] < TARGET_P99_MS
    print("target met" if met else "target NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
