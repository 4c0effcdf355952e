"""kubeadm_node stops before touching a node when its input is wrong, and says what to fix."""

from __future__ import annotations

from pathlib import Path

from ansible_run import local_host, run_playbook

PLAY = [{"hosts": "k3s_cluster", "roles": ["kubeadm_node"]}]


def inventory(bundle: str, servers: list[str]) -> dict:
    hosts = {name: local_host(k3s_node_ip="127.0.0.1") for name in [*servers, "worker"]}
    return {
        "all": {"vars": {"kubeadm_node_bundle_dir": bundle}},
        "k3s_cluster": {"hosts": hosts},
        "k3s_servers": {"hosts": {name: None for name in servers}},
    }


def fake_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "bundle.yml").write_text("kubernetes_version: v1.33.4\nimages: []\nprograms: []\n")
    return bundle


def test_a_missing_bundle_says_how_to_build_it(tmp_path):
    run = run_playbook(tmp_path, inventory(str(tmp_path / "nowhere"), ["server"]), PLAY)
    assert run.returncode != 0
    assert "kubeadm_node_bundle_dir must name a built bundle directory" in run.output
    assert "python -m labtool.images.kube_bundle" in run.output
    assert all(stats.get("changed", 0) == 0 for stats in run.stats.values())


def test_two_control_planes_are_refused(tmp_path):
    run = run_playbook(tmp_path, inventory(str(fake_bundle(tmp_path)), ["server-1", "server-2"]), PLAY)
    assert run.returncode != 0
    assert "must hold exactly one host (it has 2)" in run.output
    assert "HA control plane needs k3s" in run.output
    assert all(stats.get("changed", 0) == 0 for stats in run.stats.values())
