"""The node OS the common role prepares: sysctls, kernel modules, the host firewall,
swap and time. Expected values come from roles/common/defaults/main.yml, the
same knobs the role applies."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

DEFAULTS = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles/common/defaults/main.yml").read_text())


def test_sysctls(node):
    for key, value in DEFAULTS["common_sysctls"].items():
        assert node.host.sysctl(key) == value, f"{key} on {node.name}"


def test_kernel_modules(node):
    listed = node.host.file("/etc/modules-load.d/k3s.conf").content_string.split()
    for module in DEFAULTS["common_kernel_modules"]:
        assert module in listed
        assert node.host.file(f"/sys/module/{module}").is_directory, f"{module} not loaded on {node.name}"


def test_swap_off(node):
    assert node.host.check_output("swapon --show --noheadings") == ""


def test_time_synced(node):
    assert node.host.check_output("timedatectl show -p NTPSynchronized --value") == "yes"


def allowed_ports(ruleset: dict) -> set[str]:
    """'tcp/22'-style entries for every accept rule of the input chain that matches a dport."""
    ports = set()
    for item in ruleset["nftables"]:
        rule = item.get("rule")
        if not rule or rule["chain"] != "input" or not any("accept" in e for e in rule["expr"]):
            continue
        for expr in rule["expr"]:
            match = expr.get("match", {})
            payload = match.get("left", {}).get("payload", {})
            if payload.get("field") != "dport":
                continue
            right = match["right"]
            values = right["set"] if isinstance(right, dict) and "set" in right else [right]
            for value in values:
                port = f"{value['range'][0]}-{value['range'][1]}" if isinstance(value, dict) else str(value)
                ports.add(f"{payload['protocol']}/{port}")
    return ports


def test_firewall_allows_exactly_the_cluster_ports(node):
    ruleset = json.loads(node.host.check_output("nft -j list table inet k3s_host"))
    expected = {f"tcp/{DEFAULTS['common_ssh_port']}", "tcp/10250", "udp/8472"}
    if node.is_server:
        expected.add("tcp/6443")
        if len(node.vars["groups"]["k3s_servers"]) > 1:
            expected.add("tcp/2379-2380")
    expected.add("udp/68")  # DHCP replies, so the NAT interface keeps its lease
    assert allowed_ports(ruleset) == expected
    policy = next(i["chain"]["policy"] for i in ruleset["nftables"] if i.get("chain", {}).get("name") == "input")
    assert policy == "drop"
