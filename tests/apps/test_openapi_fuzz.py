"""Every app fuzzed from its own /openapi.json by schemathesis: each answer must be a
status the document declares, with a body and headers that match it, never a server
error, no route let through without its key or token; data the schema allows must be
accepted and data it forbids refused (and the rest of schemathesis's checks). The apps
run as real uvicorn processes, on real PostgreSQL and with their real upstream services,
so the contract checked is the one clients get.

schemathesis runs as its command line: its pytest plugin does not load lazily from a
fixture under this pytest (9.2), and the command also runs its coverage and stateful
phases. Deterministic generation makes every run send the same requests."""

import contextlib
import itertools
import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from analytics.settings import MAX_COLUMNS
from labtool.appprocess import AppProcess

HOOKS = Path(__file__).resolve().parent / "openapi_fuzz_hooks.py"
API_KEY = "fuzz-" + secrets.token_hex(8)
ADMIN_TOKEN = "fuzz-admin-" + secrets.token_hex(8)
# The default row count (a lower cap would refuse the default itself), and a cells cap
# of rows x the widest dataset: the schema's maximum is then the only limit on rows.
ANALYTICS_MAX_ROWS = 100_000
MAX_EXAMPLES = 25  # per operation and phase: all seven apps in about two minutes on 2 cores
# Every check but one: the Allow header of a 405 names only the methods of one of the
# routes sharing its path (Starlette answers from the first it matches). Known, and a
# change of behaviour to fix, so left for later.
CHECKS = ("--checks", "all", "--exclude-checks", "allow_header_conformance")

_numbers = itertools.count(1)


def _stack(name, database):
    """(target, env) of every process the app needs, upstreams first, the app last;
    "{0}", "{1}" in a value are the base URLs of the processes started before."""
    keys = {"API_KEYS": API_KEY}
    ratings = ("ratings.main:app", {**keys, "AUTHORS_URL": "{0}", "AUTHORS_API_KEY": API_KEY})
    return {
        "quote": [("quote.main:app", {**database(), "ADMIN_TOKEN": ADMIN_TOKEN, "APP_RELEASE": "2"})],
        "backend": [("backend.main:app", {**database(), "ADMIN_TOKEN": ADMIN_TOKEN})],
        "analytics": [("analytics.main:app", {
            "ANALYTICS_MAX_ROWS": str(ANALYTICS_MAX_ROWS),
            "ANALYTICS_MAX_CELLS": str(ANALYTICS_MAX_ROWS * MAX_COLUMNS),
            "ADMIN_TOKEN": ADMIN_TOKEN,
        })],
        "frontend": [
            ("backend.main:app", database()),
            ("frontend.main:app", {"BACKEND_URL": "{0}", "ADMIN_TOKEN": ADMIN_TOKEN}),
        ],
        "authors": [("authors.main:app", keys)],
        "ratings": [("authors.main:app", keys), ratings],
        "gateway": [
            ("authors.main:app", keys),
            ratings,
            ("gateway.main:app", {
                "AUTHORS_URL": "{0}", "AUTHORS_API_KEY": API_KEY, "RATINGS_URL": "{1}", "RATINGS_API_KEY": API_KEY,
            }),
        ],
    }[name]


@pytest.mark.parametrize("app", ["quote", "backend", "analytics", "frontend", "authors", "ratings", "gateway"])
def test_every_answer_is_declared_in_the_apps_openapi_document(app, request, tmp_path):
    with contextlib.ExitStack() as stack:

        def database():
            server = request.getfixturevalue("pg_server")
            return stack.enter_context(server.fresh_database(f"fuzz_{next(_numbers)}")).env()

        urls = []
        for target, env in _stack(app, database):
            env = {key: value.format(*urls) for key, value in env.items()}
            process = stack.enter_context(AppProcess(target, {**env, "POD_NAME": f"fuzz-{app}"}))
            process.wait_for("/readyz")
            urls.append(process.base_url)
        # An empty schema matches any body, so the fuzzer cannot see it: look for them here.
        document = httpx.get(f"{urls[-1]}/openapi.json").json()
        empty = [
            f"{method.upper()} {path} {status}"
            for path, operations in document["paths"].items()
            for method, operation in operations.items()
            for status, response in operation["responses"].items()
            if status != "204" and not all(media.get("schema") for media in response.get("content", {"-": {}}).values())
        ]
        assert not empty, f"answers declared without a schema: {empty}"
        run = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "run", f"{urls[-1]}/openapi.json",
                *CHECKS, "--max-examples", str(MAX_EXAMPLES),
                "--generation-deterministic", "--workers", "1", "--no-color",
                # The keys are made for this run; unsanitised, "author_id" stays readable.
                "--output-sanitize", "false",
                "--header", f"X-API-Key: {API_KEY}", "--header", f"Authorization: Bearer {ADMIN_TOKEN}",
            ],
            # In tmp_path: schemathesis caches past failures under the working directory,
            # and replaying them would make runs depend on the ones before.
            capture_output=True, text=True, cwd=tmp_path, timeout=300,
            env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
        )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
