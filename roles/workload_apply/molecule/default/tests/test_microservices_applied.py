"""After converge: the microservices overlay runs on a real Kubernetes, applied from the
controller by the role. Then the lab's own live checks that need neither an Ingress
controller nor NetworkPolicy enforcement (which this cluster lacks) run against it."""

import os
import subprocess
import sys
from pathlib import Path

from kubernetes import client, config

from labtool.lab_names import AUTHORS, GATEWAY, MICRO_NS, RATINGS

REPO = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]).parents[1]
KUBECONFIG = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "kubeconfig"


def test_every_deployment_is_fully_available():
    apps = client.AppsV1Api(config.new_client_from_config(str(KUBECONFIG)))
    deployments = {d.metadata.name: d for d in apps.list_namespaced_deployment(MICRO_NS).items}
    assert set(deployments) == {AUTHORS, RATINGS, GATEWAY}
    for name, deployment in deployments.items():
        assert deployment.spec.replicas >= 1
        assert deployment.status.available_replicas == deployment.spec.replicas, name


def test_the_keyed_services_live_checks_pass_on_this_cluster():
    """tests/cluster's key checks (missing and wrong key: 401; the right key: 200), through
    the API server's port-forward; none may skip."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/cluster/test_microservices_live.py", "-k", "request_without_key",
         "-p", "no:cacheprovider", "-rs", "-q"],
        cwd=REPO, env={**os.environ, "KUBECONFIG": str(KUBECONFIG)}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0 and "2 passed" in result.stdout and "skipped" not in result.stdout, result.stdout
