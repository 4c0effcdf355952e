"""Missing or invalid configuration ends the real process with one readable line."""

import subprocess
import sys

import pytest
from labtool.appprocess import app_env

FULL_ENV = {
    "POSTGRES_HOST": "127.0.0.1",
    "POSTGRES_PORT": "5432",
    "POSTGRES_DB": "quotes",
    "POSTGRES_USER": "quote",
    "POSTGRES_PASSWORD": "not-used-the-process-exits-first",
}


def run_uvicorn(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "uvicorn", "quote.main:app", "--port", "0"],
        env=app_env(env), capture_output=True, text=True, timeout=30,
    )


@pytest.mark.parametrize("missing", sorted(FULL_ENV))
def test_each_required_variable_is_named_when_missing(missing):
    env = {k: v for k, v in FULL_ENV.items() if k != missing}
    result = run_uvicorn(env)
    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    assert output == f"quote: configuration error: missing required environment variable: {missing}"


def test_all_missing_variables_are_named_in_one_line():
    result = run_uvicorn({"POSTGRES_HOST": "db"})
    assert result.returncode != 0
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert lines == [
        "quote: configuration error: missing required environment variables: "
        "POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD"
    ]


def test_invalid_port_is_named_with_its_value():
    result = run_uvicorn({**FULL_ENV, "POSTGRES_PORT": "five-four-three-two"})
    assert result.returncode != 0
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1
    assert "POSTGRES_PORT='five-four-three-two'" in lines[0]
    assert "not-used" not in lines[0]  # the password never appears in the output
