"""After converge: a worker joined the control plane, and pods reach each other across nodes."""

import json
import time

import pytest
import testinfra

KUBECTL = "kubectl --kubeconfig=/etc/kubernetes/admin.conf"
CONTROL_PLANE, WORKER = "kubeadm-cp-mol", "kubeadm-worker-mol"


@pytest.fixture(scope="module")
def cp():
    return testinfra.get_host(f"docker://{CONTROL_PLANE}")


def kubectl(cp, args: str) -> str:
    return cp.check_output(f"{KUBECTL} {args}")


def busybox(cp) -> str:
    images = cp.check_output("ctr --namespace k8s.io images list --quiet").split()
    return next(image for image in images if "/busybox:" in image)


def pod(name: str, node: str, image: str, command: str, restart: str = "Never") -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"nodeName": node, "restartPolicy": restart, "containers": [{
            "name": name, "image": image, "imagePullPolicy": "Never", "command": ["sh", "-c", command],
        }]},
    })


def test_both_nodes_are_ready(cp):
    nodes = json.loads(kubectl(cp, "get nodes -o json"))["items"]
    ready = {n["metadata"]["name"]: {c["type"]: c["status"] for c in n["status"]["conditions"]}["Ready"] for n in nodes}
    assert ready == {CONTROL_PLANE: "True", WORKER: "True"}


def test_the_worker_runs_no_datastore_and_holds_no_admin_credentials():
    worker = testinfra.get_host(f"docker://{WORKER}")
    assert not worker.file("/usr/local/bin/kine").exists
    assert not worker.file("/etc/kubernetes/admin.conf").exists
    assert not worker.file("/etc/kubernetes/kubeadm-join.yaml").exists  # the token is gone
    assert worker.service("kubelet").is_running and worker.service("kube-proxy").is_running


def test_pods_reach_each_other_across_nodes_by_pod_ip_and_service(cp):
    image = busybox(cp)
    cp.run(f"{KUBECTL} delete pod,service server client --ignore-not-found --wait=true")
    serve = "mkdir -p /www && hostname > /www/index.html && httpd -f -p 8080 -h /www"
    cp.check_output(f"echo '{pod('server', CONTROL_PLANE, image, serve, 'Always')}' | {KUBECTL} apply -f -")
    kubectl(cp, "expose pod server --port=8080")
    kubectl(cp, "wait --for=condition=Ready pod/server --timeout=120s")
    server_ip = kubectl(cp, "get pod server -o jsonpath='{.status.podIP}'")
    # (busybox 1.35 wget crashes on -T; the pod times out as a whole instead.)
    fetch = f"wget -q -O - http://{server_ip}:8080/ && wget -q -O - http://server.default.svc.cluster.local:8080/"
    cp.check_output(f"echo '{pod('client', WORKER, image, fetch)}' | {KUBECTL} apply -f -")
    try:
        deadline, phase = time.monotonic() + 120, ""
        while time.monotonic() < deadline and phase not in ("Succeeded", "Failed"):
            time.sleep(2)
            phase = kubectl(cp, "get pod client -o jsonpath='{.status.phase}'")
        log = cp.run(f"{KUBECTL} logs client").stdout
        assert phase == "Succeeded", log
        # By pod IP across the host-gw route, then by Service name through CoreDNS and kube-proxy.
        assert log.split() == ["server", "server"]
    finally:
        cp.run(f"{KUBECTL} delete pod,service server client --wait=false")
