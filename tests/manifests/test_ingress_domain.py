"""The workload_apply role moves the lab overlay's Ingress hosts from the
documented default domain to the inventory server's sslip.io domain."""

from __future__ import annotations

import yaml
from manifest_render import MANIFESTS, REPO, render, workload_filters

# The lab overlay's one domain (read by components/ingress-domain).
DEFAULT = yaml.safe_load((MANIFESTS / "overlays/lab/ingress-domain.yaml").read_text())["data"]["domain"]


def hosts(objects: list[dict]) -> list[str]:
    return [r["host"] for o in objects if o["kind"] == "Ingress" for r in o["spec"]["rules"]]


def test_lab_overlay_hosts_use_the_default_domain() -> None:
    found = hosts(list(render("overlays/lab")))
    assert found and all(h.endswith("." + DEFAULT) for h in found)


def test_the_role_moves_hosts_from_the_lab_overlay_domain() -> None:
    role = REPO / "roles/workload_apply"
    specs = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
    assert yaml.safe_load((role / "defaults/main.yml").read_text())["workload_apply_default_domain"] == DEFAULT
    assert {s["options"]["workload_apply_default_domain"]["default"] for s in specs.values()} == {DEFAULT}


def test_hosts_move_to_the_inventory_domain_and_nothing_else_changes() -> None:
    objects = list(render("overlays/lab"))
    moved = workload_filters.with_ingress_domain(objects, DEFAULT, "10.1.2.3.sslip.io")
    assert sorted(hosts(moved)) == sorted(h.replace(DEFAULT, "10.1.2.3.sslip.io") for h in hosts(objects))
    assert [o for o in moved if o["kind"] != "Ingress"] == [o for o in objects if o["kind"] != "Ingress"]
    # The input stays as it was (the role may render once and reuse it).
    assert all(h.endswith(DEFAULT) for h in hosts(objects))


def test_hosts_outside_the_default_domain_are_left_alone() -> None:
    ingress = {"kind": "Ingress", "spec": {"rules": [{"host": "quote.example.com"}],
                                           "tls": [{"hosts": ["quote.example.com", "a." + DEFAULT]}]}}
    moved = workload_filters.with_ingress_domain([ingress], DEFAULT, "10.1.2.3.sslip.io")[0]
    assert moved["spec"]["rules"][0]["host"] == "quote.example.com"
    assert moved["spec"]["tls"][0]["hosts"] == ["quote.example.com", "a.10.1.2.3.sslip.io"]


def test_loadbalancer_urls_from_service_status() -> None:
    service = {"spec": {"ports": [{"port": 8080}]},
               "status": {"loadBalancer": {"ingress": [{"ip": "192.168.56.11"}, {"ip": "192.168.56.21"}]}}}
    assert workload_filters.workload_lb_urls(service) == ["http://192.168.56.11:8080/", "http://192.168.56.21:8080/"]
    assert workload_filters.workload_lb_urls({"spec": {"ports": [{"port": 80}]}}) == []
