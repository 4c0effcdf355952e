"""VM smoke test: the real lab path, end to end, on libvirt (TCG unless told otherwise).

1. build the local Debian box (vagrant/box/build_box.py, cached after the first build)
2. `vagrant up` 1 server + 1 agent; the Vagrant Ansible provisioner runs site.yml once
   (LAB_ANSIBLE_TAGS=common: validation and the common role)
3. testinfra node checks over SSH: the common role's own verify tests, via inventory/vagrant
4. `vagrant provision` again: changed=0
5. the documented node-failure one-liner stops a node; then everything is destroyed

Slow (about 10+ minutes under TCG), so opt-in: pytest -m vm tests/vagrant
Step times are printed (run with -s) and written to $LAB_REPORT_DIR/vm-smoke-times.json if set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from labtool import REPO

# The role's verify reads hosts, groups and IPs from the inventory it is given: all of it runs here.
COMMON_VERIFY_TESTS = REPO / "roles" / "common" / "molecule" / "default" / "tests"
TOOLS = ("vagrant", "virsh", "qemu-system-x86_64", "debootstrap", "qemu-img")

pytestmark = pytest.mark.vm

TIMES: dict[str, float] = {}


def smoke_env(state: Path) -> dict[str, str]:
    # Own dotfile dir, domain prefix and network: a user's running lab is never touched.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAB_")}
    env.update(
        {
            "LAB_SERVERS": "1",
            "LAB_AGENTS": "1",
            "LAB_BOX": "debian12-local",
            "LAB_LIBVIRT_DRIVER": os.environ.get("LAB_LIBVIRT_DRIVER", "qemu"),
            "LAB_NETWORK_CIDR": "192.168.59.0/24",
            "LAB_DOMAIN_PREFIX": "k3s-smoke-",
            # Validate + the node OS: later stages need k3s downloads, not part of this test.
            "LAB_ANSIBLE_TAGS": "common",
            "VAGRANT_DOTFILE_PATH": str(state),
            "VAGRANT_CHECKPOINT_DISABLE": "1",
            "ANSIBLE_NOCOLOR": "1",
            # Ansible from the same venv as this test.
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        }
    )
    return env


def step(name: str, cmd: list[str], env: dict[str, str], timeout: int) -> str:
    """Run one step, logging its output to a file to follow while it runs (minutes)."""
    log = Path(env["VAGRANT_DOTFILE_PATH"]).parent / f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.log"
    print(f"[vm-smoke] {name}: running, output in {log}", file=sys.stderr, flush=True)
    started = time.monotonic()
    with log.open("w") as sink:
        completed = subprocess.run(
            cmd, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT, text=True, timeout=timeout
        )
    TIMES[name] = round(time.monotonic() - started, 1)
    print(f"[vm-smoke] {name}: {TIMES[name]} s", file=sys.stderr, flush=True)
    # Progress bars redraw with \r; keep only the final state of each line.
    output = "\n".join(line.split("\r")[-1] for line in log.read_text(errors="replace").splitlines())
    assert completed.returncode == 0, f"{' '.join(cmd)} failed ({completed.returncode}):\n{output[-6000:]}"
    return output


def recap(output: str) -> dict[str, dict[str, int]]:
    """host -> counters from the (single) PLAY RECAP of an ansible-playbook run."""
    assert output.count("PLAY RECAP") == 1, "expected exactly one ansible-playbook run"
    section = output.split("PLAY RECAP", 1)[1]
    hosts = {}
    for host, counters in re.findall(r"^\s*(?:[\w.-]+:\s+)?([\w.-]+)\s+:\s+(ok=.*)$", section, re.M):
        hosts[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counters)}
    return hosts


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"VM smoke test needs {', '.join(missing)}: ./scripts/lab-up --host-only --local-box installs them")
    if os.geteuid() != 0:
        pytest.skip("VM smoke test builds a box with loop devices: run as root")
    if not COMMON_VERIFY_TESTS.is_dir() or not list(COMMON_VERIFY_TESTS.glob("test_*.py")):
        pytest.skip(f"no testinfra tests in {COMMON_VERIFY_TESTS.relative_to(REPO)}")

    env = smoke_env(tmp_path_factory.mktemp("vagrant-state"))
    step("host prep (lab-up --host-only)", [str(REPO / "scripts" / "lab-up"), "--host-only"], env, 600)
    step("box build (cached after first)", [sys.executable, "vagrant/box/build_box.py"], env, 1800)
    try:
        up = step("vagrant up + provision", ["vagrant", "up"], env, 3600)
        yield env, up
    finally:
        # Always clean up, even after a failed step.
        started = time.monotonic()
        subprocess.run(["vagrant", "destroy", "--force"], cwd=REPO, env=env, capture_output=True, timeout=600)
        TIMES["vagrant destroy"] = round(time.monotonic() - started, 1)
        report = os.environ.get("LAB_REPORT_DIR")
        if report:
            Path(report).mkdir(parents=True, exist_ok=True)
            (Path(report) / "vm-smoke-times.json").write_text(json.dumps(TIMES, indent=2) + "\n")
        print(f"[vm-smoke] times: {json.dumps(TIMES)}", file=sys.stderr)


def test_provisioner_ran_once_over_the_whole_inventory(lab):
    _, up = lab
    hosts = recap(up)
    assert set(hosts) == {"localhost", "server-1", "agent-1"}
    assert all(counters["failed"] == 0 and counters["unreachable"] == 0 for counters in hosts.values())
    # The common role really changed the fresh nodes.
    assert hosts["server-1"]["changed"] > 0 and hosts["agent-1"]["changed"] > 0


def test_nodes_pass_the_common_role_checks_over_ssh(lab):
    env, _ = lab
    output = step(
        "testinfra node checks",
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
            "--hosts=ansible://k3s_cluster",
            "--ansible-inventory=inventory/vagrant",
            "--sudo",
            str(COMMON_VERIFY_TESTS),
        ],
        env,
        900,
    )
    summary = output.strip().splitlines()[-1].strip("= ")
    print(f"[vm-smoke] node checks: {summary}", file=sys.stderr, flush=True)
    # On real VMs every case runs: none may skip (containers skip the live sysctl check).
    assert re.fullmatch(r"\d+ passed in .*", summary), summary


def test_second_provision_changes_nothing(lab):
    env, _ = lab
    again = step("vagrant provision (2nd run)", ["vagrant", "provision"], env, 3600)
    hosts = recap(again)
    assert {host: counters["changed"] for host, counters in hosts.items()} == {h: 0 for h in hosts}
    assert all(counters["failed"] == 0 for counters in hosts.values())


def test_documented_node_failure_one_liner(lab):
    env, _ = lab
    step("vagrant halt --force agent-1", ["vagrant", "halt", "--force", "agent-1"], env, 300)
    state = subprocess.run(
        ["virsh", "-c", "qemu:///system", "domstate", "k3s-smoke-agent-1"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert state == "shut off"
