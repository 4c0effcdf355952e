"""Fixtures shared by every app's tests: a real PostgreSQL server and app processes.

- pg_server:        one server for the whole session (skips if PostgreSQL is missing).
- pg_database:      a fresh database + owner role per test on that server.
- pg_server_factory: a private server per test, for tests that stop and start it.
- run_app:          start `module:app` under uvicorn with the given env; stopped after the test.
"""

from __future__ import annotations

import contextlib
import itertools

import pytest
from labtool.appprocess import AppProcess
from labtool.pgserver import PgServer, PgUnavailable, find_bin_dir

_db_numbers = itertools.count(1)


def _new_server() -> PgServer:
    try:
        server = PgServer(find_bin_dir())
    except PgUnavailable as exc:
        pytest.skip(str(exc))
    server.start()
    return server


@pytest.fixture(scope="session")
def pg_server():
    server = _new_server()
    yield server
    server.destroy()


@pytest.fixture
def pg_database(pg_server):
    with pg_server.fresh_database(f"test_{next(_db_numbers)}") as database:
        yield database


@pytest.fixture(scope="module")
def module_db(pg_server):
    """One fresh database for a test module, shared by the app processes it starts."""
    with pg_server.fresh_database(f"module_{next(_db_numbers)}") as database:
        yield database


@pytest.fixture
def pg_server_factory():
    with contextlib.ExitStack() as made:
        def make() -> PgServer:
            server = _new_server()
            made.callback(server.destroy)
            return server

        yield make


@pytest.fixture
def run_app():
    with contextlib.ExitStack() as started:  # AppProcess: start() on enter, cleanup() on exit
        yield lambda target, env, **kwargs: started.enter_context(AppProcess(target, env, **kwargs))
