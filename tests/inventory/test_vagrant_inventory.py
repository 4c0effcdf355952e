"""inventory/vagrant matches vagrant/settings.yml, its LAB_* overrides, and the Vagrantfile."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from labtool import REPO
from validate_runner import ansible_bin, run_playbook

INVENTORY = REPO / "inventory" / "vagrant"
# Keep the developer's own LAB_* settings out of these runs.
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("LAB_") and k != "VAGRANT_DOTFILE_PATH"}


def inventory_list(env: dict[str, str] | None = None) -> dict:
    completed = subprocess.run([ansible_bin("ansible-inventory"), "-i", str(INVENTORY), "--list"], cwd=REPO,
                               env={**CLEAN_ENV, **(env or {})}, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def hosts_of(data: dict, group: str) -> list[str]:
    return data.get(group, {}).get("hosts", [])


def test_default_inventory_is_one_server_two_agents():
    data = inventory_list()
    assert hosts_of(data, "k3s_servers") == ["server-1"]
    assert hosts_of(data, "k3s_agents") == ["agent-1", "agent-2"]
    assert sorted(data["k3s_cluster"]["children"]) == ["k3s_agents", "k3s_servers"]
    hostvars = data["_meta"]["hostvars"]
    assert {h: v["k3s_node_ip"] for h, v in hostvars.items()} == {
        "server-1": "192.168.56.11", "agent-1": "192.168.56.21", "agent-2": "192.168.56.22"}
    for host, values in hostvars.items():
        # Ansible reaches the node where the cluster does: its private IP, not the NAT address.
        assert values["ansible_host"] == values["k3s_node_ip"]
        assert values["k3s_flannel_iface"] == "eth1"
        assert values["ansible_user"] == "vagrant"
        key = REPO / ".vagrant/machines" / host / "libvirt/private_key"
        assert values["ansible_ssh_private_key_file"] == str(key)
        # The pin lives in playbooks/group_vars, so no override appears here.
        assert "k3s_version" not in values


def test_environment_overrides_reach_the_inventory(tmp_path):
    data = inventory_list({
        "LAB_SERVERS": "3", "LAB_AGENTS": "1", "LAB_NETWORK_CIDR": "10.77.0.0/24", "LAB_NODE_IFACE": "ens7",
        "LAB_K3S_VERSION": "v1.33.5+k3s1", "VAGRANT_DOTFILE_PATH": str(tmp_path / "state"),
    })
    assert hosts_of(data, "k3s_servers") == ["server-1", "server-2", "server-3"]
    assert hosts_of(data, "k3s_agents") == ["agent-1"]
    hostvars = data["_meta"]["hostvars"]
    assert hostvars["server-3"]["k3s_node_ip"] == "10.77.0.13"
    assert hostvars["agent-1"]["k3s_node_ip"] == "10.77.0.21"
    assert {v["k3s_flannel_iface"] for v in hostvars.values()} == {"ens7"}
    assert {v["k3s_version"] for v in hostvars.values()} == {"v1.33.5+k3s1"}
    key = tmp_path / "state/machines/agent-1/libvirt/private_key"
    assert hostvars["agent-1"]["ansible_ssh_private_key_file"] == str(key)


def test_another_settings_file(tmp_path):
    settings = (REPO / "vagrant" / "settings.yml").read_text().replace("agents: 2 ", "agents: 4 ")
    (tmp_path / "settings.yml").write_text(settings)
    data = inventory_list({"LAB_SETTINGS": str(tmp_path / "settings.yml")})
    assert hosts_of(data, "k3s_agents") == ["agent-1", "agent-2", "agent-3", "agent-4"]


def test_bad_settings_fail_with_the_reason():
    completed = subprocess.run([str(INVENTORY / "hosts.py"), "--list"], env={**CLEAN_ENV, "LAB_SERVERS": "2"},
                               capture_output=True, text=True)
    assert completed.returncode == 2
    assert "embedded etcd needs an odd number of servers" in completed.stderr


@pytest.mark.parametrize("env", [{}, {"LAB_SERVERS": "3", "LAB_AGENTS": "1"}], ids=["default", "ha"])
def test_lab_inventory_passes_the_inventory_checks(env):
    # The inventory-level play only; no VM is contacted.
    run = run_playbook(INVENTORY, "--skip-tags", "validate_nodes", env={**CLEAN_ENV, **env})
    assert run.returncode == 0, run.output
    assert "Wait until the node answers over SSH" not in run.output
    assert "localhost                  : ok=" in run.output and "failed=0" in run.output


def vagrant_machines(env: dict[str, str]) -> subprocess.CompletedProcess:
    if shutil.which("vagrant") is None:
        pytest.skip("vagrant not installed: apt-get install vagrant vagrant-libvirt")
    return subprocess.run(["vagrant", "status", "--machine-readable"], cwd=REPO,
                          env={**CLEAN_ENV, "VAGRANT_CHECKPOINT_DISABLE": "1", **env},
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("env", [{}, {"LAB_SERVERS": "3", "LAB_AGENTS": "1", "LAB_LIBVIRT_DRIVER": "qemu"}],
                         ids=["default", "ha-tcg"])
def test_vagrantfile_defines_exactly_the_inventory_hosts(env, tmp_path):
    # A fresh dotfile dir: status reports not_created without touching any lab machine.
    env = {**env, "VAGRANT_DOTFILE_PATH": str(tmp_path / "state")}
    completed = vagrant_machines(env)
    if completed.returncode != 0 and "libvirt" in completed.stderr.lower() and "connect" in completed.stderr.lower():
        pytest.skip(f"libvirt not reachable for vagrant status: {completed.stderr.strip()[:200]}")
    assert completed.returncode == 0, completed.stderr
    machines = [line.split(",")[1] for line in completed.stdout.splitlines() if ",state," in line]
    data = inventory_list(env)
    assert machines == hosts_of(data, "k3s_servers") + hosts_of(data, "k3s_agents")
    # Every vagrant command says which hypervisor driver it uses, and warns when it is slow.
    if env.get("LAB_LIBVIRT_DRIVER") == "qemu":
        assert "lab: libvirt driver qemu, software emulation (TCG)" in completed.stderr
    else:
        assert "lab: libvirt driver" in completed.stderr


def test_vagrantfile_refuses_bad_settings(tmp_path):
    completed = vagrant_machines({"LAB_SERVERS": "2", "VAGRANT_DOTFILE_PATH": str(tmp_path / "state")})
    assert completed.returncode != 0
    assert "embedded etcd needs an odd number of servers" in completed.stderr + completed.stdout
