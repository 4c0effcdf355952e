"""The quote app on the live cluster: replicas, self-healing, persistence, secrets,
autoscaling and rolling updates (Lab 85, the production session, Deploy 1 and 2)."""

from __future__ import annotations

import base64
import threading
import time

import httpx
import pytest
from live import get, kubectl, progress, ready_pod_names, serving_pods

from labtool.kube import wait_for
from labtool.lab_names import (
    DB_NS, POSTGRES_SELECTOR, QUOTE_APP, QUOTE_BY_ID, QUOTE_CONFIG_PREFIX, QUOTE_CREATE, QUOTE_LB_SERVICE,
    QUOTE_MESSAGE_KEY, QUOTE_NS, QUOTE_PAGE, QUOTE_RANDOM, QUOTES,
)
from labtool.loadgen import LoadGenerator, audit_writes

pytestmark = pytest.mark.cluster


def deployment(cluster):
    return cluster.apps.read_namespaced_deployment(QUOTE_APP, QUOTE_NS)


def wait_rolled_out(cluster, replicas: int, timeout: float = 300) -> None:
    def done():
        d = deployment(cluster)
        s = d.status
        return ((s.observed_generation or 0) >= d.metadata.generation and d.spec.replicas == replicas
                and s.updated_replicas == replicas and s.ready_replicas == replicas and s.replicas == replicas)

    wait_for(done, timeout, f"quote rolled out with {replicas} ready replicas", progress=progress)


def test_all_nodes_ready(cluster):
    nodes = cluster.core.list_node().items
    assert len(nodes) >= 2, "the lab is multi-node"
    not_ready = [n.metadata.name for n in nodes
                 if not any(c.type == "Ready" and c.status == "True" for c in n.status.conditions)]
    assert not_ready == []


def test_quote_answers_through_ingress(quote):
    page = get(quote, QUOTE_PAGE.path)
    assert page.status_code == 200 and "Served by pod" in page.text
    body = get(quote, QUOTE_RANDOM.path).json()
    assert body["text"] and body["pod"].startswith(f"{QUOTE_APP}-")


def test_responses_come_from_several_pods(cluster, quote):
    assert deployment(cluster).spec.replicas >= 3
    pods = serving_pods(quote)
    assert len(pods) >= 2, pods
    assert pods <= ready_pod_names(cluster)


def test_loadbalancer_service_serves_configmap_message(cluster):
    service = cluster.core.read_namespaced_service(QUOTE_LB_SERVICE, QUOTE_NS)
    address = service.status.load_balancer.ingress[0].ip
    port = service.spec.ports[0].port
    config = next(c for c in cluster.core.list_namespaced_config_map(QUOTE_NS).items
                  if c.metadata.name.startswith(f"{QUOTE_CONFIG_PREFIX}-"))
    response = httpx.get(f"http://{address}:{port}/", timeout=5)
    assert response.status_code == 200
    assert config.data[QUOTE_MESSAGE_KEY] in response.text


def scale(cluster, replicas: int) -> None:
    """Through the HPA when there is one (it would undo a plain scale), else the Deployment."""
    hpas = [h for h in cluster.autoscaling.list_namespaced_horizontal_pod_autoscaler(QUOTE_NS).items
            if h.spec.scale_target_ref.name == QUOTE_APP]
    if hpas:
        hpa = hpas[0]
        cluster.autoscaling.patch_namespaced_horizontal_pod_autoscaler(
            hpa.metadata.name, QUOTE_NS, {"spec": {"minReplicas": replicas, "maxReplicas": max(replicas, hpa.spec.max_replicas)}})
    else:
        cluster.apps.patch_namespaced_deployment_scale(QUOTE_APP, QUOTE_NS, {"spec": {"replicas": replicas}})


@pytest.fixture
def hpa_restored(cluster):
    hpas = cluster.autoscaling.list_namespaced_horizontal_pod_autoscaler(QUOTE_NS).items
    saved = {h.metadata.name: (h.spec.min_replicas, h.spec.max_replicas) for h in hpas}
    replicas = deployment(cluster).spec.replicas
    yield
    for name, (low, high) in saved.items():
        cluster.autoscaling.patch_namespaced_horizontal_pod_autoscaler(name, QUOTE_NS, {"spec": {"minReplicas": low, "maxReplicas": high}})
    if not saved:
        cluster.apps.patch_namespaced_deployment_scale(QUOTE_APP, QUOTE_NS, {"spec": {"replicas": replicas}})


def test_scaling_to_five_and_back_changes_serving_pods(cluster, quote, hpa_restored):
    wait_rolled_out(cluster, 3)
    before = ready_pod_names(cluster)
    scale(cluster, 5)
    wait_rolled_out(cluster, 5)
    five = ready_pod_names(cluster)
    assert len(five) == 5 and before < five
    served = serving_pods(quote, 100)
    assert served & (five - before), f"none of the new pods {five - before} served: {served}"
    scale(cluster, 3)
    wait_rolled_out(cluster, 3)
    assert len(ready_pod_names(cluster)) == 3
    assert serving_pods(quote) <= ready_pod_names(cluster)


def test_deleted_pod_is_recreated(cluster):
    wait_rolled_out(cluster, deployment(cluster).spec.replicas)
    before = ready_pod_names(cluster)
    victim = sorted(before)[0]
    cluster.core.delete_namespaced_pod(victim, QUOTE_NS)
    want = deployment(cluster).spec.replicas

    def replaced():
        now = ready_pod_names(cluster)
        return now if victim not in now and len(now) == want else None

    now, took = wait_for(replaced, 180, "replacement pod Ready", progress=progress)
    new = now - before
    assert len(new) == 1
    pod = cluster.core.read_namespaced_pod(new.pop(), QUOTE_NS)
    assert [o.kind for o in pod.metadata.owner_references] == ["ReplicaSet"]
    progress(f"replacement Ready {took:.1f} s after the delete")


def test_data_survives_postgres_pod_deletion(cluster, quote):
    text = f"persistence check {time.time_ns()}"
    created = httpx.post(quote.base_url + QUOTE_CREATE.path, headers=quote.headers(), timeout=10,
                         json={"author": "tests/cluster", "text": text})
    assert created.status_code == 201, created.text
    quote_id = created.json()["id"]
    db_pod = cluster.core.list_namespaced_pod(DB_NS, label_selector=POSTGRES_SELECTOR).items[0]
    old_uid = db_pod.metadata.uid
    cluster.core.delete_namespaced_pod(db_pod.metadata.name, DB_NS)

    def back():
        pods = cluster.core.list_namespaced_pod(DB_NS, label_selector=POSTGRES_SELECTOR).items
        return any(p.metadata.uid != old_uid and any(c.type == "Ready" and c.status == "True"
                                                     for c in p.status.conditions or []) for p in pods)

    wait_for(back, 300, "PostgreSQL pod recreated and Ready", progress=progress)

    def read_back():
        response = get(quote, QUOTE_BY_ID.url(quote_id=quote_id))
        return response if response.status_code == 200 else None

    response, _ = wait_for(read_back, 60, f"quote {quote_id} readable again", progress=progress)
    assert response.json()["text"] == text


def test_secret_referenced_not_inlined(cluster):
    spec = deployment(cluster).spec.template.spec
    container = next(c for c in spec.containers if c.name == QUOTE_APP)
    env = {e.name: e for e in container.env}
    for name in ("POSTGRES_USER", "POSTGRES_PASSWORD"):
        assert env[name].value is None and env[name].value_from.secret_key_ref is not None, name
    ref = env["POSTGRES_PASSWORD"].value_from.secret_key_ref
    secret = cluster.core.read_namespaced_secret(ref.name, QUOTE_NS)
    password = base64.b64decode(secret.data[ref.key]).decode()
    assert len(password) >= 12
    rendered = str(cluster.api.sanitize_for_serialization(deployment(cluster)))
    assert password not in rendered


def test_hpa_scales_out_under_load_and_back(cluster, quote):
    hpa = next(h for h in cluster.autoscaling.list_namespaced_horizontal_pod_autoscaler(QUOTE_NS).items
               if h.spec.scale_target_ref.name == QUOTE_APP)
    low = hpa.spec.min_replicas
    stop = threading.Event()

    def hammer():
        with httpx.Client(base_url=quote.base_url, headers=quote.headers(), timeout=5) as http:
            while not stop.is_set():
                try:
                    http.get(QUOTES.path, params={"limit": 100})
                except httpx.HTTPError:
                    pass

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(16)]
    for thread in threads:
        thread.start()
    try:
        _, took = wait_for(lambda: deployment(cluster).spec.replicas > low, 420, "HPA scales out", interval=5, progress=progress)
        progress(f"scaled out to {deployment(cluster).spec.replicas} after {took:.0f} s of load")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    _, took = wait_for(lambda: deployment(cluster).spec.replicas == low, 600, "HPA scales back in", interval=5, progress=progress)
    progress(f"back to {low} replicas {took:.0f} s after the load stopped")


def test_rolling_update_to_v2_and_undo(cluster, quote):
    wait_rolled_out(cluster, deployment(cluster).spec.replicas)
    image = next(c.image for c in deployment(cluster).spec.template.spec.containers if c.name == QUOTE_APP)
    repository, v1 = image.rsplit(":", 1)
    load = LoadGenerator(quote, rate=20, workers=6).start()
    try:
        kubectl(cluster, "-n", QUOTE_NS, "set", "image", f"deployment/{QUOTE_APP}", f"{QUOTE_APP}={repository}:2.0.0")
        kubectl(cluster, "-n", QUOTE_NS, "rollout", "status", f"deployment/{QUOTE_APP}", "--timeout=300s")
        versions = {get(quote, QUOTE_RANDOM.path).json()["version"] for _ in range(30)}
        assert versions == {"2.0.0"}
        history = kubectl(cluster, "-n", QUOTE_NS, "rollout", "history", f"deployment/{QUOTE_APP}")
        revisions = [line.split()[0] for line in history.splitlines() if line.split() and line.split()[0].isdigit()]
        assert len(revisions) >= 2, history
        kubectl(cluster, "-n", QUOTE_NS, "rollout", "undo", f"deployment/{QUOTE_APP}")
        kubectl(cluster, "-n", QUOTE_NS, "rollout", "status", f"deployment/{QUOTE_APP}", "--timeout=300s")
        versions = {get(quote, QUOTE_RANDOM.path).json()["version"] for _ in range(30)}
        assert versions == {v1}
    finally:
        result = load.stop()
    failed = result.total - result.succeeded
    progress(f"rolling update: {failed} of {result.total} requests failed")
    assert result.success_ratio >= 0.99, f"{failed} of {result.total} requests failed"
    assert audit_writes(quote, result.ledger).ok
