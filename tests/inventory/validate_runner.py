"""Run the real validation playbook (imported by the tests in this directory)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from labtool import REPO

VALIDATE = REPO / "playbooks" / "validate.yml"


@dataclass
class Run:
    returncode: int
    output: str

    @property
    def flat_output(self) -> str:
        """The output with whitespace runs collapsed: Ansible wraps long messages."""
        return " ".join(self.output.split())


def ansible_bin(name: str) -> str:
    # Prefer the tool next to the running interpreter (the venv), then PATH.
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not installed: pip install '.[lab]'")
    return found


def run_playbook(inventory: Path | str, *extra: str, env: dict[str, str] | None = None) -> Run:
    completed = subprocess.run(
        [ansible_bin("ansible-playbook"), "-i", str(inventory), str(VALIDATE), *extra], cwd=REPO,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", **(env or {})},
        capture_output=True, text=True, timeout=300,
    )
    return Run(completed.returncode, completed.stdout + completed.stderr)
