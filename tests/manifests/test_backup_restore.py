"""The quote-db backup and restore scripts, run for real with pg_dump and pg_restore
against a real PostgreSQL server holding databases shaped like the lab's: the quote app's
and an app's own (its login role owns it, as the workload_secrets role creates it)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from labtool import REPO

SCRIPTS = REPO / "manifests" / "bases" / "quote-db"
APP_DATABASES = ("quotes", "backend")


@pytest.fixture
def server(pg_server_factory):
    server = pg_server_factory()
    for name in APP_DATABASES:
        server.create_database(name)
        with server.admin_connect(name) as conn:
            # Created as the app would: by its own login role, which then owns the table.
            conn.execute(f'SET ROLE "{name}"')
            conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)")
            conn.execute("INSERT INTO items VALUES (1, %s), (2, %s)", (f"{name}-one", f"{name}-two"))
    return server


def run(server, script: str, backups: Path, **env: str) -> subprocess.CompletedProcess:
    """The script as its Job runs it (bash, PG* variables), as the superuser."""
    env = {
        "PATH": f"{server.bin_dir}:{os.environ['PATH']}", "BACKUP_DIR": str(backups),
        "PGHOST": server.host, "PGPORT": str(server.port), "PGUSER": server.superuser,
        "PGPASSWORD": server.password, "PGDATABASE": "quotes", **env,
    }
    return subprocess.run(["bash", str(SCRIPTS / script)], env=env, capture_output=True, text=True, timeout=120)


def names(server, database: str) -> list[str]:
    with server.admin_connect(database) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM items ORDER BY id")]


def dumps(backups: Path, database: str) -> list[Path]:
    return sorted(backups.glob(f"{database}-*.dump"))


def test_backup_dumps_every_database_and_keeps_the_newest_of_each(server, tmp_path):
    for run_number in range(3):
        if run_number:
            time.sleep(1.1)  # dump names carry the time to the second
        result = run(server, "backup.sh", tmp_path, BACKUP_KEEP="2")
        assert result.returncode == 0, result.stderr
    for database in APP_DATABASES:
        kept = dumps(tmp_path, database)
        assert len(kept) == 2, kept
        listing = subprocess.run([str(server.bin_dir / "pg_restore"), "--list", str(kept[-1])],
                                 capture_output=True, text=True, check=True).stdout
        assert "TABLE DATA public items" in listing
    assert not list(tmp_path.glob("postgres-*.dump")) and not list(tmp_path.glob("*.partial"))


def test_restore_puts_back_one_database_and_its_owner_keeps_access(server, tmp_path):
    assert run(server, "backup.sh", tmp_path, BACKUP_KEEP="2").returncode == 0
    for database in APP_DATABASES:
        with server.admin_connect(database) as conn:
            conn.execute("DELETE FROM items WHERE id = 1")

    result = run(server, "restore.sh", tmp_path, RESTORE_DATABASE="backend")
    assert result.returncode == 0, result.stderr

    assert names(server, "backend") == ["backend-one", "backend-two"]
    assert names(server, "quotes") == ["quotes-two"]  # the other database is left alone
    with server.admin_connect("backend") as conn:
        assert conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'items'").fetchone() == ("backend",)
        conn.execute('SET ROLE "backend"')
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (2,)
    assert len(list(tmp_path.glob("pre-restore-backend-*.dump"))) == 1


def test_restore_refuses_a_dump_of_another_database(server, tmp_path):
    assert run(server, "backup.sh", tmp_path, BACKUP_KEEP="2").returncode == 0
    with server.admin_connect("backend") as conn:
        conn.execute("DELETE FROM items")
    quotes_dump = dumps(tmp_path, "quotes")[-1].name

    result = run(server, "restore.sh", tmp_path, RESTORE_DATABASE="backend", RESTORE_DUMP=quotes_dump)

    assert result.returncode == 2
    assert f"{quotes_dump} is not a dump of backend" in result.stderr
    assert names(server, "backend") == []


def test_restore_names_a_database_that_does_not_exist(server, tmp_path):
    assert run(server, "backup.sh", tmp_path, BACKUP_KEEP="2").returncode == 0
    (tmp_path / "catalogue-20250101T000000Z.dump").write_bytes(dumps(tmp_path, "backend")[-1].read_bytes())

    result = run(server, "restore.sh", tmp_path, RESTORE_DATABASE="catalogue")

    assert result.returncode == 2
    assert "there is no database catalogue" in result.stderr
