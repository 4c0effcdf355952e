"""Load generator for the quote app, with an account of every acknowledged write.

Workers send a paced mix of reads and writes (POST /api/quotes). A write counts
as ACKNOWLEDGED only when the app answered 201 with the new id: that is the
app's promise that the row is committed. Writes that got no answer or an error
are "unacknowledged": their outcome is unknown and they are not a loss.

`audit_writes` reads every acknowledged id back and reports the ones that are
gone or changed. It must find 0 after any fault the lab claims to survive.
"""

from __future__ import annotations

import csv
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import httpx

from .kube import HttpEndpoint
from .lab_names import QUOTE_BY_ID, QUOTE_CREATE, QUOTE_RANDOM

AUTHOR = "labtool-load"


@dataclass(frozen=True)
class Sample:
    """One request: when it started (seconds since the run began) and how it ended."""

    t: float
    op: str  # "read" or "write"
    ok: bool
    status: int  # 0: no HTTP answer at all
    latency_ms: float
    pod: str  # X-Served-By, the pod that answered
    error: str


@dataclass
class WriteLedger:
    acknowledged: dict[int, str] = field(default_factory=dict)  # id -> text the app confirmed
    unacknowledged: list[str] = field(default_factory=list)  # texts sent without a 201


@dataclass
class LoadResult:
    samples: list[Sample]
    ledger: WriteLedger
    duration: float

    @property
    def total(self) -> int:
        return len(self.samples)

    @property
    def succeeded(self) -> int:
        return sum(s.ok for s in self.samples)

    @property
    def success_ratio(self) -> float:
        return self.succeeded / self.total if self.total else 0.0

    def pods(self) -> set[str]:
        return {s.pod for s in self.samples if s.ok and s.pod}

    def window(self, start: float, end: float) -> list[Sample]:
        return [s for s in self.samples if start <= s.t < end]

    def counts(self) -> dict[str, int | float]:
        return {
            "requests": self.total,
            "succeeded": self.succeeded,
            "failed": self.total - self.succeeded,
            "success_ratio": round(self.success_ratio, 5),
            "writes_acknowledged": len(self.ledger.acknowledged),
            "writes_unacknowledged": len(self.ledger.unacknowledged),
        }


def per_second(samples: Iterable[Sample]) -> list[tuple[int, int, int]]:
    """(second, succeeded, failed) for every second from 0 to the last sample."""
    ok: dict[int, int] = defaultdict(int)
    bad: dict[int, int] = defaultdict(int)
    last = -1
    for sample in samples:
        second = int(sample.t)
        last = max(last, second)
        (ok if sample.ok else bad)[second] += 1
    return [(second, ok[second], bad[second]) for second in range(last + 1)]


def write_samples_csv(samples: Iterable[Sample], path: Path) -> None:
    names = [f.name for f in fields(Sample)]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        for sample in samples:
            writer.writerow(asdict(sample))


def read_samples_csv(path: Path) -> list[Sample]:
    with path.open(newline="") as handle:
        return [
            Sample(
                t=float(row["t"]), op=row["op"], ok=row["ok"] == "True", status=int(row["status"]),
                latency_ms=float(row["latency_ms"]), pod=row["pod"], error=row["error"],
            )
            for row in csv.DictReader(handle)
        ]


class LoadGenerator:
    """Paced reads and writes from `workers` threads until stop().

    rate is the total requests per second; write_ratio the share of writes. Reads
    alternate between a random quote and one of our own acknowledged writes, so a
    read also checks that recent writes are visible.
    """

    def __init__(
        self,
        endpoint: HttpEndpoint,
        rate: float = 20.0,
        workers: int = 4,
        write_ratio: float = 0.3,
        timeout: float = 2.0,
    ) -> None:
        if rate <= 0 or workers < 1 or not 0 <= write_ratio <= 1:
            raise ValueError("rate must be > 0, workers >= 1, write_ratio in [0, 1]")
        self.endpoint = endpoint
        self.interval = workers / rate
        self.workers = workers
        self.write_ratio = write_ratio
        self.timeout = timeout
        self.run_id = uuid.uuid4().hex[:10]
        self.samples: list[Sample] = []
        self.ledger = WriteLedger()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sequence = 0
        self.t0 = 0.0

    def now(self) -> float:
        """Seconds since start(), on the same clock as the samples."""
        return time.monotonic() - self.t0

    def start(self) -> LoadGenerator:
        self.t0 = time.monotonic()
        for number in range(self.workers):
            thread = threading.Thread(target=self._work, args=(number,), name=f"load-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> LoadResult:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        with self._lock:
            samples = sorted(self.samples, key=lambda s: s.t)
        return LoadResult(samples=samples, ledger=self.ledger, duration=self.now())

    def __enter__(self) -> LoadGenerator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _next_text(self) -> str:
        with self._lock:
            self._sequence += 1
            return f"load {self.run_id} #{self._sequence}"

    def _work(self, number: int) -> None:
        rng = random.Random(f"{self.run_id}-{number}")
        # Spread the workers over one interval so requests do not come in bursts.
        next_at = time.monotonic() + self.interval * number / self.workers
        with httpx.Client(
            base_url=self.endpoint.base_url, headers=self.endpoint.headers(), timeout=self.timeout
        ) as http:
            while not self._stop.is_set():
                delay = next_at - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                next_at = max(next_at + self.interval, time.monotonic() - self.interval)
                if rng.random() < self.write_ratio:
                    self._write(http)
                else:
                    self._read(http, rng)

    def _request(self, http: httpx.Client, op: str, method: str, url: str, **kwargs) -> httpx.Response | None:
        started = time.monotonic()
        response, status, error = None, 0, ""
        try:
            response = http.request(method, url, **kwargs)
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        ok = status in (200, 201)
        if response is not None and not ok:
            error = response.text[:200]
        sample = Sample(
            t=round(started - self.t0, 4), op=op, ok=ok, status=status,
            latency_ms=round((time.monotonic() - started) * 1000, 1),
            pod=response.headers.get("x-served-by", "") if response is not None else "", error=error,
        )
        with self._lock:
            self.samples.append(sample)
        return response if ok else None

    def _write(self, http: httpx.Client) -> None:
        text = self._next_text()
        response = self._request(http, "write", QUOTE_CREATE.method, QUOTE_CREATE.path, json={"author": AUTHOR, "text": text})
        if response is not None and response.status_code == 201:
            quote_id = response.json()["id"]
            with self._lock:
                self.ledger.acknowledged[quote_id] = text
        else:
            with self._lock:
                self.ledger.unacknowledged.append(text)

    def _read(self, http: httpx.Client, rng: random.Random) -> None:
        with self._lock:
            own = rng.choice(list(self.ledger.acknowledged)) if self.ledger.acknowledged and rng.random() < 0.5 else None
        route, url = (QUOTE_BY_ID, QUOTE_BY_ID.url(quote_id=own)) if own else (QUOTE_RANDOM, QUOTE_RANDOM.path)
        self._request(http, "read", route.method, url)


@dataclass
class WriteAudit:
    checked: int
    lost: list[int]  # acknowledged ids that are gone or hold other content
    unverified: list[int]  # ids the app could not answer for before the deadline

    @property
    def ok(self) -> bool:
        return not self.lost and not self.unverified

    def summary(self) -> dict[str, int | list[int]]:
        return {"acknowledged_checked": self.checked, "acknowledged_lost": len(self.lost),
                "lost_ids": self.lost[:50], "unverified": len(self.unverified)}


def audit_writes(endpoint: HttpEndpoint, ledger: WriteLedger, deadline: float = 60.0, timeout: float = 5.0) -> WriteAudit:
    """Read every acknowledged write back through the app.

    404 or different text is a loss. Other failures (503 while the database is
    still recovering, timeouts) are retried until `deadline` seconds have passed,
    then reported as unverified, which fails the audit as well: no proof, no pass.
    """
    pending = dict(ledger.acknowledged)
    lost: list[int] = []
    give_up = time.monotonic() + deadline
    with httpx.Client(base_url=endpoint.base_url, headers=endpoint.headers(), timeout=timeout) as http:
        while pending and time.monotonic() < give_up:
            for quote_id, text in list(pending.items()):
                if time.monotonic() >= give_up:
                    break
                try:
                    response = http.get(QUOTE_BY_ID.url(quote_id=quote_id))
                except httpx.HTTPError:
                    continue
                if response.status_code == 404:
                    lost.append(quote_id)
                elif response.status_code == 200:
                    body = response.json()
                    if body.get("text") != text or body.get("author") != AUTHOR:
                        lost.append(quote_id)
                else:
                    continue
                del pending[quote_id]
            if pending:
                time.sleep(1.0)
    return WriteAudit(checked=len(ledger.acknowledged), lost=sorted(lost), unverified=sorted(pending))
