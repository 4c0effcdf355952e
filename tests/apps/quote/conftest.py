import itertools

import httpx
import pytest
from labtool.appprocess import AppProcess
from quote_testing import ADMIN_TOKEN, quote_env

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def shared_db(pg_server):
    with pg_server.fresh_database(f"quote_shared_{next(_numbers)}") as database:
        yield database


@pytest.fixture(scope="module")
def quote_app(shared_db):
    """One app process per test module, with the fault admin enabled."""
    with AppProcess("quote.main:app", quote_env(shared_db, ADMIN_TOKEN=ADMIN_TOKEN)) as app:
        app.wait_for("/readyz")
        yield app


@pytest.fixture(scope="module")
def http(quote_app):
    with httpx.Client(base_url=quote_app.base_url, timeout=10) as client:
        yield client
