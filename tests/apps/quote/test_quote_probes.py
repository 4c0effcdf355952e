"""Fault injection for the probe exercises: absent without a token, working with it."""

import httpx
from quote_testing import ADMIN_TOKEN, quote_env

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_admin_endpoints_do_not_exist_without_token(pg_database, run_app):
    app = run_app("quote.main:app", quote_env(pg_database))
    app.wait_for("/readyz")
    for method, path in [("POST", "/admin/faults/liveness"), ("POST", "/admin/faults/readiness"), ("GET", "/admin/faults")]:
        response = httpx.request(method, app.base_url + path, headers=AUTH)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"] == "not_found"
    assert httpx.get(app.base_url + "/healthz").status_code == 200
    assert httpx.get(app.base_url + "/readyz").status_code == 200


def test_faults_need_the_token_then_fail_and_recover_each_probe(http):
    assert http.post("/admin/faults/liveness").status_code == 401
    assert http.post("/admin/faults/liveness", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert http.get("/healthz").status_code == 200
    try:
        assert http.post("/admin/faults/liveness", headers=AUTH).status_code == 200
        live = http.get("/healthz")
        assert live.status_code == 503 and live.json()["reason"] == "liveness fault injected"
        assert http.get("/readyz").status_code == 200  # only liveness was broken
        assert http.get("/api/quotes/random").status_code == 200

        http.post("/admin/faults/readiness", headers=AUTH)
        http.delete("/admin/faults/liveness", headers=AUTH)
        assert http.get("/healthz").status_code == 200
        ready = http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["reason"] == "readiness fault injected"
    finally:
        http.delete("/admin/faults/liveness", headers=AUTH)
        http.delete("/admin/faults/readiness", headers=AUTH)
    assert http.get("/readyz").status_code == 200
    assert http.get("/admin/faults", headers=AUTH).json()["faults"] == {"liveness": False, "readiness": False}
