"""Verify role common on every node of the inventory testinfra is given.

Molecule's testinfra verifier runs this on the scenario's two containers (server and
agent); the VM smoke test runs the same file over SSH against the Vagrant VMs
(--hosts=ansible://k3s_cluster --ansible-inventory=inventory/vagrant). Node names,
groups and IPs come from that inventory, expected values from the role's defaults.
Host-kernel steps (modules, time sync, most sysctls) are skipped in containers by
design, so these tests check what a container can show too: packages, persisted files,
the live nftables ruleset and that it really filters traffic between the nodes.
"""

import json

import pytest
import testinfra
from labtool.node_expectations import (
    AGENT_GROUP,
    CLUSTER_GROUP,
    DEFAULTS,
    SERVER_GROUP,
    allowed_ports,
    expected_open_ports,
    input_policy,
)
from testinfra.utils.ansible_runner import AnsibleRunner


@pytest.fixture(scope="module")
def inventory(request):
    """The inventory testinfra's ansible backend reads (molecule's, or --ansible-inventory)."""
    return AnsibleRunner.get_runner(request.config.option.ansible_inventory)


@pytest.fixture(scope="module")
def connect(request):
    """Reach another inventory host the way testinfra reaches `host` (same inventory, sudo, SSH options)."""
    option = request.config.option

    def connect_to(name):
        return testinfra.get_host(
            f"ansible://{name}",
            ansible_inventory=option.ansible_inventory,
            sudo=option.sudo,
            sudo_user=option.sudo_user,
            ssh_config=option.ssh_config,
            ssh_identity_file=option.ssh_identity_file,
            force_ansible=option.force_ansible,
        )

    return connect_to


@pytest.mark.parametrize("package", ["ca-certificates", "curl", "nftables", "systemd-timesyncd"])
def test_base_packages_installed(host, package):
    assert host.package(package).is_installed


def test_kernel_modules_persisted(host):
    modules = host.file("/etc/modules-load.d/k3s.conf").content_string.split()
    assert {"overlay", "br_netfilter"} <= set(DEFAULTS["common_kernel_modules"])
    for module in DEFAULTS["common_kernel_modules"]:
        assert module in modules


def test_sysctls_persisted(host):
    lines = host.file("/etc/sysctl.d/90-k3s.conf").content_string.splitlines()
    settings = dict(line.split(" = ") for line in lines if " = " in line)
    assert settings["net.ipv4.ip_forward"] == "1"
    assert settings["net.bridge.bridge-nf-call-iptables"] == "1"
    assert settings["net.bridge.bridge-nf-call-ip6tables"] == "1"
    assert settings["vm.overcommit_memory"] == "1"
    assert settings == {key: str(value) for key, value in DEFAULTS["common_sysctls"].items()}


def test_writable_sysctls_applied(host):
    # ip_forward is per network namespace: the role sets it wherever /proc/sys is writable.
    if host.run("test -w /proc/sys/net/ipv4/ip_forward").rc != 0:
        pytest.skip("/proc/sys is read-only in this container (not privileged)")
    assert host.sysctl("net.ipv4.ip_forward") == 1


def test_swap_target_masked(host):
    assert host.run("systemctl is-enabled swap.target").stdout.strip() == "masked"


def test_every_node_in_etc_hosts(host, inventory):
    hosts = host.file("/etc/hosts").content_string
    nodes = inventory.get_hosts(CLUSTER_GROUP)
    assert len(nodes) >= 2, f"expected a server and an agent in {CLUSTER_GROUP}, got {nodes}"
    for name in nodes:
        ip = inventory.get_variables(name)["k3s_node_ip"]
        assert f"{ip} {name}\n" in hosts


def test_nftables_active_and_enabled(host):
    service = host.service("nftables")
    assert service.is_running and service.is_enabled


def test_firewall_rules_match_node_role(host, inventory):
    is_server = SERVER_GROUP in host.ansible.get_variables()["group_names"]
    servers = inventory.get_hosts(SERVER_GROUP)
    ruleset = host.run("nft list table inet k3s_host").stdout
    assert "policy drop" in ruleset
    assert "tcp dport 22 accept" in ruleset
    assert "udp dport 8472 accept" in ruleset
    assert "tcp dport 10250 accept" in ruleset
    assert "10.42.0.0/15" in ruleset  # pod + service CIDRs, merged by nft
    has_api = "tcp dport 6443 accept" in ruleset
    assert has_api == is_server
    # One server means no embedded etcd cluster: its peer ports stay closed.
    assert ("2379-2380" in ruleset) == (is_server and len(servers) > 1)
    # Nothing else is open: the exact accept list, from the structured ruleset.
    parsed = json.loads(host.check_output("nft -j list table inet k3s_host"))
    assert input_policy(parsed) == "drop"
    assert allowed_ports(parsed) == expected_open_ports(is_server, len(servers))


def _listen(target, port):
    target.check_output(
        f"systemd-run --unit=probe-{port} --collect python3 -m http.server --bind 0.0.0.0 {port}"
    )
    target.check_output(f"timeout 10 sh -c 'until ss -ltn | grep -q :{port}; do sleep 0.2; done'")


def _connects(source, ip, port):
    probe = (
        "import socket,sys\n"
        "try:\n"
        f"    socket.create_connection(('{ip}', {port}), timeout=3).close()\n"
        "except OSError:\n"
        "    sys.exit(1)\n"
    )
    return source.run(f'python3 -c "{probe}"').rc == 0


def _first(inventory, group):
    names = inventory.get_hosts(group)
    assert names, f"the inventory has no host in {group}: the probes need a server and an agent"
    return names[0]


# Not using the `host` fixture, so each case runs once rather than once per node.
@pytest.mark.parametrize(
    ("target_group", "source_group", "port", "open_"),
    [
        (SERVER_GROUP, AGENT_GROUP, 6443, True),  # API and supervisor, servers only
        (SERVER_GROUP, AGENT_GROUP, 10250, True),  # kubelet, every node
        (SERVER_GROUP, AGENT_GROUP, 2379, False),  # etcd: between servers only, never from an agent
        (AGENT_GROUP, SERVER_GROUP, 10250, True),
        (AGENT_GROUP, SERVER_GROUP, 6443, False),
        (AGENT_GROUP, SERVER_GROUP, 9999, False),  # anything not listed is dropped
    ],
)
def test_firewall_filters_traffic_between_nodes(inventory, connect, target_group, source_group, port, open_):
    target, source = _first(inventory, target_group), _first(inventory, source_group)
    listener = connect(target)
    _listen(listener, port)
    try:
        target_ip = inventory.get_variables(target)["k3s_node_ip"]
        assert _connects(connect(source), target_ip, port) is open_
    finally:
        listener.run(f"systemctl stop probe-{port}")
