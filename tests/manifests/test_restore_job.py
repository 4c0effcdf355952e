"""The restore Job lives in playbooks/restore-db.yml, and the app-databases Job in the
workload_secrets role, not in an overlay: both must meet the same schema and policies,
and the restore Job must match what the quote-db base provides."""

from __future__ import annotations

import jinja2
import pytest
import yaml
from labtool import catalogue

from manifest_policies import POLICIES, selector_matches
from manifest_render import REPO, app_databases_job, lab_namespace, pinned_k3s_version, strict_errors


def restore_job() -> dict:
    play = yaml.safe_load((REPO / "playbooks/restore-db.yml").read_text())[0]
    task = next(t for t in play["tasks"] if t["name"] == "Run the restore Job")
    job = task["kubernetes.core.k8s"]["definition"]
    # Jinja is resolved by Ansible at run time; fill in the play's own defaults, which
    # read the lab catalogue (group variables), as Ansible does.
    variables = {**catalogue.load(), **play["vars"], "restore_job": "postgres-restore-20250101000000"}
    text = yaml.safe_dump(job)
    strict = jinja2.Environment(undefined=jinja2.StrictUndefined)
    while "{{" in text:
        text = strict.from_string(text).render(variables)
    return yaml.safe_load(text)


JOBS = pytest.mark.parametrize("make_job", [restore_job, app_databases_job], ids=lambda f: f.__name__)


@JOBS
def test_job_is_valid_for_pinned_k3s(make_job) -> None:
    assert not strict_errors((make_job(),), pinned_k3s_version())


@JOBS
def test_job_meets_the_workload_policies(make_job) -> None:
    job = make_job()
    for name in ("resources", "security-context", "image-tags", "credentials"):
        assert POLICIES[name]([job]) == [], name


def test_restore_job_uses_what_the_quote_db_base_provides() -> None:
    job = restore_job()
    base = lab_namespace(catalogue.database()["namespace"])
    pod = job["spec"]["template"]
    configmaps = {o["metadata"]["name"] for o in base if o["kind"] == "ConfigMap"}
    claims = {o["metadata"]["name"] for o in base if o["kind"] == "PersistentVolumeClaim"}
    volumes = pod["spec"]["volumes"]
    assert {v["configMap"]["name"] for v in volumes if "configMap" in v} <= configmaps
    assert {v["persistentVolumeClaim"]["claimName"] for v in volumes if "persistentVolumeClaim" in v} <= claims
    # The Job's pods must be admitted to PostgreSQL by the namespace's policies.
    postgres_ingress = next(o for o in base if o["kind"] == "NetworkPolicy"
                            and o["metadata"]["name"] == "postgres-from-quote-apps")
    peers = [p for rule in postgres_ingress["spec"]["ingress"] for p in rule["from"]]
    assert any("namespaceSelector" not in p and selector_matches(p["podSelector"], pod["metadata"]["labels"])
               for p in peers)
    statefulset = next(o for o in base if o["kind"] == "StatefulSet")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == \
        statefulset["spec"]["template"]["spec"]["containers"][0]["image"]
