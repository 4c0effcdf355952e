"""Live checks against the lab cluster. Every test here is marked `cluster`, is collected
in the normal run and skips with the reason when no cluster answers."""

from __future__ import annotations

import pytest

from labtool.kube import ClusterUnavailable, connect, ingress_endpoint
from labtool.lab_names import QUOTE_APP, QUOTE_NS


@pytest.fixture(scope="session")
def cluster():
    try:
        return connect()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def quote(cluster):
    """The quote app's Ingress endpoint (address + Host header)."""
    return ingress_endpoint(cluster, QUOTE_NS, QUOTE_APP)
