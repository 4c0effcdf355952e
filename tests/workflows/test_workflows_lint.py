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

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
ZIZMOR_CONFIG = Path(__file__).with_name("zizmor.yml")
BIN = Path(sys.executable).parent
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


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} not found next to {sys.executable}: pip install -e '.[test]'")
    return str(path)


def zizmor(target: Path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--config", str(ZIZMOR_CONFIG), str(target)],
                          capture_output=True, text=True, timeout=120)


def schema_check(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
                          capture_output=True, text=True, timeout=120)


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def test_there_are_workflows() -> None:
    names = {p.name for p in workflow_files()}
    assert {"ci.yml", "images.yml", "deploy.yml"} <= names


def test_zizmor_finds_nothing() -> None:
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_match_the_github_schema() -> None:
    result = schema_check(*workflow_files())
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
    findings = zizmor(broken)
    assert findings.returncode != 0
    for audit in ("template-injection", "dangerous-triggers", "unpinned-uses"):
        assert audit in findings.stdout, findings.stdout

    broken.write_text(BROKEN.replace("runs-on:", "runs_on:"))
    assert schema_check(broken).returncode != 0
