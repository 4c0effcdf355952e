"""What the kubeadm_node scenarios' checks share: kubectl with the admin kubeconfig on the
scenario's control plane, the bundle's busybox image, and pods run to completion."""

import json
import os
import time
from pathlib import Path

import pytest
import testinfra
import yaml

KUBECTL = "kubectl --kubeconfig=/etc/kubernetes/admin.conf"


class Kube:
    """kubectl on the node that holds the admin kubeconfig."""

    def __init__(self, host):
        self.host = host

    def __call__(self, args: str) -> str:
        return self.host.check_output(f"{KUBECTL} {args}")

    def run(self, args: str):
        return self.host.run(f"{KUBECTL} {args}")

    def apply(self, document: dict) -> None:
        self.host.check_output(f"echo '{json.dumps(document)}' | {KUBECTL} apply -f -")

    def run_pod(self, name: str, image: str, command: str, node: str | None = None, timeout: int = 120) -> str:
        """Run `sh -c command` in a pod (on `node`, if given) to completion; return its log.

        Fails on anything but Succeeded within `timeout` seconds.
        """
        self.run(f"delete pod {name} --ignore-not-found --wait=true")
        container = {"name": name, "image": image, "imagePullPolicy": "Never", "command": ["sh", "-c", command]}
        spec = {"restartPolicy": "Never", "containers": [container], **({"nodeName": node} if node else {})}
        self.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})
        deadline, phase = time.monotonic() + timeout, ""
        while time.monotonic() < deadline and phase not in ("Succeeded", "Failed"):
            time.sleep(2)
            phase = self(f"get pod {name} -o jsonpath='{{.status.phase}}'")
        log = self.run(f"logs {name}").stdout
        self.run(f"delete pod {name} --wait=false")
        assert phase == "Succeeded", f"pod {name} ended {phase or 'not at all'}; log:\n{log}"
        return log


def _scenario_platforms() -> list[dict]:
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    return yaml.safe_load((scenario / "molecule.yml").read_text())["platforms"]


@pytest.fixture(scope="module")
def control_plane_name() -> str:
    return next(p["name"] for p in _scenario_platforms() if "k3s_servers" in p.get("groups", []))


@pytest.fixture(scope="module")
def kube(control_plane_name) -> Kube:
    return Kube(testinfra.get_host(f"docker://{control_plane_name}"))


@pytest.fixture(scope="module")
def bundle() -> dict:
    return yaml.safe_load((Path(os.environ["LAB_KUBE_BUNDLE_DIR"]) / "bundle.yml").read_text())


@pytest.fixture(scope="module")
def busybox(bundle) -> str:
    return next(image for image in bundle["images"] if "/busybox:" in image)
