"""After converge: a real single-node Kubernetes cluster runs from the offline bundle."""

import json
import os
import time
from pathlib import Path

import pytest
import yaml

KUBECTL = "kubectl --kubeconfig=/etc/kubernetes/admin.conf"


@pytest.fixture(scope="module")
def bundle():
    return yaml.safe_load((Path(os.environ["LAB_KUBE_BUNDLE_DIR"]) / "bundle.yml").read_text())


def kubectl(host, args: str) -> str:
    return host.check_output(f"{KUBECTL} {args}")


def run_pod(host, name: str, image: str, command: str, timeout: int = 120) -> str:
    """Run a pod to completion; return its log. Fails on anything but Succeeded."""
    host.run(f"{KUBECTL} delete pod {name} --ignore-not-found --wait=true")
    kubectl(host, f"run {name} --image={image} --image-pull-policy=Never --restart=Never -- {command}")
    deadline = time.monotonic() + timeout
    phase = ""
    while time.monotonic() < deadline:
        phase = kubectl(host, f"get pod {name} -o jsonpath='{{.status.phase}}'")
        if phase in ("Succeeded", "Failed"):
            break
        time.sleep(2)
    log = host.run(f"{KUBECTL} logs {name}").stdout
    kubectl(host, f"delete pod {name} --wait=false")
    assert phase == "Succeeded", f"pod {name} ended {phase or 'not at all'}; log:\n{log}"
    return log


def test_node_is_ready_at_the_bundle_version(host, bundle):
    node = json.loads(kubectl(host, "get nodes -o json"))["items"]
    assert len(node) == 1
    conditions = {c["type"]: c["status"] for c in node[0]["status"]["conditions"]}
    assert conditions["Ready"] == "True"
    assert node[0]["status"]["nodeInfo"]["kubeletVersion"] == bundle["kubernetes_version"]
    server = json.loads(kubectl(host, "version -o json"))["serverVersion"]
    assert server["gitVersion"] == bundle["kubernetes_version"]


@pytest.mark.parametrize("unit", ["containerd", "kine", "kubelet", "kube-proxy"])
def test_node_services_run(host, unit):
    service = host.service(unit)
    assert service.is_enabled and service.is_running


@pytest.mark.parametrize(
    "selector",
    ["component=kube-apiserver", "component=kube-controller-manager", "component=kube-scheduler", "k8s-app=kube-dns"],
)
def test_system_pods_run(host, selector):
    phases = kubectl(host, f"get pods -n kube-system -l {selector} -o jsonpath='{{.items[*].status.phase}}'").split()
    assert phases and set(phases) == {"Running"}, phases


def test_a_pod_from_the_bundle_runs(host, bundle):
    busybox = next(image for image in bundle["images"] if "/busybox:" in image)
    assert "hello from the bundle" in run_pod(host, "bundle-hello", busybox, "echo hello from the bundle")


def test_coredns_resolves_a_service_name(host, bundle):
    busybox = next(image for image in bundle["images"] if "/busybox:" in image)
    cluster_ip = kubectl(host, "get service kubernetes -o jsonpath='{.spec.clusterIP}'")
    log = run_pod(host, "dns-check", busybox, "nslookup kubernetes.default.svc.cluster.local")
    assert cluster_ip in log


def test_a_service_reaches_its_pod(host, bundle):
    busybox = next(image for image in bundle["images"] if "/busybox:" in image)
    host.run(f"{KUBECTL} delete pod,service web --ignore-not-found --wait=true")
    kubectl(
        host,
        f"run web --image={busybox} --image-pull-policy=Never --port=8080 --expose "
        "-- sh -c 'mkdir -p /www && echo served-by-pod > /www/index.html && httpd -f -p 8080 -h /www'",
    )
    kubectl(host, "wait --for=condition=Ready pod/web --timeout=120s")
    try:
        log = run_pod(host, "web-client", busybox, "wget -q -O - http://web.default.svc.cluster.local:8080/")
    finally:
        host.run(f"{KUBECTL} delete pod,service web --wait=false")
    assert "served-by-pod" in log
