"""The inventories shipped in the repo pass validation, and no token sits in plain text."""

from __future__ import annotations

import re
import subprocess

from conftest import REPO_ROOT, run_playbook

TOKEN_LINE = re.compile(r"^\s*k3s_token\s*:\s*(?P<value>.*?)\s*$")


def test_example_production_passes_the_inventory_checks():
    run = run_playbook(REPO_ROOT / "inventory" / "example-production", "--skip-tags", "validate_nodes")
    assert run.returncode == 0, run.output
    assert "failed=0" in run.output


def tracked_yaml() -> list:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.yml", "*.yaml"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    return [REPO_ROOT / name for name in listed if (REPO_ROOT / name).is_file()]


def test_no_plain_text_cluster_token_in_the_repo():
    offenders = []
    for path in tracked_yaml():
        text = path.read_text(errors="replace")
        if text.startswith("$ANSIBLE_VAULT"):
            continue  # a whole-file vault
        for number, line in enumerate(text.splitlines(), 1):
            match = TOKEN_LINE.match(line)
            if not match:
                continue
            value = match["value"]
            # Allowed: no value (a mapping key, e.g. in argument_specs), a reference
            # to another variable, or an inline vault.
            if value in ("", '""', "''", "null", "~") or value.startswith(("#", "!vault", '"{{', "'{{", "{{")):
                continue
            offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "k3s_token in plain text (use Ansible Vault):\n" + "\n".join(offenders)
