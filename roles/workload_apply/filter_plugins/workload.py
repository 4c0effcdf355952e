"""Filters of the workload_apply role.

with_ingress_domain points the lab overlay's Ingress hosts at the inventory's
server address. The lab overlay names hosts under a documented default domain (the default
Vagrant server, 192.168.56.11.sslip.io, set in manifests/overlays/lab/ingress-domain.yaml).
sslip.io resolves <ip>.sslip.io to <ip>, so with other settings only the domain changes:
`quote.<default>` becomes `quote.<domain>`. Hosts outside the default domain are left alone.

in_namespaces keeps the objects of some namespaces, their Namespace objects included.

workload_lb_urls lists the URLs of a LoadBalancer Service read from the cluster.
"""

from __future__ import annotations

import copy


def _rehost(host: str, default_domain: str, domain: str) -> str:
    suffix = "." + default_domain
    return host[: -len(suffix)] + "." + domain if host.endswith(suffix) else host


def with_ingress_domain(objects: list[dict], default_domain: str, domain: str) -> list[dict]:
    result = []
    for obj in objects:
        if obj.get("kind") == "Ingress" and domain != default_domain:
            obj = copy.deepcopy(obj)
            spec = obj.get("spec", {})
            for rule in spec.get("rules", []):
                if "host" in rule:
                    rule["host"] = _rehost(rule["host"], default_domain, domain)
            for tls in spec.get("tls", []):
                tls["hosts"] = [_rehost(h, default_domain, domain) for h in tls.get("hosts", [])]
        result.append(obj)
    return result


def in_namespaces(objects: list[dict], namespaces: list[str]) -> list[dict]:
    """The objects in `namespaces` and those Namespaces themselves; all objects when empty."""
    if not namespaces:
        return objects
    return [
        obj for obj in objects
        if (obj["kind"] == "Namespace" and obj["metadata"]["name"] in namespaces)
        or obj["metadata"].get("namespace") in namespaces
    ]


def workload_lb_urls(service: dict) -> list[str]:
    """http://<address>:<port>/ for every address ServiceLB published and every port."""
    ingress = service.get("status", {}).get("loadBalancer", {}).get("ingress") or []
    addresses = [i.get("ip") or i.get("hostname") for i in ingress]
    ports = [p["port"] for p in service.get("spec", {}).get("ports", [])]
    return [f"http://{a}:{p}/" for a in addresses if a for p in ports]


class FilterModule:
    def filters(self):
        return {
            "with_ingress_domain": with_ingress_domain,
            "in_namespaces": in_namespaces,
            "workload_lb_urls": workload_lb_urls,
        }
