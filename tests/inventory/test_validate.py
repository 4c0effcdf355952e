"""playbooks/validate.yml rejects bad inventories with a message that says what to fix.

Each case runs the real ansible-playbook. Hosts use the local connection, so
the per-host checks read THIS machine's real network facts: loopback carries
127.0.0.1 and ::1, which makes a valid two-node inventory without any VM.
"""

from __future__ import annotations

import copy

import pytest

from validate_runner import run_playbook

LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}


def inventory(servers: dict, agents: dict | None = None) -> dict:
    groups = {"k3s_servers": {"hosts": servers}, "k3s_agents": {"hosts": agents or {}}}
    return {"all": {"children": {"k3s_cluster": {"children": groups}}}}


def node(ip: str, iface: str = "lo", **extra) -> dict:
    return {**LOCAL, "k3s_node_ip": ip, "k3s_flannel_iface": iface, **extra}


ONE_SERVER = {"server-1": node("127.0.0.1")}
GOOD = inventory(ONE_SERVER, {"agent-1": node("::1")})


def test_accepts_a_good_inventory(write_inventory):
    run = run_playbook(write_inventory(GOOD))
    assert run.returncode == 0, run.output
    # Both plays ran: inventory checks on localhost, fact checks on each node.
    assert "k3s_node_ip belongs to this host" in run.output
    assert "failed=0" in run.output


@pytest.mark.parametrize(("servers", "agents", "message"), [
    pytest.param({"server-1": node("127.0.0.1"), "server-2": node("::1")}, {},
                 "k3s_servers has 2 hosts (server-1, server-2). Embedded etcd needs an odd number",
                 id="even-servers"),
    pytest.param({f"server-{i}": node(f"10.0.0.{i}") for i in range(1, 5)}, {},
                 "k3s_servers has 4 hosts (server-1, server-2, server-3, server-4). Embedded etcd needs an odd number",
                 id="four-servers"),
    pytest.param({}, {"agent-1": node("127.0.0.1")}, "The inventory needs hosts in k3s_servers", id="no-servers"),
    pytest.param(ONE_SERVER, {"agent-1": {**LOCAL, "k3s_flannel_iface": "lo"}}, "Host agent-1 has no k3s_node_ip",
                 id="missing-node-ip"),
    pytest.param(ONE_SERVER, {"agent-1": node("")},
                 "Host agent-1 has no k3s_node_ip (or it is empty / not a string)", id="empty-node-ip"),
    pytest.param(ONE_SERVER, {"agent-1": {**LOCAL, "k3s_node_ip": "::1"}}, "Host agent-1 has no k3s_flannel_iface",
                 id="missing-iface"),
    pytest.param(ONE_SERVER, {"agent-1": node("127.0.0.1")},
                 "Two nodes share a k3s_node_ip: server-1=127.0.0.1, agent-1=127.0.0.1", id="duplicate-ip"),
    pytest.param({"server-1": node("127.0.0.1", k3s_secrets_encryption="false")}, {},
                 "Host server-1: k3s_secrets_encryption=false given as a string, not a boolean",
                 id="boolean-as-string"),
    pytest.param({"server-1": node("127.0.0.1", k3s_version="1.33")}, {},
                 "k3s_version 1.33 is not a k3s release tag like v1.33.4+k3s1", id="bad-version"),
    pytest.param(ONE_SERVER, {"agent-1": node("::1", k3s_version="v1.33.5+k3s1")},
                 "k3s_version differs between nodes (server-1=v1.33.4+k3s1, agent-1=v1.33.5+k3s1)",
                 id="version-differs"),
])
def test_rejects_bad_inventory_before_touching_nodes(write_inventory, servers, agents, message):
    run = run_playbook(write_inventory(inventory(servers, agents)))
    assert run.returncode != 0, run.output
    assert message in run.flat_output, run.output
    # Fail fast: the node play never started.
    assert "Wait until the node answers over SSH" not in run.output


def test_host_in_both_groups_is_rejected(write_inventory):
    bad = inventory(ONE_SERVER, {"server-1": None})
    run = run_playbook(write_inventory(bad))
    assert run.returncode != 0
    assert "server-1 in both k3s_servers and k3s_agents" in run.output, run.output


def test_host_in_neither_group_is_rejected(write_inventory):
    bad = inventory(ONE_SERVER)
    bad["all"]["children"]["k3s_cluster"]["hosts"] = {"stray-1": node("::1")}
    run = run_playbook(write_inventory(bad))
    assert run.returncode != 0
    assert "stray-1 in k3s_cluster but in neither k3s_servers nor k3s_agents" in run.flat_output, run.output


def test_boolean_given_as_string_on_the_command_line(write_inventory):
    run = run_playbook(write_inventory(GOOD), "-e", "lab_fast_failover=no")
    assert run.returncode != 0
    assert "lab_fast_failover=no given as a string" in run.flat_output, run.output


def test_real_booleans_pass(write_inventory):
    run = run_playbook(write_inventory(GOOD), "-e", '{"lab_fast_failover": false}')
    assert run.returncode == 0, run.output


def test_empty_token_is_rejected_without_printing_it(write_inventory):
    bad = copy.deepcopy(GOOD)
    bad["all"]["vars"] = {"k3s_token": ""}
    run = run_playbook(write_inventory(bad))
    assert run.returncode != 0
    assert "censored" in run.output  # no_log hides the token task's data


# 198.51.100.0/24 is TEST-NET-2, documentation only; the check reads facts, sends nothing.
@pytest.mark.parametrize(("ip", "iface"), [("198.51.100.10", "lo"), ("::1", "nosuchif0"), ("node-1.example", "lo")],
                         ids=["ip-not-on-host", "ip-on-another-iface", "not-an-address"])
def test_rejects_node_ip_the_host_does_not_have(write_inventory, ip, iface):
    run = run_playbook(write_inventory(inventory(ONE_SERVER, {"agent-1": node(ip, iface)})))
    assert run.returncode != 0, run.output
    message = f"Host agent-1: k3s_node_ip {ip} must be an address of this host on k3s_flannel_iface {iface}"
    assert message in run.flat_output, run.output
    assert "The host has interfaces" in run.output
