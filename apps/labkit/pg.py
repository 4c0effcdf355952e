"""PostgreSQL for lab apps: a psycopg_pool pool that survives database restarts, and
ordered schema migrations applied once under an advisory lock.

Needs the `app` extra (psycopg, psycopg-pool). Connections are in autocommit mode:
each statement is its own transaction, so a successful INSERT ... RETURNING has
committed before execute() returns (psycopg waits for ReadyForQuery) and an answer
built from it is an acknowledged write; reads need no BEGIN/ROLLBACK round-trips.
Reads are retried once (the first pooled connection after a database restart may be
dead); writes are not, because a write whose connection broke after the commit would
be applied twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import psycopg
from fastapi import HTTPException
from psycopg import AsyncConnection
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import AfterValidator, Field, StringConstraints

from .config import Env
from .health import Health
from .openapi import error_responses

log = logging.getLogger("labkit.pg")


def no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL: reject it as a 422, not a database error later."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NO_NUL_PATTERN = "^[^\\x00]*$"
# What str.strip() in pydantic's strip_whitespace removes (Unicode White_Space).
_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"


def _trimmed_pattern(max_length: int, min_length: int) -> str:
    """The regular expression of what text_input accepts: any surrounding white space,
    around min_length to max_length characters without NUL that neither start nor end
    with white space. JSON Schema's minLength/maxLength would count the white space."""
    edge = f"[^{_SPACE}\\x00]"
    inner = f"[^\\x00]{{{max(min_length - 2, 0)},{max_length - 2}}}"
    text = edge if max_length == 1 else f"{edge}(?:{inner}{edge}){'?' if min_length <= 1 else ''}"
    if min_length == 0:
        text = f"(?:{text})?"
    return f"^[{_SPACE}]*{text}[{_SPACE}]*$"


def text_input(max_length: int, min_length: int = 1) -> Any:
    """The type of a request string stored as PostgreSQL text: trimmed, length-bounded, no NUL."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(no_nul),
        # The schema states the rule as a pattern instead of the raw lengths.
        Field(json_schema_extra=lambda schema: _trimmed_schema(schema, min_length, max_length)),
    ]


def _trimmed_schema(schema: dict[str, Any], min_length: int, max_length: int) -> None:
    schema.pop("minLength", None)
    schema.pop("maxLength", None)
    schema["pattern"] = _trimmed_pattern(max_length, min_length)
    schema["description"] = (
        f"{min_length} to {max_length} characters once surrounding white space is trimmed; no NUL characters"
    )


class DatabaseUnavailable(Exception):
    """The database cannot be reached right now: answer 503 and let the pool recover."""


# What every endpoint of a database-backed app may answer (see `from_database`).
UNAVAILABLE = error_responses(503, retry_after=(503,))


async def from_database(health: Health, operation: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """`await operation(*args)` for a route: 503 with Retry-After until the schema is
    ready (`health.started`) and while the database is unreachable."""
    if not health.started:
        raise HTTPException(503, "starting: database schema not ready yet", headers={"Retry-After": "2"})
    try:
        return await operation(*args)
    except DatabaseUnavailable as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "2"}) from exc


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[AsyncConnection], Awaitable[None]]


@dataclass(frozen=True)
class PgSettings:
    host: str
    port: int
    dbname: str
    user: str
    password: str
    pool_max_size: int

    def __repr__(self) -> str:  # never print the password
        return f"PgSettings(host={self.host!r}, port={self.port}, dbname={self.dbname!r}, user={self.user!r})"

    @classmethod
    def from_env(cls, env: Env, default_port: int | None = 5432) -> PgSettings:
        """The POSTGRES_* variables every database-backed lab app reads.

        `default_port=None` makes POSTGRES_PORT required (the quote app's contract).
        """
        return cls(
            host=env.required("POSTGRES_HOST"),
            port=env.integer("POSTGRES_PORT", default=default_port, minimum=1),
            dbname=env.required("POSTGRES_DB"),
            user=env.required("POSTGRES_USER"),
            password=env.required("POSTGRES_PASSWORD"),
            pool_max_size=env.integer("POSTGRES_POOL_MAX_SIZE", default=10, minimum=1, maximum=100),
        )

    def conninfo(self, application_name: str) -> str:
        return make_conninfo(
            host=self.host,
            port=self.port,
            dbname=self.dbname,
            user=self.user,
            password=self.password,
            application_name=application_name[:63],
            connect_timeout=3,
            # A stuck query must not hold a pooled connection (and a request) forever.
            options="-c statement_timeout=5000",
        )


async def migrate(conn: AsyncConnection, migrations: Sequence[Migration], lock_key: int) -> list[int]:
    """Apply the missing migrations in one transaction; return the versions applied.

    The transaction-scoped advisory lock serialises replicas that start together: the
    first migrates, the others wait and then find nothing to do. Without it, two
    concurrent CREATE TABLE IF NOT EXISTS can still fail on a unique violation.
    Versions this code does not know (a newer release migrated the schema) are left
    alone, so an older release keeps running next to a newer one (blue-green).
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        cur = conn.cursor(row_factory=tuple_row)  # whatever row factory the pool gives
        await cur.execute("SELECT version FROM schema_migrations")
        done = {version for (version,) in await cur.fetchall()}
        applied = []
        for migration in migrations:
            if migration.version in done:
                continue
            await migration.apply(conn)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (migration.version, migration.name)
            )
            applied.append(migration.version)
        if newer := sorted(done - {m.version for m in migrations}):
            log.info("schema has migrations this version does not know", extra={"versions": newer})
    return applied


class PgDatabase:
    def __init__(self, settings: PgSettings, application_name: str) -> None:
        self.pool = AsyncConnectionPool(
            settings.conninfo(application_name),
            min_size=min(2, settings.pool_max_size),
            max_size=settings.pool_max_size,
            open=False,
            kwargs={"autocommit": True, "row_factory": dict_row},
            name=application_name,
            # Fail a request after 2 s without a connection (503) rather than hang.
            timeout=2.0,
            # Give up a backing-off reconnection early: the next request then starts a
            # fresh attempt at once, so recovery after an outage (a fast or an immediate
            # stop alike) takes seconds, not the minutes the exponential backoff reaches.
            reconnect_timeout=5.0,
        )
        self._recheck: asyncio.Task | None = None

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        if self._recheck:
            self._recheck.cancel()
        await self.pool.close()

    @asynccontextmanager
    async def serving(self, migrate: Callable[[], Awaitable[None]], health: Health) -> AsyncIterator[None]:
        """For an app's lifespan: open the pool, run `migrate` in the background so the
        probes answer meanwhile (/startupz and /readyz say 503 until `health.started`),
        and close the pool when the app stops."""
        await self.open()

        async def start_up() -> None:
            await migrate()
            health.started = True

        startup = asyncio.create_task(start_up())
        yield
        startup.cancel()
        await self.close()

    async def migrate_until_done(self, migrations: Sequence[Migration], lock_key: int) -> None:
        """Apply migrations, retrying (with backoff) until they succeed.

        Returns only when the schema is ready, so run it in a background task and set
        `health.started` after it: /startupz fails until then.
        """
        delay = 0.5
        while True:
            try:
                async with self.pool.connection(timeout=10.0) as conn:
                    applied = await migrate(conn, migrations, lock_key)
                log.info("schema ready", extra={"applied_migrations": applied})
                return
            except (psycopg.OperationalError, PoolTimeout) as exc:
                log.warning("schema migration waiting for the database", extra={"error": str(exc)})
            except Exception:
                # A failing migration is a bug or a damaged schema (its transaction rolled
                # back): say so loudly and keep /startupz failing, so the startup probe
                # restarts the pod, rather than leave a silently dead task.
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

    async def read(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """All rows of a read-only query, retried once on a broken connection."""
        for attempt in (1, 2):
            try:
                async with self.pool.connection() as conn:
                    cur = await conn.execute(query, params)
                    return await cur.fetchall()
            except PoolTimeout as exc:
                raise DatabaseUnavailable("no database connection available") from exc
            except psycopg.OperationalError as exc:
                self._discard_broken_connections()
                if attempt == 2:
                    raise DatabaseUnavailable("database unavailable") from exc
        raise AssertionError("unreachable")

    async def write(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows returned by a write (INSERT/UPDATE/DELETE ... RETURNING); never retried.

        If the connection broke after the server committed, a retry would apply the
        write twice: the caller answers 503 and the client decides.
        """
        try:
            async with self.pool.connection() as conn:
                cur = await conn.execute(query, params)
                return await cur.fetchall() if cur.description else []
        except PoolTimeout as exc:
            raise DatabaseUnavailable("no database connection available") from exc
        except psycopg.OperationalError as exc:
            self._discard_broken_connections()
            raise DatabaseUnavailable("database unavailable") from exc
