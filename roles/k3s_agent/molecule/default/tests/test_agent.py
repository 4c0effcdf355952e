"""After a real converge (hosts that can download k3s): the agent joined and is Ready."""


def test_k3s_agent_unit_runs(host):
    if host.backend.get_hostname() != "k3s-agent-mol":
        return
    service = host.service("k3s-agent")
    assert service.is_enabled and service.is_running
    assert host.file("/etc/systemd/system/k3s-agent.service.env").mode == 0o600

def test_both_nodes_ready(host):
    if host.backend.get_hostname() != "k3s-agent-mol-server":
        return
    statuses = host.check_output(
        "k3s kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}="
        "{.status.conditions[?(@.type==\"Ready\")].status} {end}'"
    )
    assert sorted(statuses.split()) == ["k3s-agent-mol-server=True", "k3s-agent-mol=True"]
