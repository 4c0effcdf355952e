"""testinfra checks of provisioned nodes, over the inventory with the ansible backend:

    pytest tests/nodes --hosts='ansible://k3s_cluster' --ansible-inventory=inventory/vagrant --sudo

--sudo because the checks read root-only state (k3s, nft, swap) and a VM or cloud
inventory connects as a plain user; a run as anyone else stops with that advice.

Without --hosts (the normal test run) every check skips instead of probing this machine;
a host that does not answer skips with the reason."""

from __future__ import annotations

import json

import pytest
import testinfra


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/nodes/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.nodes)


_unreachable: dict[str, str] = {}  # host -> reason, so a dead host costs one SSH timeout per run


@pytest.fixture
def node(request, host):
    """The host under test, its inventory variables, and whether it is a server."""
    if not request.config.getoption("hosts"):
        pytest.skip("no inventory hosts: run with --hosts='ansible://k3s_cluster' --ansible-inventory=inventory/vagrant")
    if host.backend.host in _unreachable:
        pytest.skip(_unreachable[host.backend.host])
    try:
        host.run("true")
        variables = host.ansible.get_variables()
    except Exception as exc:  # noqa: BLE001 - any backend failure means "not reachable"
        result = exc.args[0] if exc.args else None
        stderr = getattr(result, "stderr", "") or ""
        detail = stderr.strip().splitlines()[-1] if stderr.strip() else str(exc).splitlines()[0]
        _unreachable[host.backend.host] = f"{host.backend.host} unreachable or not provisioned: {detail[:200]}"
        pytest.skip(_unreachable[host.backend.host])
    if host.check_output("id -u") != "0":
        pytest.fail(f"{host.backend.host}: the node checks read root-only state (k3s, nft, swap) "
                    f"but run as {host.check_output('id -un')}: add --sudo")
    groups = variables.get("group_names", [])
    if "k3s_servers" not in groups and "k3s_agents" not in groups:
        pytest.skip(f"{variables['inventory_hostname']} is in neither k3s_servers nor k3s_agents")
    return Node(host, variables, "k3s_servers" in groups)


class Node:
    def __init__(self, host, variables: dict, is_server: bool) -> None:
        self.host, self.vars, self.is_server = host, variables, is_server
        self.name = variables["inventory_hostname"]
        self.ip = variables["k3s_node_ip"]
        self.iface = variables.get("k3s_flannel_iface", "")

    def first_server(self, request):
        """The first server, where `k3s kubectl` answers for the whole cluster."""
        name = self.vars["groups"]["k3s_servers"][0]
        if name == self.name:
            return self.host
        return testinfra.get_host(f"ansible://{name}", ansible_inventory=request.config.getoption("ansible_inventory"),
                                  sudo=request.config.getoption("sudo"))

    def kube_node(self, request) -> dict:
        hostname = self.host.check_output("hostname")
        server = self.first_server(request)
        return json.loads(server.check_output(f"k3s kubectl get node {hostname} -o json"))
