import pytest
from appprocess import AppProcess
from backend_testing import backend_env


@pytest.fixture(scope="module")
def backend_db(pg_server):
    if not pg_server.is_running():
        pg_server.start()
    database = pg_server.create_database("backend_tests")
    yield database
    pg_server.drop_database(database)


@pytest.fixture(scope="module")
def backend_app(backend_db):
    with AppProcess("backend.main:app", backend_env(backend_db)) as app:
        app.wait_for("/readyz")
        yield app
