"""Without a cluster the tooling stops with one line saying what is missing (exit 2),
the same reason the live tests skip with."""

from __future__ import annotations

import pytest

from labtool import chaos, kube
from labtool.pgserver import free_port

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:%d", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: not-a-real-token}}]
contexts: [{name: k3s-lab, context: {cluster: lab, user: admin}}]
current-context: k3s-lab
"""


@pytest.fixture
def no_repo_kubeconfig(monkeypatch, tmp_path):
    monkeypatch.setattr(kube, "REPO_KUBECONFIG", tmp_path / "absent-kubeconfig")
    monkeypatch.delenv("KUBECONFIG", raising=False)


def test_unset_kubeconfig_is_named(no_repo_kubeconfig, capsys):
    assert chaos.main(["run", "pod-delete"]) == 2
    assert "no reachable cluster: KUBECONFIG unset" in capsys.readouterr().err


def test_missing_kubeconfig_file_is_named(no_repo_kubeconfig, monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nope"))
    with pytest.raises(kube.ClusterUnavailable, match=r"KUBECONFIG=.*nope does not exist"):
        kube.connect()


def test_refused_api_is_named_with_its_address(no_repo_kubeconfig, monkeypatch, tmp_path):
    port = free_port()  # nothing listens there
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG % port)
    monkeypatch.setenv("KUBECONFIG", str(path))
    with pytest.raises(kube.ClusterUnavailable, match=rf"no reachable cluster: API at https://127.0.0.1:{port} refused"):
        kube.connect()


def test_unusable_kubeconfig_is_named(no_repo_kubeconfig, monkeypatch, tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text("apiVersion: v1\nkind: Config\n")
    monkeypatch.setenv("KUBECONFIG", str(path))
    with pytest.raises(kube.ClusterUnavailable, match="is unusable"):
        kube.connect()


def test_unknown_experiment_is_refused_before_touching_a_cluster(no_repo_kubeconfig, capsys):
    with pytest.raises(SystemExit) as exit_info:
        chaos.main(["run", "pod-delete", "unplug-the-rack"])
    assert exit_info.value.code == 2
    assert "unknown experiment(s) unplug-the-rack" in capsys.readouterr().err


def test_list_names_every_experiment(capsys):
    assert chaos.main(["list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == ["pod-delete", "readiness", "liveness", "bad-image", "missing-env", "oom", "vm-kill"]
