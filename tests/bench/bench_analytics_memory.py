"""Measure the analytics app's memory by request size, and where a 256Mi limit kills it.

Run: .venv/bin/python tests/bench/bench_analytics_memory.py [--limit-mib 256] [--columns 8]

1. Peak RSS by size: one uvicorn process (as in the container), one request per size;
   the app resets the kernel's peak-RSS counter (VmHWM) before each computation and
   reports it after, so each figure is that request's own peak.
2. The OOM threshold: the same app in a memory cgroup limited like a pod
   (limits.memory), requests of growing size until the kernel's OOM killer ends the
   process; it is restarted after each kill. Needs root and a writable cgroup
   memory controller (v1 or v2); skipped with the reason otherwise.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from labtool.appprocess import AppProcess, app_env
from labtool.pgserver import free_port

MIB = 1024 * 1024
SIZES = (100_000, 250_000, 500_000, 750_000, 1_000_000, 1_100_000, 1_200_000, 1_300_000, 1_400_000, 1_500_000,
         2_000_000, 3_000_000, 4_000_000)
UNCAPPED = {"ANALYTICS_MAX_ROWS": "100000000", "ANALYTICS_MAX_CELLS": "1000000000"}


def peak_table(columns: int) -> list[tuple[int, int, int, float]]:
    rows_out = []
    with AppProcess("analytics.main:app", UNCAPPED) as app:
        app.wait_for("/readyz")
        idle = httpx.get(app.base_url + "/api/memory").json()["rss_bytes"]
        print(f"idle RSS after start-up: {idle / MIB:.0f} MiB")
        for rows in SIZES:
            body = httpx.get(app.base_url + "/api/stats", params={"rows": rows, "columns": columns}, timeout=300).json()
            rows_out.append((rows, body["dataset_bytes"], body["memory"]["peak_rss_bytes"], body["seconds"]))
    return rows_out


class MemoryCgroup:
    """A memory cgroup with a hard limit, like the one the kubelet makes for a pod."""

    def __init__(self, limit_bytes: int) -> None:
        name = f"analytics-bench-{uuid.uuid4().hex[:8]}"
        if Path("/sys/fs/cgroup/cgroup.controllers").exists():  # cgroup v2
            self.path = Path("/sys/fs/cgroup") / name
            limit_file, swap_file = "memory.max", "memory.swap.max"
            self.peak_file, self.peak_reset = "memory.peak", None  # v2 cannot reset the peak before 6.12
        else:  # cgroup v1
            self.path = Path("/sys/fs/cgroup/memory") / name
            limit_file, swap_file = "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
            self.peak_file, self.peak_reset = "memory.max_usage_in_bytes", "0"
        self.path.mkdir()
        (self.path / limit_file).write_text(str(limit_bytes))
        if (self.path / swap_file).exists():  # no swapping out of the limit (k8s runs without swap)
            (self.path / swap_file).write_text(str(limit_bytes) if swap_file.endswith("memsw.limit_in_bytes") else "0")

    def reset_peak(self) -> None:
        if self.peak_reset is not None:
            (self.path / self.peak_file).write_text(self.peak_reset)

    def peak(self) -> int:
        """The cgroup's peak usage: what the kernel compares with the limit (RSS + page cache charged here)."""
        return int((self.path / self.peak_file).read_text())

    def add_self(self) -> None:  # runs in the child between fork and exec
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        self.path.rmdir()


def oom_threshold(limit_mib: int, columns: int) -> list[tuple[int, str]]:
    try:
        cgroup = MemoryCgroup(limit_mib * MIB)
    except OSError as exc:
        print(f"SKIPPED the OOM run: cannot create a memory cgroup ({exc}); needs root and cgroupfs mounted rw")
        return []
    results: list[tuple[int, str]] = []
    try:
        process = None
        for rows in SIZES:
            if process is None or process.poll() is not None:
                port = free_port()
                process = subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "analytics.main:app", "--host", "127.0.0.1", "--port", str(port)],
                    env=app_env(UNCAPPED), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    preexec_fn=cgroup.add_self,
                )
                base = f"http://127.0.0.1:{port}"
                for _ in range(200):
                    try:
                        if httpx.get(base + "/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.1)
            cgroup.reset_peak()
            try:
                response = httpx.get(base + "/api/stats", params={"rows": rows, "columns": columns}, timeout=300)
                outcome = (
                    f"ok (peak RSS {response.json()['memory']['peak_rss_bytes'] / MIB:.0f} MiB, "
                    f"cgroup peak usage {cgroup.peak() / MIB:.0f} MiB)"
                )
            except httpx.TransportError:
                process.wait(timeout=30)
                outcome = "OOM-killed (SIGKILL)" if process.returncode == -signal.SIGKILL else f"died ({process.returncode})"
            results.append((rows, outcome))
            print(f"  rows={rows:>9,}  {outcome}")
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
    finally:
        cgroup.remove()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-mib", type=int, default=256)
    parser.add_argument("--columns", type=int, default=8)
    args = parser.parse_args()

    print(f"1. peak RSS per request, columns={args.columns}")
    print("| rows | dataset (float64) | peak RSS of the process | time |")
    print("|---:|---:|---:|---:|")
    for rows, dataset, peak, seconds in peak_table(args.columns):
        print(f"| {rows:,} | {dataset / MIB:.0f} MiB | {peak / MIB:.0f} MiB | {seconds:.2f} s |")
    print(f"\n2. the same requests in a cgroup limited to {args.limit_mib} MiB")
    oom_threshold(args.limit_mib, args.columns)


if __name__ == "__main__":
    main()
