"""Blue-green on the live cluster: the switch script changes the colour served with no
failed request, and its rollback restores the previous colour (Advanced Deploy 1)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from live import get, require_namespace

from labtool import REPO
from labtool.kube import ingress_endpoint
from labtool.lab_names import BLUE_GREEN_APP, BLUE_GREEN_COLOURS, BLUE_GREEN_NS, COLOUR_LABEL, QUOTE_RANDOM
from labtool.loadgen import LoadGenerator

pytestmark = pytest.mark.cluster



def colour_served(cluster) -> str:
    return cluster.core.read_namespaced_service(BLUE_GREEN_APP, BLUE_GREEN_NS).spec.selector[COLOUR_LABEL]


def blue_green(cluster, *args: str) -> None:
    """labtool.blue_green on the same cluster; it verifies the Service's endpoints itself."""
    result = subprocess.run([sys.executable, "-m", "labtool.blue_green", "--namespace", BLUE_GREEN_NS, "--service", BLUE_GREEN_APP, *args],
                            capture_output=True, text=True, timeout=600,
                            env={"KUBECONFIG": str(cluster.kubeconfig), "PATH": str(REPO / ".venv" / "bin")})
    assert result.returncode == 0, f"labtool.blue_green {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"


def versions_served(endpoint, requests: int = 20) -> set[str]:
    return {get(endpoint, QUOTE_RANDOM.path).json()["version"] for _ in range(requests)}


def test_switch_and_rollback_without_failed_requests(cluster):
    require_namespace(cluster, BLUE_GREEN_NS)
    endpoint = ingress_endpoint(cluster, BLUE_GREEN_NS, BLUE_GREEN_APP)
    before = colour_served(cluster)
    other = next(c for c in BLUE_GREEN_COLOURS if c != before)
    version_before = versions_served(endpoint)
    assert len(version_before) == 1, version_before
    load = LoadGenerator(endpoint, rate=20, workers=6, write_ratio=0.0).start()
    try:
        blue_green(cluster, "switch", "--to", other)
        assert colour_served(cluster) == other
        after = versions_served(endpoint)
        assert len(after) == 1 and after != version_before, (version_before, after)
        blue_green(cluster, "rollback")
        assert colour_served(cluster) == before
        assert versions_served(endpoint) == version_before
    finally:
        result = load.stop()
    assert result.total > 0 and result.succeeded == result.total, f"{result.total - result.succeeded} requests failed"
