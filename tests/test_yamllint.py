"""yamllint (settings in .yamllint) reports nothing on any YAML file the repository ships:
manifests, workflows, inventories and fixtures as well as what ansible-lint reads."""

from __future__ import annotations

import subprocess
import sys

from labtool import REPO


def test_every_shipped_yaml_file_passes_yamllint():
    shipped = subprocess.run(
        ["git", "ls-files", "*.yml", "*.yaml", ".yamllint"], cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert len(shipped) > 100  # the manifests, roles, playbooks and workflows are all there
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "--format", "parsable", *shipped],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
