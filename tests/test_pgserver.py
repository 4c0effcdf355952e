"""The shared PostgreSQL fixture itself: a clear skip reason when binaries are missing."""

import pytest

from labtool import pgserver


@pytest.mark.parametrize("incomplete_bin_dir", [False, True])
def test_missing_binaries_name_what_to_install(monkeypatch, tmp_path, incomplete_bin_dir):
    monkeypatch.delenv("PG_BIN_DIR", raising=False)
    if incomplete_bin_dir:  # PG_BIN_DIR without every binary is not used
        (tmp_path / "initdb").touch()
        monkeypatch.setenv("PG_BIN_DIR", str(tmp_path))
    monkeypatch.setattr(pgserver.glob, "glob", lambda pattern: [])
    with pytest.raises(pgserver.PgUnavailable, match=r"initdb, pg_ctl, postgres.*'postgresql'"):
        pgserver.find_bin_dir()


def test_server_survives_stop_and_start_with_its_data(pg_server_factory):
    server = pg_server_factory()
    database = server.create_database("restart")
    with database.connect() as conn:
        conn.execute("CREATE TABLE t (v int)")
        conn.execute("INSERT INTO t VALUES (42)")
    server.stop("immediate")
    assert not server.is_running()
    server.start()
    with database.connect() as conn:
        assert conn.execute("SELECT v FROM t").fetchone() == (42,)


def test_fresh_database_starts_a_stopped_server_and_drops_the_database_after(pg_server_factory):
    server = pg_server_factory()
    server.stop()
    with server.fresh_database("scratch") as database:
        assert server.is_running()
        with database.connect() as conn:
            assert conn.execute("SELECT current_database(), current_user").fetchone() == ("scratch", "scratch")
    with server.admin_connect() as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = 'scratch'").fetchone() is None
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'scratch'").fetchone() is None
