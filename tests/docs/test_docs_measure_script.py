"""labtool.vm_vs_container, which produced the figures in the architecture notes,
reads the lab's shared settings rather than copies: the node image name and the systemd
node container settings (scripts/labtool/images/node-container.yml). These break loudly if those files change shape."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from labtool import vm_vs_container as measure
from labtool import REPO



def test_container_image_is_the_lab_node_image(capsys) -> None:
    settings = yaml.safe_load((REPO / "scripts/labtool/images/node-image.yml").read_text())
    with pytest.raises(SystemExit):
        measure.main(["--help"])
    assert f"the lab's node image, {settings['node_image']})" in " ".join(capsys.readouterr().out.split())


def test_systemd_container_options_are_the_shared_ones() -> None:
    settings = yaml.safe_load((REPO / "scripts/labtool/images/node-container.yml").read_text())
    args = measure.systemd_container_args()
    for option, values in (("-v", "volumes"), ("--tmpfs", "tmpfs"), ("--security-opt", "security_opts")):
        assert [args[i + 1] for i, a in enumerate(args) if a == option] == settings["lab_node_container"][values]
    assert args[args.index("--stop-signal") + 1] == "SIGRTMIN+3"
    if "--privileged" not in args:
        assert [args[i + 1] for i, a in enumerate(args) if a == "--cap-add"] == settings["lab_node_capabilities"]


def test_cli_explains_itself() -> None:
    result = subprocess.run([sys.executable, "-m", "labtool.vm_vs_container", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--vm-image" in result.stdout and "--accel" in result.stdout
