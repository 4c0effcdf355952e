"""Role common rejects bad settings with messages that say what to fix.

Each case runs the role against localhost in --check mode with one setting wrong;
validation fails before any task could change the host. The inventory itself
(groups, k3s_node_ip) is checked by validate_inventory: tests/inventory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from labtool import REPO


PLAYBOOK = """\
- name: Apply role common
  hosts: k3s_cluster
  gather_facts: false
  roles:
    - role: common
"""


def run_role(tmp_path: Path, *extra_vars: str) -> str:
    """Run role common in --check mode on localhost, a server; return the output of the failed run."""
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "k3s_node_ip": "127.0.0.1"}
    inventory = {"k3s_cluster": {"children": {"k3s_servers": {"hosts": {"localhost": host}}}}}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    # An empty config: not the lab's ansible.cfg (its inventory and fact cache).
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               ANSIBLE_ROLES_PATH=str(REPO / "roles"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"))
    cmd = ["ansible-playbook", "--check", "-i", str(tmp_path / "inventory.json"), str(tmp_path / "site.yml")]
    cmd += [arg for assignment in extra_vars for arg in ("-e", assignment)]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode != 0, f"role accepted a bad setting:\n{result.stdout}"
    return result.stdout


def test_unknown_time_sync_daemon_is_rejected(tmp_path):
    output = run_role(tmp_path, "common_time_sync=ntpd")
    assert "common_time_sync" in output
    assert "timesyncd, chrony, none" in output
