"""Frontend + backend as two real uvicorn processes on loopback, backend on real
PostgreSQL: the pages, and what users see while the backend is down and after."""

import socket
import time

import httpx
import pytest
from labtool.appprocess import AppProcess

FRONTEND_POD = "frontend-test-pod"
BACKEND_POD = "backend-for-frontend"


def backend_env(database):
    return {**database.env(), "POD_NAME": BACKEND_POD}


def frontend_env(backend_url, **extra):
    return {
        "BACKEND_URL": backend_url,
        "POD_NAME": FRONTEND_POD,
        "BACKEND_BREAKER_THRESHOLD": "3",
        "BACKEND_BREAKER_COOLDOWN_MS": "500",
        **extra,
    }


@pytest.fixture(scope="module")
def stack(module_db):
    with AppProcess("backend.main:app", backend_env(module_db)) as backend:
        backend.wait_for("/readyz")
        with AppProcess("frontend.main:app", frontend_env(backend.base_url)) as frontend:
            frontend.wait_for("/readyz")
            yield backend, frontend


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack[1].base_url, timeout=10) as client:
        yield client


def test_index_lists_backend_items_with_both_pods(http, stack):
    backend = stack[0]
    names = [item["name"] for item in httpx.get(backend.base_url + "/api/items", params={"limit": 10}).json()["items"]]
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name in names:
        assert name in page.text
    assert f'<strong class="pod">{FRONTEND_POD}</strong>' in page.text
    assert f'<strong class="backend-pod">{BACKEND_POD}</strong>' in page.text


def test_item_names_are_escaped_and_detail_page_shows_the_item(http, stack):
    item = httpx.post(
        stack[0].base_url + "/api/items",
        json={"name": "<script>alert(1)</script>", "description": "a & b", "price_cents": 1234},
    ).json()
    page = http.get(f"/items/{item['id']}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>" not in page.text
    assert "a &amp; b" in page.text and '<span class="price">12.34</span>' in page.text


def test_pagination_links_follow_the_backend_total(http, stack):
    for n in range(12):
        httpx.post(stack[0].base_url + "/api/items", json={"name": f"bulk item {n}", "price_cents": n})
    total = httpx.get(stack[0].base_url + "/api/items").json()["total"]
    pages = -(-total // 10)
    first = http.get("/").text
    assert f"page 1 of {pages}" in first and 'rel="next" href="/?page=2"' in first and 'rel="prev"' not in first
    last = http.get("/", params={"page": pages}).text
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_missing_item_is_404_page(http):
    response = http.get("/items/987654321")
    assert response.status_code == 404 and "There is no item 987654321." in response.text


@pytest.mark.parametrize("path", ["/?page=0", "/?page=abc", "/items/abc", "/items/0", f"/items/{2**63}"])
def test_bad_input_is_422_json(http, path):
    response = http.get(path)
    assert response.status_code == 422
    assert response.json()["pod"] == FRONTEND_POD


def test_backend_down_gives_degraded_page_then_recovers(stack, module_db):
    backend, frontend = stack
    port = backend.port
    backend.stop()
    with httpx.Client(base_url=frontend.base_url, timeout=10) as http:
        for _ in range(5):  # enough to open the breaker (threshold 3): still a page every time
            response = http.get("/")
            assert response.status_code == 503
            assert "The catalogue is temporarily unavailable" in response.text
            assert response.headers["retry-after"] == "5"
        assert http.get("/items/1").status_code == 503
        frontend.wait_for("/readyz", status=503)
        assert http.get("/healthz").status_code == 200
        assert frontend.process.poll() is None

        with AppProcess("backend.main:app", backend_env(module_db), port=port) as restarted:
            restarted.wait_for("/readyz")
            frontend.wait_for("/readyz")
            deadline = time.monotonic() + 10
            while (status := http.get("/").status_code) != 200 and time.monotonic() < deadline:
                time.sleep(0.2)  # the breaker lets a trial call through after its 0.5 s cooldown
            assert status == 200
            assert "bulk item" in http.get("/", params={"page": 2}).text
    assert frontend.process.poll() is None


def test_a_hanging_backend_times_out_into_the_degraded_page(run_app):
    with socket.socket() as silent:  # accepts connections (kernel backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        frontend = run_app("frontend.main:app", frontend_env(url, BACKEND_TIMEOUT_MS="300"))
        frontend.wait_for("/healthz")
        started = time.monotonic()
        response = httpx.get(frontend.base_url + "/", timeout=10)
        elapsed = time.monotonic() - started
    assert response.status_code == 503 and "temporarily unavailable" in response.text
    assert elapsed < 2.5  # two attempts of 0.3 s plus backoff, not a hang
    assert '"reason": "timed out"' in frontend.logs()


def test_missing_backend_url_exits_with_one_line(config_error):
    output = config_error("frontend.main:app", {})
    assert output == "frontend: configuration error: missing required environment variable: BACKEND_URL"
