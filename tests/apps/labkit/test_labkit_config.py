import socket

import pytest

from labkit import ConfigError, Env, Identity, load_or_exit, pod_name
from labkit.config import EXIT_CONFIG_ERROR


def test_required_and_optional_values_are_read():
    env = Env({"A": " value ", "B": ""})
    assert env.required("A") == "value"
    assert env.optional("B", "fallback") == "fallback"
    assert env.optional("C") == ""
    env.check()


def test_check_names_every_missing_variable_in_one_message():
    env = Env({"PRESENT": "x", "EMPTY": "  "})
    env.required("PRESENT")
    env.required("EMPTY")
    env.required("ABSENT")
    with pytest.raises(ConfigError) as info:
        env.check()
    message = str(info.value)
    assert "EMPTY" in message and "ABSENT" in message and "PRESENT" not in message
    assert "\n" not in message


@pytest.mark.parametrize("raw", ["abc", "-1", "70000", "5.5"])
def test_invalid_integer_is_reported_with_its_value(raw):
    env = Env({"PORT": raw})
    assert env.integer("PORT", default=5432, minimum=1) == 5432
    with pytest.raises(ConfigError, match=r"invalid environment variable: PORT="):
        env.check()


def test_integer_without_default_is_required():
    env = Env({})
    env.integer("PORT", minimum=1)
    with pytest.raises(ConfigError, match=r"^missing required environment variable: PORT$"):
        env.check()


def test_integer_default_and_valid_value():
    assert Env({}).integer("PORT", default=5432) == 5432
    assert Env({"PORT": "6543"}).integer("PORT", default=5432) == 6543


def test_load_or_exit_prints_one_line_and_exits_non_zero(capsys):
    def loader():
        env = Env({})
        env.required("POSTGRES_PASSWORD")
        env.check()

    with pytest.raises(SystemExit) as info:
        load_or_exit(loader, "svc")
    assert info.value.code == EXIT_CONFIG_ERROR != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("svc: configuration error:") and "POSTGRES_PASSWORD" in err


def test_load_or_exit_returns_the_loaded_value():
    assert load_or_exit(lambda: 42, "svc") == 42


def test_pod_name_prefers_env_then_hostname():
    assert pod_name({"POD_NAME": "quote-7d9f-abcde"}) == "quote-7d9f-abcde"
    assert pod_name({"POD_NAME": " "}) == socket.gethostname()
    assert pod_name({}) == socket.gethostname()


def test_identity_from_env_reads_version_and_pod_name():
    identity = Identity.from_env(Env({"APP_VERSION": "2.0.0", "POD_NAME": "quote-abc"}), "quote", "dev")
    assert identity == Identity(service="quote", version="2.0.0", pod="quote-abc")
    fallback = Identity.from_env(Env({}), "quote", "dev")
    assert (fallback.version, fallback.pod) == ("dev", socket.gethostname())
