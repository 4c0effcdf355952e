"""The k3s roles' config.yaml, unit and env templates, rendered by Ansible itself.

Single server, HA (3 servers + API VIP) and the fast-failover switch: each
inventory is rendered with the roles' own configure tasks into a temp dir,
then the YAML is parsed and checked key by key.
"""

from __future__ import annotations

import stat
from pathlib import Path

import yaml

from ansible_run import dump, local_host, run_playbook

VERSION = "v1.33.5+k3s1"
TOKEN = "test-token-from-vault"


def render(tmp_path: Path, servers: dict, agents: dict, cluster_vars: dict | None = None) -> dict:
    """Render every node's files; return {host: {"config": dict, "unit": str, "env": str}}."""
    cluster_vars = {
        "k3s_version": VERSION,
        "k3s_flannel_iface": "eth1",
        "k3s_node_name": "{{ inventory_hostname }}",
        "k3s_node_config_dir": str(tmp_path) + "/{{ inventory_hostname }}/etc/rancher/k3s",
        "k3s_node_systemd_dir": str(tmp_path) + "/{{ inventory_hostname }}/etc/systemd/system",
        **(cluster_vars or {}),
    }
    groups = {f"k3s_{group}": {"hosts": {h: local_host(k3s_node_ip=ip) for h, ip in hosts.items()}}
              for group, hosts in (("servers", servers), ("agents", agents))}
    inventory = {"all": {"vars": cluster_vars, "children": {"k3s_cluster": {"children": groups}}}}
    # The server/agent roles import k3s_node for its defaults and vars; import it the
    # same way with every task skipped (nothing installed), so precedence is the real one.
    node_settings = {"ansible.builtin.import_role": {"name": "k3s_node"}, "when": False}
    # Handlers would restart real units: end the play before they run.
    end_play = {"ansible.builtin.meta": "end_play"}
    def render(group: str, role: str) -> dict:
        # k3s_node_cluster_token: what k3s_node/tasks/token.yml resolves (the first server
        # uses only the Vault token).
        configure = {"ansible.builtin.include_role": {"name": role, "tasks_from": "configure.yml"},
                     "vars": {"k3s_node_cluster_token": "resolved-token"}}
        return {"name": f"Render the {group}", "hosts": f"k3s_{group}", "gather_facts": False,
                "tasks": [node_settings, configure, end_play]}

    plays = [render("servers", "k3s_server"), render("agents", "k3s_agent")]
    for host in [*servers, *agents]:
        # Present on every systemd host; the roles do not create it.
        (tmp_path / host / "etc/systemd/system").mkdir(parents=True)
    run = run_playbook(tmp_path, inventory, plays)
    assert run.returncode == 0, run.output
    rendered = {}
    for host in [*servers, *agents]:
        unit = "k3s" if host in servers else "k3s-agent"
        etc = tmp_path / host / "etc"
        config_file = etc / "rancher/k3s/config.yaml"
        env_file = etc / f"systemd/system/{unit}.service.env"
        for secret_file in (config_file, env_file):
            assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600, secret_file
        rendered[host] = {
            "config": yaml.safe_load(config_file.read_text()),
            "unit": (etc / f"systemd/system/{unit}.service").read_text(),
            "env": env_file.read_text(),
        }
    return rendered


def test_single_server_cluster(tmp_path):
    agents = {"agent-1": "192.168.56.21", "agent-2": "192.168.56.22"}
    # As playbooks/group_vars/all/k3s.yml states them.
    cluster = {"k3s_api_port": 6443, "k3s_cluster_cidr": "10.42.0.0/16", "k3s_service_cidr": "10.43.0.0/16"}
    nodes = render(tmp_path, servers={"server-1": "192.168.56.11"}, agents=agents, cluster_vars=cluster)
    server = nodes["server-1"]["config"]
    assert server["cluster-cidr"] == "10.42.0.0/16"
    assert server["service-cidr"] == "10.43.0.0/16"
    assert "https-listen-port" not in server
    assert server["node-ip"] == "192.168.56.11", dump(server)
    assert server["flannel-iface"] == "eth1"
    assert server["node-name"] == "server-1"
    assert server["tls-san"] == ["192.168.56.11"]
    assert server["secrets-encryption"] is True
    assert server["write-kubeconfig-mode"] == "0600"
    # One server: plain server, no embedded etcd, joins nobody.
    assert "cluster-init" not in server and "server" not in server
    assert "disable" not in server
    for name, ip in agents.items():
        agent = nodes[name]["config"]
        assert agent["server"] == "https://192.168.56.11:6443", dump(agent)
        assert agent["node-ip"] == ip
        assert agent["flannel-iface"] == "eth1"
        # The token never lands in config.yaml; it is in the 0600 env file.
        assert "token" not in agent
        assert nodes[name]["env"].splitlines()[-1] == "K3S_TOKEN=resolved-token"
        assert "ExecStart=/usr/local/bin/k3s agent --config" in nodes[name]["unit"]
        assert "Type=exec" in nodes[name]["unit"]
        assert "EnvironmentFile=-" in nodes[name]["unit"] and "/k3s-agent.service.env" in nodes[name]["unit"]
        assert "Restart=always" in nodes[name]["unit"]
    # No Vault token: the first server starts without one and k3s generates it.
    assert "K3S_TOKEN" not in nodes["server-1"]["env"]
    assert "ExecStart=/usr/local/bin/k3s server --config" in nodes["server-1"]["unit"]
    assert "Restart=always" in nodes["server-1"]["unit"]
    assert "Type=notify" in nodes["server-1"]["unit"]


def test_ha_cluster_with_vip_and_vault_token(tmp_path):
    servers = {"server-1": "10.0.0.11", "server-2": "10.0.0.12", "server-3": "10.0.0.13"}
    nodes = render(tmp_path, servers, {"agent-1": "10.0.0.21"}, {"k3s_api_vip": "10.0.0.10", "k3s_token": TOKEN})
    first = nodes["server-1"]["config"]
    assert first["cluster-init"] is True, dump(first)
    assert "server" not in first
    for joiner in ("server-2", "server-3"):
        config = nodes[joiner]["config"]
        assert config["server"] == "https://10.0.0.11:6443", dump(config)
        assert "cluster-init" not in config
    for name in servers:
        config = nodes[name]["config"]
        assert config["tls-san"] == ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.10"]
        assert config["node-ip"] == servers[name]
    assert nodes["server-1"]["env"].splitlines()[-1] == f"K3S_TOKEN={TOKEN}"
    # Agents register through the VIP, so they survive the loss of any server.
    assert nodes["agent-1"]["config"]["server"] == "https://10.0.0.10:6443"


FAST_FAILOVER = {
    "kubelet-arg": ["node-status-update-frequency=4s"],
    "kube-controller-manager-arg": ["node-monitor-period=2s", "node-monitor-grace-period=16s"],
    "kube-apiserver-arg": ["default-not-ready-toleration-seconds=20", "default-unreachable-toleration-seconds=20"],
}


def test_fast_failover_is_on_by_default(tmp_path):
    nodes = render(tmp_path, servers={"s1": "10.1.0.11"}, agents={"a1": "10.1.0.21"})
    server, agent = nodes["s1"]["config"], nodes["a1"]["config"]
    for key, args in FAST_FAILOVER.items():
        assert server[key] == args, dump(server)
    # Only the kubelet runs on agents.
    assert agent["kubelet-arg"] == FAST_FAILOVER["kubelet-arg"]
    assert "kube-controller-manager-arg" not in agent and "kube-apiserver-arg" not in agent


def test_fast_failover_off_keeps_kubernetes_defaults_and_extra_args(tmp_path):
    nodes = render(tmp_path, servers={"s1": "10.1.0.11"}, agents={"a1": "10.1.0.21"}, cluster_vars={
        "k3s_node_fast_failover": False,
        "k3s_node_kubelet_args": ["max-pods=50"],
        "k3s_node_labels": ["lab.k3s.io/tier=app"],
        "k3s_node_taints": ["dedicated=db:NoSchedule"],
        "k3s_node_snapshotter": "native",
        "k3s_server_disable": ["traefik"],
    })
    server, agent = nodes["s1"]["config"], nodes["a1"]["config"]
    for config in (server, agent):
        assert config["kubelet-arg"] == ["max-pods=50"], dump(config)
        assert config["node-label"] == ["lab.k3s.io/tier=app"]
        assert config["node-taint"] == ["dedicated=db:NoSchedule"]
        assert config["snapshotter"] == "native"
    assert "kube-controller-manager-arg" not in server
    assert "kube-apiserver-arg" not in server
    assert server["disable"] == ["traefik"]

