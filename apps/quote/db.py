"""Data access through a psycopg_pool connection pool.

Connections run in autocommit mode: each statement is its own transaction, so a
successful INSERT ... RETURNING has committed before execute() returns (psycopg
waits for ReadyForQuery), and reads need no BEGIN/ROLLBACK round-trips.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from .migrations import migrate, migrations_for
from .settings import Settings

log = logging.getLogger("quote.db")

COLUMNS = "id, author, text, created_at"


class DatabaseUnavailable(Exception):
    """The database cannot be reached right now; answer 503 and let the pool recover."""


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    created: datetime = row["created_at"]
    return {**row, "created_at": created.isoformat()}


class QuoteStore:
    def __init__(self, settings: Settings) -> None:
        self.pool = AsyncConnectionPool(
            settings.conninfo(),
            min_size=min(2, settings.pool_max_size),
            max_size=settings.pool_max_size,
            open=False,
            kwargs={"autocommit": True, "row_factory": dict_row},
            name="quote",
            # Fail a request after 2 s without a connection (503) rather than hang.
            timeout=2.0,
            # Give up a backing-off reconnection early: the next request then starts a
            # fresh attempt at once, so recovery after an outage takes seconds, not
            # the minutes the exponential backoff would reach.
            reconnect_timeout=5.0,
        )
        self._recheck: asyncio.Task | None = None
        self.migrations = migrations_for(settings.app_release)

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        if self._recheck:
            self._recheck.cancel()
        await self.pool.close()

    async def migrate_until_done(self) -> None:
        """Apply migrations, retrying while the database is unreachable."""
        delay = 0.5
        while True:
            try:
                async with self.pool.connection(timeout=10.0) as conn:
                    applied = await migrate(conn, self.migrations)
                log.info("schema ready", extra={"applied_migrations": applied})
                return
            except (psycopg.OperationalError, PoolTimeout) as exc:
                log.warning("schema migration waiting for the database", extra={"error": str(exc)})
            except Exception:
                # A failing migration is a bug or a damaged schema: say so loudly and
                # keep /startupz failing, so the startup probe restarts the pod.
                log.exception("schema migration failed")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def ping(self) -> None:
        try:
            async with self.pool.connection(timeout=1.0) as conn:
                await conn.execute("SELECT 1")
        except psycopg.OperationalError:
            self._discard_broken_connections()
            raise

    def _discard_broken_connections(self) -> None:
        """After one connection failed, test the idle ones in the background: when the
        server restarted they are all dead, and each would otherwise fail a request."""
        if self._recheck is None or self._recheck.done():
            self._recheck = asyncio.create_task(self.pool.check())

    async def _fetch(self, query: str, params: tuple, many: bool) -> Any:
        # Reads are retried once: the first connection handed out after a database
        # restart may be a dead one, and a read is safe to repeat.
        for attempt in (1, 2):
            try:
                async with self.pool.connection() as conn:
                    cur = await conn.execute(query, params)
                    return await (cur.fetchall() if many else cur.fetchone())
            except PoolTimeout as exc:
                raise DatabaseUnavailable("no database connection available") from exc
            except psycopg.OperationalError as exc:
                self._discard_broken_connections()
                if attempt == 2:
                    raise DatabaseUnavailable("database unavailable") from exc
        raise AssertionError("unreachable")

    async def page(self, limit: int, offset: int) -> list[dict[str, Any]]:
        rows = await self._fetch(
            f"SELECT {COLUMNS} FROM quotes ORDER BY id LIMIT %s OFFSET %s", (limit, offset), many=True
        )
        return [_as_json(row) for row in rows]

    async def search(self, query: str, limit: int, offset: int) -> list[dict[str, Any]]:
        """Release 2: quotes matching a web-style query (words, "phrases", -not, or), best first."""
        rows = await self._fetch(
            f"""
            SELECT {COLUMNS} FROM quotes, websearch_to_tsquery('english', %s) AS query
            WHERE search @@ query ORDER BY ts_rank(search, query) DESC, id LIMIT %s OFFSET %s
            """,
            (query, limit, offset),
            many=True,
        )
        return [_as_json(row) for row in rows]

    async def get(self, quote_id: int) -> dict[str, Any] | None:
        row = await self._fetch(f"SELECT {COLUMNS} FROM quotes WHERE id = %s", (quote_id,), many=False)
        return _as_json(row) if row else None

    async def random(self) -> dict[str, Any] | None:
        # Two index probes instead of ORDER BY random() (a full scan). Gaps left by
        # deleted ids make the quote after a gap a little more likely; fine here.
        row = await self._fetch(
            f"""
            SELECT {COLUMNS} FROM quotes
            WHERE id >= (SELECT min(id) + floor(random() * (max(id) - min(id) + 1))::bigint FROM quotes)
            ORDER BY id LIMIT 1
            """,
            (),
            many=False,
        )
        return _as_json(row) if row else None

    async def create(self, author: str, text: str) -> dict[str, Any]:
        # Not retried: if the connection broke after the server committed, a retry
        # would store the quote twice. The client gets 503 and decides.
        try:
            async with self.pool.connection() as conn:
                cur = await conn.execute(
                    f"INSERT INTO quotes (author, text) VALUES (%s, %s) RETURNING {COLUMNS}",
                    (author, text),
                )
                row = await cur.fetchone()
        except PoolTimeout as exc:
            raise DatabaseUnavailable("no database connection available") from exc
        except psycopg.OperationalError as exc:
            self._discard_broken_connections()
            raise DatabaseUnavailable("database unavailable") from exc
        return _as_json(row)
