"""Helpers shared by the backend and frontend tests."""

BACKEND_POD = "backend-test-pod"


def backend_env(database, **extra) -> dict[str, str]:
    return {**database.env(), "POD_NAME": BACKEND_POD, "APP_VERSION": "1.0.0-test", **extra}
