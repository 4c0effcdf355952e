"""ResourceQuota and memory limits enforced on the live cluster (Deploy 5)."""

from __future__ import annotations

import httpx
import pytest
from kubernetes.client.rest import ApiException
from live import progress, require_namespace

from labtool.kube import ingress_endpoint, wait_for
from labtool.lab_names import ANALYTICS_APP, ANALYTICS_NS, ANALYTICS_QUOTA, ANALYTICS_SELECTOR, ANALYTICS_STATS, PROBE_IMAGE

pytestmark = pytest.mark.cluster

# apps/analytics/README.md: 2,000,000 rows x 8 columns peaks near 380 MiB, OOM-killed
# for certain under the Deployment's 256Mi limit (500,000 rows fit).
OOM_REQUEST = {"rows": 2_000_000, "columns": 8}


def test_quota_rejects_a_pod_past_the_namespace_total(cluster):
    require_namespace(cluster, ANALYTICS_NS)
    quota = cluster.core.read_namespaced_resource_quota(ANALYTICS_QUOTA, ANALYTICS_NS)
    # Small enough for the LimitRange's per-container maximum and compliant with the
    # namespace's restricted Pod Security level, so only the quota can refuse it: the
    # lab's analytics + catalogue pods already use the whole quota.
    pod = {"metadata": {"name": "quota-probe"}, "spec": {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "probe", "image": PROBE_IMAGE, "imagePullPolicy": "Never",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        }]}}
    with pytest.raises(ApiException) as rejected:
        cluster.core.create_namespaced_pod(ANALYTICS_NS, pod, dry_run="All")
    assert rejected.value.status == 403, rejected.value.body
    assert f"exceeded quota: {ANALYTICS_QUOTA}" in rejected.value.body, rejected.value.body
    progress(f"quota {ANALYTICS_QUOTA} used {quota.status.used} of {quota.status.hard}")


def test_analytics_oomkilled_past_its_limit(cluster):
    require_namespace(cluster, ANALYTICS_NS)
    endpoint = ingress_endpoint(cluster, ANALYTICS_NS, ANALYTICS_APP)
    pods = cluster.core.list_namespaced_pod(ANALYTICS_NS, label_selector=ANALYTICS_SELECTOR).items
    restarts = {p.metadata.name: sum(s.restart_count for s in p.status.container_statuses or []) for p in pods}
    for _ in range(5):
        try:
            httpx.get(endpoint.base_url + ANALYTICS_STATS.path, params=OOM_REQUEST, headers=endpoint.headers(), timeout=60)
        except httpx.HTTPError:
            pass  # the kill drops the connection: expected

    def oom_killed():
        for pod in cluster.core.list_namespaced_pod(ANALYTICS_NS, label_selector=ANALYTICS_SELECTOR).items:
            for status in pod.status.container_statuses or []:
                last = status.last_state.terminated if status.last_state else None
                if last and last.reason == "OOMKilled" and status.restart_count > restarts.get(pod.metadata.name, 0):
                    return pod.metadata.name
        return None

    name, _ = wait_for(oom_killed, 120, "an analytics container OOMKilled", progress=progress)
    progress(f"{name} was OOMKilled and restarted")
