#!/usr/bin/env python3
"""Ansible dynamic inventory for the Vagrant lab.

Built from vagrant/settings.yml and the same LAB_* overrides the Vagrantfile
honours (both go through labtool.settings), so hosts, groups and IPs
always match the machines `vagrant up` made. Ansible reaches each node on its
private IP with the key Vagrant generated for it.

    inventory/vagrant/hosts.py --list | --host NAME
"""

import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"

try:
    from labtool.settings import SettingsError, load
except ImportError:
    # Ansible runs scripts with the python3 on PATH; the project's venv has the lab's tooling.
    if VENV_PYTHON.is_file() and Path(sys.executable) != VENV_PYTHON:
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    sys.exit(f"inventory/vagrant: the lab's tooling (labtool) is missing for {sys.executable}: "
             "activate the project's venv (scripts/run-tests or scripts/lab-up creates it)")


def machines_dir() -> Path:
    # Vagrant keeps per-machine state (and the generated SSH key) here.
    return Path(os.environ.get("VAGRANT_DOTFILE_PATH") or REPO_ROOT / ".vagrant") / "machines"


def inventory() -> dict:
    lab = load()
    hostvars = {}
    for node in lab.nodes:
        hostvars[node.name] = {
            "ansible_host": node.ip,
            "ansible_ssh_private_key_file": str(machines_dir() / node.name / "libvirt" / "private_key"),
            "k3s_node_ip": node.ip,
            "k3s_flannel_iface": lab.iface,
        }
        if lab.k3s_version:
            # Host level so it outranks the pinned version in group_vars.
            hostvars[node.name]["k3s_version"] = lab.k3s_version
    return {
        "_meta": {"hostvars": hostvars},
        "k3s_servers": {"hosts": [n.name for n in lab.servers]},
        "k3s_agents": {"hosts": [n.name for n in lab.agents]},
        "k3s_cluster": {"children": ["k3s_servers", "k3s_agents"]},
    }


def main(argv: list[str]) -> int:
    try:
        data = inventory()
    except SettingsError as error:
        print(f"inventory/vagrant: {error}", file=sys.stderr)
        return 2
    if len(argv) == 2 and argv[1] == "--list":
        json.dump(data, sys.stdout, indent=2)
    elif len(argv) == 3 and argv[1] == "--host":
        json.dump(data["_meta"]["hostvars"].get(argv[2], {}), sys.stdout, indent=2)
    else:
        print(f"usage: {argv[0]} --list | --host NAME", file=sys.stderr)
        return 2
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
