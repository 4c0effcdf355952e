"""Role common rejects bad inventories with messages that say what to fix.

Each case runs the role against localhost in --check mode with an inventory that
is wrong in one way; validation fails before any task could change the host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PLAYBOOK = """\
- name: Apply role common
  hosts: k3s_cluster
  gather_facts: false
  roles:
    - role: common
"""


def run_role(tmp_path: Path, group: str | None, host_vars: dict, *extra_vars: str) -> str:
    """Run role common in --check mode on localhost; return the output of the failed run."""
    host = {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **host_vars}}
    cluster = {"children": {group: {"hosts": host}}} if group else {"hosts": host}
    (tmp_path / "inventory.json").write_text(json.dumps({"k3s_cluster": cluster}))
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    # An empty config: not the lab's ansible.cfg (its inventory and fact cache).
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_ROLES_PATH=str(REPO / "roles"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
    )
    cmd = ["ansible-playbook", "--check", "-i", str(tmp_path / "inventory.json"), str(tmp_path / "site.yml")]
    for assignment in extra_vars:
        cmd += ["-e", assignment]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode != 0, f"role accepted a bad inventory:\n{result.stdout}"
    return result.stdout


def test_missing_node_ip_is_named(tmp_path):
    output = run_role(tmp_path, "k3s_servers", {})
    assert "Host localhost has no valid k3s_node_ip (got '')" in output
    assert "set it in the inventory" in output


@pytest.mark.parametrize("bad_ip", ["", "node-1.example"])
def test_malformed_node_ip_is_named(tmp_path, bad_ip):
    output = run_role(tmp_path, "k3s_agents", {"k3s_node_ip": bad_ip})
    assert f"has no valid k3s_node_ip (got '{bad_ip}')" in output


def test_host_without_k3s_role_is_named(tmp_path):
    output = run_role(tmp_path, None, {"k3s_node_ip": "127.0.0.1"})
    assert "localhost is in neither group 'k3s_servers' nor 'k3s_agents'" in output


def test_unknown_time_sync_daemon_is_rejected(tmp_path):
    output = run_role(tmp_path, "k3s_servers", {"k3s_node_ip": "127.0.0.1"}, "common_time_sync=ntpd")
    assert "common_time_sync" in output
    assert "timesyncd, chrony, none" in output
