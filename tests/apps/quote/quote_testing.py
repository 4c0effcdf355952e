"""Constants and helpers shared by the quote app tests."""

from labtool import appprocess

ADMIN_TOKEN = "test-admin-token"
POD = "quote-test-pod"
VERSION = "9.9.9-test"


def assert_json_error(response, status) -> dict:
    return appprocess.assert_json_error(response, status, POD)


def quote_env(database, **extra) -> dict[str, str]:
    return {**database.env(), "POD_NAME": POD, "APP_VERSION": VERSION, "APP_MESSAGE": "Hello <lab>", **extra}


def applied_migrations(database) -> list[int]:
    with database.connect() as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
