"""The lab's NetworkPolicies allow exactly the flows the design names, no more:
DNS for everyone; Traefik -> the web front doors (never the backend); ServiceLB -> the LoadBalancer
app; the quote apps and the backend image's two deployments (multi-tier backend,
analytics catalogue) -> PostgreSQL on 5432 only; gateway -> microservices only."""

from __future__ import annotations

from manifest_render import FIXTURES, load_fixture, render
from network_flows import COREDNS, TRAEFIK, Flows, servicelb

EXTERNAL = (TRAEFIK, servicelb("quote-lb"))

# (source, destination, port): the whole allow-list of the lab overlay.
EXPECTED = {
    ("kube-system/traefik", "quote-app/quote", 8000),
    ("kube-system/svclb-quote-lb", "quote-app/quote", 8000),
    ("kube-system/traefik", "blue-green/quote-blue", 8000),
    ("kube-system/traefik", "blue-green/quote-green", 8000),
    ("quote-app/quote", "quote-db/postgres", 5432),
    ("blue-green/quote-blue", "quote-db/postgres", 5432),
    ("blue-green/quote-green", "quote-db/postgres", 5432),
    ("quote-db/postgres-backup", "quote-db/postgres", 5432),
    ("multi-tier/backend", "quote-db/postgres", 5432),
    ("analytics/catalogue", "quote-db/postgres", 5432),
    ("kube-system/traefik", "multi-tier/frontend", 8000),
    ("multi-tier/frontend", "multi-tier/backend", 8000),
    ("kube-system/traefik", "analytics/analytics", 8000),
    ("kube-system/traefik", "microservices/gateway", 8000),
    ("microservices/gateway", "microservices/authors", 8000),
    ("microservices/gateway", "microservices/ratings", 8000),
    ("microservices/ratings", "microservices/authors", 8000),
}


def lab_flows(extra: list[dict] | None = None) -> Flows:
    return Flows(list(render("overlays/lab")) + (extra or []), EXTERNAL)


def test_lab_allows_exactly_the_designed_flows() -> None:
    assert lab_flows().matrix() == EXPECTED


def test_every_lab_pod_resolves_names() -> None:
    flows = lab_flows()
    for pod in flows.pods:
        if pod.namespace == "kube-system":
            continue
        assert flows.allowed(pod, COREDNS, 53, "UDP"), pod.id
        assert flows.allowed(pod, COREDNS, 53, "TCP"), pod.id


def test_a_hole_next_to_postgres_is_caught() -> None:
    broken = load_fixture(FIXTURES / "network-flows-postgres-open.yaml")
    extra = lab_flows(broken).matrix() - EXPECTED
    assert ("quote-app/quote", "quote-db/postgres", 5432) in EXPECTED
    assert ("kube-system/traefik", "quote-db/postgres", 5432) in extra
