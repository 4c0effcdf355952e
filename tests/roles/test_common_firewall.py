"""The nftables ruleset role common renders, for cluster shapes molecule does not build.

Renders roles/common/templates/nftables.conf.j2 with the role defaults for an HA
inventory (3 servers, 1 agent, one IPv6 node) with WireGuard, the embedded
registry and an extra port, then checks the rules per node role and lets `nft
--check` parse each file (when nft and root are available).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from labtool import REPO

ROLE = REPO / "roles" / "common"

NODES = {
    "server-1": ("k3s_servers", "192.168.56.11"),
    "server-2": ("k3s_servers", "192.168.56.12"),
    "server-3": ("k3s_servers", "fd00:56::13"),
    "agent-1": ("k3s_agents", "192.168.56.21"),
}

PLAYBOOK = f"""\
- name: Render the firewall of every node
  hosts: k3s_cluster
  gather_facts: false
  vars_files:
    - {ROLE}/defaults/main.yml
  vars:
    common_is_server: "{{{{ inventory_hostname in groups['k3s_servers'] }}}}"
  tasks:
    - name: Render
      ansible.builtin.template:
        src: {ROLE}/templates/nftables.conf.j2
        dest: "{{{{ out_dir }}}}/{{{{ inventory_hostname }}}}.nft"
        mode: "0644"
"""
# Extra vars: they outrank the role defaults loaded above.
OVERRIDES = {
    "common_flannel_backend": "wireguard-native",
    "common_embedded_registry": True,
    "common_firewall_extra_ports": [{"port": "30000-32767", "protocol": "tcp"}],
    "common_firewall_ssh_sources": ["192.168.56.1"],
}


@pytest.fixture(scope="module")
def rulesets(tmp_path_factory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("firewall")
    groups: dict[str, dict] = {"k3s_servers": {"hosts": {}}, "k3s_agents": {"hosts": {}}}
    for name, (group, ip) in NODES.items():
        groups[group]["hosts"][name] = {"k3s_node_ip": ip, "ansible_connection": "local",
                                        "ansible_python_interpreter": sys.executable}
    (work / "inventory.json").write_text(json.dumps({"k3s_cluster": {"children": groups}}))
    (work / "render.yml").write_text(PLAYBOOK)
    (work / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(work / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        ["ansible-playbook", "-i", str(work / "inventory.json"), str(work / "render.yml"),
         "-e", f"out_dir={work}", "-e", json.dumps(OVERRIDES)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {name: (work / f"{name}.nft").read_text() for name in NODES}


def rules(ruleset: str, comment: str) -> list[str]:
    return [line.strip() for line in ruleset.splitlines() if f'comment "{comment}"' in line]


def test_etcd_only_between_servers(rulesets):
    for name in ("server-1", "server-2", "server-3"):
        assert rules(rulesets[name], "embedded etcd between servers") == [
            'ip saddr { 192.168.56.11, 192.168.56.12 } tcp dport { 2379-2380 } accept comment "embedded etcd between servers"',
            'ip6 saddr { fd00:56::13 } tcp dport { 2379-2380 } accept comment "embedded etcd between servers"',
        ]
    assert rules(rulesets["agent-1"], "embedded etcd between servers") == []


def test_api_port_on_servers_only(rulesets):
    assert rules(rulesets["server-1"], "k3s supervisor and Kubernetes API")
    assert rules(rulesets["agent-1"], "k3s supervisor and Kubernetes API") == []


def test_wireguard_replaces_vxlan_between_all_nodes(rulesets):
    for ruleset in rulesets.values():
        assert rules(ruleset, "flannel VXLAN") == []
        wireguard = rules(ruleset, "flannel WireGuard")
        assert any("192.168.56.21" in rule and "51820, 51821" in rule for rule in wireguard)
        assert any(rule.startswith("ip6 saddr { fd00:56::13 }") for rule in wireguard)


def test_registry_ports_on_agents_too(rulesets):
    registry = rules(rulesets["agent-1"], "embedded registry (Spegel)")
    assert registry and all("dport { 5001, 6443 }" in rule for rule in registry)


def test_ssh_sources_and_extra_ports(rulesets):
    assert rules(rulesets["agent-1"], "SSH") == ['ip saddr { 192.168.56.1 } tcp dport { 22 } accept comment "SSH"']
    assert "tcp dport 30000-32767 accept" in rulesets["agent-1"]


@pytest.mark.parametrize("name", sorted(NODES))
def test_nft_parses_ruleset(rulesets, name, tmp_path):
    if shutil.which("nft") is None or os.geteuid() != 0:
        pytest.skip("nft --check needs the nft binary and root")
    path = tmp_path / f"{name}.nft"
    path.write_text(rulesets[name])
    result = subprocess.run(["nft", "--check", "--file", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
