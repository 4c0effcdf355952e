import pytest
from labtool.appprocess import AppProcess
from backend_testing import backend_env


@pytest.fixture(scope="module")
def backend_db(pg_server):
    with pg_server.fresh_database("backend_tests") as database:
        yield database


@pytest.fixture(scope="module")
def backend_app(backend_db):
    with AppProcess("backend.main:app", backend_env(backend_db)) as app:
        app.wait_for("/readyz")
        yield app
