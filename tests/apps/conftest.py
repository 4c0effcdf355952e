import pytest


@pytest.fixture
def config_error(run_app):
    """Start an app that must refuse its configuration: its output, once it has exited with 78."""

    def run(target: str, env: dict[str, str]) -> str:
        app = run_app(target, env)
        app.process.wait(timeout=60)
        assert app.process.returncode == 78
        return app.logs().strip()

    return run
