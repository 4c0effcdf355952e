"""CRUD, the random quote, the page and the identity fields, against real PostgreSQL."""

import asyncio
import re

import httpx
import pytest
from quote_testing import POD, VERSION

from quote.seeds import SEED_QUOTES


def assert_identity(body):
    assert body["pod"] == POD and body["version"] == VERSION


def test_seed_quotes_are_listed_in_id_order(http):
    response = http.get("/api/quotes", params={"limit": 100})
    assert response.status_code == 200
    body = response.json()
    assert_identity(body)
    assert body["limit"] == 100 and body["offset"] == 0
    seeded = [(q["author"], q["text"]) for q in body["quotes"][: len(SEED_QUOTES)]]
    assert seeded == list(SEED_QUOTES)
    ids = [q["id"] for q in body["quotes"]]
    assert ids == sorted(ids)


def test_limit_and_offset_page_through_the_quotes(http):
    first = http.get("/api/quotes", params={"limit": 3}).json()["quotes"]
    second = http.get("/api/quotes", params={"limit": 3, "offset": 3}).json()["quotes"]
    assert len(first) == len(second) == 3
    assert first[-1]["id"] < second[0]["id"]
    assert http.get("/api/quotes", params={"offset": 1_000_000}).json()["quotes"] == []


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"offset": -1}, {"offset": 1_000_001}]
)
def test_out_of_range_paging_is_422(http, params):
    response = http.get("/api/quotes", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_create_then_get_returns_the_committed_quote(http, module_db):
    response = http.post("/api/quotes", json={"author": "  Ada Lovelace ", "text": "That brain of mine is something more than merely mortal."})
    assert response.status_code == 201
    created = response.json()
    assert_identity(created)
    assert created["author"] == "Ada Lovelace"  # surrounding whitespace stripped
    assert response.headers["location"] == f"/api/quotes/{created['id']}"
    fetched = http.get(f"/api/quotes/{created['id']}").json()
    fields = ("id", "author", "text", "created_at")
    assert [fetched[k] for k in fields] == [created[k] for k in fields]
    with module_db.connect() as conn:
        row = conn.execute("SELECT author, text FROM quotes WHERE id = %s", (created["id"],)).fetchone()
    assert row == ("Ada Lovelace", "That brain of mine is something more than merely mortal.")


def test_unicode_is_stored_unchanged(http):
    text = "Ünïcödé — 引用 ✓ \"quoted\" <tag>"
    created = http.post("/api/quotes", json={"author": "Zoë", "text": text}).json()
    assert http.get(f"/api/quotes/{created['id']}").json()["text"] == text


def test_random_quote_comes_from_the_table_and_varies(http):
    all_ids = {q["id"] for q in http.get("/api/quotes", params={"limit": 100}).json()["quotes"]}
    seen = set()
    for _ in range(40):
        response = http.get("/api/quotes/random")
        assert response.status_code == 200
        body = response.json()
        assert_identity(body)
        assert body["id"] in all_ids
        seen.add(body["id"])
    assert len(seen) >= 5


def test_missing_quote_is_json_404(http):
    response = http.get("/api/quotes/987654321")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found" and body["message"] == "quote 987654321 not found"
    assert_identity(body)


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "0", "-3", str(2**63), "99999999999999999999999"])
def test_bad_ids_are_422_never_500(http, bad_id):
    response = http.get(f"/api/quotes/{bad_id}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "quote_id"]


def test_html_page_shows_quote_pod_version_and_escaped_message(http):
    response = http.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Hello &lt;lab&gt;" in page and "<lab>" not in page
    assert f'<strong class="pod">{POD}</strong>' in page
    assert f'<strong class="version">{VERSION}</strong>' in page
    assert re.search(r"<blockquote>&ldquo;.+&rdquo;</blockquote>", page)


def test_request_id_is_echoed(http):
    response = http.get("/api/quotes/random", headers={"X-Request-ID": "trace-abc-1"})
    assert response.headers["x-request-id"] == "trace-abc-1"
    assert response.headers["x-served-by"] == POD


def test_metrics_count_requests_by_route(http):
    http.get("/api/quotes/1")
    text = http.get("/metrics").text
    assert re.search(r'http_requests_total\{method="GET",route="/api/quotes/\{quote_id\}",status="200"\} [1-9]', text)
    assert f'app_info{{pod="{POD}",service="quote",version="{VERSION}"}} 1.0' in text


def test_concurrent_inserts_are_all_persisted_with_unique_ids(quote_app, module_db):
    count = 60

    async def post_all():
        limits = httpx.Limits(max_connections=count)
        async with httpx.AsyncClient(base_url=quote_app.base_url, timeout=20, limits=limits) as client:
            return await asyncio.gather(
                *(client.post("/api/quotes", json={"author": "load", "text": f"parallel quote {i}"}) for i in range(count))
            )

    responses = asyncio.run(post_all())
    assert [r.status_code for r in responses] == [201] * count
    ids = [r.json()["id"] for r in responses]
    assert len(set(ids)) == count
    with module_db.connect() as conn:
        rows = conn.execute("SELECT id, text FROM quotes WHERE author = 'load'").fetchall()
    assert sorted(rows) == sorted((r.json()["id"], r.json()["text"]) for r in responses)
    assert {text for _, text in rows} == {f"parallel quote {i}" for i in range(count)}
