"""Every Secret key a lab pod reads is one the workload_secrets role creates in that
namespace (the repo holds no Secret data), and the role creates nothing unused. The
role's own app-databases Job counts as a reader: it reads the database secrets'
copies in quote-db."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from labtool import catalogue
from manifest_policies import pod_templates
from manifest_render import REPO, app_databases_job, render

SECRETS = catalogue.secrets()


def created() -> set[tuple[str, str, str]]:
    return {(ns, s["name"], key) for s in SECRETS for ns in s["namespaces"]
            for key in [*(s.get("fixed") or {}), *(s.get("generated") or [])]}


def referenced() -> set[tuple[str, str, str]]:
    refs = set()
    for pod in pod_templates([*render("overlays/lab"), app_databases_job()]):
        for c in pod.containers:
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((pod.namespace, ref["name"], ref["key"]))
    return refs


def test_every_referenced_secret_key_is_created() -> None:
    missing = referenced() - created()
    assert not missing, f"pods read Secret keys no role creates: {sorted(missing)}"


def test_every_created_secret_is_used() -> None:
    used = {(ns, name) for ns, name, _ in referenced()}
    unused = {(ns, name) for ns, name, _ in created()} - used
    assert not unused, f"secrets created but read by no pod: {sorted(unused)}"


@pytest.mark.parametrize("path", ["kubeconfig", "inventory/vagrant/kubeconfig", ".vault_pass",
                                  ".cache/images/quote-1.0.0.tar"])
def test_local_credentials_and_archives_stay_out_of_git(path: str) -> None:
    # The workload roles read ./kubeconfig (admin credentials) and may use a vault
    # password file; app_images caches image archives under .cache/.
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "--no-index", path], check=False)
    assert result.returncode == 0, f"{path} is not git-ignored"
