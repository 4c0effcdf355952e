"""Schema migrations, applied in order at start-up under a PostgreSQL advisory lock.

Rules that keep blue-green deployments possible: a migration is additive (new
columns get defaults or are generated, new indexes, new tables), and the app only
ever names the columns it needs, so version N keeps working on a schema that
version N+1 has already migrated. Versions this code does not know are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from .seeds import SEED_QUOTES

log = logging.getLogger("quote.migrations")

# Arbitrary but fixed: every replica must contend for the same lock.
ADVISORY_LOCK_KEY = 0x71756F7465  # "quote"

AUTHOR_MAX = 200
TEXT_MAX = 1000


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[AsyncConnection], Awaitable[None]]


async def _create_quotes(conn: AsyncConnection) -> None:
    await conn.execute(
        f"""
        CREATE TABLE quotes (
            id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            author     text NOT NULL CHECK (char_length(author) BETWEEN 1 AND {AUTHOR_MAX}),
            text       text NOT NULL CHECK (char_length(text) BETWEEN 1 AND {TEXT_MAX}),
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


async def _seed_quotes(conn: AsyncConnection) -> None:
    async with conn.cursor() as cur:
        await cur.executemany("INSERT INTO quotes (author, text) VALUES (%s, %s)", SEED_QUOTES)


async def _add_search(conn: AsyncConnection) -> None:
    # Release 2. Additive: a generated column fills itself for every row, including
    # rows release 1 inserts later without naming it, and a GIN index serves @@.
    await conn.execute(
        "ALTER TABLE quotes ADD COLUMN IF NOT EXISTS search tsvector "
        "GENERATED ALWAYS AS (to_tsvector('english', author || ' ' || text)) STORED"
    )
    await conn.execute("CREATE INDEX IF NOT EXISTS quotes_search_idx ON quotes USING gin (search)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create quotes table", _create_quotes),
    Migration(2, "seed quotes", _seed_quotes),
)
# Release 2's migrations; release 1 never applies them and ignores their versions.
RELEASE_2_MIGRATIONS: tuple[Migration, ...] = (Migration(3, "full-text search column and index", _add_search),)
LATEST_RELEASE = 2


def migrations_for(release: int) -> tuple[Migration, ...]:
    return MIGRATIONS + (RELEASE_2_MIGRATIONS if release >= 2 else ())


async def migrate(conn: AsyncConnection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the missing migrations in one transaction; return the versions applied.

    The transaction-scoped advisory lock serialises replicas that start together: the
    first one migrates, the others wait, then find nothing left to do. Without it,
    two concurrent CREATE TABLE IF NOT EXISTS can still fail on a unique violation.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        cur = conn.cursor(row_factory=tuple_row)  # whatever row factory the pool set
        await cur.execute("SELECT version FROM schema_migrations")
        done = {version for (version,) in await cur.fetchall()}
        applied = []
        for migration in migrations:
            if migration.version in done:
                continue
            await migration.apply(conn)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            applied.append(migration.version)
        known = {m.version for m in migrations}
        if newer := sorted(done - known):
            log.info("schema has migrations this version does not know", extra={"versions": newer})
    return applied
