import itertools

import pytest
from appprocess import AppProcess
from quote_testing import ADMIN_TOKEN, quote_env

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def shared_db(pg_server):
    if not pg_server.is_running():
        pg_server.start()
    database = pg_server.create_database(f"quote_shared_{next(_numbers)}")
    yield database
    pg_server.drop_database(database)


@pytest.fixture(scope="module")
def quote_app(shared_db):
    """One app process per test module, with the fault admin enabled."""
    with AppProcess("quote.main:app", quote_env(shared_db, ADMIN_TOKEN=ADMIN_TOKEN)) as app:
        app.wait_for("/readyz")
        yield app
