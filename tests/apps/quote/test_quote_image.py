"""The quote container image, built for real and run read-only as non-root.

Needs a docker daemon and a base image: QUOTE_BASE_IMAGE, else the local
k3s-lab/python-base:3.11-bookworm (built by `python -m images.python_base` from scripts/).
"""

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from images.node import docker_problem, image_exists
from pgserver import free_port
from quote_testing import quote_env

REPO = Path(__file__).resolve().parents[3]
BASE_IMAGE = os.environ.get("QUOTE_BASE_IMAGE", "k3s-lab/python-base:3.11-bookworm")
IMAGE = "k3s-lab/quote:1.0.0"


def docker(*args, check=True, timeout=900):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture(scope="module")
def image():
    if problem := docker_problem():
        pytest.skip(problem)
    if not image_exists(BASE_IMAGE):
        pytest.skip(f"base image {BASE_IMAGE} missing: build it with `python -m images.python_base` (from scripts/)")
    build = docker("build", "-f", "apps/quote/Dockerfile", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}",
                   "-t", IMAGE, str(REPO), check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    return IMAGE


def test_image_runs_as_numeric_non_root_user_without_build_tools(image):
    config = json.loads(docker("image", "inspect", image).stdout)[0]["Config"]
    assert config["User"] == "10001:10001"
    assert "quote.main:app" in config["Cmd"] and "8000" in config["Cmd"]
    assert "APP_VERSION=1.0.0" in config["Env"]
    probe = docker("run", "--rm", image, "python3", "-c",
                   "import shutil, os; print(os.getuid(), [t for t in ('gcc', 'cc', 'make', 'pip') if shutil.which(t)])")
    assert probe.stdout.split(maxsplit=1) == ["10001", "[]\n"]


def test_image_serves_with_read_only_root_filesystem(image, pg_database):
    port = free_port()
    env = quote_env(pg_database, POD_NAME="container-pod")
    env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    container = docker(
        "run", "-d", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--network", "host", *env_args, image,
        # Same command as the image's CMD, on a free port: host networking reaches the test database.
        "uvicorn", "quote.main:app", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ).stdout.strip()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, docker("logs", container, check=False).stderr[-3000:]
            time.sleep(0.3)
        assert httpx.get(base + "/healthz").json()["status"] == "alive"
        quote = httpx.get(base + "/api/quotes/random").json()
        assert quote["pod"] == "container-pod" and quote["version"] == "9.9.9-test"
        created = httpx.post(base + "/api/quotes", json={"author": "Container", "text": "Read-only and fine."})
        assert created.status_code == 201
        logs = docker("logs", container).stderr.splitlines()
        assert logs and all(json.loads(line)["service"] == "quote" for line in logs)
    finally:
        docker("rm", "-f", container, check=False)


def test_missing_variable_in_container_exits_with_one_line(image):
    result = docker("run", "--rm", "--read-only", image, check=False, timeout=120)
    assert result.returncode == 78
    assert (result.stdout + result.stderr).strip() == (
        "quote: configuration error: missing required environment variables: "
        "POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD"
    )
