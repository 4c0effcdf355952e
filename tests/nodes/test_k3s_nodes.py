"""k3s on each node: the service of its role, the private IP it registered, flannel
on the private interface, the ports it listens on, and secrets encryption."""

from __future__ import annotations

SERVER_PORTS = ("tcp://6443", "tcp://10250", "udp://8472")
AGENT_PORTS = ("tcp://10250", "udp://8472")


def test_k3s_service_matches_role(node):
    mine, other = ("k3s", "k3s-agent") if node.is_server else ("k3s-agent", "k3s")
    service = node.host.service(mine)
    assert service.is_running and service.is_enabled, f"{mine} on {node.name}"
    assert not node.host.service(other).is_running, f"{other} must not run on {node.name}"


def test_node_registered_private_ip(node, request):
    kube = node.kube_node(request)
    internal = [a["address"] for a in kube["status"]["addresses"] if a["type"] == "InternalIP"]
    assert internal == [node.ip], f"{node.name} registered {internal}, inventory says {node.ip}"
    assert kube["metadata"]["annotations"].get("k3s.io/internal-ip") == node.ip


def test_flannel_uses_private_interface(node, request):
    annotations = node.kube_node(request)["metadata"]["annotations"]
    assert annotations.get("flannel.alpha.coreos.com/public-ip") == node.ip
    link = node.host.check_output("ip -d -o link show flannel.1")
    assert f"local {node.ip}" in link and f"dev {node.iface}" in link, link


def test_cluster_ports_listen(node):
    for spec in SERVER_PORTS if node.is_server else AGENT_PORTS:
        assert node.host.socket(spec).is_listening, f"{spec} on {node.name}"


def test_secrets_encryption_enabled(node):
    if not node.is_server:
        return  # agents hold no Secrets at rest
    status = node.host.check_output("k3s secrets-encrypt status")
    assert "Encryption Status: Enabled" in status, status
