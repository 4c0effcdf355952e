"""The analytics app in a real uvicorn process: size bounds, results, its RSS report."""

import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from labtool.appprocess import AppProcess

POD = "analytics-test-pod"
MAX_ROWS = 3_000_000
MAX_CELLS = 6_000_000
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def app():
    env = {"POD_NAME": POD, "ANALYTICS_MAX_ROWS": str(MAX_ROWS), "ANALYTICS_MAX_CELLS": str(MAX_CELLS)}
    with AppProcess("analytics.main:app", env) as process:
        process.wait_for("/readyz")
        yield process


@pytest.fixture(scope="module")
def http(app):
    with httpx.Client(base_url=app.base_url, timeout=60) as client:
        yield client


def proc_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) * 1024


def test_statistics_of_a_standard_normal_sample(http):
    body = http.get("/api/stats", params={"rows": 200_000, "columns": 3, "seed": 7}).json()
    assert body["rows"] == 200_000 and body["columns"] == 3 and body["pod"] == POD
    assert set(body["columns_stats"]) == {"c0", "c1", "c2"}
    for stats in body["columns_stats"].values():
        assert abs(stats["mean"]) < 0.01 and abs(stats["std"] - 1) < 0.01 and abs(stats["50%"]) < 0.01
        assert stats["min"] < stats["25%"] < stats["50%"] < stats["75%"] < stats["max"]
        assert abs(stats["75%"] - 0.6745) < 0.01  # the normal distribution's upper quartile
    assert body["max_abs_correlation"] < 0.02  # independent columns
    assert body["dataset_bytes"] == 200_000 * 3 * 8


def test_same_seed_same_result_other_seed_other_result(http):
    params = {"rows": 1000, "columns": 2}
    first = http.get("/api/stats", params={**params, "seed": 1}).json()["columns_stats"]
    again = http.get("/api/stats", params={**params, "seed": 1}).json()["columns_stats"]
    other = http.get("/api/stats", params={**params, "seed": 2}).json()["columns_stats"]
    assert first == again and first != other


def test_a_single_row_has_no_spread_and_stays_valid_json(http):
    body = http.get("/api/stats", params={"rows": 1, "columns": 2}).json()
    assert body["columns_stats"]["c0"]["std"] is None and body["max_abs_correlation"] is None


def test_peak_rss_grows_with_the_dataset_and_matches_the_kernel(http, app):
    small = http.get("/api/stats", params={"rows": 10_000}).json()["memory"]
    large = http.get("/api/stats", params={"rows": 600_000, "columns": 8}).json()
    memory = large["memory"]
    assert small["peak_scope"] == memory["peak_scope"] == "request"
    # float64 matrix of 36.6 MiB plus pandas' copies: the peak must rise by more than the data.
    assert memory["peak_rss_bytes"] - memory["rss_before_bytes"] > large["dataset_bytes"]
    assert memory["peak_rss_bytes"] - small["peak_rss_bytes"] > 30 * MIB
    reported = http.get("/api/memory").json()["rss_bytes"]
    assert abs(reported - proc_rss(app.process.pid)) < 8 * MIB


def test_metrics_report_rss_and_last_peak(http, app):
    peak = http.get("/api/stats", params={"rows": 50_000}).json()["memory"]["peak_rss_bytes"]
    text = http.get("/metrics").text
    rss = float(re.search(r"^analytics_rss_bytes (\S+)$", text, re.M).group(1))
    assert abs(rss - proc_rss(app.process.pid)) < 8 * MIB
    assert float(re.search(r"^analytics_last_request_peak_rss_bytes (\S+)$", text, re.M).group(1)) == peak


@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"rows": MAX_ROWS + 1}, "rows", f"at most {MAX_ROWS} (ANALYTICS_MAX_ROWS)"),
        ({"rows": MAX_ROWS, "columns": 3}, "rows", f"at most {MAX_CELLS} (ANALYTICS_MAX_CELLS)"),
        ({"rows": 0}, "rows", ""),
        ({"rows": "many"}, "rows", ""),
        ({"rows": 10**30}, "rows", ""),
        ({"columns": 33}, "columns", ""),
        ({"columns": 0}, "columns", ""),
        ({"seed": -1}, "seed", ""),
    ],
)
def test_out_of_bounds_sizes_are_422_before_any_work(http, params, field, fragment):
    started = time.monotonic()
    response = http.get("/api/stats", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"][0]["loc"] == ["query", field] and body["pod"] == POD
    assert fragment in body["detail"][0]["msg"]
    assert time.monotonic() - started < 1.0


def test_the_cap_itself_is_allowed(http):
    body = http.get("/api/stats", params={"rows": MAX_CELLS // 8, "columns": 8}).json()
    assert body["rows"] == MAX_CELLS // 8


def test_a_second_computation_while_one_runs_is_429_and_probes_still_answer(http, app):
    results = {}
    worker = threading.Thread(
        target=lambda: results.update(big=httpx.get(app.base_url + "/api/stats", params={"rows": MAX_ROWS, "columns": 2}, timeout=60))
    )
    worker.start()
    # Wait until the big request is being served (it and this scrape in progress), so
    # the small one cannot take the lock first.
    deadline = time.monotonic() + 10
    while "http_requests_in_progress 2.0" not in http.get("/metrics").text and time.monotonic() < deadline:
        time.sleep(0.01)
    busy = http.get("/api/stats", params={"rows": 10})
    assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
    assert http.get("/healthz", timeout=1).status_code == 200  # the loop is free while numpy works
    worker.join()
    assert results["big"].status_code == 200


def test_invalid_cap_setting_exits_with_one_line(config_error):
    output = config_error("analytics.main:app", {"ANALYTICS_MAX_ROWS": "lots"})
    assert output.startswith("analytics: configuration error: invalid environment variable: ANALYTICS_MAX_ROWS='lots'")
