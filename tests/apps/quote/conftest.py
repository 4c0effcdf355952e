import httpx
import pytest
from labtool.appprocess import AppProcess
from quote_testing import ADMIN_TOKEN, quote_env


@pytest.fixture(scope="module")
def quote_app(module_db):
    """One app process per test module, with the fault admin enabled."""
    with AppProcess("quote.main:app", quote_env(module_db, ADMIN_TOKEN=ADMIN_TOKEN)) as app:
        app.wait_for("/readyz")
        yield app


@pytest.fixture(scope="module")
def http(quote_app):
    with httpx.Client(base_url=quote_app.base_url, timeout=10) as client:
        yield client
