"""Failover timing after a node dies: the quote pods' NoExecute tolerations in the lab
leave room for the chaos run's target (all replicas Ready <= 30 s after a VM kill,
docs/chaos.md) on top of the k3s_server fast-failover grace period; elsewhere the
cluster's own defaults apply (no per-workload override in the bases or in the GitOps
environments), so a production cluster keeps Kubernetes' 300 s unless it says otherwise."""

from __future__ import annotations

import pytest
import yaml

from manifest_policies import pod_templates
from manifest_render import ENVIRONMENTS, REPO, render

TARGET_S = 30
# Scheduling, container start, app start-up and the first probes of the replacement
# pod, with the image already imported (imagePullPolicy Never).
POD_START_ALLOWANCE_S = 9
TAINTS = {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}
K3S_SERVER_DEFAULTS = yaml.safe_load((REPO / "roles/k3s_server/defaults/main.yml").read_text())


def seconds(value: str) -> int:
    assert value.endswith("s") and value[:-1].isdigit(), f"expected whole seconds like 16s, got {value!r}"
    return int(value[:-1])


def eviction_tolerations(pod) -> dict[str, int | None]:
    return {t["key"]: t.get("tolerationSeconds") for t in pod.spec.get("tolerations", [])
            if t.get("key") in TAINTS and t.get("effect") == "NoExecute"}


def quote_pods(overlay: str) -> list:
    return [p for p in pod_templates(list(render(overlay)))
            if p.owner["kind"] == "Deployment" and p.labels.get("app.kubernetes.io/name") == "quote"]


def test_lab_quote_pods_move_in_time_for_the_target() -> None:
    grace = seconds(K3S_SERVER_DEFAULTS["k3s_server_node_monitor_grace_period"])
    pods = quote_pods("overlays/lab")
    assert {p.owner["metadata"]["name"] for p in pods} == {"quote", "quote-blue", "quote-green"}
    for pod in pods:
        tolerations = eviction_tolerations(pod)
        assert set(tolerations) == TAINTS, pod.owner["metadata"]["name"]
        for taint, toleration in tolerations.items():
            assert grace + toleration + POD_START_ALLOWANCE_S <= TARGET_S, (
                f"{pod.owner['metadata']['name']}: {grace} s grace + {toleration} s {taint} toleration "
                f"+ {POD_START_ALLOWANCE_S} s start exceeds {TARGET_S} s")


def test_the_cluster_default_alone_would_miss_the_target() -> None:
    # Why the lab sets its own: the fast profile's API server default is not enough.
    grace = seconds(K3S_SERVER_DEFAULTS["k3s_server_node_monitor_grace_period"])
    default = K3S_SERVER_DEFAULTS["k3s_server_pod_toleration_seconds"]
    assert grace + default + POD_START_ALLOWANCE_S > TARGET_S


@pytest.mark.parametrize("overlay", ENVIRONMENTS)
def test_environments_keep_the_cluster_default(overlay: str) -> None:
    for pod in pod_templates(list(render(overlay))):
        assert not eviction_tolerations(pod), f"{overlay}: {pod.owner['metadata']['name']} overrides the cluster default"


def test_the_database_is_never_evicted_early() -> None:
    # Pinned to its node by local-path: evicting it early cannot move it anywhere.
    for pod in pod_templates(list(render("overlays/lab"))):
        if pod.owner["kind"] == "StatefulSet":
            assert not eviction_tolerations(pod)
