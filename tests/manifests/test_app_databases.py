"""The app-databases Job of the workload_secrets role: its script, run for real with
psql against a real PostgreSQL server, gives each app its own login role and database
(idempotently, and re-setting a rotated password), and the backend app starts on what
it created. The Job itself runs the server's image, reads only Secrets the role creates,
and is admitted to PostgreSQL by the quote-db policies; its schema and workload policies
are checked with the restore Job's in test_restore_job.py."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess

import httpx
import psycopg
import pytest
from labtool import catalogue

from manifest_render import app_databases_job, lab_namespace, render
from network_flows import Flows

# Run exactly as the Job runs it: its container's command.
COMMAND = app_databases_job()["spec"]["template"]["spec"]["containers"][0]["command"]


def run_script(pg_server, apps: dict[str, tuple[str, str, str]]) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{pg_server.bin_dir}:{os.environ['PATH']}",
        "PGHOST": pg_server.host, "PGPORT": str(pg_server.port), "PGUSER": pg_server.superuser,
        "PGPASSWORD": pg_server.password, "PGDATABASE": "postgres_admin_db",
        "APP_DATABASES": " ".join(apps),
    }
    for prefix, (db, user, password) in apps.items():
        env |= {f"{prefix}_DB": db, f"{prefix}_USER": user, f"{prefix}_PASSWORD": password}
    return subprocess.run(["bash", *COMMAND[1:]], env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture
def server(pg_server):
    if shutil.which("bash") is None:
        pytest.skip("bash missing")
    with pg_server.admin_connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS postgres_admin_db")
        conn.execute("CREATE DATABASE postgres_admin_db")
    yield pg_server
    with pg_server.admin_connect() as conn:
        for db in ("db_backend", "db_catalogue", "postgres_admin_db"):
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
        for role in ("role_backend", "role_catalogue"):
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def connect(server, db: str, user: str, password: str) -> psycopg.Connection:
    return psycopg.connect(host=server.host, port=server.port, dbname=db, user=user, password=password,
                           connect_timeout=5)


def test_each_app_gets_its_own_role_and_database_idempotently(server) -> None:
    pw_b, pw_c = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    apps = {"BACKEND": ("db_backend", "role_backend", pw_b), "CATALOGUE": ("db_catalogue", "role_catalogue", pw_c)}
    first = run_script(server, apps)
    assert first.returncode == 0, first.stderr
    assert pw_b not in first.stdout + first.stderr and pw_c not in first.stdout + first.stderr
    again = run_script(server, apps)
    assert again.returncode == 0, again.stderr

    with connect(server, "db_backend", "role_backend", pw_b) as conn:
        conn.execute("CREATE TABLE t (x int)")  # the owner may create its schema
        rolsuper, rolcreatedb = conn.execute(
            "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()
        assert (rolsuper, rolcreatedb) == (False, False)
    # Neither app reaches the other's database, nor the server's own (quote) database.
    for db in ("db_catalogue", "postgres_admin_db"):
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            connect(server, db, "role_backend", pw_b)
    with connect(server, "db_catalogue", "role_catalogue", pw_c):
        pass


def test_a_rotated_password_is_applied_on_the_next_run(server) -> None:
    assert run_script(server, {"BACKEND": ("db_backend", "role_backend", "old-" + "x" * 20)}).returncode == 0
    new = secrets.token_urlsafe(24)
    assert run_script(server, {"BACKEND": ("db_backend", "role_backend", new)}).returncode == 0
    with connect(server, "db_backend", "role_backend", new):
        pass
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(server, "db_backend", "role_backend", "old-" + "x" * 20)


@pytest.mark.parametrize("bad", [("db_backend", "SUPERUSER"), ("postgres", "role_backend"),
                                 ("postgres_admin_db", "role_backend")])
def test_refuses_the_superuser_and_reserved_databases(server, bad: tuple[str, str]) -> None:
    db, user = bad
    result = run_script(server, {"BACKEND": (db, server.superuser if user == "SUPERUSER" else user, "p" * 24)})
    assert result.returncode == 2 and "may not use" in result.stderr


def test_missing_variable_is_named(server) -> None:
    result = run_script(server, {"BACKEND": ("db_backend", "role_backend", "")})
    assert result.returncode != 0 and "BACKEND_PASSWORD" in result.stderr


def test_backend_app_becomes_ready_on_its_database(server, run_app) -> None:
    password = secrets.token_urlsafe(24)
    assert run_script(server, {"BACKEND": ("db_backend", "role_backend", password)}).returncode == 0
    app = run_app("backend.main:app", {
        "POSTGRES_HOST": server.host, "POSTGRES_PORT": str(server.port), "POSTGRES_DB": "db_backend",
        "POSTGRES_USER": "role_backend", "POSTGRES_PASSWORD": password,
    })
    app.wait_for("/readyz", timeout=60)
    created = httpx.post(f"{app.base_url}/api/items", json={"name": "lamp", "price_cents": 1200}, timeout=10)
    assert created.status_code == 201, created.text


def test_job_uses_the_server_image_and_every_database_secret() -> None:
    job = app_databases_job()
    container = job["spec"]["template"]["spec"]["containers"][0]
    statefulset = next(o for o in lab_namespace(catalogue.database()["namespace"]) if o["kind"] == "StatefulSet")
    assert container["image"] == statefulset["spec"]["template"]["spec"]["containers"][0]["image"]
    env = {e["name"]: e for e in container["env"]}
    assert env["APP_DATABASES"]["value"].split() == ["BACKEND", "CATALOGUE"]
    for prefix, secret in (("BACKEND", "backend-db-credentials"), ("CATALOGUE", "catalogue-db-credentials")):
        for suffix in ("DB", "USER", "PASSWORD"):
            assert env[f"{prefix}_{suffix}"]["valueFrom"]["secretKeyRef"]["name"] == secret


def test_job_reaches_postgres_and_nothing_else() -> None:
    lab = list(render("overlays/lab"))
    flows = Flows(lab + [app_databases_job()]).matrix() - Flows(lab).matrix()
    assert flows == {("quote-db/postgres-app-databases", "quote-db/postgres", 5432)}
