"""Run the real validation playbook against inventories written to tmp dirs."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
VALIDATE = REPO_ROOT / "playbooks" / "validate.yml"


@dataclass
class Run:
    returncode: int
    output: str


def ansible_bin(name: str) -> str:
    # Prefer the tool next to the running interpreter (the venv), then PATH.
    import sys

    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not installed: pip install '.[lab]'")
    return found


def run_playbook(inventory: Path | str, *extra: str, env: dict[str, str] | None = None) -> Run:
    completed = subprocess.run(
        [ansible_bin("ansible-playbook"), "-i", str(inventory), str(VALIDATE), *extra],
        cwd=REPO_ROOT,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Run(completed.returncode, completed.stdout + completed.stderr)


@pytest.fixture
def write_inventory(tmp_path):
    """Write a YAML inventory (dict) into its own dir, with optional group_vars."""

    def write(inventory: dict, group_vars: dict[str, dict] | None = None) -> Path:
        directory = tmp_path / "inventory"
        directory.mkdir(exist_ok=True)
        (directory / "hosts.yml").write_text(yaml.safe_dump(inventory))
        for group, values in (group_vars or {}).items():
            (directory / "group_vars").mkdir(exist_ok=True)
            (directory / "group_vars" / f"{group}.yml").write_text(yaml.safe_dump(values))
        return directory / "hosts.yml"

    return write
