import io
import json
import logging

import pytest
from fastapi.testclient import TestClient
from labkit_demo_app import build_app

from labkit.logs import JsonFormatter


class LogCapture:
    """Collects the JSON lines labkit's formatter writes."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def logs():
    capture = LogCapture()
    handler = logging.StreamHandler(capture.stream)
    handler.setFormatter(JsonFormatter("demo"))
    loggers = [logging.getLogger(name) for name in ("labkit", "demo")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield capture
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture
def app():
    return build_app()


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client
