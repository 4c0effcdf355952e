"""Blue-green on the live cluster: the switch script changes the colour served with no
failed request, and its rollback restores the previous colour (Advanced Deploy 1)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from live import get, require_namespace

from labtool.kube import REPO_ROOT, ingress_endpoint
from labtool.loadgen import LoadGenerator

pytestmark = pytest.mark.cluster

NAMESPACE = "blue-green"
SCRIPT = REPO_ROOT / "scripts" / "blue_green.py"


def colour_served(cluster) -> str:
    return cluster.core.read_namespaced_service("quote", NAMESPACE).spec.selector["color"]


def switch(cluster, *args: str) -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300,
                            env={"KUBECONFIG": str(cluster.kubeconfig), "PATH": str(REPO_ROOT / ".venv" / "bin")})
    assert result.returncode == 0, result.stderr


def test_switch_and_rollback_without_failed_requests(cluster):
    require_namespace(cluster, NAMESPACE)
    if not SCRIPT.is_file():
        pytest.skip("scripts/blue_green.py is not in this checkout")
    endpoint = ingress_endpoint(cluster, NAMESPACE, "quote")
    before = colour_served(cluster)
    other = "green" if before == "blue" else "blue"
    version_before = get(endpoint, "/api/quotes/random").json()["version"]
    load = LoadGenerator(endpoint, rate=20, workers=6, write_ratio=0.0).start()
    try:
        switch(cluster, "switch", other)
        assert colour_served(cluster) == other
        after = {get(endpoint, "/api/quotes/random").json()["version"] for _ in range(20)}
        assert len(after) == 1 and after != {version_before}
        switch(cluster, "rollback")
        assert colour_served(cluster) == before
        assert {get(endpoint, "/api/quotes/random").json()["version"] for _ in range(20)} == {version_before}
    finally:
        result = load.stop()
    assert result.total > 0 and result.succeeded == result.total, f"{result.total - result.succeeded} requests failed"
