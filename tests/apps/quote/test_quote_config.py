"""Missing or invalid configuration ends the real process with one readable line."""

import pytest

FULL_ENV = {
    "POSTGRES_HOST": "127.0.0.1",
    "POSTGRES_PORT": "5432",
    "POSTGRES_DB": "quotes",
    "POSTGRES_USER": "quote",
    "POSTGRES_PASSWORD": "not-used-the-process-exits-first",
}


@pytest.mark.parametrize("missing", sorted(FULL_ENV))
def test_each_required_variable_is_named_when_missing(config_error, missing):
    output = config_error("quote.main:app", {k: v for k, v in FULL_ENV.items() if k != missing})
    assert output == f"quote: configuration error: missing required environment variable: {missing}"


def test_all_missing_variables_are_named_in_one_line(config_error):
    assert config_error("quote.main:app", {"POSTGRES_HOST": "db"}) == (
        "quote: configuration error: missing required environment variables: "
        "POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD"
    )


def test_invalid_port_is_named_with_its_value(config_error):
    lines = config_error("quote.main:app", {**FULL_ENV, "POSTGRES_PORT": "five-four-three-two"}).splitlines()
    assert len(lines) == 1
    assert "POSTGRES_PORT='five-four-three-two'" in lines[0]
    assert "not-used" not in lines[0]  # the password never appears in the output


@pytest.mark.parametrize("release", ["0", "3", "two"])
def test_unknown_release_is_a_one_line_config_error(config_error, release):
    assert config_error("quote.main:app", {**FULL_ENV, "APP_RELEASE": release}) == (
        f"quote: configuration error: invalid environment variable: APP_RELEASE={release!r} "
        "(expected an integer from 1 to 2)"
    )
