"""Microservices on the live cluster: the services behind the gateway refuse calls
without their API key, and one user request is one trace across every hop
(Advanced 2). The gateway is the public hop (no key from users, Ingress `gateway`);
authors and ratings require X-API-Key and are reachable only from their callers, so
the keyless calls go to one of their pods through the API server's port-forward."""

from __future__ import annotations

import base64
import json
import secrets

import httpx
import pytest
from live import ThrowawayNamespace, connect_code, get, progress, ready_pod_names, require_namespace

from labtool.kube import ingress_endpoint, pod_http, wait_for
from labtool.lab_names import (
    API_KEY_HEADER, API_KEY_SECRET_KEY, API_KEY_SECRETS, APP_PORT, AUTHORS, AUTHORS_AUTHOR, GATEWAY, GATEWAY_AUTHOR,
    GATEWAY_RATE, MICRO_NS, RATINGS, RATINGS_RATE, RATINGS_SUMMARY, selector,
)

pytestmark = pytest.mark.cluster

AUTHOR_ID = 1  # in the authors service's static catalogue
# What each keyed service serves, and so where its key is checked.
KEYED = {AUTHORS: AUTHORS_AUTHOR.url(author_id=AUTHOR_ID), RATINGS: RATINGS_SUMMARY.url(author_id=AUTHOR_ID)}


def api_key(cluster, service: str) -> str:
    secret = cluster.core.read_namespaced_secret(API_KEY_SECRETS[service], MICRO_NS)
    return base64.b64decode(secret.data[API_KEY_SECRET_KEY]).decode()


@pytest.mark.parametrize("service", sorted(KEYED))
def test_request_without_key_is_rejected(cluster, service):
    require_namespace(cluster, MICRO_NS)
    pod = sorted(ready_pod_names(cluster, MICRO_NS, selector(service)))[0]
    path = KEYED[service]
    status, body = pod_http(cluster, MICRO_NS, pod, APP_PORT, "GET", path)
    assert status == 401 and "missing API key" in body, (status, body)
    status, body = pod_http(cluster, MICRO_NS, pod, APP_PORT, "GET", path,
                            headers={API_KEY_HEADER: f"not-the-key-{secrets.token_hex(8)}"})
    assert status == 401 and "invalid API key" in body, (status, body)
    # The same call with the key the gateway holds passes: the 401s were about the key.
    status, body = pod_http(cluster, MICRO_NS, pod, APP_PORT, "GET", path, headers={API_KEY_HEADER: api_key(cluster, service)})
    assert status == 200, (status, body)


def test_gateway_is_public(cluster):
    require_namespace(cluster, MICRO_NS)
    response = get(ingress_endpoint(cluster, MICRO_NS, GATEWAY), GATEWAY_AUTHOR.url(author_id=AUTHOR_ID))
    assert response.status_code == 200, response.text
    assert response.json()["author"]["id"] == AUTHOR_ID and response.json()["degraded"] == []


def test_keyed_services_unreachable_from_another_namespace(cluster):
    require_namespace(cluster, MICRO_NS)
    with ThrowawayNamespace(cluster) as probe:
        logs = {service: probe.run(connect_code(f"{service}.{MICRO_NS}.svc.cluster.local",
                                                cluster.core.read_namespaced_service(service, MICRO_NS).spec.ports[0].port))
                for service in sorted(KEYED)}
    assert all("BLOCKED" in log for log in logs.values()), logs


def access_lines(cluster, service: str, path: str) -> list[dict]:
    """The JSON access lines ("msg": "request") for `path` in the logs of every pod of `service`."""
    lines = []
    for pod in ready_pod_names(cluster, MICRO_NS, selector(service)):
        text = cluster.core.read_namespaced_pod_log(pod, MICRO_NS, container=service, since_seconds=600)
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # the console span exporter's multi-line JSON
            if isinstance(entry, dict) and entry.get("msg") == "request" and entry.get("path") == path:
                lines.append(entry)
    return lines


def test_trace_id_is_shared_across_services(cluster):
    require_namespace(cluster, MICRO_NS)
    endpoint = ingress_endpoint(cluster, MICRO_NS, GATEWAY)
    trace_id = secrets.token_hex(16)
    # gateway -> ratings (POST /api/ratings) -> authors (the author must exist)
    rate = GATEWAY_RATE.url(author_id=AUTHOR_ID)
    response = httpx.post(endpoint.base_url + rate, json={"stars": 5}, timeout=10,
                          headers={**endpoint.headers(), "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert response.status_code == 201, response.text
    hops = {GATEWAY: rate, RATINGS: RATINGS_RATE.path, AUTHORS: AUTHORS_AUTHOR.url(author_id=AUTHOR_ID)}

    def traced():
        found = {service: [line for line in access_lines(cluster, service, path) if line.get("trace_id") == trace_id]
                 for service, path in hops.items()}
        return found if all(found.values()) else None

    found, _ = wait_for(traced, 30, f"access lines with trace id {trace_id} from {', '.join(hops)}",
                        interval=2, progress=progress)
    assert {line["service"] for lines in found.values() for line in lines} == set(hops)
