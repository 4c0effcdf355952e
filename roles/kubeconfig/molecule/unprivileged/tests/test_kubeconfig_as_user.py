"""After converge as the plain user: the root-only kubeconfig reached the controller."""

import os
import stat
from pathlib import Path

import yaml

KUBECONFIG = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "kubeconfig"
SOURCE = "/etc/rancher/k3s/k3s.yaml"


def test_the_login_user_cannot_read_the_source_without_sudo(host):
    assert host.file(SOURCE).mode == 0o600 and host.file(SOURCE).user == "root"
    assert host.run(f"su lab -c 'cat {SOURCE}'").rc != 0


def test_kubeconfig_carries_the_servers_credentials_under_the_lab_name(host):
    assert stat.S_IMODE(KUBECONFIG.stat().st_mode) == 0o600
    written = yaml.safe_load(KUBECONFIG.read_text())
    source = yaml.safe_load(host.file(SOURCE).content_string)
    assert written["current-context"] == "k3s-lab"
    assert written["clusters"][0]["cluster"] == {
        **source["clusters"][0]["cluster"], "server": "https://172.30.24.11:6443"}
    assert written["users"][0]["user"] == source["users"][0]["user"]
