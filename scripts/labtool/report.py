"""The lab report: node checks, live app checks and chaos experiments, per course exercise.

    python -m labtool.report [--chaos all|none|NAME,...] [--inventory inventory/vagrant]

Runs `pytest tests/nodes` (testinfra over the inventory) and `pytest tests/cluster`
with JUnit XML output, the chaos experiments, and draws the live architecture, then
writes reports/<timestamp>/report.md and a self-contained report.html (images
inlined) saying, for each exercise of the course material, which check proves it,
whether it passed, and the evidence.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from . import REPO
from .kube import ClusterUnavailable, connect
from .loadgen import read_samples_csv
from .timeline import plot_timeline, read_marks

OUTCOMES = ("failed", "passed", "partial", "skipped", "not run")


@dataclass(frozen=True)
class Exercise:
    seed: str
    title: str
    checks: tuple[str, ...]  # "tests/.../file.py::test_name" or "chaos:<experiment>"


LAB85 = "Lab 85: architecture, virtualization and production design"
OPS = "Operating Kubernetes in production"
MASTERING = "Mastering container orchestration in production"
C = "tests/cluster/"
N = "tests/nodes/"

EXERCISES = (
    Exercise(LAB85, "Review the deployment: app running, database reachable",
             (f"{C}test_quote_app.py::test_all_nodes_ready", f"{C}test_quote_app.py::test_quote_answers_through_ingress")),
    Exercise(LAB85, "Map the architecture (diagram from the live cluster)", ("diagram",)),
    Exercise(LAB85, "Horizontal scaling: 3 replicas serve, scaling changes who serves",
             (f"{C}test_quote_app.py::test_responses_come_from_several_pods",
              f"{C}test_quote_app.py::test_scaling_to_five_and_back_changes_serving_pods")),
    Exercise(LAB85, "Simulate failure: a deleted pod is recreated",
             (f"{C}test_quote_app.py::test_deleted_pod_is_recreated", "chaos:pod-delete")),
    Exercise(LAB85, "What if the node itself fails: kill a VM", ("chaos:vm-kill",)),
    Exercise(LAB85, "Resource limits", ("chaos:oom",)),
    Exercise(LAB85, "Readiness and liveness probes, app broken on purpose", ("chaos:liveness", "chaos:readiness")),
    Exercise(LAB85, "Required break and analysis: failed state in events, then fixed",
             ("chaos:bad-image", "chaos:missing-env", "chaos:oom")),
    Exercise(LAB85, "Secret-based configuration", (f"{C}test_quote_app.py::test_secret_referenced_not_inlined",)),
    Exercise(LAB85, "Multi-node: nodes, private IPs, k3s roles",
             (f"{N}test_k3s_nodes.py::test_k3s_service_matches_role", f"{N}test_k3s_nodes.py::test_node_registered_private_ip",
              f"{N}test_k3s_nodes.py::test_flannel_uses_private_interface")),
    Exercise(LAB85, "Database hardening: secrets encrypted at rest",
             (f"{N}test_k3s_nodes.py::test_secrets_encryption_enabled",)),
    Exercise(LAB85, "Autoscaling (HPA)", (f"{C}test_quote_app.py::test_hpa_scales_out_under_load_and_back",)),
    Exercise(LAB85, "Beast mode: NetworkPolicy, namespaces, Ingress, rolling update",
             (f"{C}test_network.py::test_other_namespace_cannot_reach_postgres_but_quote_can",
              f"{C}test_quote_app.py::test_quote_answers_through_ingress",
              f"{C}test_quote_app.py::test_rolling_update_to_v2_and_undo")),
    Exercise(OPS, "Controllers reconcile: delete a pod", ("chaos:pod-delete",)),
    Exercise(OPS, "Readiness vs liveness", ("chaos:readiness", "chaos:liveness")),
    Exercise(OPS, "Layered view: node OS under the pods",
             (f"{N}test_node_os.py::test_sysctls", f"{N}test_node_os.py::test_kernel_modules",
              f"{N}test_node_os.py::test_swap_off", f"{N}test_node_os.py::test_time_synced",
              f"{N}test_node_os.py::test_firewall_allows_exactly_the_cluster_ports",
              f"{N}test_k3s_nodes.py::test_cluster_ports_listen")),
    Exercise(OPS, "Failure in production: image pull, crash, OOM",
             ("chaos:bad-image", "chaos:missing-env", "chaos:oom")),
    Exercise(OPS, "Rolling update, history and rollback", (f"{C}test_quote_app.py::test_rolling_update_to_v2_and_undo",)),
    Exercise(OPS, "What happens if the node dies", ("chaos:vm-kill",)),
    Exercise(MASTERING, "Deploy 1: 3 replicas, ConfigMap content, LoadBalancer",
             (f"{C}test_quote_app.py::test_loadbalancer_service_serves_configmap_message",
              f"{C}test_quote_app.py::test_responses_come_from_several_pods")),
    Exercise(MASTERING, "Deploy 2: PostgreSQL data persists", (f"{C}test_quote_app.py::test_data_survives_postgres_pod_deletion",)),
    Exercise(MASTERING, "Deploy 3: multi-tier, only the frontend exposed",
             (f"{C}test_network.py::test_backend_not_reachable_from_outside",)),
    Exercise(MASTERING, "Deploy 4: health probes under simulated failures", ("chaos:liveness", "chaos:readiness")),
    Exercise(MASTERING, "Deploy 5: ResourceQuota and limits enforced",
             (f"{C}test_resources.py::test_quota_rejects_a_pod_past_the_namespace_total",
              f"{C}test_resources.py::test_analytics_oomkilled_past_its_limit")),
    Exercise(MASTERING, "Advanced 1: blue-green switch and rollback",
             (f"{C}test_blue_green.py::test_switch_and_rollback_without_failed_requests",)),
    Exercise(MASTERING, "Advanced 2: microservices, API keys, tracing, NetworkPolicies",
             (f"{C}test_microservices_live.py::test_request_without_key_is_rejected",
              f"{C}test_microservices_live.py::test_gateway_is_public",
              f"{C}test_microservices_live.py::test_keyed_services_unreachable_from_another_namespace",
              f"{C}test_microservices_live.py::test_trace_id_is_shared_across_services")),
)


@dataclass
class CheckResult:
    check: str
    outcome: str  # passed, failed, skipped, not run
    detail: str = ""
    evidence: list[str] = field(default_factory=list)  # files, relative to the report


def junit_results(path: Path) -> dict[str, CheckResult]:
    """pytest --junitxml output -> one result per test function (parametrized cases merged)."""
    results: dict[str, CheckResult] = {}
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        classname = case.get("classname", "")
        # classname is the dotted module path (plus a class, when there is one).
        parts = classname.split(".")
        file_parts = parts if not parts[-1][:1].isupper() else parts[:-1]
        key = "/".join(file_parts) + ".py::" + case.get("name", "").split("[", 1)[0]
        param = case.get("name", "")[len(key.split("::")[1]):]
        failure = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            outcome, detail = "failed", (failure.get("message") or "").splitlines()[0] if failure.get("message") else "failed"
        elif skipped is not None:
            outcome, detail = "skipped", skipped.get("message", "")
        else:
            outcome, detail = "passed", ""
        detail = f"{param} {detail}".strip() if param and outcome != "passed" else detail
        previous = results.get(key)
        if previous is None:
            results[key] = CheckResult(key, outcome, detail)
        else:
            previous.outcome = combine([previous.outcome, outcome])
            if detail and detail not in previous.detail:
                previous.detail = f"{previous.detail}; {detail}".strip("; ")
    return results


def combine(outcomes: list[str]) -> str:
    """failed if anything failed; passed if all passed; partial if some passed; else skipped/not run."""
    if not outcomes:
        return "not run"
    if "failed" in outcomes:
        return "failed"
    if all(o == "passed" for o in outcomes):
        return "passed"
    if any(o in ("passed", "partial") for o in outcomes):
        return "partial"
    return "skipped" if "skipped" in outcomes else "not run"


def chaos_results(chaos_dir: Path) -> dict[str, CheckResult]:
    results = {}
    for summary_path in sorted(chaos_dir.glob("*/summary.json")):
        summary = json.loads(summary_path.read_text())
        name = summary["experiment"]
        folder = summary_path.parent
        timeline_csv, marks_json, png = folder / "timeline.csv", folder / "marks.json", folder / "timeline.png"
        if timeline_csv.is_file() and marks_json.is_file() and not png.is_file():
            plot_timeline(read_samples_csv(timeline_csv), read_marks(marks_json), png, summary["title"])
        if summary["outcome"] == "skipped":
            detail = summary.get("skip_reason", "")
        else:
            detail = "; ".join(f"{'ok' if c['passed'] else 'FAILED'} {c['name']}: {c['detail']}" for c in summary["checks"])
        evidence = [str(p.relative_to(chaos_dir.parent)) for p in sorted(folder.iterdir()) if p.name != "summary.json"]
        results[f"chaos:{name}"] = CheckResult(f"chaos:{name}", summary["outcome"], detail, evidence)
    return results


@dataclass
class ExerciseRow:
    exercise: Exercise
    outcome: str
    results: list[CheckResult]


def rows_for(results: dict[str, CheckResult]) -> list[ExerciseRow]:
    rows = []
    for exercise in EXERCISES:
        found = [results.get(check) or CheckResult(check, "not run", "no result recorded") for check in exercise.checks]
        rows.append(ExerciseRow(exercise, combine([r.outcome for r in found]), found))
    return rows


def _data_uri(path: Path) -> str:
    kind = "image/svg+xml" if path.suffix == ".svg" else "image/png"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>k3s lab report {{ generated }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 75rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
.passed { background: #d8f5d8; } .failed { background: #f8d0d0; } .partial { background: #fff0c0; }
.skipped, .not-run { background: #eeeeee; }
code { font-size: .85rem; } img { max-width: 100%; border: 1px solid #ddd; }
</style></head><body>
<h1>k3s lab report</h1>
<p>Generated {{ generated }}. Totals: {% for o, n in totals %}<span class="{{ o|replace(' ', '-') }}">{{ n }} {{ o }}</span> {% endfor %}</p>
{% for note in notes %}<p><em>{{ note }}</em></p>{% endfor %}
{% for seed, seed_rows in seeds %}
<h2>{{ seed }}</h2>
<table><tr><th>Exercise</th><th>Result</th><th>Checks</th></tr>
{% for row in seed_rows %}<tr class="{{ row.outcome|replace(' ', '-') }}"><td>{{ row.exercise.title }}</td><td><strong>{{ row.outcome|upper }}</strong></td>
<td>{% for r in row.results %}<div class="{{ r.outcome|replace(' ', '-') }}"><code>{{ r.check }}</code>: {{ r.outcome }}{% if r.detail %} &mdash; {{ r.detail }}{% endif %}
{% if r.evidence %}<br><small>evidence: {{ r.evidence|join(', ') }}</small>{% endif %}</div>{% endfor %}</td></tr>
{% endfor %}</table>
{% endfor %}
<h2>Kill one VM: timeline</h2>
{% if timeline %}<img alt="requests per second during the VM kill" src="{{ timeline }}">{% else %}<p>Not run: {{ timeline_reason }}</p>{% endif %}
<h2>Architecture (live cluster)</h2>
{% if diagram %}<img alt="architecture diagram" src="{{ diagram }}">{% else %}<p>Not drawn: {{ diagram_reason }}</p>{% endif %}
</body></html>
"""


def build_report(out_dir: Path, junit_files: list[Path], chaos_dir: Path | None, diagram_png: Path | None,
                 notes: list[str]) -> tuple[Path, Path, list[ExerciseRow]]:
    import jinja2

    results: dict[str, CheckResult] = {}
    for junit in junit_files:
        if junit.is_file():
            results.update(junit_results(junit))
    if chaos_dir and chaos_dir.is_dir():
        results.update(chaos_results(chaos_dir))
    if diagram_png and diagram_png.is_file():
        results["diagram"] = CheckResult("diagram", "passed", "drawn from the live cluster's state",
                                         [str(diagram_png.relative_to(out_dir))])
    rows = rows_for(results)
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    totals = [(o, sum(r.outcome == o for r in rows)) for o in OUTCOMES if any(r.outcome == o for r in rows)]
    seeds = [(seed, [r for r in rows if r.exercise.seed == seed]) for seed in dict.fromkeys(e.seed for e in EXERCISES)]
    timeline = chaos_dir / "vm-kill" / "timeline.png" if chaos_dir else None
    timeline_ok = timeline is not None and timeline.is_file()

    md = [f"# k3s lab report\n\nGenerated {generated}. " + ", ".join(f"{n} {o}" for o, n in totals) + ".\n"]
    md += [f"_{note}_\n" for note in notes]
    for seed, seed_rows in seeds:
        md += [f"\n## {seed}\n", "| Exercise | Result | Checks and evidence |", "|---|---|---|"]
        for row in seed_rows:
            cells = "<br>".join(
                f"`{r.check}`: {r.outcome}" + (f" — {r.detail}" if r.detail else "")
                + (f" (evidence: {', '.join(r.evidence)})" if r.evidence else "") for r in row.results)
            md.append(f"| {row.exercise.title} | **{row.outcome.upper()}** | {cells.replace('|', '/')} |")
    md.append("\n## Kill one VM: timeline\n")
    md.append(f"![timeline]({timeline.relative_to(out_dir)})\n" if timeline_ok else "Not run.\n")
    md.append("\n## Architecture (live cluster)\n")
    md.append(f"![architecture]({diagram_png.relative_to(out_dir)})\n" if diagram_png and diagram_png.is_file() else "Not drawn.\n")
    report_md = out_dir / "report.md"
    report_md.write_text("\n".join(md))

    html = jinja2.Environment(autoescape=True).from_string(HTML).render(
        generated=generated, totals=totals, notes=notes, seeds=seeds,
        timeline=_data_uri(timeline) if timeline_ok else "", timeline_reason="the vm-kill experiment did not run",
        diagram=_data_uri(diagram_png) if diagram_png and diagram_png.is_file() else "",
        diagram_reason="no reachable cluster",
    )
    report_html = out_dir / "report.html"
    report_html.write_text(html)
    return report_md, report_html, rows


def run_pytest(target: str, junit: Path, extra: list[str]) -> int:
    print(f"==> pytest {target} {' '.join(extra)}", file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "pytest", target, f"--junitxml={junit}", "-p", "no:cacheprovider", "-rs", *extra]
    # testinfra's ansible backend calls ansible-inventory, which lives next to this Python.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(command, cwd=REPO, env={**os.environ, "PATH": path}).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labtool.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="report directory (default reports/<timestamp>)")
    parser.add_argument("--inventory", default="inventory/vagrant", help="inventory for the node checks")
    parser.add_argument("--chaos", default="all", help="all, none, or a comma-separated list of experiments")
    parser.add_argument("--profile", default="auto", help="chaos failover profile: auto, fast or default")
    args = parser.parse_args(argv)
    out = (args.out or REPO / "reports" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []

    # --sudo: the node checks read root-only state; VM and cloud inventories log in as a plain user.
    run_pytest("tests/nodes", out / "nodes.xml",
               ["--hosts=ansible://k3s_cluster", f"--ansible-inventory={args.inventory}", "--sudo"])
    run_pytest("tests/cluster", out / "cluster.xml", [])

    chaos_dir, diagram_png = out / "chaos", None
    try:
        cluster = connect()
    except ClusterUnavailable as exc:
        notes.append(f"Chaos experiments and the diagram did not run: {exc}")
        cluster = None
    if cluster is not None:
        from . import chaos, diagram

        names = [] if args.chaos == "none" else list(chaos.EXPERIMENTS) if args.chaos == "all" else args.chaos.split(",")
        if names:
            lab = chaos.Lab(cluster, chaos_dir, args.profile, 20.0, 8, None, "auto", None)
            lab.wait_settled()
            for name in names:
                chaos.run_experiment(lab, chaos.EXPERIMENTS[name])
        print("==> drawing the architecture from the live cluster", file=sys.stderr, flush=True)
        diagram_png, _ = diagram.render(diagram.snapshot(cluster), out / "architecture")

    report_md, report_html, rows = build_report(out, [out / "nodes.xml", out / "cluster.xml"], chaos_dir, diagram_png, notes)
    print(f"report: {report_md}\n        {report_html}")
    return 1 if any(r.outcome == "failed" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
