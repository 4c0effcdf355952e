"""The lab report built from recorded results: JUnit XML, chaos evidence, a diagram."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil

import pytest
from PIL import Image
from sample_data import EVENTS, MARKS, cluster_state, vm_kill_samples

from labtool.diagram import render
from labtool.loadgen import write_samples_csv
from labtool.report import EXERCISES, build_report, combine, junit_results
from labtool.timeline import write_marks

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="6">
<testcase classname="tests.cluster.test_quote_app" name="test_secret_referenced_not_inlined" time="0.4"/>
<testcase classname="tests.cluster.test_quote_app" name="test_all_nodes_ready" time="0.1"/>
<testcase classname="tests.cluster.test_quote_app" name="test_quote_answers_through_ingress" time="0.1">
  <skipped type="pytest.skip" message="no reachable cluster: API at https://192.168.56.11:6443 refused"/></testcase>
<testcase classname="tests.nodes.test_k3s_nodes" name="test_k3s_service_matches_role[ansible://server-1]" time="1"/>
<testcase classname="tests.nodes.test_k3s_nodes" name="test_k3s_service_matches_role[ansible://agent-1]" time="1">
  <failure message="AssertionError: k3s-agent is not enabled">trace</failure></testcase>
<testcase classname="tests.nodes.test_k3s_nodes" name="test_node_registered_private_ip[ansible://agent-1]" time="1"/>
</testsuite></testsuites>
"""


def chaos_summary(name: str, title: str, outcome: str, checks=(), skip_reason: str = "") -> dict:
    return {"experiment": name, "title": title, "outcome": outcome, "skip_reason": skip_reason,
            "checks": [{"name": n, "passed": p, "detail": d} for n, p, d in checks],
            "measurements": {}, "counts": {}, "notes": []}


@pytest.fixture
def recorded(tmp_path):
    out = tmp_path / "report"
    chaos = out / "chaos"
    for summary in (
        chaos_summary("vm-kill", "Kill one VM", "passed", [
            ("all replicas Ready on surviving nodes within 30 s", True, "all Ready after 27.5 s"),
            ("no acknowledged write lost", True, "0 lost, 0 unverified of 412")]),
        chaos_summary("bad-image", "Invalid image name", "failed", [
            ("failure visible as ErrImagePull/ImagePullBackOff", False, "TimeoutError")]),
        chaos_summary("liveness", "Failing liveness probe", "skipped",
                      skip_reason="Secret quote-app/quote-admin not found"),
    ):
        (chaos / summary["experiment"]).mkdir(parents=True)
        (chaos / summary["experiment"] / "summary.json").write_text(json.dumps(summary))
    vm = chaos / "vm-kill"
    write_samples_csv(vm_kill_samples(), vm / "timeline.csv")
    write_marks(MARKS, vm / "marks.json")
    (vm / "events.json").write_text(json.dumps(EVENTS))
    (out / "cluster.xml").write_text(JUNIT)
    diagram_png, _ = render(cluster_state(), out / "architecture")
    return out, chaos, diagram_png


def row(md: str, title: str) -> str:
    return next(line for line in md.splitlines() if line.startswith(f"| {title} |"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed (apt-get install graphviz)")
def test_report_rows_outcomes_and_self_contained_html(recorded):
    out, chaos, diagram_png = recorded
    report_md, report_html, rows = build_report(out, [out / "cluster.xml", out / "nodes.xml"], chaos, diagram_png,
                                                ["a note"])
    md = report_md.read_text()
    vm_kill = row(md, "What if the node itself fails: kill a VM")
    assert "**PASSED**" in vm_kill and "all Ready after 27.5 s" in vm_kill
    assert "**FAILED**" in row(md, "Required break and analysis: failed state in events, then fixed")
    assert "**SKIPPED**" in row(md, "Readiness and liveness probes, app broken on purpose")
    assert "**NOT RUN**" in row(md, "Resource limits")
    assert "**PASSED**" in row(md, "Secret-based configuration")
    # One host failing a parametrized node check fails the exercise, naming the host.
    multi = row(md, "Multi-node: nodes, private IPs, k3s roles")
    assert "**FAILED**" in multi and "[ansible://agent-1] AssertionError: k3s-agent is not enabled" in multi
    review = row(md, "Review the deployment: app running, database reachable")
    assert "**PARTIAL**" in review and "API at https://192.168.56.11:6443 refused" in review
    assert "**PASSED**" in row(md, "Map the architecture (diagram from the live cluster)")
    assert len(rows) == len(EXERCISES)

    # The timeline PNG was drawn from the recorded CSV and marks.
    with Image.open(chaos / "vm-kill" / "timeline.png") as image:
        assert image.size == (1200, 500)

    html = report_html.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", html)
    assert "<link" not in html and "<script" not in html
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 2
    sizes = {Image.open(io.BytesIO(base64.b64decode(data))).size for data in images}
    assert (1200, 500) in sizes
    assert '<tr class="failed"><td>Required break and analysis' in html
    assert '<tr class="passed"><td>What if the node itself fails' in html
    assert "Secret quote-app/quote-admin not found" in html


def test_missing_results_are_reported_as_not_run(tmp_path):
    report_md, report_html, rows = build_report(tmp_path, [tmp_path / "absent.xml"], None, None, [])
    assert {r.outcome for r in rows} == {"not run"}
    assert "Not drawn: no reachable cluster" in report_html.read_text()


def test_junit_merges_parametrized_cases(tmp_path):
    path = tmp_path / "nodes.xml"
    path.write_text(JUNIT)
    results = junit_results(path)
    assert results["tests/nodes/test_k3s_nodes.py::test_k3s_service_matches_role"].outcome == "failed"
    assert results["tests/nodes/test_k3s_nodes.py::test_node_registered_private_ip"].outcome == "passed"
    assert results["tests/cluster/test_quote_app.py::test_quote_answers_through_ingress"].outcome == "skipped"


@pytest.mark.parametrize("outcomes, expected", [
    (["passed", "passed"], "passed"), (["passed", "failed"], "failed"), (["passed", "skipped"], "partial"),
    (["skipped", "not run"], "skipped"), ([], "not run"), (["not run"], "not run"),
])
def test_combine(outcomes, expected):
    assert combine(outcomes) == expected
