"""After a real converge: the controller's kubeconfig is private, renamed and reachable."""

import os
import stat
from pathlib import Path

import yaml

KUBECONFIG = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "kubeconfig"


def test_kubeconfig_is_private_and_named_for_the_lab():
    assert stat.S_IMODE(KUBECONFIG.stat().st_mode) == 0o600
    config = yaml.safe_load(KUBECONFIG.read_text())
    assert config["current-context"] == "k3s-lab"
    assert [c["name"] for c in config["clusters"]] == ["k3s-lab"]
    assert [u["name"] for u in config["users"]] == ["k3s-lab"]
    assert config["clusters"][0]["cluster"]["server"] == "https://172.30.23.11:6443"


def test_api_answers_with_that_kubeconfig(host):
    # Asked from the node itself with the fetched credentials: proves they are the admin's.
    host.run("mkdir -p /tmp/kc")
    content = KUBECONFIG.read_text().replace("'", "'\\''")
    host.check_output(f"printf '%s' '{content}' > /tmp/kc/config")
    assert host.check_output("k3s kubectl --kubeconfig /tmp/kc/config get --raw /readyz") == "ok"
