"""The smoke half of labtool.validate_deployment against the real quote app on a real
PostgreSQL server: it must pass a healthy app and catch each way the app can be unhealthy."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from labtool.pgserver import free_port

from labtool.validate_deployment import DEFAULT_API_PATHS, SmokeTarget, smoke

ADMIN_TOKEN = "gitops-smoke-token"
VERSION = "7.7.7-smoke"
CHECKED_PATHS = ["/healthz", "/readyz", *DEFAULT_API_PATHS]


def quote_env(database) -> dict[str, str]:
    return {**database.env(), "APP_VERSION": VERSION, "POD_NAME": "smoke-pod", "ADMIN_TOKEN": ADMIN_TOKEN}


@pytest.fixture
def quote_app(pg_database, run_app):
    app = run_app("quote.main:app", quote_env(pg_database))
    app.wait_for("/readyz")
    return app


def failures(results) -> dict[str, str]:
    return {r.path: r.detail for r in results if not r.ok}


def test_healthy_app_passes_every_check(quote_app) -> None:
    results = smoke(SmokeTarget(quote_app.base_url, expect_version=VERSION), timeout=10)
    assert [r.path for r in results] == CHECKED_PATHS
    assert failures(results) == {}


def test_wrong_version_fails_on_every_json_answer(quote_app) -> None:
    results = smoke(SmokeTarget(quote_app.base_url, expect_version="0.0.1"), timeout=0)
    assert set(failures(results)) == set(CHECKED_PATHS)
    assert all("expected '0.0.1'" in detail for detail in failures(results).values())


def test_readiness_failure_is_caught_while_liveness_passes(quote_app) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    httpx.post(f"{quote_app.base_url}/admin/faults/readiness", headers=auth).raise_for_status()
    results = smoke(SmokeTarget(quote_app.base_url), timeout=0)
    assert list(failures(results)) == ["/readyz"]
    assert "HTTP 503" in failures(results)["/readyz"]


def test_database_outage_fails_readiness_and_api(pg_server_factory, run_app) -> None:
    server = pg_server_factory()
    app = run_app("quote.main:app", quote_env(server.create_database("smoke_outage")))
    app.wait_for("/readyz")
    server.stop("immediate")
    results = smoke(SmokeTarget(app.base_url), timeout=0)
    assert set(failures(results)) == {"/readyz", *DEFAULT_API_PATHS}
    assert "/healthz" not in failures(results), "liveness must not depend on the database"


def test_nothing_listening_fails_without_hanging() -> None:
    results = smoke(SmokeTarget(f"http://127.0.0.1:{free_port()}"), timeout=0, request_timeout=2)
    assert set(failures(results)) == set(CHECKED_PATHS)
    assert all("ConnectError" in detail for detail in failures(results).values())


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labtool.validate_deployment", *args],
                          capture_output=True, text=True, timeout=60)


def test_cli_exit_status_follows_the_checks(quote_app) -> None:
    passed = run_cli("smoke", "--base-url", quote_app.base_url, "--expect-version", VERSION, "--timeout", "5")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.count("ok   GET") == len(CHECKED_PATHS)

    failed = run_cli("smoke", "--base-url", quote_app.base_url, "--api-path", "/api/quotes/999999", "--timeout", "0")
    assert failed.returncode == 1
    assert "FAIL GET /api/quotes/999999: HTTP 404" in failed.stdout
