"""Every lab app image, built from the one apps/Dockerfile exactly as
the lab catalogue lists it (quote 1.0.0 and 2.0.0, backend, frontend,
analytics, gateway, authors, ratings) and run as the cluster runs them: read-only root
filesystem, all capabilities dropped, numeric non-root user.

Needs a docker daemon and a base image: LAB_BASE_IMAGE, else the local
k3s-lab/python-base:3.11-bookworm (built by `python -m labtool.images.python_base` from scripts/).
A cold build takes minutes (pip installs three dependency sets); later builds hit the cache.
"""

import json
import os
import secrets
import subprocess
import time

import httpx
import pytest
from labtool.images.node import docker_problem, image_exists
from labtool import catalogue
from labtool.images import app_images
from labtool.pgserver import free_port

BASE_IMAGE = os.environ.get("LAB_BASE_IMAGE", app_images.BASE_IMAGE)
# What the lab builds: the images under test are exactly these entries.
BUILT = {f"{i['name']}:{i['version']}": i for i in catalogue.images()}
# app -> the environment variables it cannot start without, in the order its exit line names them
REQUIRED = {
    "quote": "POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD",
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
    """name:version -> the built image's tag, k3s-lab/<name>:<version>."""
    if problem := docker_problem():
        pytest.skip(problem)
    if not image_exists(BASE_IMAGE):
        pytest.skip(f"base image {BASE_IMAGE} missing: build it with `python -m labtool.images.python_base` (from scripts/)")
    try:
        return {ref: app_images.build(entry, BASE_IMAGE) for ref, entry in BUILT.items()}
    except app_images.BuildError as exc:
        pytest.fail(str(exc))


class Containers:
    """Containers on the host network (they reach loopback services), removed after the test."""

    def __init__(self):
        self.ids = []

    def run(self, image, env, port):
        env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        container = docker(
            "run", "-d", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--network", "host", *env_args, image,
            # The image's command on a free loopback port: host networking reaches the test services.
            "sh", "-c", f'exec uvicorn "$APP_MODULE" --host 127.0.0.1 --port {port} --no-access-log',
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

    def wait_ready(self, base):
        deadline = time.monotonic() + 30
        while httpx.get(base + "/readyz").status_code != 200:
            assert time.monotonic() < deadline, self.logs()[-3000:]
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


@pytest.mark.parametrize("ref", sorted(BUILT))
def test_image_runs_as_numeric_non_root_user_without_build_tools(images, ref):
    app, version = BUILT[ref]["name"], BUILT[ref]["version"]
    config = json.loads(docker("image", "inspect", images[ref]).stdout)[0]["Config"]
    assert config["User"] == "10001:10001"
    assert f"APP_MODULE={app}.main:app" in config["Env"] and f"APP_VERSION={version}" in config["Env"]
    assert "--port 8000" in " ".join(config["Cmd"])
    # Apps that read no required setting import cleanly; the others are checked by their exit line.
    load_app = "" if app in REQUIRED else f"import {app}.main; "
    probe = docker("run", "--rm", "--read-only", "--cap-drop", "ALL", images[ref], "python3", "-c",
                   f"{load_app}import os, shutil; "
                   "print(os.getuid(), [t for t in ('gcc', 'cc', 'make', 'pip') if shutil.which(t)])")
    assert probe.stdout.split(maxsplit=1) == ["10001", "[]\n"]


def test_release_switch_is_baked_as_the_major_version_of_quote(images):
    for ref in ("quote:1.0.0", "quote:2.0.0"):
        env = json.loads(docker("image", "inspect", images[ref]).stdout)[0]["Config"]["Env"]
        assert f"APP_RELEASE={ref.split(':')[1].split('.')[0]}" in env, ref


@pytest.mark.parametrize("ref", sorted(r for r in BUILT if BUILT[r]["name"] in REQUIRED))
def test_missing_settings_exit_with_one_line(images, ref):
    app = BUILT[ref]["name"]
    result = docker("run", "--rm", "--read-only", "--cap-drop", "ALL", images[ref], check=False, timeout=120)
    assert result.returncode == 78
    plural = "s" if "," in REQUIRED[app] else ""
    assert (result.stdout + result.stderr).strip() == (
        f"{app}: configuration error: missing required environment variable{plural}: {REQUIRED[app]}"
    )


def test_analytics_computes_read_only(images, containers):
    base = containers.run(images["analytics:1.0.0"], {"POD_NAME": "analytics-container"}, free_port())
    body = httpx.get(base + "/api/stats", params={"rows": 100_000}, timeout=60).json()
    assert body["pod"] == "analytics-container" and body["memory"]["peak_scope"] == "request"
    assert abs(body["columns_stats"]["c0"]["mean"]) < 0.02


def test_microservice_images_work_together(images, containers):
    authors_key, ratings_key = secrets.token_hex(16), secrets.token_hex(16)
    authors = containers.run(images["authors:1.0.0"], {"API_KEYS": authors_key}, free_port())
    ratings = containers.run(images["ratings:1.0.0"], {
        "API_KEYS": ratings_key, "AUTHORS_URL": authors, "AUTHORS_API_KEY": authors_key,
    }, free_port())
    gateway = containers.run(images["gateway:1.0.0"], {
        "AUTHORS_URL": authors, "AUTHORS_API_KEY": authors_key, "RATINGS_URL": ratings, "RATINGS_API_KEY": ratings_key,
    }, free_port())
    assert httpx.post(gateway + "/api/authors/1/ratings", json={"stars": 5}).status_code == 201
    assert httpx.get(gateway + "/api/authors/1").json()["rating"] == {"count": 1, "average": 5.0}
    assert authors_key not in containers.logs()


def test_backend_and_frontend_images_serve_pages_from_postgresql(images, containers, pg_database):
    backend = containers.run(images["backend:1.0.0"], pg_database.env(), free_port())
    containers.wait_ready(backend)
    frontend = containers.run(images["frontend:1.0.0"], {"BACKEND_URL": backend}, free_port())
    page = httpx.get(frontend + "/")
    assert page.status_code == 200 and "Raspberry Pi 5" in page.text


def test_quote_release_1_image_serves_and_writes_on_a_read_only_root(images, containers, pg_database):
    env = {**pg_database.env(), "POD_NAME": "container-pod", "APP_VERSION": "9.9.9-test"}
    base = containers.run(images["quote:1.0.0"], env, free_port())
    containers.wait_ready(base)
    assert httpx.get(base + "/healthz").json()["status"] == "alive"
    quote = httpx.get(base + "/api/quotes/random").json()
    assert quote["pod"] == "container-pod" and quote["version"] == "9.9.9-test"
    created = httpx.post(base + "/api/quotes", json={"author": "Container", "text": "Read-only and fine."})
    assert created.status_code == 201
    assert 'class="badge' not in httpx.get(base + "/").text  # release 1: no release badge
    logs = containers.logs().splitlines()
    assert logs and all(json.loads(line)["service"] == "quote" for line in logs)


def test_quote_release_2_image_has_search_and_the_badge(images, containers, pg_database):
    base = containers.run(images["quote:2.0.0"], pg_database.env(), free_port())
    containers.wait_ready(base)
    found = httpx.get(base + "/api/quotes", params={"search": "simplicity"}).json()
    assert [q["author"] for q in found["quotes"]] == ["Edsger W. Dijkstra"]
    page = httpx.get(base + "/").text
    assert 'class="badge release-2"' in page and '<strong class="version">2.0.0</strong>' in page
