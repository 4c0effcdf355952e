"""Gateway -> ratings -> authors (and gateway -> authors) as real uvicorn processes on
loopback: API-key auth with rotation, retries, the circuit breaker, one trace per request."""

import contextlib
import json
import re
import secrets
import time
from pathlib import Path

import httpx
import pytest
from labtool.appprocess import AppProcess
from labtool.pgserver import free_port

HERE = Path(__file__).resolve().parent
AUTHORS_OLD_KEY = "authors-old-" + secrets.token_hex(8)
AUTHORS_NEW_KEY = "authors-new-" + secrets.token_hex(8)
RATINGS_KEY = "ratings-" + secrets.token_hex(8)
COOLDOWN_S = 1.0


def gateway_env(authors_url, ratings_url, **extra):
    return {
        "AUTHORS_URL": authors_url, "AUTHORS_API_KEY": AUTHORS_NEW_KEY,
        "RATINGS_URL": ratings_url, "RATINGS_API_KEY": RATINGS_KEY,
        "AUTHORS_RETRIES": "2", "AUTHORS_BREAKER_THRESHOLD": "3",
        "AUTHORS_BREAKER_COOLDOWN_MS": str(int(COOLDOWN_S * 1000)), "AUTHORS_TIMEOUT_MS": "1000",
        "RATINGS_TIMEOUT_MS": "1000", "POD_NAME": "gateway-test",
        **extra,
    }


@pytest.fixture(scope="module")
def services():
    """authors (mid-rotation: old and new key), ratings (calls authors with the OLD key),
    a flaky proxy in front of authors for the gateway, and the gateway (NEW key)."""
    with contextlib.ExitStack() as stack:

        def start(target, env, **kwargs):
            return stack.enter_context(AppProcess(target, env, **kwargs))

        authors = start("authors.main:app", {"API_KEYS": f"{AUTHORS_OLD_KEY},{AUTHORS_NEW_KEY}", "POD_NAME": "authors-test"})
        ratings = start("ratings.main:app", {
            "API_KEYS": RATINGS_KEY, "AUTHORS_URL": authors.base_url, "AUTHORS_API_KEY": AUTHORS_OLD_KEY,
            "POD_NAME": "ratings-test",
        })
        flaky = start("flaky_proxy:app", {"FLAKY_TARGET": authors.base_url}, extra_args=("--app-dir", str(HERE)))
        gateway = start("gateway.main:app", gateway_env(flaky.base_url, ratings.base_url))
        for process in (authors, ratings, gateway):
            process.wait_for("/readyz")
        flaky.wait_for("/_flaky")
        yield {"authors": authors, "ratings": ratings, "flaky": flaky, "gateway": gateway}


@pytest.fixture
def flaky(services):
    url = services["flaky"].base_url + "/_flaky"

    class Flaky:
        def set(self, **changes):
            return httpx.post(url, json=changes).json()

        def state(self):
            return httpx.get(url).json()

    controller = Flaky()
    yield controller
    controller.set(fail_next=0, down=False, status=503)


def log_lines(process):
    lines = []
    for line in process.logs().splitlines():
        with contextlib.suppress(ValueError):
            lines.append(json.loads(line))
    return lines


def metric(process, name, labels):
    text = httpx.get(process.base_url + "/metrics").text
    match = re.search(rf'^{name}\{{{labels}\}} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


# --- authentication -----------------------------------------------------------

def test_services_need_a_key_from_their_set_and_never_log_it(services):
    authors = services["authors"].base_url
    assert httpx.get(authors + "/api/authors").status_code == 401
    wrong = httpx.get(authors + "/api/authors", headers={"X-API-Key": "wrong-" + AUTHORS_OLD_KEY})
    assert wrong.status_code == 401 and wrong.json()["message"].startswith("invalid API key")
    for key in (AUTHORS_OLD_KEY, AUTHORS_NEW_KEY):  # mid-rotation both work
        assert httpx.get(authors + "/api/authors/1", headers={"X-API-Key": key}).json()["name"] == "Grace Hopper"
    assert httpx.get(authors + "/healthz").status_code == 200  # probes need no key
    assert httpx.post(services["ratings"].base_url + "/api/ratings", json={"author_id": 1, "stars": 5}).status_code == 401
    logs = services["authors"].logs()
    rejected = [line for line in log_lines(services["authors"]) if line["msg"].startswith("request rejected")]
    assert {line["msg"] for line in rejected} == {"request rejected: missing API key", "request rejected: invalid API key"}
    assert "wrong-" + AUTHORS_OLD_KEY not in logs and AUTHORS_OLD_KEY not in logs and AUTHORS_NEW_KEY not in logs


def test_rotation_finished_old_key_is_refused_and_a_gateway_still_on_it_says_so(services, run_app):
    rotated = run_app("authors.main:app", {"API_KEYS": AUTHORS_NEW_KEY})
    rotated.wait_for("/readyz")
    assert httpx.get(rotated.base_url + "/api/authors", headers={"X-API-Key": AUTHORS_OLD_KEY}).status_code == 401
    assert httpx.get(rotated.base_url + "/api/authors", headers={"X-API-Key": AUTHORS_NEW_KEY}).status_code == 200
    stale = run_app("gateway.main:app", gateway_env(rotated.base_url, services["ratings"].base_url, AUTHORS_API_KEY=AUTHORS_OLD_KEY))
    stale.wait_for("/readyz")
    response = httpx.get(stale.base_url + "/api/authors")
    assert response.status_code == 502 and "refused the gateway's credentials" in response.json()["message"]
    assert AUTHORS_OLD_KEY not in stale.logs() + rotated.logs()


def test_short_or_missing_keys_stop_the_service_with_one_line(config_error):
    assert config_error("authors.main:app", {"API_KEYS": "short"}) == (
        "authors: configuration error: invalid environment variable: "
        "API_KEYS (a comma-separated list of keys, each at least 16 characters)"
    )


# --- the request path -----------------------------------------------------------

def test_rating_through_the_gateway_reaches_ratings_which_checks_authors(services):
    gateway = services["gateway"].base_url
    created = httpx.post(gateway + "/api/authors/4/ratings", json={"stars": 5})
    assert created.status_code == 201 and created.json()["count"] == 1
    httpx.post(gateway + "/api/authors/4/ratings", json={"stars": 2})
    page = httpx.get(gateway + "/api/authors/4").json()
    assert page["author"]["name"] == "Leslie Lamport"
    assert page["rating"] == {"count": 2, "average": 3.5} and page["degraded"] == []
    listing = httpx.get(gateway + "/api/authors", params={"limit": 2, "offset": 1}).json()
    assert [a["id"] for a in listing["authors"]] == [2, 3] and listing["total"] == 6


def test_unknown_author_is_404_everywhere(services):
    gateway = services["gateway"].base_url
    assert httpx.get(gateway + "/api/authors/999").status_code == 404
    response = httpx.post(gateway + "/api/authors/999/ratings", json={"stars": 3})
    assert response.status_code == 404 and response.json()["message"] == "author 999 not found"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/authors/1/ratings", {"stars": 0}),
        ("POST", "/api/authors/1/ratings", {"stars": 6}),
        ("POST", "/api/authors/1/ratings", {"stars": "5"}),
        ("POST", "/api/authors/1/ratings", {}),
        ("POST", "/api/authors/1/ratings", {"stars": 3, "extra": 1}),
        ("POST", "/api/authors/abc/ratings", {"stars": 3}),
        ("GET", "/api/authors/0", None),
        ("GET", "/api/authors?limit=1000", None),
    ],
)
def test_bad_input_is_422_at_the_gateway(services, method, path, body):
    response = httpx.request(method, services["gateway"].base_url + path, json=body)
    assert response.status_code == 422 and response.json()["pod"] == "gateway-test"


def test_ratings_down_degrades_the_author_page_instead_of_failing_it(services, run_app):
    dead = f"http://127.0.0.1:{free_port()}"
    gateway = run_app("gateway.main:app", gateway_env(services["authors"].base_url, dead))
    gateway.wait_for("/readyz")
    page = httpx.get(gateway.base_url + "/api/authors/2")
    assert page.status_code == 200
    assert page.json()["author"]["name"] == "Edsger W. Dijkstra"
    assert page.json()["rating"] is None and page.json()["degraded"] == ["ratings"]
    rate = httpx.post(gateway.base_url + "/api/authors/2/ratings", json={"stars": 4})
    assert rate.status_code == 503 and "ratings service unreachable" in rate.json()["message"]


# --- retries and the circuit breaker ------------------------------------------------

def test_a_flaky_upstream_is_retried_with_backoff(services, flaky):
    gateway = services["gateway"]
    before_requests = flaky.state()["requests"]
    before_retries = metric(gateway, "upstream_retries_total", 'upstream="authors"')
    flaky.set(fail_next=2, status=503)
    response = httpx.get(gateway.base_url + "/api/authors")
    assert response.status_code == 200 and response.json()["total"] == 6
    assert flaky.state()["requests"] - before_requests == 3  # 2 failures + 1 success
    assert metric(gateway, "upstream_retries_total", 'upstream="authors"') - before_retries == 2


def test_retries_are_bounded(services, flaky):
    before = flaky.state()["requests"]
    flaky.set(fail_next=10, status=502)
    response = httpx.get(services["gateway"].base_url + "/api/authors")
    assert response.status_code == 502 and "authors service failed" in response.json()["message"]
    assert flaky.state()["requests"] - before == 3  # 1 try + AUTHORS_RETRIES=2
    flaky.set(fail_next=0)
    assert httpx.get(services["gateway"].base_url + "/api/authors").status_code == 200  # resets the failure count


def test_breaker_opens_fails_fast_half_opens_and_recovers(services, flaky):
    gateway = services["gateway"]
    url = gateway.base_url + "/api/authors/1"
    state = lambda: metric(gateway, "circuit_breaker_state", 'upstream="authors"')  # noqa: E731
    assert state() == 0

    flaky.set(down=True)
    for _ in range(3):  # AUTHORS_BREAKER_THRESHOLD=3 failed calls (each retried twice)
        assert httpx.get(url).status_code == 502
    assert state() == 2  # open
    seen = flaky.state()["requests"]
    started = time.monotonic()
    fast = httpx.get(url)
    assert fast.status_code == 503 and "circuit breaker open" in fast.json()["message"]
    assert time.monotonic() - started < 0.2
    assert flaky.state()["requests"] == seen  # failing fast: nothing was sent

    time.sleep(COOLDOWN_S + 0.2)  # half-open: the next call is a trial, and it fails: open again
    assert httpx.get(url).status_code == 502
    assert flaky.state()["requests"] > seen and state() == 2
    assert "circuit breaker open" in httpx.get(url).json()["message"]

    flaky.set(down=False)
    assert "circuit breaker open" in httpx.get(url).json()["message"]  # still cooling down
    time.sleep(COOLDOWN_S + 0.2)
    assert httpx.get(url).status_code == 200  # the trial succeeds: closed
    assert state() == 0
    assert all(httpx.get(url).status_code == 200 for _ in range(3))
    transitions = [line["breaker"] for line in log_lines(gateway) if line.get("upstream") == "authors" and "breaker" in line]
    assert transitions[-5:] == ["opened", "half-opened", "opened", "half-opened", "closed"]


# --- tracing ----------------------------------------------------------------

def access_lines(process, path_prefix):
    return [line for line in log_lines(process) if line.get("msg") == "request" and line.get("path", "").startswith(path_prefix)]


def traced_access_line(process, path_prefix, **match):
    """The access line for a request; a service writes it just after the response is sent."""
    deadline = time.monotonic() + 5
    while True:
        for line in access_lines(process, path_prefix):
            if all(line.get(key) == value for key, value in match.items()):
                return line
        assert time.monotonic() < deadline, f"no access line for {path_prefix} {match} in:\n{process.logs()[-2000:]}"
        time.sleep(0.05)


def test_one_trace_id_across_every_hop_from_the_callers_traceparent(services):
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    response = httpx.post(services["gateway"].base_url + "/api/authors/5/ratings", json={"stars": 4},
                          headers={"traceparent": traceparent})
    assert response.status_code == 201
    traced_access_line(services["gateway"], "/api/authors/5/ratings", trace_id=trace_id)
    traced_access_line(services["ratings"], "/api/ratings", trace_id=trace_id)
    traced_access_line(services["authors"], "/api/authors/5", trace_id=trace_id)


def test_the_gateway_starts_a_trace_and_sends_w3c_traceparent_downstream(services, flaky):
    response = httpx.get(services["gateway"].base_url + "/api/authors/6")
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    trace_id = traced_access_line(services["gateway"], "/api/authors/6", request_id=request_id)["trace_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id) and trace_id != "0" * 32
    sent = flaky.state()["last_traceparent"]  # what the gateway put on the wire to authors
    assert re.fullmatch(rf"00-{trace_id}-[0-9a-f]{{16}}-[0-9a-f]{{2}}", sent)
    assert int(sent[-2:], 16) & 1  # sampled
    traced_access_line(services["authors"], "/api/authors/6", trace_id=trace_id)
    traced_access_line(services["ratings"], "/api/ratings/6", trace_id=trace_id)


def test_console_exporter_writes_the_spans_of_the_callers_trace(run_app):
    key = secrets.token_hex(16)
    app = run_app("authors.main:app", {"API_KEYS": key, "OTEL_TRACES_EXPORTER": "console"})
    app.wait_for("/readyz")
    trace_id = secrets.token_hex(16)
    response = httpx.get(app.base_url + "/api/authors/3", headers={"X-API-Key": key, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert response.status_code == 200
    app.stop()  # shutting down flushes the batch of spans to stdout
    logs = app.logs()
    assert f'"trace_id": "0x{trace_id}"' in logs and '"name": "GET /api/authors/{author_id}"' in logs


def test_unknown_exporter_is_a_one_line_config_error(config_error):
    env = {"API_KEYS": secrets.token_hex(16), "OTEL_TRACES_EXPORTER": "zipkin"}
    assert config_error("authors.main:app", env) == (
        "authors: configuration error: invalid environment variable: "
        "OTEL_TRACES_EXPORTER='zipkin' (expected one of: none, console, otlp)"
    )
