"""Microservices on the live cluster: API keys between services and one trace id
across them (Advanced Deploy 2)."""

from __future__ import annotations

import pytest
from live import get, require_namespace

from labtool.kube import ingress_endpoint

pytestmark = pytest.mark.cluster

NAMESPACE, INGRESS = "microservices", "gateway"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_request_without_key_is_rejected(cluster):
    require_namespace(cluster, NAMESPACE)
    endpoint = ingress_endpoint(cluster, NAMESPACE, INGRESS)
    response = get(endpoint, "/api/orders")
    assert response.status_code == 401, response.text


def test_trace_id_is_shared_across_services(cluster):
    require_namespace(cluster, NAMESPACE)
    endpoint = ingress_endpoint(cluster, NAMESPACE, INGRESS)
    parent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
    response = get(endpoint, "/api/trace", headers={"traceparent": parent})
    assert response.status_code == 200, response.text
    hops = response.json()["hops"]
    assert len(hops) >= 2
    assert {hop["trace_id"] for hop in hops} == {TRACE_ID}
