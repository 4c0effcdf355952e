"""NetworkPolicies on the live cluster: who may reach PostgreSQL, and that the
multi-tier backend stays internal (Lab 85 beast mode, Deploy 3)."""

from __future__ import annotations

import pytest
from live import ThrowawayNamespace, connect_code, exec_python, ready_pod_names, require_namespace

from labtool.lab_names import BACKEND_SERVICE, DB_NS, MULTI_TIER_NS, POSTGRES_APP, POSTGRES_PORT, QUOTE_APP, QUOTE_NS

pytestmark = pytest.mark.cluster

POSTGRES = f"{POSTGRES_APP}.{DB_NS}.svc.cluster.local"


def test_other_namespace_cannot_reach_postgres_but_quote_can(cluster):
    quote_pod = sorted(ready_pod_names(cluster))[0]
    assert "CONNECTED" in exec_python(cluster, QUOTE_NS, quote_pod, connect_code(POSTGRES, POSTGRES_PORT), container=QUOTE_APP)
    with ThrowawayNamespace(cluster) as probe:
        # DNS works from there, so a failure is the policy, not name resolution.
        log = probe.run(connect_code(POSTGRES, POSTGRES_PORT))
    assert "BLOCKED" in log, log


def test_backend_not_reachable_from_outside(cluster):
    require_namespace(cluster, MULTI_TIER_NS)
    backend = cluster.core.read_namespaced_service(BACKEND_SERVICE, MULTI_TIER_NS)
    assert backend.spec.type == "ClusterIP"
    routed = {p.backend.service.name for ing in cluster.networking.list_ingress_for_all_namespaces().items
              if ing.metadata.namespace == MULTI_TIER_NS for r in ing.spec.rules or [] if r.http
              for p in r.http.paths if p.backend.service}
    assert BACKEND_SERVICE not in routed and routed, f"Ingress backends in {MULTI_TIER_NS}: {routed}"
    port = backend.spec.ports[0].port
    with ThrowawayNamespace(cluster) as probe:
        log = probe.run(connect_code(f"{BACKEND_SERVICE}.{MULTI_TIER_NS}.svc.cluster.local", port))
    assert "BLOCKED" in log, log
