import gc
import re
from http import HTTPStatus

import pytest

from fastapi.testclient import TestClient
from labkit_demo_app import IDENTITY
from labtool.appprocess import assert_json_error

# The phrase depends on the Python version (RFC 9110 renamed both).
UNPROCESSABLE = HTTPStatus(422).phrase.lower().replace(" ", "_")
TOO_LARGE = HTTPStatus(413).phrase.lower().replace(" ", "_")


def assert_error_body(response, status, code):
    body = assert_json_error(response, status, IDENTITY.pod)
    assert body["error"] == code and body["version"] == IDENTITY.version
    return body


def test_caller_request_id_is_echoed_and_logged(client, logs):
    response = client.get("/items/7", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["x-served-by"] == IDENTITY.pod
    lines = logs.lines()
    app_line = next(line for line in lines if line["msg"] == "fetching item")
    assert app_line["request_id"] == "abc-123" and app_line["item_id"] == 7
    access = next(line for line in lines if line["logger"] == "labkit.access")
    assert access["request_id"] == "abc-123"
    assert access["route"] == "/items/{item_id}" and access["status"] == 200
    assert access["service"] == "demo" and access["level"] == "info"


def test_request_id_is_generated_when_absent(client):
    first = client.get("/items/1").headers["x-request-id"]
    second = client.get("/items/1").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "new\tline"])
def test_unsafe_request_id_is_replaced(client, bad):
    echoed = client.get("/items/1", headers={"X-Request-ID": bad}).headers["x-request-id"]
    assert echoed != bad and re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_unknown_path_is_json_404(client):
    assert_error_body(client.get("/nope"), 404, "not_found")


def test_wrong_method_is_json_405_with_allow_header(client):
    response = client.delete("/items/1")
    assert_error_body(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_non_integer_path_parameter_is_422(client):
    body = assert_error_body(client.get("/items/abc"), 422, UNPROCESSABLE)
    assert body["detail"][0]["loc"] == ["path", "item_id"]


def test_invalid_json_is_422_with_clear_message(client):
    response = client.post("/items", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["message"] == "request body is not valid JSON"


def test_missing_and_oversize_fields_are_422_without_echoing_input(client):
    missing = client.post("/items", json={})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "name"]
    oversize = client.post("/items", json={"name": "y" * 500})
    assert oversize.status_code == 422
    assert "y" * 50 not in oversize.text
    assert client.post("/items", json={"name": "ok"}).status_code == 201


def test_unhandled_exception_is_json_500_without_trace(client, logs):
    response = client.get("/boom", headers={"X-Request-ID": "boom-1"})
    body = assert_error_body(response, 500, "internal_server_error")
    assert body["message"] == "internal server error"
    assert "Traceback" not in response.text and "secret" not in response.text
    logged = next(line for line in logs.lines() if line["logger"] == "labkit.error")
    assert logged["request_id"] == "boom-1" and "RuntimeError" in logged["exc"]


def test_declared_oversize_body_is_413(client):
    response = client.post("/items", content=b"x" * 2000, headers={"content-type": "application/json"})
    assert_error_body(response, 413, TOO_LARGE)


def test_streamed_oversize_body_without_length_is_413(client):
    chunks = (b"x" * 400 for _ in range(5))  # a generator: sent chunked, with no content-length
    response = client.post("/items", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["message"]


def test_metrics_use_route_templates_and_count_statuses(client):
    client.get("/items/1")
    client.get("/items/2")
    client.get("/nope")
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/items/{item_id}",status="200"}' in text
    assert 'route="/items/1"' not in text
    assert 'http_requests_total{method="GET",route="<unmatched>",status="404"}' in text
    assert 'app_info{pod="demo-pod-1",service="demo",version="1.2.3"} 1.0' in text


def test_objects_alive_at_startup_are_frozen_out_of_the_collector(app):
    """A full collection would otherwise walk the whole startup heap mid-request (the
    quote benchmark's p99 at peak)."""
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        with TestClient(app):
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
