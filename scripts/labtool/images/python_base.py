"""Build (once) a local Python base image for the app Dockerfiles, from Debian's mirror.

Where Docker Hub is reachable the app images build FROM python:3.11-slim-bookworm.
Where it is not, this makes a stand-in with the same Python minor version (Debian
bookworm's python3 is 3.11) and passes it as the BASE_IMAGE build argument:

    python -m labtool.images.python_base            # prints the image name
    docker build -f apps/Dockerfile --build-arg APP=quote --build-arg BASE_IMAGE=$(python -m labtool.images.python_base) .

The host's CA bundle is copied in so pip inside `docker build` trusts the same
certificate authorities as pip on the host (needed behind a TLS-inspecting proxy).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from labtool.images.node import import_image
from labtool.images.rootfs import build_rootfs_tarball, run_force_cli

SUITE = "bookworm"
IMAGE = "k3s-lab/python-base:3.11-bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def _slim(root: Path) -> None:
    if HOST_CA_BUNDLE.is_file():
        shutil.copyfile(HOST_CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")
    # What a slim image leaves out besides the .deb files: package lists, docs, man pages.
    for junk in ("var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
        shutil.rmtree(root / junk, ignore_errors=True)


def build_tarball(force: bool = False) -> Path:
    return build_rootfs_tarball(SUITE, force, packages=PACKAGES, name="python-base", finish=_slim)


def build_image(force: bool = False) -> str:
    changes = ["ENV LANG=C.UTF-8", 'CMD ["python3"]']
    return import_image(IMAGE, lambda: build_tarball(force), changes, force)


def main(argv: list[str] | None = None) -> int:
    return run_force_cli(__doc__, build_image, argv)


if __name__ == "__main__":
    sys.exit(main())
