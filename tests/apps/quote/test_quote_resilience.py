"""Start-up races, database outages and schema evolution, with real processes."""

import asyncio
import json
import time

import httpx
import pytest
from labtool.appprocess import AppProcess
from quote_testing import applied_migrations, quote_env

from quote.migrations import MIGRATIONS
from quote.seeds import SEED_QUOTES


def error_lines(logs: str) -> list[str]:
    return [line for line in logs.splitlines() if line.startswith("{") and json.loads(line)["level"] == "error"]


def test_replicas_starting_together_migrate_and_seed_once(pg_database):
    apps = [AppProcess("quote.main:app", quote_env(pg_database, POD_NAME=f"replica-{i}")) for i in range(4)]
    try:
        for app in apps:  # all start against the empty database at the same moment
            app.start()
        for app in apps:
            app.wait_for("/startupz", timeout=30)
            body = httpx.get(app.base_url + "/api/quotes/random").json()
            assert body["pod"] == app.env["POD_NAME"]
        assert applied_migrations(pg_database) == [m.version for m in MIGRATIONS]
        with pg_database.connect() as conn:
            seeded = conn.execute("SELECT author, text FROM quotes ORDER BY id").fetchall()
        assert seeded == list(SEED_QUOTES)
        for app in apps:
            assert error_lines(app.logs()) == [], app.logs()
    finally:
        for app in apps:
            app.cleanup()


def test_app_keeps_working_on_a_schema_migrated_by_a_newer_version(pg_database, run_app):
    first = run_app("quote.main:app", quote_env(pg_database))
    first.wait_for("/readyz")
    first.stop()
    # What a v2 (full-text search) migration would add: v1 must neither break nor undo it.
    with pg_database.connect() as conn:
        conn.execute(
            "ALTER TABLE quotes ADD COLUMN search tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', author || ' ' || text)) STORED"
        )
        conn.execute("CREATE INDEX quotes_search_idx ON quotes USING gin (search)")
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (100, 'full-text search')")
    app = run_app("quote.main:app", quote_env(pg_database))
    app.wait_for("/readyz")
    created = httpx.post(app.base_url + "/api/quotes", json={"author": "Blue", "text": "Green deploys need additive schemas"})
    assert created.status_code == 201
    assert set(created.json()) == {"id", "author", "text", "created_at", "pod", "version"}
    assert httpx.get(app.base_url + "/api/quotes/random").status_code == 200
    with pg_database.connect() as conn:
        match = conn.execute(
            "SELECT id FROM quotes WHERE search @@ plainto_tsquery('english', 'additive schemas')"
        ).fetchone()
    assert match == (created.json()["id"],)


def test_app_starts_without_database_and_becomes_ready_when_it_appears(pg_server_factory, run_app):
    server = pg_server_factory()
    database = server.create_database("late")
    server.stop()
    app = run_app("quote.main:app", quote_env(database))
    app.wait_for("/healthz")
    assert httpx.get(app.base_url + "/startupz").status_code == 503
    assert httpx.get(app.base_url + "/readyz").status_code == 503
    response = httpx.get(app.base_url + "/api/quotes/random")
    assert response.status_code == 503 and response.json()["error"] == "service_unavailable"
    server.start()
    app.wait_for("/startupz", timeout=30)
    app.wait_for("/readyz", timeout=10)
    assert httpx.get(app.base_url + "/api/quotes/random").status_code == 200


@pytest.mark.parametrize("stop_mode", ["fast", "immediate"])
def test_outage_gives_503_keeps_liveness_recovers_and_loses_no_acknowledged_write(
    pg_server_factory, run_app, stop_mode
):
    server = pg_server_factory()
    database = server.create_database("outage")
    app = run_app("quote.main:app", quote_env(database))
    app.wait_for("/readyz")

    acknowledged: dict[int, str] = {}
    statuses: list[int] = []

    async def writer(client: httpx.AsyncClient, worker: int, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set():
            text = f"writer {worker} quote {n}"
            n += 1
            try:
                response = await client.post("/api/quotes", json={"author": "outage", "text": text})
            except httpx.TransportError:
                statuses.append(-1)
                continue
            statuses.append(response.status_code)
            if response.status_code == 201:
                acknowledged[response.json()["id"]] = text
            else:
                assert response.json()["error"] == "service_unavailable", response.text
                await asyncio.sleep(0.05)

    async def scenario() -> float:
        async with httpx.AsyncClient(base_url=app.base_url, timeout=10) as client:
            stop = asyncio.Event()
            writers = [asyncio.create_task(writer(client, i, stop)) for i in range(4)]
            await asyncio.sleep(1.0)
            before_outage = len(acknowledged)

            await asyncio.to_thread(server.stop, stop_mode)
            await asyncio.sleep(1.0)
            read = await client.get("/api/quotes/random")
            assert read.status_code == 503 and read.json()["error"] == "service_unavailable"
            assert (await client.get("/api/quotes/1")).status_code == 503
            assert (await client.get("/")).status_code == 503
            assert (await client.get("/readyz")).status_code == 503
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/metrics")).status_code == 200

            await asyncio.to_thread(server.start)
            restarted = time.monotonic()
            while (await client.get("/readyz")).status_code != 200:
                assert time.monotonic() - restarted < 20, "app did not become ready again within 20 s"
                await asyncio.sleep(0.1)
            recovery = time.monotonic() - restarted
            during_outage = len(acknowledged)
            while len(acknowledged) < during_outage + 20:
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.gather(*writers)
            assert before_outage > 0
            assert (await client.get("/api/quotes/random")).status_code == 200
            return recovery

    recovery = asyncio.run(scenario())
    assert set(statuses) <= {201, 503}, sorted(set(statuses))
    assert statuses.count(503) > 0
    with database.connect() as conn:
        stored = dict(conn.execute("SELECT id, text FROM quotes WHERE author = 'outage'").fetchall())
    missing = {i: t for i, t in acknowledged.items() if stored.get(i) != t}
    assert missing == {}, f"acknowledged writes lost: {missing}"
    assert len(stored) >= len(acknowledged)
    print(f"recovered {recovery:.2f}s after restart; {len(acknowledged)} acknowledged writes, "
          f"{statuses.count(503)} x 503 during the outage")
