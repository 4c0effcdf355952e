"""Every workflow under .github/workflows (ours and any added later) passes two linters:
zizmor (security: injection, permissions, credential persistence, unpinned actions) and
check-jsonschema with its bundled GitHub workflow schema (structure). Both run offline.
A broken workflow proves each linter can fail."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from labtool import REPO

WORKFLOWS = REPO / ".github" / "workflows"
ZIZMOR = ["zizmor", "--offline", "--no-progress", "--config", str(Path(__file__).with_name("zizmor.yml"))]
SCHEMA = ["check-jsonschema", "--builtin-schema", "vendor.github-workflows"]
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")

BROKEN = """\
name: broken
on: pull_request_target
jobs:
  greet:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def lint(command: list[str], *targets: Path) -> subprocess.CompletedProcess:
    tool = Path(sys.executable).parent / command[0]
    if not tool.exists():
        pytest.fail(f"{command[0]} not found next to {sys.executable}: pip install -e '.[test]'")
    return subprocess.run([str(tool), *command[1:], *map(str, targets)], capture_output=True, text=True, timeout=120)


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def test_there_are_workflows() -> None:
    names = {p.name for p in workflow_files()}
    assert {"ci.yml", "images.yml", "deploy.yml"} <= names


@pytest.mark.parametrize("command, targets", [(ZIZMOR, [WORKFLOWS]), (SCHEMA, workflow_files())],
                         ids=["zizmor", "github-schema"])
def test_linter_finds_nothing(command: list[str], targets: list[Path]) -> None:
    result = lint(command, *targets)
    assert result.returncode == 0, result.stdout + result.stderr


def remote_uses(path: Path) -> list[str]:
    workflow = yaml.safe_load(path.read_text())
    found = []
    for job in workflow["jobs"].values():
        found += [step["uses"] for step in job.get("steps", []) if "uses" in step]
        if "uses" in job:
            found.append(job["uses"])
    return [u for u in found if not u.startswith("./")]


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_actions_are_pinned_to_commit_shas(path: Path) -> None:
    unpinned = [u for u in remote_uses(path) if not PINNED.match(u)]
    assert not unpinned, f"{path.name}: pin these to a full commit SHA (tag in a comment): {unpinned}"


def test_linters_reject_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(BROKEN)
    findings = lint(ZIZMOR, broken)
    assert findings.returncode != 0
    for audit in ("template-injection", "dangerous-triggers", "unpinned-uses"):
        assert audit in findings.stdout, findings.stdout

    broken.write_text(BROKEN.replace("runs-on:", "runs_on:"))
    assert lint(SCHEMA, broken).returncode != 0
