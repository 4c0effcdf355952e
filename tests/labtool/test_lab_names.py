"""The names the live checks and the chaos experiments look up (labtool.lab_names)
exist where the lab defines them: objects, labels and Secret references in the
rendered lab overlay (`kubectl kustomize manifests/overlays/lab`),
Secret keys in roles/workload_secrets, routes in the apps, the blue-green script's
command line, and every check the lab report cites. Runs without a cluster, so a
rename fails here rather than on the lab. The negative cases are the names these
checks once guessed wrong: the same helpers must reject them."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

from labtool import catalogue, chaos, lab_names
from labtool.lab_names import Ref, Route
from labtool.report import EXERCISES

# The kustomize renderer and pod-template walker the manifest tests use (pytest's pythonpath).
from manifest_policies import pod_templates
from manifest_render import REPO, render

SECRETS = catalogue.secrets()
BUILT_IMAGES = catalogue.images()
HTTP_METHODS = {"get", "post", "put", "delete", "patch"}


@functools.cache
def lab_objects() -> tuple[dict, ...]:
    """Every object the lab applies."""
    return render("overlays/lab")


def find(ref: Ref) -> dict | None:
    for obj in lab_objects():
        meta = obj["metadata"]
        if obj["kind"] == ref.kind and meta["name"] == ref.name and meta.get("namespace", "") == ref.namespace:
            return obj
    return None


def pods_matching(namespace: str, selector: str) -> list:
    wanted = dict(term.split("=", 1) for term in selector.split(","))
    return [p for p in pod_templates(list(lab_objects()))
            if p.namespace == namespace and wanted.items() <= p.labels.items()]


def container(namespace: str, deployment: str, name: str) -> dict:
    obj = find(Ref("Deployment", namespace, deployment))
    assert obj, f"no Deployment {namespace}/{deployment}"
    containers = {c["name"]: c for c in obj["spec"]["template"]["spec"]["containers"]}
    assert name in containers, f"Deployment {namespace}/{deployment} has containers {sorted(containers)}, not {name}"
    return containers[name]


def secret_ref(env: list[dict], variable: str) -> tuple[str, str] | None:
    ref = next((e.get("valueFrom", {}).get("secretKeyRef") for e in env if e["name"] == variable), None)
    return (ref["name"], ref["key"]) if ref else None


def created_secret_keys() -> set[tuple[str, str, str]]:
    return {(ns, s["name"], key) for s in SECRETS for ns in s["namespaces"]
            for key in [*(s.get("fixed") or {}), *(s.get("generated") or [])]}


@functools.cache
def app_routes(app: str) -> frozenset[tuple[str, str]]:
    """(METHOD, path) of every route decorator in the modules of apps/<app> (labkit: its
    health module), with the prefix of the APIRouter it is registered on."""
    package = REPO / "apps" / app
    sources = [package / "health.py"] if app == "labkit" else sorted(package.glob("*.py"))
    routes = set()
    for source in sources:
        tree = ast.parse(source.read_text())
        prefixes = {}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", "") == "APIRouter"):
                prefix = next((k.value.value for k in node.value.keywords if k.arg == "prefix"), "")
                prefixes.update({t.id: prefix for t in node.targets if isinstance(t, ast.Name)})
        for node in ast.walk(tree):
            if not isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr in HTTP_METHODS and isinstance(decorator.func.value, ast.Name)
                        and decorator.args and isinstance(decorator.args[0], ast.Constant)):
                    prefix = prefixes.get(decorator.func.value.id, "")
                    routes.add((decorator.func.attr.upper(), prefix + decorator.args[0].value))
    return frozenset(routes)


# --- objects, labels, Secrets ---------------------------------------------------------

@pytest.mark.parametrize("ref", lab_names.OBJECTS, ids=lambda r: f"{r.kind}/{r.namespace}/{r.name}")
def test_object_exists_in_the_lab_overlay(ref: Ref) -> None:
    assert find(ref), f"{ref.kind} {ref.namespace}/{ref.name} is not in manifests/overlays/lab"


@pytest.mark.parametrize("ref", [
    Ref("Ingress", "microservices", "orders"), Ref("Deployment", "multi-tier", "api"),
    Ref("Secret", "quote-app", "quote-admin"),  # made by workload_secrets, never in the manifests
], ids=str)
def test_a_wrong_object_name_is_caught(ref: Ref) -> None:
    assert find(ref) is None


@pytest.mark.parametrize("namespace, selector", lab_names.SELECTORS)
def test_selector_matches_lab_pods(namespace: str, selector: str) -> None:
    assert pods_matching(namespace, selector), f"no pod template in {namespace} carries {selector}"


def test_a_wrong_selector_is_caught() -> None:
    assert not pods_matching(lab_names.MICRO_NS, lab_names.selector("orders"))


@pytest.mark.parametrize("namespace, secret, key", lab_names.SECRET_KEYS)
def test_secret_key_is_created_by_workload_secrets(namespace: str, secret: str, key: str) -> None:
    assert (namespace, secret, key) in created_secret_keys(), \
        f"roles/workload_secrets creates no {key} in Secret {namespace}/{secret}"


def test_quote_reads_the_admin_token_and_the_variables_chaos_changes() -> None:
    quote = container(lab_names.QUOTE_NS, lab_names.QUOTE_APP, chaos.CONTAINER)
    env = quote.get("env", [])
    # Optional, so the app starts (without fault injection) if the Secret is absent.
    ref = next(e["valueFrom"]["secretKeyRef"] for e in env if e["name"] == "ADMIN_TOKEN")
    assert (ref["name"], ref["key"], ref.get("optional")) == (lab_names.ADMIN_SECRET, lab_names.ADMIN_TOKEN_KEY, True)
    assert lab_names.QUOTE_REQUIRED_ENV in {e["name"] for e in env}, "missing-env would remove nothing"
    assert {"name": "http", "containerPort": lab_names.APP_PORT} in [
        {k: p.get(k) for k in ("name", "containerPort")} for p in quote["ports"]]


@pytest.mark.parametrize("service", sorted(lab_names.API_KEY_SECRETS))
def test_keyed_service_and_the_gateway_share_its_key_secret(service: str) -> None:
    """The live test authenticates with the Secret's key; it is the one the service
    accepts and the gateway sends."""
    expected = (lab_names.API_KEY_SECRETS[service], lab_names.API_KEY_SECRET_KEY)
    callee = container(lab_names.MICRO_NS, service, service)
    gateway = container(lab_names.MICRO_NS, lab_names.GATEWAY, lab_names.GATEWAY)
    assert secret_ref(callee.get("env", []), "API_KEYS") == expected
    assert secret_ref(gateway.get("env", []), f"{service.upper()}_API_KEY") == expected
    assert {p["containerPort"] for p in callee["ports"]} == {lab_names.APP_PORT}


def test_api_key_header_is_the_one_the_services_read() -> None:
    from labkit.auth import API_KEY_HEADER

    assert lab_names.API_KEY_HEADER == API_KEY_HEADER


def test_lab_namespaces_carry_the_lab_label() -> None:
    key, value = lab_names.LAB_LABEL.split("=", 1)
    namespaces = {o["metadata"]["name"]: o["metadata"].get("labels", {}) for o in lab_objects() if o["kind"] == "Namespace"}
    assert namespaces and all(labels.get(key) == value for labels in namespaces.values()), namespaces


def test_ingress_controller_label_is_the_one_the_policies_admit() -> None:
    """The pods the policies let in from the controller's namespace (ServiceLB's aside)
    are the ones chaos and the diagram look up as the ingress controller."""
    admitted = {tuple(sorted(peer.get("podSelector", {}).get("matchLabels", {}).items()))
                for o in lab_objects() if o["kind"] == "NetworkPolicy"
                for rule in o["spec"].get("ingress", []) for peer in rule.get("from", [])
                if peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                == lab_names.INGRESS_CONTROLLER_NAMESPACE
                and "svccontroller.k3s.cattle.io/svcname" not in peer.get("podSelector", {}).get("matchLabels", {})}
    assert admitted == {((lab_names.NAME_LABEL, lab_names.INGRESS_CONTROLLER_APP),)}, admitted


@pytest.mark.parametrize("namespace, ingress, service", [
    (lab_names.QUOTE_NS, lab_names.QUOTE_APP, lab_names.QUOTE_APP),
    (lab_names.BLUE_GREEN_NS, lab_names.BLUE_GREEN_APP, lab_names.BLUE_GREEN_APP),
    (lab_names.ANALYTICS_NS, lab_names.ANALYTICS_APP, lab_names.ANALYTICS_APP),
    (lab_names.MICRO_NS, lab_names.GATEWAY, lab_names.GATEWAY),
])
def test_ingress_sends_to_the_service_the_checks_expect(namespace: str, ingress: str, service: str) -> None:
    obj = find(Ref("Ingress", namespace, ingress))
    backends = {p["backend"]["service"]["name"] for r in obj["spec"]["rules"] for p in r["http"]["paths"]}
    assert backends == {service}


def test_backend_is_internal() -> None:
    backend = find(Ref("Service", lab_names.MULTI_TIER_NS, lab_names.BACKEND_SERVICE))
    assert backend["spec"].get("type", "ClusterIP") == "ClusterIP"
    routed = {p["backend"]["service"]["name"] for o in lab_objects()
              if o["kind"] == "Ingress" and o["metadata"]["namespace"] == lab_names.MULTI_TIER_NS
              for r in o["spec"]["rules"] for p in r["http"]["paths"]}
    assert routed and lab_names.BACKEND_SERVICE not in routed


def test_blue_green_colours_are_selected_by_the_colour_label() -> None:
    service = find(Ref("Service", lab_names.BLUE_GREEN_NS, lab_names.BLUE_GREEN_APP))
    assert service["spec"]["selector"][lab_names.COLOUR_LABEL] in lab_names.BLUE_GREEN_COLOURS
    for colour in lab_names.BLUE_GREEN_COLOURS:
        pods = pods_matching(lab_names.BLUE_GREEN_NS, f"{lab_names.COLOUR_LABEL}={colour}")
        assert [p.owner["metadata"]["name"] for p in pods] == [f"{lab_names.BLUE_GREEN_APP}-{colour}"]


def test_probe_image_is_built_for_every_node() -> None:
    name, version = lab_names.PROBE_IMAGE.removeprefix("k3s-lab/").split(":")
    assert any(i["name"] == name and i["version"] == version for i in BUILT_IMAGES), \
        f"{lab_names.PROBE_IMAGE} is not in roles/app_images' list"


# --- HTTP routes, the blue-green CLI, the report's checks --------------------------------

@pytest.mark.parametrize("route", lab_names.ROUTES, ids=lambda r: f"{r.app} {r.method} {r.path}")
def test_route_exists_in_its_app(route: Route) -> None:
    assert (route.method, route.path) in app_routes(route.app), sorted(app_routes(route.app))


@pytest.mark.parametrize("route", [
    Route("gateway", "GET", "/api/orders"), Route("gateway", "GET", "/api/trace"),
    Route("authors", "GET", "/authors/{author_id}"),  # missing its router's /api prefix
    Route("labkit", "PUT", "/admin/faults/{probe}"),
], ids=lambda r: f"{r.app} {r.method} {r.path}")
def test_a_wrong_route_is_caught(route: Route) -> None:
    assert (route.method, route.path) not in app_routes(route.app)


def blue_green_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """labtool.blue_green as the live test runs it, with a kubeconfig that does not
    exist: arguments it accepts get as far as connecting (exit 2, no reachable cluster)."""
    return subprocess.run([sys.executable, "-m", "labtool.blue_green", "--namespace", lab_names.BLUE_GREEN_NS,
                           "--service", lab_names.BLUE_GREEN_APP, *args], capture_output=True, text=True, timeout=60,
                          env={"KUBECONFIG": str(tmp_path / "absent"), "PATH": str(Path(sys.executable).parent)})


@pytest.mark.parametrize("args", [("switch", "--to", "green"), ("switch", "--to", "blue"), ("rollback",)])
def test_blue_green_cli_accepts_what_the_live_test_runs(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = blue_green_cli(tmp_path, *args)
    assert result.returncode == 2 and "no reachable cluster" in result.stderr, result.stderr


def test_blue_green_cli_refuses_the_old_guess(tmp_path: Path) -> None:
    result = blue_green_cli(tmp_path, "switch", "green")
    assert result.returncode == 2 and "no reachable cluster" not in result.stderr
    assert "--to" in result.stderr, result.stderr


def test_every_check_the_report_cites_exists() -> None:
    missing = []
    for exercise in EXERCISES:
        for check in exercise.checks:
            if check.startswith("chaos:"):
                if check.removeprefix("chaos:") not in chaos.EXPERIMENTS:
                    missing.append(check)
            elif "::" in check:
                path, function = check.split("::")
                source = REPO / path
                names = {n.name for n in ast.walk(ast.parse(source.read_text()))
                         if isinstance(n, ast.FunctionDef)} if source.is_file() else set()
                if function not in names:
                    missing.append(check)
            elif check != "diagram":
                missing.append(check)
    assert not missing, f"the lab report cites checks that do not exist: {missing}"
