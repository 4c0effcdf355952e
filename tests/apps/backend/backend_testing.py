"""Helpers shared by the backend tests."""

from labtool import appprocess

BACKEND_POD = "backend-test-pod"


def assert_json_error(response, status) -> dict:
    return appprocess.assert_json_error(response, status, BACKEND_POD)


def backend_env(database, **extra) -> dict[str, str]:
    return {**database.env(), "POD_NAME": BACKEND_POD, "APP_VERSION": "1.0.0-test", **extra}
