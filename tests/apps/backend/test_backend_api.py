"""The backend's REST API against real PostgreSQL: CRUD, pagination, validation."""

import httpx
import pytest
from labtool import appprocess
from labtool.appprocess import AppProcess

from backend.store import SEED_ITEMS

BACKEND_POD = "backend-test-pod"


def assert_json_error(response, status) -> dict:
    return appprocess.assert_json_error(response, status, BACKEND_POD)


def backend_env(database, **extra) -> dict[str, str]:
    return {**database.env(), "POD_NAME": BACKEND_POD, "APP_VERSION": "1.0.0-test", **extra}


@pytest.fixture(scope="module")
def http(module_db):
    with AppProcess("backend.main:app", backend_env(module_db)) as app:
        app.wait_for("/readyz")
        with httpx.Client(base_url=app.base_url, timeout=10) as client:
            yield client


def test_seeded_items_are_listed_with_total(http):
    body = http.get("/api/items", params={"limit": 100}).json()
    assert [(i["name"], i["description"], i["price_cents"]) for i in body["items"][: len(SEED_ITEMS)]] == list(SEED_ITEMS)
    assert body["total"] == len(body["items"]) >= len(SEED_ITEMS)
    assert body["pod"] == BACKEND_POD


def test_pagination_walks_every_item_once(http):
    total = http.get("/api/items").json()["total"]
    seen = []
    for offset in range(0, total, 2):
        page = http.get("/api/items", params={"limit": 2, "offset": offset}).json()
        assert page["total"] == total and page["limit"] == 2 and page["offset"] == offset
        seen += [item["id"] for item in page["items"]]
    assert len(seen) == total == len(set(seen)) and seen == sorted(seen)
    beyond = http.get("/api/items", params={"offset": total + 10}).json()
    assert beyond["items"] == [] and beyond["total"] == total


def test_create_read_replace_delete(http, module_db):
    created = http.post("/api/items", json={"name": " Rack shelf ", "description": "1U", "price_cents": 2599})
    assert created.status_code == 201
    item = created.json()
    assert item["name"] == "Rack shelf" and item["price_cents"] == 2599
    assert created.headers["location"] == f"/api/items/{item['id']}"
    assert http.get(f"/api/items/{item['id']}").json()["description"] == "1U"

    replaced = http.put(f"/api/items/{item['id']}", json={"name": "Rack shelf 2U", "price_cents": 3100})
    assert replaced.status_code == 200
    assert replaced.json()["description"] == "" and replaced.json()["updated_at"] > item["updated_at"]
    with module_db.connect() as conn:
        row = conn.execute("SELECT name, price_cents FROM items WHERE id = %s", (item["id"],)).fetchone()
    assert row == ("Rack shelf 2U", 3100)

    assert http.delete(f"/api/items/{item['id']}").status_code == 204
    assert_json_error(http.get(f"/api/items/{item['id']}"), 404)
    assert_json_error(http.delete(f"/api/items/{item['id']}"), 404)
    assert_json_error(http.put(f"/api/items/{item['id']}", json={"name": "x", "price_cents": 1}), 404)


def test_duplicate_name_is_409_and_nothing_changes(http):
    first = http.post("/api/items", json={"name": "Unique thing", "price_cents": 1}).json()
    body = assert_json_error(http.post("/api/items", json={"name": "Unique thing", "price_cents": 2}), 409)
    assert "already exists" in body["message"]
    other = http.post("/api/items", json={"name": "Other thing", "price_cents": 1}).json()
    assert_json_error(http.put(f"/api/items/{other['id']}", json={"name": "Unique thing", "price_cents": 5}), 409)
    assert http.get(f"/api/items/{first['id']}").json()["price_cents"] == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"price_cents": 1}, "name"),
        ({"name": "", "price_cents": 1}, "name"),
        ({"name": "n" * 101, "price_cents": 1}, "name"),
        ({"name": "nul\x00", "price_cents": 1}, "name"),
        ({"name": "a", "description": "d" * 2001, "price_cents": 1}, "description"),
        ({"name": "a"}, "price_cents"),
        ({"name": "a", "price_cents": -1}, "price_cents"),
        ({"name": "a", "price_cents": 100_000_001}, "price_cents"),
        ({"name": "a", "price_cents": "12"}, "price_cents"),
        ({"name": "a", "price_cents": 1.5}, "price_cents"),
        ({"name": "a", "price_cents": 1, "id": 7}, "id"),
    ],
)
def test_invalid_items_are_422_and_nothing_is_stored(http, payload, field):
    before = http.get("/api/items").json()["total"]
    body = assert_json_error(http.post("/api/items", json=payload), 422)
    assert body["detail"][0]["loc"][:2] == ["body", field]
    assert http.get("/api/items").json()["total"] == before


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/api/items", {"params": {"limit": 0}}),
        ("GET", "/api/items", {"params": {"limit": 101}}),
        ("GET", "/api/items", {"params": {"offset": -1}}),
        ("GET", "/api/items/abc", {}),
        ("GET", "/api/items/0", {}),
        ("GET", f"/api/items/{2**63}", {}),
        ("POST", "/api/items", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("POST", "/api/items", {"json": ["a", "list"]}),
    ],
)
def test_bad_requests_are_422_json(http, method, path, kwargs):
    assert_json_error(http.request(method, path, **kwargs), 422)


def test_oversize_body_is_413(http):
    assert_json_error(http.post("/api/items", content=b"x" * 20_000, headers={"content-type": "application/json"}), 413)


def test_probes_and_metrics(http):
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").json()["status"] == "ready"
    http.get("/api/items/1")
    metrics = http.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/api/items/{item_id}",status="200"}' in metrics


def test_database_outage_is_503_and_recovers(pg_server_factory, run_app):
    server = pg_server_factory()
    database = server.create_database("backend_outage")
    app = run_app("backend.main:app", backend_env(database))
    app.wait_for("/readyz")
    server.stop()
    response = httpx.get(app.base_url + "/api/items", timeout=10)
    assert response.status_code == 503 and response.json()["error"] == "service_unavailable"
    app.wait_for("/readyz", status=503)
    assert httpx.get(app.base_url + "/healthz").status_code == 200  # liveness ignores the database
    server.start()
    app.wait_for("/readyz", timeout=30)
    assert httpx.get(app.base_url + "/api/items", timeout=10).status_code == 200


def test_a_second_replica_on_the_migrated_database_serves_the_same_data(module_db, run_app, http):
    created = http.post("/api/items", json={"name": "Seen by both replicas", "price_cents": 7}).json()
    second = run_app("backend.main:app", backend_env(module_db, POD_NAME="backend-replica-2"))
    second.wait_for("/readyz")
    fetched = httpx.get(f"{second.base_url}/api/items/{created['id']}").json()
    assert fetched["name"] == "Seen by both replicas" and fetched["pod"] == "backend-replica-2"
    with module_db.connect() as conn:
        assert conn.execute("SELECT array_agg(version ORDER BY version) FROM schema_migrations").fetchone()[0] == [1, 2]
