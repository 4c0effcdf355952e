"""labtool.images.python_base builds its tree through labtool.images.rootfs: one debootstrap call site,
its own package list and cache name, and its slimming step on top of rootfs's clean-up."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from labtool.images import python_base, rootfs


@pytest.fixture
def fake_debootstrap(tmp_path, monkeypatch):
    """Stand-ins for the two commands rootfs runs; records them and fakes their output."""
    monkeypatch.setenv("LAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DEBIAN_MIRROR", "http://mirror.test/debian")
    monkeypatch.setattr(rootfs.os, "geteuid", lambda: 0)
    monkeypatch.setattr(rootfs.shutil, "which", lambda name: f"/usr/sbin/{name}")
    ca_bundle = tmp_path / "host-ca.crt"
    ca_bundle.write_text("host CA\n")
    monkeypatch.setattr(python_base, "HOST_CA_BUNDLE", ca_bundle)
    commands: list[list[str]] = []
    packed: dict[str, list[str]] = {}

    def run(cmd, **kwargs):
        commands.append(cmd)
        if cmd[0] == "debootstrap":
            root = Path(cmd[-2])
            for directory in ("etc/ssl/certs", "var/lib/dbus", "var/cache/apt/archives", "var/lib/apt/lists",
                              "usr/share/doc/python3", "usr/share/man/man1", "usr/bin"):
                (root / directory).mkdir(parents=True)
            (root / "etc/machine-id").write_text("0123456789abcdef\n")
            (root / "var/cache/apt/archives/python3.deb").write_bytes(b"deb")
            (root / "usr/bin/python3").write_text("")
        elif cmd[0] == "tar":
            root = Path(cmd[cmd.index("-C") + 1])
            packed["files"] = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
            packed["machine-id"] = [(root / "etc/machine-id").read_text()]
            Path(cmd[cmd.index("-cf") + 1]).write_bytes(b"tar")
        else:
            pytest.fail(f"unexpected command {cmd}")
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(rootfs, "run", run)
    return commands, packed


def test_python_base_runs_debootstrap_through_rootfs_with_its_own_packages(fake_debootstrap, tmp_path):
    commands, packed = fake_debootstrap
    tarball = python_base.build_tarball()
    assert tarball.parent == tmp_path / "cache" and tarball.name.startswith("python-base-bookworm-")
    assert tarball != rootfs.tarball_path("bookworm")  # never mixed up with the node's tree
    debootstrap = commands[0]
    assert debootstrap[:3] == ["debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates"]
    assert debootstrap[3] == "bookworm" and debootstrap[-1] == "http://mirror.test/debian"
    # rootfs's clean-up (fresh machine id, no .deb) plus python_base's own (docs, lists, host CAs).
    assert packed["machine-id"] == [""]
    assert packed["files"] == ["etc/machine-id", "etc/ssl/certs/ca-certificates.crt", "usr/bin/python3"]
    assert [c[0] for c in commands] == ["debootstrap", "tar"]


def test_python_base_tarball_is_cached(fake_debootstrap):
    commands, _ = fake_debootstrap
    first = python_base.build_tarball()
    assert python_base.build_tarball() == first
    assert [c[0] for c in commands] == ["debootstrap", "tar"]  # the second call ran nothing
    python_base.build_tarball(force=True)
    assert [c[0] for c in commands].count("debootstrap") == 2

