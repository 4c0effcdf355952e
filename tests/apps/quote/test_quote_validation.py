"""Bad input gets a 4xx with a JSON error body: never a 500, never a stack trace."""

import pytest
from quote_testing import assert_json_error


def count_quotes(module_db):
    with module_db.connect() as conn:
        return conn.execute("SELECT count(*) FROM quotes").fetchone()[0]


def test_invalid_json_is_422(http):
    body = assert_json_error(
        http.post("/api/quotes", content=b'{"author": "a", "text": ', headers={"content-type": "application/json"}), 422
    )
    assert body["message"] == "request body is not valid JSON"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "no author"}, "author"),
        ({"author": "no text"}, "text"),
        ({"author": "   ", "text": "blank author"}, "author"),
        ({"author": "a", "text": ""}, "text"),
        ({"author": 42, "text": "author is a number"}, "author"),
        ({"author": "a", "text": ["not", "a", "string"]}, "text"),
        ({"author": "a" * 201, "text": "author too long"}, "author"),
        ({"author": "a", "text": "t" * 1001}, "text"),
        ({"author": "nul\x00byte", "text": "PostgreSQL text cannot hold NUL"}, "author"),
    ],
)
def test_invalid_fields_are_422_and_nothing_is_stored(http, module_db, payload, field):
    before = count_quotes(module_db)
    body = assert_json_error(http.post("/api/quotes", json=payload), 422)
    assert ["body", field] == body["detail"][0]["loc"][:2]
    assert count_quotes(module_db) == before


def test_unknown_fields_are_rejected(http):
    body = assert_json_error(http.post("/api/quotes", json={"author": "a", "text": "b", "id": 1}), 422)
    assert body["detail"][0]["loc"] == ["body", "id"]


@pytest.mark.parametrize("payload", [[], "a string", 17, None])
def test_non_object_json_is_422(http, payload):
    assert_json_error(http.post("/api/quotes", json=payload), 422)


def test_limits_are_inclusive(http):
    response = http.post("/api/quotes", json={"author": "a" * 200, "text": "t" * 1000})
    assert response.status_code == 201


def test_oversize_body_is_413_before_parsing(http):
    body = assert_json_error(
        http.post("/api/quotes", content=b"x" * (17 * 1024), headers={"content-type": "application/json"}), 413
    )
    assert "16384" in body["message"]


def test_wrong_method_and_unknown_path_are_json(http):
    assert assert_json_error(http.put("/api/quotes/1", json={}), 405)["error"] == "method_not_allowed"
    assert assert_json_error(http.get("/api/nothing-here"), 404)["error"] == "not_found"
