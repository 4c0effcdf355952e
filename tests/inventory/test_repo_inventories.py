"""The inventories shipped in the repo pass validation, and no token sits in plain text."""

from __future__ import annotations

import subprocess

import yaml

from labtool import REPO
from validate_runner import run_playbook

class TaggedLoader(yaml.SafeLoader):
    """SafeLoader that keeps tagged values (!vault, !unsafe...) as Tagged instead of failing."""


class Tagged(str):
    tag = ""


def _tagged(loader, tag_suffix, node):
    value = Tagged(loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else "")
    value.tag = "!" + tag_suffix
    return value


TaggedLoader.add_multi_constructor("!", _tagged)

def test_example_production_passes_the_inventory_checks():
    run = run_playbook(REPO / "inventory" / "example-production", "--skip-tags", "validate_nodes")
    assert run.returncode == 0, run.output
    assert "failed=0" in run.output


def tracked_yaml() -> list:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.yml", "*.yaml"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split()
    return [REPO / name for name in listed if (REPO / name).is_file()]


def token_values(node):
    """Every value of a k3s_token key anywhere in a loaded YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "k3s_token":
                yield value
            yield from token_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from token_values(item)


def is_secret_in_plain_text(value) -> bool:
    if value is None or isinstance(value, dict):  # no value, or a spec (argument_specs)
        return False
    if isinstance(value, Tagged):
        return value.tag != "!vault"
    # A reference to another variable or a lookup is fine; a literal string is not.
    return not (isinstance(value, str) and (value == "" or value.strip().startswith("{{")))


def test_no_plain_text_cluster_token_in_the_repo():
    offenders = []
    for path in tracked_yaml():
        text = path.read_text(errors="replace")
        if text.startswith("$ANSIBLE_VAULT") or "k3s_token" not in text:
            continue
        try:
            documents = list(yaml.load_all(text, Loader=TaggedLoader))
        except yaml.YAMLError as error:
            offenders.append(f"{path.relative_to(REPO)}: mentions k3s_token but is not valid YAML ({error})")
            continue
        for document in documents:
            for value in token_values(document):
                if is_secret_in_plain_text(value):
                    offenders.append(f"{path.relative_to(REPO)}: k3s_token is a literal of {len(str(value))} characters")
    assert offenders == [], "k3s_token in plain text (use Ansible Vault):\n" + "\n".join(offenders)
