"""The item catalogue in PostgreSQL: schema migrations and queries."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import AsyncConnection

from labkit.pg import Migration, PgDatabase

NAME_MAX = 100
DESCRIPTION_MAX = 2000
PRICE_MAX_CENTS = 100_000_000
LOCK_KEY = 0x6261636B656E64  # "backend": every replica contends for the same lock

COLUMNS = "id, name, description, price_cents, created_at, updated_at"

SEED_ITEMS = (
    ("Raspberry Pi 5", "Single-board computer for a home k3s node.", 8900),
    ("Managed switch", "8-port gigabit switch with VLAN support.", 4500),
    ("NVMe SSD 1 TB", "Fast local storage for etcd and local-path volumes.", 7900),
    ("UPS 850 VA", "Keeps the control plane up through short power cuts.", 12900),
    ("Patch cable set", "Ten short Cat6 cables.", 1500),
)


class NameTaken(Exception):
    """Another item already has this name."""


async def _create_items(conn: AsyncConnection) -> None:
    await conn.execute(
        f"""
        CREATE TABLE items (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name        text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND {NAME_MAX}),
            description text NOT NULL DEFAULT '' CHECK (char_length(description) <= {DESCRIPTION_MAX}),
            price_cents bigint NOT NULL CHECK (price_cents BETWEEN 0 AND {PRICE_MAX_CENTS}),
            created_at  timestamptz NOT NULL DEFAULT now(),
            updated_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )


async def _seed_items(conn: AsyncConnection) -> None:
    async with conn.cursor() as cur:
        await cur.executemany("INSERT INTO items (name, description, price_cents) VALUES (%s, %s, %s)", SEED_ITEMS)


MIGRATIONS = (
    Migration(1, "create items table", _create_items),
    Migration(2, "seed items", _seed_items),
)


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "created_at": row["created_at"].isoformat(), "updated_at": row["updated_at"].isoformat()}


class ItemStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def migrate(self) -> None:
        await self.db.migrate_until_done(MIGRATIONS, LOCK_KEY)

    async def page(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        rows = await self.db.read(
            f"SELECT {COLUMNS}, count(*) OVER () AS total FROM items ORDER BY id LIMIT %s OFFSET %s", (limit, offset)
        )
        if rows:
            total = rows[0]["total"]
        else:  # past the last page the window count is not there: count separately
            total = (await self.db.read("SELECT count(*) AS total FROM items"))[0]["total"]
        return [_as_json({k: v for k, v in row.items() if k != "total"}) for row in rows], total

    async def get(self, item_id: int) -> dict[str, Any] | None:
        rows = await self.db.read(f"SELECT {COLUMNS} FROM items WHERE id = %s", (item_id,))
        return _as_json(rows[0]) if rows else None

    async def create(self, name: str, description: str, price_cents: int) -> dict[str, Any]:
        try:
            rows = await self.db.write(
                f"INSERT INTO items (name, description, price_cents) VALUES (%s, %s, %s) RETURNING {COLUMNS}",
                (name, description, price_cents),
            )
        except psycopg.errors.UniqueViolation as exc:
            raise NameTaken(name) from exc
        return _as_json(rows[0])

    async def replace(self, item_id: int, name: str, description: str, price_cents: int) -> dict[str, Any] | None:
        try:
            rows = await self.db.write(
                f"""UPDATE items SET name = %s, description = %s, price_cents = %s, updated_at = now()
                    WHERE id = %s RETURNING {COLUMNS}""",
                (name, description, price_cents, item_id),
            )
        except psycopg.errors.UniqueViolation as exc:
            raise NameTaken(name) from exc
        return _as_json(rows[0]) if rows else None

    async def delete(self, item_id: int) -> bool:
        return bool(await self.db.write("DELETE FROM items WHERE id = %s RETURNING id", (item_id,)))
