import pytest
from labtool.appprocess import AppProcess
from backend_testing import backend_env


@pytest.fixture(scope="module")
def backend_app(module_db):
    with AppProcess("backend.main:app", backend_env(module_db)) as app:
        app.wait_for("/readyz")
        yield app
