"""The quote schema's migrations; labkit.pg applies them in order at start-up under
a PostgreSQL advisory lock and records them in schema_migrations.

Rules that keep blue-green deployments possible: a migration is additive (new
columns get defaults or are generated, new indexes, new tables), and the app only
ever names the columns it needs, so version N keeps working on a schema that
version N+1 has already migrated. Versions this code does not know are ignored.
"""

from __future__ import annotations

from psycopg import AsyncConnection

from labkit.pg import Migration

from .seeds import SEED_QUOTES

# Arbitrary but fixed: every replica must contend for the same lock.
ADVISORY_LOCK_KEY = 0x71756F7465  # "quote"

AUTHOR_MAX = 200
TEXT_MAX = 1000


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
