"""The quote queries, over labkit.pg's pool (autocommit, reads retried once, writes
never retried, DatabaseUnavailable when the database cannot be reached)."""

from __future__ import annotations

from typing import Any

from labkit.pg import PgDatabase

from .migrations import ADVISORY_LOCK_KEY, migrations_for

COLUMNS = "id, author, text, created_at"


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "created_at": row["created_at"].isoformat()}


def _first(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    return _as_json(rows[0]) if rows else None


class QuoteStore:
    def __init__(self, db: PgDatabase, release: int) -> None:
        self.db = db
        self.migrations = migrations_for(release)

    async def migrate(self) -> None:
        await self.db.migrate_until_done(self.migrations, ADVISORY_LOCK_KEY)

    async def page(self, limit: int, offset: int) -> list[dict[str, Any]]:
        rows = await self.db.read(f"SELECT {COLUMNS} FROM quotes ORDER BY id LIMIT %s OFFSET %s", (limit, offset))
        return [_as_json(row) for row in rows]

    async def search(self, query: str, limit: int, offset: int) -> list[dict[str, Any]]:
        """Release 2: quotes matching a web-style query (words, "phrases", -not, or), best first."""
        rows = await self.db.read(
            f"""
            SELECT {COLUMNS} FROM quotes, websearch_to_tsquery('english', %s) AS query
            WHERE search @@ query ORDER BY ts_rank(search, query) DESC, id LIMIT %s OFFSET %s
            """,
            (query, limit, offset),
        )
        return [_as_json(row) for row in rows]

    async def get(self, quote_id: int) -> dict[str, Any] | None:
        return _first(await self.db.read(f"SELECT {COLUMNS} FROM quotes WHERE id = %s", (quote_id,)))

    async def random(self) -> dict[str, Any] | None:
        # Two index probes instead of ORDER BY random() (a full scan). Gaps left by
        # deleted ids make the quote after a gap a little more likely; fine here.
        return _first(
            await self.db.read(
                f"""
                SELECT {COLUMNS} FROM quotes
                WHERE id >= (SELECT min(id) + floor(random() * (max(id) - min(id) + 1))::bigint FROM quotes)
                ORDER BY id LIMIT 1
                """
            )
        )

    async def create(self, author: str, text: str) -> dict[str, Any]:
        rows = await self.db.write(
            f"INSERT INTO quotes (author, text) VALUES (%s, %s) RETURNING {COLUMNS}", (author, text)
        )
        return _as_json(rows[0])
