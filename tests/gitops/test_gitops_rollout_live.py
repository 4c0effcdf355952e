"""The rollout half of labtool.validate_deployment against a live cluster: a good rollout
passes, a broken one fails on its progress deadline, and undo brings the snapshot back.
Needs a reachable cluster (KUBECONFIG or ./kubeconfig); skips with the reason otherwise."""

from __future__ import annotations

import uuid

import pytest

from labtool.validate_deployment import Workload, snapshot, undo, wait_rollouts

pytestmark = pytest.mark.cluster

# k3s's own sandbox image: present on every k3s node without a registry.
GOOD_IMAGE = "rancher/mirrored-pause:3.6"
BAD_IMAGE = "rancher/mirrored-pause:no-such-tag"


@pytest.fixture(scope="module")
def cluster():
    from labtool.kube import ClusterUnavailable, connect

    try:
        return connect()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def namespace(cluster):
    from kubernetes import client

    name = f"gitops-validate-{uuid.uuid4().hex[:6]}"
    cluster.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    cluster.core.delete_namespace(name)


def pause_deployment(image: str, pull: str) -> dict:
    labels = {"app": "pause"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "pause"},
        "spec": {
            "replicas": 1, "progressDeadlineSeconds": 15,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [
                {"name": "pause", "image": image, "imagePullPolicy": pull,
                 "resources": {"requests": {"cpu": "5m", "memory": "8Mi"}, "limits": {"memory": "16Mi"}}},
            ]}},
        },
    }


def test_failed_rollout_is_detected_and_undone(cluster, namespace) -> None:
    lines: list[str] = []
    workload = Workload("Deployment", namespace, "pause")
    cluster.apps.create_namespaced_deployment(namespace, pause_deployment(GOOD_IMAGE, "IfNotPresent"))
    assert wait_rollouts(cluster, [workload], 120, lines.append), lines

    before = snapshot(cluster, [workload])
    assert before == {f"{namespace}/pause": 1}
    # Never pulling a tag that no node has: ErrImageNeverPull, then the progress deadline.
    cluster.apps.patch_namespaced_deployment("pause", namespace, pause_deployment(BAD_IMAGE, "Never"))
    assert not wait_rollouts(cluster, [workload], 120, lines.append)
    assert "progress deadline" in lines[-1]

    assert undo(cluster, before, lines.append) == [workload]
    assert wait_rollouts(cluster, [workload], 120, lines.append), lines
    deployed = cluster.apps.read_namespaced_deployment("pause", namespace)
    assert deployed.spec.template.spec.containers[0].image == GOOD_IMAGE
    assert undo(cluster, snapshot(cluster, [workload]), lines.append) == [], "nothing changed since"
