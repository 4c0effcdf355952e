"""After converge: a worker joined the control plane, and pods reach each other across nodes."""

import json

import testinfra

WORKER = "kubeadm-worker-mol"


def test_both_nodes_are_ready(kube, control_plane_name):
    nodes = json.loads(kube("get nodes -o json"))["items"]
    ready = {n["metadata"]["name"]: {c["type"]: c["status"] for c in n["status"]["conditions"]}["Ready"] for n in nodes}
    assert ready == {control_plane_name: "True", WORKER: "True"}


def test_the_worker_runs_no_datastore_and_holds_no_admin_credentials():
    worker = testinfra.get_host(f"docker://{WORKER}")
    assert not worker.file("/usr/local/bin/kine").exists
    assert not worker.file("/etc/kubernetes/admin.conf").exists
    assert not worker.file("/etc/kubernetes/kubeadm-join.yaml").exists  # the token is gone
    assert worker.service("kubelet").is_running and worker.service("kube-proxy").is_running


def test_pods_reach_each_other_across_nodes_by_pod_ip_and_service(kube, busybox, control_plane_name):
    kube.run("delete pod,service server --ignore-not-found --wait=true")
    kube.apply({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "server", "labels": {"app": "server"}},
        "spec": {"nodeName": control_plane_name, "containers": [{
            "name": "server", "image": busybox, "imagePullPolicy": "Never",
            "command": ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && httpd -f -p 8080 -h /www"],
        }]},
    })
    kube("expose pod server --port=8080")
    kube("wait --for=condition=Ready pod/server --timeout=120s")
    server_ip = kube("get pod server -o jsonpath='{.status.podIP}'")
    # (busybox 1.35 wget crashes on -T; run_pod's deadline bounds the wait instead.)
    fetch = f"wget -q -O - http://{server_ip}:8080/ && wget -q -O - http://server.default.svc.cluster.local:8080/"
    try:
        log = kube.run_pod("client", busybox, fetch, node=WORKER)
    finally:
        kube.run("delete pod,service server --wait=false")
    # By pod IP across the host-gw route, then by Service name through CoreDNS and kube-proxy.
    assert log.split() == ["server", "server"]
