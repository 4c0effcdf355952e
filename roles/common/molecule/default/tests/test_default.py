"""Verify role common on the scenario's two nodes (server and agent containers).

Molecule's testinfra verifier runs this once per host through the ansible:// backend.
Host-kernel steps (modules, time sync, most sysctls) are skipped in containers by
design, so these tests check what a container can show: packages, persisted files,
the live nftables ruleset and that it really filters traffic between the nodes.
"""

import os

import pytest
import testinfra

NODE_IPS = {"common-server": "172.30.10.11", "common-agent": "172.30.10.12"}
SERVER, AGENT = "common-server", "common-agent"


def node(name):
    return testinfra.get_host(
        f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"]
    )


@pytest.mark.parametrize("package", ["ca-certificates", "curl", "nftables", "systemd-timesyncd"])
def test_base_packages_installed(host, package):
    assert host.package(package).is_installed


def test_kernel_modules_persisted(host):
    modules = host.file("/etc/modules-load.d/k3s.conf").content_string.split()
    assert "overlay" in modules and "br_netfilter" in modules


def test_sysctls_persisted(host):
    lines = host.file("/etc/sysctl.d/90-k3s.conf").content_string.splitlines()
    settings = dict(line.split(" = ") for line in lines if " = " in line)
    assert settings["net.ipv4.ip_forward"] == "1"
    assert settings["net.bridge.bridge-nf-call-iptables"] == "1"
    assert settings["net.bridge.bridge-nf-call-ip6tables"] == "1"
    assert settings["vm.overcommit_memory"] == "1"


def test_writable_sysctls_applied(host):
    # ip_forward is per network namespace: the role sets it wherever /proc/sys is writable.
    if host.run("test -w /proc/sys/net/ipv4/ip_forward").rc != 0:
        pytest.skip("/proc/sys is read-only in this container (not privileged)")
    assert host.sysctl("net.ipv4.ip_forward") == 1


def test_swap_target_masked(host):
    assert host.run("systemctl is-enabled swap.target").stdout.strip() == "masked"


def test_every_node_in_etc_hosts(host):
    hosts = host.file("/etc/hosts").content_string
    for name, ip in NODE_IPS.items():
        assert f"{ip} {name}\n" in hosts


def test_nftables_active_and_enabled(host):
    service = host.service("nftables")
    assert service.is_running and service.is_enabled


def test_firewall_rules_match_node_role(host):
    ruleset = host.run("nft list table inet k3s_host").stdout
    assert "policy drop" in ruleset
    assert "tcp dport 22 accept" in ruleset
    assert "udp dport 8472 accept" in ruleset
    assert "tcp dport 10250 accept" in ruleset
    assert "10.42.0.0/15" in ruleset  # pod + service CIDRs, merged by nft
    has_api = "tcp dport 6443 accept" in ruleset
    assert has_api == (host.backend.get_hostname() == SERVER)
    # One server means no embedded etcd cluster: its peer ports stay closed.
    assert "2379-2380" not in ruleset


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


# Not using the `host` fixture, so each case runs once rather than once per node.
@pytest.mark.parametrize(
    ("target", "source", "port", "open_"),
    [
        (SERVER, AGENT, 6443, True),  # API and supervisor, servers only
        (SERVER, AGENT, 10250, True),  # kubelet, every node
        (SERVER, AGENT, 2379, False),  # etcd: closed with a single server
        (AGENT, SERVER, 10250, True),
        (AGENT, SERVER, 6443, False),
        (AGENT, SERVER, 9999, False),  # anything not listed is dropped
    ],
)
def test_firewall_filters_traffic_between_nodes(target, source, port, open_):
    listener = node(target)
    _listen(listener, port)
    try:
        assert _connects(node(source), NODE_IPS[target], port) is open_
    finally:
        listener.run(f"systemctl stop probe-{port}")
