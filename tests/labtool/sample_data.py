"""Recorded-style sample data the report tests build themselves: a VM-kill timeline,
events in the API's JSON shape, and a cluster snapshot."""

from __future__ import annotations

from labtool.loadgen import Sample
from labtool.timeline import Mark

KILL_AT, NOT_READY_AT, RECOVERED_AT = 20.0, 36.0, 48.0


def vm_kill_samples(failures: bool = True) -> list[Sample]:
    """60 s at 10 requests/s; with failures, 3 per second fail from the kill until recovery."""
    samples = []
    for tenth in range(600):
        t = tenth / 10
        failed = failures and KILL_AT <= t < RECOVERED_AT and tenth % 10 < 3
        samples.append(Sample(t=t, op="write" if tenth % 3 == 0 else "read", ok=not failed,
                              status=0 if failed else 200, latency_ms=2000.0 if failed else 12.0,
                              pod="" if failed else f"quote-abc-{tenth % 3}",
                              error="ConnectTimeout: timed out" if failed else ""))
    return samples


MARKS = [
    Mark(KILL_AT, "virsh destroy agent-1", "fault"),
    Mark(NOT_READY_AT, "agent-1 NotReady", "info"),
    Mark(RECOVERED_AT, "3/3 Ready on surviving nodes", "recovery"),
]


def event(reason: str, message: str, pod: str, kind: str = "Warning", count: int = 1, at: str = "2025-01-01T10:00:00Z") -> dict:
    return {"type": kind, "reason": reason, "message": message, "count": count, "lastTimestamp": at,
            "involvedObject": {"kind": "Pod", "name": pod, "namespace": "quote-app"}}


EVENTS = [
    event("Scheduled", "Successfully assigned quote-app/quote-bad-1 to agent-2", "quote-bad-1", "Normal"),
    event("Failed", 'Failed to pull image "k3s-lab/quote:nope": not found', "quote-bad-1", count=3,
          at="2025-01-01T10:00:05Z"),
    event("BackOff", 'Back-off pulling image "k3s-lab/quote:nope"', "quote-bad-1", count=5,
          at="2025-01-01T10:00:09Z"),
    event("Killing", "Stopping container quote", "quote-other", "Normal", at="2025-01-01T09:59:00Z"),
]

POD = {
    "metadata": {"name": "quote-bad-1", "namespace": "quote-app", "labels": {"app.kubernetes.io/name": "quote"}},
    "spec": {"nodeName": "agent-2", "containers": [{
        "name": "quote", "image": "k3s-lab/quote:nope",
        "resources": {"limits": {"memory": "256Mi"}, "requests": {"memory": "128Mi"}}}]},
    "status": {"phase": "Pending", "podIP": "10.42.2.7", "startTime": "2025-01-01T10:00:00Z",
               "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
               "containerStatuses": [{"name": "quote", "ready": False, "restartCount": 0,
                                      "state": {"waiting": {"reason": "ImagePullBackOff",
                                                            "message": "Back-off pulling image"}}}]},
}


def cluster_state() -> dict:
    quote = {"app.kubernetes.io/name": "quote"}
    return {
        "nodes": [
            {"name": "server-1", "ready": True, "roles": ["control-plane", "master"], "internal_ip": "192.168.56.11"},
            {"name": "agent-1", "ready": False, "roles": ["agent"], "internal_ip": "192.168.56.21"},
            {"name": "agent-2", "ready": True, "roles": ["agent"], "internal_ip": "192.168.56.22"},
        ],
        "pods": [
            {"namespace": "quote-app", "name": "quote-7d9-a", "node": "server-1", "phase": "Running", "ready": True, "labels": quote},
            {"namespace": "quote-app", "name": "quote-7d9-b", "node": "agent-1", "phase": "Running", "ready": False, "labels": quote},
            {"namespace": "quote-app", "name": "quote-7d9-c", "node": "agent-2", "phase": "Running", "ready": True, "labels": quote},
            {"namespace": "quote-app", "name": "quote-7d9-d", "node": "", "phase": "Pending", "ready": False, "labels": quote},
            {"namespace": "quote-db", "name": "postgres-0", "node": "agent-2", "phase": "Running", "ready": True,
             "labels": {"app.kubernetes.io/name": "postgres"}},
            {"namespace": "kube-system", "name": "traefik-5f8", "node": "server-1", "phase": "Running", "ready": True,
             "labels": {"app.kubernetes.io/name": "traefik"}},
        ],
        "services": [
            {"namespace": "quote-app", "name": "quote", "type": "ClusterIP", "selector": quote, "ports": [80]},
            {"namespace": "quote-app", "name": "quote-lb", "type": "LoadBalancer", "selector": quote, "ports": [8080]},
            {"namespace": "quote-db", "name": "postgres", "type": "ClusterIP", "selector": {"app.kubernetes.io/name": "postgres"}, "ports": [5432]},
        ],
        "ingresses": [{"namespace": "quote-app", "name": "quote", "hosts": ["quote.192.168.56.11.sslip.io"], "services": ["quote"]}],
        "network_policies": [
            {"namespace": "quote-db", "name": "postgres-from-quote-apps", "pod_selector": {"app.kubernetes.io/name": "postgres"}, "policy_types": ["Ingress"]},
            {"namespace": "quote-app", "name": "default-deny", "pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
        ],
    }
