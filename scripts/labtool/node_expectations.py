"""What a node prepared by role common must show, from the role's own defaults.

One module for the role's verify (molecule, or the Vagrant VMs over SSH) and for
tests/nodes (any inventory).
"""

from __future__ import annotations

import yaml

from labtool import REPO

DEFAULTS = yaml.safe_load((REPO / "roles" / "common" / "defaults" / "main.yml").read_text())
SERVER_GROUP = DEFAULTS["common_server_group"]
AGENT_GROUP = DEFAULTS["common_agent_group"]
CLUSTER_GROUP = DEFAULTS["common_cluster_group"]
FLANNEL_PORTS = {"vxlan": {"udp/8472"}, "wireguard-native": {"udp/51820", "udp/51821"}, "host-gw": set(), "none": set()}


def allowed_ports(ruleset: dict) -> set[str]:
    """'tcp/22'-style entries for every accept rule of the input chain that matches a dport.

    `ruleset` is the parsed output of `nft -j list table inet k3s_host`.
    """
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


def input_policy(ruleset: dict) -> str:
    return next(i["chain"]["policy"] for i in ruleset["nftables"] if i.get("chain", {}).get("name") == "input")


def expected_open_ports(is_server: bool, server_count: int) -> set[str]:
    """The ports the role's defaults open on a server or agent of a cluster with `server_count` servers."""
    expected = {f"tcp/{DEFAULTS['common_ssh_port']}", "tcp/10250"}
    expected |= FLANNEL_PORTS[DEFAULTS["common_flannel_backend"]]
    # DHCP replies (v4, v6), so a node on DHCP keeps its lease.
    expected |= {"udp/68", "udp/546"}
    if is_server:
        expected.add("tcp/6443")
        if server_count > 1:  # embedded etcd between servers
            expected.add("tcp/2379-2380")
    return expected
