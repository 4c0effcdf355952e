"""The k3s_node install tasks, run for real against this machine under a temp prefix.

Airgap source with a local directory: the checksum file decides. A wrong
checksum must fail with a clear message and install nothing; the right one
installs into the prefix, and a second run changes nothing. The "binary" is a
dummy file: these tests check the copy/verify logic, never run k3s.
"""

from __future__ import annotations

import hashlib
import platform
import tempfile
from pathlib import Path

import pytest

from ansible_run import local_host, run_playbook

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()]
BINARY = "k3s" if ARCH == "amd64" else f"k3s-{ARCH}"
IMAGES = f"k3s-airgap-images-{ARCH}.tar.zst"
CHECKSUMS = f"sha256sum-{ARCH}.txt"


def airgap_dir(tmp_path: Path, wrong: str | None = None) -> Path:
    """A directory laid out like the release assets; `wrong` gets a bad checksum line."""
    airgap = tmp_path / "airgap"
    airgap.mkdir()
    lines = []
    for asset, content in ((BINARY, b"dummy binary\n"), (IMAGES, b"dummy images\n")):
        (airgap / asset).write_bytes(content)
        digest = hashlib.sha256(content if asset != wrong else b"something else").hexdigest()
        lines.append(f"{digest}  {asset}")
    (airgap / CHECKSUMS).write_text("\n".join(lines) + "\n")
    return airgap


def install(tmp_path: Path, airgap: Path):
    root = tmp_path / "root"
    node = local_host(
        k3s_version="v1.33.5+k3s1",
        k3s_node_install_source="airgap",
        k3s_node_airgap_dir=str(airgap),
        k3s_node_bin_dir=str(root / "usr/local/bin"),
        k3s_node_images_dir=str(root / "var/lib/rancher/k3s/agent/images"),
        k3s_node_ip="{{ ansible_facts['default_ipv4']['address'] }}",
        k3s_flannel_iface="{{ ansible_facts['default_ipv4']['interface'] }}",
    )
    # The server and agent roles restart their unit on this change; here: just note it.
    note = {"name": "Note the change", "listen": "k3s installation changed",
            "ansible.builtin.debug": {"msg": "k3s installation changed"}}
    plays = [{"hosts": "node", "gather_facts": True,
              "tasks": [{"ansible.builtin.import_role": {"name": "k3s_node"}}], "handlers": [note]}]
    inventory = {"all": {"hosts": {"node": node}}}
    return root, run_playbook(tmp_path, inventory, plays)


def staging_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("k3s-install-*")}


@pytest.mark.parametrize("wrong", [BINARY, IMAGES])
def test_a_wrong_checksum_installs_nothing(tmp_path, wrong):
    # A wrong images checksum too: the binary verified fine but is not installed alone.
    before = staging_dirs()
    root, run = install(tmp_path, airgap_dir(tmp_path, wrong=wrong))
    assert run.returncode != 0
    assert f"Checksum mismatch for {wrong}" in run.output, run.output
    assert "Nothing was installed" in run.output
    assert not any(root.rglob("*")), sorted(root.rglob("*"))
    assert staging_dirs() == before, "the staging directory was left behind"


def test_missing_airgap_assets_are_named(tmp_path):
    airgap = airgap_dir(tmp_path)
    (airgap / IMAGES).unlink()
    _, run = install(tmp_path, airgap)
    assert run.returncode != 0
    assert f"k3s-airgap-images-{ARCH}" in run.output and "must hold" in run.output, run.output


def test_verified_assets_install_once(tmp_path):
    airgap = airgap_dir(tmp_path)
    root, first = install(tmp_path, airgap)
    assert first.returncode == 0, first.output
    binary = root / "usr/local/bin/k3s"
    assert binary.read_bytes() == b"dummy binary\n"
    assert binary.stat().st_mode & 0o777 == 0o755
    images = root / "var/lib/rancher/k3s/agent/images" / IMAGES
    assert images.read_bytes() == b"dummy images\n"
    for tool in ("kubectl", "crictl", "ctr"):
        assert (root / "usr/local/bin" / tool).readlink() == binary
    assert (root / "usr/local/bin/k3s-killall.sh").stat().st_mode & 0o111
    assert "k3s installation changed" in first.output
    assert first.stats["node"]["changed"] > 0

    _, second = install(tmp_path, airgap)
    assert second.returncode == 0, second.output
    assert second.stats["node"]["changed"] == 0, second.output
