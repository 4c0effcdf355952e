"""Run the k3s roles' real tasks with ansible-playbook against local hosts.

The tests point every destination directory into a temp dir, so the roles'
own templates and install tasks run for real without touching this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from labtool import REPO

ROLES = REPO / "roles"


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    stats: dict


def run_playbook(workdir: Path, inventory: dict, plays: list[dict], *extra: str) -> PlaybookRun:
    """Write inventory + playbook into workdir and run them; return output and per-host stats."""
    (workdir / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (workdir / "playbook.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    env = {**os.environ, "ANSIBLE_ROLES_PATH": str(ROLES), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_LOCALHOST_WARNING": "0"}
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(workdir / "inventory.yml"),
         str(workdir / "playbook.yml"), *extra],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=300,
    )
    output = proc.stdout + proc.stderr
    return PlaybookRun(proc.returncode, output, _recap(output))


def _recap(output: str) -> dict:
    """Parse 'host : ok=3 changed=1 ...' lines of the PLAY RECAP."""
    stats: dict[str, dict[str, int]] = {}
    in_recap = False
    for line in output.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        if in_recap and ":" in line and "=" in line:
            host, counters = line.split(":", 1)
            stats[host.strip()] = {
                key: int(value) for key, value in (pair.split("=") for pair in counters.split())
            }
    return stats


def local_host(**hostvars) -> dict:
    """Host vars for a host run on this machine by this test's Python."""
    return {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **hostvars}


def dump(data) -> str:
    return json.dumps(data, indent=2, sort_keys=True)
