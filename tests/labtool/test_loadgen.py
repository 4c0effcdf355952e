"""The load generator and the write-loss audit, against the quote app on a real PostgreSQL."""

from __future__ import annotations

import time

import pytest

from labtool.kube import HttpEndpoint
from labtool.loadgen import LoadGenerator, Sample, audit_writes, per_second, read_samples_csv, write_samples_csv


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def quote_on_own_server(pg_server_factory, run_app):
    """The quote app on a PostgreSQL server of its own, which the test may crash."""
    server = pg_server_factory()
    database = server.create_database("loadgen")
    app = run_app("quote.main:app", {**database.env(), "POD_NAME": "loadgen-pod", "APP_VERSION": "1.0.0"})
    app.wait_for("/readyz")
    return server, database, HttpEndpoint(app.base_url, None)


def test_database_crash_loses_no_acknowledged_write_and_the_audit_detects_a_real_loss(quote_on_own_server):
    server, database, endpoint = quote_on_own_server
    load = LoadGenerator(endpoint, rate=40, workers=4, write_ratio=0.5, timeout=2.0).start()
    wait_until(lambda: len(load.ledger.acknowledged) >= 20, 30, "20 writes acknowledged before the crash")

    crashed_at = load.now()
    server.stop("immediate")  # a crash: no shutdown checkpoint
    time.sleep(3.0)
    server.start()
    restarted_at = load.now()
    before = len(load.ledger.acknowledged)
    wait_until(lambda: len(load.ledger.acknowledged) >= before + 20, 60, "20 more writes acknowledged after the restart")
    result = load.stop()

    # Requests that started in the outage may still succeed once the server is back,
    # so the proof that the crash was felt is a run of failures, not zero successes.
    failed_in_outage = [s for s in result.window(crashed_at, restarted_at) if not s.ok]
    assert len(failed_in_outage) >= 3, "the crash was not felt by the load"
    assert any(s.ok for s in result.window(restarted_at, result.duration)), "no request succeeded after the restart"
    assert result.pods() == {"loadgen-pod"}
    assert {s.op for s in result.samples} == {"read", "write"}

    audit = audit_writes(endpoint, result.ledger, deadline=60)
    assert audit.checked == len(result.ledger.acknowledged) >= 40
    assert audit.lost == [] and audit.unverified == [], audit.summary()
    assert audit.ok

    # Now cause real losses behind the app's back: the same audit must see both.
    deleted, altered = sorted(result.ledger.acknowledged)[:2]
    with database.connect(autocommit=True) as conn:
        conn.execute("DELETE FROM quotes WHERE id = %s", (deleted,))
        conn.execute("UPDATE quotes SET text = 'tampered' WHERE id = %s", (altered,))
    audit = audit_writes(endpoint, result.ledger, deadline=60)
    assert audit.lost == [deleted, altered]
    assert not audit.ok
    assert audit.summary()["acknowledged_lost"] == 2


def test_audit_without_an_answer_is_unverified_not_passed(quote_on_own_server):
    server, _, endpoint = quote_on_own_server
    with LoadGenerator(endpoint, rate=30, workers=2, write_ratio=1.0) as load:
        wait_until(lambda: len(load.ledger.acknowledged) >= 5, 10, "5 writes acknowledged")
    server.stop("fast")
    audit = audit_writes(endpoint, load.ledger, deadline=1.5)
    assert audit.lost == []
    assert sorted(audit.unverified) == sorted(load.ledger.acknowledged)
    assert not audit.ok


def test_per_second_counts_and_csv_round_trip(tmp_path):
    samples = [
        Sample(0.1, "read", True, 200, 3.0, "a", ""),
        Sample(0.9, "write", False, 503, 4.0, "a", "database unavailable"),
        Sample(2.5, "read", False, 0, 2000.0, "", "ConnectTimeout: timed out"),
    ]
    assert per_second(samples) == [(0, 1, 1), (1, 0, 0), (2, 0, 1)]
    path = tmp_path / "timeline.csv"
    write_samples_csv(samples, path)
    assert read_samples_csv(path) == samples
