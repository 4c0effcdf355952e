"""The offline Kubernetes bundle: its version follows the k3s pin, its cache key follows its
inputs, and the built bundle holds what bundle.yml says, with matching checksums."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from labtool import settings
from labtool.images import kube_bundle


@pytest.fixture
def pin_file(tmp_path, monkeypatch):
    pin = tmp_path / "k3s.yml"
    monkeypatch.setattr(settings, "K3S_PIN_FILE", pin)
    return pin


def test_kubernetes_version_is_the_upstream_release_of_the_k3s_pin(pin_file):
    pin_file.write_text("k3s_version: v1.34.2+k3s1\nk3s_upgrade_version: v1.34.3+k3s1\n")
    assert kube_bundle.kubernetes_version() == "v1.34.2"


def test_bundle_directory_changes_with_any_input(pin_file, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_CACHE_DIR", str(tmp_path / "cache"))
    settings = tmp_path / "kube-bundle.yml"
    settings.write_text(kube_bundle.SETTINGS_FILE.read_text())
    monkeypatch.setattr(kube_bundle, "SETTINGS_FILE", settings)
    pin_file.write_text("k3s_version: v1.33.4+k3s1\n")
    first = kube_bundle.bundle_dir()
    assert first.parent == tmp_path / "cache" / "kube-bundle"
    assert first.name.startswith("kubernetes-v1.33.4-")
    assert kube_bundle.bundle_dir() == first
    settings.write_text(settings.read_text().replace("v0.13.17", "v0.13.18"))
    assert kube_bundle.bundle_dir() != first


@pytest.fixture(scope="module")
def built_bundle() -> Path:
    directory = Path(os.environ.get("LAB_KUBE_BUNDLE_DIR") or kube_bundle.bundle_dir())
    if not (directory / "sha256sum-amd64.txt").exists():
        pytest.skip(f"bundle not built at {directory}: run `python -m labtool.images.kube_bundle` (run-tests does)")
    return directory


def test_checksums_cover_every_file_and_match(built_bundle):
    lines = (built_bundle / "sha256sum-amd64.txt").read_text().splitlines()
    listed = {name: digest for digest, name in (line.split("  ") for line in lines)}
    present = {path.name for path in built_bundle.iterdir()} - {"sha256sum-amd64.txt"}
    assert set(listed) == present == {"hyperkube", "kine", "images.tar", "bundle.yml"}
    for name, digest in listed.items():
        assert hashlib.sha256((built_bundle / name).read_bytes()).hexdigest() == digest, name


def test_hyperkube_reports_the_bundle_version(built_bundle):
    manifest = yaml.safe_load((built_bundle / "bundle.yml").read_text())
    assert manifest["kubernetes_version"] == kube_bundle.kubernetes_version()
    for program in ("kubelet", "kube-apiserver"):
        out = subprocess.run([built_bundle / "hyperkube", program, "--version"], capture_output=True, text=True)
        assert out.stdout.strip() == f"Kubernetes {manifest['kubernetes_version']}", (program, out.stderr)
    client = subprocess.run([built_bundle / "hyperkube", "kubectl", "version", "--client", "-o", "json"],
                            capture_output=True, text=True, check=True)
    assert json.loads(client.stdout)["clientVersion"]["gitVersion"] == manifest["kubernetes_version"]
    unknown = subprocess.run([built_bundle / "hyperkube", "etcd"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "programs:" in unknown.stderr


def test_images_archive_holds_exactly_the_listed_images(built_bundle):
    manifest = yaml.safe_load((built_bundle / "bundle.yml").read_text())
    with tarfile.open(built_bundle / "images.tar") as tar:
        archived = [tag for entry in json.load(tar.extractfile("manifest.json")) for tag in entry["RepoTags"]]
    assert sorted(archived) == sorted(manifest["images"])
    version = manifest["kubernetes_version"]
    for component in kube_bundle.CONTROL_PLANE_IMAGES:
        assert f"registry.k8s.io/{component}:{version}" in archived
    assert f"registry.k8s.io/coredns/coredns:{manifest['coredns_version']}" in archived
