"""The node OS the common role prepares: sysctls, kernel modules, the host firewall,
swap and time. Expected values come from roles/common/defaults/main.yml, the
same knobs the role applies, through the expectations module the role's own
verify uses (see conftest.py)."""

from __future__ import annotations

import json

from labtool.node_expectations import (
    DEFAULTS,
    SERVER_GROUP,
    allowed_ports,
    expected_open_ports,
    input_policy,
)


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


def test_firewall_allows_exactly_the_cluster_ports(node):
    ruleset = json.loads(node.host.check_output("nft -j list table inet k3s_host"))
    server_count = len(node.vars["groups"][SERVER_GROUP])
    assert allowed_ports(ruleset) == expected_open_ports(node.is_server, server_count)
    assert input_policy(ruleset) == "drop"
