"""The images of backend, frontend, analytics, gateway, authors and ratings, built from
the one parametrised apps/Dockerfile and run as the cluster runs them: read-only root
filesystem, all capabilities dropped, numeric non-root user.

Needs a docker daemon and a base image: LAB_BASE_IMAGE, else the local
k3s-lab/python-base:3.11-bookworm (built by `python -m images.python_base` from scripts/).
A cold build takes minutes (pip installs three dependency sets); later builds hit the cache.
"""

import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from images.node import docker_problem, image_exists
from pgserver import free_port

REPO = Path(__file__).resolve().parents[3]
BASE_IMAGE = os.environ.get("LAB_BASE_IMAGE", "k3s-lab/python-base:3.11-bookworm")
VERSION = "1.0.0"
# app -> the pyproject extras its image installs
APPS = {
    "backend": "app",
    "frontend": "app,micro",
    "analytics": "app,analytics",
    "gateway": "app,micro",
    "authors": "app,micro",
    "ratings": "app,micro",
}
REQUIRED = {
    "backend": "POSTGRES_HOST, POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD",
    "frontend": "BACKEND_URL",
    "gateway": "AUTHORS_URL, AUTHORS_API_KEY, RATINGS_URL, RATINGS_API_KEY",
    "authors": "API_KEYS",
    "ratings": "API_KEYS, AUTHORS_URL, AUTHORS_API_KEY",
}


def docker(*args, check=True, timeout=1200):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture(scope="module")
def images():
    if problem := docker_problem():
        pytest.skip(problem)
    if not image_exists(BASE_IMAGE):
        pytest.skip(f"base image {BASE_IMAGE} missing: build it with `python -m images.python_base` (from scripts/)")
    built = {}
    for app, extras in APPS.items():
        tag = f"k3s-lab/{app}:{VERSION}"
        build = docker("build", "-f", "apps/Dockerfile", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}",
                       "--build-arg", f"APP={app}", "--build-arg", f"EXTRAS={extras}",
                       "--build-arg", f"APP_VERSION={VERSION}", "-t", tag, str(REPO), check=False)
        assert build.returncode == 0, build.stderr[-3000:]
        built[app] = tag
    return built


class Containers:
    """Containers on the host network (they reach loopback services), removed after the test."""

    def __init__(self):
        self.ids = []

    def run(self, image, env, port, module="$APP_MODULE"):
        env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        container = docker(
            "run", "-d", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--network", "host", *env_args, image,
            "sh", "-c", f'exec uvicorn "{module}" --host 127.0.0.1 --port {port} --no-access-log',
        ).stdout.strip()
        self.ids.append(container)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, docker("logs", container, check=False).stderr[-3000:]
            time.sleep(0.3)

    def logs(self):
        return "".join(docker("logs", c, check=False).stderr for c in self.ids)

    def remove(self):
        for container in self.ids:
            docker("rm", "-f", container, check=False)


@pytest.fixture
def containers():
    running = Containers()
    yield running
    running.remove()


@pytest.mark.parametrize("app", sorted(APPS))
def test_image_is_non_root_without_pip_and_runs_its_app(images, app):
    config = json.loads(docker("image", "inspect", images[app]).stdout)[0]["Config"]
    assert config["User"] == "10001:10001"
    assert f"APP_MODULE={app}.main:app" in config["Env"] and f"APP_VERSION={VERSION}" in config["Env"]
    probe = docker("run", "--rm", "--read-only", images[app], "python3", "-c",
                   f"import os, shutil, {app}.main as _; print(os.getuid(), shutil.which('pip'))", check=False)
    if app in REQUIRED:  # importing the app reads its settings: the one-line exit proves the import chain
        assert probe.returncode == 78
        assert probe.stderr.strip().endswith(REQUIRED[app].split(", ")[-1])
    else:
        assert probe.stdout.split() == ["10001", "None"]


@pytest.mark.parametrize("app", sorted(REQUIRED))
def test_missing_settings_exit_with_one_line(images, app):
    result = docker("run", "--rm", "--read-only", "--cap-drop", "ALL", images[app], check=False, timeout=120)
    assert result.returncode == 78
    plural = "s" if "," in REQUIRED[app] else ""
    assert (result.stdout + result.stderr).strip() == (
        f"{app}: configuration error: missing required environment variable{plural}: {REQUIRED[app]}"
    )


def test_analytics_computes_read_only(images, containers):
    base = containers.run(images["analytics"], {"POD_NAME": "analytics-container"}, free_port())
    body = httpx.get(base + "/api/stats", params={"rows": 100_000}, timeout=60).json()
    assert body["pod"] == "analytics-container" and body["memory"]["peak_scope"] == "request"
    assert abs(body["columns_stats"]["c0"]["mean"]) < 0.02


def test_microservice_images_work_together(images, containers):
    authors_key, ratings_key = secrets.token_hex(16), secrets.token_hex(16)
    authors = containers.run(images["authors"], {"API_KEYS": authors_key}, free_port())
    ratings = containers.run(
        images["ratings"], {"API_KEYS": ratings_key, "AUTHORS_URL": authors, "AUTHORS_API_KEY": authors_key}, free_port()
    )
    gateway = containers.run(images["gateway"], {
        "AUTHORS_URL": authors, "AUTHORS_API_KEY": authors_key, "RATINGS_URL": ratings, "RATINGS_API_KEY": ratings_key,
    }, free_port())
    assert httpx.post(gateway + "/api/authors/1/ratings", json={"stars": 5}).status_code == 201
    assert httpx.get(gateway + "/api/authors/1").json()["rating"] == {"count": 1, "average": 5.0}
    assert authors_key not in containers.logs()


def test_backend_and_frontend_images_serve_pages_from_postgresql(images, containers, pg_database):
    backend = containers.run(images["backend"], pg_database.env(), free_port())
    deadline = time.monotonic() + 30
    while httpx.get(backend + "/readyz").status_code != 200:
        assert time.monotonic() < deadline, containers.logs()[-3000:]
        time.sleep(0.3)
    frontend = containers.run(images["frontend"], {"BACKEND_URL": backend}, free_port())
    page = httpx.get(frontend + "/")
    assert page.status_code == 200 and "Raspberry Pi 5" in page.text


def test_quote_release_2_image_has_search_and_the_badge(images, containers, pg_database):
    # images: only for its skip checks; quote has its own Dockerfile (apps/quote/Dockerfile).
    tag = "k3s-lab/quote:2.0.0"
    build = docker("build", "-f", "apps/quote/Dockerfile", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}",
                   "--build-arg", "APP_VERSION=2.0.0", "--build-arg", "APP_RELEASE=2", "-t", tag, str(REPO), check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    base = containers.run(tag, pg_database.env(), free_port(), module="quote.main:app")
    deadline = time.monotonic() + 30
    while httpx.get(base + "/readyz").status_code != 200:
        assert time.monotonic() < deadline, containers.logs()[-3000:]
        time.sleep(0.3)
    found = httpx.get(base + "/api/quotes", params={"search": "simplicity"}).json()
    assert [q["author"] for q in found["quotes"]] == ["Edsger W. Dijkstra"]
    page = httpx.get(base + "/").text
    assert 'class="badge release-2"' in page and '<strong class="version">2.0.0</strong>' in page
