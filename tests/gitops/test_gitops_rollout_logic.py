"""The cluster-free parts of the rollout half: which workloads an overlay deploys, the
images promotion copies, kubectl's rollout-status rules and the undo patch. The inputs are
objects shaped as the API returns them; talking to an API server is the live test's job."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labtool import REPO
from labtool.validate_deployment import (
    REVISION, InputError, Workload, deployment_progress, load_workloads, pinned_images,
    statefulset_progress, undo_patch,
)


@pytest.fixture(scope="module")
def rendered_dev(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dev") / "rendered.yaml"
    kubectl = str(Path(sys.executable).parent / "kubectl")
    result = subprocess.run([kubectl, "kustomize", str(REPO / "manifests/overlays/dev")],
                            capture_output=True, text=True, check=True)
    out.write_text(result.stdout)
    return out


def test_dev_overlay_workloads_include_the_app_and_its_database(rendered_dev: Path) -> None:
    workloads = load_workloads(rendered_dev)
    assert Workload("Deployment", "quote-app", "quote") in workloads
    assert Workload("StatefulSet", "quote-db", "postgres") in workloads
    assert all(w.kind in ("Deployment", "StatefulSet") for w in workloads)


def test_unrendered_base_is_refused(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text((REPO / "manifests/bases/quote/deployment.yaml").read_text())
    with pytest.raises(InputError, match="has no namespace"):
        load_workloads(tmp_path / "base.yaml")


def test_pinned_images_are_kustomize_edit_arguments(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "images:\n"
        "  - {name: k3s-lab/quote, newName: ghcr.io/acme/k3s-lab/quote, newTag: 0123abc}\n"
        "  - {name: k3s-lab/backend, digest: 'sha256:feed'}\n"
    )
    assert pinned_images(tmp_path / "kustomization.yaml") == [
        "k3s-lab/quote=ghcr.io/acme/k3s-lab/quote:0123abc",
        "k3s-lab/backend=k3s-lab/backend@sha256:feed",
    ]
    (tmp_path / "kustomization.yaml").write_text("images:\n  - {name: k3s-lab/quote}\n")
    with pytest.raises(InputError, match="no newTag or digest"):
        pinned_images(tmp_path / "kustomization.yaml")


def deployment(generation=2, observed=2, replicas=3, updated=3, total=3, available=3, conditions=()):
    return {
        "metadata": {"name": "quote", "generation": generation, "uid": "uid-1",
                     "annotations": {REVISION: "4"}},
        "spec": {"replicas": replicas},
        "status": {"observedGeneration": observed, "updatedReplicas": updated, "replicas": total,
                   "availableReplicas": available, "conditions": list(conditions)},
    }


@pytest.mark.parametrize(("kwargs", "done", "failed", "says"), [
    ({}, True, False, "rolled out"),
    ({"observed": 1}, False, False, "observe the new spec"),
    ({"updated": 1, "total": 4}, False, False, "1 of 3 new replicas"),
    ({"total": 4}, False, False, "1 old replicas pending"),
    ({"available": 2}, False, False, "2 of 3 updated replicas available"),
    ({"updated": 1, "conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded",
                                    "message": "ReplicaSet quote-9f has timed out progressing."}]},
     False, True, "progress deadline"),
])
def test_deployment_progress_follows_kubectl(kwargs, done, failed, says) -> None:
    progress = deployment_progress(deployment(**kwargs))
    assert (progress.done, progress.failed) == (done, failed)
    assert says in progress.message


def statefulset(ready=1, updated=1, current="web-1", update="web-1", partition=None):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition} if partition else {}}
    return {
        "metadata": {"name": "postgres", "generation": 1},
        "spec": {"replicas": 1, "updateStrategy": strategy},
        "status": {"observedGeneration": 1, "readyReplicas": ready, "updatedReplicas": updated,
                   "currentRevision": current, "updateRevision": update},
    }


def test_statefulset_progress_follows_kubectl() -> None:
    assert statefulset_progress(statefulset()).done
    assert "0 of 1 pods ready" in statefulset_progress(statefulset(ready=0)).message
    assert not statefulset_progress(statefulset(current="web-1", update="web-2")).done


def replicaset(revision: int, image: str, owner: str = "uid-1") -> dict:
    return {
        "metadata": {"name": f"quote-{revision}", "annotations": {REVISION: str(revision)},
                     "ownerReferences": [{"kind": "Deployment", "uid": owner}]},
        "spec": {"template": {"metadata": {"labels": {"app": "quote", "pod-template-hash": f"h{revision}"}},
                              "spec": {"containers": [{"name": "quote", "image": image}]}}},
    }


def test_undo_restores_the_snapshot_revisions_template() -> None:
    replicasets = [replicaset(4, "quote:bad"), replicaset(3, "quote:good"), replicaset(3, "x:other", owner="uid-2")]
    (op,) = undo_patch(deployment(), replicasets, to_revision=3)
    assert op["op"] == "replace" and op["path"] == "/spec/template"
    assert op["value"]["spec"]["containers"][0]["image"] == "quote:good"
    assert op["value"]["metadata"]["labels"] == {"app": "quote"}, "pod-template-hash must not be copied"
    assert replicasets[1]["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == "h3", "input untouched"


def test_undo_without_that_revision_says_why() -> None:
    with pytest.raises(LookupError, match="no ReplicaSet of revision 2"):
        undo_patch(deployment(), [replicaset(4, "quote:bad")], to_revision=2)
