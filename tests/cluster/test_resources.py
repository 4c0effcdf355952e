"""ResourceQuota and memory limits enforced on the live cluster (Deploy 5)."""

from __future__ import annotations

import httpx
import pytest
from kubernetes.client.rest import ApiException
from live import progress, require_namespace

from labtool.kube import ingress_endpoint, wait_for

pytestmark = pytest.mark.cluster

ANALYTICS_NS = "analytics"


def test_quota_rejects_an_oversized_pod(cluster):
    require_namespace(cluster, ANALYTICS_NS)
    quota = cluster.core.list_namespaced_resource_quota(ANALYTICS_NS).items
    assert quota, f"no ResourceQuota in {ANALYTICS_NS}"
    pod = {"metadata": {"name": "quota-buster"}, "spec": {"containers": [{
        "name": "big", "image": "k3s-lab/quote:1.0.0", "imagePullPolicy": "Never",
        "resources": {"requests": {"cpu": "64", "memory": "256Gi"}, "limits": {"cpu": "64", "memory": "256Gi"}}}]}}
    with pytest.raises(ApiException) as rejected:
        cluster.core.create_namespaced_pod(ANALYTICS_NS, pod, dry_run="All")
    assert rejected.value.status in (403, 422)
    assert "exceeded quota" in rejected.value.body or "must be less than or equal" in rejected.value.body, rejected.value.body


def test_analytics_oomkilled_past_its_limit(cluster):
    require_namespace(cluster, ANALYTICS_NS)
    endpoint = ingress_endpoint(cluster, ANALYTICS_NS, "analytics")
    pods = cluster.core.list_namespaced_pod(ANALYTICS_NS, label_selector="app.kubernetes.io/name=analytics").items
    restarts = {p.metadata.name: sum(s.restart_count for s in p.status.container_statuses or []) for p in pods}
    # The largest dataset the app's own guard accepts; the container limit is meant to be lower.
    for _ in range(5):
        try:
            httpx.get(endpoint.base_url + "/api/stats", params={"rows": 4_000_000, "columns": 4},
                      headers=endpoint.headers(), timeout=60)
        except httpx.HTTPError:
            pass

    def oom_killed():
        for pod in cluster.core.list_namespaced_pod(ANALYTICS_NS, label_selector="app.kubernetes.io/name=analytics").items:
            for status in pod.status.container_statuses or []:
                last = status.last_state.terminated if status.last_state else None
                if last and last.reason == "OOMKilled" and status.restart_count > restarts.get(pod.metadata.name, 0):
                    return pod.metadata.name
        return None

    name, _ = wait_for(oom_killed, 120, "an analytics container OOMKilled", progress=progress)
    progress(f"{name} was OOMKilled and restarted")
