import asyncio

from fastapi.testclient import TestClient
from labkit_demo_app import build_app

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def started_client(app):
    app.state.health.started = True
    return TestClient(app)


def test_startup_gates_readiness_but_not_liveness():
    app = build_app()
    with TestClient(app) as client:
        assert client.get("/startupz").status_code == 503
        assert client.get("/readyz").json()["reason"] == "start-up not finished"
        assert client.get("/healthz").status_code == 200
        app.state.health.started = True
        assert client.get("/startupz").json()["status"] == "started"
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["pod"] == "demo-pod-1"


def test_readiness_reflects_the_check_and_liveness_ignores_it():
    healthy = {"ok": True}

    async def check():
        if not healthy["ok"]:
            raise ConnectionError("database unreachable")

    with started_client(build_app(readiness_check=check)) as client:
        assert client.get("/readyz").status_code == 200
        healthy["ok"] = False
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["reason"] == "ConnectionError: database unreachable"
        assert client.get("/healthz").status_code == 200
        healthy["ok"] = True
        assert client.get("/readyz").status_code == 200


def test_slow_readiness_check_times_out():
    async def hang():
        await asyncio.sleep(10)

    with started_client(build_app(readiness_check=hang, readiness_timeout=0.2)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503 and "TimeoutError" in response.json()["reason"]


def test_fault_admin_does_not_exist_without_token():
    with started_client(build_app()) as client:
        for method in ("get", "post", "delete"):
            path = "/admin/faults" if method == "get" else "/admin/faults/liveness"
            response = client.request(method, path, headers=AUTH)
            assert response.status_code in (404, 405)
            assert response.json()["error"] in ("not_found", "method_not_allowed")
        assert client.post("/admin/faults/liveness").status_code == 404
        assert client.get("/healthz").status_code == 200


def test_fault_admin_requires_the_right_bearer_token():
    with started_client(build_app(admin_token=TOKEN)) as client:
        missing = client.post("/admin/faults/liveness")
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        wrong = client.post("/admin/faults/liveness", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        assert client.get("/healthz").status_code == 200


def test_injected_faults_fail_and_recover_each_probe():
    with started_client(build_app(admin_token=TOKEN)) as client:
        assert client.post("/admin/faults/liveness", headers=AUTH).json()["faults"]["liveness"] is True
        assert client.get("/healthz").status_code == 503
        assert client.get("/readyz").status_code == 200
        client.delete("/admin/faults/liveness", headers=AUTH)
        assert client.get("/healthz").status_code == 200

        client.post("/admin/faults/readiness", headers=AUTH)
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
        assert client.get("/admin/faults", headers=AUTH).json()["faults"] == {"liveness": False, "readiness": True}
        client.delete("/admin/faults/readiness", headers=AUTH)
        assert client.get("/readyz").status_code == 200


def test_unknown_probe_name_is_422():
    with started_client(build_app(admin_token=TOKEN)) as client:
        assert client.post("/admin/faults/database", headers=AUTH).status_code == 422
