"""After converge: a real single-node Kubernetes cluster runs from the offline bundle."""

import json
import time

import pytest


def test_node_is_ready_at_the_bundle_version(kube, bundle):
    node = json.loads(kube("get nodes -o json"))["items"]
    assert len(node) == 1
    conditions = {c["type"]: c["status"] for c in node[0]["status"]["conditions"]}
    assert conditions["Ready"] == "True"
    assert node[0]["status"]["nodeInfo"]["kubeletVersion"] == bundle["kubernetes_version"]
    server = json.loads(kube("version -o json"))["serverVersion"]
    assert server["gitVersion"] == bundle["kubernetes_version"]


@pytest.mark.parametrize("unit", ["containerd", "kine", "kubelet", "kube-proxy"])
def test_node_services_run(host, unit):
    service = host.service(unit)
    assert service.is_enabled and service.is_running


@pytest.mark.parametrize(
    "selector",
    ["component=kube-apiserver", "component=kube-controller-manager", "component=kube-scheduler", "k8s-app=kube-dns"],
)
def test_system_pods_run(kube, selector):
    phases = kube(f"get pods -n kube-system -l {selector} -o jsonpath='{{.items[*].status.phase}}'").split()
    assert phases and set(phases) == {"Running"}, phases


def test_a_pod_from_the_bundle_runs(kube, busybox):
    assert "hello from the bundle" in kube.run_pod("bundle-hello", busybox, "echo hello from the bundle")


def test_coredns_resolves_a_service_name(kube, busybox):
    cluster_ip = kube("get service kubernetes -o jsonpath='{.spec.clusterIP}'")
    log = kube.run_pod("dns-check", busybox, "nslookup kubernetes.default.svc.cluster.local")
    assert cluster_ip in log


def test_a_service_reaches_its_pod(kube, busybox):
    kube.run("delete pod,service web --ignore-not-found --wait=true")
    kube(
        f"run web --image={busybox} --image-pull-policy=Never --port=8080 --expose "
        "-- sh -c 'mkdir -p /www && echo served-by-pod > /www/index.html && httpd -f -p 8080 -h /www'"
    )
    kube("wait --for=condition=Ready pod/web --timeout=120s")
    try:
        log = kube.run_pod("web-client", busybox, "wget -q -O - http://web.default.svc.cluster.local:8080/")
    finally:
        kube.run("delete pod,service web --wait=false")
    assert "served-by-pod" in log


def test_a_local_path_claim_binds_and_keeps_data(host, kube, busybox):
    kube.run("delete pod claim-user --ignore-not-found --wait=true")
    kube.run("delete pvc lab-claim --ignore-not-found --wait=true")
    kube.apply({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "lab-claim"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}},
    })
    kube.apply({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "claim-user"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "writer", "image": busybox, "imagePullPolicy": "Never",
                "command": ["sh", "-c", "echo kept > /data/file && cat /data/file"],
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            }],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "lab-claim"}}],
        },
    })
    try:
        kube("wait --for=jsonpath='{.status.phase}'=Succeeded pod/claim-user --timeout=120s")
        assert kube("get pvc lab-claim -o jsonpath='{.status.phase}'") == "Bound"
        assert kube("get pvc lab-claim -o jsonpath='{.spec.storageClassName}'") == "local-path"
        assert kube("logs claim-user") == "kept"
        volume = kube("get pvc lab-claim -o jsonpath='{.spec.volumeName}'")
        path = kube(f"get pv {volume} -o jsonpath='{{.spec.hostPath.path}}'")
        assert host.file(f"{path}/file").content_string.strip() == "kept"
    finally:
        kube.run("delete pod claim-user --wait=true")
        kube.run("delete pvc lab-claim --wait=false")


def test_kubectl_top_reports_the_node(host, kube):
    """metrics-server scrapes the kubelet; the first figures take up to a couple of minutes."""
    deadline = time.monotonic() + 180
    result = None
    while time.monotonic() < deadline:
        result = kube.run("top nodes --no-headers")
        if result.rc == 0 and result.stdout.strip():
            break
        time.sleep(5)
    assert result.rc == 0, result.stderr
    name, cpu, _, memory, _ = result.stdout.split()
    assert name == host.check_output("hostname")
    assert cpu.endswith("m") and int(cpu[:-1]) > 0
    assert memory.endswith("Mi") and int(memory[:-2]) > 0


def test_secrets_are_encrypted_at_rest(host, kube):
    """The value is readable through the API, and only ciphertext is in kine's database."""
    value = "lab-" + host.check_output("head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \\n'")
    kube.run("delete secret at-rest --ignore-not-found")
    kube(f"create secret generic at-rest --from-literal=value={value}")
    try:
        decoded = kube("get secret at-rest -o jsonpath='{.data.value}' | base64 -d")
        assert decoded == value
        host.check_output("sync")
        stored = "cat /var/lib/kine/state.db /var/lib/kine/state.db-wal 2>/dev/null"
        assert host.run(f"{stored} | grep -a -q 'k8s:enc:aescbc:v1:lab-key-1'").rc == 0
        assert host.run(f"{stored} | grep -a -q {value}").rc == 1
    finally:
        kube.run("delete secret at-rest")


def test_encryption_key_is_private(host):
    key = host.file("/etc/kubernetes/encryption/key")
    assert key.mode == 0o600 and key.user == "root"
    assert host.file("/etc/kubernetes/encryption/config.yaml").mode == 0o600


def test_a_service_address_without_a_rule_is_refused_not_routed_out(host):
    """Before kube-proxy writes a new Service's rule, its address must fail fast on the
    node rather than leave it (the API server once kept a connection to whatever answered)."""
    unused = "10.43.255.254"  # in the role's default service network, never allocated here
    result = host.run(f"timeout 10 python3 -c \"import socket; socket.create_connection(('{unused}', 443), timeout=5)\"")
    assert result.rc == 1 and "ConnectionRefusedError" in result.stderr, result.stderr
