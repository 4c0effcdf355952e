"""API-key authentication between services: a key set for rotation, no key in logs."""

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

import labkit
from labkit.auth import API_KEY_HEADER, ApiKeyAuth, api_keys_from_env

OLD_KEY = "old-key-0123456789abcdef"
NEW_KEY = "new-key-fedcba9876543210"
IDENTITY = labkit.Identity(service="demo", version="1", pod="auth-pod")


def make_client(keys) -> TestClient:
    app = FastAPI()
    labkit.setup(app, IDENTITY)

    @app.get("/private", dependencies=[Depends(ApiKeyAuth(keys))])
    async def private():
        return {"ok": True}

    return TestClient(app)


def test_every_key_in_the_set_is_accepted_and_others_are_401(logs):
    client = make_client({OLD_KEY, NEW_KEY})
    assert client.get("/private", headers={API_KEY_HEADER: OLD_KEY}).json() == {"ok": True}
    assert client.get("/private", headers={API_KEY_HEADER: NEW_KEY}).status_code == 200
    wrong = client.get("/private", headers={API_KEY_HEADER: "wrong-key-but-long-enough"})
    missing = client.get("/private")
    assert wrong.status_code == missing.status_code == 401
    assert wrong.json()["message"].startswith("invalid API key") and missing.json()["message"].startswith("missing API key")
    rejected = [line for line in logs.lines() if line["msg"].startswith("request rejected")]
    assert [line["msg"] for line in rejected] == ["request rejected: invalid API key", "request rejected: missing API key"]
    assert rejected[0]["path"] == "/private"
    assert "wrong-key-but-long-enough" not in str(logs.lines())


def test_keys_are_read_as_a_set_and_never_echoed_in_errors():
    env = labkit.Env({"API_KEYS": f" {OLD_KEY} ,{NEW_KEY},"})
    assert api_keys_from_env(env) == {OLD_KEY, NEW_KEY}
    env.check()
    env = labkit.Env({"API_KEYS": f"{OLD_KEY},short-secret"})
    api_keys_from_env(env)
    with pytest.raises(labkit.ConfigError) as info:
        env.check()
    assert "API_KEYS" in str(info.value) and "short-secret" not in str(info.value)
    env = labkit.Env({})
    api_keys_from_env(env)
    with pytest.raises(labkit.ConfigError, match="missing required environment variable: API_KEYS"):
        env.check()


def test_an_empty_key_set_is_a_programming_error():
    with pytest.raises(ValueError):
        ApiKeyAuth(set())


def test_choice_accepts_listed_values_case_insensitively():
    env = labkit.Env({"MODE": "Console", "BAD": "zipkin"})
    assert env.choice("MODE", ("none", "console"), "none") == "console"
    assert env.choice("UNSET", ("none", "console"), "none") == "none"
    assert env.choice("BAD", ("none", "console"), "none") == "none"
    with pytest.raises(labkit.ConfigError, match=r"BAD='zipkin' \(expected one of: none, console\)"):
        env.check()
