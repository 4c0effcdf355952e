"""Build the systemd node image (k3s-lab/node) from the cached rootfs; skip if present.

The image is `docker import` of the debootstrap rootfs (labtool.images.rootfs), started
with systemd as PID 1. Molecule scenarios run their nodes from it.

CLI: python -m labtool.images.node [--force] [--print-name]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from labtool.images.rootfs import RootfsError, build_rootfs_tarball, run, run_build

SETTINGS = yaml.safe_load((Path(__file__).with_name("node-image.yml")).read_text())
NODE_IMAGE: str = SETTINGS["node_image"]
NODE_SUITE: str = SETTINGS["node_suite"]


def _docker(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, **kwargs)


def docker_problem() -> str | None:
    """Why docker cannot be used here, or None when the daemon answers."""
    if shutil.which("docker") is None:
        return "docker CLI not installed (Debian: apt-get install docker.io)"
    probe = _docker("info", "--format", "{{.ServerVersion}}")
    if probe.returncode != 0:
        return f"docker daemon not reachable (start dockerd): {probe.stderr.strip()}"
    return None


def image_exists(name: str = NODE_IMAGE) -> bool:
    return _docker("image", "inspect", name).returncode == 0


def import_image(image: str, make_tarball: Callable[[], Path], changes: Sequence[str], force: bool = False) -> str:
    """Return `image`, `docker import`ing it from make_tarball() when missing (or forced)."""
    problem = docker_problem()
    if problem:
        raise RootfsError(problem)
    if image_exists(image) and not force:
        print(f"image present: {image}", file=sys.stderr)
        return image
    tarball = make_tarball()
    run(["docker", "import", *(arg for change in changes for arg in ("--change", change)), str(tarball), image],
        stdout=subprocess.DEVNULL)
    print(f"image built: {image}", file=sys.stderr)
    return image


def build_node_image(force: bool = False) -> str:
    """Return the node image name, importing it from the rootfs tarball if missing."""
    # systemd and Ansible's virtualization facts read `container` to know they run in one.
    changes = ["ENV container=docker", 'CMD ["/lib/systemd/systemd"]']
    return import_image(NODE_IMAGE, lambda: build_rootfs_tarball(NODE_SUITE), changes, force)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="re-import even if the image exists")
    parser.add_argument("--print-name", action="store_true", help="print the image name and exit")
    args = parser.parse_args(argv)
    if args.print_name:
        print(NODE_IMAGE)
        return 0
    return run_build(lambda: build_node_image(force=args.force))


if __name__ == "__main__":
    sys.exit(main())
