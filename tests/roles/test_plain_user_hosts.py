"""Rules for hosts that Ansible reaches as a plain user (VMs, cloud hosts), which the
container nodes in CI, reached as root, cannot show. The kubeconfig role's root-only read
runs for real in its `unprivileged` molecule scenario."""

from __future__ import annotations


import pytest
import yaml
from labtool import REPO

TASK_FILES = sorted([*REPO.glob("roles/*/tasks/*.yml"), *REPO.glob("playbooks/*.yml"),
                     *REPO.glob("playbooks/tasks/*.yml")])


def tasks(document, play_vars: dict | None = None) -> list[dict]:
    """Every task of a task file or playbook, blocks and plays opened; each task gets
    its play's and its own vars merged under "vars", so a rule can follow a reference."""
    found = []
    for item in document if isinstance(document, list) else []:
        if not isinstance(item, dict):
            continue
        scope = {**(play_vars or {}), **(item.get("vars") or {})}
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            found += tasks(item.get(key), scope)
        if not any(key in item for key in ("hosts", "block", "import_playbook")):
            found.append({**item, "vars": scope})
    return found


def module_tasks(*modules: str) -> list[tuple[str, dict]]:
    return [
        (f"{path.relative_to(REPO)}: {task.get('name', '?')}", task)
        for path in TASK_FILES
        for task in tasks(yaml.safe_load(path.read_text()))
        if any(module in task for module in modules)
    ]


def expand(text: str, variables: dict, depth: int = 3) -> str:
    """`text` with the vars it names appended, followed `depth` references deep."""
    named = [str(value) for name, value in variables.items() if name in text]
    return text if depth == 0 or not named else expand(" ".join([text, *named]), variables, depth - 1)


def test_the_rules_see_the_tasks_they_guard():
    assert module_tasks("ansible.builtin.fetch") and module_tasks("ansible.builtin.uri")


@pytest.mark.parametrize(("where", "task"), module_tasks("ansible.builtin.fetch", "fetch"))
def test_fetch_never_becomes(where, task):
    """With become, fetch reads the file whole into memory through slurp: an image
    archive of hundreds of MB on a 2 GiB node."""
    assert task.get("become") is False, f"{where}: set `become: false` and make the file readable instead"


@pytest.mark.parametrize(("where", "task"), module_tasks("ansible.builtin.uri", "uri"))
def test_controller_http_needs_no_dns(where, task):
    """<name>.<ip>.sslip.io needs public DNS, and resolvers with rebind protection answer
    nothing for private addresses: connect to the address and send the Host header."""
    arguments = task.get("ansible.builtin.uri") or task.get("uri")
    assert "sslip.io" not in expand(str(arguments["url"]), task["vars"]), where
