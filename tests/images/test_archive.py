"""labtool.images.archive writes docker-archives that a real image store loads and runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import uuid

import pytest
from labtool.images.archive import Image, Layer, write_docker_archive
from labtool.images.node import docker_problem

BUSYBOX = shutil.which("busybox")
pytestmark = pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed (Debian: busybox-static)")


def _busybox_image(tag: str) -> Image:
    return Image(
        [tag],
        [Layer({"/bin/busybox": BUSYBOX}, symlinks={"/bin/sh": "busybox", "/bin/cat": "busybox"}, directories=["/tmp"])],
        entrypoint=["/bin/sh", "-c"],
    )


def test_images_sharing_a_layer_store_it_once(tmp_path):
    write_docker_archive([_busybox_image("lab.test/one:1"), _busybox_image("lab.test/two:2")], tmp_path / "a.tar")
    with tarfile.open(tmp_path / "a.tar") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        layer_members = [name for name in tar.getnames() if name.endswith("/layer.tar")]
    assert [entry["RepoTags"] for entry in manifest] == [["lab.test/one:1"], ["lab.test/two:2"]]
    assert manifest[0]["Layers"] == manifest[1]["Layers"]
    assert len(layer_members) == 1


def test_same_inputs_give_the_same_image_ids(tmp_path):
    first = write_docker_archive([_busybox_image("lab.test/one:1")], tmp_path / "a.tar")
    second = write_docker_archive([_busybox_image("lab.test/one:1")], tmp_path / "b.tar")
    assert first == second
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()
    assert not list(tmp_path.glob("*.partial"))


def test_docker_loads_and_runs_the_image(tmp_path):
    problem = docker_problem()
    if problem:
        pytest.skip(problem)
    tag = f"lab.test/archive-{uuid.uuid4().hex[:8]}:1"
    write_docker_archive([_busybox_image(tag)], tmp_path / "img.tar")
    try:
        loaded = subprocess.run(["docker", "load", "-i", str(tmp_path / "img.tar")], capture_output=True, text=True)
        assert loaded.returncode == 0, loaded.stderr
        assert tag in loaded.stdout
        run = subprocess.run(
            ["docker", "run", "--rm", tag, "echo layer-ok > /tmp/x && cat /tmp/x"], capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "layer-ok"
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
