import json
import logging

import pytest

from labkit import configure_logging, request_id_var


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    access = logging.getLogger("uvicorn.access")
    yield
    root.handlers[:], root.level = saved
    access.disabled = False
    access.propagate = True


def test_configure_logging_writes_one_json_line_per_record(capsys, restore_logging):
    configure_logging("quote", "info")
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("uvicorn.access").info("GET / 200")  # replaced by labkit's access line
        try:
            raise ValueError("bad\nvalue")
        except ValueError:
            logging.getLogger("quote.db").exception("query failed", extra={"attempt": 2})
    finally:
        request_id_var.reset(token)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    started, failed = (json.loads(line) for line in lines)
    assert started["msg"] == "Started server process" and started["logger"] == "uvicorn.error"
    assert started["service"] == "quote" and started["request_id"] == "req-42"
    assert failed["level"] == "error" and failed["attempt"] == 2
    assert failed["exc_type"] == "ValueError" and "Traceback" in failed["exc"]


def test_records_outside_a_request_have_no_request_id(capsys, restore_logging):
    configure_logging("quote")
    logging.getLogger("quote").warning("no request here")
    line = json.loads(capsys.readouterr().err)
    assert "request_id" not in line and line["level"] == "warning"
