"""Run every role's molecule scenarios: `molecule test -s NAME` from the role directory.

Discovery: each roles/<role>/molecule/<scenario>/molecule.yml is one test case, id
"<role>/<scenario>". The run fails when molecule fails, and skips (with the reason)
when it cannot run here:

- Docker is unavailable (no CLI, or the daemon does not answer).
- The scenario says so with the skip marker (the contract, see tests/roles/README.md):
  a run that FAILS and whose output contains a line with ``LAB-SKIP: <reason>``
  is reported as skipped with that reason. A scenario that needs something this
  host lacks (e.g. the k3s release download) ends with a task such as
  ``ansible.builtin.fail: msg="LAB-SKIP: k3s release not reachable (...)"``.
  The marker only turns a failure into a skip; a passing run is a pass.

The full molecule output of each scenario is kept in reports/molecule/<role>-<scenario>.log.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from labtool.images.kube_bundle import bundle_dir
from labtool.images.node import NODE_IMAGE, docker_problem, image_exists
from labtool import REPO

BASE_CONFIG = REPO / ".config" / "molecule" / "config.yml"
LOG_DIR = REPO / "reports" / "molecule"
SKIP_MARKER = re.compile(r"LAB-SKIP:\s*(?P<reason>[^\"\\\n]+)")
TIMEOUT_SECONDS = 45 * 60
FAILURE_TAIL_LINES = 120

SCENARIOS = sorted(REPO.glob("roles/*/molecule/*/molecule.yml"))


def skip_reason(output: str) -> str | None:
    """The reason of the first LAB-SKIP marker in molecule's output, if any."""
    match = SKIP_MARKER.search(output)
    return match.group("reason").strip() if match else None


@pytest.fixture(scope="module")
def docker_ready() -> None:
    problem = docker_problem()
    if problem:
        pytest.skip(f"molecule needs docker: {problem}")
    assert image_exists(), (
        f"node image {NODE_IMAGE} is missing: build it with `python -m labtool.images.node` "
        "(root, debootstrap and docker needed) before running the role tests"
    )


@pytest.mark.parametrize("molecule_file", SCENARIOS, ids=[f"{p.parents[2].name}/{p.parent.name}" for p in SCENARIOS])
def test_molecule_scenario(molecule_file: Path, docker_ready: None, record_property) -> None:
    role_dir, scenario = molecule_file.parents[2], molecule_file.parent.name
    env = dict(os.environ)
    # molecule shells out to ansible-playbook and friends: use the ones next to this Python.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(NO_COLOR="1", PY_COLORS="0", ANSIBLE_NOCOLOR="1")  # plain text logs
    # The offline Kubernetes bundle the kubeadm_node scenario installs (scripts/run-tests builds it).
    env.setdefault("LAB_KUBE_BUNDLE_DIR", str(bundle_dir()))
    started = time.monotonic()
    result = subprocess.run(["molecule", "--base-config", str(BASE_CONFIG), "test", "--scenario-name", scenario],
                            cwd=role_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=TIMEOUT_SECONDS, check=False)
    elapsed = time.monotonic() - started
    record_property("molecule_seconds", round(elapsed, 1))
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{role_dir.name}-{scenario}.log"
    log.write_text(result.stdout)
    print(f"molecule test {role_dir.name}/{scenario}: rc={result.returncode} in {elapsed:.0f}s, log {log}")

    if result.returncode != 0:
        reason = skip_reason(result.stdout)
        if reason:
            pytest.skip(f"{role_dir.name}/{scenario}: {reason}")
        tail = "\n".join(result.stdout.splitlines()[-FAILURE_TAIL_LINES:])
        pytest.fail(
            f"molecule test failed for {role_dir.name}/{scenario} (rc={result.returncode}, "
            f"{elapsed:.0f}s, full log {log}):\n{tail}",
            pytrace=False,
        )


@pytest.mark.parametrize(("output", "reason"), [
    ('fatal: [node]: FAILED! => {"msg": "LAB-SKIP: k3s release not reachable (timeout)"}',
     "k3s release not reachable (timeout)"),
    ("LAB-SKIP: no /dev/kvm\nmore output", "no /dev/kvm"),
    ("PLAY RECAP\nfailed=1", None),
])
def test_skip_marker_parsing(output: str, reason: str | None) -> None:
    assert skip_reason(output) == reason
