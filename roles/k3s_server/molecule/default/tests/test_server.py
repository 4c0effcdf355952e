"""After a real converge (hosts that can download k3s): the server runs and is Ready."""


def test_k3s_server_unit_runs_and_restarts_on_failure(host):
    service = host.service("k3s")
    assert service.is_enabled and service.is_running
    assert "Restart=always" in host.file("/etc/systemd/system/k3s.service").content_string


def test_token_env_file_is_private(host):
    assert host.file("/etc/systemd/system/k3s.service.env").mode == 0o600


def test_node_is_ready(host):
    name = host.check_output("hostname")
    status = host.check_output(
        f"k3s kubectl get node {name} -o jsonpath='{{.status.conditions[?(@.type==\"Ready\")].status}}'"
    )
    assert status == "True"
