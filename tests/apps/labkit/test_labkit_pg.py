"""labkit.pg against a real PostgreSQL server: migrations under the advisory lock,
retry-once reads, never-retried writes, and recovery after a fast or immediate stop."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time

import psycopg
import pytest
from psycopg import AsyncConnection
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, TypeAdapter, ValidationError

import labkit
from labkit.pg import DatabaseUnavailable, Migration, PgDatabase, PgSettings, migrate, text_input

LOCK_KEY = 0x6C61626B6974  # "labkit"


async def _create_notes(conn: AsyncConnection) -> None:
    await conn.execute("CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL)")


async def _seed_notes(conn: AsyncConnection) -> None:
    await conn.execute("INSERT INTO notes (body) VALUES ('first'), ('second')")


MIGRATIONS = (Migration(1, "create notes", _create_notes), Migration(2, "seed notes", _seed_notes))


@contextlib.asynccontextmanager
async def opened(database, pool_max_size: int = 4):
    settings = PgSettings(database.host, database.port, database.name, database.user, database.password, pool_max_size)
    db = PgDatabase(settings, "labkit-test")
    await db.open()
    try:
        yield db
    finally:
        await db.close()


async def migrate_once(database, migrations) -> list[int]:
    """One replica's start-up migration, on its own pool."""
    async with opened(database) as db, db.pool.connection() as conn:
        return await migrate(conn, migrations, LOCK_KEY)


def applied_versions(database) -> list[int]:
    with database.connect() as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def test_settings_from_env_default_or_required_port_and_hidden_password():
    env = {"POSTGRES_HOST": "db", "POSTGRES_DB": "d", "POSTGRES_USER": "u", "POSTGRES_PASSWORD": "s3cret-pw"}
    settings = PgSettings.from_env(labkit.Env(env))
    assert settings.port == 5432 and settings.pool_max_size == 10
    assert "s3cret-pw" not in repr(settings)
    strict = labkit.Env(env)
    PgSettings.from_env(strict, default_port=None)
    with pytest.raises(labkit.ConfigError, match="missing required environment variable: POSTGRES_PORT$"):
        strict.check()


def test_replicas_migrating_together_apply_each_migration_once(pg_database):
    async def scenario() -> list[list[int]]:
        return await asyncio.gather(*(migrate_once(pg_database, MIGRATIONS) for _ in range(4)))

    results = asyncio.run(scenario())
    assert sorted(results) == [[], [], [], [1, 2]]  # the first migrates, the others find it done
    assert applied_versions(pg_database) == [1, 2]
    with pg_database.connect() as conn:
        assert conn.execute("SELECT body FROM notes ORDER BY id").fetchall() == [("first",), ("second",)]


def test_versions_from_a_newer_release_are_left_alone_and_logged(pg_database, caplog):
    newer = (*MIGRATIONS, Migration(7, "newer release", lambda conn: conn.execute("ALTER TABLE notes ADD COLUMN tag text")))
    assert asyncio.run(migrate_once(pg_database, newer)) == [1, 2, 7]
    with caplog.at_level(logging.INFO, logger="labkit.pg"):
        assert asyncio.run(migrate_once(pg_database, MIGRATIONS)) == []
    assert applied_versions(pg_database) == [1, 2, 7]
    unknown = [r for r in caplog.records if r.getMessage() == "schema has migrations this version does not know"]
    assert [r.versions for r in unknown] == [[7]]


def test_a_failing_migration_rolls_back_is_logged_and_retried_until_it_succeeds(pg_database, caplog):
    attempts = []

    async def flaky(conn: AsyncConnection) -> None:
        attempts.append(len(attempts) + 1)
        await conn.execute("CREATE TABLE flaky (id int)")
        if len(attempts) == 1:
            raise RuntimeError("migration bug")

    async def scenario() -> None:
        async with opened(pg_database) as db:
            await asyncio.wait_for(db.migrate_until_done((*MIGRATIONS, Migration(3, "flaky", flaky)), LOCK_KEY), 20)

    with caplog.at_level(logging.INFO, logger="labkit.pg"):
        asyncio.run(scenario())
    assert attempts == [1, 2]  # the first attempt's CREATE TABLE was rolled back with it
    assert applied_versions(pg_database) == [1, 2, 3]
    failed = [r for r in caplog.records if r.getMessage() == "schema migration failed"]
    assert len(failed) == 1 and failed[0].exc_info[1].args == ("migration bug",)


def test_migration_waits_for_a_database_that_is_not_up_yet(pg_server_factory):
    server = pg_server_factory()
    database = server.create_database("late")
    server.stop()

    async def scenario() -> None:
        async with opened(database) as db:
            migrating = asyncio.create_task(db.migrate_until_done(MIGRATIONS, LOCK_KEY))
            await asyncio.sleep(1.5)
            assert not migrating.done()
            await asyncio.to_thread(server.start)
            await asyncio.wait_for(migrating, 20)

    asyncio.run(scenario())
    assert applied_versions(database) == [1, 2]


@pytest.mark.parametrize("stop_mode", ["fast", "immediate"])
def test_after_a_restart_reads_retry_once_writes_do_not_and_outages_recover(pg_server_factory, stop_mode):
    server = pg_server_factory()
    database = server.create_database("restart")

    def restart() -> None:
        server.stop(stop_mode)
        server.start()

    async def scenario() -> None:
        # One pooled connection: after a restart it is dead, and it is the one handed out first.
        async with opened(database, pool_max_size=1) as db:
            await db.migrate_until_done(MIGRATIONS, LOCK_KEY)

            await asyncio.to_thread(restart)
            # A write on the dead connection fails: a retry could store it twice.
            with pytest.raises(DatabaseUnavailable):
                await db.write("INSERT INTO notes (body) VALUES ('on a dead connection') RETURNING id")
            assert await db.write("INSERT INTO notes (body) VALUES ('next write') RETURNING id")

            await asyncio.to_thread(restart)
            # The same situation for a read: the retry on a fresh connection answers.
            rows = await db.read("SELECT body FROM notes ORDER BY id")
            assert [row["body"] for row in rows] == ["first", "second", "next write"]

            await asyncio.to_thread(server.stop, stop_mode)
            with pytest.raises(DatabaseUnavailable):
                await db.read("SELECT 1")
            with pytest.raises(DatabaseUnavailable):
                await db.write("INSERT INTO notes (body) VALUES ('during the outage') RETURNING id")
            await asyncio.to_thread(server.start)
            restarted = time.monotonic()
            while True:  # reconnect_timeout keeps the pool's backoff short
                try:
                    await db.ping()
                    break
                except (DatabaseUnavailable, psycopg.OperationalError, PoolTimeout):
                    assert time.monotonic() - restarted < 10, "no recovery within 10 s of the restart"
                    await asyncio.sleep(0.1)
            assert len(await db.read("SELECT body FROM notes")) == 3

    asyncio.run(scenario())


def test_a_failed_ping_checks_the_other_idle_connections_in_the_background(pg_server_factory):
    server = pg_server_factory()
    database = server.create_database("recheck")

    async def scenario() -> dict[str, int]:
        async with opened(database, pool_max_size=4) as db:
            await db.pool.wait(timeout=10)  # min_size (2) connections open and idle
            await asyncio.to_thread(server.stop, "immediate")
            await asyncio.to_thread(server.start)
            with pytest.raises(psycopg.OperationalError):
                await db.ping()  # took one dead connection
            await asyncio.sleep(1.0)
            await db.ping()
            return db.pool.get_stats()

    stats = asyncio.run(scenario())
    # The other idle connection was found dead by pool.check(), before any request met it.
    assert stats.get("connections_lost", 0) >= 1, stats


def test_text_input_trims_bounds_and_refuses_nul():
    class Note(BaseModel):
        title: text_input(5)
        body: text_input(3, min_length=0) = ""

    assert Note(title="  abc ").title == "abc"
    assert Note(title="a", body="   ").body == ""
    for bad in ({"title": "   "}, {"title": "abcdef"}, {"title": "a\x00b"}, {"title": "a", "body": "abcd"}):
        with pytest.raises(ValidationError):
            Note(**bad)
    with pytest.raises(ValidationError, match="must not contain NUL characters"):
        Note(title="nul\x00")


@pytest.mark.parametrize(("max_length", "min_length"), [(4, 1), (4, 0), (1, 1), (1, 0)])
def test_text_input_schema_pattern_accepts_exactly_what_validation_accepts(max_length, min_length):
    text = TypeAdapter(text_input(max_length, min_length))
    schema = text.json_schema()
    assert "maxLength" not in schema and "minLength" not in schema  # they would count the trimmed spaces
    pattern = re.compile(schema["pattern"])
    # Letters, ASCII and Unicode white space (trimmed), NUL (refused), and U+FEFF (not white space).
    for length in range(max_length + 4):
        for chars in itertools.product("a \t\x00\u3000\u0085\ufeff", repeat=length):
            value = "".join(chars)
            try:
                text.validate_python(value)
                valid = True
            except ValidationError:
                valid = False
            assert bool(pattern.search(value)) == valid, repr(value)
