"""Constants and helpers shared by the quote app tests."""

ADMIN_TOKEN = "test-admin-token"
POD = "quote-test-pod"
VERSION = "9.9.9-test"


def quote_env(database, **extra) -> dict[str, str]:
    return {**database.env(), "POD_NAME": POD, "APP_VERSION": VERSION, "APP_MESSAGE": "Hello <lab>", **extra}
